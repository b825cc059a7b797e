// MaskGITModel: a loaded model (tokenizer + transformer), immutable and shared by every session.
// Loads a model directory with the project's safetensors pair or the official msgpack pair.

import Checkpoints
import Editing
import Foundation
import Transformer
import VQGAN

/// Errors of finding and assembling a model.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    case modelFilesNotFound(directory: String, tried: [String])
    case gridNotSquare(positions: Int)
    case codebookMismatch(tokenizer: Int, transformer: Int)

    public var description: String {
        switch self {
        case .modelFilesNotFound(let dir, let tried):
            "no model in \(dir): expected one of \(tried.joined(separator: ", "))"
        case .gridNotSquare(let positions):
            "the transformer has \(positions) positions; 1 + a square grid was expected"
        case .codebookMismatch(let t, let m):
            "the tokenizer has \(t) codes but the transformer's vocabulary expects \(m)"
        }
    }
}

/// A loaded MaskGIT model.
public struct MaskGITModel: Sendable {
    /// A short name (the directory's name by default).
    public let name: String
    public let tokenizer: NetworkTokenizer
    public let predictor: NetworkPredictor
    /// Class names in label order (generic names when the file has none).
    public let classNames: [String]
    /// Where the files came from.
    public let files: (tokenizer: URL, transformer: URL)
    /// The defaults requests get (official for official checkpoints, see ModelDefaults).
    public let defaults: ModelDefaults

    /// Native square size in pixels (grid × stride).
    public var nativeSize: Int { tokenizer.nativeSize }
    /// Guidance weight used when a request gives none, for models with a null class.
    public static let defaultGuidance: Double = 2

    /// Whether classifier-free guidance and unconditional generation are available.
    public var hasNullClass: Bool { predictor.nullClassID != nil }

    /// Builds a model from a tokenizer file and a transformer file (Flax msgpack or safetensors).
    /// `profile` nil: official defaults for a Flax msgpack transformer without a null class
    /// (an official checkpoint), the project's otherwise.
    public init(tokenizerFile: URL, transformerFile: URL, name: String? = nil, profile: ModelDefaults.Profile? = nil) throws {
        let vqgan = try VQGANTokenizer(contentsOf: tokenizerFile)
        let transformer = try BidirectionalTransformer(contentsOf: transformerFile, codebookSize: vqgan.config.codebookSize)
        guard transformer.vocabulary.codebookSize == vqgan.config.codebookSize else {
            throw EngineError.codebookMismatch(tokenizer: vqgan.config.codebookSize, transformer: transformer.vocabulary.codebookSize)
        }
        let positions = transformer.config.imageTokens
        let side = Int(Double(positions).squareRoot().rounded())
        guard side * side == positions, side > 0 else { throw EngineError.gridNotSquare(positions: transformer.config.maxPositionEmbeddings) }
        let grid = GridShape(height: side, width: side)
        self.name = name ?? transformerFile.deletingLastPathComponent().lastPathComponent
        tokenizer = NetworkTokenizer(vqgan, nativeSize: side * vqgan.config.tokenStride)
        predictor = NetworkPredictor(transformer, gridShape: grid)
        classNames = transformer.classNames ?? (0..<transformer.vocabulary.numClasses).map { "class \($0)" }
        files = (tokenizerFile, transformerFile)
        let official = transformer.vocabulary.nullClassID == nil && MaskGITModel.isFlaxMsgpack(transformerFile)
        defaults = .profile(profile ?? (official ? .official : .project))
    }

    /// Whether a file starts like a Flax msgpack checkpoint (the official format).
    static func isFlaxMsgpack(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 16)) ?? Data())
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? head.count
        return head.withUnsafeBytes { CheckpointFormat.sniff($0, fileSize: size) } == .flaxMsgpack
    }

    /// The file pairs a model directory may hold, in order of preference.
    public static let directoryLayouts: [(tokenizer: String, transformer: String)] = [
        ("tokenizer.safetensors", "transformer.safetensors"),
        ("tokenizer_imagenet256_checkpoint", "maskgit_imagenet256_checkpoint"),
        ("tokenizer_imagenet512_checkpoint", "maskgit_imagenet512_checkpoint"),
        ("tokenizer.msgpack", "transformer.msgpack"),
    ]

    /// Loads the first complete file pair found in `directory`.
    public init(directory: URL, name: String? = nil, profile: ModelDefaults.Profile? = nil) throws {
        let fm = FileManager.default
        for layout in Self.directoryLayouts {
            let t = directory.appendingPathComponent(layout.tokenizer)
            let m = directory.appendingPathComponent(layout.transformer)
            if fm.fileExists(atPath: t.path), fm.fileExists(atPath: m.path) {
                try self.init(tokenizerFile: t, transformerFile: m, name: name ?? directory.lastPathComponent, profile: profile)
                return
            }
        }
        throw EngineError.modelFilesNotFound(directory: directory.path,
                                             tried: Self.directoryLayouts.map { "\($0.tokenizer) + \($0.transformer)" })
    }

    /// An editor over this model.
    public func editor() throws -> ImageEditor {
        try ImageEditor(tokenizer: tokenizer, predictor: predictor)
    }
}
