// Linear: matrix products on Tensor values (Dense layers, attention, VQ distances), via BLAS.gemm.
//
// Legend: M rows of A (all leading axes of A flattened), K the contracted axis, N output
// columns, B the batch of a batched product.

/// The fast kernels. Each has a naive twin with the same signature in `Reference`.
public enum Ops {}

extension Ops {
    /// A·B (or A·Bᵀ) plus an optional bias row.
    ///
    /// - Parameters:
    ///   - a: `[..., K]`; all leading axes are flattened into M rows.
    ///   - b: `[K, N]`, or `[N, K]` when `transposeB` (e.g. a tied embedding table).
    ///   - bias: `[N]`, added to every row.
    /// - Returns: `[..., N]`.
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeB: Bool = false, bias: Tensor? = nil
    ) -> Tensor {
        let (m, k, n) = productExtents(a, b, transposeB: transposeB)
        var outShape = a.shape
        outShape[outShape.count - 1] = n
        var c: Tensor
        if let bias {
            precondition(bias.shape == [n], "matmul: bias \(bias.shape) must be [\(n)]")
            c = Tensor(uninitialized: outShape)  // every row set to the bias, then beta = 1
            c.storage.withUnsafeMutableBufferPointer { out in
                bias.storage.withUnsafeBufferPointer { row in
                    for i in 0..<m {
                        (out.baseAddress! + i * n).update(from: row.baseAddress!, count: n)
                    }
                }
            }
        } else {
            c = Tensor(uninitialized: outShape)  // beta = 0 overwrites every element
        }
        gemm(a, b, transposeB: transposeB, m: m, n: n, k: k,
             beta: bias == nil ? 0 : 1, into: &c.storage)
        return c
    }

    /// Writes A·B (or A·Bᵀ) into `c`, or adds it to `c` when `accumulate` (GEMM beta = 1).
    ///
    /// Shapes as in `matmul(_:_:transposeB:bias:)`; `c` must already have the shape `[..., N]`
    /// with as many elements as the result (its leading axes are not checked beyond that).
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeB: Bool = false,
        into c: inout Tensor, accumulate: Bool = false
    ) {
        let (m, k, n) = productExtents(a, b, transposeB: transposeB)
        precondition(c.shape.last == n && c.count == m * n,
                     "matmul: output \(c.shape) cannot hold [\(m), \(n)]")
        gemm(a, b, transposeB: transposeB, m: m, n: n, k: k,
             beta: accumulate ? 1 : 0, into: &c.storage)
    }

    /// Batched product: `a` [B, M, K] · `b` [B, K, N] (or [B, N, K] when `transposeB`) → [B, M, N].
    ///
    /// One sgemm per batch entry, in sequence (e.g. per-head attention scores and mixing).
    public static func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0],
                     "batchedMatmul: need [B, M, K] and [B, K, N], got \(a.shape) and \(b.shape)")
        let batch = a.shape[0], m = a.shape[1], k = a.shape[2]
        let n = transposeB ? b.shape[1] : b.shape[2]
        let kb = transposeB ? b.shape[2] : b.shape[1]
        precondition(k == kb, "batchedMatmul: contracted extents differ in \(a.shape) and \(b.shape)")
        var c = Tensor(uninitialized: [batch, m, n])  // beta = 0 overwrites every element
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    for i in 0..<batch {
                        BLAS.gemm(m: m, n: n, k: k,
                                  a: pa.baseAddress! + i * m * k, lda: k,
                                  b: pb.baseAddress! + i * k * n, ldb: transposeB ? k : n,
                                  transposeB: transposeB, beta: 0,
                                  c: pc.baseAddress! + i * m * n, ldc: n)
                    }
                }
            }
        }
        return c
    }

    /// (M, K, N) of a product, after checking the shapes.
    static func productExtents(_ a: Tensor, _ b: Tensor, transposeB: Bool) -> (Int, Int, Int) {
        precondition(a.rank >= 1 && b.rank == 2,
                     "matmul: need a [..., K] and b [K, N], got \(a.shape) and \(b.shape)")
        let k = a.shape[a.rank - 1]
        let kb = transposeB ? b.shape[1] : b.shape[0]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == kb, "matmul: contracted extents differ: a \(a.shape), b \(b.shape)"
                     + (transposeB ? " (transposed)" : ""))
        return (a.shape.dropLast().reduce(1, *), k, n)
    }

    /// C[M, N] = A·op(B) + beta·C on the storages.
    private static func gemm(
        _ a: Tensor, _ b: Tensor, transposeB: Bool, m: Int, n: Int, k: Int,
        beta: Float, into c: inout [Float]
    ) {
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    guard let cBase = pc.baseAddress else { return }
                    // An empty A or B may have no base address; any valid pointer will do when
                    // K = 0 because BLAS.gemm then never reads it.
                    let dummy = UnsafePointer(cBase)
                    BLAS.gemm(m: m, n: n, k: k,
                              a: pa.baseAddress ?? dummy, lda: k,
                              b: pb.baseAddress ?? dummy, ldb: transposeB ? k : n,
                              transposeB: transposeB, beta: beta,
                              c: cBase, ldc: n)
                }
            }
        }
    }
}

extension Tensor {
    /// The axes reordered: result axis i is input axis `axes[i]` (like `jnp.transpose`).
    ///
    /// E.g. attention heads `[T, Hh, D]` → `[Hh, T, D]` with `permuted([1, 0, 2])`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permuted: \(axes) is not a permutation of 0..<\(rank)")
        let newShape = axes.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) {
            inStrides[axis] = inStrides[axis + 1] * shape[axis + 1]
        }
        let strides = axes.map { inStrides[$0] }  // input stride along each output axis
        var out = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        var source = 0
        for flat in 0..<count {
            out[flat] = storage[source]
            // Odometer increment of the output index, tracking the input offset.
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                source += strides[axis]
                if index[axis] < newShape[axis] { break }
                source -= strides[axis] * newShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(shape: newShape, storage: out)
    }

    /// The transpose of a matrix: `[R, S]` → `[S, R]`.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed: need a matrix, got \(shape)")
        return permuted([1, 0])
    }
}
