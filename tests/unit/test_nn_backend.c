/* test_nn_backend.c: every op of IMB_NN_OPS on every registered backend
 * against the reference backend (tests/nn_backend_ref.c: plain loops,
 * double sums), as ggml's test-backend-ops does. Each op runs on odd
 * sizes (1, primes, sizes either side of the threading grains), the
 * convolutions in geometries that take each path of the CPU backend
 * (Winograd for 3x3 stride-1 layers of 16-64 channels, im2col, 1x1,
 * strided, bands of large maps), on 1 and 3 threads. Prints the largest
 * difference of each op (relative to max(1, max |reference|)) and exits
 * non-zero when one is over its tolerance.
 *
 * The per-op table is generated from IMB_NN_OPS: an op without a
 * test_<op> function here does not compile, and a static_assert ties
 * the table to IMB_NN_OP_COUNT. A backend whose init fails (the CUDA
 * one on a machine without a GPU) is reported and skipped. Also: the
 * registry, that dot and sqnorm give the same bits on any thread
 * count, that axpy_norm gives axpy's bits with the host's alpha from
 * sqnorm, and lars_scale the bits of axpy and scale with the host's
 * trust from sqnorm (Philox itself: test_philox).
 *
 * A backend with bf16 (CUDA) runs the ops whose results depend on the
 * precision again in bf16 (BF16_OPS): there images hold bfloat16, and
 * every input is made of bfloat16 values, so that the roundings left
 * are the op's own (its outputs', and a product's inputs'); they are
 * held to BF16_TOL. */
#include "check.h"
#include "nn_backend.h"
#include "rng.h"
#include "util.h"

#include <stdint.h>

extern const imb_nn_backend imb_nn_backend_ref;
static const imb_nn_backend *const REF = &imb_nn_backend_ref;

static imb_rng rng;
static int bf16_pass;       /* the ops run in bf16 (see the top) */

/* ------------------------------------------------------------ helpers */

static float *rnd(size_t n, double lo, double hi)
{
	float *x = malloc((n ? n : 1) * sizeof(float));
	for (size_t i = 0; i < n; i++) {
		x[i] = (float)(lo + (hi - lo) * imb_rng_uniform(&rng));
		if (bf16_pass) {            /* to the nearest bfloat16, ties to even */
			uint32_t u;
			memcpy(&u, &x[i], 4);
			u = (u + 0x7fff + ((u >> 16) & 1)) & 0xffff0000u;
			memcpy(&x[i], &u, 4);
		}
	}
	return x;
}

static float *dup(const float *x, size_t n)
{
	float *y = malloc((n ? n : 1) * sizeof(float));
	memcpy(y, x, n * sizeof(float));
	return y;
}

/* backend copy of host x (n floats), or NULL for NULL */
static float *up(const imb_nn_backend *be, const float *x, size_t n)
{
	if (!x)
		return NULL;
	float *d = be->alloc((n ? n : 1) * sizeof(float));
	be->upload(d, x, n * sizeof(float));
	return d;
}

/* host copy of backend d, freeing d */
static float *down(const imb_nn_backend *be, float *d, size_t n)
{
	if (!d)
		return NULL;
	float *x = malloc((n ? n : 1) * sizeof(float));
	be->download(x, d, n * sizeof(float));
	be->free(d);
	return x;
}

/* Images travel in the backend's own layout (nn_backend.h): an image
 * argument (N,C,HW) goes in with images_in and comes back with
 * images_out, so that the reference's NCHW results compare with any
 * backend's. N == 0: not an image. grad: an image's gradient (or an
 * argmax), float32 in that layout in every precision: moved by
 * images_in and images_out in fp32. */
typedef struct { int N, C, HW, grad; } img;

static size_t img_n(img g) { return (size_t)g.N * g.C * g.HW; }

static img grad_of(img g) { g.grad = 1; return g; }

/* images_in (out 0) or images_out, of a gradient in fp32 during bf16_pass */
static void move_img(const imb_nn_backend *be, float *d, const float *x, img g, int out)
{
	int fp32 = g.grad && bf16_pass;
	if (fp32)
		be->set_precision(IMB_NN_FP32);
	(out ? be->images_out : be->images_in)(d, x, g.N, g.C, g.HW);
	if (fp32)
		be->set_precision(IMB_NN_BF16);
}

/* backend copy of host NCHW image x in be's layout */
static float *up_img(const imb_nn_backend *be, const float *x, img g)
{
	float *t = up(be, x, img_n(g)), *d = be->alloc((img_n(g) ? img_n(g) : 1) * sizeof(float));
	move_img(be, d, t, g, 0);
	be->free(t);
	return d;
}

/* host NCHW copy of backend image d, freeing d */
static float *down_img(const imb_nn_backend *be, float *d, img g)
{
	float *t = be->alloc((img_n(g) ? img_n(g) : 1) * sizeof(float));
	move_img(be, t, d, g, 1);
	be->free(d);
	return down(be, t, img_n(g));
}

/* max |got - want| / max(1, max |want|); NaN or a mismatch in where the
 * values are infinite counts as infinite */
static double mdiff(const float *got, const float *want, size_t n)
{
	double md = 0, mx = 1;
	for (size_t i = 0; i < n; i++) {
		if (isinf(want[i]) && got[i] == want[i])
			continue;
		double d = fabs((double)got[i] - want[i]);
		if (!(d <= md))
			md = isnan(d) ? INFINITY : d;
		if (fabs(want[i]) > mx)
			mx = fabs(want[i]);
	}
	return md / mx;
}

static double dmax(double a, double b) { return a > b ? a : b; }

/* run an op that reads ins and updates outs (in place) on be and on the
 * reference; return the largest difference over outs. The op is a
 * callback given backend pointers in the order outs, ins. */
typedef void (*op_fn)(const imb_nn_backend *be, float **p, const void *ctx);

/* images (NULL: none) gives each argument's image shape, outs then ins
 * (see img) */
static double run_img_op(const imb_nn_backend *be, op_fn fn, const void *ctx, int nout,
                         float **outs, const size_t *nouts, int nin, float **ins,
                         const size_t *nins, const img *images)
{
	assert(nout + nin <= 12);
	float *pb[12], *pr[12];
	img none = { 0, 0, 0, 0 };
	for (int k = 0; k < nout; k++) {
		img g = images ? images[k] : none;
		pb[k] = g.N && outs[k] ? up_img(be, outs[k], g) : up(be, outs[k], nouts[k]);
		pr[k] = outs[k] ? dup(outs[k], nouts[k]) : NULL;
	}
	for (int k = 0; k < nin; k++) {
		img g = images ? images[nout + k] : none;
		pb[nout + k] = g.N && ins[k] ? up_img(be, ins[k], g) : up(be, ins[k], nins[k]);
		pr[nout + k] = ins[k];
	}
	fn(be, pb, ctx);
	fn(REF, pr, ctx);
	double md = 0;
	for (int k = 0; k < nout; k++) {
		img g = images ? images[k] : none;
		float *got = g.N && pb[k] ? down_img(be, pb[k], g) : down(be, pb[k], nouts[k]);
		if (got)
			md = dmax(md, mdiff(got, pr[k], nouts[k]));
		free(got);
		free(pr[k]);
	}
	for (int k = 0; k < nin; k++)
		if (pb[nout + k])
			be->free(pb[nout + k]);
	return md;
}

static double run_op(const imb_nn_backend *be, op_fn fn, const void *ctx, int nout,
                     float **outs, const size_t *nouts, int nin, float **ins,
                     const size_t *nins)
{
	return run_img_op(be, fn, ctx, nout, outs, nouts, nin, ins, nins, NULL);
}

static const size_t SIZES[] = { 1, 2, 7, 97, 4097, 32767, 32768, 32769, 100003 };

/* ------------------------------------------------------------ memory */

static double test_alloc(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(SIZES); k++) {
		size_t n = SIZES[k];
		float *x = rnd(n, -1, 1), *d = up(be, x, n), *y = down(be, d, n);
		md = dmax(md, mdiff(y, x, n));
		free(x);
		free(y);
	}
	return md;
}

static double test_free(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	for (int k = 0; k < 100; k++)
		be->free(be->alloc((size_t)1 << (k % 20)));
	return 0;
}

/* upload and download at offsets and partial lengths */
static double test_upload(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	size_t n = 1009;
	float *x = rnd(n, -1, 1), *y = calloc(n, sizeof(float));
	float *d = be->alloc(n * sizeof(float));
	be->upload(d, y, n * sizeof(float));
	be->upload(d + 3, x + 3, 500 * sizeof(float));
	be->upload(d, x, 0);
	memcpy(y + 3, x + 3, 500 * sizeof(float));
	float *z = down(be, d, n);
	double md = mdiff(z, y, n);
	free(x); free(y); free(z);
	return md;
}

static double test_download(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	size_t n = 1013;
	float *x = rnd(n, -1, 1), *d = up(be, x, n), *y = calloc(n, sizeof(float));
	be->download(y + 5, d + 5, 700 * sizeof(float));
	for (size_t i = 0; i < n; i++)
		if ((i < 5 || i >= 705) ? y[i] != 0 : y[i] != x[i])
			y[i] = NAN;
	double md = mdiff(y, y, n);     /* NaN if anything went astray */
	for (size_t i = 5; i < 705; i++)
		md = dmax(md, fabs(y[i] - x[i]));
	be->free(d);
	free(x); free(y);
	return md;
}

static double test_copy(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(SIZES); k++) {
		size_t n = SIZES[k];
		float *x = rnd(n, -1, 1), *d = up(be, x, n), *e = be->alloc(n * sizeof(float));
		be->copy(e, d, n * sizeof(float));
		float *y = down(be, e, n);
		md = dmax(md, mdiff(y, x, n));
		be->free(d);
		free(x); free(y);
	}
	return md;
}

/* ------------------------------------------------------------ elementwise */

typedef struct { size_t n; float alpha; } ew_arg;

static void f_zero(const imb_nn_backend *be, float **p, const void *c)
{ be->zero(p[0], ((const ew_arg *)c)->n); }
static void f_relu_forward(const imb_nn_backend *be, float **p, const void *c)
{ be->relu_forward(p[0], p[1], ((const ew_arg *)c)->n); }
static void f_relu_backward(const imb_nn_backend *be, float **p, const void *c)
{ be->relu_backward(p[0], p[1], p[2], ((const ew_arg *)c)->n); }
static void f_add(const imb_nn_backend *be, float **p, const void *c)
{ be->add(p[0], p[1], p[2], ((const ew_arg *)c)->n); }
static void f_axpy(const imb_nn_backend *be, float **p, const void *c)
{ be->axpy(p[0], ((const ew_arg *)c)->alpha, p[1], ((const ew_arg *)c)->n); }
static void f_mul(const imb_nn_backend *be, float **p, const void *c)
{ be->mul(p[0], p[1], p[2], ((const ew_arg *)c)->n); }
static void f_mul_acc(const imb_nn_backend *be, float **p, const void *c)
{ be->mul_acc(p[0], p[1], p[2], ((const ew_arg *)c)->n); }
static void f_scale(const imb_nn_backend *be, float **p, const void *c)
{ be->scale(p[0], ((const ew_arg *)c)->alpha, ((const ew_arg *)c)->n); }
/* in place: out is the first input */
static void f_add_inplace(const imb_nn_backend *be, float **p, const void *c)
{ be->add(p[0], p[0], p[1], ((const ew_arg *)c)->n); }
static void f_relu_inplace(const imb_nn_backend *be, float **p, const void *c)
{ be->relu_forward(p[0], p[0], ((const ew_arg *)c)->n); }

/* an elementwise op with one output (initialised at random) and nin
 * random inputs, over every size of SIZES */
static double ew_test(const imb_nn_backend *be, op_fn fn, int nin)
{
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(SIZES); k++) {
		ew_arg a = { SIZES[k], -0.7f };
		size_t ns[3] = { a.n, a.n, a.n };
		float *o = rnd(a.n, -1, 1), *in[2] = { rnd(a.n, -1, 1), rnd(a.n, -1, 1) };
		md = dmax(md, run_op(be, fn, &a, 1, &o, ns, nin, in, ns + 1));
		free(o); free(in[0]); free(in[1]);
	}
	return md;
}

static double test_zero(const imb_nn_backend *be, double *tol)
{ *tol = 0; return ew_test(be, f_zero, 0); }
static double test_relu_forward(const imb_nn_backend *be, double *tol)
{ *tol = 0; return dmax(ew_test(be, f_relu_forward, 1), ew_test(be, f_relu_inplace, 0)); }
static double test_relu_backward(const imb_nn_backend *be, double *tol)
{ *tol = 0; return ew_test(be, f_relu_backward, 2); }
static double test_add(const imb_nn_backend *be, double *tol)
{ *tol = 0; return dmax(ew_test(be, f_add, 2), ew_test(be, f_add_inplace, 1)); }
/* two roundings in float against one from double: within 2 ulps */
static double test_axpy(const imb_nn_backend *be, double *tol)
{ *tol = 2.5e-7; return ew_test(be, f_axpy, 1); }
static double test_mul(const imb_nn_backend *be, double *tol)
{ *tol = 0; return ew_test(be, f_mul, 2); }
static double test_mul_acc(const imb_nn_backend *be, double *tol)
{ *tol = 2.5e-7; return ew_test(be, f_mul_acc, 2); }
static double test_scale(const imb_nn_backend *be, double *tol)
{ *tol = 0; return ew_test(be, f_scale, 0); }

typedef struct { int R, Cn, null_inp; } rows_arg;

static void f_add_bias(const imb_nn_backend *be, float **p, const void *c)
{
	const rows_arg *a = c;
	be->add_bias(p[0], a->null_inp ? NULL : p[1], p[2], a->R, a->Cn);
}

static void f_sum_rows(const imb_nn_backend *be, float **p, const void *c)
{
	const rows_arg *a = c;
	be->sum_rows(p[0], p[1], a->R, a->Cn);
}

static const int ROWS[][2] = { { 1, 1 }, { 1, 300 }, { 8, 10 }, { 9, 7 }, { 300, 1 },
                               { 128, 64 }, { 131, 257 }, { 1000, 2 } };

static double test_add_bias(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(ROWS); k++)
		for (int nul = 0; nul < 2; nul++) {
			rows_arg a = { ROWS[k][0], ROWS[k][1], nul };
			size_t n = (size_t)a.R * a.Cn, no[1] = { n }, ni[2] = { n, (size_t)a.Cn };
			float *o = rnd(n, -1, 1), *in[2] = { rnd(n, -1, 1), rnd(a.Cn, -1, 1) };
			md = dmax(md, run_op(be, f_add_bias, &a, 1, &o, no, 2, in, ni));
			free(o); free(in[0]); free(in[1]);
		}
	return md;
}

static double test_sum_rows(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-6;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(ROWS); k++) {
		rows_arg a = { ROWS[k][0], ROWS[k][1], 0 };
		size_t n = (size_t)a.R * a.Cn, no[1] = { (size_t)a.Cn }, ni[1] = { n };
		float *o = rnd(a.Cn, -1, 1), *in = rnd(n, -1, 1);
		md = dmax(md, run_op(be, f_sum_rows, &a, 1, &o, no, 1, &in, ni));
		free(o); free(in);
	}
	return md;
}

/* ------------------------------------------------------------ gemm */

typedef struct { int ta, tb, M, N, K; float alpha, beta; } gemm_arg;

static void f_gemm(const imb_nn_backend *be, float **p, const void *c)
{
	const gemm_arg *g = c;
	be->gemm(g->ta, g->tb, g->M, g->N, g->K, g->alpha, p[1], g->ta ? g->M : g->K, p[2],
	         g->tb ? g->K : g->N, g->beta, p[0], g->N);
}

/* the small-gemm shapes (a dimension <= 16), OpenBLAS's, split by rows
 * and by columns, primes */
static const int GEMMS[][3] = { { 1, 1, 1 }, { 128, 64, 2 }, { 37, 45, 3 }, { 2, 64, 128 },
                                { 130, 2, 64 }, { 45, 5, 131 }, { 64, 7, 16 }, { 17, 13, 11 },
                                { 300, 100, 80 }, { 90, 310, 77 }, { 97, 101, 103 } };

static double test_gemm(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-5;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(GEMMS); k++)
		for (int t = 0; t < 4; t++)
			for (int bi = 0; bi < 3; bi++) {
				gemm_arg g = { t & 1, t >> 1, GEMMS[k][0], GEMMS[k][1], GEMMS[k][2],
				               0.5f, bi == 0 ? 0.0f : bi == 1 ? 1.0f : -2.0f };
				size_t nc = (size_t)g.M * g.N, na = (size_t)g.M * g.K, nb = (size_t)g.K * g.N;
				float *C = rnd(nc, -1, 1), *in[2] = { rnd(na, -1, 1), rnd(nb, -1, 1) };
				if (g.beta == 0)        /* C must not be read */
					for (size_t i = 0; i < nc; i++)
						C[i] = NAN;
				size_t no[1] = { nc }, ni[2] = { na, nb };
				md = dmax(md, run_op(be, f_gemm, &g, 1, &C, no, 2, in, ni));
				free(C); free(in[0]); free(in[1]);
			}
	return md;
}

/* ------------------------------------------------------------ convolution */

/* N, C, H, W, OC, KH, KW, stride, pad */
static const int CONVS[][9] = {
	{ 2, 3, 5, 5, 4, 3, 3, 1, 1 },          /* small: im2col, grouped images */
	{ 2, 3, 7, 6, 4, 3, 3, 2, 1 },          /* stride 2 */
	{ 3, 4, 5, 5, 6, 1, 1, 1, 0 },          /* 1x1 */
	{ 2, 3, 6, 7, 4, 1, 1, 2, 0 },          /* 1x1 stride 2 (a shortcut) */
	{ 2, 2, 5, 7, 3, 2, 3, 2, 2 },          /* rectangular kernel */
	{ 2, 2, 2, 2, 3, 7, 7, 1, 3 },          /* kernel wider than the image */
	{ 3, 1, 4, 4, 2, 3, 3, 3, 0 },          /* stride 3 */
	{ 1, 2, 40, 37, 3, 3, 3, 1, 1 },        /* bands of output rows */
	{ 2, 2, 18, 17, 3, 5, 5, 1, 2 },        /* stride-1 input gradient as a conv */
	{ 1, 1, 1, 1, 1, 1, 1, 1, 0 },
	{ 2, 16, 8, 8, 16, 3, 3, 1, 1 },        /* Winograd */
	{ 3, 32, 7, 9, 32, 3, 3, 1, 1 },        /* Winograd, odd map */
	{ 2, 64, 8, 8, 64, 3, 3, 1, 1 },        /* Winograd */
	{ 2, 17, 9, 7, 19, 3, 3, 1, 0 },        /* Winograd, pad 0, primes */
	{ 64, 5, 6, 6, 8, 3, 3, 1, 1 },         /* larger batches */
	{ 128, 3, 4, 4, 4, 3, 3, 2, 1 },        /* (a stem: C = 3, strided) */
	{ 2, 16, 6, 6, 32, 3, 3, 2, 1 },        /* 16-32 channels, strided: im2col */
};

/* which: the gradients wanted (1 dinp, 2 dw, 4 db); set: the backward's */
typedef struct { imb_nn_conv2d_shape s; int bias, which, set, same_w; } conv_arg;

static void f_conv_fwd(const imb_nn_backend *be, float **p, const void *c)
{
	const conv_arg *a = c;
	be->conv2d_forward(p[0], p[1], p[2], a->bias ? p[3] : NULL, &a->s);
}

/* outs dinp, dw, db; ins dout, inp, w; `which` drops some gradients;
 * with set, dinp's random contents must not count; same_w: a forward
 * with w first, and the backward told w is unchanged since */
static void f_conv_bwd(const imb_nn_backend *be, float **p, const void *c)
{
	const conv_arg *a = c;
	if (a->same_w) {
		float *out = be->alloc((size_t)a->s.N * a->s.OC * a->s.OH * a->s.OW * sizeof(float));
		be->conv2d_forward(out, p[4], p[5], NULL, &a->s);
		be->free(out);
	}
	be->conv2d_backward(a->which & 1 ? p[0] : NULL, a->which & 2 ? p[1] : NULL,
	                    a->which & 4 ? p[2] : NULL, p[3], p[4], p[5], &a->s,
	                    a->set | (a->same_w ? IMB_NN_SAME_W : 0));
}

static conv_arg conv_shape(size_t k, size_t *nx, size_t *nw, size_t *no)
{
	const int *g = CONVS[k];
	conv_arg a = { .bias = k % 2 == 0 };
	imb_nn_conv2d_shape_init(&a.s, g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8]);
	*nx = (size_t)a.s.N * a.s.C * a.s.H * a.s.W;
	*nw = (size_t)a.s.OC * a.s.C * a.s.KH * a.s.KW;
	*no = (size_t)a.s.N * a.s.OC * a.s.OH * a.s.OW;
	return a;
}

static img conv_in(const imb_nn_conv2d_shape *s) { return (img){ s->N, s->C, s->H * s->W, 0 }; }
static img conv_out(const imb_nn_conv2d_shape *s) { return (img){ s->N, s->OC, s->OH * s->OW, 0 }; }

static double test_conv2d_forward(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-5;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(CONVS); k++) {
		size_t nx, nw, no;
		conv_arg a = conv_shape(k, &nx, &nw, &no);
		float *o = rnd(no, -1, 1), *in[3] = { rnd(nx, -1, 1), rnd(nw, -1, 1), rnd(a.s.OC, -1, 1) };
		size_t nos[1] = { no }, nis[3] = { nx, nw, (size_t)a.s.OC };
		img g[4] = { conv_out(&a.s), conv_in(&a.s) };
		md = dmax(md, run_img_op(be, f_conv_fwd, &a, 1, &o, nos, 3, in, nis, g));
		free(o); free(in[0]); free(in[1]); free(in[2]);
	}
	return md;
}

static double test_conv2d_backward(const imb_nn_backend *be, double *tol)
{
	/* CUDA in strict fp32 runs cuDNN's NCHW algorithms, whose weight
	 * gradients sum in other orders (1.25e-5 seen on an H200): held to
	 * the float32 bound the GPU must meet, 1e-4; the others to 1e-5 */
	*tol = strcmp(be->name, "cuda") ? 1e-5 : 1e-4;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(CONVS); k++) {
		size_t nx, nw, no;
		conv_arg a = conv_shape(k, &nx, &nw, &no);
		a.which = k % 3 == 1 ? 1 + (int)(k % 7) : 7;    /* now and then a NULL gradient */
		a.set = k % 2 ? IMB_NN_SET_DINP : 0;
		a.same_w = k % 4 < 2;
		float *outs[3] = { rnd(nx, -1, 1), rnd(nw, -1, 1), rnd(a.s.OC, -1, 1) };
		float *in[3] = { rnd(no, -1, 1), rnd(nx, -1, 1), rnd(nw, -1, 1) };
		size_t nos[3] = { nx, nw, (size_t)a.s.OC }, nis[3] = { no, nx, nw };
		img g[6] = { grad_of(conv_in(&a.s)), { 0 }, { 0 }, grad_of(conv_out(&a.s)),
		             conv_in(&a.s) };
		md = dmax(md, run_img_op(be, f_conv_bwd, &a, 3, outs, nos, 3, in, nis, g));
		for (int i = 0; i < 3; i++) {
			free(outs[i]);
			free(in[i]);
		}
	}
	return md;
}

/* ------------------------------------------------------------ batch norm */

static const int BNS[][3] = { { 4, 3, 9 }, { 8, 5, 1 }, { 1, 2, 7 }, { 16, 6, 400 },
                              { 3, 17, 97 }, { 2, 64, 64 }, { 128, 16, 1 } };

/* relu: the ReLU fused; res: a residual fused (forward: added, backward:
 * its gradient gathered); set: the backward's (IMB_NN_SET_DINP and
 * IMB_NN_SET_DRES: those outputs' random contents must not count) */
typedef struct { int N, C, HW, null_opt; float momentum, eps; int relu, res, set; } bn_arg;

/* outs out, mean, rstd, run_mean, run_var; ins inp, gamma, beta, res */
static void f_bn_train(const imb_nn_backend *be, float **p, const void *c)
{
	const bn_arg *a = c;
	be->batchnorm_forward_train(p[0], p[1], p[2], a->null_opt ? NULL : p[3],
	                            a->null_opt ? NULL : p[4], p[5], a->null_opt ? NULL : p[6],
	                            a->null_opt ? NULL : p[7], a->N, a->C, a->HW, a->momentum,
	                            a->eps, a->res ? p[8] : NULL, a->relu);
}

/* outs out; ins inp, gamma, beta, run_mean, run_var (positive), res */
static void f_bn_eval(const imb_nn_backend *be, float **p, const void *c)
{
	const bn_arg *a = c;
	be->batchnorm_forward_eval(p[0], p[1], p[2], p[3], p[4], p[5], a->N, a->C, a->HW, a->eps,
	                           a->res ? p[6] : NULL, a->relu);
}

/* outs dinp, dgamma, dbeta, dres; ins dout, inp, gamma, mean, rstd (or
 * run_mean, run_var), the fused ReLU's output, beta (given with the ReLU
 * and no residual: the output is then the forward's, from beta) */
static void f_bn_back(const imb_nn_backend *be, float **p, const void *c)
{
	const bn_arg *a = c;
	be->batchnorm_backward(p[0], p[1], p[2], p[4], p[5], p[6],
	                       a->relu && !a->res ? p[10] : NULL, p[7], p[8], a->N, a->C, a->HW,
	                       a->relu ? p[9] : NULL, a->res ? p[3] : NULL, a->set);
}

static void f_bn_back_eval(const imb_nn_backend *be, float **p, const void *c)
{
	const bn_arg *a = c;
	be->batchnorm_backward_eval(a->null_opt ? NULL : p[0], p[1], p[2], p[4], p[5], p[6], p[7],
	                            p[8], a->N, a->C, a->HW, a->eps, a->relu ? p[9] : NULL,
	                            a->res ? p[3] : NULL, a->set);
}

/* mean and rstd of inp's channels (what the train forward saves) */
static void bn_saved(const float *x, const bn_arg *a, float *mean, float *rstd)
{
	for (int c = 0; c < a->C; c++) {
		double s = 0, q = 0, M = (double)a->N * a->HW;
		for (int n = 0; n < a->N; n++)
			for (int i = 0; i < a->HW; i++)
				s += x[((size_t)n * a->C + c) * a->HW + i];
		for (int n = 0; n < a->N; n++)
			for (int i = 0; i < a->HW; i++) {
				double d = x[((size_t)n * a->C + c) * a->HW + i] - s / M;
				q += d * d;
			}
		mean[c] = (float)(s / M);
		rstd[c] = (float)(1 / sqrt(q / M + a->eps));
	}
}

/* every shape plain, with the ReLU fused, with a residual and the ReLU
 * (a block's tail), and with a residual alone */
static double bn_test(const imb_nn_backend *be, int mode)
{
	double md = 0;
	for (size_t k = 0; k < 4 * IMB_LEN(BNS); k++) {
		size_t j = k / 4;
		bn_arg a = { BNS[j][0], BNS[j][1], BNS[j][2], (int)(j % 2), 0.1f, 1e-5f,
		             k % 4 == 1 || k % 4 == 2, k % 4 >= 2, (int)(j % 4) };
		size_t n = (size_t)a.N * a.C * a.HW, C = (size_t)a.C;
		img x = { a.N, a.C, a.HW, 0 };
		if (mode == 0) {
			float *outs[5] = { rnd(n, -1, 1), rnd(C, -1, 1), rnd(C, -1, 1), rnd(C, -1, 1),
			                   rnd(C, 0.5, 2) };
			float *in[4] = { rnd(n, -2, 3), rnd(C, 0.5, 1.5), rnd(C, -1, 1), rnd(n, -1, 1) };
			size_t nos[5] = { n, C, C, C, C }, nis[4] = { n, C, C, n };
			img g[9] = { x, [5] = x, [8] = x };
			md = dmax(md, run_img_op(be, f_bn_train, &a, 5, outs, nos, 4, in, nis, g));
			for (int i = 0; i < 5; i++)
				free(outs[i]);
			for (int i = 0; i < 4; i++)
				free(in[i]);
		} else if (mode == 1) {
			float *o = rnd(n, -1, 1);
			float *in[6] = { rnd(n, -2, 3), rnd(C, 0.5, 1.5), rnd(C, -1, 1), rnd(C, -1, 1),
			                 rnd(C, 0.5, 2), rnd(n, -1, 1) };
			size_t nos[1] = { n }, nis[6] = { n, C, C, C, C, n };
			img g[7] = { x, x, [6] = x };
			md = dmax(md, run_img_op(be, f_bn_eval, &a, 1, &o, nos, 6, in, nis, g));
			free(o);
			for (int i = 0; i < 6; i++)
				free(in[i]);
		} else {
			float *outs[4] = { rnd(n, -1, 1), rnd(C, -1, 1), rnd(C, -1, 1), rnd(n, -1, 1) };
			/* the ReLU's output: positive or zero, as a ReLU leaves it */
			float *in[7] = { rnd(n, -1, 1), rnd(n, -2, 3), rnd(C, 0.5, 1.5), rnd(C, -1, 1),
			                 rnd(C, 0.5, 2), rnd(n, -1, 1), rnd(C, -1, 1) };
			for (size_t i = 0; i < n; i++)
				in[5][i] = in[5][i] > 0 ? in[5][i] : 0;
			if (mode == 2)
				bn_saved(in[1], &a, in[3], in[4]);
			/* with the ReLU and no residual, its output from the forward's
			 * arithmetic on beta (in[6]), which a backend may use instead */
			if (mode == 2 && a.relu && !a.res)
				for (size_t i = 0; i < n; i++) {
					size_t c = i / a.HW % a.C;
					float y = (in[1][i] - in[3][c]) * (in[4][c] * in[2][c]) + in[6][c];
					in[5][i] = y > 0 ? y : 0;
				}
			size_t nos[4] = { n, C, C, n }, nis[7] = { n, n, C, C, C, n, C };
			img g[11] = { grad_of(x), [3] = grad_of(x), [4] = grad_of(x), [5] = x, [9] = x };
			md = dmax(md, run_img_op(be, mode == 2 ? f_bn_back : f_bn_back_eval, &a, 4, outs,
			                         nos, 7, in, nis, g));
			for (int i = 0; i < 4; i++)
				free(outs[i]);
			for (int i = 0; i < 7; i++)
				free(in[i]);
		}
	}
	return md;
}

static double test_batchnorm_forward_train(const imb_nn_backend *be, double *tol)
{ *tol = 1e-5; return bn_test(be, 0); }
static double test_batchnorm_forward_eval(const imb_nn_backend *be, double *tol)
{ *tol = 1e-6; return bn_test(be, 1); }
static double test_batchnorm_backward(const imb_nn_backend *be, double *tol)
{ *tol = 1e-5; return bn_test(be, 2); }
static double test_batchnorm_backward_eval(const imb_nn_backend *be, double *tol)
{ *tol = 1e-5; return bn_test(be, 3); }

/* ------------------------------------------------------------ pooling */

/* N, C, H, W, K, stride, pad */
static const int POOLS[][7] = { { 2, 3, 6, 6, 2, 2, 0 }, { 2, 2, 7, 5, 3, 2, 1 },
                                { 1, 1, 1, 1, 1, 1, 0 }, { 3, 5, 11, 13, 3, 1, 1 },
                                { 2, 4, 32, 32, 3, 2, 1 } };

typedef struct { int N, C, H, W, K, S, P, OH, OW; } pool_arg;

static pool_arg pool_shape(size_t k)
{
	const int *g = POOLS[k];
	pool_arg a = { g[0], g[1], g[2], g[3], g[4], g[5], g[6], 0, 0 };
	a.OH = (a.H + 2 * a.P - a.K) / a.S + 1;
	a.OW = (a.W + 2 * a.P - a.K) / a.S + 1;
	return a;
}

static double test_maxpool_forward(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(POOLS); k++) {
		pool_arg a = pool_shape(k);
		size_t nx = (size_t)a.N * a.C * a.H * a.W, no = (size_t)a.N * a.C * a.OH * a.OW;
		float *x = rnd(nx, -1, 1), *o[2];
		int32_t *am[2];
		for (int r = 0; r < 2; r++) {
			const imb_nn_backend *b = r ? REF : be;
			img gx = { a.N, a.C, a.H * a.W, 0 }, go = { a.N, a.C, a.OH * a.OW, 0 };
			float *dx = up_img(b, x, gx), *dout = b->alloc(no * sizeof(float));
			int32_t *dam = b->alloc(no * sizeof(int32_t));
			b->maxpool_forward(dout, dam, dx, a.N, a.C, a.H, a.W, a.K, a.S, a.P);
			o[r] = down_img(b, dout, go);
			/* the argmax image: 4-byte items, moved as they are */
			am[r] = (int32_t *)down_img(b, (float *)dam, grad_of(go));
			b->free(dx);
		}
		md = dmax(md, mdiff(o[0], o[1], no));
		if (memcmp(am[0], am[1], no * sizeof(int32_t)))
			md = INFINITY;
		free(x); free(o[0]); free(o[1]); free(am[0]); free(am[1]);
	}
	return md;
}

static double test_maxpool_backward(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-7;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(POOLS); k++) {
		pool_arg a = pool_shape(k);
		size_t nx = (size_t)a.N * a.C * a.H * a.W, no = (size_t)a.N * a.C * a.OH * a.OW;
		float *x = rnd(nx, -1, 1), *dout = rnd(no, -1, 1), *d0 = rnd(nx, -1, 1), *dx[2];
		int32_t *am = malloc(no * sizeof(int32_t));
		float *o = malloc(no * sizeof(float));
		REF->maxpool_forward(o, am, x, a.N, a.C, a.H, a.W, a.K, a.S, a.P);
		for (int r = 0; r < 2; r++) {
			const imb_nn_backend *b = r ? REF : be;
			img gx = { a.N, a.C, a.H * a.W, 1 }, go = { a.N, a.C, a.OH * a.OW, 1 };
			float *dd = up_img(b, d0, gx), *ddo = up_img(b, dout, go);
			int32_t *dam = (int32_t *)up_img(b, (const float *)am, go);
			b->maxpool_backward(dd, ddo, dam, a.N, a.C, a.H, a.W, a.OH, a.OW);
			dx[r] = down_img(b, dd, gx);
			b->free(ddo);
			b->free(dam);
		}
		md = dmax(md, mdiff(dx[0], dx[1], nx));
		free(x); free(dout); free(d0); free(am); free(o); free(dx[0]); free(dx[1]);
	}
	return md;
}

static void f_avg_fwd(const imb_nn_backend *be, float **p, const void *c)
{
	const img *a = c;
	be->avgpool_forward(p[0], p[1], a->N, a->C, a->HW);
}

static void f_avg_bwd(const imb_nn_backend *be, float **p, const void *c)
{
	const img *a = c;
	be->avgpool_backward(p[0], p[1], a->N, a->C, a->HW);
}

/* N, C, HW */
static const int AVGS[][3] = { { 1, 1, 1 }, { 3, 4, 16 }, { 7, 1, 49 }, { 10, 64, 64 },
                               { 3, 1, 1 }, { 5, 7, 9 } };

static double avg_test(const imb_nn_backend *be, int bwd)
{
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(AVGS); k++) {
		img a = { AVGS[k][0], AVGS[k][1], AVGS[k][2], 0 }, none = { 0, 0, 0, 0 };
		size_t nx = img_n(a), no = (size_t)a.N * a.C;
		size_t nos[1] = { bwd ? nx : no }, nis[1] = { bwd ? no : nx };
		float *o = rnd(nos[0], -1, 1), *in = rnd(nis[0], -1, 1);
		img g[2] = { bwd ? grad_of(a) : none, bwd ? none : a };
		md = dmax(md, run_img_op(be, bwd ? f_avg_bwd : f_avg_fwd, &a, 1, &o, nos, 1, &in, nis,
		                         g));
		free(o); free(in);
	}
	return md;
}

static double test_avgpool_forward(const imb_nn_backend *be, double *tol)
{ *tol = 1e-7; return avg_test(be, 0); }
static double test_avgpool_backward(const imb_nn_backend *be, double *tol)
{ *tol = 1e-7; return avg_test(be, 1); }

/* ------------------------------------------------------------ loss */

/* the five losses' configurations on a few shapes; returns the largest
 * difference over the loss (read back from backend memory; now and then
 * not wanted), dlogits and the per-sample losses */
static double test_xent(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-5;
	static const int NK[][2] = { { 1, 2 }, { 7, 5 }, { 64, 10 }, { 33, 97 } };
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(NK); k++)
		for (int v = 0; v < 5; v++) {
			int N = NK[k][0], K = NK[k][1];
			float *z = rnd((size_t)N * K, -4, 4), *w = rnd(K, 0.2, 3), *adj = rnd(K, -1, 1);
			float *mar = rnd(K, 0, 0.5);
			int32_t *y = malloc((size_t)N * sizeof(int32_t));
			for (int i = 0; i < N; i++)
				y[i] = (int32_t)(imb_rng_uniform(&rng) * K);
			float *dl[2], *ls[2], loss[2];
			for (int r = 0; r < 2; r++) {
				const imb_nn_backend *b = r ? REF : be;
				float *dw = up(b, w, K), *da = up(b, adj, K), *dm = up(b, mar, K);
				imb_nn_xent cfg = { .K = K, .scale = v == 4 ? 30 : 1,
				                    .gamma = v == 2 ? 2 : v == 3 ? 0.5f : 0,
				                    .weight = v == 1 || v == 2 ? dw : NULL,
				                    .adjust = v == 3 ? da : NULL, .margin = v == 4 ? dm : NULL };
				float *dz = up(b, z, (size_t)N * K), *dd = b->alloc((size_t)N * K * 4);
				float *dls = b->alloc((size_t)N * 4);
				int32_t *dy = b->alloc((size_t)N * sizeof(int32_t));
				b->upload(dy, y, (size_t)N * sizeof(int32_t));
				float nan = NAN, *dlo = up(b, &nan, 1);
				b->xent(dd, dls, (k + v) % 4 == 3 ? NULL : dlo, dz, dy, N, &cfg);
				dl[r] = down(b, dd, (size_t)N * K);
				ls[r] = down(b, dls, (size_t)N);
				b->download(&loss[r], dlo, sizeof(float));
				if ((k + v) % 4 == 3) {     /* not wanted: left alone */
					if (!isnan(loss[r]))
						md = INFINITY;
					loss[r] = 0;
				}
				b->free(dz); b->free(dy); b->free(dw); b->free(da); b->free(dm);
				b->free(dlo);
			}
			md = dmax(md, mdiff(dl[0], dl[1], (size_t)N * K));
			md = dmax(md, mdiff(ls[0], ls[1], (size_t)N));
			md = dmax(md, mdiff(&loss[0], &loss[1], 1));
			free(z); free(w); free(adj); free(mar); free(y);
			free(dl[0]); free(dl[1]); free(ls[0]); free(ls[1]);
		}
	return md;
}

/* ------------------------------------------------------------ optimisers */

typedef struct { size_t P; imb_nn_sgd_hp sgd; imb_nn_adamw_hp adam; int first; } opt_arg;

static void f_sgd(const imb_nn_backend *be, float **p, const void *c)
{
	const opt_arg *a = c;
	be->sgd_step(p[0], p[1], p[2], a->P, &a->sgd, a->first);
}

static void f_adamw(const imb_nn_backend *be, float **p, const void *c)
{
	const opt_arg *a = c;
	be->adamw_step(p[0], p[1], p[2], p[3], a->P, &a->adam);
}

static double test_sgd_step(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-6;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(SIZES); k++)
		for (int v = 0; v < 12; v++) {
			opt_arg a = { .P = SIZES[k], .first = v % 3 == 0,
			              .sgd = { 0.1f, v / 6 ? 0.9f : 0, (v / 3) % 2 ? 0.1f : 0,
			                       v % 2 ? 5e-4f : 0, (v / 2) % 2 && v / 6 } };
			size_t P = a.P, nos[2] = { P, P }, nis[1] = { P };
			float *outs[2] = { rnd(P, -1, 1), rnd(P, -1, 1) }, *g = rnd(P, -1, 1);
			md = dmax(md, run_op(be, f_sgd, &a, 2, outs, nos, 1, &g, nis));
			free(outs[0]); free(outs[1]); free(g);
		}
	return md;
}

static double test_adamw_step(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-6;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(SIZES); k++)
		for (long step = 1; step <= 3; step++) {
			opt_arg a = { .P = SIZES[k], .adam = { 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step } };
			size_t P = a.P, nos[3] = { P, P, P }, nis[1] = { P };
			float *outs[3] = { rnd(P, -1, 1), rnd(P, -0.1, 0.1), rnd(P, 0, 0.01) };
			float *g = rnd(P, -1, 1);
			md = dmax(md, run_op(be, f_adamw, &a, 3, outs, nos, 1, &g, nis));
			free(outs[0]); free(outs[1]); free(outs[2]); free(g);
		}
	return md;
}

/* ------------------------------------------------------------ reductions, noise */

static const size_t RED_SIZES[] = { 1, 3, 4095, 4096, 4097, 32769, 100003, 1000003 };

static double red_test(const imb_nn_backend *be, int sq)
{
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(RED_SIZES); k++) {
		size_t n = RED_SIZES[k];
		float *a = rnd(n, -1, 1), *b = rnd(n, -1, 1), *da = up(be, a, n), *db = up(be, b, n);
		double got = sq ? be->sqnorm(da, n) : be->dot(da, db, n);
		double want = sq ? REF->sqnorm(a, n) : REF->dot(a, b, n);
		md = dmax(md, fabs(got - want) / dmax(1, fabs(want)));
		be->free(da); be->free(db);
		free(a); free(b);
	}
	return md;
}

static double test_dot(const imb_nn_backend *be, double *tol)
{ *tol = 1e-10; return red_test(be, 0); }
static double test_sqnorm(const imb_nn_backend *be, double *tol)
{ *tol = 1e-10; return red_test(be, 1); }

typedef struct { size_t n; double rho, eps; int self; } norm_arg;

/* outs y; ins x, v (v is x where self) */
static void f_axpy_norm(const imb_nn_backend *be, float **p, const void *c)
{
	const norm_arg *a = c;
	be->axpy_norm(p[0], p[1], a->self ? p[1] : p[2], a->n, a->rho, a->eps);
}

/* alpha from each side's own sum: as axpy, within 2 ulps */
static double test_axpy_norm(const imb_nn_backend *be, double *tol)
{
	*tol = 2.5e-7;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(RED_SIZES); k++)
		for (int self = 0; self < 2; self++) {
			norm_arg a = { RED_SIZES[k], 0.05, 1e-12, self };
			size_t ns[3] = { a.n, a.n, a.n };
			float *y = rnd(a.n, -1, 1), *in[2] = { rnd(a.n, -1, 1), rnd(a.n, -1, 1) };
			md = dmax(md, run_op(be, f_axpy_norm, &a, 1, &y, ns, 2 - self, in, ns + 1));
			free(y); free(in[0]); free(in[1]);
		}
	return md;
}

typedef struct { size_t n; float wd, eta, lr; int clip; } lars_arg;

/* outs g; ins param, grad */
static void f_lars_scale(const imb_nn_backend *be, float **p, const void *c)
{
	const lars_arg *a = c;
	be->lars_scale(p[0], p[1], p[2], a->n, a->wd, a->eta, a->lr, a->clip);
}

/* trust from each side's own sums (near 0.9: param and grad alike),
 * without and with weight decay; the clip off, not binding (lr 2: trust
 * / lr) and binding (lr 0.5: 1): within 2 ulps */
static double test_lars_scale(const imb_nn_backend *be, double *tol)
{
	*tol = 2.5e-7;
	static const float lrs[] = { 0, 2, 0.5f };
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(RED_SIZES); k++)
		for (int v = 0; v < 6; v++) {
			lars_arg a = { RED_SIZES[k], v % 2 ? 5e-4f : 0, 0.9f, lrs[v / 2], v >= 2 };
			size_t ns[3] = { a.n, a.n, a.n };
			float *g = rnd(a.n, -1, 1), *in[2] = { rnd(a.n, -1, 1), rnd(a.n, -1, 1) };
			md = dmax(md, run_op(be, f_lars_scale, &a, 1, &g, ns, 2, in, ns + 1));
			free(g); free(in[0]); free(in[1]);
		}
	return md;
}

/* the same numbers as the reference, bit for bit (tolerance 0) */
static double test_fill_normal(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	double md = 0;
	static const uint64_t seeds[][2] = { { 0, 0 }, { 1, 7 }, { 0x0123456789abcdefull, 1ull << 40 } };
	for (size_t k = 0; k < IMB_LEN(SIZES); k++)
		for (size_t s = 0; s < IMB_LEN(seeds); s++) {
			size_t n = SIZES[k];
			float *x = malloc(n * sizeof(float)), *d = be->alloc(n * sizeof(float));
			be->fill_normal(d, n, 0.5f, 2.0f, seeds[s][0], seeds[s][1]);
			REF->fill_normal(x, n, 0.5f, 2.0f, seeds[s][0], seeds[s][1]);
			float *y = down(be, d, n);
			md = dmax(md, mdiff(y, x, n));
			free(x); free(y);
		}
	return md;
}

/* ------------------------------------------------------------ data */

/* backend copy of host bytes */
static void *upb(const imb_nn_backend *be, const void *x, size_t bytes)
{
	void *d = be->alloc(bytes ? bytes : 1);
	be->upload(d, x, bytes);
	return d;
}

/* held bytes read back: floats of every size of SIZES and odd byte
 * counts; the CPU backend holds the host memory itself */
static double test_hold(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(SIZES); k++) {
		size_t n = SIZES[k];
		float *x = rnd(n, -1, 1), *y = malloc(n * sizeof(float));
		const void *h = be->hold(x, n * sizeof(float));
		if (be == &imb_nn_backend_cpu && h != x)
			md = INFINITY;
		be->download(y, h, n * sizeof(float));
		md = dmax(md, mdiff(y, x, n));
		be->release(h);
		free(x); free(y);
	}
	for (size_t bytes = 1; bytes < 40; bytes += 3) {
		unsigned char *x = malloc(bytes), *y = malloc(bytes);
		for (size_t i = 0; i < bytes; i++)
			x[i] = (unsigned char)imb_rng_below(&rng, 256);
		const void *h = be->hold(x, bytes);
		be->download(y, h, bytes);
		if (memcmp(x, y, bytes))
			md = INFINITY;
		be->release(h);
		free(x); free(y);
	}
	return md;
}

/* release in any order, NULL, and what is still held stays intact */
static double test_release(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	size_t n = 4097;
	float *x = rnd(n, -1, 1), *y = malloc(n * sizeof(float));
	const void *keep = be->hold(x, n * sizeof(float)), *h[8];
	for (int r = 0; r < 20; r++) {
		for (int i = 0; i < 8; i++)
			h[i] = be->hold(x, ((size_t)1 << (i + r % 5)) * sizeof(float));
		for (int i = 0; i < 8; i++)
			be->release(h[(i * 3 + r) % 8]);
	}
	be->release(NULL);
	be->download(y, keep, n * sizeof(float));
	double md = mdiff(y, x, n);
	be->release(keep);
	free(x); free(y);
	return md;
}

/* rows R of D values, n of them gathered */
static const int GATHERS[][3] = { { 1, 1, 1 }, { 5, 3, 7 }, { 10, 1, 31 }, { 97, 784, 64 },
                                  { 300, 3072, 129 }, { 2, 100003, 3 } };

/* u8 and float sources, indices out of order and repeated (and the last
 * row) */
static double test_gather(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(GATHERS); k++)
		for (int u8 = 0; u8 < 2; u8++) {
			int R = GATHERS[k][0], n = GATHERS[k][2];
			size_t D = (size_t)GATHERS[k][1], nx = (size_t)R * D, no = (size_t)n * D;
			void *src;
			if (u8) {
				uint8_t *s = malloc(nx);
				for (size_t i = 0; i < nx; i++)
					s[i] = (uint8_t)imb_rng_below(&rng, 256);
				s[0] = 255;
				src = s;
			} else {
				src = rnd(nx, -3, 3);
			}
			int64_t *idx = malloc((size_t)n * sizeof(int64_t));
			for (int i = 0; i < n; i++)
				idx[i] = (int64_t)imb_rng_below(&rng, (uint64_t)R);
			idx[n - 1] = R - 1;
			idx[0] = 0;
			if (n > 2)
				idx[1] = idx[n - 1];
			float *o[2];
			for (int r = 0; r < 2; r++) {
				const imb_nn_backend *b = r ? REF : be;
				const void *h = b->hold(src, nx * (u8 ? 1 : sizeof(float)));
				int64_t *di = upb(b, idx, (size_t)n * sizeof(int64_t));
				float *dout = b->alloc(no * sizeof(float));
				b->gather(dout, h, u8, di, n, D);
				o[r] = down(b, dout, no);
				b->free(di);
				b->release(h);
			}
			md = dmax(md, mdiff(o[0], o[1], no));
			free(src); free(idx); free(o[0]); free(o[1]);
		}
	return md;
}

/* n, C, H, W, pad */
static const int CROPS[][5] = { { 1, 1, 1, 1, 0 }, { 3, 3, 5, 5, 1 }, { 2, 1, 7, 4, 4 },
                                { 5, 3, 8, 11, 4 }, { 4, 2, 3, 3, 4 }, { 2, 16, 9, 13, 0 },
                                { 64, 3, 32, 32, 4 }, { 9, 1, 28, 28, 1 } };

typedef struct { int n, C, H, W, pad; float scale; } img_arg;

/* outs out; ins inp, draw */
static void f_crop(const imb_nn_backend *be, float **p, const void *c)
{
	const img_arg *a = c;
	be->crop(p[0], p[1], p[2], a->n, a->C, a->H, a->W, a->pad);
}

/* offsets 0..2 pad at random, both extremes in the first two samples */
static double test_crop(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(CROPS); k++) {
		img_arg a = { CROPS[k][0], CROPS[k][1], CROPS[k][2], CROPS[k][3], CROPS[k][4], 1 };
		size_t nx = (size_t)a.n * a.C * a.H * a.W, nd = 2 * (size_t)a.n;
		float *o = rnd(nx, -1, 1), *in[2] = { rnd(nx, -1, 1), malloc(nd * sizeof(float)) };
		for (size_t i = 0; i < nd; i++)
			in[1][i] = (float)imb_rng_below(&rng, 2 * (uint64_t)a.pad + 1);
		in[1][0] = 0;
		in[1][1] = (float)(2 * a.pad);
		if (a.n > 1) {
			in[1][2] = (float)(2 * a.pad);
			in[1][3] = 0;
		}
		size_t nos[1] = { nx }, nis[2] = { nx, nd };
		md = dmax(md, run_op(be, f_crop, &a, 1, &o, nos, 2, in, nis));
		free(o); free(in[0]); free(in[1]);
	}
	return md;
}

static void f_flip(const imb_nn_backend *be, float **p, const void *c)
{
	const img_arg *a = c;
	be->flip(p[0], p[1], p[2], a->n, a->C, a->H, a->W);
}

/* draws 0 (copy) or any non-zero value (mirror) */
static double test_flip(const imb_nn_backend *be, double *tol)
{
	*tol = 0;
	static const float DRAWS[] = { 0, 1, 0, 0.5f, -2 };
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(CROPS); k++) {
		img_arg a = { CROPS[k][0], CROPS[k][1], CROPS[k][2], CROPS[k][3], 0, 1 };
		size_t nx = (size_t)a.n * a.C * a.H * a.W, nd = (size_t)a.n;
		float *o = rnd(nx, -1, 1), *in[2] = { rnd(nx, -1, 1), malloc(nd * sizeof(float)) };
		for (size_t i = 0; i < nd; i++)
			in[1][i] = DRAWS[i < 2 ? i : imb_rng_below(&rng, IMB_LEN(DRAWS))];
		size_t nos[1] = { nx }, nis[2] = { nx, nd };
		md = dmax(md, run_op(be, f_flip, &a, 1, &o, nos, 2, in, nis));
		free(o); free(in[0]); free(in[1]);
	}
	return md;
}

/* outs out; ins inp, mean, std (H holds HW) */
static void f_normalize(const imb_nn_backend *be, float **p, const void *c)
{
	const img_arg *a = c;
	be->normalize(p[0], p[1], p[2], p[3], a->scale, a->n, a->C, a->H);
}

/* out is inp; ins mean, std */
static void f_normalize_inplace(const imb_nn_backend *be, float **p, const void *c)
{
	const img_arg *a = c;
	be->normalize(p[0], p[0], p[1], p[2], a->scale, a->n, a->C, a->H);
}

/* n, C, HW */
static const int NORMS[][3] = { { 1, 1, 1 }, { 3, 3, 25 }, { 5, 1, 784 }, { 2, 17, 7 },
                                { 64, 3, 1024 }, { 1, 2, 40000 } };

/* pixels 0..255 scaled by 1/255 and floats scaled by 1; the same float
 * operations as the reference, so the CPU's bits are the reference's */
static double test_normalize(const imb_nn_backend *be, double *tol)
{
	*tol = be == &imb_nn_backend_cpu ? 0 : 1e-6;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(NORMS); k++)
		for (int v = 0; v < 4; v++) {
			img_arg a = { NORMS[k][0], NORMS[k][1], NORMS[k][2], 1, 0, v & 1 ? 1.0f : 1.0f / 255 };
			size_t nx = (size_t)a.n * a.C * a.H, C = (size_t)a.C;
			float *x = rnd(nx, -2, 2), *mean = rnd(C, -1, 1), *std = rnd(C, 0.05, 2);
			if (!(v & 1))
				for (size_t i = 0; i < nx; i++)
					x[i] = (float)imb_rng_below(&rng, 256);
			size_t nos[1] = { nx }, nis[3] = { nx, C, C };
			if (v < 2) {
				float *o = rnd(nx, -1, 1), *in[3] = { x, mean, std };
				md = dmax(md, run_op(be, f_normalize, &a, 1, &o, nos, 3, in, nis));
				free(o);
			} else {
				float *in[2] = { mean, std };
				md = dmax(md, run_op(be, f_normalize_inplace, &a, 1, &x, nos, 2, in, nis + 1));
			}
			free(x); free(mean); free(std);
		}
	return md;
}

/* |got - want| / max(1, |want|), 0 where both are the same non-finite */
static double ddiff(double got, double want)
{
	if ((isnan(got) && isnan(want)) || got == want)
		return 0;
	double d = fabs(got - want);
	return isnan(d) ? INFINITY : d / dmax(1, fabs(want));
}

/* n, K */
static const int TALLIES[][2] = { { 1, 2 }, { 7, 5 }, { 64, 10 }, { 33, 97 }, { 1000, 3 },
                                  { 5, 1 } };

/* three batches into one account (starting from non-zero sums), with
 * and without losses and logits; logits on a coarse grid, so the argmax
 * often ties (the first largest counts); a batch with a non-finite loss */
static double test_tally(const imb_nn_backend *be, double *tol)
{
	*tol = be == &imb_nn_backend_cpu ? 0 : 1e-12;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(TALLIES); k++)
		for (int v = 0; v < 4; v++) {
			int n = TALLIES[k][0], K = TALLIES[k][1], has_ls = !(v & 1), has_z = !(v & 2);
			size_t na = 3 + 3 * (size_t)K, nz = (size_t)n * K;
			double *acc0 = malloc(na * sizeof(double)), *acc[2];
			for (size_t i = 0; i < na; i++)
				acc0[i] = (double)imb_rng_below(&rng, 10);
			for (int r = 0; r < 2; r++)
				acc[r] = malloc(na * sizeof(double));
			double *da[2];
			for (int r = 0; r < 2; r++)
				da[r] = upb(r ? REF : be, acc0, na * sizeof(double));
			for (int batch = 0; batch < 3; batch++) {
				float *ls = rnd((size_t)n, 0, 5), *z = rnd(nz, -1, 1), loss = ls[0];
				for (size_t i = 0; i < nz; i++)
					z[i] = roundf(z[i] * 2) / 2;
				int32_t *y = malloc((size_t)n * sizeof(int32_t));
				for (int i = 0; i < n; i++)
					y[i] = (int32_t)imb_rng_below(&rng, (uint64_t)K);
				if (batch == 1)
					loss = (k + v) % 2 ? INFINITY : NAN;
				for (int r = 0; r < 2; r++) {
					const imb_nn_backend *b = r ? REF : be;
					float *dl = up(b, &loss, 1), *dls = up(b, ls, (size_t)n), *dz = up(b, z, nz);
					int32_t *dy = upb(b, y, (size_t)n * sizeof(int32_t));
					b->tally(da[r], dl, has_ls ? dls : NULL, has_z ? dz : NULL,
					         has_z ? dy : NULL, n, K);
					b->free(dl); b->free(dls); b->free(dz); b->free(dy);
				}
				free(ls); free(z); free(y);
			}
			for (int r = 0; r < 2; r++) {
				const imb_nn_backend *b = r ? REF : be;
				b->download(acc[r], da[r], na * sizeof(double));
				b->free(da[r]);
			}
			for (size_t i = 0; i < na; i++)
				md = dmax(md, ddiff(acc[0][i], acc[1][i]));
			if (acc[1][1] != acc0[1] + 1 || acc[1][2] != acc0[2] + 3.0 * n)
				md = INFINITY;      /* the reference itself is off */
			free(acc0); free(acc[0]); free(acc[1]);
		}
	return md;
}

/* n, C, H, W */
static const int RCROPS[][4] = { { 1, 1, 1, 1 }, { 4, 3, 5, 5 }, { 5, 1, 7, 4 }, { 6, 3, 8, 11 },
                                 { 4, 2, 3, 3 }, { 5, 16, 9, 13 }, { 64, 3, 32, 32 },
                                 { 9, 1, 28, 28 }, { 4, 3, 1, 9 } };

static void f_resized_crop(const imb_nn_backend *be, float **p, const void *c)
{
	const img_arg *a = c;
	be->resized_crop(p[0], p[1], p[2], a->n, a->C, a->H, a->W);
}

/* boxes at random, and: the whole image (the identity), a box in the
 * bottom-right corner, a one-pixel box at the top-left, a full-height
 * strip at the right edge; values 0..255 */
static double test_resized_crop(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-6;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(RCROPS); k++) {
		img_arg a = { RCROPS[k][0], RCROPS[k][1], RCROPS[k][2], RCROPS[k][3], 0, 1 };
		size_t nx = (size_t)a.n * a.C * a.H * a.W, nd = 4 * (size_t)a.n;
		float *o = rnd(nx, -1, 1), *in[2] = { rnd(nx, 0, 255), malloc(nd * sizeof(float)) };
		for (int i = 0; i < a.n; i++) {
			int h = 1 + (int)imb_rng_below(&rng, (uint64_t)a.H);
			int w = 1 + (int)imb_rng_below(&rng, (uint64_t)a.W);
			int t = (int)imb_rng_below(&rng, (uint64_t)(a.H - h + 1));
			int l = (int)imb_rng_below(&rng, (uint64_t)(a.W - w + 1));
			if (i % 4 == 0)
				h = a.H, w = a.W, t = l = 0;
			else if (i % 4 == 1)
				t = a.H - h, l = a.W - w;
			else if (i % 4 == 2)
				h = w = 1, t = l = 0;
			else
				h = a.H, t = 0, l = a.W - w;
			float *d = in[1] + 4 * (size_t)i;
			d[0] = (float)t, d[1] = (float)l, d[2] = (float)h, d[3] = (float)w;
		}
		size_t nos[1] = { nx }, nis[2] = { nx, nd };
		md = dmax(md, run_op(be, f_resized_crop, &a, 1, &o, nos, 2, in, nis));
		free(o); free(in[0]); free(in[1]);
	}
	return md;
}

/* outs out; ins inp, draw; scale holds bound */
static void f_color_jitter(const imb_nn_backend *be, float **p, const void *c)
{
	const img_arg *a = c;
	be->color_jitter(p[0], p[1], p[2], a->n, a->C, a->H, a->W, a->scale);
}

/* n, H, W, bound: every order in the batches of 24 or more */
static const int JITTERS[][4] = { { 1, 1, 1, 255 }, { 30, 5, 7, 255 }, { 26, 32, 32, 255 },
                                  { 3, 96, 96, 255 }, { 50, 17, 13, 1 }, { 24, 1, 300, 255 } };

/* pixels on the raw scale (whole numbers 0..bound, or any value for
 * bound 1), with 0s and bounds (the clamps), gray pixels (hue of a zero
 * saturation), two channels tied for the largest, one all-gray image;
 * apply 0 (a copy) and other non-zero applies; factors as SimCLR's
 * jitter draws them and beyond (brightness to 2: clamps at bound) */
static double test_color_jitter(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-5;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(JITTERS); k++) {
		img_arg a = { JITTERS[k][0], 3, JITTERS[k][1], JITTERS[k][2], 0, (float)JITTERS[k][3] };
		size_t HW = (size_t)a.H * a.W, nx = (size_t)a.n * 3 * HW, nd = 6 * (size_t)a.n;
		float *o = rnd(nx, -1, 1), *in[2] = { rnd(nx, 0, a.scale), rnd(nd, 0, 1) };
		if (a.scale > 1)
			for (size_t i = 0; i < nx; i++)
				in[0][i] = (float)imb_rng_below(&rng, 256);
		for (int i = 0; i < a.n; i++) {
			float *x = in[0] + (size_t)i * 3 * HW, *d = in[1] + 6 * (size_t)i;
			for (size_t p = 0; p < HW; p++) {
				int kind = (int)imb_rng_below(&rng, 8);
				if (kind == 0 || i == 5)            /* gray */
					x[HW + p] = x[2 * HW + p] = x[p];
				else if (kind == 1)                 /* R and G tied */
					x[HW + p] = x[p];
				else if (kind == 2)                 /* G and B tied */
					x[2 * HW + p] = x[HW + p];
				else if (kind == 3)
					x[p] = 0, x[HW + p] = a.scale;
				else if (kind == 4)
					x[p] = x[HW + p] = x[2 * HW + p] = a.scale;
			}
			d[0] = i % 7 == 3 ? 0 : i % 7 == 4 ? -0.5f : 1;
			d[1] = (float)(i % 24);
			d[2] = i % 5 == 1 ? 2.0f : 0.2f + 1.6f * d[2];
			d[3] = i % 6 == 2 ? 0.0f : 0.2f + 1.6f * d[3];
			d[4] = i % 8 == 3 ? 2.0f : 0.2f + 1.6f * d[4];
			d[5] = i % 9 == 4 ? 0.5f : i % 9 == 5 ? -0.5f : i % 9 == 6 ? 0.0f : d[5] - 0.5f;
		}
		size_t nos[1] = { nx }, nis[2] = { nx, nd };
		md = dmax(md, run_op(be, f_color_jitter, &a, 1, &o, nos, 2, in, nis));
		free(o); free(in[0]); free(in[1]);
	}
	return md;
}

static void f_grayscale(const imb_nn_backend *be, float **p, const void *c)
{
	const img_arg *a = c;
	be->grayscale(p[0], p[1], p[2], a->n, a->C, a->H, a->W);
}

/* draws 0 (copy) or any non-zero value (gray) */
static double test_grayscale(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-6;
	static const float DRAWS[] = { 0, 1, 0, 0.5f, -2 };
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(JITTERS); k++) {
		img_arg a = { JITTERS[k][0], 3, JITTERS[k][1], JITTERS[k][2], 0, 1 };
		size_t nx = (size_t)a.n * a.C * a.H * a.W, nd = (size_t)a.n;
		float *o = rnd(nx, -1, 1), *in[2] = { rnd(nx, 0, 255), malloc(nd * sizeof(float)) };
		for (size_t i = 0; i < nd; i++)
			in[1][i] = DRAWS[i < 2 ? i : imb_rng_below(&rng, IMB_LEN(DRAWS))];
		size_t nos[1] = { nx }, nis[2] = { nx, nd };
		md = dmax(md, run_op(be, f_grayscale, &a, 1, &o, nos, 2, in, nis));
		free(o); free(in[0]); free(in[1]);
	}
	return md;
}

/* ------------------------------------------------------------ image layout */

/* N, C, HW: shapes either side of the transposes' 32-wide tiles */
static const int LAYOUTS[][3] = { { 1, 1, 1 }, { 2, 3, 1024 }, { 3, 64, 1 }, { 5, 33, 31 },
                                  { 4, 65, 64 }, { 1, 512, 16 }, { 7, 1, 7 } };

/* the layout is the backend's own, so what can be checked is the round
 * trip: in then out (and out then in) give the NCHW bits back exactly;
 * the ops that read the layout are checked through it above */
/* in bf16, that images_in writes an image of n values into the first
 * 2n bytes of its room and leaves the rest as it was: the image holds
 * bfloat16, not float32 */
static int bf16_half(const imb_nn_backend *be, const float *x, img g)
{
	size_t n = img_n(g), bytes = n * sizeof(float);
	unsigned char *raw = malloc(bytes);
	memset(raw, 0xa5, bytes);
	float *t = up(be, x, n), *d = be->alloc(bytes);
	be->upload(d, raw, bytes);
	be->images_in(d, t, g.N, g.C, g.HW);
	be->download(raw, d, bytes);
	be->free(t);
	be->free(d);
	int kept = 1, wrote = 0;
	for (size_t i = 0; i < bytes; i++) {
		if (i >= 2 * n)
			kept &= raw[i] == 0xa5;
		else
			wrote |= raw[i] != 0xa5;
	}
	free(raw);
	return kept && wrote;
}

static double layout_test(const imb_nn_backend *be, int out_first)
{
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(LAYOUTS); k++) {
		img g = { LAYOUTS[k][0], LAYOUTS[k][1], LAYOUTS[k][2], 0 };
		size_t n = img_n(g);
		float *x = rnd(n, -3, 3), *back;
		if (!bf16_pass)
			x[0] = NAN;                  /* bits, not values, are moved */
		if (out_first && !bf16_pass) {   /* (bf16: images_in's images only) */
			float *d = up(be, x, n), *t = be->alloc(n * sizeof(float));
			be->images_out(t, d, g.N, g.C, g.HW);
			be->images_in(d, t, g.N, g.C, g.HW);
			be->free(t);
			back = down(be, d, n);
		} else {
			back = down_img(be, up_img(be, x, g), g);
		}
		if (memcmp(back, x, n * sizeof(float)))
			md = INFINITY;
		if (bf16_pass && !out_first && !bf16_half(be, x, g))
			md = INFINITY;
		free(x);
		free(back);
	}
	return md;
}

static double test_images_in(const imb_nn_backend *be, double *tol)
{ *tol = 0; return layout_test(be, 0); }
static double test_images_out(const imb_nn_backend *be, double *tol)
{ *tol = 0; return layout_test(be, 1); }

/* ------------------------------------------------------------ unit rows */

/* R, Cn */
static const int UROWS[][2] = { { 1, 1 }, { 3, 7 }, { 8, 128 }, { 33, 300 }, { 512, 64 } };

typedef struct { int R, Cn; } unit_arg;

/* outs out, norm; ins inp */
static void f_l2norm_rows(const imb_nn_backend *be, float **p, const void *c)
{
	const unit_arg *a = c;
	be->l2norm_rows(p[0], p[1], p[2], a->R, a->Cn);
}

/* a zero row (norm clamped to 1e-12) among random ones */
static double test_l2norm_rows(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-6;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(UROWS); k++) {
		unit_arg a = { UROWS[k][0], UROWS[k][1] };
		size_t n = (size_t)a.R * a.Cn;
		float *o[2] = { rnd(n, -1, 1), rnd((size_t)a.R, -1, 1) }, *in[1] = { rnd(n, -3, 3) };
		if (a.R > 1)
			memset(in[0], 0, (size_t)a.Cn * sizeof(float));
		size_t nos[2] = { n, (size_t)a.R }, nis[1] = { n };
		md = dmax(md, run_op(be, f_l2norm_rows, &a, 2, o, nos, 1, in, nis));
		free(o[0]); free(o[1]); free(in[0]);
	}
	return md;
}

/* outs dinp; ins dout, out, norm */
static void f_l2norm_rows_backward(const imb_nn_backend *be, float **p, const void *c)
{
	const unit_arg *a = c;
	be->l2norm_rows_backward(p[0], p[1], p[2], p[3], a->R, a->Cn);
}

/* out unit rows with their norms, dinp accumulated into */
static double test_l2norm_rows_backward(const imb_nn_backend *be, double *tol)
{
	*tol = 1e-5;
	double md = 0;
	for (size_t k = 0; k < IMB_LEN(UROWS); k++) {
		unit_arg a = { UROWS[k][0], UROWS[k][1] };
		size_t n = (size_t)a.R * a.Cn;
		float *o = rnd(n, -1, 1), *in[3] = { rnd(n, -1, 1), rnd(n, -2, 2), rnd((size_t)a.R, 0.5, 4) };
		for (int r = 0; r < a.R; r++) {
			double q = 0;
			for (int j = 0; j < a.Cn; j++)
				q += (double)in[1][(size_t)r * a.Cn + j] * in[1][(size_t)r * a.Cn + j];
			for (int j = 0; j < a.Cn; j++)
				in[1][(size_t)r * a.Cn + j] = (float)(in[1][(size_t)r * a.Cn + j] / sqrt(q));
		}
		size_t nos[1] = { n }, nis[3] = { n, n, (size_t)a.R };
		md = dmax(md, run_op(be, f_l2norm_rows_backward, &a, 1, &o, nos, 3, in, nis));
		free(o); free(in[0]); free(in[1]); free(in[2]);
	}
	return md;
}

/* ------------------------------------------------------------ the table */

typedef struct {
	const char *name;
	double (*run)(const imb_nn_backend *be, double *tol);
} op_test;

#define OP_TEST_(name, ret, args) { #name, test_##name },
static const op_test TESTS[] = { IMB_NN_OPS(OP_TEST_) };
static_assert(IMB_LEN(TESTS) == IMB_NN_OP_COUNT, "test_nn_backend: one test per op");

/* the ops whose results depend on the precision, run again in bf16 */
static const char *const BF16_OPS[] = {
	"gemm", "conv2d_forward", "conv2d_backward", "batchnorm_forward_train",
	"batchnorm_forward_eval", "batchnorm_backward", "batchnorm_backward_eval",
	"maxpool_forward", "maxpool_backward", "avgpool_forward", "avgpool_backward",
	"images_in", "images_out"
};
/* bf16's bound: an output rounded to bfloat16 is off by up to 2^-9 of
 * itself, and batch norm's and the convolutions' outputs are rounded
 * once or twice on their way (the bias added to a rounded result) */
#define BF16_TOL 1e-2

/* the tests of BF16_OPS on be in bf16, each held to BF16_TOL, or to 0
 * where its fp32 test asks exact results (the data moves, max pooling's
 * selection) */
static void bf16_ops(const imb_nn_backend *be)
{
	bf16_pass = 1;
	for (size_t i = 0; i < IMB_LEN(BF16_OPS); i++)
		for (int k = 0; k < IMB_NN_OP_COUNT; k++) {
			if (strcmp(TESTS[k].name, BF16_OPS[i]))
				continue;
			double tol = 0, md = TESTS[k].run(be, &tol);
			tol = tol > 0 ? BF16_TOL : 0;
			printf("%-4s %-26s %-10.3g %.2g%s\n", be->name, TESTS[k].name, md, tol,
			       md <= tol ? "" : "  FAILED");
			CHECK(md <= tol);
		}
	bf16_pass = 0;
	fflush(stdout);
}

/* ------------------------------------------------------------ other checks */

static void test_registry(void)
{
	const imb_nn_backend *be;
	int n = 0, has_ref = 0;
	for (; (be = imb_nn_backend_at(n)); n++) {
		printf("backend %d: %s\n", n, be->name);
		CHECK(imb_nn_backend_missing(be) == NULL);
		has_ref |= be == REF;
	}
	CHECK(n >= 2);
	CHECK(has_ref);
	CHECK(imb_nn_backend_at(0) == &imb_nn_backend_cpu);
	CHECK(imb_nn_backend_at(n) == NULL && imb_nn_backend_at(-1) == NULL);
	CHECK_STR(imb_nn_be()->name, "cpu");
	CHECK(imb_nn_set_backend("ref") == 0);
	CHECK(imb_nn_be() == REF);
	CHECK(imb_nn_set_backend("nope") == -1);
	CHECK_HAS(imb_error(), "unknown");
	CHECK(imb_nn_be() == REF);
	/* "cuda": no backend in this build, or one whose init finds no GPU
	 * (CI), or one that works */
	int has_cuda = 0;
	for (int i = 0; (be = imb_nn_backend_at(i)); i++)
		has_cuda |= !strcmp(be->name, "cuda");
	int r = imb_nn_set_backend("cuda");
	if (!has_cuda) {
		CHECK(r == -1);
		CHECK_HAS(imb_error(), "no CUDA backend");
	} else if (r < 0) {
		printf("cuda: %s\n", imb_error());
		CHECK_HAS(imb_error(), "GPU");
	} else {
		CHECK_STR(imb_nn_be()->name, "cuda");
		CHECK(imb_nn_set_backend("ref") == 0);
	}
	CHECK(imb_nn_be() == REF);
	/* device numbers: whole numbers, and only for cuda */
	CHECK(imb_nn_set_backend("cuda:x") == -1);
	CHECK_HAS(imb_error(), "cuda:x");
	CHECK(imb_nn_set_backend("cuda:") == -1);
	CHECK(imb_nn_set_backend("cpu:1") == -1);
	CHECK_HAS(imb_error(), "cpu:1");
	CHECK(imb_nn_be() == REF);
	CHECK(imb_nn_set_backend("cpu") == 0);
	CHECK(imb_nn_be() == &imb_nn_backend_cpu);
	CHECK_STR(imb_nn_op_names[IMB_NN_OP_fill_normal], "fill_normal");
	imb_nn_backend broken = imb_nn_backend_cpu;
	broken.dot = NULL;
	CHECK_STR(imb_nn_backend_missing(&broken), "dot");
}

/* the reductions give the same bits on 1, 2 and 3 threads */
static void test_reduction_threads(const imb_nn_backend *be)
{
	size_t n = 1000003;
	float *a = rnd(n, -1, 1), *b = rnd(n, -1, 1), *da = up(be, a, n), *db = up(be, b, n);
	double d[3], q[3];
	for (int t = 0; t < 3; t++) {
		be->set_threads(t + 1);
		d[t] = be->dot(da, db, n);
		q[t] = be->sqnorm(da, n);
	}
	printf("%s: dot %.17g, sqnorm %.17g on 1, 2, 3 threads\n", be->name, d[0], q[0]);
	for (int t = 1; t < 3; t++) {
		CHECK(memcmp(&d[t], &d[0], sizeof(double)) == 0);
		CHECK(memcmp(&q[t], &q[0], sizeof(double)) == 0);
	}
	be->free(da); be->free(db);
	free(a); free(b);
}

/* axpy_norm gives the bits of axpy with alpha = (float)(rho / (sqrt(sqnorm(v))
 * + eps)) worked out on the host from the same backend's sqnorm: v is x,
 * v is another vector, v is zero (alpha = rho / eps) */
static void test_axpy_norm_bits(const imb_nn_backend *be)
{
	static const size_t sizes[] = { 1, 7, 4097, 100003 };
	double rho = 0.05, eps = 1e-12;
	for (size_t k = 0; k < IMB_LEN(sizes); k++)
		for (int v = 0; v < 3; v++) {
			size_t n = sizes[k];
			float *y = rnd(n, -1, 1), *x = rnd(n, -1, 1), *w = rnd(n, -2, 2);
			if (v == 2)
				memset(w, 0, n * sizeof(float));
			float *dx = up(be, x, n), *dw = v ? up(be, w, n) : dx;
			float *d1 = up(be, y, n), *d2 = up(be, y, n);
			be->axpy_norm(d1, dx, dw, n, rho, eps);
			be->axpy(d2, (float)(rho / (sqrt(be->sqnorm(dw, n)) + eps)), dx, n);
			float *got = down(be, d1, n), *want = down(be, d2, n);
			CHECK(memcmp(got, want, n * sizeof(float)) == 0);
			be->free(dx);
			if (v)
				be->free(dw);
			free(y); free(x); free(w); free(got); free(want);
		}
}

/* LARS's scaling of one segment as lars_step did it with the host's
 * sums (nn_optim.c); returns the trust applied, 0 where none was */
static double lars_composed(const imb_nn_backend *be, float *g, const float *p, const float *q,
                            size_t n, float wd, float eta, float lr, int clip)
{
	double pn = sqrt(be->sqnorm(p, n)), gn = sqrt(be->sqnorm(q, n));
	if (pn == 0 || gn == 0)
		return 0;
	double trust = pn / (gn + pn * wd + 1e-8) * eta;
	if (clip)
		trust = lr > 0 && trust / lr < 1 ? trust / lr : 1;
	if (wd != 0)
		be->axpy(g, wd, p, n);
	be->scale(g, (float)trust, n);
	return trust;
}

/* lars_scale gives the bits of lars_composed on the same backend: the
 * weight decay off and on; the clip off, not binding (trust / lr < 1),
 * binding (trust 1) and lr = 0 (trust 1); param zero and grad zero (g as
 * it was). Before the clip trust is near 2 (grad a hundredth of param),
 * so that the clip's cases take their branch (n > 1) */
static void test_lars_scale_bits(const imb_nn_backend *be)
{
	static const size_t sizes[] = { 1, 7, 4097, 100003 };
	static const struct { int clip; float lr; int zero; } cases[] = {
		{ 0, 0.1f, 0 }, { 1, 100, 0 }, { 1, 0.01f, 0 }, { 1, 0, 0 }, { 0, 0.1f, 1 }, { 1, 0.1f, 2 },
	};
	float eta = 0.02f;
	for (size_t k = 0; k < IMB_LEN(sizes); k++)
		for (size_t c = 0; c < IMB_LEN(cases); c++)
			for (int d = 0; d < 2; d++) {
				size_t n = sizes[k];
				float wd = d ? 5e-4f : 0, lr = cases[c].lr;
				float *g = rnd(n, -0.01, 0.01), *p = rnd(n, -1, 1), *q = rnd(n, -0.01, 0.01);
				if (cases[c].zero)
					memset(cases[c].zero == 1 ? p : q, 0, n * sizeof(float));
				float *dp = up(be, p, n), *dq = up(be, q, n);
				float *d1 = up(be, g, n), *d2 = up(be, g, n);
				be->lars_scale(d1, dp, dq, n, wd, eta, lr, cases[c].clip);
				double t = lars_composed(be, d2, dp, dq, n, wd, eta, lr, cases[c].clip);
				float *got = down(be, d1, n), *want = down(be, d2, n);
				CHECK(memcmp(got, want, n * sizeof(float)) == 0);
				if (cases[c].zero)
					CHECK(t == 0 && memcmp(got, g, n * sizeof(float)) == 0);
				else if (cases[c].clip && n > 1)
					CHECK(c == 1 ? t < 1 : t == 1);
				be->free(dp); be->free(dq);
				free(g); free(p); free(q); free(got); free(want);
			}
}

int main(void)
{
	imb_rng_seed(&rng, 1);
	test_registry();
	const imb_nn_backend *be;
	for (int i = 0; (be = imb_nn_backend_at(i)); i++) {
		/* a backend without its device (the CUDA one on a machine with
		 * no GPU, as in CI) is skipped, not failed */
		if (be->init(0) < 0) {
			printf("%s: %s, its op tests skipped\n", be->name, imb_error());
			continue;
		}
		if (be != REF)
			test_reduction_threads(be);
		test_axpy_norm_bits(be);
		test_lars_scale_bits(be);
		printf("%-4s %-26s %-10s %s\n", be->name, "op", "max diff", "tolerance");
		for (int k = 0; k < IMB_NN_OP_COUNT; k++) {
			double md = 0, tol = 0;
			for (int T = 1; T <= 3; T += 2) {       /* serial, and 3 threads on any box */
				be->set_threads(T);
				md = dmax(md, TESTS[k].run(be, &tol));
			}
			printf("%-4s %-26s %-10.3g %.2g%s\n", be->name, TESTS[k].name, md, tol,
			       md <= tol ? "" : "  FAILED");
			CHECK(md <= tol);
			fflush(stdout);
		}
		be->set_threads(0);
		if (be != REF && be->set_precision(IMB_NN_BF16) == 0) {
			printf("%s in bf16 (images hold bfloat16; inputs bfloat16 values):\n", be->name);
			bf16_ops(be);
			be->set_precision(IMB_NN_FP32);
		}
	}
	CHECK_DONE();
}
