// maskgit-rpc: the server executable. Parses flags, loads the model(s), and serves JSON-RPC 2.0
// on stdin/stdout. The library modules do the work; this file only wires them.

import ArgumentParser
import Engine
import Foundation
import ImageCodecs
import JSONRPC
import RPCServer
import Sessions
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
        and exits 0; SIGTERM and SIGINT (Ctrl-C) cancel the running request, answer the queued ones \
        with -32800 and exit 0. Relative image paths are relative to the working directory. \
        Protocol: Protocol/openrpc.json (also served by the method rpc.discover).

        Every cost a request can cause is bounded by a limit (all reported by initialize under \
        "limits") or stops within one decoding step when cancelled: --max-line-bytes, 262144 JSON \
        values and 256 levels of nesting per line, --max-batch requests per batch, --max-queue \
        waiting requests (a batch counts as its size), --max-pixels per image, --max-file-bytes \
        per image file, --max-rects rectangles per mask, --max-windows windows per outpaint, \
        64 decoding steps, --max-sessions and --session-memory for sessions (the edited one \
        included: its oldest undo steps go first).

        Example (the loaded models and their classes):

          echo '{"jsonrpc":"2.0","id":1,"method":"models.list"}' | maskgit-rpc
        """,
        version: "maskgit-rpc \(serverVersion) (protocol \(protocolVersion))"
    )

    @Option(name: .customLong("model"), help: "A model directory (tokenizer + transformer files; repeatable: the first is the default).")
    var modelDirectories: [String] = []

    @Option(help: "A tokenizer file (Flax msgpack or safetensors); use with --transformer instead of --model.")
    var tokenizer: String?

    @Option(help: "A transformer file (Flax msgpack or safetensors); use with --tokenizer.")
    var transformer: String?

    @Option(help: "Request defaults: auto (the official code's for official Flax msgpack checkpoints, the project's otherwise), official or project. models.list reports them.")
    var defaults: String = "auto"

    @Option(name: .customLong("allow-root"), help: "A directory that image paths in requests may read from and write to (repeatable; no symbolic link below it is followed). Default: the working directory and the system temporary directory.")
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

    @Option(help: "Requests that may wait behind the running one (a batch counts as its size; more: -32006 for each).")
    var maxQueue: Int = 64

    @Option(help: "Most requests in one batch (more: one -32007 error).")
    var maxBatch: Int = 1024

    @Option(help: "Largest image file read from a path, in bytes (checked before reading).")
    var maxFileBytes: Int = 256 << 20

    @Option(help: "Most rectangles in one mask.")
    var maxRects: Int = 4096

    @Option(help: "Most context windows one outpaint may plan (each costs one decode of its steps).")
    var maxWindows: Int = 1024

    @Option(help: "BLAS and kernel threads (default: $MASKGIT_BLAS_THREADS or the number of cores).")
    var threads: Int?

    @Option(help: "Arithmetic of the weight GEMMs: fp32, bf16 (bf16 weights and GEMM inputs, fp32 accumulation), or auto (bf16 only where the CPU has native bf16: AVX512-BF16 or AMX).")
    var precision: String = "fp32"

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
        guard maxPixels > 0, maxLineBytes > 0, maxSessions > 0, sessionMemory > 0, maxUndo >= 0, maxQueue > 0,
              maxBatch > 0, maxFileBytes > 0, maxRects > 0, maxWindows > 0 else {
            throw ValidationError("limits must be positive")
        }
        guard ["fp32", "bf16", "auto"].contains(precision) else {
            throw ValidationError("--precision must be fp32, bf16 or auto")
        }
    }

    func run() throws {
        let protocolFD = StdioTransport.takeOverStdout()
        Log.verbose = !quiet
        BLAS.configure(threads: threads)
        ComputeInfo.configure(precision: precision)  // before loading: weights are prepared at load

        let started = Date()
        let models: [MaskGITModel]
        do {
            models = try loadModels()
        } catch {
            // Fatal: the server cannot serve without its model(s).
            FileHandle.standardError.write(Data("maskgit-rpc: error: cannot load a model: \(error)\n".utf8))
            throw ExitCode(2)
        }
        for model in models {
            Log.info("model \(model.name): \(model.nativeSize)px, \(model.classNames.count) classes, \(model.defaults.profile.rawValue) defaults, files \(model.files.tokenizer.path), \(model.files.transformer.path)")
        }
        Log.info(String(format: "loaded in %.2f s; ", Date().timeIntervalSince(started)) + "kernels \(Kernels.summary); serving JSON-RPC on stdio")

        var options = ServerOptions()
        options.maxLineBytes = maxLineBytes
        options.maxQueuedJobs = maxQueue
        options.maxBatchRequests = maxBatch
        options.maxMaskRects = maxRects
        options.maxOutpaintWindows = maxWindows
        options.strictLifecycle = strict
        var limits = SessionLimits()
        limits.maxSessions = maxSessions
        limits.memoryBudgetBytes = sessionMemory << 20
        limits.maxRevisions = maxUndo + 1
        let roots = allowedRoots.isEmpty
            ? [URL(fileURLWithPath: FileManager.default.currentDirectoryPath), FileManager.default.temporaryDirectory]
            : allowedRoots.map { URL(fileURLWithPath: $0) }
        let context = ServerContext(models: models, sessions: SessionStore(limits: limits),
                                    images: ImagePolicy(allowedRoots: roots, limits: DecodeLimits(maxPixels: maxPixels), maxFileBytes: maxFileBytes),
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
