/* nn_backend_cpu.c: the CPU backend of the neural-network engine.
 *
 * OpenBLAS sgemm does the heavy arithmetic, single-threaded: the engine
 * runs its own pool (imb_nn_parallel, nn_pool.c) and splits work into
 * tasks fixed by the thread count, so that no two tasks write the same
 * output, except the weight gradient of a convolution, which each task
 * accumulates into its own buffer and which is then summed in task
 * order. So a given thread count always gives the same bits.
 * Convolution is Winograd F(2x2,3x3) for 3x3 stride-1 layers of 16 to
 * 256 channels (wino_*), im2col + sgemm for the rest. */
/* The loops here (elementwise ops, im2col, batch norm) only vectorise
 * with GCC's full vectoriser; the project builds with -O2, whose cheap
 * cost model leaves them scalar (about 20% of a ResNet training step). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "nn_backend.h"
#include "blas.h"
#include "nn_pool.h"
#include "util.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

const char *const imb_nn_op_names[IMB_NN_OP_COUNT] = { IMB_NN_OPS(IMB_NN_OP_NAME_) };
static_assert(IMB_LEN(imb_nn_op_names) == IMB_NN_OP_COUNT, "op name table");

/* an integer switch from the environment (IMB_NN_WINOGRAD,
 * IMB_NN_SMALL_GEMM), dflt when unset or empty; read at each use, so
 * the tests can flip it between calls */
static int env_mode(const char *name, int dflt)
{
	const char *e = getenv(name);
	return e && *e ? atoi(e) : dflt;
}

/* [lo, hi) of part t of n split into T nearly equal parts */
static void split(size_t n, int T, int t, size_t *lo, size_t *hi)
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
static float *buf_at(tl_buf *b, int i, size_t n)
{
	if (b->n[i] < n) {
		free(b->p[i]);
		b->p[i] = imb_xmalloc_aligned(n * sizeof(float));
		b->n[i] = n;
	}
	return b->p[i];
}

/* b's buffer of the running thread, at least n floats */
static float *tl_get(tl_buf *b, size_t n)
{
	return buf_at(b, imb_nn_thread_id(), n);
}

static tl_buf scratch_tb;

static float *scratch(size_t n)
{
	return tl_get(&scratch_tb, n);
}

/* ---------------------------------------------------------------- */
/* memory */

static void *cpu_alloc(size_t bytes) { return imb_xmalloc_aligned(bytes); }
static void cpu_free(void *p) { free(p); }
static void cpu_upload(void *dst, const void *src, size_t n) { if (n) memcpy(dst, src, n); }
static void cpu_download(void *dst, const void *src, size_t n) { if (n) memcpy(dst, src, n); }
static void cpu_copy(void *dst, const void *src, size_t n) { if (n) memcpy(dst, src, n); }

/* ---------------------------------------------------------------- */
/* elementwise ops and optimiser steps: one range splitter */

enum { EW_ZERO, EW_RELU, EW_RELU_B, EW_ADD, EW_AXPY, EW_MUL, EW_MUL_ACC,
       EW_SGD, EW_ADAMW };

typedef struct {
	int op, T;
	size_t n;
	float *o, *o2, *o3;
	const float *a, *b;
	float alpha;
	const imb_nn_sgd_hp *sgd;
	const imb_nn_adamw_hp *adam;
	int first;
} ew_ctx;

/* One torch.optim.SGD update of [lo, hi). The hyper-parameters are
 * copied into locals and the branches taken outside the loop (the
 * compiler cannot hoist them itself: a store to param might alias the
 * struct), so each variant is a straight vector loop; the arithmetic,
 * and so the bits, are those of the one-element formula. */
static inline __attribute__((always_inline)) void
sgd_loop(float *restrict p, float *restrict buf, const float *restrict grad,
         size_t lo, size_t hi, float lr, float mom, float damp, float wd,
         int has_wd, int mode, int nest)
{
	for (size_t i = lo; i < hi; i++) {
		float g = grad[i];
		if (has_wd)
			g += wd * p[i];
		if (mode == 1)          /* first step: the buffer starts as g */
			buf[i] = g;
		else if (mode == 2)
			buf[i] = mom * buf[i] + (1 - damp) * g;
		if (mode)
			g = nest ? g + mom * buf[i] : buf[i];
		p[i] -= lr * g;
	}
}

static inline __attribute__((always_inline)) void
sgd_range(const ew_ctx *c, size_t lo, size_t hi)
{
	const imb_nn_sgd_hp *h = c->sgd;
	float lr = h->lr, mom = h->momentum, damp = h->dampening, wd = h->weight_decay;
	int has_wd = wd != 0, mode = mom == 0 ? 0 : c->first ? 1 : 2, nest = h->nesterov != 0;
	float *p = c->o, *buf = c->o2;
	const float *g = c->a;
#define SGD_(W, M, N) sgd_loop(p, buf, g, lo, hi, lr, mom, damp, wd, W, M, N)
	switch (has_wd * 6 + mode * 2 + nest) {
	case 0: SGD_(0, 0, 0); break;
	case 1: SGD_(0, 0, 1); break;
	case 2: SGD_(0, 1, 0); break;
	case 3: SGD_(0, 1, 1); break;
	case 4: SGD_(0, 2, 0); break;
	case 5: SGD_(0, 2, 1); break;
	case 6: SGD_(1, 0, 0); break;
	case 7: SGD_(1, 0, 1); break;
	case 8: SGD_(1, 1, 0); break;
	case 9: SGD_(1, 1, 1); break;
	case 10: SGD_(1, 2, 0); break;
	default: SGD_(1, 2, 1); break;
	}
#undef SGD_
}

/* one torch.optim.AdamW update of [lo, hi) */
static inline __attribute__((always_inline)) void
adamw_range(const ew_ctx *c, size_t lo, size_t hi)
{
	const imb_nn_adamw_hp *h = c->adam;
	double bc1 = 1 - pow(h->beta1, (double)h->step);
	double bc2 = 1 - pow(h->beta2, (double)h->step);
	float step_size = (float)(h->lr / bc1);
	float bc2_sqrt = (float)sqrt(bc2);
	float decay = 1 - h->lr * h->weight_decay;
	float b1 = h->beta1, b2 = h->beta2, eps = h->eps;
	float *restrict p = c->o, *restrict m = c->o2, *restrict v = c->o3;
	const float *restrict grad = c->a;
	for (size_t i = lo; i < hi; i++) {
		float g = grad[i];
		p[i] *= decay;
		m[i] = b1 * m[i] + (1 - b1) * g;
		v[i] = b2 * v[i] + (1 - b2) * g * g;
		float denom = sqrtf(v[i]) / bc2_sqrt + eps;
		p[i] -= step_size * m[i] / denom;
	}
}

AVX2_CLONES
static void ew_task(void *vc, int t)
{
	ew_ctx *c = vc;
	size_t lo, hi;
	split(c->n, c->T, t, &lo, &hi);
	float *o = c->o;
	const float *a = c->a, *b = c->b;
	switch (c->op) {
	case EW_ZERO:
		memset(o + lo, 0, (hi - lo) * sizeof(float));
		break;
	case EW_RELU:
		for (size_t i = lo; i < hi; i++)
			o[i] = a[i] > 0 ? a[i] : 0;
		break;
	case EW_RELU_B:   /* o = dinp, a = dout, b = out */
		for (size_t i = lo; i < hi; i++) {
			float g = a[i];     /* loaded always: a select, not a branch */
			o[i] += b[i] > 0 ? g : 0.0f;
		}
		break;
	case EW_ADD:
		for (size_t i = lo; i < hi; i++)
			o[i] = a[i] + b[i];
		break;
	case EW_AXPY: {
		float alpha = c->alpha;
		for (size_t i = lo; i < hi; i++)
			o[i] += alpha * a[i];
		break;
	}
	case EW_MUL:
		for (size_t i = lo; i < hi; i++)
			o[i] = a[i] * b[i];
		break;
	case EW_MUL_ACC:
		for (size_t i = lo; i < hi; i++)
			o[i] += a[i] * b[i];
		break;
	case EW_SGD:      /* o = param, o2 = buf, a = grad */
		sgd_range(c, lo, hi);
		break;
	case EW_ADAMW:    /* o = param, o2 = m, o3 = v, a = grad */
		adamw_range(c, lo, hi);
		break;
	}
}

/* below this many elements a single thread is faster than waking others */
#define EW_GRAIN 32768

static void ew_run(ew_ctx *c)
{
	c->T = c->n < EW_GRAIN ? 1 : imb_nn_pool_threads();
	if (c->T > 1)
		imb_nn_parallel(c->T, ew_task, c);
	else
		ew_task(c, 0);
}

static void cpu_zero(float *x, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_ZERO, .n = n, .o = x });
}

static void cpu_relu_forward(float *out, const float *inp, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_RELU, .n = n, .o = out, .a = inp });
}

static void cpu_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_RELU_B, .n = n, .o = dinp, .a = dout, .b = out });
}

static void cpu_add(float *out, const float *a, const float *b, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_ADD, .n = n, .o = out, .a = a, .b = b });
}

static void cpu_axpy(float *y, float alpha, const float *x, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_AXPY, .n = n, .o = y, .a = x, .alpha = alpha });
}

static void cpu_mul(float *out, const float *a, const float *b, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_MUL, .n = n, .o = out, .a = a, .b = b });
}

static void cpu_mul_acc(float *y, const float *a, const float *b, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_MUL_ACC, .n = n, .o = y, .a = a, .b = b });
}

static void cpu_sgd_step(float *param, float *buf, const float *grad, size_t P,
                         const imb_nn_sgd_hp *hp, int first)
{
	ew_run(&(ew_ctx){ .op = EW_SGD, .n = P, .o = param, .o2 = buf, .a = grad,
	                  .sgd = hp, .first = first });
}

static void cpu_adamw_step(float *param, float *m, float *v, const float *grad,
                           size_t P, const imb_nn_adamw_hp *hp)
{
	ew_run(&(ew_ctx){ .op = EW_ADAMW, .n = P, .o = param, .o2 = m, .o3 = v,
	                  .a = grad, .adam = hp });
}

static void cpu_add_bias(float *out, const float *inp, const float *b, int R, int Cn)
{
	for (int r = 0; r < R; r++) {
		float *restrict o = out + (size_t)r * Cn;
		if (!inp) {
			memcpy(o, b, (size_t)Cn * sizeof(float));
			continue;
		}
		const float *x = inp + (size_t)r * Cn;
		for (int j = 0; j < Cn; j++)
			o[j] = x[j] + b[j];
	}
}

/* column sums: blocks of 8 rows summed in float, in row order, then
 * added into double sums (memory read in order, vectorised) */
AVX2_CLONES
static void cpu_sum_rows(float *db, const float *dout, int R, int Cn)
{
	double stack[256], *s = Cn <= 256 ? stack : imb_xmalloc((size_t)Cn * sizeof(double));
	float fstack[256], *f = Cn <= 256 ? fstack : imb_xmalloc((size_t)Cn * sizeof(float));
	for (int j = 0; j < Cn; j++)
		s[j] = 0;
	for (int r0 = 0; r0 < R; r0 += 8) {
		int r1 = R - r0 < 8 ? R : r0 + 8;
		memcpy(f, dout + (size_t)r0 * Cn, (size_t)Cn * sizeof(float));
		for (int r = r0 + 1; r < r1; r++) {
			const float *restrict d = dout + (size_t)r * Cn;
			for (int j = 0; j < Cn; j++)
				f[j] += d[j];
		}
		for (int j = 0; j < Cn; j++)
			s[j] += f[j];
	}
	for (int j = 0; j < Cn; j++)
		db[j] += (float)s[j];
	if (s != stack)
		free(s);
	if (f != fstack)
		free(f);
}

/* ---------------------------------------------------------------- */
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

/* ---------------------------------------------------------------- */
/* small gemm: a product with a dimension of at most SMALL_DIM and at
 * most SMALL_WORK multiply-adds (the outer layers of an MLP: K = 2 input
 * features, N = 2 classes) is all call overhead and packing in OpenBLAS
 * (4 us for 16k multiply-adds); direct loops do it in under 1 us (not
 * where OpenBLAS has small-matrix kernels of its own: blas.h). Each
 * entry accumulates over k in order in float, then C = alpha acc +
 * beta C (C is not read when beta is 0). Three shapes of loop, so the
 * inner one always runs over contiguous memory:
 *   rows:  N >= 8: acc row i += A(i,k) B(k,:)   (B^T packed if tb)
 *   cols:  N < 8, ta: acc^T row j += B(k,j) A(k,:)
 *   dots:  N < 8, !ta: C(i,j) = A(i,:) . B(:,j)   (B packed if !tb) */

#define SMALL_DIM 16
#define SMALL_WORK (1 << 20)

static tl_buf small_tb;

/* the transpose (cols x rows) of src (rows x cols, leading dimension ld)
 * in the running thread's scratch */
static float *small_transpose(const float *src, int rows, int cols, int ld)
{
	float *dst = tl_get(&small_tb, (size_t)rows * cols);
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++)
			dst[(size_t)c * rows + r] = src[(size_t)r * ld + c];
	return dst;
}

/* 8-float vectors: two SSE registers in the default build, one AVX
 * register in the AVX2 clone (no FMA: the bits do not depend on it) */
typedef float v8f __attribute__((vector_size(32)));

/* ld8/st8 are always inlined: no v8f crosses a call, whatever the ABI */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

static inline __attribute__((always_inline)) v8f ld8(const float *p)
{
	v8f v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline __attribute__((always_inline)) void st8(float *p, v8f v)
{
	memcpy(p, &v, sizeof v);
}

/* *c = alpha t + beta *c, *c not read when beta is 0 */
static inline __attribute__((always_inline)) float
small_out(float *c, float t, float alpha, float beta)
{
	return *c = beta == 0 ? alpha * t : alpha * t + beta * *c;
}

/* acc[0 .. w) = sum_k a[k sa] v[k ldv .. k ldv + 8w): w (constant) vector
 * rows accumulated in order over k */
static inline __attribute__((always_inline)) void
acc_block(v8f *acc, int w, const float *a, size_t sa, const float *v, size_t ldv, int K)
{
	for (int q = 0; q < w; q++)
		acc[q] = (v8f){ 0 };
	for (int k = 0; k < K; k++) {
		float x = a[k * sa];
		for (int q = 0; q < w; q++)
			acc[q] += x * ld8(v + k * ldv + 8 * q);
	}
}

/* c[0 .. 8w) = alpha sum_k A(i,k) B(k, 0 .. 8w) + beta c, w constant */
static inline __attribute__((always_inline)) void
rows_block(float *c, const float *Ai, size_t sk, const float *Bk, size_t ldk, int K,
           int w, float alpha, float beta)
{
	v8f acc[4];
	acc_block(acc, w, Ai, sk, Bk, ldk, K);
	for (int q = 0; q < w; q++) {
		v8f v = alpha * acc[q];
		if (beta != 0)
			v += beta * ld8(c + 8 * q);
		st8(c + 8 * q, v);
	}
}

/* C(0 .. 8w, j) = alpha sum_k B(k,j) A(k, 0 .. 8w) + beta C, w constant */
static inline __attribute__((always_inline)) void
cols_block(float *c, int ldc, const float *A, int lda, const float *Bj, size_t sb, int K,
           int w, float alpha, float beta)
{
	v8f acc[4];
	acc_block(acc, w, Bj, sb, A, (size_t)lda, K);
	for (int q = 0; q < w; q++)
		for (int r = 0; r < 8; r++)
			small_out(c + (size_t)(8 * q + r) * ldc, acc[q][r], alpha, beta);
}

/* acc row i = sum_k A(i,k) B(k, :) in register blocks of 32 columns */
AVX2_CLONES
static void small_rows(int ta, int tb, int M, int N, int K, float alpha, const float *A,
                       int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
	const float *Bk = B;
	size_t ldk = (size_t)ldb;
	if (tb) {                       /* B(k,j) = B[j ldb + k]: pack to K x N */
		Bk = small_transpose(B, N, K, ldb);
		ldk = (size_t)N;
	}
	size_t sa = ta ? 1 : (size_t)lda, sk = ta ? (size_t)lda : 1;  /* A(i,k) */
	for (int i = 0; i < M; i++) {
		const float *Ai = A + i * sa;
		float *c = C + (size_t)i * ldc;
		int j = 0;
		for (; j + 32 <= N; j += 32)
			rows_block(c + j, Ai, sk, Bk + j, ldk, K, 4, alpha, beta);
		for (; j + 8 <= N; j += 8)
			rows_block(c + j, Ai, sk, Bk + j, ldk, K, 1, alpha, beta);
		for (; j < N; j++) {
			float t = 0;
			for (int k = 0; k < K; k++)
				t += Ai[k * sk] * Bk[k * ldk + j];
			small_out(c + j, t, alpha, beta);
		}
	}
}

/* C^T row j = sum_k B(k,j) A(k, :), A stored K x M (ta), in register
 * blocks of 32 rows of C */
AVX2_CLONES
static void small_cols(int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc)
{
	size_t sb = tb ? 1 : (size_t)ldb, sj = tb ? (size_t)ldb : 1;  /* B(k,j) */
	for (int j = 0; j < N; j++) {
		const float *Bj = B + j * sj;
		int i = 0;
		for (; i + 32 <= M; i += 32)
			cols_block(C + (size_t)i * ldc + j, ldc, A + i, lda, Bj, sb, K, 4, alpha, beta);
		for (; i + 8 <= M; i += 8)
			cols_block(C + (size_t)i * ldc + j, ldc, A + i, lda, Bj, sb, K, 1, alpha, beta);
		for (; i < M; i++) {
			float t = 0;
			for (int k = 0; k < K; k++)
				t += Bj[k * sb] * A[(size_t)k * lda + i];
			small_out(C + (size_t)i * ldc + j, t, alpha, beta);
		}
	}
}

/* c[0 .. w) = alpha (a . B column j) + beta c for w columns, w
 * constant: one pass over a row of A, 8 lanes per column, then a fixed
 * tree for the lanes */
static inline __attribute__((always_inline)) void
dots_block(float *c, const float *a, const float *Bt, size_t ldt, int K, int w,
           float alpha, float beta)
{
	v8f acc[4];
	for (int q = 0; q < w; q++)
		acc[q] = (v8f){ 0 };
	int k = 0;
	for (; k + 8 <= K; k += 8) {
		v8f x = ld8(a + k);
		for (int q = 0; q < w; q++)
			acc[q] += x * ld8(Bt + q * ldt + k);
	}
	for (int q = 0; q < w; q++) {
		v8f s = acc[q];
		float t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
		for (int kk = k; kk < K; kk++)
			t += a[kk] * Bt[q * ldt + kk];
		small_out(c + q, t, alpha, beta);
	}
}

AVX2_CLONES
static void small_dots(int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc)
{
	const float *Bt = B;            /* column j of B at Bt + j ldt */
	size_t ldt = (size_t)ldb;
	if (!tb) {                      /* B (K x N) to N x K */
		Bt = small_transpose(B, K, N, ldb);
		ldt = (size_t)K;
	}
	for (int i = 0; i < M; i++) {
		const float *a = A + (size_t)i * lda;
		float *c = C + (size_t)i * ldc;
		int j = 0;
		for (; j + 4 <= N; j += 4)
			dots_block(c + j, a, Bt + j * ldt, ldt, K, 4, alpha, beta);
		for (; j + 2 <= N; j += 2)
			dots_block(c + j, a, Bt + j * ldt, ldt, K, 2, alpha, beta);
		for (; j < N; j++)
			dots_block(c + j, a, Bt + j * ldt, ldt, K, 1, alpha, beta);
	}
}

static int small_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A,
                      int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
	int lo = M < N ? M : N;
	lo = K < lo ? K : lo;
	if (lo > SMALL_DIM || (double)M * N * K > SMALL_WORK)
		return 0;
	/* IMB_NN_SMALL_GEMM=0 leaves these to OpenBLAS, =1 forces the direct
	 * loops; unset, they run unless OpenBLAS has small kernels */
	int mode = env_mode("IMB_NN_SMALL_GEMM", -1);
	if (mode == 0 || (mode < 0 && imb_blas_small_kernels()))
		return 0;
	if (N >= 8)
		small_rows(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
	else if (ta)
		small_cols(tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
	else
		small_dots(tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
	return 1;
}

/* ---------------------------------------------------------------- */
/* gemm: split the output into row or column blocks, never along K; the
 * split depends only on the thread count, so a thread count gives the
 * same bits every time (different counts agree to rounding: OpenBLAS's
 * blocking of a narrower block rounds differently) */

typedef struct {
	int ta, tb, M, N, K, lda, ldb, ldc, T, byrow;
	float alpha, beta;
	const float *A, *B;
	float *C;
} gemm_ctx;

static void gemm_task(void *vc, int t)
{
	gemm_ctx *g = vc;
	size_t lo, hi;
	if (g->byrow) {
		split((size_t)g->M, g->T, t, &lo, &hi);
		if (hi == lo)
			return;
		const float *A = g->ta ? g->A + lo : g->A + lo * (size_t)g->lda;
		cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans,
		            g->tb ? CblasTrans : CblasNoTrans, (int)(hi - lo), g->N, g->K,
		            g->alpha, A, g->lda, g->B, g->ldb, g->beta,
		            g->C + lo * (size_t)g->ldc, g->ldc);
	} else {
		split((size_t)g->N, g->T, t, &lo, &hi);
		if (hi == lo)
			return;
		const float *B = g->tb ? g->B + lo * (size_t)g->ldb : g->B + lo;
		cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans,
		            g->tb ? CblasTrans : CblasNoTrans, g->M, (int)(hi - lo), g->K,
		            g->alpha, g->A, g->lda, B, g->ldb, g->beta, g->C + lo, g->ldc);
	}
}

static void cpu_gemm(int ta, int tb, int M, int N, int K, float alpha,
                     const float *A, int lda, const float *B, int ldb,
                     float beta, float *C, int ldc)
{
	if (M <= 0 || N <= 0)
		return;
	if (small_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc))
		return;
	imb_blas_single();     /* before any sgemm: OpenBLAS on one thread */
	gemm_ctx g = { ta, tb, M, N, K, lda, ldb, ldc, 1, M >= N, alpha, beta, A, B, C };
	double work = (double)M * N * K;
	/* split from 2^20 multiply-adds: a spinning pool starts a task in ~1
	 * us, but a 128x64x64 product (2^19) was no faster split on 2 cores,
	 * and slower with an AVX-512 kernel (2 pinned Xeon cores: MLP step
	 * 1.4-1.6M samples/s split, 1.7-1.8M not) */
	g.T = work < 1 << 20 ? 1 : imb_nn_pool_threads();
	if (g.T > 1)
		imb_nn_parallel(g.T, gemm_task, &g);
	else
		gemm_task(&g, 0);
}

/* ---------------------------------------------------------------- */
/* convolution: im2col + sgemm in pieces. A piece is either a band of
 * output rows of one image (large feature maps: about CONV_BAND_COLS
 * columns, so the im2col buffer stays small whatever the image size,
 * and the GEMM writes straight into NCHW) or a group of G whole images
 * (small maps: G * OH*OW reaches CONV_COLS, so the GEMM is not skinny;
 * its output is scattered back to NCHW). Measured on ResNet-20's shapes,
 * bands narrower than a 32x32 map made the weight-gradient GEMMs (K =
 * band columns) slower, hence the wide band. */

#define CONV_COLS 256
#define CONV_BAND_COLS 1024

int imb_nn_conv2d_shape_init(imb_nn_conv2d_shape *s, int N, int C, int H, int W,
                             int OC, int KH, int KW, int stride, int pad)
{
	if (N < 1 || C < 1 || H < 1 || W < 1 || OC < 1 || KH < 1 || KW < 1 ||
	    stride < 1 || pad < 0)
		return imb_seterr("conv2d: sizes must be positive (pad >= 0)");
	if (H + 2 * pad < KH || W + 2 * pad < KW)
		return imb_seterr("conv2d: kernel %dx%d larger than padded input %dx%d",
		                  KH, KW, H + 2 * pad, W + 2 * pad);
	*s = (imb_nn_conv2d_shape){ N, C, H, W, OC, KH, KW, stride, pad,
	                            (H + 2 * pad - KH) / stride + 1,
	                            (W + 2 * pad - KW) / stride + 1 };
	return 0;
}

static int conv_is_1x1(const imb_nn_conv2d_shape *s)
{
	return s->KH == 1 && s->KW == 1 && s->stride == 1 && s->pad == 0;
}

/* images per group (1 for large maps) */
static int conv_group(const imb_nn_conv2d_shape *s)
{
	int ohw = s->OH * s->OW;
	int G = ohw >= CONV_COLS ? 1 : (CONV_COLS + ohw - 1) / ohw;
	return G > s->N ? s->N : G;
}

/* output rows per band (OH for small maps) */
static int conv_band(const imb_nn_conv2d_shape *s)
{
	if (s->OH * s->OW <= CONV_BAND_COLS)
		return s->OH;
	int R = CONV_BAND_COLS / s->OW;
	return R < 1 ? 1 : R;
}

/* Output columns [*lo, *hi) whose input column ow*S - P + kw lies
 * inside [0, W); the others read padding. */
static void valid_cols(const imb_nn_conv2d_shape *s, int kw, int *lo, int *hi)
{
	int S = s->stride, P = s->pad, OW = s->OW;
	int a = P - kw > 0 ? (P - kw + S - 1) / S : 0;
	int b = s->W + P - kw > 0 ? (s->W + P - kw + S - 1) / S : 0;
	if (a > OW)
		a = OW;
	if (b > OW)
		b = OW;
	if (a > b)
		a = b;
	*lo = a;
	*hi = b;
}

/* col (C*KH*KW, ld): columns [0, (oh1-oh0)*OW) get the patches of output
 * rows [oh0, oh1) of img (C,H,W) */
static void im2col(float *col, size_t ld, const float *img, const imb_nn_conv2d_shape *s,
                   int oh0, int oh1)
{
	int H = s->H, W = s->W, OW = s->OW, S = s->stride, P = s->pad;
	for (int c = 0; c < s->C; c++)
	for (int kh = 0; kh < s->KH; kh++)
	for (int kw = 0; kw < s->KW; kw++) {
		float *row = col + ((size_t)(c * s->KH + kh) * s->KW + kw) * ld;
		int lo, hi;
		valid_cols(s, kw, &lo, &hi);
		for (int oh = oh0; oh < oh1; oh++) {
			float *dst = row + (size_t)(oh - oh0) * OW;
			int ih = oh * S - P + kh;
			if (ih < 0 || ih >= H) {
				memset(dst, 0, OW * sizeof(float));
				continue;
			}
			const float *src = img + ((size_t)c * H + ih) * W;
			for (int ow = 0; ow < lo; ow++)
				dst[ow] = 0;
			if (S == 1)
				memcpy(dst + lo, src + lo + kw - P, (hi - lo) * sizeof(float));
			else
				for (int ow = lo; ow < hi; ow++)
					dst[ow] = src[ow * S + kw - P];
			for (int ow = hi; ow < OW; ow++)
				dst[ow] = 0;
		}
	}
}

/* img (C,H,W) += the patches in col (C*KH*KW, ld) of output rows [oh0, oh1) */
static void col2im(float *img, const float *col, size_t ld, const imb_nn_conv2d_shape *s,
                   int oh0, int oh1)
{
	int H = s->H, W = s->W, OW = s->OW, S = s->stride, P = s->pad;
	for (int c = 0; c < s->C; c++)
	for (int kh = 0; kh < s->KH; kh++)
	for (int kw = 0; kw < s->KW; kw++) {
		const float *row = col + ((size_t)(c * s->KH + kh) * s->KW + kw) * ld;
		int lo, hi;
		valid_cols(s, kw, &lo, &hi);
		for (int oh = oh0; oh < oh1; oh++) {
			int ih = oh * S - P + kh;
			if (ih < 0 || ih >= H)
				continue;
			const float *src = row + (size_t)(oh - oh0) * OW;
			float *dst = img + ((size_t)c * H + ih) * W;
			if (S == 1)
				for (int ow = lo; ow < hi; ow++)
					dst[ow + kw - P] += src[ow];
			else
				for (int ow = lo; ow < hi; ow++)
					dst[ow * S + kw - P] += src[ow];
		}
	}
}

/* ---------------------------------------------------------------- */
/* Winograd F(2x2,3x3) for 3x3 stride-1 convolutions (Lavin and Gray
 * 2016): each 2x2 block of outputs ("tile") comes from the 4x4 input
 * patch d around it as Y = A^T [ (G g G^T) .* (B^T d B) ] A, summed over
 * input channels, so a convolution becomes 16 GEMMs in the transform
 * domain, M[k] (OC, P) = U[k] (OC, C) @ V[k] (C, P), over P tiles, with
 * 16 multiplies per tile instead of 36. Tiles are taken over groups of
 * whole images (at least WINO_TILES per group, the group's buffers at
 * most WINO_BYTES), one group per task, so each output element is
 * computed by one thread in a fixed order: the bits do not depend on
 * the thread count. The input gradient is the same convolution with the
 * flipped, transposed kernel (pad 2 - pad), accumulated into dinp; the
 * weight gradient is dU[k] (OC, C) += dM[k] (OC, P) @ V[k]^T with
 * dM = A dY A^T, then dw += G^T dU G, per thread and summed in thread
 * order like the im2col path. Outputs agree with im2col to about 1e-6
 * relative. IMB_NN_WINOGRAD=0 in the environment turns the path off, =2
 * forces it for any channel count (tests). By default it serves layers
 * with at least WINO_MIN_C input and output channels, and those with
 * more than WINO_MAX_CC channel pairs only from batch 32 (the kernel
 * transform, 16 MB for 512x512, is then paid for). Measured per layer on
 * this 2-core box (one thread, loaded: read the pairs), Winograd ran at
 * 1.2-2.5x im2col's GFLOP/s (direct-convolution FLOPs) from 16 to 512
 * channels at batch 128, but below it for 512 channels at batch 16. */

#define WINO_TILES 256
#define WINO_BYTES (3 << 20)
#define WINO_MIN_TILES 128
#define WINO_MIN_C 16
#define WINO_MAX_CC (256 * 256)
#define WINO_MAX_IMG ((size_t)24 << 20)

static int wino_mode(void)
{
	return env_mode("IMB_NN_WINOGRAD", 1);
}

static int wino_ok(const imb_nn_conv2d_shape *s)
{
	if (s->KH != 3 || s->KW != 3 || s->stride != 1 || s->pad > 2)
		return 0;
	/* a group holds at least one whole image: large maps (the transform
	 * buffers of one image over WINO_MAX_IMG bytes) stay on im2col,
	 * whose bands bound its memory */
	size_t tiles = (size_t)((s->OH + 1) / 2) * ((s->OW + 1) / 2);
	if ((size_t)16 * (s->C + s->OC) * tiles * sizeof(float) > WINO_MAX_IMG)
		return 0;
	int m = wino_mode();
	return m == 2 || (m == 1 && s->C >= WINO_MIN_C && s->OC >= WINO_MIN_C &&
	                  ((size_t)s->C * s->OC <= WINO_MAX_CC || s->N >= 32));
}

/* images per tile group */
static int wino_group(const imb_nn_conv2d_shape *s)
{
	int tiles = ((s->OH + 1) / 2) * ((s->OW + 1) / 2);
	int g = (WINO_TILES + tiles - 1) / tiles;
	int cmax = s->C > s->OC ? s->C : s->OC;
	size_t per = (size_t)16 * 2 * cmax * tiles * sizeof(float);
	int gm = (int)(WINO_BYTES / per);
	/* but wide layers (U of 512x512 is 16 MB) need enough tiles per
	 * group to pay for streaming U once per group */
	int gmin = (WINO_MIN_TILES + tiles - 1) / tiles;
	if (gm < gmin)
		gm = gmin;
	if (g > gm)
		g = gm;
	if (g < 1)
		g = 1;
	return g > s->N ? s->N : g;
}

/* U (16, OC, C) = G w G^T for w (OC, C, 3, 3) */
static void wino_kernel(float *U, const float *w, int OC, int C)
{
	size_t st = (size_t)OC * C;
	for (int o = 0; o < OC; o++)
		for (int c = 0; c < C; c++) {
			const float *g = w + ((size_t)o * C + c) * 9;
			float t[4][3], u[4][4];
			for (int j = 0; j < 3; j++) {
				t[0][j] = g[j];
				t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
				t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
				t[3][j] = g[6 + j];
			}
			for (int i = 0; i < 4; i++) {
				u[i][0] = t[i][0];
				u[i][1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
				u[i][2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
				u[i][3] = t[i][2];
			}
			for (int k = 0; k < 16; k++)
				U[k * st + (size_t)o * C + c] = u[k / 4][k % 4];
		}
}

/* dw (OC, C, 3, 3) += G^T dU G for dU (16, OC, C) */
static void wino_kernel_grad(float *dw, const float *dU, int OC, int C)
{
	size_t st = (size_t)OC * C;
	for (int o = 0; o < OC; o++)
		for (int c = 0; c < C; c++) {
			float u[4][4], q[3][4];
			for (int k = 0; k < 16; k++)
				u[k / 4][k % 4] = dU[k * st + (size_t)o * C + c];
			for (int j = 0; j < 4; j++) {
				q[0][j] = u[0][j] + 0.5f * (u[1][j] + u[2][j]);
				q[1][j] = 0.5f * (u[1][j] - u[2][j]);
				q[2][j] = 0.5f * (u[1][j] + u[2][j]) + u[3][j];
			}
			float *g = dw + ((size_t)o * C + c) * 9;
			for (int i = 0; i < 3; i++) {
				g[i * 3 + 0] += q[i][0] + 0.5f * (q[i][1] + q[i][2]);
				g[i * 3 + 1] += 0.5f * (q[i][1] - q[i][2]);
				g[i * 3 + 2] += 0.5f * (q[i][1] + q[i][2]) + q[i][3];
			}
		}
}

/* The transforms run one row of tiles at a time through a zero-padded
 * row buffer, with the tiles of the row as the inner loop, so that the
 * compiler vectorises them (an AVX2 clone is picked at run time where
 * the CPU has it). */

/* B^T d B of one 4x4 patch (four tiles at a time, or one) */
#define WINO_IN(T, d, out) do { \
	T t_[4][4]; \
	for (int j_ = 0; j_ < 4; j_++) { \
		t_[0][j_] = d[0][j_] - d[2][j_]; \
		t_[1][j_] = d[1][j_] + d[2][j_]; \
		t_[2][j_] = d[2][j_] - d[1][j_]; \
		t_[3][j_] = d[1][j_] - d[3][j_]; \
	} \
	for (int i_ = 0; i_ < 4; i_++) { \
		out[4 * i_ + 0] = t_[i_][0] - t_[i_][2]; \
		out[4 * i_ + 1] = t_[i_][1] + t_[i_][2]; \
		out[4 * i_ + 2] = t_[i_][2] - t_[i_][1]; \
		out[4 * i_ + 3] = t_[i_][1] - t_[i_][3]; \
	} \
} while (0)

/* one row of TW tiles: v[k*st + q] = (B^T d B)[k] of the 4x4 patch at
 * columns 2q .. 2q+3 of the rows r[0..3] (padded, 2*TW+2 long) */
AVX2_CLONES
static void wino_input_row(float *restrict v, size_t st, const float *const r[4], int TW)
{
	const v4i ev = { 0, 2, 4, 6 }, od = { 1, 3, 5, 7 };
	int q = 0;
	for (; q + 4 <= TW; q += 4) {
		v4f d[4][4], o[16];
		for (int i = 0; i < 4; i++) {
			const float *x = r[i] + 2 * q;
			v4f a = ld4(x), b = ld4(x + 4), c = ld4(x + 2), e = ld4(x + 6);
			d[i][0] = __builtin_shuffle(a, b, ev);
			d[i][1] = __builtin_shuffle(a, b, od);
			d[i][2] = __builtin_shuffle(c, e, ev);
			d[i][3] = __builtin_shuffle(c, e, od);
		}
		WINO_IN(v4f, d, o);
		for (int k = 0; k < 16; k++)
			st4(v + k * st + q, o[k]);
	}
	for (; q < TW; q++) {
		float d[4][4], o[16];
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++)
				d[i][j] = r[i][2 * q + j];
		WINO_IN(float, d, o);
		for (int k = 0; k < 16; k++)
			v[k * st + q] = o[k];
	}
}

/* The 16 transform-domain matrices of a group lie WINO_SKEW floats
 * further apart than their size: the transforms read or write all 16 at
 * once, and with a stride that is a multiple of 4 KiB they would fall
 * into the same L1 sets. */
#define WINO_SKEW 32

static size_t wino_kst(int ch, size_t ld)
{
	return (size_t)ch * ld + WINO_SKEW;
}

/* V (16, C, ld), matrix k at V + k * wino_kst(C, ld): columns
 * [0, g*TH*TW) get B^T d B of the tiles of images
 * inp (g, C, H, W), tile (ty, tx) reading rows 2ty-pad .. 2ty-pad+3 and
 * columns 2tx-pad .. 2tx-pad+3 (zero outside) */
static void wino_input(float *V, size_t ld, const float *inp, int g,
                       const imb_nn_conv2d_shape *s, float *rowbuf)
{
	int H = s->H, W = s->W, P = s->pad, TH = (s->OH + 1) / 2, TW = (s->OW + 1) / 2;
	int RW = 2 * TW + 2;        /* padded row length */
	size_t st = wino_kst(s->C, ld);
	float *zero = rowbuf + (size_t)(H + 4) * RW;  /* a row of zeros */
	memset(zero, 0, RW * sizeof(float));
	for (int c = 0; c < s->C; c++) {
		float *v = V + (size_t)c * ld;
		for (int n = 0; n < g; n++) {
			const float *img = inp + ((size_t)n * s->C + c) * H * W;
			/* the plane, padded: row y of the buffer is input row y,
			 * columns shifted by P, zero beyond W */
			for (int y = 0; y < H; y++) {
				float *rb = rowbuf + (size_t)y * RW;
				int w = W < RW - P ? W : RW - P;
				for (int x = 0; x < P; x++)
					rb[x] = 0;
				memcpy(rb + P, img + (size_t)y * W, w * sizeof(float));
				for (int x = P + w; x < RW; x++)
					rb[x] = 0;
			}
			size_t p = (size_t)n * TH * TW;
			for (int ty = 0; ty < TH; ty++, p += TW) {
				const float *r[4];
				for (int i = 0; i < 4; i++) {
					int y = 2 * ty - P + i;
					r[i] = y >= 0 && y < H ? rowbuf + (size_t)y * RW : zero;
				}
				wino_input_row(v + p, st, r, TW);
			}
		}
	}
}

/* A^T m A of one tile (four at a time, or one): y00 y01 / y10 y11 */
#define WINO_OUT(r, bv, y00, y01, y10, y11) do { \
	__typeof__(r[0]) a_[4], b_[4]; \
	for (int j_ = 0; j_ < 4; j_++) { \
		a_[j_] = r[j_] + r[4 + j_] + r[8 + j_]; \
		b_[j_] = r[4 + j_] - r[8 + j_] - r[12 + j_]; \
	} \
	y00 = a_[0] + a_[1] + a_[2] + bv; \
	y01 = a_[1] - a_[2] - a_[3] + bv; \
	y10 = b_[0] + b_[1] + b_[2] + bv; \
	y11 = b_[1] - b_[2] - b_[3] + bv; \
} while (0)

/* one row of TW tiles: y0, y1 (2*TW) = (A^T m A) rows 0 and 1 (+ bv) */
AVX2_CLONES
static void wino_output_row(float *restrict y0, float *restrict y1,
                            const float *restrict m, size_t st, int TW, float bv)
{
	const v4i lo = { 0, 4, 1, 5 }, hi = { 2, 6, 3, 7 };
	int q = 0;
	for (; q + 4 <= TW; q += 4) {
		v4f r[16], a, b, c, d;
		for (int k = 0; k < 16; k++)
			r[k] = ld4(m + k * st + q);
		WINO_OUT(r, bv, a, b, c, d);
		st4(y0 + 2 * q, __builtin_shuffle(a, b, lo));
		st4(y0 + 2 * q + 4, __builtin_shuffle(a, b, hi));
		st4(y1 + 2 * q, __builtin_shuffle(c, d, lo));
		st4(y1 + 2 * q + 4, __builtin_shuffle(c, d, hi));
	}
	for (; q < TW; q++) {
		float r[16];
		for (int k = 0; k < 16; k++)
			r[k] = m[k * st + q];
		WINO_OUT(r, bv, y0[2 * q], y0[2 * q + 1], y1[2 * q], y1[2 * q + 1]);
	}
}

/* out (g, OC, OH, OW) = (acc ? out : 0) + A^T M A (+ b) for M (16, OC, ld)
 * (matrix k at M + k * wino_kst(OC, ld)) */
static void wino_output(float *out, const float *M, size_t ld, const float *b, int acc,
                        int g, const imb_nn_conv2d_shape *s, float *rowbuf)
{
	int OH = s->OH, OW = s->OW, TH = (OH + 1) / 2, TW = (OW + 1) / 2;
	size_t st = wino_kst(s->OC, ld);
	float *y0 = rowbuf, *y1 = rowbuf + 2 * TW;
	for (int o = 0; o < s->OC; o++) {
		const float *m = M + (size_t)o * ld;
		float bv = b ? b[o] : 0;
		for (int n = 0; n < g; n++) {
			float *img = out + ((size_t)n * s->OC + o) * OH * OW;
			size_t p = (size_t)n * TH * TW;
			for (int ty = 0; ty < TH; ty++, p += TW) {
				wino_output_row(y0, y1, m + p, st, TW, bv);
				for (int i = 0; i < 2 && 2 * ty + i < OH; i++) {
					float *dst = img + (size_t)(2 * ty + i) * OW;
					const float *src = i ? y1 : y0;
					if (acc)
						for (int x = 0; x < OW; x++)
							dst[x] += src[x];
					else
						memcpy(dst, src, OW * sizeof(float));
				}
			}
		}
	}
}

/* A dY A^T of one 2x2 block y (four at a time, or one) */
#define WINO_DOUT(y, out) do { \
	__typeof__(y[0][0]) z_[4][2]; \
	for (int j_ = 0; j_ < 2; j_++) { \
		z_[0][j_] = y[0][j_]; \
		z_[1][j_] = y[0][j_] + y[1][j_]; \
		z_[2][j_] = y[0][j_] - y[1][j_]; \
		z_[3][j_] = -y[1][j_]; \
	} \
	for (int i_ = 0; i_ < 4; i_++) { \
		out[4 * i_ + 0] = z_[i_][0]; \
		out[4 * i_ + 1] = z_[i_][0] + z_[i_][1]; \
		out[4 * i_ + 2] = z_[i_][0] - z_[i_][1]; \
		out[4 * i_ + 3] = -z_[i_][1]; \
	} \
} while (0)

/* one row of TW tiles: dm[k*st + q] = (A dY A^T)[k] of the 2x2 block at
 * columns 2q, 2q+1 of rows a, b (2*TW long) */
AVX2_CLONES
static void wino_dout_row(float *restrict dm, size_t st, const float *restrict a,
                          const float *restrict b, int TW)
{
	const v4i ev = { 0, 2, 4, 6 }, od = { 1, 3, 5, 7 };
	int q = 0;
	for (; q + 4 <= TW; q += 4) {
		v4f y[2][2], o[16];
		v4f a0 = ld4(a + 2 * q), a1 = ld4(a + 2 * q + 4);
		v4f b0 = ld4(b + 2 * q), b1 = ld4(b + 2 * q + 4);
		y[0][0] = __builtin_shuffle(a0, a1, ev);
		y[0][1] = __builtin_shuffle(a0, a1, od);
		y[1][0] = __builtin_shuffle(b0, b1, ev);
		y[1][1] = __builtin_shuffle(b0, b1, od);
		WINO_DOUT(y, o);
		for (int k = 0; k < 16; k++)
			st4(dm + k * st + q, o[k]);
	}
	for (; q < TW; q++) {
		float y[2][2] = { { a[2 * q], a[2 * q + 1] }, { b[2 * q], b[2 * q + 1] } }, o[16];
		WINO_DOUT(y, o);
		for (int k = 0; k < 16; k++)
			dm[k * st + q] = o[k];
	}
}

/* dM (16, OC, ld) (matrix k at dM + k * wino_kst(OC, ld)) = A dY A^T of
 * the 2x2 tiles of dout (g, OC, OH, OW) */
static void wino_dout(float *dM, size_t ld, const float *dout, int g,
                      const imb_nn_conv2d_shape *s, float *rowbuf)
{
	int OH = s->OH, OW = s->OW, TH = (OH + 1) / 2, TW = (OW + 1) / 2;
	size_t st = wino_kst(s->OC, ld);
	float *ra = rowbuf, *rb = rowbuf + 2 * TW;
	ra[2 * TW - 1] = rb[2 * TW - 1] = 0;    /* odd OW: the last column */
	for (int o = 0; o < s->OC; o++) {
		float *m = dM + (size_t)o * ld;
		for (int n = 0; n < g; n++) {
			const float *img = dout + ((size_t)n * s->OC + o) * OH * OW;
			size_t p = (size_t)n * TH * TW;
			for (int ty = 0; ty < TH; ty++, p += TW) {
				memcpy(ra, img + (size_t)2 * ty * OW, OW * sizeof(float));
				if (2 * ty + 1 < OH)
					memcpy(rb, img + (size_t)(2 * ty + 1) * OW, OW * sizeof(float));
				else
					memset(rb, 0, 2 * TW * sizeof(float));
				wino_dout_row(m + p, st, ra, rb, TW);
			}
		}
	}
}

/* floats of row buffer the transforms need */
static size_t wino_rowbuf(const imb_nn_conv2d_shape *s)
{
	size_t in = (size_t)(s->H + 5) * (2 * ((s->OW + 1) / 2) + 2);
	size_t out = (size_t)4 * ((s->OW + 1) / 2);
	return in > out ? in : out;
}

typedef struct {
	const imb_nn_conv2d_shape *s;
	float *out;                 /* forward: (N, OC, OH, OW) */
	const float *inp, *U, *b, *dout;
	int acc, G, T;
	float **dU_part;            /* weight gradient: per task (16, OC, C) */
} wino_ctx;

/* forward of tile group t (images [t*G, t*G+G)) */
static void wino_forward_task(void *vc, int t)
{
	wino_ctx *w = vc;
	const imb_nn_conv2d_shape *s = w->s;
	int n0 = t * w->G, g = s->N - n0 < w->G ? s->N - n0 : w->G;
	size_t ld = (size_t)g * ((s->OH + 1) / 2) * ((s->OW + 1) / 2);
	size_t vst = wino_kst(s->C, ld), mst = wino_kst(s->OC, ld);
	float *V = scratch(16 * (vst + mst) + wino_rowbuf(s));
	float *M = V + 16 * vst, *rb = M + 16 * mst;
	wino_input(V, ld, w->inp + (size_t)n0 * s->C * s->H * s->W, g, s, rb);
	for (int k = 0; k < 16; k++)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->OC, (int)ld, s->C,
		            1, w->U + (size_t)k * s->OC * s->C, s->C,
		            V + k * vst, (int)ld, 0, M + k * mst, (int)ld);
	wino_output(w->out + (size_t)n0 * s->OC * s->OH * s->OW, M, ld, w->b, w->acc, g, s,
	            rb);
}

/* Per running thread: the transformed kernel. */
static tl_buf wino_U_tb;

static float *wino_U(size_t n)
{
	return tl_get(&wino_U_tb, n);
}

/* out = (acc ? out : 0) + conv(inp, w) + b for a shape wino_ok accepts */
static void wino_conv(float *out, const float *inp, const float *w, const float *b,
                      int acc, const imb_nn_conv2d_shape *s)
{
	float *U = wino_U((size_t)16 * s->OC * s->C);
	wino_kernel(U, w, s->OC, s->C);
	wino_ctx c = { .s = s, .out = out, .inp = inp, .U = U, .b = b, .acc = acc };
	c.G = wino_group(s);
	imb_nn_parallel((s->N + c.G - 1) / c.G, wino_forward_task, &c);
}

/* weight gradient: task t covers tile groups [lo, hi) of T parts */
static void wino_dw_task(void *vc, int t)
{
	wino_ctx *w = vc;
	const imb_nn_conv2d_shape *s = w->s;
	int ngroups = (s->N + w->G - 1) / w->G;
	size_t lo, hi;
	split((size_t)ngroups, w->T, t, &lo, &hi);
	float *dU = w->dU_part[t];
	memset(dU, 0, (size_t)16 * s->OC * s->C * sizeof(float));
	for (size_t q = lo; q < hi; q++) {
		int n0 = (int)q * w->G, g = s->N - n0 < w->G ? s->N - n0 : w->G;
		size_t ld = (size_t)g * ((s->OH + 1) / 2) * ((s->OW + 1) / 2);
		size_t vst = wino_kst(s->C, ld), mst = wino_kst(s->OC, ld);
		float *V = scratch(16 * (vst + mst) + wino_rowbuf(s));
		float *M = V + 16 * vst, *rb = M + 16 * mst;
		wino_input(V, ld, w->inp + (size_t)n0 * s->C * s->H * s->W, g, s, rb);
		wino_dout(M, ld, w->dout + (size_t)n0 * s->OC * s->OH * s->OW, g, s, rb);
		for (int k = 0; k < 16; k++)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->OC, s->C, (int)ld,
			            1, M + k * mst, (int)ld, V + k * vst, (int)ld, 1,
			            dU + (size_t)k * s->OC * s->C, s->C);
	}
}

/* dw += the weight gradient for a shape wino_ok accepts */
static void wino_dw(float *dw, const float *dout, const float *inp,
                    const imb_nn_conv2d_shape *s)
{
	static tl_buf part, nested;
	wino_ctx c = { .s = s, .inp = inp, .dout = dout };
	c.G = wino_group(s);
	int ngroups = (s->N + c.G - 1) / c.G;
	c.T = imb_nn_pool_threads();
	if (c.T > ngroups)
		c.T = ngroups;
	size_t n = (size_t)16 * s->OC * s->C;
	/* one buffer per task; a nested call (inside a task) runs serially
	 * with T = 1 and uses a buffer of the running thread */
	float **slot = part.p;
	float *own[1];
	if (imb_nn_in_task()) {
		own[0] = tl_get(&nested, n);
		slot = own;
	} else
		for (int t = 0; t < c.T; t++)
			buf_at(&part, t, n);
	c.dU_part = slot;
	imb_nn_parallel(c.T, wino_dw_task, &c);
	for (int t = 1; t < c.T; t++)
		for (size_t i = 0; i < n; i++)
			slot[0][i] += slot[t][i];
	wino_kernel_grad(dw, slot[0], s->OC, s->C);
}

typedef struct {
	const imb_nn_conv2d_shape *s;
	float *out, *dinp, *dw, *db;
	const float *inp, *w, *b, *dout;
	float **dw_part;            /* per task (task 0 writes dw itself) */
	const float *wt;            /* flipped, transposed weights (C, OC*KH*KW) for
	                             * the input gradient as a convolution, or NULL */
	imb_nn_conv2d_shape t;      /* that convolution: dout -> dinp */
	int T;
} conv_ctx;

/* forward of images [n0, n1) on the running thread */
static void conv_forward_range(conv_ctx *c, int n0, int n1)
{
	const imb_nn_conv2d_shape *s = c->s;
	int OC = s->OC, ohw = s->OH * s->OW, CKK = s->C * s->KH * s->KW;
	size_t in_sz = (size_t)s->C * s->H * s->W, out_sz = (size_t)OC * ohw;
	int G = conv_group(s), R = conv_band(s);
	size_t gcols = G > 1 ? (size_t)G * ohw : (size_t)R * s->OW;
	if (conv_is_1x1(s)) {
		for (int n = n0; n < n1; n++)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, OC, ohw, CKK,
			            1, c->w, CKK, c->inp + n * in_sz, ohw, 0,
			            c->out + n * out_sz, ohw);
	} else if (G == 1) {
		float *col = scratch((size_t)CKK * gcols);
		for (int n = n0; n < n1; n++)
			for (int oh0 = 0; oh0 < s->OH; oh0 += R) {
				int oh1 = oh0 + R < s->OH ? oh0 + R : s->OH;
				int cols = (oh1 - oh0) * s->OW;
				im2col(col, cols, c->inp + n * in_sz, s, oh0, oh1);
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, OC, cols, CKK,
				            1, c->w, CKK, col, cols, 0,
				            c->out + n * out_sz + (size_t)oh0 * s->OW, ohw);
			}
	} else {
		float *col = scratch((size_t)(CKK + OC) * gcols);
		float *tmp = col + (size_t)CKK * gcols;
		for (int n = n0; n < n1; n += G) {
			int g = n1 - n < G ? n1 - n : G;
			size_t cols = (size_t)g * ohw;
			for (int k = 0; k < g; k++)
				im2col(col + (size_t)k * ohw, cols, c->inp + (n + k) * in_sz, s, 0, s->OH);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, OC, (int)cols,
			            CKK, 1, c->w, CKK, col, (int)cols, 0, tmp, (int)cols);
			for (int k = 0; k < g; k++)
				for (int oc = 0; oc < OC; oc++)
					memcpy(c->out + (n + k) * out_sz + (size_t)oc * ohw,
					       tmp + oc * cols + (size_t)k * ohw, ohw * sizeof(float));
		}
	}
	if (c->b)
		for (int n = n0; n < n1; n++)
			for (int oc = 0; oc < OC; oc++) {
				float *o = c->out + n * out_sz + (size_t)oc * ohw, bv = c->b[oc];
				for (int i = 0; i < ohw; i++)
					o[i] += bv;
			}
}

static void conv_forward_task(void *vc, int t)
{
	conv_ctx *c = vc;
	size_t lo, hi;
	split((size_t)c->s->N, c->T, t, &lo, &hi);
	if (hi > lo)
		conv_forward_range(c, (int)lo, (int)hi);
}

static void cpu_conv2d_forward(float *out, const float *inp, const float *w,
                               const float *b, const imb_nn_conv2d_shape *s)
{
	if (wino_ok(s)) {
		wino_conv(out, inp, w, b, 0, s);
		return;
	}
	conv_ctx c = { .s = s, .out = out, .inp = inp, .w = w, .b = b };
	c.T = imb_nn_pool_threads();
	if (c.T > s->N)
		c.T = s->N;
	imb_nn_parallel(c.T, conv_forward_task, &c);
}

/* backward of images [n0, n1) on the running thread; dw into dw (beta 1) */
static void conv_backward_range(conv_ctx *c, int n0, int n1, float *dw)
{
	const imb_nn_conv2d_shape *s = c->s;
	int OC = s->OC, ohw = s->OH * s->OW, CKK = s->C * s->KH * s->KW;
	size_t in_sz = (size_t)s->C * s->H * s->W, out_sz = (size_t)OC * ohw;
	if (conv_is_1x1(s)) {
		for (int n = n0; n < n1; n++) {
			const float *dout = c->dout + n * out_sz;
			if (dw)
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, OC, CKK, ohw,
				            1, dout, ohw, c->inp + n * in_sz, ohw, 1, dw, CKK);
			if (c->dinp)
				cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CKK, ohw, OC,
				            1, c->w, CKK, dout, ohw, 1, c->dinp + n * in_sz, ohw);
		}
		return;
	}
	int G = conv_group(s), R = conv_band(s);
	size_t gcols = G > 1 ? (size_t)G * ohw : (size_t)R * s->OW;
	size_t dsz = (size_t)CKK * gcols;   /* dcol, or im2col of dout */
	if (c->wt) {
		const imb_nn_conv2d_shape *u = &c->t;
		size_t need = (size_t)u->C * u->KH * u->KW * conv_band(u) * u->OW;
		dsz = need > dsz ? need : dsz;
	}
	float *col = scratch((size_t)CKK * gcols + dsz + (G > 1 ? (size_t)OC * gcols : 0));
	float *dcol = col + (size_t)CKK * gcols;
	float *tmp = dcol + dsz;
	if (G == 1) {
		for (int n = n0; n < n1; n++)
			for (int oh0 = 0; oh0 < s->OH; oh0 += R) {
				int oh1 = oh0 + R < s->OH ? oh0 + R : s->OH;
				int cols = (oh1 - oh0) * s->OW;
				const float *dout = c->dout + n * out_sz + (size_t)oh0 * s->OW;
				if (dw) {
					im2col(col, cols, c->inp + n * in_sz, s, oh0, oh1);
					cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, OC, CKK,
					            cols, 1, dout, ohw, col, cols, 1, dw, CKK);
				}
				if (c->dinp && !c->wt) {
					cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CKK, cols,
					            OC, 1, c->w, CKK, dout, ohw, 0, dcol, cols);
					col2im(c->dinp + n * in_sz, dcol, cols, s, oh0, oh1);
				}
			}
		if (c->dinp && c->wt) {
			/* dinp (C, H*W) += wt (C, OC*K*K) @ im2col(dout) over bands of
			 * input rows: one GEMM with K = OC*K*K, no col2im */
			const imb_nn_conv2d_shape *u = &c->t;
			int RT = conv_band(u), OKK = u->C * u->KH * u->KW, hw = s->H * s->W;
			for (int n = n0; n < n1; n++)
				for (int r0 = 0; r0 < s->H; r0 += RT) {
					int r1 = r0 + RT < s->H ? r0 + RT : s->H;
					int cols = (r1 - r0) * s->W;
					im2col(dcol, cols, c->dout + n * out_sz, u, r0, r1);
					cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->C, cols,
					            OKK, 1, c->wt, OKK, dcol, cols, 1,
					            c->dinp + n * in_sz + (size_t)r0 * s->W, hw);
				}
		}
		return;
	}
	for (int n = n0; n < n1; n += G) {
		int g = n1 - n < G ? n1 - n : G;
		size_t cols = (size_t)g * ohw;
		for (int k = 0; k < g; k++)
			for (int oc = 0; oc < OC; oc++)
				memcpy(tmp + oc * cols + (size_t)k * ohw,
				       c->dout + (n + k) * out_sz + (size_t)oc * ohw,
				       ohw * sizeof(float));
		if (dw) {
			for (int k = 0; k < g; k++)
				im2col(col + (size_t)k * ohw, cols, c->inp + (n + k) * in_sz, s, 0, s->OH);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, OC, CKK, (int)cols,
			            1, tmp, (int)cols, col, (int)cols, 1, dw, CKK);
		}
		if (c->dinp) {
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CKK, (int)cols, OC,
			            1, c->w, CKK, tmp, (int)cols, 0, dcol, (int)cols);
			for (int k = 0; k < g; k++)
				col2im(c->dinp + (n + k) * in_sz, dcol + (size_t)k * ohw, cols, s, 0,
				       s->OH);
		}
	}
}

static void conv_backward_task(void *vc, int t)
{
	conv_ctx *c = vc;
	size_t lo, hi;
	split((size_t)c->s->N, c->T, t, &lo, &hi);
	float *dw = NULL;
	if (c->dw) {
		dw = t == 0 ? c->dw : c->dw_part[t];
		if (t > 0)
			memset(dw, 0, (size_t)c->s->OC * c->s->C * c->s->KH * c->s->KW *
			       sizeof(float));
	}
	if (hi > lo)
		conv_backward_range(c, (int)lo, (int)hi, dw);
}

/* wt (C, OC, K, K), wt[c][oc][kh][kw] = w[oc][c][K-1-kh][K-1-kw], in a
 * buffer of the running thread (nested calls) */
static float *flipped_kernel(const float *w, const imb_nn_conv2d_shape *s)
{
	static tl_buf wt_tb;
	int K = s->KH;
	float *wt = tl_get(&wt_tb, (size_t)s->OC * s->C * K * K);
	for (int ci = 0; ci < s->C; ci++)
		for (int oc = 0; oc < s->OC; oc++)
			for (int kh = 0; kh < K; kh++)
				for (int kw = 0; kw < K; kw++)
					wt[(((size_t)ci * s->OC + oc) * K + kh) * K + kw] =
						w[(((size_t)oc * s->C + ci) * K + (K - 1 - kh)) * K +
						  (K - 1 - kw)];
	return wt;
}

static void cpu_conv2d_backward(float *dinp, float *dw, float *db, const float *dout,
                                const float *inp, const float *w,
                                const imb_nn_conv2d_shape *s)
{
	int ohw = s->OH * s->OW;
	if (db)   /* bias gradient: per channel, in fixed order */
		for (int oc = 0; oc < s->OC; oc++) {
			double acc = 0;
			for (int n = 0; n < s->N; n++) {
				const float *d = dout + ((size_t)n * s->OC + oc) * ohw;
				for (int i = 0; i < ohw; i++)
					acc += d[i];
			}
			db[oc] += (float)acc;
		}
	if (wino_ok(s)) {
		if (dw) {
			wino_dw(dw, dout, inp, s);
			dw = NULL;
		}
		imb_nn_conv2d_shape t;
		if (dinp && !imb_nn_conv2d_shape_init(&t, s->N, s->OC, s->OH, s->OW, s->C,
		                                      3, 3, 1, 2 - s->pad) &&
		    t.OH == s->H && t.OW == s->W && wino_ok(&t)) {
			float *wt = flipped_kernel(w, s);
			wino_conv(dinp, dout, wt, NULL, 1, &t);
			dinp = NULL;
		}
	}
	if (!dinp && !dw)
		return;
	conv_ctx c = { .s = s, .dinp = dinp, .dw = dw, .dout = dout, .inp = inp, .w = w };
	c.T = imb_nn_pool_threads();
	if (c.T > s->N)
		c.T = s->N;
	size_t wsz = (size_t)s->OC * s->C * s->KH * s->KW;
	static tl_buf part;
	if (dw)
		for (int t = 1; t < c.T; t++)
			buf_at(&part, t, wsz);
	c.dw_part = part.p;
	/* Stride 1, square kernel, pad < kernel, large maps: the input
	 * gradient is the convolution of dout with the flipped, transposed
	 * kernel (pad K-1-P), which turns a K=OC GEMM plus col2im into one
	 * GEMM with K = OC*K*K. */
	int K = s->KH;
	if (dinp && s->stride == 1 && s->KH == s->KW && s->pad < K && !conv_is_1x1(s) &&
	    conv_group(s) == 1 &&
	    !imb_nn_conv2d_shape_init(&c.t, s->N, s->OC, s->OH, s->OW, s->C, K, K, 1,
	                              K - 1 - s->pad) && c.t.OH == s->H && c.t.OW == s->W) {
		c.wt = flipped_kernel(w, s);
	}
	imb_nn_parallel(c.T, conv_backward_task, &c);
	if (dw)
		for (int t = 1; t < c.T; t++)
			for (size_t i = 0; i < wsz; i++)
				dw[i] += part.p[t][i];
}

/* ---------------------------------------------------------------- */
/* batch norm: channels split over threads; sums in double */

/* Sums over one (n, c) plane: float lanes (8 accumulators, vectorised),
 * combined in a fixed order into a double, which the caller sums over
 * the planes; deterministic, and a plane's HW values are few enough
 * (ResNets: at most 1024, 128 per lane) for float partial sums. */
static double sum_f(const float *x, size_t n)
{
	v4f a = { 0 }, b = { 0 };
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		a += ld4(x + i);
		b += ld4(x + i + 4);
	}
	a += b;
	double s = ((double)a[0] + a[1]) + ((double)a[2] + a[3]);
	for (; i < n; i++)
		s += x[i];
	return s;
}

/* sum of (x - mean)^2 */
static double sumsq_f(const float *x, size_t n, double mean)
{
	float m = (float)mean;
	v4f a = { 0 }, b = { 0 };
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		v4f d = ld4(x + i) - m, e = ld4(x + i + 4) - m;
		a += d * d;
		b += e * e;
	}
	a += b;
	double s = ((double)a[0] + a[1]) + ((double)a[2] + a[3]);
	for (; i < n; i++) {
		double d = x[i] - mean;
		s += d * d;
	}
	return s;
}

/* *sdy += sum dy, *sdyx += sum dy * (x - mean) * r */
static void sum_dy(const float *dy, const float *x, size_t n, double mean, double r,
                   double *sdy, double *sdyx)
{
	float m = (float)mean, fr = (float)r;
	v4f a = { 0 }, b = { 0 };
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		v4f g = ld4(dy + i);
		a += g;
		b += g * ((ld4(x + i) - m) * fr);
	}
	double sa = ((double)a[0] + a[1]) + ((double)a[2] + a[3]);
	double sb = ((double)b[0] + b[1]) + ((double)b[2] + b[3]);
	for (; i < n; i++) {
		sa += dy[i];
		sb += dy[i] * ((x[i] - mean) * r);
	}
	*sdy += sa;
	*sdyx += sb;
}

typedef struct {
	float *out, *mean, *rstd, *run_mean, *run_var, *dinp, *dgamma, *dbeta;
	const float *inp, *gamma, *beta, *dout, *cmean, *crstd, *crun_mean, *crun_var;
	int N, C, HW, T, mode;
	float momentum, eps;
} bn_ctx;

enum { BN_TRAIN, BN_EVAL, BN_BACK, BN_BACK_EVAL };

static void bn_task(void *vc, int t)
{
	bn_ctx *b = vc;
	size_t lo, hi;
	split((size_t)b->C, b->T, t, &lo, &hi);
	size_t HW = (size_t)b->HW, M = (size_t)b->N * HW;
	for (size_t c = lo; c < hi; c++) {
		float g = b->gamma ? b->gamma[c] : 1;
		if (b->mode == BN_TRAIN || b->mode == BN_EVAL) {
			double mean, var;
			if (b->mode == BN_TRAIN) {
				double s = 0, q = 0;
				for (int n = 0; n < b->N; n++)
					s += sum_f(b->inp + ((size_t)n * b->C + c) * HW, HW);
				mean = s / (double)M;
				for (int n = 0; n < b->N; n++)
					q += sumsq_f(b->inp + ((size_t)n * b->C + c) * HW, HW, mean);
				var = q / (double)M;
				double r = 1 / sqrt(var + b->eps);
				if (b->mean)
					b->mean[c] = (float)mean;
				if (b->rstd)
					b->rstd[c] = (float)r;
				double m = b->momentum;
				if (b->run_mean)
					b->run_mean[c] = (float)((1 - m) * b->run_mean[c] + m * mean);
				if (b->run_var)
					b->run_var[c] = (float)((1 - m) * b->run_var[c] +
					                m * (M > 1 ? var * M / (M - 1) : var));
			} else {
				mean = b->crun_mean[c];
				var = b->crun_var[c];
			}
			float scale = (float)(g / sqrt(var + b->eps));
			float shift = (float)((b->beta ? b->beta[c] : 0) - mean * g / sqrt(var + b->eps));
			for (int n = 0; n < b->N; n++) {
				const float *x = b->inp + ((size_t)n * b->C + c) * HW;
				float *o = b->out + ((size_t)n * b->C + c) * HW;
				for (size_t i = 0; i < HW; i++)
					o[i] = x[i] * scale + shift;
			}
		} else {
			double mean, r;
			if (b->mode == BN_BACK) {
				mean = b->cmean[c];
				r = b->crstd[c];
			} else {
				mean = b->crun_mean[c];
				r = 1 / sqrt((double)b->crun_var[c] + b->eps);
			}
			double sdy = 0, sdyx = 0;
			for (int n = 0; n < b->N; n++)
				sum_dy(b->dout + ((size_t)n * b->C + c) * HW,
				       b->inp + ((size_t)n * b->C + c) * HW, HW, mean, r, &sdy, &sdyx);
			if (b->dgamma)
				b->dgamma[c] += (float)sdyx;
			if (b->dbeta)
				b->dbeta[c] += (float)sdy;
			if (!b->dinp)
				continue;
			/* train: dx = g*r * (dy - mean(dy) - xhat * mean(dy*xhat))
			 * eval:  dx = g*r * dy */
			float k = (float)(g * r);
			float a = b->mode == BN_BACK ? (float)(sdy / (double)M) : 0;
			float q = b->mode == BN_BACK ? (float)(sdyx / (double)M) : 0;
			float fm = (float)mean, fr = (float)r;
			for (int n = 0; n < b->N; n++) {
				const float *x = b->inp + ((size_t)n * b->C + c) * HW;
				const float *dy = b->dout + ((size_t)n * b->C + c) * HW;
				float *dx = b->dinp + ((size_t)n * b->C + c) * HW;
				for (size_t i = 0; i < HW; i++)
					dx[i] += k * (dy[i] - a - (x[i] - fm) * fr * q);
			}
		}
	}
}

static void bn_run(bn_ctx *b)
{
	b->T = imb_nn_pool_threads();
	if ((size_t)b->N * b->C * b->HW < EW_GRAIN)
		b->T = 1;
	if (b->T > b->C)
		b->T = b->C;
	imb_nn_parallel(b->T, bn_task, b);
}

static void cpu_batchnorm_forward_train(float *out, float *mean, float *rstd,
                                        float *run_mean, float *run_var,
                                        const float *inp, const float *gamma,
                                        const float *beta, int N, int C, int HW,
                                        float momentum, float eps)
{
	bn_run(&(bn_ctx){ .out = out, .mean = mean, .rstd = rstd, .run_mean = run_mean,
	                  .run_var = run_var, .inp = inp, .gamma = gamma, .beta = beta,
	                  .N = N, .C = C, .HW = HW, .momentum = momentum, .eps = eps,
	                  .mode = BN_TRAIN });
}

static void cpu_batchnorm_forward_eval(float *out, const float *inp, const float *gamma,
                                       const float *beta, const float *run_mean,
                                       const float *run_var, int N, int C, int HW,
                                       float eps)
{
	bn_run(&(bn_ctx){ .out = out, .inp = inp, .gamma = gamma, .beta = beta,
	                  .crun_mean = run_mean, .crun_var = run_var, .N = N, .C = C,
	                  .HW = HW, .eps = eps, .mode = BN_EVAL });
}

static void cpu_batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                                   const float *dout, const float *inp,
                                   const float *gamma, const float *mean,
                                   const float *rstd, int N, int C, int HW)
{
	bn_run(&(bn_ctx){ .dinp = dinp, .dgamma = dgamma, .dbeta = dbeta, .dout = dout,
	                  .inp = inp, .gamma = gamma, .cmean = mean, .crstd = rstd,
	                  .N = N, .C = C, .HW = HW, .mode = BN_BACK });
}

static void cpu_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta,
                                        const float *dout, const float *inp,
                                        const float *gamma, const float *run_mean,
                                        const float *run_var, int N, int C, int HW,
                                        float eps)
{
	bn_run(&(bn_ctx){ .dinp = dinp, .dgamma = dgamma, .dbeta = dbeta, .dout = dout,
	                  .inp = inp, .gamma = gamma, .crun_mean = run_mean,
	                  .crun_var = run_var, .N = N, .C = C, .HW = HW, .eps = eps,
	                  .mode = BN_BACK_EVAL });
}

/* ---------------------------------------------------------------- */
/* pooling */

static void cpu_maxpool_forward(float *out, int32_t *argmax, const float *inp,
                                int N, int C, int H, int W, int K, int stride, int pad)
{
	int OH = (H + 2 * pad - K) / stride + 1, OW = (W + 2 * pad - K) / stride + 1;
	for (size_t p = 0; p < (size_t)N * C; p++) {
		const float *x = inp + p * H * W;
		for (int oh = 0; oh < OH; oh++)
			for (int ow = 0; ow < OW; ow++) {
				float best = -INFINITY;
				int32_t at = -1;
				for (int kh = 0; kh < K; kh++) {
					int ih = oh * stride - pad + kh;
					if (ih < 0 || ih >= H)
						continue;
					for (int kw = 0; kw < K; kw++) {
						int iw = ow * stride - pad + kw;
						if (iw < 0 || iw >= W)
							continue;
						float v = x[ih * W + iw];
						if (at < 0 || v > best || isnan(v)) {
							best = v;
							at = ih * W + iw;
							if (isnan(v))
								goto done;
						}
					}
				}
			done:
				out[(p * OH + oh) * OW + ow] = best;
				argmax[(p * OH + oh) * OW + ow] = at;
			}
	}
}

static void cpu_maxpool_backward(float *dinp, const float *dout, const int32_t *argmax,
                                 int N, int C, int H, int W, int OH, int OW)
{
	for (size_t p = 0; p < (size_t)N * C; p++)
		for (int i = 0; i < OH * OW; i++) {
			int32_t at = argmax[p * OH * OW + i];
			if (at >= 0)
				dinp[p * H * W + at] += dout[p * OH * OW + i];
		}
}

static void cpu_avgpool_forward(float *out, const float *inp, int NC, int HW)
{
	for (int p = 0; p < NC; p++) {
		double s = 0;
		const float *x = inp + (size_t)p * HW;
		for (int i = 0; i < HW; i++)
			s += x[i];
		out[p] = (float)(s / HW);
	}
}

static void cpu_avgpool_backward(float *dinp, const float *dout, int NC, int HW)
{
	for (int p = 0; p < NC; p++) {
		float g = dout[p] / HW, *d = dinp + (size_t)p * HW;
		for (int i = 0; i < HW; i++)
			d[i] += g;
	}
}

/* ---------------------------------------------------------------- */
/* softmax cross-entropy family; per sample in double */

static float cpu_xent(float *dlogits, float *losses, const float *logits,
                      const int32_t *y, int N, const imb_nn_xent *cfg)
{
	int K = cfg->K;
	double stack[64], *p = K <= 64 ? stack : imb_xmalloc((size_t)K * sizeof(double));
	double total = 0, wsum = 0, scale = cfg->scale, gamma = cfg->gamma;
	for (int i = 0; i < N; i++)     /* the normaliser, known up front */
		wsum += cfg->weight ? cfg->weight[y[i]] : 1;
	double norm = wsum > 0 ? 1 / wsum : 0;
	/* one pass: z' = scale (z + adjust - margin), its softmax p, the
	 * loss l = -(1-pt)^g log pt and dl/dz'_j = c (p_j - [j==t]) with
	 * c = (1-pt)^g - g (1-pt)^(g-1) pt log pt  (c = 1 when g = 0) */
	for (int i = 0; i < N; i++) {
		const float *z = logits + (size_t)i * K;
		int t = y[i];
		double zmax = -INFINITY;
		for (int j = 0; j < K; j++) {
			double v = z[j];
			if (cfg->adjust)
				v += cfg->adjust[j];
			if (cfg->margin && j == t)
				v -= cfg->margin[t];
			p[j] = scale * v;
			if (p[j] > zmax)
				zmax = p[j];
		}
		double s = 0, zt = p[t] - zmax;
		for (int j = 0; j < K; j++)
			s += (p[j] = exp(p[j] - zmax));
		double logp = zt - log(s);
		double w = cfg->weight ? cfg->weight[t] : 1;
		double l = -logp * (gamma != 0 ? pow(1 - exp(logp), gamma) : 1);
		if (losses)
			losses[i] = (float)l;
		total += w * l;
		if (!dlogits)
			continue;
		for (int j = 0; j < K; j++)
			p[j] /= s;
		double pt = p[t], cc = 1;
		if (gamma != 0) {
			double q = 1 - pt;
			cc = pow(q, gamma);
			if (q > 0)
				cc -= gamma * pow(q, gamma - 1) * pt * log(pt);
		}
		double k = w * norm * scale * cc;
		float *dz = dlogits + (size_t)i * K;
		for (int j = 0; j < K; j++)
			dz[j] = (float)(k * (p[j] - (j == t)));
	}
	if (p != stack)
		free(p);
	return (float)(total * norm);
}

/* ---------------------------------------------------------------- */
/* the table */

#define CPU_OP_(name, ret, args) .name = cpu_##name,
const imb_nn_backend imb_nn_backend_cpu = { .name = "cpu", IMB_NN_OPS(CPU_OP_) };

static const imb_nn_backend *current = &imb_nn_backend_cpu;

const imb_nn_backend *imb_nn_be(void)
{
	return current;
}

int imb_nn_set_backend(const char *name)
{
	if (!strcmp(name, "cpu")) {
		current = &imb_nn_backend_cpu;
		return 0;
	}
	if (!strcmp(name, "cuda"))
		return imb_seterr("device cuda: this build has no CUDA backend (use cpu)");
	return imb_seterr("device %s: unknown (use cpu)", name);
}

const char *imb_nn_backend_missing(const imb_nn_backend *be)
{
	const imb_nn_fnptr *ops = (const imb_nn_fnptr *)((const char *)be + sizeof(const char *));
	for (int k = 0; k < IMB_NN_OP_COUNT; k++)
		if (!ops[k])
			return imb_nn_op_names[k];
	return NULL;
}
