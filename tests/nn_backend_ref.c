/* nn_backend_ref.c: the reference backend, "ref": every op of
 * IMB_NN_OPS written the plain way, from the definitions in
 * nn_backend.h: one thread, host memory, straight loops, sums and
 * per-element arithmetic in double. No speed, no cleverness: it is what
 * test_nn_backend compares every other backend with (as ggml's
 * test-backend-ops compares with its CPU backend). Linked into that test
 * only; lib/nn_backend.c registers it by a weak reference. */
#include "nn_backend.h"
#include "philox.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int ref_init(int ordinal) { (void)ordinal; return 0; }
static void ref_set_threads(int n) { (void)n; }

/* ------------------------------------------------------------ memory */

static void *ref_alloc(size_t bytes) { return malloc(bytes ? bytes : 1); }
static void ref_free(void *p) { free(p); }
static void ref_upload(void *dst, const void *src, size_t n) { if (n) memcpy(dst, src, n); }
static void ref_download(void *dst, const void *src, size_t n) { if (n) memcpy(dst, src, n); }
static void ref_copy(void *dst, const void *src, size_t n) { if (n) memcpy(dst, src, n); }

static void ref_zero(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = 0;
}

/* ------------------------------------------------------------ gemm */

static void ref_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double acc = 0;
			for (int k = 0; k < K; k++) {
				double a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
				double b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
				acc += a * b;
			}
			float *c = &C[(size_t)i * ldc + j];
			*c = (float)(alpha * acc + (beta == 0 ? 0 : (double)beta * *c));
		}
}

/* ------------------------------------------------------------ convolution */

/* inp[n, c, ih, iw] for output (oh, ow) and kernel tap (kh, kw), or -1 in
 * the padding */
static long conv_at(const imb_nn_conv2d_shape *s, int n, int c, int oh, int ow, int kh, int kw)
{
	int ih = oh * s->stride - s->pad + kh, iw = ow * s->stride - s->pad + kw;
	if (ih < 0 || ih >= s->H || iw < 0 || iw >= s->W)
		return -1;
	return (((long)n * s->C + c) * s->H + ih) * s->W + iw;
}

static void ref_conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                               const imb_nn_conv2d_shape *s)
{
	for (int n = 0; n < s->N; n++)
	for (int o = 0; o < s->OC; o++)
	for (int oh = 0; oh < s->OH; oh++)
	for (int ow = 0; ow < s->OW; ow++) {
		double acc = b ? b[o] : 0;
		for (int c = 0; c < s->C; c++)
		for (int kh = 0; kh < s->KH; kh++)
		for (int kw = 0; kw < s->KW; kw++) {
			long at = conv_at(s, n, c, oh, ow, kh, kw);
			if (at >= 0)
				acc += (double)inp[at] * w[((o * s->C + c) * s->KH + kh) * s->KW + kw];
		}
		out[(((size_t)n * s->OC + o) * s->OH + oh) * s->OW + ow] = (float)acc;
	}
}

static void ref_conv2d_backward(float *dinp, float *dw, float *db, const float *dout,
                                const float *inp, const float *w,
                                const imb_nn_conv2d_shape *s, int set)
{
	size_t nx = (size_t)s->N * s->C * s->H * s->W, nw = (size_t)s->OC * s->C * s->KH * s->KW;
	if (dinp && (set & IMB_NN_SET_DINP))
		memset(dinp, 0, nx * sizeof *dinp);
	double *gx = calloc(nx, sizeof(double)), *gw = calloc(nw, sizeof(double));
	double *gb = calloc((size_t)s->OC, sizeof(double));
	for (int n = 0; n < s->N; n++)
	for (int o = 0; o < s->OC; o++)
	for (int oh = 0; oh < s->OH; oh++)
	for (int ow = 0; ow < s->OW; ow++) {
		double g = dout[(((size_t)n * s->OC + o) * s->OH + oh) * s->OW + ow];
		gb[o] += g;
		for (int c = 0; c < s->C; c++)
		for (int kh = 0; kh < s->KH; kh++)
		for (int kw = 0; kw < s->KW; kw++) {
			long at = conv_at(s, n, c, oh, ow, kh, kw);
			size_t wi = ((size_t)(o * s->C + c) * s->KH + kh) * s->KW + kw;
			if (at < 0)
				continue;
			gx[at] += g * w[wi];
			gw[wi] += g * inp[at];
		}
	}
	for (size_t i = 0; dinp && i < nx; i++)
		dinp[i] = (float)(dinp[i] + gx[i]);
	for (size_t i = 0; dw && i < nw; i++)
		dw[i] = (float)(dw[i] + gw[i]);
	for (int o = 0; db && o < s->OC; o++)
		db[o] = (float)(db[o] + gb[o]);
	free(gx);
	free(gw);
	free(gb);
}

/* ------------------------------------------------------------ batch norm */

#define BN_AT(n, c, i) (((size_t)(n) * C + (c)) * HW + (i))

static void bn_stats(const float *inp, int N, int C, int HW, int c, double *mean, double *var)
{
	double s = 0, q = 0, M = (double)N * HW;
	for (int n = 0; n < N; n++)
		for (int i = 0; i < HW; i++)
			s += inp[BN_AT(n, c, i)];
	*mean = s / M;
	for (int n = 0; n < N; n++)
		for (int i = 0; i < HW; i++) {
			double d = inp[BN_AT(n, c, i)] - *mean;
			q += d * d;
		}
	*var = q / M;
}

static void ref_relu_forward(float *out, const float *inp, size_t n);
static void ref_relu_backward(float *dinp, const float *dout, const float *out, size_t n);
static void ref_add(float *out, const float *a, const float *b, size_t n);
static void ref_axpy(float *y, float alpha, const float *x, size_t n);

static void ref_batchnorm_forward_train(float *out, float *mean, float *rstd, float *run_mean,
                                        float *run_var, const float *inp, const float *gamma,
                                        const float *beta, int N, int C, int HW,
                                        float momentum, float eps, const float *res,
                                        int relu)
{
	double M = (double)N * HW;
	for (int c = 0; c < C; c++) {
		double mu, var;
		bn_stats(inp, N, C, HW, c, &mu, &var);
		double r = 1 / sqrt(var + eps), g = gamma ? gamma[c] : 1, b = beta ? beta[c] : 0;
		for (int n = 0; n < N; n++)
			for (int i = 0; i < HW; i++)
				out[BN_AT(n, c, i)] = (float)((inp[BN_AT(n, c, i)] - mu) * r * g + b);
		if (mean)
			mean[c] = (float)mu;
		if (rstd)
			rstd[c] = (float)r;
		if (run_mean)
			run_mean[c] = (float)((1 - (double)momentum) * run_mean[c] + momentum * mu);
		if (run_var)
			run_var[c] = (float)((1 - (double)momentum) * run_var[c] +
			                     momentum * (M > 1 ? var * M / (M - 1) : var));
	}
	if (res)
		ref_add(out, out, res, (size_t)N * C * HW);
	if (relu)
		ref_relu_forward(out, out, (size_t)N * C * HW);
}

static void ref_batchnorm_forward_eval(float *out, const float *inp, const float *gamma,
                                       const float *beta, const float *run_mean,
                                       const float *run_var, int N, int C, int HW, float eps,
                                       const float *res, int relu)
{
	for (int c = 0; c < C; c++) {
		double r = 1 / sqrt((double)run_var[c] + eps), g = gamma ? gamma[c] : 1;
		double b = beta ? beta[c] : 0;
		for (int n = 0; n < N; n++)
			for (int i = 0; i < HW; i++)
				out[BN_AT(n, c, i)] = (float)((inp[BN_AT(n, c, i)] - run_mean[c]) * r * g + b);
	}
	if (res)
		ref_add(out, out, res, (size_t)N * C * HW);
	if (relu)
		ref_relu_forward(out, out, (size_t)N * C * HW);
}

/* the gradient that reaches a batch norm through the ReLU after it
 * (dout where relu_out > 0, else 0), or dout itself; free with
 * relu_done */
static const float *relu_masked(const float *dout, const float *relu_out, size_t n)
{
	if (!relu_out)
		return dout;
	float *g = calloc(n ? n : 1, sizeof *g);
	ref_relu_backward(g, dout, relu_out, n);
	return g;
}

/* a backward's set: the gradients it writes, zeroed to add into */
static void bn_set(float *dinp, float *dres, int set, size_t n)
{
	if (dinp && (set & IMB_NN_SET_DINP))
		memset(dinp, 0, n * sizeof *dinp);
	if (dres && (set & IMB_NN_SET_DRES))
		memset(dres, 0, n * sizeof *dres);
}

static void relu_done(const float *g, const float *dout)
{
	if (g != dout)
		free((void *)g);
}

/* dinp, dgamma, dbeta += the gradients through y = g (x - mean) r + b;
 * train: mean and r depend on x (dx = g r (dy - mean(dy) - xhat
 * mean(dy xhat))), eval: constants (dx = g r dy) */
static void bn_back(float *dinp, float *dgamma, float *dbeta, const float *dout,
                    const float *inp, const float *gamma, int N, int C, int HW, int c,
                    double mean, double r, int train)
{
	double M = (double)N * HW, sdy = 0, sdyx = 0, g = gamma ? gamma[c] : 1;
	for (int n = 0; n < N; n++)
		for (int i = 0; i < HW; i++) {
			double dy = dout[BN_AT(n, c, i)];
			sdy += dy;
			sdyx += dy * (inp[BN_AT(n, c, i)] - mean) * r;
		}
	if (dgamma)
		dgamma[c] = (float)(dgamma[c] + sdyx);
	if (dbeta)
		dbeta[c] = (float)(dbeta[c] + sdy);
	if (!dinp)
		return;
	for (int n = 0; n < N; n++)
		for (int i = 0; i < HW; i++) {
			size_t at = BN_AT(n, c, i);
			double xhat = (inp[at] - mean) * r, dy = dout[at];
			double dx = train ? g * r * (dy - sdy / M - xhat * sdyx / M) : g * r * dy;
			dinp[at] = (float)(dinp[at] + dx);
		}
}

static void ref_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                   const float *inp, const float *gamma, const float *beta,
                                   const float *mean,
                                   const float *rstd, int N, int C, int HW,
                                   const float *relu_out, float *dres, int set)
{
	bn_set(dinp, dres, set, (size_t)N * C * HW);
	const float *g = relu_masked(dout, relu_out, (size_t)N * C * HW);
	if (dres)
		ref_axpy(dres, 1, g, (size_t)N * C * HW);
	for (int c = 0; c < C; c++)
		bn_back(dinp, dgamma, dbeta, g, inp, gamma, N, C, HW, c, mean[c], rstd[c], 1);
	relu_done(g, dout);
}

static void ref_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta,
                                        const float *dout, const float *inp,
                                        const float *gamma, const float *run_mean,
                                        const float *run_var, int N, int C, int HW, float eps,
                                        const float *relu_out, float *dres, int set)
{
	bn_set(dinp, dres, set, (size_t)N * C * HW);
	const float *g = relu_masked(dout, relu_out, (size_t)N * C * HW);
	if (dres)
		ref_axpy(dres, 1, g, (size_t)N * C * HW);
	for (int c = 0; c < C; c++)
		bn_back(dinp, dgamma, dbeta, g, inp, gamma, N, C, HW, c, run_mean[c],
		        1 / sqrt((double)run_var[c] + eps), 0);
	relu_done(g, dout);
}

/* ------------------------------------------------------------ elementwise */

static void ref_relu_forward(float *out, const float *inp, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = inp[i] > 0 ? inp[i] : 0;
}

static void ref_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (out[i] > 0)
			dinp[i] += dout[i];
}

static void ref_add(float *out, const float *a, const float *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (float)((double)a[i] + b[i]);
}

static void ref_axpy(float *y, float alpha, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] = (float)(y[i] + (double)alpha * x[i]);
}

static void ref_mul(float *out, const float *a, const float *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (float)((double)a[i] * b[i]);
}

static void ref_mul_acc(float *y, const float *a, const float *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] = (float)(y[i] + (double)a[i] * b[i]);
}

static void ref_add_bias(float *out, const float *inp, const float *b, int R, int Cn)
{
	for (int r = 0; r < R; r++)
		for (int j = 0; j < Cn; j++) {
			size_t at = (size_t)r * Cn + j;
			out[at] = inp ? (float)((double)inp[at] + b[j]) : b[j];
		}
}

static void ref_sum_rows(float *db, const float *dout, int R, int Cn)
{
	for (int j = 0; j < Cn; j++) {
		double s = 0;
		for (int r = 0; r < R; r++)
			s += dout[(size_t)r * Cn + j];
		db[j] = (float)(db[j] + s);
	}
}

/* ------------------------------------------------------------ pooling */

static void ref_maxpool_forward(float *out, int32_t *argmax, const float *inp, int N, int C,
                                int H, int W, int K, int stride, int pad)
{
	int OH = (H + 2 * pad - K) / stride + 1, OW = (W + 2 * pad - K) / stride + 1;
	for (size_t p = 0; p < (size_t)N * C; p++)
		for (int oh = 0; oh < OH; oh++)
			for (int ow = 0; ow < OW; ow++) {
				int32_t at = -1;
				for (int kh = 0; kh < K; kh++)
					for (int kw = 0; kw < K; kw++) {
						int ih = oh * stride - pad + kh, iw = ow * stride - pad + kw;
						if (ih < 0 || ih >= H || iw < 0 || iw >= W)
							continue;
						if (at < 0 || inp[p * H * W + ih * W + iw] > inp[p * H * W + at])
							at = ih * W + iw;
					}
				size_t o = (p * OH + oh) * OW + ow;
				argmax[o] = at;
				out[o] = at < 0 ? -INFINITY : inp[p * H * W + at];
			}
}

static void ref_maxpool_backward(float *dinp, const float *dout, const int32_t *argmax, int N,
                                 int C, int H, int W, int OH, int OW)
{
	for (size_t p = 0; p < (size_t)N * C; p++)
		for (int i = 0; i < OH * OW; i++)
			if (argmax[p * OH * OW + i] >= 0)
				dinp[p * H * W + argmax[p * OH * OW + i]] += dout[p * OH * OW + i];
}

static void ref_avgpool_forward(float *out, const float *inp, int N, int C, int HW)
{
	for (size_t p = 0; p < (size_t)N * C; p++) {
		double s = 0;
		for (int i = 0; i < HW; i++)
			s += inp[(size_t)p * HW + i];
		out[p] = (float)(s / HW);
	}
}

static void ref_avgpool_backward(float *dinp, const float *dout, int N, int C, int HW)
{
	for (size_t p = 0; p < (size_t)N * C; p++)
		for (int i = 0; i < HW; i++)
			dinp[(size_t)p * HW + i] = (float)(dinp[(size_t)p * HW + i] + (double)dout[p] / HW);
}

/* ------------------------------------------------------------ loss */

/* l = -w (1 - p_t)^gamma log p_t over z' = s (z + adjust - [j = t] margin);
 * dl/dz'_j = w [gamma (1-p_t)^(gamma-1) log p_t - (1-p_t)^gamma / p_t]
 * dp_t/dz'_j with dp_t/dz'_j = p_t ([j = t] - p_j), then times s (the
 * chain rule through z'), over sum w */
static void ref_xent(float *dlogits, float *losses, float *loss, const float *logits,
                     const int32_t *y, int N, const imb_nn_xent *cfg)
{
	int K = cfg->K;
	double *zp = malloc((size_t)K * sizeof(double)), *p = malloc((size_t)K * sizeof(double));
	double wsum = 0, total = 0, gam = cfg->gamma;
	for (int i = 0; i < N; i++)
		wsum += cfg->weight ? cfg->weight[y[i]] : 1;
	for (int i = 0; i < N; i++) {
		int t = y[i];
		double zmax = -INFINITY, s = 0;
		for (int j = 0; j < K; j++) {
			zp[j] = cfg->scale * ((double)logits[(size_t)i * K + j] +
			                      (cfg->adjust ? cfg->adjust[j] : 0) -
			                      (cfg->margin && j == t ? cfg->margin[t] : 0));
			zmax = fmax(zmax, zp[j]);
		}
		for (int j = 0; j < K; j++)
			s += exp(zp[j] - zmax);
		for (int j = 0; j < K; j++)
			p[j] = exp(zp[j] - zmax) / s;
		double logpt = zp[t] - zmax - log(s), pt = p[t], w = cfg->weight ? cfg->weight[t] : 1;
		double l = -pow(1 - pt, gam) * logpt;
		if (losses)
			losses[i] = (float)l;
		total += w * l;
		if (!dlogits)
			continue;
		double dl_dpt = (gam != 0 && pt < 1 ? gam * pow(1 - pt, gam - 1) * logpt : 0) -
		                pow(1 - pt, gam) / pt;
		for (int j = 0; j < K; j++)
			dlogits[(size_t)i * K + j] =
				(float)(w / wsum * cfg->scale * dl_dpt * pt * ((j == t) - p[j]));
	}
	free(zp);
	free(p);
	if (loss)
		*loss = (float)(total / wsum);
}

/* ------------------------------------------------------------ optimisers */

static void ref_sgd_step(float *param, float *buf, const float *grad, size_t P,
                         const imb_nn_sgd_hp *hp, int first)
{
	for (size_t i = 0; i < P; i++) {
		double g = (double)grad[i] + (double)hp->weight_decay * param[i];
		if (hp->momentum != 0) {
			double b = first ? g : (double)hp->momentum * buf[i] + (1 - (double)hp->dampening) * g;
			buf[i] = (float)b;
			g = hp->nesterov ? g + (double)hp->momentum * b : b;
		}
		param[i] = (float)(param[i] - (double)hp->lr * g);
	}
}

static void ref_adamw_step(float *param, float *m, float *v, const float *grad, size_t P,
                           const imb_nn_adamw_hp *hp)
{
	double b1 = hp->beta1, b2 = hp->beta2;
	double bc1 = 1 - pow(b1, (double)hp->step), bc2 = 1 - pow(b2, (double)hp->step);
	for (size_t i = 0; i < P; i++) {
		double g = grad[i], p = param[i] * (1 - (double)hp->lr * hp->weight_decay);
		double mi = b1 * m[i] + (1 - b1) * g, vi = b2 * v[i] + (1 - b2) * g * g;
		m[i] = (float)mi;
		v[i] = (float)vi;
		param[i] = (float)(p - hp->lr / bc1 * mi / (sqrt(vi) / sqrt(bc2) + hp->eps));
	}
}

/* ------------------------------------------------------------ reductions, noise */

static void ref_scale(float *x, float alpha, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)((double)x[i] * alpha);
}

static double ref_dot(const float *a, const float *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

static double ref_sqnorm(const float *x, size_t n)
{
	return ref_dot(x, x, n);
}

static void ref_axpy_norm(float *y, const float *x, const float *v, size_t n, double rho,
                          double eps)
{
	ref_axpy(y, (float)(rho / (sqrt(ref_sqnorm(v, n)) + eps)), x, n);
}

static void ref_lars_scale(float *g, const float *param, const float *grad, size_t n, float wd,
                           float eta, float lr, int clip)
{
	double pn = sqrt(ref_sqnorm(param, n)), gn = sqrt(ref_sqnorm(grad, n));
	if (pn == 0 || gn == 0)
		return;
	double trust = pn / (gn + pn * wd + 1e-8) * eta;
	if (clip)
		trust = lr > 0 && trust / lr < 1 ? trust / lr : 1;
	if (wd != 0)
		ref_axpy(g, wd, param, n);
	ref_scale(g, (float)trust, n);
}

/* element by element from the definition in philox.h */
static void ref_fill_normal(float *x, size_t n, float mean, float std, uint64_t seed,
                            uint64_t counter)
{
	for (size_t i = 0; i < n; i++)
		x[i] = imb_philox_affine(mean, std, imb_philox_normal(seed, counter, i));
}

/* ------------------------------------------------------------ data */

/* a copy, so that a test reading the host's bytes after release would
 * fail under valgrind or ASan */
static const void *ref_hold(const void *host, size_t bytes)
{
	void *p = malloc(bytes ? bytes : 1);
	if (bytes)
		memcpy(p, host, bytes);
	return p;
}

static void ref_release(const void *p) { free((void *)p); }

static void ref_gather(float *out, const void *src, int u8, const int64_t *idx, int n,
                       size_t D)
{
	for (int i = 0; i < n; i++)
		for (size_t j = 0; j < D; j++) {
			size_t at = (size_t)idx[i] * D + j;
			out[(size_t)i * D + j] = u8 ? (float)((const uint8_t *)src)[at]
			                            : ((const float *)src)[at];
		}
}

static void ref_crop(float *out, const float *inp, const float *draw, int n, int C, int H,
                     int W, int pad)
{
	for (int s = 0; s < n; s++) {
		int dy = (int)draw[2 * s], dx = (int)draw[2 * s + 1];
		for (int c = 0; c < C; c++)
			for (int i = 0; i < H; i++)
				for (int j = 0; j < W; j++) {
					int si = i + dy - pad, sj = j + dx - pad;
					size_t plane = ((size_t)s * C + c) * H;
					out[(plane + i) * W + j] = si < 0 || si >= H || sj < 0 || sj >= W ? 0
					                           : inp[(plane + si) * W + sj];
				}
	}
}

static void ref_flip(float *out, const float *inp, const float *draw, int n, int C, int H,
                     int W)
{
	for (int s = 0; s < n; s++)
		for (size_t r = (size_t)s * C * H; r < (size_t)(s + 1) * C * H; r++)
			for (int j = 0; j < W; j++)
				out[r * W + j] = inp[r * W + (draw[s] != 0 ? W - 1 - j : j)];
}

/* ------------------------------------------------------------ unit rows */

static void ref_l2norm_rows(float *out, float *norm, const float *inp, int R, int Cn)
{
	for (int r = 0; r < R; r++) {
		double s = 0;
		for (int j = 0; j < Cn; j++)
			s += (double)inp[(size_t)r * Cn + j] * inp[(size_t)r * Cn + j];
		double n = fmax(sqrt(s), 1e-12);
		norm[r] = (float)n;
		for (int j = 0; j < Cn; j++)
			out[(size_t)r * Cn + j] = (float)(inp[(size_t)r * Cn + j] / n);
	}
}

static void ref_l2norm_rows_backward(float *dinp, const float *dout, const float *out,
                                     const float *norm, int R, int Cn)
{
	for (int r = 0; r < R; r++) {
		double s = 0;
		for (int j = 0; j < Cn; j++)
			s += (double)out[(size_t)r * Cn + j] * dout[(size_t)r * Cn + j];
		for (int j = 0; j < Cn; j++) {
			size_t k = (size_t)r * Cn + j;
			dinp[k] = (float)(dinp[k] + (dout[k] - out[k] * s) / norm[r]);
		}
	}
}

/* float operations, as the header prescribes: one rounding after each */
static void ref_normalize(float *out, const float *inp, const float *mean, const float *std,
                          float scale, int n, int C, int HW)
{
	for (int s = 0; s < n; s++)
		for (int c = 0; c < C; c++) {
			float is = 1 / std[c];
			for (int i = 0; i < HW; i++) {
				size_t at = ((size_t)s * C + c) * HW + i;
				float a = inp[at] * scale, b = a - mean[c];
				out[at] = b * is;
			}
		}
}

static void ref_tally(double *acc, const float *loss, const float *losses, const float *logits,
                      const int32_t *y, int n, int K)
{
	if (losses)
		for (int i = 0; i < n; i++)
			acc[0] += losses[i];
	else
		acc[0] += n * (double)loss[0];
	if (!isfinite(loss[0]))
		acc[1] += 1;
	acc[2] += n;
	for (int i = 0; logits && y && i < n; i++) {
		int k = y[i], best = 0;
		for (int j = 0; j < K; j++)
			if (logits[(size_t)i * K + j] > logits[(size_t)i * K + best])
				best = j;
		acc[3 + k] += best == k;
		acc[3 + K + k] += losses ? losses[i] : loss[0];
		acc[3 + 2 * K + k] += 1;
	}
}

/* bilinear, align_corners=False, from the definition: one axis' source
 * rows (or columns) and weight of the second */
static void ref_tap(int o, int O, int len, int *i0, int *i1, double *l)
{
	double src = (o + 0.5) * ((double)len / O) - 0.5;
	if (src < 0)
		src = 0;
	*i0 = (int)floor(src);
	*i1 = *i0 < len - 1 ? *i0 + 1 : *i0;
	*l = src - *i0;
}

static void ref_resized_crop(float *out, const float *inp, const float *draw, int n, int C,
                             int H, int W)
{
	for (int s = 0; s < n; s++) {
		int top = (int)draw[4 * s], left = (int)draw[4 * s + 1];
		int h = (int)draw[4 * s + 2], w = (int)draw[4 * s + 3];
		for (int c = 0; c < C; c++) {
			const float *p = inp + ((size_t)s * C + c) * H * W;
			for (int i = 0; i < H; i++)
				for (int j = 0; j < W; j++) {
					int y0, y1, x0, x1;
					double ly, lx;
					ref_tap(i, H, h, &y0, &y1, &ly);
					ref_tap(j, W, w, &x0, &x1, &lx);
					y0 += top; y1 += top; x0 += left; x1 += left;
					double v = (1 - ly) * ((1 - lx) * p[(size_t)y0 * W + x0] +
					                       lx * p[(size_t)y0 * W + x1]) +
					           ly * ((1 - lx) * p[(size_t)y1 * W + x0] +
					                 lx * p[(size_t)y1 * W + x1]);
					out[(((size_t)s * C + c) * H + i) * W + j] = (float)v;
				}
		}
	}
}

static double ref_clamp(double x, double hi) { return x < 0 ? 0 : x > hi ? hi : x; }

static double ref_gray(const double *px) { return 0.2989 * px[0] + 0.587 * px[1] + 0.114 * px[2]; }

/* torchvision's _rgb2hsv, (hue + shift) mod 1, _hsv2rgb, on [0, 1] */
static void ref_hue(double *px, double shift)
{
	double r = px[0], g = px[1], b = px[2];
	double mx = fmax(r, fmax(g, b)), mn = fmin(r, fmin(g, b)), h = 0, s = 0;
	if (mx != mn) {
		double cr = mx - mn;
		s = cr / mx;
		if (mx == r)
			h = ((mx - b) - (mx - g)) / cr;
		else if (mx == g)
			h = 2 + ((mx - r) - (mx - b)) / cr;
		else
			h = 4 + ((mx - g) - (mx - r)) / cr;
		h = fmod(h / 6 + 1, 1);
	}
	h = fmod(h + shift, 1);
	if (h < 0)
		h += 1;
	double h6 = h * 6, fi = floor(h6), f = h6 - fi, v = mx;
	double p = ref_clamp(v * (1 - s), 1), q = ref_clamp(v * (1 - s * f), 1),
	       t = ref_clamp(v * (1 - s * (1 - f)), 1);
	static const int pick[6][3] = { { 0, 3, 1 }, { 2, 0, 1 }, { 1, 0, 3 },
	                                { 1, 2, 0 }, { 3, 1, 0 }, { 0, 1, 2 } };
	double val[4] = { v, p, q, t };     /* pick: 0 v, 1 p, 2 q, 3 t */
	int k = (int)fi % 6;
	for (int c = 0; c < 3; c++)
		px[c] = val[pick[k][c]];
}

/* the image in double from start to end: each adjustment from its
 * definition in nn_backend.h */
static void ref_color_jitter(float *out, const float *inp, const float *draw, int n, int C,
                             int H, int W, float bound)
{
	size_t HW = (size_t)H * W;
	double *x = malloc(3 * HW * sizeof *x + 1);
	for (int s = 0; s < n; s++) {
		const float *d = draw + 6 * (size_t)s;
		for (size_t i = 0; i < 3 * HW; i++)
			x[i] = inp[(size_t)s * 3 * HW + i];
		/* the permutation: the k-th in lexicographic order */
		int k = (int)d[1], used[4] = { 0 }, ord[4];
		if (k < 0 || k > 23)
			k = 0;
		for (int j = 0, f = 6; j < 4; j++) {
			int at = k / f;
			k %= f;
			for (int m = 0; m < 4; m++)
				if (!used[m] && at-- == 0) {
					ord[j] = m;
					used[m] = 1;
					break;
				}
			f = j < 2 ? f / (3 - j) : 1;
		}
		for (int j = 0; d[0] != 0 && j < 4; j++) {
			double a = d[2 + ord[j]], m = 0;
			for (size_t i = 0; i < HW && ord[j] == 1; i++) {
				double px[3] = { x[i], x[HW + i], x[2 * HW + i] };
				m += ref_gray(px) / HW;
			}
			for (size_t i = 0; i < HW; i++) {
				double px[3] = { x[i], x[HW + i], x[2 * HW + i] }, gr = ref_gray(px);
				for (int c = 0; c < 3; c++)
					switch (ord[j]) {
					case 0: px[c] = ref_clamp(a * px[c], bound); break;
					case 1: px[c] = ref_clamp(a * px[c] + (1 - a) * m, bound); break;
					case 2: px[c] = ref_clamp(a * px[c] + (1 - a) * gr, bound); break;
					default: px[c] /= bound; break;
					}
				if (ord[j] == 3) {
					ref_hue(px, a);
					for (int c = 0; c < 3; c++)
						px[c] *= bound;
				}
				for (int c = 0; c < 3; c++)
					x[c * HW + i] = px[c];
			}
		}
		for (size_t i = 0; i < 3 * HW; i++)
			out[(size_t)s * 3 * HW + i] = (float)x[i];
	}
	free(x);
}

static void ref_grayscale(float *out, const float *inp, const float *draw, int n, int C, int H,
                          int W)
{
	size_t HW = (size_t)H * W;
	for (int s = 0; s < n; s++)
		for (size_t i = 0; i < HW; i++) {
			const float *p = inp + (size_t)s * 3 * HW + i;
			double px[3] = { p[0], p[HW], p[2 * HW] }, g = ref_gray(px);
			for (int c = 0; c < 3; c++)
				out[(size_t)s * 3 * HW + c * HW + i] = draw[s] != 0 ? (float)g : (float)px[c];
		}
}

/* the reference's image layout is NCHW: both are copies */
static void ref_images_in(float *out, const float *inp, int N, int C, int HW)
{
	memcpy(out, inp, (size_t)N * C * HW * sizeof *out);
}

static void ref_images_out(float *out, const float *inp, int N, int C, int HW)
{
	memcpy(out, inp, (size_t)N * C * HW * sizeof *out);
}

static int ref_set_precision(int p)
{
	return p == IMB_NN_FP32 ? 0 : imb_seterr("the reference backend computes in float32 only");
}

static void ref_mark_step(long key)
{
	(void)key;
}

#define REF_OP_(name, ret, args) .name = ref_##name,
const imb_nn_backend imb_nn_backend_ref = {
	.name = "ref",
	.init = ref_init,
	.set_threads = ref_set_threads,
	.set_precision = ref_set_precision,
	.mark_step = ref_mark_step,
	IMB_NN_OPS(REF_OP_)
};
