// VectorKernels: the element-wise kernels of Tensors (softmax, GELU-tanh, swish, LayerNorm) as C
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

/// Swish (SiLU) in place: x / (1 + exp(-x)).
void mgv_swish(float *x, size_t n);

/// LayerNorm of each of `rows` rows of `c` floats, in place: (x - mean)/sqrt(var + eps)·gamma + beta,
/// biased variance by two passes.
void mgv_layer_norm_rows(float *x, size_t rows, size_t c, const float *gamma, const float *beta, float eps);

/// The ISA the loader picked for these kernels: "avx512f", "avx2" or "baseline".
const char *mgv_isa(void);

#ifdef __cplusplus
}
#endif

#endif
