// Adapters from the real networks to the two protocols the editing code is written against:
// the VQGAN as an ImageTokenizer, the transformer as a TokenPredictor.
//
// Legend: N grid positions, K codebook size, S token stride.

import Editing
import Tensors
import Transformer
import VQGAN

/// The VQGAN tokenizer seen through `ImageTokenizer`.
public struct NetworkTokenizer: ImageTokenizer {
    public let network: VQGANTokenizer
    public let nativeSize: Int

    public init(_ network: VQGANTokenizer, nativeSize: Int) {
        self.network = network
        self.nativeSize = nativeSize
    }

    public var tokenStride: Int { network.config.tokenStride }

    public func encode(_ image: PixelBuffer) throws -> TokenGrid {
        let pixels = Tensor(shape: [image.height, image.width, 3], storage: image.samples)   // [H, W, 3]
        let ids = try network.encode(pixels)
        let s = tokenStride
        guard let grid = TokenGrid(width: image.width / s, height: image.height / s, tokens: ids) else {
            throw VQGANError.badTokenCount(ids.count, height: image.height / s, width: image.width / s)
        }
        return grid
    }

    public func decode(_ grid: TokenGrid) throws -> PixelBuffer {
        let pixels = try network.decode(grid.tokens, height: grid.height, width: grid.width)   // [H, W, 3]
        guard let buffer = PixelBuffer(width: pixels.shape[1], height: pixels.shape[0], samples: pixels.storage) else {
            throw VQGANError.badTokenCount(grid.tokens.count, height: grid.height, width: grid.width)
        }
        return buffer
    }
}

/// The bidirectional transformer seen through `TokenPredictor`: it prepends the class token and
/// returns the image positions' logits over the codebook only.
public struct NetworkPredictor: TokenPredictor {
    public let network: BidirectionalTransformer
    public let gridShape: GridShape

    public init(_ network: BidirectionalTransformer, gridShape: GridShape) {
        self.network = network
        self.gridShape = gridShape
    }

    public var codebookSize: Int { network.vocabulary.codebookSize }
    public var maskTokenID: Int32 { Int32(network.vocabulary.maskTokenID) }
    public var numClasses: Int { network.vocabulary.numClasses }
    public var nullClassID: Int? { network.vocabulary.nullClassID }

    public func logits(tokens: [Int32], condition: Conditioning) throws -> [Float] {
        try network.codeLogits([try classToken(condition)] + tokens).storage   // [N, K]
    }

    /// One forward pass for all conditions (guidance's conditional + unconditional pair).
    public func logits(tokens: [Int32], conditions: [Conditioning]) throws -> [[Float]] {
        let batch = try conditions.map { [try classToken($0)] + tokens }
        return try network.codeLogits(batch: batch).map(\.storage)
    }

    /// Independent passes (lockstep windows, each maybe with its guidance pair) in one forward pass.
    public func logits(batch: [PredictorPass]) throws -> [[Float]] {
        let sequences = try batch.map { [try classToken($0.condition)] + $0.tokens }
        return try network.codeLogits(batch: sequences).map(\.storage)
    }

    private func classToken(_ condition: Conditioning) throws -> Int32 {
        let classToken: Int32
        switch condition {
        case .classLabel(let label):
            guard label >= 0, label < numClasses else { throw DecodingError.classOutOfRange(label: label, numClasses: numClasses) }
            classToken = network.vocabulary.classToken(label)
        case .unconditional:
            guard let null = nullClassID else { throw DecodingError.unconditionalUnavailable }
            classToken = Int32(null)
        }
        return classToken
    }
}
