// BidirectionalTransformer: the MaskGIT token predictor (port of maskgit_transformer.py
// Transformer, L141-234): embeddings, post-LN layers, MLM head with the tied word embedding.
//
// Legend: L sequence length (1 class token + image tokens), C hidden, V vocabulary.

import Checkpoints
import Foundation
import Tensors

/// The bidirectional transformer with its vocabulary layout.
public struct BidirectionalTransformer: Sendable {
    public let config: TransformerConfig
    public let vocabulary: Vocabulary
    /// Class names, in label order, when the model file carries them.
    public let classNames: [String]?

    let wordEmbeddings: Tensor      // Embed_0/word_embeddings/embedding [V, C]
    let positionEmbeddings: Tensor  // Embed_0/position_embeddings/embedding [Lmax, C]
    let embeddingNorm: LayerNorm    // Embed_0/embeddings_ln
    let layers: [TransformerLayer]  // TransformerLayer_0 ...
    let mlmDense: Dense             // MlmLayer_0/mlm_dense [C, C]
    let mlmNorm: LayerNorm          // MlmLayer_0/mlm_ln
    let mlmBias: Tensor             // MlmLayer_0/mlm_bias/bias [V]

    /// Builds the network from `store` (official tree at the root).
    public init(store: WeightStore, config: TransformerConfig, vocabulary: Vocabulary, classNames: [String]? = nil) throws {
        try vocabulary.validate(vocabSize: config.vocabSize)
        self.config = config
        self.vocabulary = vocabulary
        self.classNames = classNames
        let root = WeightScope(store)
        let c = config.hiddenSize, v = config.vocabSize
        wordEmbeddings = try root("Embed_0")("word_embeddings").take("embedding", [v, c])
        positionEmbeddings = try root("Embed_0")("position_embeddings").take("embedding", [config.maxPositionEmbeddings, c])
        embeddingNorm = try LayerNorm(root("Embed_0")("embeddings_ln"), channels: c, epsilon: config.layerNormEpsilon)
        layers = try (0..<config.numLayers).map { try TransformerLayer(root("TransformerLayer_\($0)"), config: config) }
        mlmDense = try Dense(root("MlmLayer_0")("mlm_dense"), in: c, out: c)
        mlmNorm = try LayerNorm(root("MlmLayer_0")("mlm_ln"), channels: c, epsilon: config.layerNormEpsilon)
        mlmBias = try root("MlmLayer_0")("mlm_bias").take("bias", [v])
    }

    /// Loads a transformer file. `codebookSize` is needed for official files, whose vocabulary
    /// layout is implicit (codes, then classes, then the mask); project files carry it.
    public init(contentsOf url: URL, codebookSize: Int? = nil) throws {
        let store = try WeightStore.open(url)
        let inferred = try TransformerConfig.infer(from: store)
        if let json = store.metadata["config"] {
            let declared: TransformerConfig
            do { declared = try JSONDecoder().decode(TransformerConfig.self, from: Data(json.utf8)) } catch {
                throw ModelLoadError.badMetadata(key: "config", reason: "\(error)")
            }
            var check = inferred
            check.layerNormEpsilon = declared.layerNormEpsilon
            if declared != check {
                throw ModelLoadError.configMismatch(field: "transformer", metadata: "\(declared)", inferred: "\(inferred)")
            }
        }
        let vocabulary: Vocabulary
        if let json = store.metadata["vocabulary"] {
            do { vocabulary = try JSONDecoder().decode(Vocabulary.self, from: Data(json.utf8)) } catch {
                throw ModelLoadError.badMetadata(key: "vocabulary", reason: "\(error)")
            }
        } else if let codebookSize {
            vocabulary = .official(vocabSize: inferred.vocabSize, codebookSize: codebookSize)
        } else {
            throw ModelLoadError.badMetadata(key: "vocabulary", reason: "absent, and no codebook size given for an official layout")
        }
        var names: [String]?
        if let json = store.metadata["class_names"] {
            do { names = try JSONDecoder().decode([String].self, from: Data(json.utf8)) } catch {
                throw ModelLoadError.badMetadata(key: "class_names", reason: "\(error)")
            }
            if names?.count != vocabulary.numClasses {
                throw ModelLoadError.badMetadata(key: "class_names", reason: "\(names?.count ?? 0) names for \(vocabulary.numClasses) classes")
            }
        }
        if names == nil, store.metadata["vocabulary"] == nil { names = ImageNetClasses.officialNames(for: vocabulary) }
        try self.init(store: store, config: inferred, vocabulary: vocabulary, classNames: names)
        try store.finish()
    }

    /// Final hidden states [L, C] of a token sequence (class token first).
    func hidden(_ tokens: [Int32]) -> Tensor { hidden(batch: [tokens]) }

    /// Final hidden states of B sequences of one length L, stacked as [B·L, C]: every dense
    /// layer, norm and GELU runs once over all B·L rows (one GEMM per weight instead of B);
    /// attention runs per sequence, so each row equals its sequence's own forward pass.
    func hidden(batch: [[Int32]]) -> Tensor {
        let l = batch[0].count, c = config.hiddenSize
        var x = Tensor(zeros: [batch.count * l, c])                             // [B·L, C]
        wordEmbeddings.storage.withUnsafeBufferPointer { words in
            positionEmbeddings.storage.withUnsafeBufferPointer { positions in
                x.storage.withUnsafeMutableBufferPointer { dst in
                    for (b, tokens) in batch.enumerated() {
                        for (i, token) in tokens.enumerated() {
                            let row = Int(token), at = (b * l + i) * c
                            for j in 0..<c { dst[at + j] = words[row * c + j] + positions[i * c + j] }
                        }
                    }
                }
            }
        }
        x = embeddingNorm(x)
        for layer in layers { x = layer(x, sequences: batch.count) }
        return mlmNorm(mlmDense.gelu(x))                                          // [B·L, C]
    }

    /// Logits [L, V] over the whole vocabulary for a sequence [L] (class token first, mask id at
    /// unknown positions): h·Eᵀ with the tied word embedding, plus `mlm_bias`.
    public func logits(_ tokens: [Int32]) throws -> Tensor {
        try validate(tokens)
        return Ops.matmul(hidden(tokens), wordEmbeddings, transposeB: true, bias: mlmBias)   // [L, V]
    }

    /// Logits [N, K] over the codebook only, for the N image positions (the class position and
    /// the non-code logits dropped, as the official sampler's `logits[..., :K]`).
    public func codeLogits(_ tokens: [Int32]) throws -> Tensor {
        try codeLogits(batch: [tokens])[0]
    }

    /// `codeLogits` of several sequences in one forward pass (see `hidden(batch:)`); sequences
    /// of different lengths are run one by one.
    public func codeLogits(batch: [[Int32]]) throws -> [Tensor] {
        guard let first = batch.first else { return [] }
        for tokens in batch { try validate(tokens) }
        guard batch.allSatisfy({ $0.count == first.count }) else {
            return try batch.map { try codeLogits(batch: [$0])[0] }
        }
        let h = hidden(batch: batch)
        let c = config.hiddenSize, k = vocabulary.codebookSize, l = first.count, n = l - 1
        var rows = [Float]()
        rows.reserveCapacity(batch.count * n * c)
        for b in 0..<batch.count { rows += h.storage[((b * l + 1) * c)..<((b + 1) * l * c)] }
        let imageHidden = Tensor(shape: [batch.count * n, c], storage: rows)                       // [B·N, C]
        let codes = Tensor(shape: [k, c], storage: Array(wordEmbeddings.storage[0..<(k * c)]))     // [K, C]
        let bias = Tensor(shape: [k], storage: Array(mlmBias.storage[0..<k]))
        let all = Ops.matmul(imageHidden, codes, transposeB: true, bias: bias)                     // [B·N, K]
        return (0..<batch.count).map { b in
            Tensor(shape: [n, k], storage: Array(all.storage[(b * n * k)..<((b + 1) * n * k)]))
        }
    }

    private func validate(_ tokens: [Int32]) throws {
        guard !tokens.isEmpty, tokens.count <= config.maxPositionEmbeddings else {
            throw TransformerError.badSequenceLength(tokens.count, max: config.maxPositionEmbeddings)
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw TransformerError.tokenOutOfRange(bad, vocabSize: config.vocabSize)
        }
    }
}

/// Errors of running the transformer on a given input.
public enum TransformerError: Error, Sendable, Equatable, CustomStringConvertible {
    case badSequenceLength(Int, max: Int)
    case tokenOutOfRange(Int32, vocabSize: Int)

    public var description: String {
        switch self {
        case .badSequenceLength(let n, let max): "sequence of \(n) tokens; the model takes 1...\(max)"
        case .tokenOutOfRange(let t, let v): "token \(t) is outside the vocabulary 0..<\(v)"
        }
    }
}
