// VectorKernels (see the header). Each public kernel is one target_clones function: the
// compiler emits an AVX-512, an AVX2 and a baseline body and an ifunc resolver that picks one
// from cpuid when the library loads. Reductions keep LANES partial results so the loops
// vectorise without -ffast-math; exp is the Cephes polynomial of Tensors/VectorMath.swift
// (the same clamp to [-87.3, 88], within 2 ulp), inlined into each clone.

#include "VectorKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__ELF__)
#define MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSION
#endif

enum { LANES = 16 };

static inline float exp_approx(float x) {
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.0f ? 88.0f : x;
    float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;  // round(x / ln 2)
    x = x - n * 0.693359375f + n * 2.1219444e-4f;
    float x2 = x * x;
    float p = 1.98756915e-4f;
    p = p * x + 1.3981999507e-3f;
    p = p * x + 8.3334519073e-3f;
    p = p * x + 4.1665795894e-2f;
    p = p * x + 1.6666665459e-1f;
    p = p * x + 5.0000001201e-1f;
    float er = p * x2 + x + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return er * scale;
}

MULTIVERSION
void mgv_softmax_rows(float *x, size_t rows, size_t c) {
    for (size_t r = 0; r < rows; r++) {
        float *p = x + r * c;
        float peak[LANES];
        for (int l = 0; l < LANES; l++) peak[l] = -INFINITY;
        size_t j = 0;
        for (; j + LANES <= c; j += LANES)
            for (int l = 0; l < LANES; l++) peak[l] = p[j + l] > peak[l] ? p[j + l] : peak[l];
        float m = -INFINITY;
        for (int l = 0; l < LANES; l++) m = peak[l] > m ? peak[l] : m;
        for (; j < c; j++) m = p[j] > m ? p[j] : m;

        float sums[LANES] = {0};
        j = 0;
        for (; j + LANES <= c; j += LANES)
            for (int l = 0; l < LANES; l++) {
                float e = exp_approx(p[j + l] - m);
                p[j + l] = e;
                sums[l] += e;
            }
        float sum = 0;
        for (; j < c; j++) {
            float e = exp_approx(p[j] - m);
            p[j] = e;
            sum += e;
        }
        for (int l = 0; l < LANES; l++) sum += sums[l];
        if (m == -INFINITY) sum = NAN;  // all -inf: NaN, as jax.nn.softmax
        float inverse = 1.0f / sum;
        for (j = 0; j < c; j++) p[j] *= inverse;
    }
}

MULTIVERSION
void mgv_gelu_tanh(float *x, size_t n) {
    const float k = 2.0f * 0.7978845608028654f;  // 2·sqrt(2/pi)
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        x[i] = v / (1.0f + exp_approx(-k * (v + 0.044715f * v * v * v)));
    }
}

// GELU of x + bias[j] over rows of c: the MLP's first product leaves A·B (beta = 0) and its bias is
// added here, in the one pass over the [L, I] matrix the activation makes anyway.
MULTIVERSION
void mgv_bias_gelu_tanh_rows(float *x, size_t rows, size_t c, const float *bias) {
    const float k = 2.0f * 0.7978845608028654f;
    for (size_t r = 0; r < rows; r++) {
        float *p = x + r * c;
        for (size_t j = 0; j < c; j++) {
            float v = p[j] + bias[j];
            p[j] = v / (1.0f + exp_approx(-k * (v + 0.044715f * v * v * v)));
        }
    }
}

MULTIVERSION
void mgv_swish(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        x[i] = v / (1.0f + exp_approx(-v));
    }
}

// LayerNorm of each row of x (+ residual, when not NULL: the post-LN block's x = LN(y + x), the
// sum made in the first pass, so the result equals an add followed by the norm bit for bit).
MULTIVERSION
void mgv_layer_norm_rows(float *x, size_t rows, size_t c, const float *gamma, const float *beta, float eps,
                         const float *residual) {
    for (size_t r = 0; r < rows; r++) {
        float *p = x + r * c;
        float sums[LANES] = {0};
        size_t j = 0;
        if (residual) {
            const float *q = residual + r * c;
            for (; j + LANES <= c; j += LANES)
                for (int l = 0; l < LANES; l++) {
                    p[j + l] += q[j + l];
                    sums[l] += p[j + l];
                }
            for (size_t t = j; t < c; t++) p[t] += q[t];
        } else {
            for (; j + LANES <= c; j += LANES)
                for (int l = 0; l < LANES; l++) sums[l] += p[j + l];
        }
        float sum = 0;
        for (; j < c; j++) sum += p[j];
        for (int l = 0; l < LANES; l++) sum += sums[l];
        float mean = sum / (float)c;

        // Second pass: deviations from the float mean, with their own sum, which corrects the
        // mean's rounding (the corrected two-pass algorithm): a row far from zero (|mean| >> std)
        // keeps its accuracy.
        float squares[LANES] = {0}, deviations[LANES] = {0};
        j = 0;
        for (; j + LANES <= c; j += LANES)
            for (int l = 0; l < LANES; l++) {
                float d = p[j + l] - mean;
                deviations[l] += d;
                squares[l] += d * d;
            }
        float sq = 0, dev = 0;
        for (; j < c; j++) {
            float d = p[j] - mean;
            dev += d;
            sq += d * d;
        }
        for (int l = 0; l < LANES; l++) {
            sq += squares[l];
            dev += deviations[l];
        }
        float variance = (sq - dev * dev / (float)c) / (float)c;
        float correction = dev / (float)c;  // true mean = mean + correction
        float inverse = 1.0f / sqrtf((variance > 0 ? variance : 0) + eps);
        // x − mean is exact for x near the mean (Sterbenz), so subtracting the two parts in turn
        // keeps what a single rounded mean would lose.
        for (j = 0; j < c; j++) p[j] = ((p[j] - mean) - correction) * inverse * gamma[j] + beta[j];
    }
}

// GroupNorm: contraction off so that the values equal the plain (Swift) loop's bit for bit; the
// loops are memory-bound, so the fused form would buy nothing.
MULTIVERSION
void mgv_channel_sums(const float *x, size_t rows, size_t c, const double *center, double *sums) {
#ifdef __clang__
#pragma clang fp contract(off)
#endif
    if (center) {
        for (size_t r = 0; r < rows; r++) {
            const float *p = x + r * c;
            for (size_t j = 0; j < c; j++) {
                double d = (double)p[j] - center[j];
                sums[j] += d * d;
            }
        }
    } else {
        for (size_t r = 0; r < rows; r++) {
            const float *p = x + r * c;
            for (size_t j = 0; j < c; j++) sums[j] += (double)p[j];
        }
    }
}

static inline float swish_value(float v) { return v / (1.0f + exp_approx(-v)); }

MULTIVERSION
void mgv_group_norm_rows(const float *x, float *out, size_t rows, size_t c, const float *hi,
                         const float *lo, const float *factor, const float *bias, int swish) {
#ifdef __clang__
#pragma clang fp contract(off)
#endif
    for (size_t r = 0; r < rows; r++) {
        const float *p = x + r * c;
        float *o = out + r * c;
        if (swish) {
            for (size_t j = 0; j < c; j++) o[j] = swish_value(((p[j] - hi[j]) - lo[j]) * factor[j] + bias[j]);
        } else {
            for (size_t j = 0; j < c; j++) o[j] = ((p[j] - hi[j]) - lo[j]) * factor[j] + bias[j];
        }
    }
}

// The clone the ifunc resolvers pick, by the same cpuid test.
const char *mgv_isa(void) {
#if defined(__x86_64__) && defined(__ELF__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
    return "baseline";
}
