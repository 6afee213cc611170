/* nn_cpu_gemm.c: the CPU backend's gemm op: OpenBLAS sgemm split over
 * the pool by output rows or columns, and direct loops for products
 * with a tiny dimension (the small gemm). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "nn_cpu.h"
#include "blas.h"

#include <cblas.h>

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

void imb_nn_cpu_gemm(int ta, int tb, int M, int N, int K, float alpha,
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
