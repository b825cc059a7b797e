// `maskgit-cli convert INPUT OUTPUT.safetensors`: an official Flax msgpack checkpoint (or a
// safetensors file) to the project's safetensors file (Docs/Checkpoints.md), optionally stored
// as float16. The network is detected from the tree; the written file is loaded back strictly.

import ArgumentParser
import Checkpoints
import Foundation
import Transformer
import VQGAN

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a MaskGIT checkpoint (Flax msgpack or safetensors) to the project's safetensors file."
    )

    enum Network: String, ExpressibleByArgument, CaseIterable {
        case vqgan, transformer
    }

    @Argument(help: "Input checkpoint (official Flax msgpack or safetensors; the format is read from the bytes).")
    var input: String

    @Argument(help: "Output .safetensors path (replaced if present).")
    var output: String

    @Flag(help: "Store the tensors as float16 (halves the file; widened to float32 at load).")
    var f16 = false

    @Option(help: "vqgan or transformer (default: detected from the parameter tree).")
    var network: Network?

    @Option(help: "Transformer: codebook size K of the official vocabulary layout (codes, classes, mask); ignored when the input carries a vocabulary.")
    var codebookSize: Int = 1024

    @Option(help: "Transformer: a text file with one class name per line, in label order.")
    var classNames: String?

    @Option(help: "Native image size in pixels, recorded as image_size.")
    var imageSize: Int?

    @Option(help: "A description recorded in the metadata.")
    var description: String?

    func run() throws {
        let start = Date()
        let store = try WeightStore.open(URL(fileURLWithPath: input))
        let kind = try network ?? Self.detect(store)
        let url = URL(fileURLWithPath: output)
        let storage: SafetensorsWriter.Storage = f16 ? .float16 : .float32
        switch kind {
        case .vqgan:
            let config = try VQGANTokenizer.convert(store, to: url, storage: storage,
                                                    imageSize: imageSize, description: description)
            print("vqgan \(config.metadataJSON)")
        case .transformer:
            let names = try classNames.map(Self.readClassNames)
            let (config, vocabulary) = try BidirectionalTransformer.convert(
                store, to: url, storage: storage, codebookSize: codebookSize, classNames: names,
                imageSize: imageSize, description: description)
            print("transformer \(config.metadataJSON)")
            print("vocabulary \(vocabulary.metadataJSON)\(names == nil ? " (no class names)" : "")")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        let seconds = Date().timeIntervalSince(start)
        print("\(output): \(store.keys.count) tensors, \(storage.rawValue), \(size) bytes (\(String(format: "%.1f", seconds)) s)")
    }

    /// The network whose root parameters the tree holds.
    static func detect(_ store: WeightStore) throws -> Network {
        let tokenizer = store.has("quantizer/codebook") && store.has("encoder/Conv_0/kernel")
        let transformer = store.has("Embed_0/word_embeddings/embedding")
        switch (tokenizer, transformer) {
        case (true, false): return .vqgan
        case (false, true): return .transformer
        default:
            throw ValidationError("cannot tell the network from the tree (neither or both of quantizer/codebook and Embed_0/word_embeddings/embedding); pass --network")
        }
    }

    /// One class name per line; a trailing empty line is ignored, other empty lines are errors.
    static func readClassNames(_ path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if lines.last == "" { lines.removeLast() }
        if let blank = lines.firstIndex(of: "") {
            throw ValidationError("\(path): line \(blank + 1) is empty")
        }
        return lines
    }
}
