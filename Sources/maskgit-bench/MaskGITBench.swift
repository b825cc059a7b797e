// maskgit-bench: per-phase timings of the Swift engine against the numpy reference on the same
// weights, in one run (a peer timed beside us on the same machine, medians and ratios). Not part of `swift test`; nothing gates on the numbers.
//
//     swift build -c release --product maskgit-bench
//     .build/release/maskgit-bench --repeats 3                 # from the repository root
//
// Phases: load (tokenizer + transformer files), encode (image -> token ids), one transformer
// pass (class token + all-mask sequence -> code logits), decode (token ids -> pixels). Each
// timed phase runs `--warmup` times untimed, then `--repeats` times; the table shows medians
// (load: one run) and the Swift/Python ratio (< 1: Swift is faster).

import ArgumentParser
import Checkpoints
import Foundation
import Tensors
import Transformer
import VQGAN

@main
struct MaskGITBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maskgit-bench",
        abstract: "Per-phase timings of the Swift engine vs the numpy reference on the same weights."
    )

    @Option(help: "Directory with the random full-size official-shaped 256 pair (make_fixtures.py --full-size); skipped when absent.")
    var fullSize: String = "runs/fullsize"

    @Option(help: "The tiny fixture directory.")
    var tiny: String = "Tests/EngineTests/Fixtures/tiny"

    @Option(help: "Further model directories (default: Models/default when it exists).")
    var model: [String] = []

    @Option(help: "Which file pair to load from a directory that has both: msgpack (the official format) or safetensors.")
    var format: FilePreference = .msgpack

    @Option(help: "Timed repeats per phase.")
    var repeats: Int = 3

    @Option(help: "Untimed runs per phase before timing.")
    var warmup: Int = 1

    @Option(help: "Extra repeats multiplier for small shapes (their phases take milliseconds).")
    var smallRepeats: Int = 10

    @Option(help: "BLAS (and parallel loop) threads; default MASKGIT_BLAS_THREADS or the core count. The Python peer gets the same count through OPENBLAS_NUM_THREADS.")
    var threads: Int?

    @Option(help: "Python interpreter for the numpy peer.")
    var python: String = ".venv/bin/python"

    @Option(help: "The numpy peer script.")
    var peer: String = "Training/maskgit_reference/bench.py"

    @Option(help: "Timed repeats per phase for the Python peer (default: as --repeats; its full-size transformer pass takes about a minute).")
    var pythonRepeats: Int?

    @Option(help: "Untimed runs per phase for the Python peer (default: as --warmup).")
    var pythonWarmup: Int?

    @Flag(help: "Skip the Python peer.")
    var noPython = false

    @Flag(help: "Skip the full-size shape (only the tiny fixture and the model directories).")
    var skipFullSize = false

    @Flag(help: "Time the kernels one by one at the official shapes instead (Swift only).")
    var kernels = false

    @Option(help: "Precision of the weight GEMMs: fp32, bf16 or auto (Tensors/Backend.swift).")
    var precision: String = "fp32"

    @Flag(help: "Serve greedy 8-step generations on stdin/stdout for scripts/bench_vs_pytorch.py (Generate.swift), on the --full-size pair.")
    var serveGeneration = false

    @Option(help: "Decode steps of a --serve-generation round.")
    var steps: Int = 8

    @Option(help: "Class label of a --serve-generation round.")
    var label: Int = 1

    @Option(help: "Time an outpaint of a WxH photo-like image instead (OutpaintBench.swift), on the first --model (default Models/default).")
    var outpaint: String?

    @Option(help: "--outpaint margins: left,top,right,bottom in pixels.")
    var margins: String = "160,0,160,0"

    @Option(help: "--outpaint window stride in tokens (default: the edit's area plan).")
    var windowStride: Int?

    @Option(help: "--outpaint decoding steps (default: the model's outpaint default).")
    var outpaintSteps: Int?

    @Flag(help: "--outpaint: decode the windows one by one (no batched transformer calls).")
    var noBatchWindows = false

    enum FilePreference: String, ExpressibleByArgument, CaseIterable {
        case msgpack, safetensors
    }

    func run() throws {
        let blasThreads = BLAS.configure(threads: threads)
        let mallocPolicy = Allocator.configure() ? "large blocks kept on the heap" : "glibc default"
        guard let chosen = Kernels.resolve(precision) else { throw ValidationError("--precision must be fp32, bf16 or auto") }
        Kernels.precision = chosen
        if serveGeneration {
            let dir = URL(fileURLWithPath: fullSize)
            try GenerationServer.run(tokenizer: dir.appendingPathComponent("tokenizer.msgpack"),
                                     transformer: dir.appendingPathComponent("transformer.msgpack"), steps: steps, label: label)
            return
        }
        if let outpaint {
            try OutpaintBench.run(model: model.first ?? "Models/default", size: outpaint, margins: margins, repeats: repeats,
                                  stride: windowStride, batch: !noBatchWindows, steps: outpaintSteps)
            return
        }
        if kernels {
            print("maskgit-bench --kernels: kernels \(Kernels.summary); malloc: \(mallocPolicy); load average \(Machine.loadAverage()); "
                  + "warmup \(warmup), median of \(repeats * smallRepeats)")
            try KernelBench.run(repeats: repeats * smallRepeats, warmup: warmup)
            return
        }
        var cases: [BenchCase] = []
        let fm = FileManager.default
        if !skipFullSize, fm.fileExists(atPath: fullSize) {
            cases.append(try BenchCase(name: "official-256 (random)", directory: fullSize, prefer: format, repeats: repeats))
        } else if !skipFullSize {
            print("note: \(fullSize) not found; make it with: .venv/bin/python Training/maskgit_reference/make_fixtures.py --full-size \(fullSize)")
        }
        cases.append(try BenchCase(name: "tiny fixture", directory: tiny, prefer: format, repeats: repeats * smallRepeats))
        var models = model
        if models.isEmpty, fm.fileExists(atPath: "Models/default") { models = ["Models/default"] }
        for dir in models {
            cases.append(try BenchCase(name: URL(fileURLWithPath: dir).lastPathComponent, directory: dir, prefer: format,
                                       repeats: repeats * smallRepeats))
        }

        print("maskgit-bench: kernels \(Kernels.summary) (Swift) / OPENBLAS_NUM_THREADS=\(blasThreads) (numpy peer); "
              + "\(ProcessInfo.processInfo.activeProcessorCount) active cores; load average \(Machine.loadAverage()); malloc: \(mallocPolicy)")
        print("Swift: warmup \(warmup), timed repeats \(repeats); Python: warmup \(pythonWarmup ?? warmup), repeats \(pythonRepeats ?? repeats) "
              + "(both x\(smallRepeats) for small shapes); medians in ms (load: one run); ratio = Swift / Python")
        var rows: [[String]] = []
        for var c in cases {
            let (swift, swiftCPU) = try c.runSwift(warmup: warmup)
            var py: [String: Double] = [:]
            var pyNote = ""
            if !noPython {
                do {
                    let pyRepeats = pythonRepeats.map { c.repeats == repeats ? $0 : $0 * smallRepeats } ?? c.repeats
                    py = try c.runPython(python: python, script: peer, threads: blasThreads,
                                         repeats: pyRepeats, warmup: pythonWarmup ?? warmup)
                } catch {
                    pyNote = " (python peer failed: \(error))"
                }
            }
            print("\n\(c.name): \(c.tokenizerFile.path) + \(c.transformerFile.path), \(c.imageSize) px, "
                  + "\(c.tokens) tokens, \(c.repeats) repeats; Swift peak RSS \(Machine.peakRSSMegabytes()) MB\(pyNote)")
            for phase in Phase.allCases {
                let s = swift[phase] ?? .nan
                let p = py[phase.pythonKey] ?? .nan
                rows.append([c.name, phase.rawValue, Self.ms(s), Self.ms(swiftCPU[phase] ?? .nan), Self.ms(p),
                             p.isNaN ? "-" : String(format: "%.2f", s / p)])
            }
        }
        print("")
        Self.printTable(header: ["shape", "phase", "swift ms", "swift cpu ms", "python ms", "swift/python"], rows: rows)
    }

    static func ms(_ seconds: Double) -> String {
        seconds.isNaN ? "-" : (seconds >= 0.1 ? String(format: "%.0f", seconds * 1000) : String(format: "%.2f", seconds * 1000))
    }

    /// A Markdown table, so the output pastes into Docs/Benchmarks.md as is.
    static func printTable(header: [String], rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { i, cell in
                i < 2 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                      : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: " | ") + " |"
        }
        print(line(header))
        print("|" + widths.enumerated().map { i, w in i < 2 ? String(repeating: "-", count: w + 2) : String(repeating: "-", count: w + 1) + ":" }
            .joined(separator: "|") + "|")
        for row in rows { print(line(row)) }
    }
}

enum Phase: String, CaseIterable {
    case load, encode
    case transformer = "transformer pass"
    case decode

    var pythonKey: String {
        switch self {
        case .load: "load_s"
        case .encode: "encode_median_s"
        case .transformer: "transformer_pass_median_s"
        case .decode: "decode_median_s"
        }
    }
}

/// One model to time: its two files and the input sizes.
struct BenchCase {
    let name: String
    let tokenizerFile: URL
    let transformerFile: URL
    let repeats: Int
    var imageSize = 0
    var tokens = 0

    static let layouts: [BenchCase.Layout] = [
        Layout(tokenizer: "tokenizer.msgpack", transformer: "transformer.msgpack", isMsgpack: true),
        Layout(tokenizer: "tokenizer_imagenet256_checkpoint", transformer: "maskgit_imagenet256_checkpoint", isMsgpack: true),
        Layout(tokenizer: "tokenizer_imagenet512_checkpoint", transformer: "maskgit_imagenet512_checkpoint", isMsgpack: true),
        Layout(tokenizer: "tokenizer.safetensors", transformer: "transformer.safetensors", isMsgpack: false),
    ]

    struct Layout {
        let tokenizer: String
        let transformer: String
        let isMsgpack: Bool
    }

    init(name: String, directory: String, prefer: MaskGITBench.FilePreference, repeats: Int) throws {
        let dir = URL(fileURLWithPath: directory)
        let wanted = prefer == .msgpack
        let ordered = Self.layouts.filter { $0.isMsgpack == wanted } + Self.layouts.filter { $0.isMsgpack != wanted }
        guard let layout = ordered.first(where: {
            FileManager.default.fileExists(atPath: dir.appendingPathComponent($0.tokenizer).path)
                && FileManager.default.fileExists(atPath: dir.appendingPathComponent($0.transformer).path)
        }) else { throw ValidationError("\(directory): no tokenizer/transformer file pair") }
        self.name = name
        tokenizerFile = dir.appendingPathComponent(layout.tokenizer)
        transformerFile = dir.appendingPathComponent(layout.transformer)
        self.repeats = max(1, repeats)
    }

    /// Swift timings in seconds: load once, then the median of each phase.
    mutating func runSwift(warmup: Int) throws -> (wall: [Phase: Double], cpu: [Phase: Double]) {
        var result: [Phase: Double] = [:], cpu: [Phase: Double] = [:]
        let t0 = Date(), cpu0 = Machine.processCPUSeconds()
        let tokenizer = try VQGANTokenizer(contentsOf: tokenizerFile)
        let transformer = try BidirectionalTransformer(contentsOf: transformerFile, codebookSize: tokenizer.config.codebookSize)
        result[.load] = Date().timeIntervalSince(t0)
        cpu[.load] = Machine.processCPUSeconds() - cpu0

        let grid = Int(Double(transformer.config.imageTokens).squareRoot().rounded())
        imageSize = grid * tokenizer.config.tokenStride
        tokens = grid * grid
        var random = SeededGenerator(seed: 0)
        let image = Tensor(shape: [imageSize, imageSize, 3],
                           storage: (0..<(imageSize * imageSize * 3)).map { _ in random.nextPixelValue() })
        var ids: [Int32] = []
        (result[.encode], cpu[.encode]) = try Self.timings(repeats: repeats, warmup: warmup) { ids = try tokenizer.encode(image) }
        var sequence = [Int32](repeating: Int32(transformer.vocabulary.maskTokenID), count: tokens + 1)
        sequence[0] = transformer.vocabulary.classToken(0)
        (result[.transformer], cpu[.transformer]) = try Self.timings(repeats: repeats, warmup: warmup) { _ = try transformer.codeLogits(sequence) }
        (result[.decode], cpu[.decode]) = try Self.timings(repeats: repeats, warmup: warmup) { _ = try tokenizer.decode(ids, height: grid, width: grid) }
        return (result, cpu)
    }

    /// The numpy peer on the same files: its JSON, numbers only.
    func runPython(python: String, script: String, threads: Int, repeats: Int, warmup: Int) throws -> [String: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--tokenizer", tokenizerFile.path, "--transformer", transformerFile.path,
                             "--image-size", String(imageSize), "--repeats", String(max(1, repeats)), "--warmup", String(warmup)]
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = String(threads)
        env["OMP_NUM_THREADS"] = String(threads)
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("exit status \(process.terminationStatus)") }
        guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw ValidationError("no JSON on stdout") }
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    static func median(repeats: Int, warmup: Int, _ body: () throws -> Void) throws -> Double {
        try timings(repeats: repeats, warmup: warmup, body).wall
    }

    /// Medians of the wall-clock time and of the process CPU time (user + system, all threads)
    /// of `body`. On a shared machine the CPU time is the steadier figure for comparing builds:
    /// it does not count the time other processes hold the cores (it does count OpenBLAS
    /// threads spinning while they wait).
    static func timings(repeats: Int, warmup: Int, _ body: () throws -> Void) throws -> (wall: Double, cpu: Double) {
        for _ in 0..<warmup { try body() }
        var walls: [Double] = [], cpus: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpu0 = Machine.processCPUSeconds()
            try body()
            cpus.append(Machine.processCPUSeconds() - cpu0)
            walls.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return (middle(walls), middle(cpus))
    }

    static func middle(_ values: [Double]) -> Double {
        let v = values.sorted()
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }
}

enum Machine {
    /// User + system CPU seconds of this process so far (all threads).
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// `VmHWM` of this process in MB (Linux), or "?".
    static func peakRSSMegabytes() -> String {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return "?" }
        return String(kb / 1024)
    }

    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
