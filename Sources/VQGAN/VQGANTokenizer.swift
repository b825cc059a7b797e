// VQGANTokenizer: the whole tokenizer, image ↔ token grid, loaded strictly from a weight store.

import Checkpoints
import Foundation
import Tensors

/// Errors of running the tokenizer on a given input.
public enum VQGANError: Error, Sendable, Equatable, CustomStringConvertible {
    case badImageShape([Int], tokenStride: Int)
    case badTokenCount(Int, height: Int, width: Int)
    case tokenOutOfRange(Int32, codebookSize: Int)

    public var description: String {
        switch self {
        case .badImageShape(let shape, let stride):
            "image \(shape) must be [H, W, 3] with H and W positive multiples of \(stride)"
        case .badTokenCount(let n, let h, let w): "\(n) tokens do not fill a \(h)x\(w) grid"
        case .tokenOutOfRange(let id, let k): "token id \(id) is outside the codebook 0..<\(k)"
        }
    }
}

/// The MaskGIT VQGAN tokenizer: encoder, quantizer and decoder.
public struct VQGANTokenizer: Sendable {
    public let config: VQGANConfig
    public let encoder: VQGANEncoder
    public let quantizer: VectorQuantizer
    public let decoder: VQGANDecoder

    /// Builds the tokenizer from `store` (official tree at the store's root: `encoder/...`,
    /// `quantizer/...`, `decoder/...`), taking every tensor once; `finish()` on the store then
    /// reports any tensor left over.
    public init(store: WeightStore, config: VQGANConfig) throws {
        self.config = config
        let root = WeightScope(store)
        encoder = try VQGANEncoder(root("encoder"), config: config)
        quantizer = try VectorQuantizer(root("quantizer"), config: config)
        decoder = try VQGANDecoder(root("decoder"), config: config)
    }

    /// Loads a tokenizer file (Flax msgpack or safetensors): config from the metadata when
    /// present (checked against the shapes), else inferred; strict about missing, mis-shaped
    /// and unused tensors.
    public init(contentsOf url: URL) throws {
        let store = try WeightStore.open(url)
        var groups: Int?
        var declared: VQGANConfig?
        if let json = store.metadata["config"] {
            do {
                declared = try JSONDecoder().decode(VQGANConfig.self, from: Data(json.utf8))
                groups = declared?.numGroups
            } catch {
                throw ModelLoadError.badMetadata(key: "config", reason: "\(error)")
            }
        }
        let inferred = try VQGANConfig.infer(from: store, groups: groups)
        if let declared, declared != inferred {
            throw ModelLoadError.configMismatch(field: "vqgan", metadata: "\(declared)", inferred: "\(inferred)")
        }
        try self.init(store: store, config: inferred)
        try store.finish()
    }

    /// Encoder latents of an image [H, W, 3] in [0, 1].
    public func latents(_ image: Tensor) throws -> Tensor {
        let s = config.tokenStride
        guard image.rank == 3, image.shape[2] == 3, image.shape[0] > 0, image.shape[1] > 0,
              image.shape[0] % s == 0, image.shape[1] % s == 0
        else { throw VQGANError.badImageShape(image.shape, tokenStride: s) }
        return encoder(image)
    }

    /// Token ids (row-major, [H/S · W/S]) of an image [H, W, 3] in [0, 1].
    public func encode(_ image: Tensor) throws -> [Int32] {
        quantizer.encode(try latents(image))
    }

    /// Pixels [h·S, w·S, 3] (raw decoder output, not clipped) of a token grid.
    public func decode(_ ids: [Int32], height: Int, width: Int) throws -> Tensor {
        guard height > 0, width > 0, ids.count == height * width else {
            throw VQGANError.badTokenCount(ids.count, height: height, width: width)
        }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.codebookSize }) {
            throw VQGANError.tokenOutOfRange(bad, codebookSize: config.codebookSize)
        }
        return decoder(quantizer.embed(ids, height: height, width: width))
    }
}
