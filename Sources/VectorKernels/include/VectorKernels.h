// VectorKernels: the element-wise kernels of Tensors (softmax, GELU-tanh, swish, LayerNorm, GroupNorm statistics and output) as C
// loops compiled once per instruction set (target_clones: AVX-512, AVX2, baseline) and chosen by
// the loader from the CPU's features, so they use the widest vectors the machine has. Swift
// calls them on contiguous ranges from its parallel loops (Tensors/Activations.swift,
// Normalization.swift); the naive Swift twins under Tensors/Reference check them.

#ifndef VECTOR_KERNELS_H
#define VECTOR_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Softmax of each of `rows` rows of `c` floats, in place: exp(x - max) / sum (one fused pass
/// for max, one for exp and sum, one for the scale). A row of -inf gives NaN, as jax does.
void mgv_softmax_rows(float *x, size_t rows, size_t c);

/// GELU, tanh form, in place: x / (1 + exp(-2·sqrt(2/pi)·(x + 0.044715·x^3))).
void mgv_gelu_tanh(float *x, size_t n);

/// GELU, tanh form, of x[r, j] + bias[j] over `rows` rows of `c` floats, in place (the MLP's first
/// product with its bias added in the activation's pass).
void mgv_bias_gelu_tanh_rows(float *x, size_t rows, size_t c, const float *bias);

/// Swish (SiLU) in place: x / (1 + exp(-x)).
void mgv_swish(float *x, size_t n);

/// LayerNorm of each of `rows` rows of `c` floats, in place: (x - mean)/sqrt(var + eps)·gamma + beta,
/// biased variance by two passes; with `residual` (not NULL, [rows, c]) of x + residual, the add
/// made in the first pass.
void mgv_layer_norm_rows(float *x, size_t rows, size_t c, const float *gamma, const float *beta, float eps,
                         const float *residual);

/// GroupNorm statistics: adds to sums[j] (j < c), over the `rows` rows of x [rows, c], either
/// Σ x[row, j] (center NULL) or Σ (x[row, j] − center[j])², in double, row after row (the same
/// order and operations, no fused multiply-add, as the naive Swift loop, so the result is the
/// same bit for bit); the loop runs across channels on the widest vectors.
void mgv_channel_sums(const float *x, size_t rows, size_t c, const double *center, double *sums);

/// GroupNorm output for `rows` rows of `c` channels: out[j] = ((x[j] − hi[j]) − lo[j])·factor[j]
/// + bias[j], then swish (the formula of mgv_swish) when `swish` is nonzero. No fused
/// multiply-add: the same values as the plain loop.
void mgv_group_norm_rows(const float *x, float *out, size_t rows, size_t c, const float *hi,
                         const float *lo, const float *factor, const float *bias, int swish);

/// The ISA the loader picked for these kernels: "avx512f", "avx2" or "baseline".
const char *mgv_isa(void);

#ifdef __cplusplus
}
#endif

#endif
