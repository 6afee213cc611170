/* nn_backend_cpu.c: the CPU backend of the neural-network engine.
 *
 * OpenBLAS sgemm does the heavy arithmetic, single-threaded: the engine
 * runs its own pool (imb_nn_parallel, nn_pool.c) and splits work into
 * tasks fixed by the thread count, so that no two tasks write the same
 * output, except the weight gradient of a convolution, which each task
 * accumulates into its own buffer and which is then summed in task
 * order. So a given thread count always gives the same bits.
 *
 * This file holds the table, memory, the elementwise and reduction ops,
 * the optimiser steps, pooling and the loss; the rest of the backend is
 * nn_cpu_gemm.c (gemm, the small gemm), nn_cpu_conv.c (convolution by
 * im2col + sgemm, batch norm), nn_cpu_winograd.c (Winograd F(2x2,3x3)
 * for 3x3 stride-1 layers of 16 to 256 channels) and nn_cpu_data.c
 * (hold/release, gather, the augmentations, the epoch tally),
 * sharing nn_cpu.h. */
/* The loops here (elementwise ops, im2col, batch norm) only vectorise
 * with GCC's full vectoriser; the project builds with -O2, whose cheap
 * cost model leaves them scalar (about 20% of a ResNet training step). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "nn_cpu.h"
#include "blas.h"
#include "nn_maxpool.h"
#include "philox.h"

#include <math.h>
#include <stdio.h>

/* ---------------------------------------------------------------- */
/* memory */

void *imb_nn_cpu_alloc(size_t bytes) { return imb_xmalloc_aligned(bytes); }
void imb_nn_cpu_free(void *p) { free(p); }
void imb_nn_cpu_upload(void *dst, const void *src, size_t n) { if (n) memcpy(dst, src, n); }
void imb_nn_cpu_download(void *dst, const void *src, size_t n) { if (n) memcpy(dst, src, n); }
void imb_nn_cpu_copy(void *dst, const void *src, size_t n) { if (n) memcpy(dst, src, n); }

/* ---------------------------------------------------------------- */
/* elementwise ops and optimiser steps: one range splitter */

enum { EW_ZERO, EW_RELU, EW_RELU_B, EW_ADD, EW_AXPY, EW_MUL, EW_MUL_ACC,
       EW_SGD, EW_ADAMW, EW_SCALE, EW_DOT, EW_NORMAL };

typedef struct {
	int op, T;
	size_t n;
	float *o, *o2, *o3;
	const float *a, *b;
	float alpha;
	const imb_nn_sgd_hp *sgd;
	const imb_nn_adamw_hp *adam;
	int first;
	double *part;               /* dot: one sum per block of RED_BLOCK */
	float mean, std;            /* fill_normal */
	uint64_t seed, counter;
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

/* dot products: blocks of RED_BLOCK elements; within a block, lane j
 * (of 4) sums the products of elements j mod 4 in order, in double
 * (each product is exact there), the lanes are combined as (l0 + l1) +
 * (l2 + l3) and the last n mod 4 elements added in order. The caller
 * adds the block sums in block order: the order depends on n alone, so
 * any thread count gives the same bits. */
#define RED_BLOCK 4096

static inline __attribute__((always_inline)) double
dot_block(const float *restrict a, const float *restrict b, size_t n)
{
	double l0 = 0, l1 = 0, l2 = 0, l3 = 0;
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		l0 += (double)a[i] * b[i];
		l1 += (double)a[i + 1] * b[i + 1];
		l2 += (double)a[i + 2] * b[i + 2];
		l3 += (double)a[i + 3] * b[i + 3];
	}
	double s = (l0 + l1) + (l2 + l3);
	for (; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

/* x[lo, hi) = mean + std z_i, z_i as philox.h defines it: one Philox
 * block per pair of elements (2b, 2b + 1) */
static void normal_range(const ew_ctx *c, size_t lo, size_t hi)
{
	double mean = c->mean, std = c->std, z[2];
	float *x = c->o;
	size_t i = lo;
	if (i < hi && (i & 1)) {        /* the odd half of a pair */
		imb_philox_normal2(z, c->seed, c->counter, i >> 1);
		x[i] = imb_philox_affine(mean, std, z[1]);
		i++;
	}
	for (; i + 2 <= hi; i += 2) {
		imb_philox_normal2(z, c->seed, c->counter, i >> 1);
		x[i] = imb_philox_affine(mean, std, z[0]);
		x[i + 1] = imb_philox_affine(mean, std, z[1]);
	}
	if (i < hi) {
		imb_philox_normal2(z, c->seed, c->counter, i >> 1);
		x[i] = imb_philox_affine(mean, std, z[0]);
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
	case EW_SCALE: {
		float alpha = c->alpha;
		for (size_t i = lo; i < hi; i++)
			o[i] *= alpha;
		break;
	}
	case EW_DOT: {    /* the task's share of whole blocks */
		size_t nb = (c->n + RED_BLOCK - 1) / RED_BLOCK, b0, b1;
		split(nb, c->T, t, &b0, &b1);
		for (size_t k = b0; k < b1; k++) {
			size_t i0 = k * RED_BLOCK, m = c->n - i0 < RED_BLOCK ? c->n - i0 : RED_BLOCK;
			c->part[k] = dot_block(a + i0, b + i0, m);
		}
		break;
	}
	case EW_NORMAL:
		normal_range(c, lo, hi);
		break;
	}
}

static void ew_run(ew_ctx *c)
{
	c->T = c->n < EW_GRAIN ? 1 : imb_nn_pool_threads();
	if (c->T > 1)
		imb_nn_parallel(c->T, ew_task, c);
	else
		ew_task(c, 0);
}

void imb_nn_cpu_zero(float *x, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_ZERO, .n = n, .o = x });
}

void imb_nn_cpu_relu_forward(float *out, const float *inp, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_RELU, .n = n, .o = out, .a = inp });
}

void imb_nn_cpu_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_RELU_B, .n = n, .o = dinp, .a = dout, .b = out });
}

void imb_nn_cpu_add(float *out, const float *a, const float *b, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_ADD, .n = n, .o = out, .a = a, .b = b });
}

void imb_nn_cpu_axpy(float *y, float alpha, const float *x, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_AXPY, .n = n, .o = y, .a = x, .alpha = alpha });
}

void imb_nn_cpu_mul(float *out, const float *a, const float *b, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_MUL, .n = n, .o = out, .a = a, .b = b });
}

void imb_nn_cpu_mul_acc(float *y, const float *a, const float *b, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_MUL_ACC, .n = n, .o = y, .a = a, .b = b });
}

void imb_nn_cpu_sgd_step(float *param, float *buf, const float *grad, size_t P,
                         const imb_nn_sgd_hp *hp, int first)
{
	ew_run(&(ew_ctx){ .op = EW_SGD, .n = P, .o = param, .o2 = buf, .a = grad,
	                  .sgd = hp, .first = first });
}

void imb_nn_cpu_adamw_step(float *param, float *m, float *v, const float *grad,
                           size_t P, const imb_nn_adamw_hp *hp)
{
	ew_run(&(ew_ctx){ .op = EW_ADAMW, .n = P, .o = param, .o2 = m, .o3 = v,
	                  .a = grad, .adam = hp });
}

void imb_nn_cpu_scale(float *x, float alpha, size_t n)
{
	ew_run(&(ew_ctx){ .op = EW_SCALE, .n = n, .o = x, .alpha = alpha });
}

double imb_nn_cpu_dot(const float *a, const float *b, size_t n)
{
	size_t nb = (n + RED_BLOCK - 1) / RED_BLOCK;
	double stack[256], *part = nb <= 256 ? stack : imb_xmalloc(nb * sizeof(double));
	ew_run(&(ew_ctx){ .op = EW_DOT, .n = n, .a = a, .b = b, .part = part });
	double s = 0;
	for (size_t k = 0; k < nb; k++)
		s += part[k];
	if (part != stack)
		free(part);
	return s;
}

double imb_nn_cpu_sqnorm(const float *x, size_t n)
{
	return imb_nn_cpu_dot(x, x, n);
}

void imb_nn_cpu_axpy_norm(float *y, const float *x, const float *v, size_t n, double rho,
                          double eps)
{
	imb_nn_cpu_axpy(y, (float)(rho / (sqrt(imb_nn_cpu_sqnorm(v, n)) + eps)), x, n);
}

void imb_nn_cpu_lars_scale(float *g, const float *param, const float *grad, size_t n, float wd,
                           float eta, float lr, int clip)
{
	double pn = sqrt(imb_nn_cpu_sqnorm(param, n)), gn = sqrt(imb_nn_cpu_sqnorm(grad, n));
	if (pn == 0 || gn == 0)
		return;
	double trust = pn / (gn + pn * wd + 1e-8) * eta;
	if (clip)       /* min(trust / lr, 1); lr = 0 gives 1, as in torch */
		trust = lr > 0 && trust / lr < 1 ? trust / lr : 1;
	if (wd != 0)
		imb_nn_cpu_axpy(g, wd, param, n);
	imb_nn_cpu_scale(g, (float)trust, n);
}

/* Box-Muller costs a log, a sin and a cos per pair of elements: worth
 * threads from a smaller size than the other elementwise ops; the
 * values do not depend on the split */
void imb_nn_cpu_fill_normal(float *x, size_t n, float mean, float std, uint64_t seed,
                            uint64_t counter)
{
	ew_ctx c = { .op = EW_NORMAL, .n = n, .o = x, .mean = mean, .std = std,
	             .seed = seed, .counter = counter };
	c.T = n < EW_GRAIN / 16 ? 1 : imb_nn_pool_threads();
	if (c.T > 1)
		imb_nn_parallel(c.T, ew_task, &c);
	else
		ew_task(&c, 0);
}

void imb_nn_cpu_add_bias(float *out, const float *inp, const float *b, int R, int Cn)
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
void imb_nn_cpu_sum_rows(float *db, const float *dout, int R, int Cn)
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
/* rows to unit length; per row in double */

#define L2NORM_EPS 1e-12

void imb_nn_cpu_l2norm_rows(float *out, float *norm, const float *inp, int R, int Cn)
{
	for (int r = 0; r < R; r++) {
		const float *x = inp + (size_t)r * Cn;
		float *o = out + (size_t)r * Cn;
		double s = 0;
		for (int j = 0; j < Cn; j++)
			s += (double)x[j] * x[j];
		double n = sqrt(s);
		if (n < L2NORM_EPS)
			n = L2NORM_EPS;
		norm[r] = (float)n;
		for (int j = 0; j < Cn; j++)
			o[j] = (float)(x[j] / n);
	}
}

void imb_nn_cpu_l2norm_rows_backward(float *dinp, const float *dout, const float *out,
                                     const float *norm, int R, int Cn)
{
	for (int r = 0; r < R; r++) {
		const float *g = dout + (size_t)r * Cn, *y = out + (size_t)r * Cn;
		float *d = dinp + (size_t)r * Cn;
		double s = 0;
		for (int j = 0; j < Cn; j++)
			s += (double)y[j] * g[j];
		double in = 1.0 / norm[r];
		for (int j = 0; j < Cn; j++)
			d[j] += (float)((g[j] - y[j] * s) * in);
	}
}

/* ---------------------------------------------------------------- */
/* pooling */

void imb_nn_cpu_maxpool_forward(float *out, int32_t *argmax, const float *inp,
                                int N, int C, int H, int W, int K, int stride, int pad)
{
	int OH = (H + 2 * pad - K) / stride + 1, OW = (W + 2 * pad - K) / stride + 1;
	for (size_t p = 0; p < (size_t)N * C; p++) {
		const float *x = inp + p * H * W;
		for (int oh = 0; oh < OH; oh++)
			for (int ow = 0; ow < OW; ow++) {
				int32_t at;
				float best = imb_nn_maxpool_window(x, H, W, K, stride, pad, oh, ow, 1, &at);
				out[(p * OH + oh) * OW + ow] = best;
				argmax[(p * OH + oh) * OW + ow] = at;
			}
	}
}

void imb_nn_cpu_maxpool_backward(float *dinp, const float *dout, const int32_t *argmax,
                                 int N, int C, int H, int W, int OH, int OW)
{
	for (size_t p = 0; p < (size_t)N * C; p++)
		for (int i = 0; i < OH * OW; i++) {
			int32_t at = argmax[p * OH * OW + i];
			if (at >= 0)
				dinp[p * H * W + at] += dout[p * OH * OW + i];
		}
}

/* the CPU's image layout is NCHW: both are copies */
void imb_nn_cpu_images_in(float *out, const float *inp, int N, int C, int HW)
{
	memcpy(out, inp, (size_t)N * C * HW * sizeof *out);
}

void imb_nn_cpu_images_out(float *out, const float *inp, int N, int C, int HW)
{
	memcpy(out, inp, (size_t)N * C * HW * sizeof *out);
}

void imb_nn_cpu_avgpool_forward(float *out, const float *inp, int N, int C, int HW)
{
	for (size_t p = 0; p < (size_t)N * C; p++) {
		double s = 0;
		const float *x = inp + (size_t)p * HW;
		for (int i = 0; i < HW; i++)
			s += x[i];
		out[p] = (float)(s / HW);
	}
}

void imb_nn_cpu_avgpool_backward(float *dinp, const float *dout, int N, int C, int HW)
{
	for (size_t p = 0; p < (size_t)N * C; p++) {
		float g = dout[p] / HW, *d = dinp + (size_t)p * HW;
		for (int i = 0; i < HW; i++)
			d[i] += g;
	}
}

/* ---------------------------------------------------------------- */
/* softmax cross-entropy family; per sample in double */

void imb_nn_cpu_xent(float *dlogits, float *losses, float *loss, const float *logits,
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
	if (loss)
		*loss = (float)(total * norm);
}

/* ---------------------------------------------------------------- */
/* the table */

/* start-up: OpenBLAS on one thread, its own pool stopped (blas.h); one
 * device, which the registry's name parsing already holds to ordinal 0 */
static int cpu_init(int ordinal)
{
	(void)ordinal;
	imb_blas_single();
	return 0;
}

/* float32 only: the CPU has no faster arithmetic of lower precision */
static int cpu_set_precision(int p)
{
	return p == IMB_NN_FP32 ? 0 : imb_seterr("the cpu device computes in float32 only "
	                                        "(--precision fp32; tf32 and bf16 are for cuda)");
}

/* the CPU has no launches to save: a step's ops run as they come */
static void cpu_mark_step(long key)
{
	(void)key;
}

#define CPU_OP_(name, ret, args) .name = imb_nn_cpu_##name,
const imb_nn_backend imb_nn_backend_cpu = {
	.name = "cpu",
	.init = cpu_init,
	.set_threads = imb_nn_set_threads,
	.set_precision = cpu_set_precision,
	.mark_step = cpu_mark_step,
	IMB_NN_OPS(CPU_OP_)
};
