// bench-backends: OpenBLAS (as shipped, no variable) against oneDNN (Debian libdnnl 2.6) at the
// official MaskGIT shapes: the transformer's GEMMs and the VQGAN decoder's convolutions, fp32 and
// bf16, at a given thread count. Not a test; figures in Docs/Benchmarks.md.
//
//   gcc -O2 -fopenmp -I Sources/DNNLKernels/include scripts/bench-backends.c
//       Sources/DNNLKernels/dnnl_kernels.c -o /tmp/bench-backends -ldnnl -lopenblas
//   /tmp/bench-backends THREADS [REPEATS]
//
// Rounds alternate between the backends; each figure is the median over the rounds of the
// process CPU time per call (the machine is shared, so wall time is noisier), and GFLOP/s
// derived from it (per thread-second: divide by nothing more, CPU time already sums threads).

#include "DNNLKernels.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void openblas_set_num_threads(int);

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double wall_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static float *random_floats(size_t n, unsigned seed) {
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = ((seed >> 8) / 16777216.0f - 0.5f) * 0.2f;
    }
    return p;
}

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
        if (d > m) m = d;
    }
    return m;
}

// im2col + OpenBLAS sgemm for a stride-1 SAME conv over the whole map (what Tensors did, minus banding).
static void conv_im2col_openblas(int h, int w, int ci, int co, int kh, int kw,
                                 const float *in, const float *kernel, float *out, float *col) {
    int kk = kh * kw * ci, pt = (kh - 1) / 2, pl = (kw - 1) / 2;
    if (kh == 1 && kw == 1) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, h * w, co, ci, 1, in, ci, kernel, co, 0, out, co);
        return;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *patch = col + ((size_t)y * w + x) * kk;
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++) {
                    int iy = y + ky - pt, ix = x + kx - pl;
                    float *d = patch + (ky * kw + kx) * ci;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) memset(d, 0, ci * sizeof(float));
                    else memcpy(d, in + ((size_t)iy * w + ix) * ci, ci * sizeof(float));
                }
        }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, h * w, co, kk, 1, col, kk, kernel, co, 0, out, co);
}

enum { NB = 4 };
static const char *names[NB] = {"openblas f32", "onednn f32", "onednn bf16", "onednn sgemm"};

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    openblas_set_num_threads(threads);
    mgk_dnnl_set_threads(threads);
    printf("threads %d, rounds %d, oneDNN isa 0x%x, native bf16 %d\n", threads, repeats,
           mgk_dnnl_isa(), mgk_dnnl_has_native_bf16());
    printf("| op | shape | GFLOP | openblas f32 ms | onednn f32 ms | onednn bf16 ms | onednn sgemm ms | f32 speedup | bf16 speedup | bf16 max err |\n");
    printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");

    // The transformer: [257, 768] x [768, 768], [768, 3072], [3072, 768]; the 512 shape M = 1025.
    int gemms[][3] = {{257, 768, 768}, {257, 768, 3072}, {257, 3072, 768}, {1025, 768, 3072}, {1025, 3072, 768}};
    for (size_t s = 0; s < sizeof gemms / sizeof gemms[0]; s++) {
        int m = gemms[s][0], k = gemms[s][1], n = gemms[s][2];
        float *a = random_floats((size_t)m * k, 1 + s), *b = random_floats((size_t)k * n, 7 + s);
        float *c0 = malloc(sizeof(float) * m * n), *c1 = malloc(sizeof(float) * m * n);
        float *c2 = malloc(sizeof(float) * m * n), *c3 = malloc(sizeof(float) * m * n);
        mgk_matmul *f32 = mgk_matmul_create(k, n, b, 0, MGK_F32, m);
        mgk_matmul *bf16 = mgk_matmul_create(k, n, b, 0, MGK_BF16, m);
        double t[NB][64];
        int rounds = repeats > 64 ? 64 : repeats;
        for (int r = -1; r < rounds; r++) {  // round -1 warms up
            for (int which = 0; which < NB; which++) {
                double t0 = cpu_now();
                int inner = 3;
                for (int i = 0; i < inner; i++) {
                    if (which == 0) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c0, n);
                    if (which == 1 && f32) mgk_matmul_run(f32, m, a, k, NULL, 0, c1, n);
                    if (which == 2 && bf16) mgk_matmul_run(bf16, m, a, k, NULL, 0, c2, n);
                    if (which == 3) mgk_sgemm(m, n, k, 1, a, k, b, n, 0, 0, c3, n);
                }
                if (r >= 0) t[which][r] = (cpu_now() - t0) / inner;
            }
        }
        double med[NB];
        for (int i = 0; i < NB; i++) med[i] = median(t[i], rounds) * 1e3;
        double gflop = 2.0 * m * n * k * 1e-9;
        printf("| matmul | %dx%d · %dx%d | %.3f | %.2f | %.2f | %.2f | %.2f | %.2fx | %.2fx | %.3g |\n",
               m, k, k, n, gflop, med[0], f32 ? med[1] : -1, bf16 ? med[2] : -1, med[3],
               med[0] / med[1], med[0] / med[2], bf16 ? max_abs_diff(c0, c2, (size_t)m * n) : -1);
        if (f32 && max_abs_diff(c0, c1, (size_t)m * n) > 1e-3) printf("  ! f32 mismatch %g\n", max_abs_diff(c0, c1, (size_t)m * n));
        mgk_matmul_destroy(f32); mgk_matmul_destroy(bf16);
        free(a); free(b); free(c0); free(c1); free(c2); free(c3);
    }

    // The VQGAN decoder at 256 px (filters 128, multipliers 1,1,2,2,4): one of each distinct conv.
    int convs[][5] = {  // h(=w), ci, co, k, count in the decoder
        {16, 256, 512, 3, 1}, {16, 512, 512, 3, 8}, {32, 512, 512, 3, 1}, {32, 512, 256, 3, 1},
        {32, 256, 256, 3, 3}, {32, 512, 256, 1, 1}, {64, 256, 256, 3, 5}, {128, 256, 256, 3, 1},
        {128, 256, 128, 3, 1}, {128, 128, 128, 3, 3}, {128, 256, 128, 1, 1}, {256, 128, 128, 3, 5},
        {256, 128, 3, 3, 1},
    };
    double total[3] = {0, 0, 0}, total_gflop = 0;
    for (size_t s = 0; s < sizeof convs / sizeof convs[0]; s++) {
        int h = convs[s][0], w = h, ci = convs[s][1], co = convs[s][2], kk = convs[s][3], count = convs[s][4];
        float *in = random_floats((size_t)h * w * ci, 3 + s), *ker = random_floats((size_t)kk * kk * ci * co, 5 + s);
        float *o0 = malloc(sizeof(float) * h * w * co), *o1 = malloc(sizeof(float) * h * w * co), *o2 = malloc(sizeof(float) * h * w * co);
        float *col = malloc(sizeof(float) * (size_t)h * w * kk * kk * ci);
        mgk_conv *f32 = mgk_conv_create(kk, kk, ci, co, ker, NULL, MGK_F32, h, w);
        mgk_conv *bf16 = mgk_conv_create(kk, kk, ci, co, ker, NULL, MGK_BF16, h, w);
        double t[3][64];
        int rounds = repeats > 64 ? 64 : repeats;
        for (int r = -1; r < rounds; r++) {
            for (int which = 0; which < 3; which++) {
                double t0 = cpu_now();
                if (which == 0) conv_im2col_openblas(h, w, ci, co, kk, kk, in, ker, o0, col);
                if (which == 1 && f32) mgk_conv_run(f32, h, w, in, o1);
                if (which == 2 && bf16) mgk_conv_run(bf16, h, w, in, o2);
                if (r >= 0) t[which][r] = cpu_now() - t0;
            }
        }
        double med[3];
        for (int i = 0; i < 3; i++) med[i] = median(t[i], rounds) * 1e3;
        double gflop = 2.0 * h * w * ci * co * kk * kk * 1e-9;
        for (int i = 0; i < 3; i++) total[i] += count * med[i];
        total_gflop += count * gflop;
        printf("| conv%dx%d x%d | %dx%dx%d → %d | %.3f | %.2f | %.2f | %.2f | – | %.2fx | %.2fx | %.3g |\n",
               kk, kk, count, h, w, ci, co, gflop, med[0], f32 ? med[1] : -1, bf16 ? med[2] : -1,
               med[0] / med[1], med[0] / med[2], bf16 ? max_abs_diff(o0, o2, (size_t)h * w * co) : -1);
        if (f32 && max_abs_diff(o0, o1, (size_t)h * w * co) > 1e-3) printf("  ! f32 mismatch %g\n", max_abs_diff(o0, o1, (size_t)h * w * co));
        mgk_conv_destroy(f32); mgk_conv_destroy(bf16);
        free(in); free(ker); free(o0); free(o1); free(o2); free(col);
    }
    printf("| decoder convs (sum, weighted by count) | 256 px | %.1f | %.0f | %.0f | %.0f | – | %.2fx | %.2fx | |\n",
           total_gflop, total[0], total[1], total[2], total[0] / total[1], total[0] / total[2]);
    (void)wall_now;
    (void)names;
    return 0;
}
