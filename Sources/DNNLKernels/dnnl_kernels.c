// DNNLKernels: oneDNN matmul / convolution primitives with weights reordered once (see the header).
//
// Design: a prepared object keeps the weights in the layout oneDNN asked for (format_tag any) for
// the first shape it saw, and a small cache of primitives keyed by the activation shape (M, lda,
// ldc, bias, sum for matmul; H, W for convolution). A later shape whose primitive wants another
// weights layout gets its own reordered copy, made from the first one. The cache is guarded by a
// mutex; memory objects are made per call, so concurrent calls never share a data handle.
// In bf16 precision the activations are rounded to bf16 into a per-call buffer first; oneDNN
// accumulates in fp32 and writes fp32.

#include "DNNLKernels.h"
#include "VectorKernels.h"

#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// libgomp (oneDNN's threading runtime in the Debian build); declared here, not through omp.h,
// which the Swift toolchain's clang does not see.
extern int omp_get_max_threads(void);
extern void omp_set_num_threads(int);
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);
// What `#pragma omp parallel num_threads(n)` compiles to (libgomp ABI, GCC 4.9+), so that this
// file needs no -fopenmp from the Swift toolchain's clang.
extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);

// MARK: engine, stream, threads

static dnnl_engine_t g_engine;
static int g_available = -1;
static int g_threads = 0;  // 0: leave OpenMP's default
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_engine(void) {
    g_available = dnnl_engine_create(&g_engine, dnnl_cpu, 0) == dnnl_success;
}

static int ready(void) {
    pthread_once(&g_once, init_engine);
    return g_available;
}

int mgk_dnnl_available(void) { return ready(); }

unsigned mgk_dnnl_isa(void) {
    if (!ready()) return 0;
    return (unsigned)dnnl_get_effective_cpu_isa();
}

int mgk_dnnl_has_native_bf16(void) {
    unsigned isa = mgk_dnnl_isa();
    return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}

void mgk_dnnl_set_threads(int threads) {
    __atomic_store_n(&g_threads, threads > 0 ? threads : 1, __ATOMIC_RELAXED);
}

// OpenMP's thread count is a per-thread setting: apply ours on the calling thread.
static void apply_threads(void) {
    int t = __atomic_load_n(&g_threads, __ATOMIC_RELAXED);
    if (t > 0 && omp_get_max_threads() != t) omp_set_num_threads(t);
}

// A stream per calling thread (streams are not thread-safe).
static __thread dnnl_stream_t t_stream;

static dnnl_stream_t stream(void) {
    if (!t_stream && dnnl_stream_create(&t_stream, g_engine, dnnl_stream_default_flags) != dnnl_success)
        t_stream = NULL;
    return t_stream;
}

static int execute(dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args) {
    dnnl_stream_t s = stream();
    if (!s) return 1;
    apply_threads();
    if (dnnl_primitive_execute(p, s, nargs, args) != dnnl_success) return 1;
    return dnnl_stream_wait(s) != dnnl_success;
}

// Reorders `src` (described by src_md) into a new buffer of layout dst_md. Returns NULL on failure.
static void *reorder_new(const dnnl_memory_desc_t *src_md, const void *src, const dnnl_memory_desc_t *dst_md) {
    size_t bytes = dnnl_memory_desc_get_size(dst_md);
    void *dst = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!dst) return NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    dnnl_memory_t ms = NULL, md = NULL;
    int ok = dnnl_reorder_primitive_desc_create(&rpd, src_md, g_engine, dst_md, g_engine, NULL) == dnnl_success
        && dnnl_primitive_create(&r, rpd) == dnnl_success
        && dnnl_memory_create(&ms, src_md, g_engine, (void *)src) == dnnl_success
        && dnnl_memory_create(&md, dst_md, g_engine, dst) == dnnl_success;
    if (ok) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, ms}, {DNNL_ARG_TO, md}};
        ok = execute(r, 2, args) == 0;
    }
    if (ms) dnnl_memory_destroy(ms);
    if (md) dnnl_memory_destroy(md);
    if (r) dnnl_primitive_destroy(r);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (!ok) { free(dst); return NULL; }
    return dst;
}

// MARK: bf16 rounding

static inline uint16_t to_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

#if defined(__x86_64__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void rows_to_bf16(const float *src, int64_t rows, int64_t cols, int64_t ld, uint16_t *dst) {
    for (int64_t r = 0; r < rows; r++) {
        const float *s = src + r * ld;
        uint16_t *d = dst + r * cols;
        for (int64_t c = 0; c < cols; c++) d[c] = to_bf16(s[c]);
    }
}

void mgk_round_bf16(const float *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)to_bf16(src[i]) << 16;
        memcpy(dst + i, &u, 4);
    }
}

// MARK: sgemm

int mgk_sgemm(int64_t m, int64_t n, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, int transpose_b,
              float beta, float *c, int64_t ldc) {
    if (!ready()) return 1;
    apply_threads();
    return dnnl_sgemm('N', transpose_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != dnnl_success;
}

// MARK: parallel loops and attention on the OpenMP pool

typedef struct {
    int64_t chunks;
    mgk_chunk_fn fn;
    void *ctx;
} chunk_job;

static void chunk_body(void *data) {
    const chunk_job *job = data;
    int tid = omp_get_thread_num(), nthr = omp_get_num_threads();
    for (int64_t i = tid; i < job->chunks; i += nthr) job->fn(job->ctx, i);
}

void mgk_parallel_chunks(int64_t chunks, int threads, mgk_chunk_fn fn, void *ctx) {
    if (chunks <= 0) return;
    if (threads > chunks) threads = (int)chunks;
    if (threads <= 1) {
        for (int64_t i = 0; i < chunks; i++) fn(ctx, i);
        return;
    }
    chunk_job job = {chunks, fn, ctx};
    GOMP_parallel(chunk_body, &job, (unsigned)threads, 0);
}

typedef struct {
    int64_t sequences, l, heads, hd;
    float alpha;
    const float *q, *k, *v;
    float *out, *scratch;
    int failed;
} attention_job;

// The (b, h) pairs tid, tid + nthr, ... on scratch tid; 0 on success.
static int attention_pairs(const attention_job *job, int tid, int nthr) {
    int64_t l = job->l, c = job->heads * job->hd;
    float *s = job->scratch + (size_t)tid * (size_t)(l * l);
    for (int64_t pair = tid; pair < job->sequences * job->heads; pair += nthr) {
        int64_t b = pair / job->heads, h = pair % job->heads;
        int64_t at = b * l * c + h * job->hd;
        if (dnnl_sgemm('N', 'T', l, l, job->hd, job->alpha, job->q + at, c, job->k + at, c, 0.0f, s, l) != dnnl_success)
            return 1;
        mgv_softmax_rows(s, (size_t)l, (size_t)l);
        if (dnnl_sgemm('N', 'N', l, job->hd, l, 1.0f, s, l, job->v + at, c, 0.0f, job->out + at, c) != dnnl_success)
            return 1;
    }
    return 0;
}

// One thread of the parallel region. Inside it dnnl_sgemm runs on the calling thread only
// (oneDNN does not nest parallelism).
static void attention_body(void *data) {
    attention_job *job = data;
    if (attention_pairs(job, omp_get_thread_num(), omp_get_num_threads()))
        __atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
}

int mgk_attention(int64_t sequences, int64_t l, int64_t heads, int64_t hd, float alpha,
                  const float *q, const float *k, const float *v, float *out,
                  float *scratch, int threads) {
    if (!ready()) return 1;
    if (sequences <= 0 || l <= 0 || heads <= 0 || hd <= 0) return 0;
    attention_job job = {sequences, l, heads, hd, alpha, q, k, v, out, scratch, 0};
    int64_t pairs = sequences * heads;
    if (threads > pairs) threads = (int)pairs;
    if (threads <= 1) {
        // On this thread; a single pair's products may still use oneDNN's threads.
        apply_threads();
        return attention_pairs(&job, 0, 1);
    }
    GOMP_parallel(attention_body, &job, (unsigned)threads, 0);
    return job.failed;
}

// MARK: weights shared by matmul and convolution

typedef struct layout {
    dnnl_memory_desc_t md;
    void *data;
    struct layout *next;
} layout;

// The weights in `md`'s layout: an existing copy or a new reorder from the first one.
static void *weights_for(layout **layouts, const dnnl_memory_desc_t *md) {
    for (layout *l = *layouts; l; l = l->next)
        if (dnnl_memory_desc_equal(&l->md, md)) return l->data;
    layout *first = *layouts;
    if (!first) return NULL;
    void *data = reorder_new(&first->md, first->data, md);
    if (!data) return NULL;
    layout *l = malloc(sizeof *l);
    if (!l) { free(data); return NULL; }
    l->md = *md;
    l->data = data;
    l->next = first->next;
    first->next = l;
    return data;
}

static void free_layouts(layout *l) {
    while (l) {
        layout *next = l->next;
        free(l->data);
        free(l);
        l = next;
    }
}

static size_t layouts_bytes(const layout *l) {
    size_t total = 0;
    for (; l; l = l->next) total += dnnl_memory_desc_get_size(&l->md);
    return total;
}

static dnnl_data_type_t data_type(int precision) { return precision == MGK_BF16 ? dnnl_bf16 : dnnl_f32; }

// MARK: matmul

typedef struct matmul_entry {
    int64_t m, lda, ldc;
    int bias, sum;
    dnnl_primitive_t prim;
    void *weights;
    dnnl_memory_desc_t a_md, w_md, c_md, bias_md;
    struct matmul_entry *next;
} matmul_entry;

struct mgk_matmul {
    int64_t k, n;
    int precision;
    pthread_mutex_t lock;
    layout *layouts;
    matmul_entry *entries;
};

static matmul_entry *matmul_entry_make(mgk_matmul *mm, int64_t m, int64_t lda, int64_t ldc, int bias, int sum) {
    dnnl_data_type_t dt = data_type(mm->precision);
    matmul_entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->m = m; e->lda = lda; e->ldc = ldc; e->bias = bias; e->sum = sum;
    dnnl_dims_t a_dims = {m, mm->k}, a_strides = {mm->precision == MGK_BF16 ? mm->k : lda, 1};
    dnnl_dims_t w_dims = {mm->k, mm->n};
    dnnl_dims_t c_dims = {m, mm->n}, c_strides = {ldc, 1};
    dnnl_dims_t b_dims = {1, mm->n};
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    int ok = dnnl_memory_desc_init_by_strides(&e->a_md, 2, a_dims, dt, a_strides) == dnnl_success
        && dnnl_memory_desc_init_by_tag(&e->w_md, 2, w_dims, dt, dnnl_format_tag_any) == dnnl_success
        && dnnl_memory_desc_init_by_strides(&e->c_md, 2, c_dims, dnnl_f32, c_strides) == dnnl_success
        && dnnl_memory_desc_init_by_tag(&e->bias_md, 2, b_dims, dnnl_f32, dnnl_ab) == dnnl_success
        && dnnl_matmul_desc_init(&desc, &e->a_md, &e->w_md, bias ? &e->bias_md : NULL, &e->c_md) == dnnl_success
        && dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok && sum) {
        ok = dnnl_post_ops_create(&ops) == dnnl_success
            && dnnl_post_ops_append_sum(ops, 1.0f) == dnnl_success
            && dnnl_primitive_attr_set_post_ops(attr, ops) == dnnl_success;
    }
    ok = ok && dnnl_primitive_desc_create(&pd, &desc, attr, g_engine, NULL) == dnnl_success;
    if (ok) {
        e->w_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        ok = dnnl_primitive_create(&e->prim, pd) == dnnl_success;
    }
    if (ok) {
        e->weights = weights_for(&mm->layouts, &e->w_md);
        ok = e->weights != NULL;
    }
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (ops) dnnl_post_ops_destroy(ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!ok) {
        if (e->prim) dnnl_primitive_destroy(e->prim);
        free(e);
        return NULL;
    }
    return e;
}

mgk_matmul *mgk_matmul_create(int64_t k, int64_t n, const float *b, int transpose_b,
                              int precision, int64_t m_hint) {
    if (!ready() || k <= 0 || n <= 0) return NULL;
    mgk_matmul *mm = calloc(1, sizeof *mm);
    if (!mm) return NULL;
    mm->k = k; mm->n = n; mm->precision = precision;
    pthread_mutex_init(&mm->lock, NULL);
    // The source weights as they lie: [K, N] row-major, or [N, K] row-major seen as [K, N].
    dnnl_memory_desc_t src_md;
    dnnl_dims_t dims = {k, n}, strides = {transpose_b ? 1 : n, transpose_b ? k : 1};
    layout source = {.data = (void *)b, .next = NULL};
    layout *sources = &source;
    if (dnnl_memory_desc_init_by_strides(&src_md, 2, dims, dnnl_f32, strides) != dnnl_success) goto fail;
    source.md = src_md;
    // The first primitive picks the packed layout; reorder the source into it.
    matmul_entry *e = matmul_entry_make(&(mgk_matmul){.k = k, .n = n, .precision = precision, .layouts = sources},
                                        m_hint > 0 ? m_hint : 256, k, n, 1, 0);
    if (!e) goto fail;
    // matmul_entry_make reordered into a layout node hung after `source`; adopt it as the first.
    layout *packed = source.next;
    if (!packed) {  // the packed layout equals the source one (e.g. plain fp32): copy it
        packed = malloc(sizeof *packed);
        size_t bytes = dnnl_memory_desc_get_size(&src_md);
        void *data = packed ? aligned_alloc(64, (bytes + 63) / 64 * 64) : NULL;
        if (!data) { free(packed); dnnl_primitive_destroy(e->prim); free(e); goto fail; }
        memcpy(data, b, bytes);
        packed->md = src_md;
        packed->data = data;
        packed->next = NULL;
        e->weights = data;
    }
    mm->layouts = packed;
    mm->entries = e;
    return mm;
fail:
    pthread_mutex_destroy(&mm->lock);
    free(mm);
    return NULL;
}

void mgk_matmul_destroy(mgk_matmul *mm) {
    if (!mm) return;
    for (matmul_entry *e = mm->entries; e;) {
        matmul_entry *next = e->next;
        dnnl_primitive_destroy(e->prim);
        free(e);
        e = next;
    }
    free_layouts(mm->layouts);
    pthread_mutex_destroy(&mm->lock);
    free(mm);
}

size_t mgk_matmul_weight_bytes(const mgk_matmul *mm) { return mm ? layouts_bytes(mm->layouts) : 0; }

int mgk_matmul_run(mgk_matmul *mm, int64_t m, const float *a, int64_t lda,
                   const float *bias, int accumulate, float *c, int64_t ldc) {
    if (!mm) return 1;
    if (m <= 0) return 0;
    int has_bias = bias != NULL, sum = accumulate != 0;
    int64_t key_lda = mm->precision == MGK_BF16 ? mm->k : lda;
    pthread_mutex_lock(&mm->lock);
    matmul_entry *e = mm->entries;
    while (e && !(e->m == m && e->lda == key_lda && e->ldc == ldc && e->bias == has_bias && e->sum == sum))
        e = e->next;
    if (!e) {
        e = matmul_entry_make(mm, m, key_lda, ldc, has_bias, sum);
        if (e) { e->next = mm->entries; mm->entries = e; }
    }
    pthread_mutex_unlock(&mm->lock);
    if (!e) return 1;

    uint16_t *a16 = NULL;
    const void *src = a;
    if (mm->precision == MGK_BF16) {
        a16 = aligned_alloc(64, ((size_t)m * mm->k * 2 + 63) / 64 * 64);
        if (!a16) return 1;
        rows_to_bf16(a, m, mm->k, lda, a16);
        src = a16;
    }
    dnnl_memory_t ma = NULL, mw = NULL, mc = NULL, mb = NULL;
    int ok = dnnl_memory_create(&ma, &e->a_md, g_engine, (void *)src) == dnnl_success
        && dnnl_memory_create(&mw, &e->w_md, g_engine, e->weights) == dnnl_success
        && dnnl_memory_create(&mc, &e->c_md, g_engine, c) == dnnl_success
        && (!has_bias || dnnl_memory_create(&mb, &e->bias_md, g_engine, (void *)bias) == dnnl_success);
    if (ok) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DST, mc}, {DNNL_ARG_BIAS, mb}};
        ok = execute(e->prim, has_bias ? 4 : 3, args) == 0;
    }
    if (ma) dnnl_memory_destroy(ma);
    if (mw) dnnl_memory_destroy(mw);
    if (mc) dnnl_memory_destroy(mc);
    if (mb) dnnl_memory_destroy(mb);
    free(a16);
    return !ok;
}

// MARK: convolution

typedef struct conv_entry {
    int64_t h, w;
    dnnl_primitive_t prim;
    void *weights;
    dnnl_memory_desc_t src_md, w_md, dst_md, bias_md;
    struct conv_entry *next;
} conv_entry;

struct mgk_conv {
    int64_t kh, kw, ci, co;
    int precision;
    float *bias;  // [Co] or NULL
    pthread_mutex_t lock;
    layout *layouts;
    conv_entry *entries;
};

static conv_entry *conv_entry_make(mgk_conv *cv, int64_t h, int64_t w) {
    dnnl_data_type_t dt = data_type(cv->precision);
    conv_entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->h = h; e->w = w;
    dnnl_dims_t src_dims = {1, cv->ci, h, w}, dst_dims = {1, cv->co, h, w};
    dnnl_dims_t w_dims = {cv->co, cv->ci, cv->kh, cv->kw}, b_dims = {cv->co};
    dnnl_dims_t strides = {1, 1};
    dnnl_dims_t pad_l = {(cv->kh - 1) / 2, (cv->kw - 1) / 2};
    dnnl_dims_t pad_r = {cv->kh - 1 - pad_l[0], cv->kw - 1 - pad_l[1]};
    dnnl_convolution_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    int ok = dnnl_memory_desc_init_by_tag(&e->src_md, 4, src_dims, dt, dnnl_nhwc) == dnnl_success
        && dnnl_memory_desc_init_by_tag(&e->dst_md, 4, dst_dims, dnnl_f32, dnnl_nhwc) == dnnl_success
        && dnnl_memory_desc_init_by_tag(&e->w_md, 4, w_dims, dt, dnnl_format_tag_any) == dnnl_success
        && dnnl_memory_desc_init_by_tag(&e->bias_md, 1, b_dims, dnnl_f32, dnnl_a) == dnnl_success
        && dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct,
                                              &e->src_md, &e->w_md, cv->bias ? &e->bias_md : NULL,
                                              &e->dst_md, strides, pad_l, pad_r) == dnnl_success
        && dnnl_primitive_desc_create(&pd, &desc, NULL, g_engine, NULL) == dnnl_success;
    if (ok) {
        e->w_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        // Plain (non-jit reference) kernels are slower than im2col+GEMM: refuse them.
        const char *impl = NULL;
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        if (impl && strstr(impl, "ref")) ok = 0;
    }
    ok = ok && dnnl_primitive_create(&e->prim, pd) == dnnl_success;
    if (ok) {
        e->weights = weights_for(&cv->layouts, &e->w_md);
        ok = e->weights != NULL;
    }
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (!ok) {
        if (e->prim) dnnl_primitive_destroy(e->prim);
        free(e);
        return NULL;
    }
    return e;
}

mgk_conv *mgk_conv_create(int64_t kh, int64_t kw, int64_t ci, int64_t co,
                          const float *kernel, const float *bias, int precision,
                          int64_t h_hint, int64_t w_hint) {
    if (!ready() || kh <= 0 || kw <= 0 || ci <= 0 || co <= 0) return NULL;
    mgk_conv *cv = calloc(1, sizeof *cv);
    if (!cv) return NULL;
    cv->kh = kh; cv->kw = kw; cv->ci = ci; cv->co = co; cv->precision = precision;
    pthread_mutex_init(&cv->lock, NULL);
    if (bias) {
        cv->bias = malloc((size_t)co * sizeof(float));
        if (!cv->bias) goto fail;
        memcpy(cv->bias, bias, (size_t)co * sizeof(float));
    }
    // The HWIO kernel as oneDNN's (O, I, H, W) logical dims in hwio order.
    layout source = {.data = (void *)kernel, .next = NULL};
    dnnl_dims_t w_dims = {co, ci, kh, kw};
    if (dnnl_memory_desc_init_by_tag(&source.md, 4, w_dims, dnnl_f32, dnnl_hwio) != dnnl_success) goto fail;
    cv->layouts = &source;
    conv_entry *e = conv_entry_make(cv, h_hint > 0 ? h_hint : 16, w_hint > 0 ? w_hint : 16);
    layout *packed = source.next;
    cv->layouts = NULL;
    if (!e) goto fail;
    if (!packed) {  // oneDNN wants hwio itself: keep a copy
        packed = malloc(sizeof *packed);
        size_t bytes = dnnl_memory_desc_get_size(&source.md);
        void *data = packed ? aligned_alloc(64, (bytes + 63) / 64 * 64) : NULL;
        if (!data) { free(packed); dnnl_primitive_destroy(e->prim); free(e); goto fail; }
        memcpy(data, kernel, bytes);
        packed->md = source.md;
        packed->data = data;
        packed->next = NULL;
        e->weights = data;
    }
    cv->layouts = packed;
    cv->entries = e;
    return cv;
fail:
    free(cv->bias);
    pthread_mutex_destroy(&cv->lock);
    free(cv);
    return NULL;
}

void mgk_conv_destroy(mgk_conv *cv) {
    if (!cv) return;
    for (conv_entry *e = cv->entries; e;) {
        conv_entry *next = e->next;
        dnnl_primitive_destroy(e->prim);
        free(e);
        e = next;
    }
    free_layouts(cv->layouts);
    free(cv->bias);
    pthread_mutex_destroy(&cv->lock);
    free(cv);
}

size_t mgk_conv_weight_bytes(const mgk_conv *cv) { return cv ? layouts_bytes(cv->layouts) : 0; }

int mgk_conv_unpack(mgk_conv *cv, float *kernel) {
    if (!cv || !cv->layouts) return 1;
    dnnl_memory_desc_t hwio;
    dnnl_dims_t dims = {cv->co, cv->ci, cv->kh, cv->kw};
    if (dnnl_memory_desc_init_by_tag(&hwio, 4, dims, dnnl_f32, dnnl_hwio) != dnnl_success) return 1;
    pthread_mutex_lock(&cv->lock);
    void *data = reorder_new(&cv->layouts->md, cv->layouts->data, &hwio);
    pthread_mutex_unlock(&cv->lock);
    if (!data) return 1;
    memcpy(kernel, data, dnnl_memory_desc_get_size(&hwio));
    free(data);
    return 0;
}

int mgk_conv_run(mgk_conv *cv, int64_t h, int64_t w, const float *input, float *output) {
    if (!cv) return 1;
    if (h <= 0 || w <= 0) return 0;
    pthread_mutex_lock(&cv->lock);
    conv_entry *e = cv->entries;
    while (e && !(e->h == h && e->w == w)) e = e->next;
    if (!e) {
        e = conv_entry_make(cv, h, w);
        if (e) { e->next = cv->entries; cv->entries = e; }
    }
    pthread_mutex_unlock(&cv->lock);
    if (!e) return 1;

    uint16_t *in16 = NULL;
    const void *src = input;
    if (cv->precision == MGK_BF16) {
        in16 = aligned_alloc(64, ((size_t)h * w * cv->ci * 2 + 63) / 64 * 64);
        if (!in16) return 1;
        rows_to_bf16(input, h * w, cv->ci, cv->ci, in16);
        src = in16;
    }
    dnnl_memory_t ms = NULL, mw = NULL, md = NULL, mb = NULL;
    int ok = dnnl_memory_create(&ms, &e->src_md, g_engine, (void *)src) == dnnl_success
        && dnnl_memory_create(&mw, &e->w_md, g_engine, e->weights) == dnnl_success
        && dnnl_memory_create(&md, &e->dst_md, g_engine, output) == dnnl_success
        && (!cv->bias || dnnl_memory_create(&mb, &e->bias_md, g_engine, cv->bias) == dnnl_success);
    if (ok) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DST, md}, {DNNL_ARG_BIAS, mb}};
        ok = execute(e->prim, cv->bias ? 4 : 3, args) == 0;
    }
    if (ms) dnnl_memory_destroy(ms);
    if (mw) dnnl_memory_destroy(mw);
    if (md) dnnl_memory_destroy(md);
    if (mb) dnnl_memory_destroy(mb);
    free(in16);
    return !ok;
}
