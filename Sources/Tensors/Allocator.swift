// Allocator: the process-wide malloc policy for tensor buffers, set once, like the BLAS thread
// count (one thread and allocation policy per process, set once).
//
// Why: a forward pass at the official 256 shape allocates and frees dozens of 32 MB feature maps
// ([256, 256, 128] floats). glibc serves every block above its mmap threshold (at most 32 MB)
// with a fresh mmap and returns it with munmap on free, so each new tensor costs 8192 page
// faults and the kernel's zeroing of its pages: about 20 ms per 32 MB tensor on the development
// machine, as much as the arithmetic of a GroupNorm and more than an element-wise add. Keeping
// large blocks on the heap (no mmap for them, and freed memory kept for reuse up to a cap)
// removes that cost: encode 1.69 -> 1.50 s, decode 3.48 -> 2.16 s, transformer pass
// 1.64 -> 1.07 s in one run (Docs/Benchmarks.md). Peak RSS is unchanged: a block is reused,
// not added; up to `retainedBytes` of freed memory stays resident between passes.
//
// Opt out with MASKGIT_MALLOC_POLICY=default (then glibc's defaults apply). No effect off glibc.

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Process-wide allocator policy for the tensor kernels.
public enum Allocator {
    /// Environment variable: `default` leaves malloc alone.
    public static let policyEnvironmentVariable = "MASKGIT_MALLOC_POLICY"
    /// Freed heap memory kept for reuse instead of being returned to the system (glibc
    /// M_TRIM_THRESHOLD): 512 MB, above the activations of a full-size 256 pass.
    public static let retainedBytes = 512 << 20

    /// Applies the policy once (later calls change nothing) and returns whether it is in force.
    /// Called by `BLAS.configure`, i.e. before the first product, so every user of the kernels
    /// gets it; executables may call it earlier.
    @discardableResult
    public static func configure() -> Bool { applied }

    private static let applied: Bool = {
        if ProcessInfo.processInfo.environment[policyEnvironmentVariable]?.lowercased() == "default" { return false }
        #if canImport(Glibc)
        // Large blocks from the heap, never from a fresh mmap (M_MMAP_MAX = 0); keep freed memory
        // up to retainedBytes at the top of the heap. A thread arena that cannot hold a block
        // falls back to the main arena. `mallopt` (malloc.h) is not in the Glibc module, so it is
        // looked up by name; the option codes are glibc's ABI constants.
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        let mMmapMax: Int32 = -4, mTrimThreshold: Int32 = -1
        let noMmap = mallopt(mMmapMax, 0) == 1
        let keep = mallopt(mTrimThreshold, Int32(retainedBytes)) == 1
        return noMmap && keep
        #else
        return false
        #endif
    }()
}
