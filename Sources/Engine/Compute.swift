// Compute: what the kernels run on, for the server's `initialize` and logs (Tensors/Backend.swift).

import Tensors

/// The process-wide kernel settings, as the server reports them.
public enum ComputeInfo {
    /// Chooses the precision of the weights loaded from now on: `fp32`, `bf16` or `auto` (bf16
    /// only where the CPU has native bf16). Returns the precision in force, or nil for other text.
    @discardableResult
    public static func configure(precision choice: String) -> Precision? {
        guard let precision = Kernels.resolve(choice) else { return nil }
        Kernels.precision = precision
        return precision
    }

    /// Whether oneDNN can run bf16 products on this CPU (natively or emulated on AVX-512).
    public static var bf16Supported: Bool { Kernels.bf16Supported }

    /// `backend` (oneDNN or OpenBLAS), `isa` (oneDNN's name for the CPU's instruction set),
    /// `precision` (fp32 or bf16), `nativeBF16` and `threads`.
    public static var fields: (backend: String, isa: String, precision: String, nativeBF16: Bool, threads: Int) {
        (Kernels.backend.rawValue, Kernels.instructionSet, Kernels.precision.rawValue, Kernels.nativeBF16, BLAS.threads)
    }
}
