// BLAS: the one file in Tensors that imports CBLAS (OpenBLAS 0.3.21, pthread build), and the
// single GEMM call site: oneDNN's dnnl_sgemm when the oneDNN backend is in use (Backend.swift),
// else OpenBLAS.
//
// Policy (house style 13, after ggml-blas.cpp): the OpenBLAS thread count is set once per
// process, before the first product, and never changed afterwards; BLAS is never called from
// inside `Parallel.forEachRange`. Small products also go through sgemm: OpenBLAS itself runs
// products below its GEMM_MULTITHREAD_THRESHOLD on the calling thread, so there is no second
// hand-written small-matrix path to keep in step.
//
// Legend: M, N, K are the GEMM extents, C[M, N] = A[M, K] · B[K, N].

import CBLAS
import DNNLKernels
import Foundation

/// Process-wide GEMM thread configuration (OpenBLAS and oneDNN alike).
///
/// The thread count is fixed by the first call to `configure(threads:)`, or by the first
/// matrix product if nobody configured it: then it comes from the environment variable
/// `MASKGIT_BLAS_THREADS` (a positive integer) or else the number of active processor cores.
/// Later calls to `configure` change nothing and return the count in force. The same count
/// bounds the workers of the element-wise parallel loops, which never overlap a BLAS call.
public enum BLAS {
    /// Environment variable read for the default thread count.
    public static let threadsEnvironmentVariable = "MASKGIT_BLAS_THREADS"

    /// Sets the BLAS (and parallel-loop) thread count if it has not been set yet.
    ///
    /// - Parameter threads: the wanted count, clamped to at least 1; `nil` uses the default
    ///   (`MASKGIT_BLAS_THREADS`, else the active processor count).
    /// - Returns: the thread count in force, which is the first configured value.
    @discardableResult
    public static func configure(threads: Int? = nil) -> Int {
        threadState.withLock { current in
            if let current { return current }
            let count = max(1, threads ?? defaultThreadCount())
            Allocator.configure()  // the other process-wide kernel setting (Allocator.swift)
            openblas_set_num_threads(Int32(clamping: count))
            mgk_dnnl_set_threads(Int32(clamping: count))  // oneDNN (OpenMP), the same count
            current = count
            return count
        }
    }

    /// The thread count in force (configures the default on first use).
    public static var threads: Int { configure() }

    /// Whether the thread count has been fixed yet.
    public static var isConfigured: Bool { threadState.withLock { $0 != nil } }

    /// `MASKGIT_BLAS_THREADS` if it holds a positive integer, else the active processor count.
    public static func defaultThreadCount() -> Int {
        if let text = ProcessInfo.processInfo.environment[threadsEnvironmentVariable],
           let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// C = alpha·A·B (or alpha·A·Bᵀ) + beta·C on raw row-major buffers; the single sgemm call site.
    ///
    /// A is [M, K] with row stride `lda`; B is [K, N] (or [N, K] when `transposeB`) with row
    /// stride `ldb`; C is [M, N] with row stride `ldc`. With beta 0, C need not be initialised.
    static func gemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        alpha: Float = 1
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // Empty sum: C = beta·C (OpenBLAS rejects lda = 0).
            for row in 0..<m {
                let rowStart = c + row * ldc
                if beta == 0 {
                    rowStart.update(repeating: 0, count: n)
                } else {
                    for col in 0..<n { rowStart[col] *= beta }
                }
            }
            return
        }
        _ = configure()
        if Kernels.backend == .oneDNN,
           mgk_sgemm(Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb),
                     transposeB ? 1 : 0, beta, c, Int64(ldc)) == 0 {
            return
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda),
            b, blasint(ldb),
            beta, c, blasint(ldc))
    }
}

/// The configured thread count; `nil` until the first configuration.
private final class ThreadState: @unchecked Sendable {
    private let lock = NSLock()
    private var threads: Int?  // guarded by `lock`

    func withLock<R>(_ body: (inout Int?) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&threads)
    }
}

private let threadState = ThreadState()
