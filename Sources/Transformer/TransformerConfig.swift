// TransformerConfig and Vocabulary of the MaskGIT bidirectional transformer
// (maskgit/configs/maskgit_class_cond_config.py; maskgit/inference.py for the vocabulary layout).

import Checkpoints
import Foundation

/// Shapes of the bidirectional transformer. Official ImageNet 256: vocab 2025, hidden 768,
/// 24 layers, 16 heads, MLP 3072, 257 positions; 512: 1025 positions.
public struct TransformerConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var intermediateSize: Int
    /// Learned positions: 1 class token + the image tokens.
    public var maxPositionEmbeddings: Int
    public var layerNormEpsilon: Float

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case numLayers = "num_layers"
        case numHeads = "num_heads"
        case intermediateSize = "intermediate_size"
        case maxPositionEmbeddings = "max_position_embeddings"
        case layerNormEpsilon = "layer_norm_eps"
        /// Accepted on read as a synonym of `max_position_embeddings`.
        case seqLen = "seq_len"
    }

    public init(vocabSize: Int, hiddenSize: Int, numLayers: Int, numHeads: Int, intermediateSize: Int,
                maxPositionEmbeddings: Int, layerNormEpsilon: Float = 1e-12) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.layerNormEpsilon = layerNormEpsilon
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(numLayers, forKey: .numLayers)
        try c.encode(numHeads, forKey: .numHeads)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numLayers = try c.decode(Int.self, forKey: .numLayers)
        numHeads = try c.decode(Int.self, forKey: .numHeads)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        if let positions = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) {
            maxPositionEmbeddings = positions
        } else {
            maxPositionEmbeddings = try c.decode(Int.self, forKey: .seqLen)
        }
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-12
    }

    /// Width of one attention head.
    public var headDim: Int { hiddenSize / numHeads }
    /// Image tokens per sequence (positions minus the class token).
    public var imageTokens: Int { maxPositionEmbeddings - 1 }

    /// Infers the shapes from the official parameter tree.
    public static func infer(from store: WeightStore) throws -> TransformerConfig {
        func shape(_ key: String) throws -> [Int] {
            guard let s = store.shape(of: key) else { throw ModelLoadError.missingTensor(key) }
            return s
        }
        let words = try shape("Embed_0/word_embeddings/embedding")            // [V, C]
        let positions = try shape("Embed_0/position_embeddings/embedding")    // [L, C]
        let query = try shape("TransformerLayer_0/Attention_0/self_attention/query/kernel")  // [C, H, hd]
        let mlp = try shape("TransformerLayer_0/Mlp_0/intermediate_output/kernel")          // [C, I]
        guard words.count == 2, positions.count == 2, query.count == 3, mlp.count == 2 else {
            throw ModelLoadError.inconsistent("unexpected ranks: word \(words), position \(positions), query \(query), mlp \(mlp)")
        }
        let layers = store.childIndices(prefix: "TransformerLayer_")
        guard !layers.isEmpty, layers == Set(0..<layers.count) else {
            throw ModelLoadError.inconsistent("TransformerLayer indices \(layers.sorted()) are not 0..<n")
        }
        guard query[0] == words[1], query[1] * query[2] == words[1] else {
            throw ModelLoadError.inconsistent("query kernel \(query) does not match hidden size \(words[1])")
        }
        return TransformerConfig(vocabSize: words[0], hiddenSize: words[1], numLayers: layers.count, numHeads: query[1],
                                 intermediateSize: mlp[1], maxPositionEmbeddings: positions[0])
    }
}

/// Where codes, classes, the null class and the mask live in the vocabulary.
/// Official: codes 0..<1024, class tokens 1024 + label, mask 2024 (= vocab − 1), no null class.
/// Project models add a null class after the class tokens (Docs/Checkpoints.md).
public struct Vocabulary: Codable, Sendable, Equatable {
    public var codebookSize: Int
    public var classOffset: Int
    public var numClasses: Int
    public var nullClassID: Int?
    public var maskTokenID: Int
    public var vocabSize: Int

    enum CodingKeys: String, CodingKey {
        case codebookSize = "codebook_size"
        case classOffset = "class_offset"
        case numClasses = "num_classes"
        case nullClassID = "null_class_id"
        case maskTokenID = "mask_token_id"
        case vocabSize = "vocab_size"
    }

    public init(codebookSize: Int, classOffset: Int, numClasses: Int, nullClassID: Int?, maskTokenID: Int, vocabSize: Int) {
        self.codebookSize = codebookSize
        self.classOffset = classOffset
        self.numClasses = numClasses
        self.nullClassID = nullClassID
        self.maskTokenID = maskTokenID
        self.vocabSize = vocabSize
    }

    /// The official layout for a vocabulary of `vocabSize` over `codebookSize` codes.
    public static func official(vocabSize: Int, codebookSize: Int) -> Vocabulary {
        Vocabulary(codebookSize: codebookSize, classOffset: codebookSize, numClasses: vocabSize - codebookSize - 1,
                   nullClassID: nil, maskTokenID: vocabSize - 1, vocabSize: vocabSize)
    }

    /// Checks the layout against the transformer's vocabulary size.
    public func validate(vocabSize v: Int) throws {
        guard vocabSize == v, codebookSize > 0, numClasses >= 0, classOffset >= codebookSize,
              classOffset + numClasses <= v, maskTokenID >= 0, maskTokenID < v,
              nullClassID.map({ $0 >= 0 && $0 < v }) ?? true
        else { throw ModelLoadError.inconsistent("vocabulary \(self) does not fit a vocabulary of \(v) tokens") }
    }

    /// The token of class `label`.
    public func classToken(_ label: Int) -> Int32 { Int32(classOffset + label) }
}
