// maskgit-bench --outpaint: the cost of one outpaint against the networks' time inside it.
//
//     .build/release/maskgit-bench --outpaint 640x360 --margins 160,0,160,0 --repeats 3 --threads 1
//
// Runs OutpaintEdit on a model directory (default Models/default) with the server's default
// decoding for it (the model's outpaint defaults, guidance 2 when it has a null class, no class:
// unconditional when it can, else class 0; seed 1) on a photo-like synthetic image. The
// tokenizer and the predictor are wrapped in timers, so each round reports, in the same run,
// its wall time, the wall time spent inside the networks (transformer forwards, encodes,
// decodes) and the ratio of the two; CPU time likewise (user + system of the process). Medians
// over the rounds are printed last.

import Editing
import Engine
import Foundation
import ImageCodecs
import Synchronization

/// Wall and CPU seconds spent in network calls, by kind.
final class NetworkClock: Sendable {
    struct Totals {
        var wall: [String: Double] = [:]
        var cpu: [String: Double] = [:]
        var calls: [String: Int] = [:]
        var sequences = 0
    }
    private let state = Mutex(Totals())

    func time<T>(_ kind: String, sequences: Int = 0, _ body: () throws -> T) rethrows -> T {
        let t0 = DispatchTime.now().uptimeNanoseconds, c0 = Machine.processCPUSeconds()
        defer {
            let wall = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, cpu = Machine.processCPUSeconds() - c0
            state.withLock {
                $0.wall[kind, default: 0] += wall
                $0.cpu[kind, default: 0] += cpu
                $0.calls[kind, default: 0] += 1
                $0.sequences += sequences
            }
        }
        return try body()
    }

    func reset() { state.withLock { $0 = Totals() } }
    var totals: Totals { state.withLock { $0 } }
}

struct TimedTokenizer: ImageTokenizer {
    let base: any ImageTokenizer
    let clock: NetworkClock
    var tokenStride: Int { base.tokenStride }
    var nativeSize: Int { base.nativeSize }
    func encode(_ image: PixelBuffer) throws -> TokenGrid { try clock.time("encode") { try base.encode(image) } }
    func decode(_ grid: TokenGrid) throws -> PixelBuffer { try clock.time("decode") { try base.decode(grid) } }
}

struct TimedPredictor: TokenPredictor {
    let base: any TokenPredictor
    let clock: NetworkClock
    var codebookSize: Int { base.codebookSize }
    var gridShape: GridShape { base.gridShape }
    var maskTokenID: Int32 { base.maskTokenID }
    var numClasses: Int { base.numClasses }
    var nullClassID: Int? { base.nullClassID }
    func logits(tokens: [Int32], condition: Conditioning) throws -> [Float] {
        try clock.time("transformer", sequences: 1) { try base.logits(tokens: tokens, condition: condition) }
    }
    func logits(tokens: [Int32], conditions: [Conditioning]) throws -> [[Float]] {
        try clock.time("transformer", sequences: conditions.count) { try base.logits(tokens: tokens, conditions: conditions) }
    }
    func logits(batch: [PredictorPass]) throws -> [[Float]] {
        try clock.time("transformer", sequences: batch.count) { try base.logits(batch: batch) }
    }
}

enum OutpaintBench {
    /// A photo-like picture (gradients, two discs, mild noise), deterministic.
    static func photo(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height, layout: .rgb)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func noise() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 40) / Double(1 << 24) - 0.5
        }
        for y in 0..<height {
            for x in 0..<width {
                let fy = Double(y) / Double(height)
                var rgb: [Double] = y > height * 55 / 100
                    ? [70 + 40 * sin(Double(x) / 97), 120 + 30 * cos(Double(y) / 53), 60]
                    : [90 + 60 * fy, 140 + 50 * fy, 230 - 40 * fy]
                for (cx, cy, r, colour) in [(0.3, 0.4, 0.12, [240.0, 200, 60]), (0.7, 0.65, 0.09, [200.0, 60, 50])] {
                    let dx = Double(x) - cx * Double(width), dy = Double(y) - cy * Double(height)
                    if dx * dx + dy * dy < (r * Double(height)) * (r * Double(height)) { rgb = colour }
                }
                for k in 0..<3 {
                    image.pixels[(y * width + x) * 3 + k] = UInt8(max(0, min(255, (rgb[k] + 17 * noise()).rounded())))
                }
            }
        }
        return image
    }

    static func run(model directory: String, size: String, margins spec: String, repeats: Int, stride: Int?,
                    batch: Bool, steps: Int?) throws {
        let parts = size.split(separator: "x").compactMap { Int($0) }
        let m = spec.split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2, m.count == 4 else {
            throw BenchError("--outpaint WxH and --margins left,top,right,bottom")
        }
        let model = try MaskGITModel(directory: URL(fileURLWithPath: directory))
        let clock = NetworkClock()
        let editor = try ImageEditor(tokenizer: TimedTokenizer(base: model.tokenizer, clock: clock),
                                     predictor: TimedPredictor(base: model.predictor, clock: clock))
        var decoding = model.defaults.outpaint
        if let steps { decoding.steps = steps }
        if model.hasNullClass { decoding.guidance = Guidance(weight: Float(MaskGITModel.defaultGuidance)) }
        let image = photo(width: parts[0], height: parts[1])
        let edit = OutpaintEdit(image: image, margins: EdgeInsets(left: m[0], top: m[1], right: m[2], bottom: m[3]),
                                condition: model.hasNullClass ? .unconditional : .classLabel(0), decoding: decoding,
                                windowStride: stride, seed: 1, batchWindows: batch)
        print("maskgit-bench --outpaint \(size) margins \(spec) model \(directory): steps \(decoding.steps), guidance "
              + "\(decoding.guidance.map { "\($0.weight)" } ?? "none"), stride \(stride.map(String.init) ?? "default"), "
              + "batch \(batch), load average \(Machine.loadAverage())")
        var walls: [Double] = [], nets: [Double] = [], ratios: [Double] = [], cpuRatios: [Double] = []
        for round in 0..<max(1, repeats) {
            clock.reset()
            let t0 = DispatchTime.now().uptimeNanoseconds, c0 = Machine.processCPUSeconds()
            let result = try editor.apply(edit)
            let wall = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, cpu = Machine.processCPUSeconds() - c0
            let t = clock.totals
            let net = t.wall.values.reduce(0, +), netCPU = t.cpu.values.reduce(0, +)
            func f(_ v: Double?) -> String { String(format: "%.2f", v ?? 0) }
            print("round \(round + 1): \(result.windows.count) windows, wall \(f(wall)) s, in networks \(f(net)) s "
                  + "(transformer \(f(t.wall["transformer"])) s in \(t.calls["transformer"] ?? 0) calls of \(t.sequences) sequences, "
                  + "encode \(f(t.wall["encode"])) s × \(t.calls["encode"] ?? 0), decode \(f(t.wall["decode"])) s × \(t.calls["decode"] ?? 0)), "
                  + "wall/network \(String(format: "%.3f", wall / net)); CPU \(f(cpu)) s, in networks \(f(netCPU)) s, "
                  + "CPU/network \(String(format: "%.3f", cpu / netCPU))")
            walls.append(wall); nets.append(net); ratios.append(wall / net); cpuRatios.append(cpu / netCPU)
        }
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
        print(String(format: "median of %d: wall %.2f s, network %.2f s, wall/network %.3f, CPU/network %.3f",
                     walls.count, median(walls), median(nets), median(ratios), median(cpuRatios)))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ text: String) { description = text }
}
