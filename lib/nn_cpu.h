/* nn_cpu.h: what the CPU backend's files (nn_backend_cpu.c,
 * nn_cpu_gemm.c, nn_cpu_conv.c, nn_cpu_winograd.c, nn_cpu_data.c)
 * share; private to them, not part of the library's API.
 *
 * Every file that includes it starts with the O3 pragma below, before
 * any include, so these inline helpers are compiled like its own loops:
 *
 *   #if defined(__GNUC__) && !defined(__clang__)
 *   #pragma GCC optimize("O3")
 *   #endif
 *
 * (the loops only vectorise with GCC's full vectoriser; the project
 * builds with -O2, whose cheap cost model leaves them scalar: about 20%
 * of a ResNet training step). */
#ifndef IMB_NN_CPU_H
#define IMB_NN_CPU_H

#include "nn_backend.h"
#include "nn_pool.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The hot loops (elementwise ops, small gemms, Winograd transforms) get
 * an AVX2 clone, picked at run time where the CPU has it. The clone has
 * no FMA, so the bits do not depend on which one runs. Not under
 * ThreadSanitizer: the clones' resolvers run at load time, before it is
 * set up, and would crash there. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_THREAD__)
#define AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define AVX2_CLONES
#endif

/* the ops, one function per entry of IMB_NN_OPS (imb_nn_cpu_gemm, ...),
 * spread over the files; the table is in nn_backend_cpu.c */
#define IMB_NN_CPU_DECL_(name, ret, args) ret imb_nn_cpu_##name args;
IMB_NN_OPS(IMB_NN_CPU_DECL_)

/* an integer switch from the environment (IMB_NN_WINOGRAD,
 * IMB_NN_SMALL_GEMM), dflt when unset or empty; read at each use, so
 * the tests can flip it between calls */
static inline int env_mode(const char *name, int dflt)
{
	const char *e = getenv(name);
	return e && *e ? atoi(e) : dflt;
}

/* [lo, hi) of part t of n split into T nearly equal parts */
static inline void split(size_t n, int T, int t, size_t *lo, size_t *hi)
{
	*lo = n * (size_t)t / (size_t)T;
	*hi = n * (size_t)(t + 1) / (size_t)T;
}

/* Buffers grown on demand and kept for the process's life, one per
 * thread or per task. Scratch is indexed by the running thread, so an op
 * called from inside a task (running serially there) does not share
 * another thread's buffer; per-task parts by the task. */
typedef struct {
	float *p[IMB_NN_MAXT];
	size_t n[IMB_NN_MAXT];
} tl_buf;

/* b's buffer i, at least n floats */
static inline float *buf_at(tl_buf *b, int i, size_t n)
{
	if (b->n[i] < n) {
		free(b->p[i]);
		b->p[i] = (float *)imb_xmalloc_aligned(n * sizeof(float));
		b->n[i] = n;
	}
	return b->p[i];
}

/* b's buffer of the running thread, at least n floats */
static inline float *tl_get(tl_buf *b, size_t n)
{
	return buf_at(b, imb_nn_thread_id(), n);
}

/* the running thread's scratch, shared by the convolution paths */
extern tl_buf imb_nn_cpu_scratch_tb;

static inline float *scratch(size_t n)
{
	return tl_get(&imb_nn_cpu_scratch_tb, n);
}

/* below this many elements a single thread is faster than waking others */
#define EW_GRAIN 32768

/* 4-float vectors (GCC vector extension; SSE on any x86-64) */

typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));

static inline v4f ld4(const float *p)
{
	v4f v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void st4(float *p, v4f v)
{
	memcpy(p, &v, sizeof v);
}

/* Winograd F(2x2,3x3) (nn_cpu_winograd.c) for the convolutions
 * (nn_cpu_conv.c): whether it takes shape s; out = (acc ? out : 0) +
 * conv(inp, w) + b; dw += the weight gradient */
int imb_nn_cpu_wino_ok(const imb_nn_conv2d_shape *s);
void imb_nn_cpu_wino_conv(float *out, const float *inp, const float *w, const float *b,
                          int acc, const imb_nn_conv2d_shape *s);
void imb_nn_cpu_wino_dw(float *dw, const float *dout, const float *inp,
                        const imb_nn_conv2d_shape *s);

#ifdef __cplusplus
}
#endif

#endif
