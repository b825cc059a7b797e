// `maskgit-cli batch`: many edits with one model load, in-process (the protocol's edit methods
// called directly, no transport): folders or a JSONL manifest in, outputs plus a results JSONL
// out; resumable, shardable, deterministic.

import ArgumentParser
import Dispatch
import Engine
import Foundation
import ImageCodecs
import JSONRPC
import RPCServer
import Sessions
import Tensors

struct Batch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Run many edits with one model load: folders of images and masks, or a JSONL manifest.",
        discussion: """
        Folders (IOPaint's convention): every PNG/WebP/JPEG in --images is inpainted with the mask of \
        the same name (or stem.png) in --masks; white = regenerate. Outputs: OUTPUT/<stem>.png.

        Manifest: one JSON object per line with the protocol's parameter names \
        (Protocol/openrpc.json) plus "op" (generate, inpaint, outpaint, classEdit), an optional \
        "id" (default line-N; names OUTPUT/<id>.png) and an optional "output" file name (.png or \
        .webp). "image" is a file path; "mask" is a PNG path, a list of [x, y, width, height] \
        rectangles, or the protocol's mask object; "class" a name or label. Relative paths \
        resolve against the manifest's folder (--root to change). For example:

          {"id": "cat1", "op": "inpaint", "image": "cat.png", "mask": [[16, 16, 32, 32]], "seed": 7}
          {"id": "fish", "op": "classEdit", "image": "cat.png", "rect": {"x": 8, "y": 8, "width": 32, "height": 32}, "class": "Animals & Nature"}
          {"op": "generate", "class": 3, "steps": 8, "guidance": 3}

        Each item gets one line in OUTPUT/results.jsonl (results-I-of-N.jsonl for a shard): id, \
        status "ok" with file, seed, size and timings, or status "error" with the protocol's error \
        (code, message, data.reason). A bad item is recorded and the batch goes on. An item \
        without a seed gets one derived from its id and parameters (recorded), so a rerun gives \
        the same bytes. Outputs are written atomically (temporary file, then rename). A rerun \
        resumes: items recorded as done whose file is complete, and recorded errors \
        (unless --retry-errors), are skipped.

        Scale-out: --shard I/N runs the items whose id hashes to I (or whose position is I mod N \
        with --shard-by index); --shards N takes I from $JOB_COMPLETION_INDEX (Kubernetes Indexed \
        Jobs). Launchers for GNU parallel, Ray and Kubernetes: Examples/batch/.

        Threads: 1 by default (--threads); the bytes of an output depend on the thread count, \
        so give every worker of a batch the same.

        Progress: a bar with rate and ETA when stderr is a terminal, one line per item otherwise. \
        stdout gets one JSON summary line. Exit status: 0 when every item of the shard has a \
        result (3 with --strict if any failed), 64 for unusable arguments or inputs, 2 when the model cannot be loaded.
        """
    )

    @Option(help: "A JSONL manifest (one edit per line).")
    var manifest: String?

    @Option(help: "A folder of images (PNG, WebP or JPEG) to edit.")
    var images: String?

    @Option(help: "A folder of masks matched to --images by name (white = regenerate).")
    var masks: String?

    @Option(help: "The operation for --images: inpaint, classEdit or outpaint.")
    var op: String = "inpaint"

    @Option(help: "Folder for the outputs and results.")
    var output: String

    @Option(help: "Protocol parameters (a JSON object) applied to every item that does not set them, e.g. '{\"steps\": 8}'.")
    var params: String?

    @Option(name: .customLong("class"), help: "The class (name or label) for every item that gives none.")
    var className: String?

    @Option(help: "Folder that relative paths of the manifest resolve against (default: the manifest's folder).")
    var root: String?

    @Option(help: "The results file (default: OUTPUT/results.jsonl, or OUTPUT/results-I-of-N.jsonl for a shard).")
    var results: String?

    @Option(help: "Run shard I of N (0 <= I < N).")
    var shard: String?

    @Option(help: "Run one of N shards, its index from the environment variable --shard-index-from.")
    var shards: Int?

    @Option(help: "The environment variable holding the shard index for --shards.")
    var shardIndexFrom: String = "JOB_COMPLETION_INDEX"

    @Option(help: "How items are assigned to shards: hash (of the id) or index (position mod N).")
    var shardBy: String = "hash"

    @Option(name: .customLong("model"), help: "A model directory (default: Models/default or $MASKGIT_MODEL).")
    var modelDirectory: String?

    @Option(help: "BLAS and kernel threads (default: $MASKGIT_BLAS_THREADS, else 1). Output bytes depend on the thread count: give every worker of a batch the same.")
    var threads: Int?

    @Option(help: "Largest accepted image, in pixels.")
    var maxPixels: Int = 16 << 20

    @Flag(help: "Run again the items an earlier run recorded as errors.")
    var retryErrors = false

    @Flag(help: "Exit 3 when any item of the shard failed.")
    var strict = false

    @Flag(help: "No progress on stderr (the summary line on stdout stays).")
    var quiet = false

    mutating func validate() throws {
        if (manifest == nil) == (images == nil) { throw ValidationError("give either --manifest or --images") }
        if masks != nil && images == nil { throw ValidationError("--masks goes with --images") }
        if shard != nil && shards != nil { throw ValidationError("give --shard I/N or --shards N, not both") }
        guard ShardSpec.Key(rawValue: shardBy) != nil else { throw ValidationError("--shard-by is hash or index") }
        if let shard, ShardSpec.parse(shard, key: .hash) == nil { throw ValidationError("--shard must be I/N with 0 <= I < N, got \(shard)") }
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1") }
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive") }
    }

    func shardSpec() throws -> ShardSpec {
        let key = ShardSpec.Key(rawValue: shardBy) ?? .hash
        if let shard { return ShardSpec.parse(shard, key: key)! }
        if let shards {
            let env = ProcessInfo.processInfo.environment[shardIndexFrom] ?? ""
            guard let i = Int(env), i >= 0, i < shards else {
                throw ValidationError("--shards \(shards) needs $\(shardIndexFrom) in 0..<\(shards), got \"\(env)\"")
            }
            return ShardSpec(index: i, count: shards, key: key)
        }
        return .all
    }

    func defaults() throws -> JSONObject {
        var object = JSONObject()
        if let params {
            guard let value = try? JSONParser.parse(params), let o = value.objectValue else {
                throw ValidationError("--params must be a JSON object")
            }
            object = o
        }
        if let className, object["class"] == nil { object["class"] = Int(className).map { .int($0) } ?? .string(className) }
        return object
    }

    func readItems() throws -> [BatchItem] {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let defaults = try defaults()
        if let manifest {
            let url = URL(fileURLWithPath: manifest, relativeTo: cwd).standardizedFileURL
            let base = root.map { URL(fileURLWithPath: $0, relativeTo: cwd).standardizedFileURL } ?? url.deletingLastPathComponent()
            do { return try BatchItems.manifest(url, root: base, defaults: defaults) } catch {
                throw ValidationError("cannot read the manifest \(manifest): \(error.localizedDescription)")
            }
        }
        guard let kind = EditKind(rawValue: op), kind != .generate else {
            throw ValidationError("--op for --images is inpaint, classEdit or outpaint")
        }
        if masks == nil && kind != .outpaint { throw ValidationError("--op \(op) needs --masks") }
        let imagesURL = URL(fileURLWithPath: images!, relativeTo: cwd).standardizedFileURL
        do {
            return try BatchItems.folders(images: imagesURL, masks: masks.map { URL(fileURLWithPath: $0, relativeTo: cwd).standardizedFileURL },
                                          op: kind, defaults: defaults)
        } catch {
            throw ValidationError("cannot list \(images!): \(error.localizedDescription)")
        }
    }

    func run() throws {
        let shard = try shardSpec()
        let all = try readItems()
        let mine = all.filter { shard.contains($0) }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let outputURL = URL(fileURLWithPath: output, relativeTo: cwd).standardizedFileURL
        do { try FileManager.default.createDirectory(at: outputURL, withIntermediateDirectories: true) } catch {
            throw ValidationError("cannot create \(output): \(error.localizedDescription)")
        }
        let resultsURL = results.map { URL(fileURLWithPath: $0, relativeTo: cwd).standardizedFileURL }
            ?? outputURL.appendingPathComponent(BatchResults.defaultName(shard: shard))

        // Resume: what earlier runs (any shard layout) recorded.
        let recorded = BatchResults.load(directory: outputURL, extra: resultsURL)
        var skippedDone = 0, skippedErrors = 0
        let todo = mine.filter { item in
            guard let r = recorded[item.id] else { return true }
            if r.ok, BatchResults.isComplete(r, outputDirectory: outputURL, expectedName: item.outputName) { skippedDone += 1; return false }
            if !r.ok, !retryErrors { skippedErrors += 1; return false }
            return true
        }
        let label = shard.count > 1 ? "batch \(shard.index)/\(shard.count): " : "batch: "
        if !quiet {
            BatchLog.line("\(label)\(all.count) items, \(mine.count) in this shard, \(skippedDone) done and \(skippedErrors) failed earlier, \(todo.count) to run; results in \(resultsURL.path)")
        }

        BatchResults.removeStaleTemporaries(in: outputURL, outputs: Set(todo.map(\.outputName)))
        let writer: ResultsWriter
        do { writer = try ResultsWriter(url: resultsURL) } catch { throw ValidationError("\(error.localizedDescription)") }

        // The model, once (not at all when nothing is left to run).
        var loadSeconds = 0.0
        var methods: [EditKind: any RPCMethod] = [:]
        if todo.contains(where: { $0.problem == nil }) {
            // One thread by default (scale out with shards instead): the same bytes on every machine.
            let environment = ProcessInfo.processInfo.environment[BLAS.threadsEnvironmentVariable].flatMap { Int($0) }
            BLAS.configure(threads: threads ?? environment ?? 1)
            let started = DispatchTime.now()
            let model: MaskGITModel
            do {
                let directory = try modelDirectory.map { URL(fileURLWithPath: $0, relativeTo: cwd) } ?? DefaultModel.locate()
                model = try MaskGITModel(directory: directory)
            } catch {
                BatchLog.line("\(label)cannot load a model: \(error)")
                throw ExitCode(2)
            }
            loadSeconds = seconds(since: started)
            if !quiet {
                BatchLog.line("\(label)model \(model.name) loaded in \(String(format: "%.2f", loadSeconds)) s; BLAS threads \(BLAS.threads)")
            }
            let context = ServerContext(models: [model], sessions: SessionStore(),
                                        images: ImagePolicy(allowedRoots: [URL(fileURLWithPath: "/")], limits: DecodeLimits(maxPixels: maxPixels)),
                                        options: ServerOptions(), openRPCDocument: .object([:]))
            for method in editMethods(context: context) { if let kind = EditKind(rawValue: method.name) { methods[kind] = method } }
        }

        let freshRun = todo.count == mine.count  // nothing recorded yet: the only run a test fault stops
        let progress = BatchProgress(total: todo.count, label: label, quiet: quiet)
        let runStarted = DispatchTime.now()
        var ok = 0, failed = 0
        for item in todo {
            let started = DispatchTime.now()
            var record: JSONObject = ["id": .string(item.id), "line": .int(item.line)]
            if let op = item.op { record["op"] = .string(op.rawValue) }
            var error: RPCError? = item.problem
            if error == nil, let op = item.op, let method = methods[op] {
                var params = item.params
                // The output name's extension names the format (.png, .webp, .jpg); none → PNG.
                let format = ImageFormat.fromExtension(of: item.outputName)?.rawValue ?? "png"
                params["output"] = .object(["path": .string(outputURL.appendingPathComponent(item.outputName).path),
                                            "format": .string(format)])
                do {
                    let answer = try method.handle(Params(params), context: RequestContext(method: op.rawValue))
                    let a = answer.objectValue ?? [:]
                    let image = a["image"]?.objectValue ?? [:]
                    record["status"] = .string("ok")
                    record["file"] = .string(item.outputName)
                    record["output"] = .string((output as NSString).appendingPathComponent(item.outputName))
                    record["seed"] = a["seed"] ?? params["seed"]
                    record["seedDerived"] = .bool(item.seedDerived)
                    record["width"] = image["width"]
                    record["height"] = image["height"]
                    record["bytes"] = image["bytes"]
                    var timings = a["timings"]?.objectValue ?? [:]
                    timings["itemMs"] = .double(milliseconds(since: started))
                    record["timings"] = .object(timings)
                } catch let e {
                    error = RPCError(e)
                }
            }
            if let error {
                record["status"] = .string("error")
                if let seed = item.params["seed"], item.problem == nil {
                    record["seed"] = seed
                    record["seedDerived"] = .bool(item.seedDerived)
                }
                var e: JSONObject = ["code": .int(error.code), "message": .string(error.message)]
                if let data = error.data {
                    e["data"] = data
                    if let reason = data.objectValue?["reason"] { e["reason"] = reason }
                }
                record["error"] = .object(e)
                record["timings"] = .object(["itemMs": .double(milliseconds(since: started))])
                failed += 1
            } else {
                ok += 1
            }
            if freshRun, TestFault.current == .afterOutput(ok + failed) { TestFault.die() }
            if freshRun, TestFault.current == .midRecord(ok + failed) { writer.appendTorn(.object(record)); TestFault.die() }
            do { try writer.append(.object(record)) } catch {
                BatchLog.line("\(label)\(error.localizedDescription)")
                throw ExitCode(2)
            }
            let reason = error?.data?.objectValue?["reason"]?.stringValue ?? error.map { String($0.code) }
            progress.step(id: item.id, ok: error == nil, seconds: seconds(since: started), detail: reason)
        }
        progress.finish()
        let runSeconds = seconds(since: runStarted)
        let rate = runSeconds > 0 ? Double(ok + failed) / runSeconds : 0
        let summary: JSONObject = [
            "shard": .string("\(shard.index)/\(shard.count)"), "items": .int(all.count), "inShard": .int(mine.count),
            "ran": .int(todo.count), "ok": .int(ok), "errors": .int(failed),
            "skippedDone": .int(skippedDone), "skippedErrors": .int(skippedErrors),
            "loadSeconds": .double(round3(loadSeconds)), "runSeconds": .double(round3(runSeconds)),
            "itemsPerSecond": .double(round3(rate)), "results": .string(resultsURL.path),
        ]
        print(JSONValue.object(summary).compactText)
        if !quiet {
            BatchLog.line("\(label)\(ok) ok, \(failed) failed in \(String(format: "%.1f", runSeconds)) s (\(String(format: "%.2f", rate)) items/s)")
        }
        if strict && (failed + skippedErrors) > 0 { throw ExitCode(3) }
    }
}

private func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

private func milliseconds(since start: DispatchTime) -> Double {
    (seconds(since: start) * 10_000).rounded() / 10
}

private func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

/// Fault injection for the resume tests (Examples/batch/tests): `MASKGIT_BATCH_TEST_KILL` =
/// `after-output:N` sends SIGKILL to this process once the N-th item's output is written but
/// before its results line; `mid-record:N` after writing half of the N-th results line. Only a
/// run that starts with nothing recorded for its shard is stopped, so the rerun completes.
enum TestFault: Equatable {
    case afterOutput(Int), midRecord(Int), none

    static let current: TestFault = {
        guard let spec = ProcessInfo.processInfo.environment["MASKGIT_BATCH_TEST_KILL"] else { return .none }
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[1]) else { return .none }
        switch parts[0] {
        case "after-output": return .afterOutput(n)
        case "mid-record": return .midRecord(n)
        default: return .none
        }
    }()

    static func die() -> Never {
        kill(getpid(), SIGKILL)
        fatalError("SIGKILL did not stop the process")
    }
}
