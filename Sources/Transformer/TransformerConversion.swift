// Conversion of a transformer checkpoint (official Flax msgpack, or safetensors) to the project's
// safetensors file (Docs/Checkpoints.md section 2): names and layouts unchanged, `__metadata__`
// with format, network, the config inferred from the shapes, the vocabulary (the official layout
// over a given codebook size unless the source file carries one) and optional class names.
// JSON is written the way the reference's `json.dumps` writes it, so files match its bytes.

import Checkpoints
import Foundation
import Tensors

extension TransformerConfig {
    /// The config as the reference's `TransformerConfig.to_json()` (sorted keys, `seq_len` for
    /// the positions). `layer_norm_eps` is written only when it is not the default 1e-12.
    public var metadataJSON: String {
        var fields = [
            "\"hidden_size\": \(hiddenSize)",
            "\"intermediate_size\": \(intermediateSize)",
        ]
        if layerNormEpsilon != 1e-12 { fields.append("\"layer_norm_eps\": \(layerNormEpsilon)") }
        fields += [
            "\"num_heads\": \(numHeads)",
            "\"num_layers\": \(numLayers)",
            "\"seq_len\": \(maxPositionEmbeddings)",
            "\"vocab_size\": \(vocabSize)",
        ]
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

extension Vocabulary {
    /// The vocabulary as `json.dumps(vocab, sort_keys=True)`.
    public var metadataJSON: String {
        "{\"class_offset\": \(classOffset), \"codebook_size\": \(codebookSize), \"mask_token_id\": \(maskTokenID), "
            + "\"null_class_id\": \(nullClassID.map(String.init) ?? "null"), \"num_classes\": \(numClasses), "
            + "\"vocab_size\": \(vocabSize)}"
    }
}

extension BidirectionalTransformer {
    /// Class names as `json.dumps(names)` (ASCII-escaped, `", "` separators).
    public static func classNamesJSON(_ names: [String]) -> String {
        "[" + names.map { SafetensorsWriter.jsonString($0, asciiOnly: true) }.joined(separator: ", ") + "]"
    }

    /// The `__metadata__` of a converted transformer file.
    public static func conversionMetadata(config: TransformerConfig, vocabulary: Vocabulary, classNames: [String]?,
                                          imageSize: Int? = nil, description: String? = nil) -> [String: String] {
        var md = ["format": "maskgit-rpc/1", "network": "transformer", "config": config.metadataJSON,
                  "vocabulary": vocabulary.metadataJSON]
        if let classNames { md["class_names"] = classNamesJSON(classNames) }
        if let imageSize { md["image_size"] = String(imageSize) }
        if let description, !description.isEmpty { md["description"] = description }
        return md
    }

    /// Converts the transformer checkpoint in `store` to a safetensors file at `url`, one tensor
    /// in memory at a time, then loads the written file strictly; on any failure the output file
    /// is removed. The vocabulary is the source file's when it has one, else the official layout
    /// over `codebookSize` codes; `classNames`, when given, must name every class. An official
    /// file of 1000 classes without names gets the ImageNet-1k names (`ImageNetClasses`).
    @discardableResult
    public static func convert(_ store: WeightStore, to url: URL, storage: SafetensorsWriter.Storage = .float32,
                               codebookSize: Int = 1024, classNames: [String]? = nil,
                               imageSize: Int? = nil, description: String? = nil) throws -> (TransformerConfig, Vocabulary) {
        let config = try TransformerConfig.infer(from: store)
        var vocabulary = Vocabulary.official(vocabSize: config.vocabSize, codebookSize: codebookSize)
        if let json = store.metadata["vocabulary"] {
            do { vocabulary = try JSONDecoder().decode(Vocabulary.self, from: Data(json.utf8)) } catch {
                throw ModelLoadError.badMetadata(key: "vocabulary", reason: "\(error)")
            }
        }
        try vocabulary.validate(vocabSize: config.vocabSize)
        var names = classNames
        if names == nil, let json = store.metadata["class_names"] {
            names = try? JSONDecoder().decode([String].self, from: Data(json.utf8))
        }
        if names == nil, store.metadata["vocabulary"] == nil { names = ImageNetClasses.officialNames(for: vocabulary) }
        if let names, names.count != vocabulary.numClasses {
            throw ModelLoadError.badMetadata(key: "class_names", reason: "\(names.count) names for \(vocabulary.numClasses) classes")
        }
        let md = conversionMetadata(config: config, vocabulary: vocabulary, classNames: names,
                                    imageSize: imageSize, description: description)
        do {
            try SafetensorsWriter.convert(store, to: url, metadata: md, storage: storage)
            _ = try BidirectionalTransformer(contentsOf: url)
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw error
        }
        return (config, vocabulary)
    }
}
