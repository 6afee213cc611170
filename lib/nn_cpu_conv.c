/* nn_cpu_conv.c: the CPU backend's convolution (im2col + sgemm, or
 * Winograd from nn_cpu_winograd.c) and batch norm. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "nn_cpu.h"

#include <cblas.h>
#include <math.h>

tl_buf imb_nn_cpu_scratch_tb;

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

void imb_nn_cpu_conv2d_forward(float *out, const float *inp, const float *w,
                               const float *b, const imb_nn_conv2d_shape *s)
{
	if (imb_nn_cpu_wino_ok(s)) {
		imb_nn_cpu_wino_conv(out, inp, w, b, 0, s);
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

void imb_nn_cpu_conv2d_backward(float *dinp, float *dw, float *db, const float *dout,
                                const float *inp, const float *w,
                                const imb_nn_conv2d_shape *s, int set)
{
	int ohw = s->OH * s->OW;
	if (dinp && (set & IMB_NN_SET_DINP))    /* written: added into zeros */
		memset(dinp, 0, (size_t)s->N * s->C * s->H * s->W * sizeof *dinp);
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
	if (imb_nn_cpu_wino_ok(s)) {
		if (dw) {
			imb_nn_cpu_wino_dw(dw, dout, inp, s);
			dw = NULL;
		}
		imb_nn_conv2d_shape t;
		if (dinp && !imb_nn_conv2d_shape_init(&t, s->N, s->OC, s->OH, s->OW, s->C,
		                                      3, 3, 1, 2 - s->pad) &&
		    t.OH == s->H && t.OW == s->W && imb_nn_cpu_wino_ok(&t)) {
			float *wt = flipped_kernel(w, s);
			imb_nn_cpu_wino_conv(dinp, dout, wt, NULL, 1, &t);
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
	const float *rout;      /* the fused ReLU's output (backward), or NULL */
	const float *res;       /* the fused residual (forward), or NULL */
	float *dres;            /* its gradient (backward), or NULL */
	int N, C, HW, T, mode, relu;
	int set;                /* backward: IMB_NN_SET_DINP, IMB_NN_SET_DRES */
	float momentum, eps;
} bn_ctx;

enum { BN_TRAIN, BN_EVAL, BN_BACK, BN_BACK_EVAL };

/* o (n) = o > 0 ? o : 0, four at a time by a mask (relu_forward's bits) */
static void relu_plane(float *o, size_t n)
{
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		v4f v = ld4(o + i);
		st4(o + i, (v4f)((v4i)(v > (v4f){ 0 }) & (v4i)v));
	}
	for (; i < n; i++)
		o[i] = o[i] > 0 ? o[i] : 0;
}

/* g (n) = the gradient that reaches a batch norm through the ReLU after
 * it: 0 + d where the ReLU's output r is positive, 0 elsewhere
 * (relu_backward's values into zeroed memory); four at a time, a mask
 * not a branch (half the signs are random) */
static void relu_mask(float *g, const float *r, const float *d, size_t n)
{
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		v4i keep = ld4(r + i) > (v4f){ 0 };
		st4(g + i, (v4f)(keep & (v4i)ld4(d + i)) + (v4f){ 0 });
	}
	for (; i < n; i++)
		g[i] = 0.0f + (r[i] > 0 ? d[i] : 0.0f);
}

/* plane (n, c) of the gradient the batch norm sees: dout's, or with a
 * fused ReLU the channel's masked planes made in gm (N * HW) */
static const float *plane_dy(const bn_ctx *b, const float *gm, int n, size_t c)
{
	return gm ? gm + (size_t)n * b->HW : b->dout + ((size_t)n * b->C + c) * b->HW;
}

static void bn_task(void *vc, int t)
{
	bn_ctx *b = vc;
	size_t lo, hi;
	split((size_t)b->C, b->T, t, &lo, &hi);
	size_t HW = (size_t)b->HW, M = (size_t)b->N * HW;
	float *gm = b->rout ? imb_xmalloc((size_t)b->N * HW * sizeof *gm) : NULL;
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
				if (b->res) {
					const float *r = b->res + ((size_t)n * b->C + c) * HW;
					for (size_t i = 0; i < HW; i++)
						o[i] += r[i];
				}
				if (b->relu)
					relu_plane(o, HW);
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
			if (gm)         /* the channel's masked gradient, once */
				for (int n = 0; n < b->N; n++) {
					size_t at = ((size_t)n * b->C + c) * HW;
					relu_mask(gm + (size_t)n * HW, b->rout + at, b->dout + at, HW);
				}
			if (b->dres)    /* the residual's share, as residual_backward's */
				for (int n = 0; n < b->N; n++) {
					const float *dy = plane_dy(b, gm, n, c);
					float *dr = b->dres + ((size_t)n * b->C + c) * HW;
					if (b->set & IMB_NN_SET_DRES)   /* 0 + dy: the zeroed add's bits */
						for (size_t i = 0; i < HW; i++)
							dr[i] = 0.0f + dy[i];
					else
						for (size_t i = 0; i < HW; i++)
							dr[i] += dy[i];
				}
			double sdy = 0, sdyx = 0;
			for (int n = 0; n < b->N; n++)
				sum_dy(plane_dy(b, gm, n, c), b->inp + ((size_t)n * b->C + c) * HW, HW,
				       mean, r, &sdy, &sdyx);
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
				const float *dy = plane_dy(b, gm, n, c);
				float *dx = b->dinp + ((size_t)n * b->C + c) * HW;
				if (b->set & IMB_NN_SET_DINP)
					for (size_t i = 0; i < HW; i++)
						dx[i] = 0.0f + k * (dy[i] - a - (x[i] - fm) * fr * q);
				else
					for (size_t i = 0; i < HW; i++)
						dx[i] += k * (dy[i] - a - (x[i] - fm) * fr * q);
			}
		}
	}
	free(gm);
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

void imb_nn_cpu_batchnorm_forward_train(float *out, float *mean, float *rstd,
                                        float *run_mean, float *run_var,
                                        const float *inp, const float *gamma,
                                        const float *beta, int N, int C, int HW,
                                        float momentum, float eps, const float *res,
                                        int relu)
{
	bn_run(&(bn_ctx){ .out = out, .mean = mean, .rstd = rstd, .run_mean = run_mean,
	                  .run_var = run_var, .inp = inp, .gamma = gamma, .beta = beta,
	                  .N = N, .C = C, .HW = HW, .momentum = momentum, .eps = eps,
	                  .mode = BN_TRAIN, .res = res, .relu = relu });
}

void imb_nn_cpu_batchnorm_forward_eval(float *out, const float *inp, const float *gamma,
                                       const float *beta, const float *run_mean,
                                       const float *run_var, int N, int C, int HW,
                                       float eps, const float *res, int relu)
{
	bn_run(&(bn_ctx){ .out = out, .inp = inp, .gamma = gamma, .beta = beta,
	                  .crun_mean = run_mean, .crun_var = run_var, .N = N, .C = C,
	                  .HW = HW, .eps = eps, .mode = BN_EVAL, .res = res, .relu = relu });
}

void imb_nn_cpu_batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                                   const float *dout, const float *inp,
                                   const float *gamma, const float *beta, const float *mean,
                                   const float *rstd, int N, int C, int HW,
                                   const float *relu_out, float *dres, int set)
{
	bn_run(&(bn_ctx){ .dinp = dinp, .dgamma = dgamma, .dbeta = dbeta, .dout = dout,
	                  .inp = inp, .gamma = gamma, .cmean = mean, .crstd = rstd,
	                  .N = N, .C = C, .HW = HW, .mode = BN_BACK, .rout = relu_out,
	                  .dres = dres, .set = set });
}

void imb_nn_cpu_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta,
                                        const float *dout, const float *inp,
                                        const float *gamma, const float *run_mean,
                                        const float *run_var, int N, int C, int HW,
                                        float eps, const float *relu_out, float *dres,
                                        int set)
{
	bn_run(&(bn_ctx){ .dinp = dinp, .dgamma = dgamma, .dbeta = dbeta, .dout = dout,
	                  .inp = inp, .gamma = gamma, .crun_mean = run_mean,
	                  .crun_var = run_var, .N = N, .C = C, .HW = HW, .eps = eps,
	                  .mode = BN_BACK_EVAL, .rout = relu_out, .dres = dres, .set = set });
}
