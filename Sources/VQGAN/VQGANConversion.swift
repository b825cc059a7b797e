// Conversion of a tokenizer checkpoint (official Flax msgpack, or safetensors) to the project's
// safetensors file (Docs/Checkpoints.md section 2): names and layouts unchanged, `__metadata__`
// with format, network and the config inferred from the shapes, optional F16 storage.

import Checkpoints
import Foundation
import Tensors

extension VQGANConfig {
    /// The config as the metadata JSON the reference writes (`TokenizerConfig.to_json()`:
    /// sorted keys, `", "` and `": "` separators), so converted files match its bytes.
    /// `group_norm_epsilon` is written only when it is not the default 1e-6.
    public var metadataJSON: String {
        var fields = [
            "\"channel_multipliers\": [\(channelMultipliers.map(String.init).joined(separator: ", "))]",
            "\"codebook_size\": \(codebookSize)",
            "\"embedding_dim\": \(embeddingDim)",
            "\"filters\": \(filters)",
        ]
        if groupNormEpsilon != 1e-6 { fields.append("\"group_norm_epsilon\": \(groupNormEpsilon)") }
        fields += ["\"num_groups\": \(numGroups)", "\"num_res_blocks\": \(numResBlocks)"]
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

extension VQGANTokenizer {
    /// The `__metadata__` of a converted tokenizer file.
    public static func conversionMetadata(config: VQGANConfig, imageSize: Int? = nil,
                                          description: String? = nil) -> [String: String] {
        var md = ["format": "maskgit-rpc/1", "network": "vqgan", "config": config.metadataJSON]
        if let imageSize { md["image_size"] = String(imageSize) }
        if let description, !description.isEmpty { md["description"] = description }
        return md
    }

    /// Converts the tokenizer checkpoint in `store` to a safetensors file at `url`, one tensor in
    /// memory at a time, then loads the written file strictly (shapes, unused tensors, metadata
    /// against shapes); on any failure the output file is removed. Returns the config.
    @discardableResult
    public static func convert(_ store: WeightStore, to url: URL, storage: SafetensorsWriter.Storage = .float32,
                               imageSize: Int? = nil, description: String? = nil) throws -> VQGANConfig {
        var groups: Int?
        if let json = store.metadata["config"] {
            groups = (try? JSONDecoder().decode(VQGANConfig.self, from: Data(json.utf8)))?.numGroups
        }
        let config = try VQGANConfig.infer(from: store, groups: groups)
        do {
            try SafetensorsWriter.convert(store, to: url,
                                          metadata: conversionMetadata(config: config, imageSize: imageSize, description: description),
                                          storage: storage)
            _ = try VQGANTokenizer(contentsOf: url)
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw error
        }
        return config
    }
}
