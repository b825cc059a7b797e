// DNNLKernels: the oneDNN (Debian libdnnl 2.6) primitives behind Tensors' fast GEMM and
// convolution paths, as a small C API that Swift calls (Tensors/Backend.swift is the only caller).
//
// oneDNN picks its kernels from cpuid at run time (AVX2, AVX-512, AVX512-BF16, AMX), with no
// CPU-model table and no environment variable. Every function reports failure by its return value
// (0 = success); the Swift side then falls back to OpenBLAS, so a CPU or build of oneDNN that
// lacks a primitive (e.g. bf16 on an AVX2-only CPU) still computes the right result.
//
// Legend: C[M, N] = A[M, K] · B[K, N]; feature maps are NHWC with batch 1 ([H, W, C]); conv
// kernels HWIO ([KH, KW, Ci, Co], as Flax stores them).

#ifndef DNNL_KERNELS_H
#define DNNL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when a oneDNN CPU engine and stream could be created (done once, lazily).
int mgk_dnnl_available(void);

/// oneDNN's effective ISA (dnnl_cpu_isa_t value: 0x7 avx2, 0x27 avx512_core, 0xe7 avx512_core_bf16,
/// 0x3e7 avx512_core_amx, ...), or 0 when unavailable.
unsigned mgk_dnnl_isa(void);

/// 1 when the CPU has native bf16 arithmetic that oneDNN uses (AVX512-BF16 or AMX-BF16).
int mgk_dnnl_has_native_bf16(void);

/// What the engine did about libgomp's wait policy before the runtime started (omp_policy.c).
enum {
    MGK_OMP_WAIT_DEFAULT = 0,  // libgomp's default spin (MASKGIT_OMP_WAIT=default, no exec, or not an executable)
    MGK_OMP_WAIT_PASSIVE = 1,  // the engine chose OMP_WAIT_POLICY=passive (re-exec): idle workers sleep at once
    MGK_OMP_WAIT_USER = 2,     // the user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT, kept
};
int mgk_omp_wait_policy(void);

/// The thread count oneDNN (OpenMP) uses for every later primitive, on whichever thread runs it.
void mgk_dnnl_set_threads(int threads);

/// Row-major C = alpha·A·op(B) + beta·C (dnnl_sgemm). Returns 0 on success.
int mgk_sgemm(int64_t m, int64_t n, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, int transpose_b,
              float beta, float *c, int64_t ldc);

/// Runs fn(ctx, i) for every i in 0..<chunks on the OpenMP thread pool oneDNN uses (libgomp), at
/// most `threads` at once, the calling thread included; returns when all are done. One pool for
/// the GEMMs and the element-wise loops: a second pool (Dispatch) woke its own threads next to the
/// sleeping OpenMP workers and the two competed for the cores. Safe to call from any thread.
typedef void (*mgk_chunk_fn)(void *ctx, int64_t chunk);
void mgk_parallel_chunks(int64_t chunks, int threads, mgk_chunk_fn fn, void *ctx);

/// Multi-head attention without a mask on [B·L, C] row-major q, k, v (heads side by side,
/// C = heads·hd, B = `sequences` stacked as rows): out[b, :, h] = softmax(q·kᵀ·alpha)·v per
/// sequence b and head h. The (b, h) pairs are split over the threads, each pair computed by one
/// thread with single-threaded GEMMs on its own [L, L] scratch (L2-resident at L = 257), so a
/// call is one parallel region instead of two per head. `scratch` holds threads·L·L floats.
/// Returns 0 on success.
int mgk_attention(int64_t sequences, int64_t l, int64_t heads, int64_t hd, float alpha,
                  const float *q, const float *k, const float *v, float *out,
                  float *scratch, int threads);

/// Element type of prepared weights and of the GEMM / convolution inputs.
enum { MGK_F32 = 0, MGK_BF16 = 1 };

/// A matmul whose right-hand matrix was reordered (packed, possibly converted to bf16) once.
typedef struct mgk_matmul mgk_matmul;

/// Prepares B: [K, N] row-major, or [N, K] when `transpose_b` (a tied embedding table).
/// `m_hint` is the row count used to choose the packed layout (other M work too).
/// Returns NULL when oneDNN cannot do this product in this precision on this CPU.
mgk_matmul *mgk_matmul_create(int64_t k, int64_t n, const float *b, int transpose_b,
                              int precision, int64_t m_hint);
void mgk_matmul_destroy(mgk_matmul *mm);
/// Bytes held by the packed weights (all layouts made so far).
size_t mgk_matmul_weight_bytes(const mgk_matmul *mm);

/// C[M, N] (row stride ldc) = A[M, K] (row stride lda) · B + bias (nullable, [N]) + (accumulate ? C : 0).
/// In bf16 precision A is rounded to bf16 first; accumulation and C are fp32. Returns 0 on success.
int mgk_matmul_run(mgk_matmul *mm, int64_t m, const float *a, int64_t lda,
                   const float *bias, int accumulate, float *c, int64_t ldc);

/// A stride-1 'SAME' 2-D convolution with its HWIO kernel reordered once.
typedef struct mgk_conv mgk_conv;

/// Prepares a [KH, KW, Ci, Co] kernel and optional bias [Co]. Returns NULL when unsupported.
mgk_conv *mgk_conv_create(int64_t kh, int64_t kw, int64_t ci, int64_t co,
                          const float *kernel, const float *bias, int precision,
                          int64_t h_hint, int64_t w_hint);
void mgk_conv_destroy(mgk_conv *conv);
size_t mgk_conv_weight_bytes(const mgk_conv *conv);

/// Writes the kernel back as fp32 HWIO [KH, KW, Ci, Co] (bf16-rounded values in bf16 precision),
/// so that callers need not keep a second copy for a fallback. Returns 0 on success.
int mgk_conv_unpack(mgk_conv *conv, float *kernel);

/// out[H, W, Co] = conv(in[H, W, Ci]) + bias. Returns 0 on success.
int mgk_conv_run(mgk_conv *conv, int64_t h, int64_t w, const float *input, float *output);

/// Round-to-nearest-even fp32 → bf16 → fp32 of n values (the rounding the bf16 path applies
/// to its GEMM inputs), for tests and for the reference twins.
void mgk_round_bf16(const float *src, float *dst, size_t n);

#ifdef __cplusplus
}
#endif

#endif
