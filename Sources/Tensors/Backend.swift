// Backend: which library computes the GEMMs and convolutions, and in which precision.
//
// Two backends (measured in Docs/Benchmarks.md, "Compute backends"):
//   - oneDNN (Debian libdnnl 2.6, through the DNNLKernels C target): picks its kernels from cpuid
//     at run time (AVX2, AVX-512, AVX512-BF16, AMX) with no CPU-model table and no environment
//     variable. GEMMs go through dnnl_sgemm (fp32) or a matmul primitive with the weights
//     reordered to bf16 once at load (bf16); convolutions are NHWC primitives with the kernel
//     reordered once at load (no im2col buffer).
//   - OpenBLAS (BLAS.swift): the fallback when oneDNN's engine cannot start, when a primitive is
//     not available for a shape or precision on this CPU, and when a test forces it.
// The naive twins under Reference are the third path; the tests compare all of them.
//
// Precision (`Kernels.precision`, one per process, set before models are loaded): fp32
// everywhere, or bf16 for the weight GEMMs (Dense layers, convolutions): weights and GEMM inputs
// rounded to bf16, products accumulated and written in fp32. LayerNorm, GroupNorm, softmax,
// activations, residuals, attention scores, the logits head and the sampler stay fp32.

import DNNLKernels
import Foundation

/// The arithmetic of the weight GEMMs.
public enum Precision: String, Sendable, CaseIterable {
    /// fp32 weights and inputs.
    case fp32
    /// bf16 weights and GEMM inputs, fp32 accumulation and outputs.
    case bf16
}

/// The library that computes a product.
public enum ComputeBackend: String, Sendable {
    case oneDNN
    case openBLAS
}

/// Process-wide kernel selection.
public enum Kernels {
    /// Whether oneDNN's CPU engine started (checked once).
    public static let oneDNNAvailable: Bool = mgk_dnnl_available() != 0

    /// oneDNN's ISA name for this CPU (e.g. `avx512_core_bf16`), or `none`.
    public static let instructionSet: String = {
        guard oneDNNAvailable else { return "none" }
        switch mgk_dnnl_isa() {
        case 0x1: return "sse41"
        case 0x3: return "avx"
        case 0x7: return "avx2"
        case 0x407: return "avx2_vnni"
        case 0x27: return "avx512_core"
        case 0x67: return "avx512_core_vnni"
        case 0xe7: return "avx512_core_bf16"
        case 0x3e7: return "avx512_core_amx"
        case let isa: return String(format: "isa 0x%x", isa)
        }
    }()

    /// Whether the CPU has native bf16 arithmetic that oneDNN uses (AVX512-BF16 or AMX-BF16).
    public static let nativeBF16: Bool = oneDNNAvailable && mgk_dnnl_has_native_bf16() != 0

    /// Whether oneDNN can run a bf16 matmul here at all (natively or emulated on AVX-512).
    public static let bf16Supported: Bool = {
        guard oneDNNAvailable else { return false }
        let probe = [Float](repeating: 0.5, count: 16 * 16)
        guard let handle = probe.withUnsafeBufferPointer({
            mgk_matmul_create(16, 16, $0.baseAddress, 0, Int32(MGK_BF16), 16)
        }) else { return false }
        mgk_matmul_destroy(handle)
        return true
    }()

    /// The backend products use now: oneDNN when available, unless a test forces the fallback.
    public static var backend: ComputeBackend {
        oneDNNAvailable && !forceFallback ? .oneDNN : .openBLAS
    }

    /// Test-only override: `true` routes every product to OpenBLAS and every convolution to
    /// im2col + OpenBLAS, including those with prepared weights. Never set by the server.
    public static var forceFallback: Bool {
        get { state.withLock { $0.forceFallback } }
        set { state.withLock { $0.forceFallback = newValue } }
    }

    /// Precision for weights prepared from now on (set it before loading a model; models keep
    /// the precision they were loaded with). fp32 until changed.
    public static var precision: Precision {
        get { state.withLock { $0.precision } }
        set { state.withLock { $0.precision = newValue } }
    }

    /// The precision `--precision auto|fp32|bf16` means on this machine: `auto` is bf16 only
    /// where the CPU has native bf16; `bf16` falls back to fp32 where oneDNN cannot run bf16
    /// at all. `nil` for any other text.
    public static func resolve(_ choice: String) -> Precision? {
        switch choice {
        case "fp32": return .fp32
        case "bf16": return bf16Supported ? .bf16 : .fp32
        case "auto": return nativeBF16 && bf16Supported ? .bf16 : .fp32
        default: return nil
        }
    }

    /// How idle OpenMP (oneDNN) workers wait: `passive` (the engine chose it before libgomp
    /// started: they sleep at once, DNNLKernels/omp_policy.c), `user` (the user's own
    /// OMP_WAIT_POLICY / GOMP_SPINCOUNT, kept) or `default` (libgomp's spin-then-sleep: with
    /// MASKGIT_OMP_WAIT=default, or where the re-exec could not be done).
    public static let threadWaitPolicy: String = {
        switch mgk_omp_wait_policy() {
        case Int32(MGK_OMP_WAIT_PASSIVE): return "passive"
        case Int32(MGK_OMP_WAIT_USER): return "user"
        default: return "default"
        }
    }()

    /// One line for logs: backend, ISA, precision, threads.
    public static var summary: String {
        "\(backend.rawValue) (\(instructionSet)), precision \(precision.rawValue), threads \(BLAS.threads), idle threads \(threadWaitPolicy)"
    }
}

private struct KernelSettings {
    var forceFallback = false
    var precision = Precision.fp32
}

private final class KernelState: @unchecked Sendable {
    private let lock = NSLock()
    private var settings = KernelSettings()  // guarded by `lock`

    func withLock<R>(_ body: (inout KernelSettings) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&settings)
    }
}

private let state = KernelState()

/// A weight matrix reordered by oneDNN once, for `Ops.matmul(_:prepared:bias:)`.
///
/// Made for bf16 only: in fp32, dnnl_sgemm on the plain row-major matrix measured as fast as a
/// packed primitive (Docs/Benchmarks.md), so fp32 layers keep no second copy.
public final class PreparedMatrix: @unchecked Sendable {
    let handle: OpaquePointer
    /// The arithmetic of products with this matrix.
    public let precision: Precision
    /// K and N of the product A[M, K]·B[K, N].
    public let k: Int, n: Int

    /// Reorders `weights` ([K, N], or [N, K] when `transposeB`), or returns nil when oneDNN is
    /// not in use or cannot do this product in `precision` here (the caller then uses
    /// `Ops.matmul` on the plain tensor). `rowsHint` is the usual M (it picks the layout).
    public init?(_ weights: Tensor, transposeB: Bool = false, precision: Precision, rowsHint: Int = 256) {
        precondition(weights.rank == 2, "PreparedMatrix: need a matrix, got \(weights.shape)")
        guard Kernels.backend == .oneDNN, precision == .bf16, Kernels.bf16Supported else { return nil }
        let k = transposeB ? weights.shape[1] : weights.shape[0]
        let n = transposeB ? weights.shape[0] : weights.shape[1]
        guard k > 0, n > 0 else { return nil }
        _ = BLAS.configure()
        guard let handle = weights.storage.withUnsafeBufferPointer({
            mgk_matmul_create(Int64(k), Int64(n), $0.baseAddress, transposeB ? 1 : 0,
                              Int32(MGK_BF16), Int64(max(1, rowsHint)))
        }) else { return nil }
        self.handle = handle
        self.precision = precision
        self.k = k
        self.n = n
    }

    deinit { mgk_matmul_destroy(handle) }

    /// Bytes held by the reordered copy.
    public var bytes: Int { mgk_matmul_weight_bytes(handle) }

    /// C[M, N] = A[M, K]·B + bias, or false when oneDNN failed (nothing is then promised about C).
    func run(m: Int, a: UnsafePointer<Float>, lda: Int, bias: UnsafePointer<Float>?,
             accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        _ = BLAS.configure()
        return mgk_matmul_run(handle, Int64(m), a, Int64(lda), bias, accumulate ? 1 : 0, c, Int64(ldc)) == 0
    }
}

/// A convolution kernel reordered by oneDNN once, for `Ops.conv2D(_:prepared:kernel:bias:)`.
public final class PreparedConv2D: @unchecked Sendable {
    let handle: OpaquePointer
    /// The arithmetic of this convolution.
    public let precision: Precision
    /// `[KH, KW, Ci, Co]` of the kernel.
    public let kernelShape: [Int]
    /// Whether the bias was folded in.
    public let hasBias: Bool

    /// Reorders an HWIO `kernel` (and `bias` [Co]) for stride-1 'SAME' convolution, or returns nil
    /// when oneDNN is not in use or has no fast primitive for it here.
    public init?(kernel: Tensor, bias: Tensor?, precision: Precision, heightHint: Int = 16, widthHint: Int = 16) {
        precondition(kernel.rank == 4, "PreparedConv2D: need an HWIO kernel, got \(kernel.shape)")
        let (kh, kw, ci, co) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
        if let bias { precondition(bias.shape == [co], "PreparedConv2D: bias \(bias.shape) must be [\(co)]") }
        guard Kernels.backend == .oneDNN, precision == .fp32 || Kernels.bf16Supported,
              kh > 0, kw > 0, ci > 0, co > 0 else { return nil }
        _ = BLAS.configure()
        let made: OpaquePointer? = kernel.storage.withUnsafeBufferPointer { k in
            if let bias {
                return bias.storage.withUnsafeBufferPointer { b in
                    mgk_conv_create(Int64(kh), Int64(kw), Int64(ci), Int64(co), k.baseAddress, b.baseAddress,
                                    Int32(precision == .bf16 ? MGK_BF16 : MGK_F32),
                                    Int64(max(1, heightHint)), Int64(max(1, widthHint)))
                }
            }
            return mgk_conv_create(Int64(kh), Int64(kw), Int64(ci), Int64(co), k.baseAddress, nil,
                                   Int32(precision == .bf16 ? MGK_BF16 : MGK_F32),
                                   Int64(max(1, heightHint)), Int64(max(1, widthHint)))
        }
        guard let made else { return nil }
        handle = made
        self.precision = precision
        kernelShape = kernel.shape
        hasBias = bias != nil
    }

    deinit { mgk_conv_destroy(handle) }

    /// Bytes held by the reordered copy.
    public var bytes: Int { mgk_conv_weight_bytes(handle) }

    /// The kernel read back as fp32 HWIO (bf16-rounded values for a bf16 kernel).
    public func kernel() -> Tensor {
        var out = Tensor(uninitialized: kernelShape)
        let status = out.storage.withUnsafeMutableBufferPointer { mgk_conv_unpack(handle, $0.baseAddress!) }
        precondition(status == 0, "PreparedConv2D: oneDNN could not read back a kernel it holds")
        return out
    }

    /// out[H, W, Co] = conv(input[H, W, Ci]) (+ bias), or false when oneDNN failed.
    func run(h: Int, w: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) -> Bool {
        _ = BLAS.configure()
        return mgk_conv_run(handle, Int64(h), Int64(w), input, output) == 0
    }
}

extension Ops {
    /// A·B + bias with a prepared B (bf16 through oneDNN); `plain` is the same B as a tensor,
    /// used when `prepared` is nil, when the fallback is forced, or if oneDNN fails.
    ///
    /// - Parameters:
    ///   - a: `[..., K]`.
    ///   - plain: `[K, N]` (or `[N, K]` with `transposeB`), the weights `prepared` was made from.
    ///   - bias: `[N]`.
    public static func matmul(
        _ a: Tensor, _ plain: Tensor, prepared: PreparedMatrix?, transposeB: Bool = false, bias: Tensor? = nil
    ) -> Tensor {
        guard let prepared, Kernels.backend == .oneDNN else {
            return matmul(a, plain, transposeB: transposeB, bias: bias)
        }
        let (m, k, n) = productExtents(a, plain, transposeB: transposeB)
        precondition(k == prepared.k && n == prepared.n, "matmul: prepared weights are [\(prepared.k), \(prepared.n)], plain \(plain.shape)")
        if let bias { precondition(bias.shape == [n], "matmul: bias \(bias.shape) must be [\(n)]") }
        var outShape = a.shape
        outShape[outShape.count - 1] = n
        var c = Tensor(uninitialized: outShape)
        guard m > 0 else { return c }
        let ok = a.storage.withUnsafeBufferPointer { pa in
            c.storage.withUnsafeMutableBufferPointer { pc in
                if let bias {
                    return bias.storage.withUnsafeBufferPointer { pb in
                        prepared.run(m: m, a: pa.baseAddress!, lda: k, bias: pb.baseAddress!,
                                     accumulate: false, c: pc.baseAddress!, ldc: n)
                    }
                }
                return prepared.run(m: m, a: pa.baseAddress!, lda: k, bias: nil,
                                    accumulate: false, c: pc.baseAddress!, ldc: n)
            }
        }
        return ok ? c : matmul(a, plain, transposeB: transposeB, bias: bias)
    }

    /// Convolution with a prepared kernel (oneDNN NHWC primitive). When the fallback is forced or
    /// oneDNN fails, the kernel is read back from the prepared copy (`PreparedConv2D.kernel()`)
    /// and im2col + GEMM computes the result, so layers keep no second fp32 copy.
    ///
    /// - Parameters:
    ///   - input: `[H, W, Ci]`.
    ///   - bias: `[Co]`, the bias the kernel was prepared with (nil when it had none).
    public static func conv2D(_ input: Tensor, prepared: PreparedConv2D, bias: Tensor? = nil) -> Tensor {
        precondition(prepared.hasBias == (bias != nil), "conv2D: the prepared kernel was made \(prepared.hasBias ? "with" : "without") a bias")
        precondition(input.rank == 3 && input.shape[2] == prepared.kernelShape[2],
                     "conv2D: kernel \(prepared.kernelShape) expects \(prepared.kernelShape[2]) input channels, input \(input.shape)")
        guard Kernels.backend == .oneDNN else { return conv2D(input, kernel: prepared.kernel(), bias: bias) }
        let h = input.shape[0], w = input.shape[1], co = prepared.kernelShape[3]
        var output = Tensor(uninitialized: [h, w, co])
        guard h > 0, w > 0 else { return output }
        let ok = input.storage.withUnsafeBufferPointer { src in
            output.storage.withUnsafeMutableBufferPointer { dst in
                prepared.run(h: h, w: w, input: src.baseAddress!, output: dst.baseAddress!)
            }
        }
        return ok ? output : conv2D(input, kernel: prepared.kernel(), bias: bias)
    }

    /// `conv2D(_:prepared:bias:)` when there is a prepared kernel, else the plain `kernel`.
    public static func conv2D(_ input: Tensor, prepared: PreparedConv2D?, kernel: Tensor, bias: Tensor? = nil) -> Tensor {
        if let prepared { return conv2D(input, prepared: prepared, bias: bias) }
        return conv2D(input, kernel: kernel, bias: bias)
    }

    /// Each value rounded to the nearest bf16 (ties to even), as the bf16 path rounds its GEMM
    /// inputs and weights; for the reference twins and the tests.
    public static func roundedToBF16(_ x: Tensor) -> Tensor {
        var out = Tensor(uninitialized: x.shape)
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                if let s = src.baseAddress, let d = dst.baseAddress { mgk_round_bf16(s, d, src.count) }
            }
        }
        return out
    }
}
