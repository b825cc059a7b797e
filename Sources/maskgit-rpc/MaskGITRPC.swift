// maskgit-rpc: the server executable. Parses flags, loads the model(s), and serves JSON-RPC 2.0
// on stdin/stdout. The library modules do the work; this file only wires them.

import ArgumentParser
import Engine
import Foundation
import ImageCodecs
import JSONRPC
import RPCServer
import Synchronization
import Tensors

@main
struct MaskGITRPC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maskgit-rpc",
        abstract: "MaskGIT image editing (inpaint, outpaint, class edit, generate) over line-delimited JSON-RPC 2.0 on stdin/stdout.",
        discussion: """
        Reads one JSON-RPC message per line on stdin and writes one per line on stdout; logs go to \
        stderr. Without flags it serves the default model (Models/default, found next to the \
        executable's package or through $MASKGIT_MODEL). End of input finishes the queued requests \
        and exits 0; SIGTERM cancels them and exits 0. Protocol: Protocol/openrpc.json (also served by \
        the method rpc.discover). Example:

          echo '{"jsonrpc":"2.0","id":1,"method":"models.list","params":{"classes":false}}' | maskgit-rpc
        """
    )

    @Option(name: .customLong("model"), help: "A model directory (tokenizer + transformer files; repeatable: the first is the default).")
    var modelDirectories: [String] = []

    @Option(help: "A tokenizer file (Flax msgpack or safetensors); use with --transformer instead of --model.")
    var tokenizer: String?

    @Option(help: "A transformer file (Flax msgpack or safetensors); use with --tokenizer.")
    var transformer: String?

    @Option(help: "Request defaults: auto (the official code's for official Flax msgpack checkpoints, the project's otherwise), official or project. models.list reports them.")
    var defaults: String = "auto"

    @Option(name: .customLong("allow-root"), help: "A directory that image paths in requests may read from and write to (repeatable). Default: the working directory and the system temporary directory.")
    var allowedRoots: [String] = []

    @Option(help: "Largest accepted image, in pixels.")
    var maxPixels: Int = 16 << 20

    @Option(help: "Longest accepted input line, in bytes.")
    var maxLineBytes: Int = 64 << 20

    @Option(help: "Most open sessions; the least recently used is evicted past it.")
    var maxSessions: Int = 16

    @Option(help: "Memory budget of all sessions (images, token grids, undo history), in MiB.")
    var sessionMemory: Int = 512

    @Option(help: "Revisions kept per session for undo.")
    var maxUndo: Int = 31

    @Option(help: "Requests that may wait behind the running one.")
    var maxQueue: Int = 64

    @Option(help: "BLAS and kernel threads (default: $MASKGIT_BLAS_THREADS or the number of cores).")
    var threads: Int?

    @Flag(help: "Refuse requests before initialize (-32002), as LSP does.")
    var strict = false

    @Flag(help: "Log only warnings to stderr.")
    var quiet = false

    mutating func validate() throws {
        if (tokenizer == nil) != (transformer == nil) {
            throw ValidationError("--tokenizer and --transformer go together")
        }
        guard ["auto", "official", "project"].contains(defaults) else {
            throw ValidationError("--defaults is auto, official or project")
        }
        guard maxPixels > 0, maxLineBytes > 0, maxSessions > 0, sessionMemory > 0, maxUndo >= 0, maxQueue > 0 else {
            throw ValidationError("limits must be positive")
        }
    }

    func run() throws {
        let protocolFD = StdioTransport.takeOverStdout()
        Log.verbose = !quiet
        BLAS.configure(threads: threads)

        let started = Date()
        let models: [MaskGITModel]
        do {
            models = try loadModels()
        } catch {
            Log.warning("cannot load a model: \(error)")
            throw ExitCode(2)
        }
        for model in models {
            Log.info("model \(model.name): \(model.nativeSize)px, \(model.classNames.count) classes, \(model.defaults.profile.rawValue) defaults, files \(model.files.tokenizer.path), \(model.files.transformer.path)")
        }
        Log.info(String(format: "loaded in %.2f s; BLAS threads %d; serving JSON-RPC on stdio", Date().timeIntervalSince(started), BLAS.threads))

        var options = ServerOptions()
        options.maxLineBytes = maxLineBytes
        options.maxQueuedJobs = maxQueue
        options.strictLifecycle = strict
        var limits = SessionLimits()
        limits.maxSessions = maxSessions
        limits.memoryBudgetBytes = sessionMemory << 20
        limits.maxRevisions = maxUndo + 1
        let roots = allowedRoots.isEmpty
            ? [URL(fileURLWithPath: FileManager.default.currentDirectoryPath), FileManager.default.temporaryDirectory]
            : allowedRoots.map { URL(fileURLWithPath: $0) }
        let context = ServerContext(models: models, sessions: SessionStore(limits: limits),
                                    images: ImagePolicy(allowedRoots: roots, limits: DecodeLimits(maxPixels: maxPixels)),
                                    options: options, openRPCDocument: OpenRPCDocument.load())
        let writer = LineWriter(fd: protocolFD)
        let names = NameBox()
        let server = ServerCore(methods: makeMethods(context: context, methodNames: { names.value }), options: options) { writer.write($0) }
        names.value = server.methodNames.sorted()
        let code = StdioTransport.serve(server, framer: maxLineBytes)
        throw ExitCode(code)
    }

    /// The models named by flags, or the default model.
    private func loadModels() throws -> [MaskGITModel] {
        let profile = ModelDefaults.Profile(rawValue: defaults)
        if let tokenizer, let transformer {
            return [try MaskGITModel(tokenizerFile: URL(fileURLWithPath: tokenizer), transformerFile: URL(fileURLWithPath: transformer),
                                     profile: profile)]
        }
        if !modelDirectories.isEmpty {
            return try modelDirectories.map { try MaskGITModel(directory: URL(fileURLWithPath: $0), profile: profile) }
        }
        return [try MaskGITModel(directory: try DefaultModel.locate(), profile: profile)]
    }
}

/// The method names, filled in once the server exists (initialize reports them).
final class NameBox: Sendable {
    private let names = Mutex<[String]>([])
    var value: [String] {
        get { names.withLock { $0 } }
        set { names.withLock { $0 = newValue } }
    }
}
