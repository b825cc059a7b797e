// `maskgit-bench --kernels`: the engine's kernels one by one at the official 256 shapes, to see
// what a forward pass spends its time on (GEMM-backed ones with their GFLOP/s). Swift only.

import Foundation
import Tensors

enum KernelBench {
    struct Row {
        let name: String
        let shape: String
        let seconds: Double
        let flops: Double?
    }

    static func run(repeats: Int, warmup: Int) throws {
        var random = SeededGenerator(seed: 1)
        func tensor(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in random.nextPixelValue() - 0.5 })
        }
        var rows: [Row] = []
        func time(_ name: String, _ shape: String, flops: Double? = nil, _ body: () -> Void) throws {
            let s = try BenchCase.median(repeats: repeats, warmup: warmup) { body() }
            rows.append(Row(name: name, shape: shape, seconds: s, flops: flops))
        }

        // VQGAN, top level (256 x 256 x 128): the four ResBlock convs of encoder level 0 and
        // decoder level 0 are each one of these.
        let map = tensor([256, 256, 128])
        let k3 = tensor([3, 3, 128, 128]), k1 = tensor([1, 1, 128, 128])
        let scale = tensor([128]), bias = tensor([128])
        try time("conv2D 3x3", "256x256x128 -> 128", flops: 2 * 65536 * 1152 * 128) { _ = Ops.conv2D(map, kernel: k3) }
        try time("conv2D 1x1", "256x256x128 -> 128", flops: 2 * 65536 * 128 * 128) { _ = Ops.conv2D(map, kernel: k1) }
        for precision in Precision.allCases {
            // The layers' path: the kernel reordered once for oneDNN's NHWC primitive (nil: not available).
            guard let p3 = PreparedConv2D(kernel: k3, bias: nil, precision: precision, heightHint: 256, widthHint: 256) else { continue }
            try time("conv2D 3x3 prepared \(precision.rawValue)", "256x256x128 -> 128", flops: 2 * 65536 * 1152 * 128) {
                _ = Ops.conv2D(map, prepared: p3, kernel: k3)
            }
        }
        try time("groupNorm (32 groups)", "256x256x128") { _ = Ops.groupNorm(map, groups: 32, scale: scale, bias: bias) }
        try time("groupNormSwish (fused)", "256x256x128") { _ = Ops.groupNormSwish(map, groups: 32, scale: scale, bias: bias) }
        try time("swish", "256x256x128") { _ = Ops.swish(map) }
        try time("add (residual)", "256x256x128") { _ = Ops.add(map, map) }
        try time("avgPool2x2", "256x256x128") { _ = Ops.avgPool2x2(map) }
        let half = tensor([128, 128, 128])
        try time("upsampleNearest2x", "128x128x128") { _ = Ops.upsampleNearest2x(half) }
        let small = tensor([16, 16, 512]), k512 = tensor([3, 3, 512, 512])
        try time("conv2D 3x3", "16x16x512 -> 512", flops: 2 * 256 * 4608 * 512) { _ = Ops.conv2D(small, kernel: k512) }
        let z = tensor([256, 256]), codebook = tensor([1024, 256])
        try time("nearestCodeIndices", "256 x 1024 codes x 256", flops: 2 * 256 * 1024 * 256) { _ = Ops.nearestCodeIndices(z, codebook: codebook) }

        // Transformer (L = 257, C = 768, 16 heads, MLP 3072).
        let x = tensor([257, 768]), wq = tensor([768, 768]), w1 = tensor([768, 3072]), b1 = tensor([3072])
        let ln = tensor([768])
        try time("matmul + bias (q/k/v/out)", "257x768 . 768x768", flops: 2 * 257 * 768 * 768) { _ = Ops.matmul(x, wq, bias: ln) }
        try time("matmul + bias (MLP in)", "257x768 . 768x3072", flops: 2 * 257 * 768 * 3072) { _ = Ops.matmul(x, w1, bias: b1) }
        if let packed = PreparedMatrix(w1, precision: .bf16, rowsHint: 257) {
            try time("matmul + bias (MLP in) bf16", "257x768 . 768x3072", flops: 2 * 257 * 768 * 3072) {
                _ = Ops.matmul(x, w1, prepared: packed, bias: b1)
            }
        }
        let q = tensor([257, 768]), k = tensor([257, 768]), v = tensor([257, 768])
        try time("multiHeadAttention", "257 x 16 heads x 48", flops: 4 * 257 * 257 * 768) {
            _ = Ops.multiHeadAttention(query: q, key: k, value: v, heads: 16)
        }
        let m = tensor([257, 3072])
        try time("gelu (tanh)", "257x3072") { _ = Ops.gelu(m) }
        let scores = tensor([16, 257, 257])
        try time("softmax", "16x257x257") { _ = Ops.softmax(scores) }
        try time("layerNorm", "257x768") { _ = Ops.layerNorm(x, epsilon: 1e-12, scale: ln, bias: ln) }
        let emb = tensor([1024, 768])
        try time("matmul (code logits)", "256x768 . (1024x768)T", flops: 2 * 256 * 768 * 1024) {
            _ = Ops.matmul(q, emb, transposeB: true)
        }

        print("| kernel | shape | median ms | GFLOP/s |")
        print("|---|---|---:|---:|")
        for r in rows {
            let gflops = r.flops.map { String(format: "%.1f", $0 / r.seconds / 1e9) } ?? ""
            print("| \(r.name) | \(r.shape) | \(String(format: "%.2f", r.seconds * 1000)) | \(gflops) |")
        }
    }
}
