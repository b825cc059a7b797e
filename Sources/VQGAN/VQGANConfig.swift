// VQGANConfig: the hyper-parameters of the official MaskGIT tokenizer family
// (google-research/maskgit maskgit/configs/vqgan_config.py), read from a model file's metadata or
// inferred from the tensor shapes, so the 256 and 512 checkpoints and smaller models all load.

import Checkpoints
import Foundation
import Tensors

/// Configuration of a MaskGIT VQGAN tokenizer. The official ImageNet tokenizers use
/// `filters 128, channelMultipliers [1, 1, 2, 2, 4], numResBlocks 2, embeddingDim 256,
/// codebookSize 1024, numGroups 32`.
public struct VQGANConfig: Codable, Sendable, Equatable {
    public var filters: Int
    public var channelMultipliers: [Int]
    public var numResBlocks: Int
    public var embeddingDim: Int
    public var codebookSize: Int
    /// GroupNorm groups (Flax default 32).
    public var numGroups: Int
    /// GroupNorm epsilon (Flax default 1e-6).
    public var groupNormEpsilon: Float

    enum CodingKeys: String, CodingKey {
        case filters
        case channelMultipliers = "channel_multipliers"
        case numResBlocks = "num_res_blocks"
        case embeddingDim = "embedding_dim"
        case codebookSize = "codebook_size"
        case numGroups = "num_groups"
        case groupNormEpsilon = "group_norm_epsilon"
    }

    public init(filters: Int, channelMultipliers: [Int], numResBlocks: Int, embeddingDim: Int,
                codebookSize: Int, numGroups: Int = 32, groupNormEpsilon: Float = 1e-6) {
        self.filters = filters
        self.channelMultipliers = channelMultipliers
        self.numResBlocks = numResBlocks
        self.embeddingDim = embeddingDim
        self.codebookSize = codebookSize
        self.numGroups = numGroups
        self.groupNormEpsilon = groupNormEpsilon
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        filters = try c.decode(Int.self, forKey: .filters)
        channelMultipliers = try c.decode([Int].self, forKey: .channelMultipliers)
        numResBlocks = try c.decode(Int.self, forKey: .numResBlocks)
        embeddingDim = try c.decode(Int.self, forKey: .embeddingDim)
        codebookSize = try c.decode(Int.self, forKey: .codebookSize)
        numGroups = try c.decodeIfPresent(Int.self, forKey: .numGroups) ?? 32
        groupNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .groupNormEpsilon) ?? 1e-6
    }

    /// The official ImageNet 256/512 tokenizer.
    public static let official = VQGANConfig(filters: 128, channelMultipliers: [1, 1, 2, 2, 4], numResBlocks: 2,
                                             embeddingDim: 256, codebookSize: 1024)

    /// Number of resolution levels.
    public var levels: Int { channelMultipliers.count }
    /// Pixels per token along each axis: 2^(levels − 1) (16 for the official model).
    public var tokenStride: Int { 1 << (levels - 1) }
    /// Channels of level `i`.
    public func channels(level i: Int) -> Int { filters * channelMultipliers[i] }

    /// Infers the configuration from tensor shapes (official tree, see Docs/Checkpoints.md).
    /// `numGroups` cannot be seen in shapes: it comes from `groups` (metadata) or defaults to 32.
    public static func infer(from store: WeightStore, groups: Int? = nil) throws -> VQGANConfig {
        func shape(_ key: String) throws -> [Int] {
            guard let s = store.shape(of: key) else { throw ModelLoadError.missingTensor(key) }
            return s
        }
        let stem = try shape("encoder/Conv_0/kernel")            // [3, 3, 3, F]
        let head = try shape("encoder/Conv_1/kernel")            // [1, 1, C_last, D]
        let codebook = try shape("quantizer/codebook")           // [K, D]
        guard stem.count == 4, head.count == 4, codebook.count == 2 else {
            throw ModelLoadError.inconsistent("unexpected ranks: encoder/Conv_0 \(stem), encoder/Conv_1 \(head), quantizer/codebook \(codebook)")
        }
        let filters = stem[3]
        let encoderBlocks = store.childIndices(prefix: "encoder/ResBlock_").count
        let decoderConvs = store.childIndices(prefix: "decoder/Conv_").count
        // Decoder convs: Conv_0 (in), one per upsampling (levels − 1), and the output conv.
        let levels = decoderConvs - 1
        guard levels >= 1, encoderBlocks % (levels + 1) == 0 else {
            throw ModelLoadError.inconsistent("cannot infer levels: \(encoderBlocks) encoder ResBlocks, \(decoderConvs) decoder convs")
        }
        let numResBlocks = encoderBlocks / (levels + 1)
        var multipliers: [Int] = []
        for level in 0..<levels {
            let s = try shape("encoder/ResBlock_\(level * numResBlocks)/Conv_0/kernel")
            guard s.count == 4, filters > 0, s[3] % filters == 0 else {
                throw ModelLoadError.inconsistent("encoder/ResBlock_\(level * numResBlocks)/Conv_0/kernel \(s) is not a multiple of \(filters) filters")
            }
            multipliers.append(s[3] / filters)
        }
        return VQGANConfig(filters: filters, channelMultipliers: multipliers, numResBlocks: numResBlocks,
                           embeddingDim: codebook[1], codebookSize: codebook[0], numGroups: groups ?? 32)
    }
}
