/* test_nn_layers.c: every layer's forward against a double-precision
 * reference written here, and every backward against central finite
 * differences of that double reference (loss = sum(out * R) for a random
 * R, so dout = R). Prints the max difference of each comparison; exits
 * non-zero when one is over its tolerance or a gradient is all zero.
 *
 * With a directory argument it instead compares layers, losses, a small
 * residual net's gradients and an SGD step with PyTorch's (the dumps of
 * tests/nn_torch_ref.py; see tests/nn_ref.bats). */
#include "check.h"
#include "nn_check.h"
#include "nn_model.h"
#include "nn_backend.h"
#include "nn_layers.h"
#include "nn_loss.h"
#include "nn_optim.h"
#include "rng.h"
#include "util.h"

#include <stdint.h>
#include <unistd.h>

#define FD_MAX 200
typedef double (*dfun)(void *ctx);
static double *fd_grad(double *x, size_t n, dfun f, void *ctx)
{
	const double h = 1e-6;
	double *g = malloc((n ? n : 1) * sizeof(double));
	size_t step = n > FD_MAX ? n / FD_MAX : 1;
	for (size_t i = 0; i < n; i++) {
		if (i % step && i != n - 1) {
			g[i] = NAN;
			continue;
		}
		double save = x[i];
		x[i] = save + h;
		double fp = f(ctx);
		x[i] = save - h;
		double fm = f(ctx);
		x[i] = save;
		g[i] = (fp - fm) / (2 * h);
	}
	return g;
}

static double dot(const double *a, const double *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

/* a float-versus-double tolerance for gradients and outputs */
#define TOL 2e-5

/* ------------------------------------------------------------ linear */

typedef struct { int N, C, OC; double *x, *w, *b, *R, *out; } lin_ctx;

static void linear_ref(lin_ctx *c)
{
	for (int n = 0; n < c->N; n++)
		for (int o = 0; o < c->OC; o++) {
			double s = c->b ? c->b[o] : 0;
			for (int k = 0; k < c->C; k++)
				s += c->x[n * c->C + k] * c->w[o * c->C + k];
			c->out[n * c->OC + o] = s;
		}
}

static double linear_loss(void *vc)
{
	lin_ctx *c = vc;
	linear_ref(c);
	return dot(c->out, c->R, (size_t)c->N * c->OC);
}

static void test_linear(int N, int C, int OC)
{
	printf("linear N=%d C=%d OC=%d\n", N, C, OC);
	size_t nx = (size_t)N * C, nw = (size_t)OC * C, no = (size_t)N * OC;
	float *x = frand(nx, -1, 1), *w = frand(nw, -1, 1), *b = frand(OC, -1, 1);
	float *R = frand(no, -1, 1), *out = fzeros(no);
	float *dx = fzeros(nx), *dw = fzeros(nw), *db = fzeros(OC);
	imb_nn_linear_forward(out, x, w, b, N, C, OC);
	imb_nn_linear_backward(dx, dw, db, R, x, w, N, C, OC);
	lin_ctx c = { N, C, OC, todouble(x, nx), todouble(w, nw), todouble(b, OC),
	              todouble(R, no), malloc(no * sizeof(double)) };
	linear_ref(&c);
	compare("forward", out, c.out, no, TOL);
	double *gx = fd_grad(c.x, nx, linear_loss, &c);
	double *gw = fd_grad(c.w, nw, linear_loss, &c);
	double *gb = fd_grad(c.b, OC, linear_loss, &c);
	compare("dinp vs finite differences", dx, gx, nx, TOL);
	compare("dw vs finite differences", dw, gw, nw, TOL);
	compare("db vs finite differences", db, gb, OC, TOL);
	/* backward accumulates: a second call doubles the gradients */
	imb_nn_linear_backward(dx, dw, db, R, x, w, N, C, OC);
	for (size_t i = 0; i < nw; i++)
		gw[i] *= 2;
	compare("dw after two backward calls = 2x", dw, gw, nw, TOL);
	free(x); free(w); free(b); free(R); free(out); free(dx); free(dw); free(db);
	free(c.x); free(c.w); free(c.b); free(c.R); free(c.out); free(gx); free(gw); free(gb);
}

/* ------------------------------------------------------------ conv2d */

typedef struct { imb_nn_conv2d_shape s; double *x, *w, *b, *R, *out; } conv_ctx;

static void conv_ref(conv_ctx *c)
{
	const imb_nn_conv2d_shape *s = &c->s;
	for (int n = 0; n < s->N; n++)
	for (int o = 0; o < s->OC; o++)
	for (int oh = 0; oh < s->OH; oh++)
	for (int ow = 0; ow < s->OW; ow++) {
		double acc = c->b ? c->b[o] : 0;
		for (int ci = 0; ci < s->C; ci++)
		for (int kh = 0; kh < s->KH; kh++)
		for (int kw = 0; kw < s->KW; kw++) {
			int ih = oh * s->stride - s->pad + kh, iw = ow * s->stride - s->pad + kw;
			if (ih < 0 || ih >= s->H || iw < 0 || iw >= s->W)
				continue;
			acc += c->x[((n * s->C + ci) * s->H + ih) * s->W + iw] *
			       c->w[((o * s->C + ci) * s->KH + kh) * s->KW + kw];
		}
		c->out[((n * s->OC + o) * s->OH + oh) * s->OW + ow] = acc;
	}
}

static double conv_loss(void *vc)
{
	conv_ctx *c = vc;
	conv_ref(c);
	return dot(c->out, c->R, (size_t)c->s.N * c->s.OC * c->s.OH * c->s.OW);
}

static void test_conv(int N, int C, int H, int W, int OC, int KH, int KW, int S, int P,
                      int threads, int bias)
{
	conv_ctx c = { .b = NULL };
	CHECK(imb_nn_conv2d_shape_init(&c.s, N, C, H, W, OC, KH, KW, S, P) == 0);
	printf("conv2d N=%d C=%d %dx%d OC=%d k=%dx%d stride=%d pad=%d -> %dx%d, "
	       "%d threads%s\n", N, C, H, W, OC, KH, KW, S, P, c.s.OH, c.s.OW, threads,
	       bias ? "" : ", no bias");
	CHECK_EQ_INT(imb_nn_conv2d_out(H, KH, S, P), c.s.OH);
	imb_nn_set_threads(threads);
	size_t nx = (size_t)N * C * H * W, nw = (size_t)OC * C * KH * KW;
	size_t no = (size_t)N * OC * c.s.OH * c.s.OW;
	float *x = frand(nx, -1, 1), *w = frand(nw, -1, 1), *b = frand(OC, -1, 1);
	float *R = frand(no, -1, 1), *out = frand(no, -9, 9);   /* forward overwrites */
	float *dx = fzeros(nx), *dw = fzeros(nw), *db = fzeros(OC);
	imb_nn_conv2d_forward(out, x, w, bias ? b : NULL, N, C, H, W, OC, KH, KW, S, P);
	imb_nn_conv2d_backward(dx, dw, bias ? db : NULL, R, x, w, N, C, H, W, OC, KH, KW, S, P, 0);
	c.x = todouble(x, nx);
	c.w = todouble(w, nw);
	c.b = bias ? todouble(b, OC) : NULL;
	c.R = todouble(R, no);
	c.out = malloc(no * sizeof(double));
	conv_ref(&c);
	compare("forward", out, c.out, no, TOL);
	double *gx = fd_grad(c.x, nx, conv_loss, &c);
	double *gw = fd_grad(c.w, nw, conv_loss, &c);
	compare("dinp vs finite differences", dx, gx, nx, TOL);
	compare("dw vs finite differences", dw, gw, nw, TOL);
	if (bias) {
		double *gb = fd_grad(c.b, OC, conv_loss, &c);
		compare("db vs finite differences", db, gb, OC, TOL);
		free(gb);
	}
	/* the same call again gives the same bits (fixed thread split), and
	 * accumulates into the gradients */
	float *out2 = fzeros(no), *dx2 = fzeros(nx), *dw2 = fzeros(nw);
	imb_nn_conv2d_forward(out2, x, w, bias ? b : NULL, N, C, H, W, OC, KH, KW, S, P);
	imb_nn_conv2d_backward(dx2, dw2, NULL, R, x, w, N, C, H, W, OC, KH, KW, S, P, 0);
	CHECK(memcmp(out, out2, no * sizeof(float)) == 0);
	CHECK(memcmp(dx, dx2, nx * sizeof(float)) == 0);
	CHECK(memcmp(dw, dw2, nw * sizeof(float)) == 0);
	imb_nn_conv2d_backward(dx2, NULL, NULL, R, x, w, N, C, H, W, OC, KH, KW, S, P, 0);
	for (size_t i = 0; i < nx; i++)
		gx[i] *= 2;
	compare("dinp after two backward calls = 2x", dx2, gx, nx, TOL);
	free(x); free(w); free(b); free(R); free(out); free(dx); free(dw); free(db);
	free(out2); free(dx2); free(dw2);
	free(c.x); free(c.w); free(c.b); free(c.R); free(c.out); free(gx); free(gw);
}

/* ------------------------------------------------------------ batch norm */

typedef struct { int N, C, HW, train; double eps, *x, *g, *b, *R, *out, *rm, *rv; } bn_ctx;

static void bn_ref(bn_ctx *c, double *mean_out, double *var_out)
{
	size_t HW = c->HW;
	for (int ch = 0; ch < c->C; ch++) {
		double mean = 0, var = 0;
		if (c->train) {
			for (int n = 0; n < c->N; n++)
				for (size_t i = 0; i < HW; i++)
					mean += c->x[(n * c->C + ch) * HW + i];
			mean /= (double)c->N * HW;
			for (int n = 0; n < c->N; n++)
				for (size_t i = 0; i < HW; i++) {
					double d = c->x[(n * c->C + ch) * HW + i] - mean;
					var += d * d;
				}
			var /= (double)c->N * HW;
		} else {
			mean = c->rm[ch];
			var = c->rv[ch];
		}
		if (mean_out) {
			mean_out[ch] = mean;
			var_out[ch] = var;
		}
		for (int n = 0; n < c->N; n++)
			for (size_t i = 0; i < HW; i++) {
				size_t k = (n * c->C + ch) * HW + i;
				c->out[k] = (c->x[k] - mean) / sqrt(var + c->eps) * c->g[ch] + c->b[ch];
			}
	}
}

static double bn_loss(void *vc)
{
	bn_ctx *c = vc;
	bn_ref(c, NULL, NULL);
	return dot(c->out, c->R, (size_t)c->N * c->C * c->HW);
}

static void test_bn(int N, int C, int HW, int threads)
{
	printf("batchnorm N=%d C=%d HW=%d, %d threads\n", N, C, HW, threads);
	imb_nn_set_threads(threads);
	size_t nx = (size_t)N * C * HW;
	float momentum = 0.1f, eps = 1e-5f;
	float *x = frand(nx, -2, 3), *g = frand(C, 0.5, 1.5), *b = frand(C, -1, 1);
	float *R = frand(nx, -1, 1), *out = fzeros(nx), *mean = fzeros(C), *rstd = fzeros(C);
	float *rm = frand(C, -0.5, 0.5), *rv = frand(C, 0.5, 2);
	float *rm0 = malloc(C * sizeof(float)), *rv0 = malloc(C * sizeof(float));
	memcpy(rm0, rm, C * sizeof(float));
	memcpy(rv0, rv, C * sizeof(float));
	float *dx = fzeros(nx), *dg = fzeros(C), *db = fzeros(C);

	/* train mode */
	imb_nn_batchnorm_forward_train(out, mean, rstd, rm, rv, x, g, b, N, C, HW, momentum, eps, NULL, 0);
	imb_nn_batchnorm_backward(dx, dg, db, R, x, g, NULL, mean, rstd, N, C, HW, NULL, NULL, 0);
	bn_ctx c = { N, C, HW, 1, eps, todouble(x, nx), todouble(g, C), todouble(b, C),
	             todouble(R, nx), malloc(nx * sizeof(double)), todouble(rm0, C),
	             todouble(rv0, C) };
	double *bm = malloc(C * sizeof(double)), *bv = malloc(C * sizeof(double));
	double *wm = malloc(C * sizeof(double)), *wv = malloc(C * sizeof(double));
	double *wr = malloc(C * sizeof(double));
	bn_ref(&c, bm, bv);
	compare("train forward", out, c.out, nx, TOL);
	double M = (double)N * HW;
	for (int ch = 0; ch < C; ch++) {
		wm[ch] = (1 - momentum) * rm0[ch] + momentum * bm[ch];
		wv[ch] = (1 - momentum) * rv0[ch] + momentum * bv[ch] * M / (M - 1);
		wr[ch] = 1 / sqrt(bv[ch] + eps);
	}
	compare("saved batch mean", mean, bm, C, TOL);
	compare("saved rstd", rstd, wr, C, TOL);
	compare("running mean (momentum 0.1)", rm, wm, C, TOL);
	compare("running var (unbiased, momentum 0.1)", rv, wv, C, TOL);
	double *gx = fd_grad(c.x, nx, bn_loss, &c);
	double *gg = fd_grad(c.g, C, bn_loss, &c);
	double *gb = fd_grad(c.b, C, bn_loss, &c);
	compare("train dinp vs finite differences", dx, gx, nx, 1e-4);
	compare("train dgamma vs finite differences", dg, gg, C, TOL);
	compare("train dbeta vs finite differences", db, gb, C, TOL);
	free(gx); free(gg); free(gb);

	/* eval mode with the (updated) running statistics */
	c.train = 0;
	free(c.rm); free(c.rv);
	c.rm = todouble(rm, C);
	c.rv = todouble(rv, C);
	memset(dx, 0, nx * sizeof(float));
	memset(dg, 0, C * sizeof(float));
	memset(db, 0, C * sizeof(float));
	imb_nn_batchnorm_forward_eval(out, x, g, b, rm, rv, N, C, HW, eps, NULL, 0);
	imb_nn_batchnorm_backward_eval(dx, dg, db, R, x, g, rm, rv, N, C, HW, eps, NULL, NULL, 0);
	bn_ref(&c, NULL, NULL);
	compare("eval forward", out, c.out, nx, TOL);
	gx = fd_grad(c.x, nx, bn_loss, &c);
	gg = fd_grad(c.g, C, bn_loss, &c);
	gb = fd_grad(c.b, C, bn_loss, &c);
	compare("eval dinp vs finite differences", dx, gx, nx, TOL);
	compare("eval dgamma vs finite differences", dg, gg, C, TOL);
	compare("eval dbeta vs finite differences", db, gb, C, TOL);
	free(gx); free(gg); free(gb);
	free(x); free(g); free(b); free(R); free(out); free(mean); free(rstd); free(rm);
	free(rv); free(rm0); free(rv0); free(dx); free(dg); free(db);
	free(c.x); free(c.g); free(c.b); free(c.R); free(c.out); free(c.rm); free(c.rv);
	free(bm); free(bv); free(wm); free(wv); free(wr);
}

/* Batch norm with its ReLU fused gives the bits of batch norm, then
 * relu_forward, and backward relu_backward into zeroed memory, then the
 * batch norm's backward: train and eval. With a residual too (a ResNet
 * block's tail), the bits of batch norm, residual_forward, relu_forward,
 * and backward relu_backward and residual_backward into zeroed memory
 * (the residual's gradient onto what it held), then the batch norm's. */
static void test_bn_relu(int N, int C, int HW, int threads, int res)
{
	printf("batchnorm + %srelu fused N=%d C=%d HW=%d, %d threads\n", res ? "residual + " : "",
	       N, C, HW, threads);
	imb_nn_set_threads(threads);
	size_t nx = (size_t)N * C * HW;
	float *x = frand(nx, -2, 3), *g = frand(C, 0.5, 1.5), *b = frand(C, -1, 1);
	float *R = frand(nx, -1, 1), *rm = frand(C, -0.5, 0.5), *rv = frand(C, 0.5, 2);
	float *s = res ? frand(nx, -1.5, 1) : NULL;
	for (int train = 1; train >= 0; train--) {
		float *o1 = fzeros(nx), *o2 = fzeros(nx), *m1 = fzeros(C), *s1 = fzeros(C);
		float *m2 = fzeros(C), *s2 = fzeros(C), *gm = fzeros(nx), *gb = fzeros(nx);
		float *dx1 = frand(nx, -1, 1), *dx2 = malloc(nx * sizeof(float));
		float *dg1 = frand(C, -1, 1), *dg2 = malloc(C * sizeof(float));
		float *db1 = frand(C, -1, 1), *db2 = malloc(C * sizeof(float));
		float *ds1 = frand(nx, -1, 1), *ds2 = malloc(nx * sizeof(float));
		memcpy(dx2, dx1, nx * sizeof(float));
		memcpy(dg2, dg1, C * sizeof(float));
		memcpy(db2, db1, C * sizeof(float));
		memcpy(ds2, ds1, nx * sizeof(float));
		/* the separate ops: o1, and the gradient gb that reaches the batch norm */
		if (train)
			imb_nn_batchnorm_forward_train(o1, m1, s1, NULL, NULL, x, g, b, N, C, HW, 0.1f,
			                               1e-5f, NULL, 0);
		else
			imb_nn_batchnorm_forward_eval(o1, x, g, b, rm, rv, N, C, HW, 1e-5f, NULL, 0);
		if (res)
			imb_nn_residual_forward(o1, o1, s, nx);
		imb_nn_relu_forward(o1, o1, nx);
		imb_nn_relu_backward(gm, R, o1, nx);
		if (res)
			imb_nn_residual_backward(gb, ds1, gm, nx);
		else
			memcpy(gb, gm, nx * sizeof(float));
		if (train) {
			imb_nn_batchnorm_forward_train(o2, m2, s2, NULL, NULL, x, g, b, N, C, HW, 0.1f,
			                               1e-5f, s, 1);
			imb_nn_batchnorm_backward(dx1, dg1, db1, gb, x, g, NULL, m1, s1, N, C, HW, NULL,
			                          NULL, 0);
			imb_nn_batchnorm_backward(dx2, dg2, db2, R, x, g, res ? NULL : b, m2, s2, N, C, HW, o2,
			                          res ? ds2 : NULL, 0);
			CHECK(memcmp(m1, m2, C * sizeof(float)) == 0);
			CHECK(memcmp(s1, s2, C * sizeof(float)) == 0);
		} else {
			imb_nn_batchnorm_forward_eval(o2, x, g, b, rm, rv, N, C, HW, 1e-5f, s, 1);
			imb_nn_batchnorm_backward_eval(dx1, dg1, db1, gb, x, g, rm, rv, N, C, HW, 1e-5f,
			                               NULL, NULL, 0);
			imb_nn_batchnorm_backward_eval(dx2, dg2, db2, R, x, g, rm, rv, N, C, HW, 1e-5f,
			                               o2, res ? ds2 : NULL, 0);
		}
		size_t zeros = 0;
		for (size_t i = 0; i < nx; i++)
			zeros += o2[i] == 0;
		CHECK(zeros > nx / 10 && zeros < nx - nx / 10);   /* the ReLU bites */
		CHECK(memcmp(o1, o2, nx * sizeof(float)) == 0);
		CHECK(memcmp(dx1, dx2, nx * sizeof(float)) == 0);
		CHECK(memcmp(dg1, dg2, C * sizeof(float)) == 0);
		CHECK(memcmp(db1, db2, C * sizeof(float)) == 0);
		CHECK(memcmp(ds1, ds2, nx * sizeof(float)) == 0);
		free(o1); free(o2); free(m1); free(s1); free(m2); free(s2); free(gm); free(gb);
		free(dx1); free(dx2); free(dg1); free(dg2); free(db1); free(db2); free(ds1);
		free(ds2);
	}
	free(x); free(g); free(b); free(R); free(rm); free(rv); free(s);
}

/* ------------------------------------------------------------ relu, pools, residual */

typedef struct { size_t n; double *x, *R, *out; } relu_ctx;

static double relu_loss(void *vc)
{
	relu_ctx *c = vc;
	for (size_t i = 0; i < c->n; i++)
		c->out[i] = c->x[i] > 0 ? c->x[i] : 0;
	return dot(c->out, c->R, c->n);
}

static void test_relu(size_t n, int threads)
{
	printf("relu n=%zu, %d threads\n", n, threads);
	imb_nn_set_threads(threads);
	float *x = frand(n, -1, 1), *R = frand(n, -1, 1), *out = fzeros(n), *dx = fzeros(n);
	for (size_t i = 0; i < n; i++)   /* keep finite differences off the kink */
		if (fabsf(x[i]) < 1e-3f)
			x[i] = 0.5f;
	imb_nn_relu_forward(out, x, n);
	imb_nn_relu_backward(dx, R, out, n);
	relu_ctx c = { n, todouble(x, n), todouble(R, n), malloc(n * sizeof(double)) };
	relu_loss(&c);
	compare("forward", out, c.out, n, 0);
	double *gx = fd_grad(c.x, n, relu_loss, &c);
	compare("dinp vs finite differences", dx, gx, n, TOL);
	relu_loss(&c);
	imb_nn_relu_forward(x, x, n);   /* in place */
	compare("forward in place", x, c.out, n, 0);
	free(x); free(R); free(out); free(dx); free(c.x); free(c.R); free(c.out); free(gx);
}

typedef struct { int N, C, H, W, K, S, P, OH, OW; double *x, *R, *out; } pool_ctx;

static double maxpool_loss(void *vc)
{
	pool_ctx *c = vc;
	for (int p = 0; p < c->N * c->C; p++)
		for (int oh = 0; oh < c->OH; oh++)
			for (int ow = 0; ow < c->OW; ow++) {
				double best = -INFINITY;
				for (int kh = 0; kh < c->K; kh++)
					for (int kw = 0; kw < c->K; kw++) {
						int ih = oh * c->S - c->P + kh, iw = ow * c->S - c->P + kw;
						if (ih >= 0 && ih < c->H && iw >= 0 && iw < c->W &&
						    c->x[(p * c->H + ih) * c->W + iw] > best)
							best = c->x[(p * c->H + ih) * c->W + iw];
					}
				c->out[(p * c->OH + oh) * c->OW + ow] = best;
			}
	return dot(c->out, c->R, (size_t)c->N * c->C * c->OH * c->OW);
}

static void test_maxpool(int N, int C, int H, int W, int K, int S, int P)
{
	int OH = imb_nn_conv2d_out(H, K, S, P), OW = imb_nn_conv2d_out(W, K, S, P);
	printf("maxpool N=%d C=%d %dx%d k=%d stride=%d pad=%d -> %dx%d\n", N, C, H, W, K, S,
	       P, OH, OW);
	size_t nx = (size_t)N * C * H * W, no = (size_t)N * C * OH * OW;
	float *x = frand(nx, -1, 1), *R = frand(no, -1, 1), *out = fzeros(no), *dx = fzeros(nx);
	int32_t *am = malloc(no * sizeof(int32_t));
	imb_nn_maxpool_forward(out, am, x, N, C, H, W, K, S, P);
	imb_nn_maxpool_backward(dx, R, am, N, C, H, W, K, S, P);
	pool_ctx c = { N, C, H, W, K, S, P, OH, OW, todouble(x, nx), todouble(R, no),
	               malloc(no * sizeof(double)) };
	maxpool_loss(&c);
	compare("forward", out, c.out, no, 0);
	double *gx = fd_grad(c.x, nx, maxpool_loss, &c);
	compare("dinp vs finite differences", dx, gx, nx, TOL);
	free(x); free(R); free(out); free(dx); free(am); free(c.x); free(c.R); free(c.out);
	free(gx);
}

static double avgpool_loss(void *vc)
{
	pool_ctx *c = vc;
	int HW = c->H * c->W;
	for (int p = 0; p < c->N * c->C; p++) {
		double s = 0;
		for (int i = 0; i < HW; i++)
			s += c->x[p * HW + i];
		c->out[p] = s / HW;
	}
	return dot(c->out, c->R, (size_t)c->N * c->C);
}

static void test_avgpool(int N, int C, int H, int W)
{
	printf("global avgpool N=%d C=%d %dx%d\n", N, C, H, W);
	size_t nx = (size_t)N * C * H * W, no = (size_t)N * C;
	float *x = frand(nx, -1, 1), *R = frand(no, -1, 1), *out = fzeros(no), *dx = fzeros(nx);
	imb_nn_avgpool_forward(out, x, N, C, H * W);
	imb_nn_avgpool_backward(dx, R, N, C, H * W);
	pool_ctx c = { N, C, H, W, 0, 0, 0, 1, 1, todouble(x, nx), todouble(R, no),
	               malloc(no * sizeof(double)) };
	avgpool_loss(&c);
	compare("forward", out, c.out, no, TOL);
	double *gx = fd_grad(c.x, nx, avgpool_loss, &c);
	compare("dinp vs finite differences", dx, gx, nx, TOL);
	free(x); free(R); free(out); free(dx); free(c.x); free(c.R); free(c.out); free(gx);
}

typedef struct { size_t n; double *a, *b, *R, *out; } res_ctx;

static double residual_loss(void *vc)
{
	res_ctx *c = vc;
	for (size_t i = 0; i < c->n; i++)
		c->out[i] = c->a[i] + c->b[i];
	return dot(c->out, c->R, c->n);
}

static void test_residual(size_t n)
{
	printf("residual add n=%zu\n", n);
	float *a = frand(n, -1, 1), *b = frand(n, -1, 1), *R = frand(n, -1, 1);
	float *out = fzeros(n), *da = frand(n, -1, 1), *db = fzeros(n);
	res_ctx c = { n, todouble(a, n), todouble(b, n), todouble(R, n),
	              malloc(n * sizeof(double)) };
	double *da0 = todouble(da, n);  /* backward accumulates onto this */
	imb_nn_residual_forward(out, a, b, n);
	imb_nn_residual_backward(da, db, R, n);
	residual_loss(&c);
	compare("forward", out, c.out, n, TOL);
	double *ga = fd_grad(c.a, n, residual_loss, &c);
	double *gb = fd_grad(c.b, n, residual_loss, &c);
	for (size_t i = 0; i < n; i++)
		ga[i] += da0[i];
	compare("da (accumulated) vs finite differences", da, ga, n, TOL);
	compare("db vs finite differences", db, gb, n, TOL);
	free(a); free(b); free(R); free(out); free(da); free(db); free(da0);
	free(c.a); free(c.b); free(c.R); free(c.out); free(ga); free(gb);
}

/* ------------------------------------------------------------ dropout */

static void test_dropout(size_t n, float p)
{
	printf("dropout n=%zu p=%g\n", n, p);
	float *x = frand(n, -1, 1), *R = frand(n, -1, 1), *out = fzeros(n), *dx = fzeros(n);
	float *mask = fzeros(n), *mask2 = fzeros(n), *out2 = fzeros(n);
	imb_rng r1, r2;
	imb_rng_seed(&r1, 7);
	imb_rng_seed(&r2, 7);
	imb_nn_dropout_forward(out, mask, x, n, p, &r1);
	imb_nn_dropout_forward(out2, mask2, x, n, p, &r2);
	CHECK(memcmp(mask, mask2, n * sizeof(float)) == 0);   /* same seed, same mask */
	imb_nn_dropout_forward(out2, mask2, x, n, p, &r2);
	CHECK(memcmp(mask, mask2, n * sizeof(float)) != 0);   /* generator moved on */
	size_t dropped = 0, bad = 0;
	double *want = malloc(n * sizeof(double)), *gx = malloc(n * sizeof(double));
	for (size_t i = 0; i < n; i++) {
		dropped += mask[i] == 0;
		bad += mask[i] != 0 && fabsf(mask[i] - 1 / (1 - p)) > 1e-6f;
		want[i] = (double)x[i] * mask[i];
		gx[i] = (double)R[i] * mask[i];   /* out is linear in x given the mask */
	}
	CHECK_EQ_INT(bad, 0);
	printf("  dropped %zu of %zu (p=%g)\n", dropped, n, p);
	CHECK_NEAR((double)dropped / n, p, 4 * sqrt(p * (1 - p) / n));
	compare("forward = inp * mask", out, want, n, 1e-7);
	imb_nn_dropout_backward(dx, R, mask, n);
	compare("dinp = dout * mask", dx, gx, n, 1e-7);
	/* mean of out matches mean of inp in expectation: scaled by 1/(1-p) */
	free(x); free(R); free(out); free(dx); free(mask); free(mask2); free(out2);
	free(want); free(gx);
}

/* ------------------------------------------------------------ threads */

/* A bigger convolution gives the same bits run after run at a fixed
 * thread count, and agrees across thread counts to rounding. */
static void test_conv_threads(void)
{
	int N = 12, C = 8, H = 10, W = 10, OC = 16;
	printf("conv2d determinism N=%d C=%d %dx%d OC=%d, 1 vs 2 vs 3 threads\n", N, C, H, W, OC);
	size_t nx = (size_t)N * C * H * W, nw = (size_t)OC * C * 9, no = (size_t)N * OC * H * W;
	float *x = frand(nx, -1, 1), *w = frand(nw, -1, 1), *R = frand(no, -1, 1);
	float *out[3], *dx[3], *dw[3];
	for (int t = 0; t < 3; t++) {
		imb_nn_set_threads(t + 1);
		out[t] = fzeros(no);
		dx[t] = fzeros(nx);
		dw[t] = fzeros(nw);
		imb_nn_conv2d_forward(out[t], x, w, NULL, N, C, H, W, OC, 3, 3, 1, 1);
		imb_nn_conv2d_backward(dx[t], dw[t], NULL, R, x, w, N, C, H, W, OC, 3, 3, 1, 1, 0);
	}
	for (int rep = 0; rep < 3; rep++) {
		imb_nn_set_threads(2);
		float *o = fzeros(no), *d = fzeros(nx), *g = fzeros(nw);
		imb_nn_conv2d_forward(o, x, w, NULL, N, C, H, W, OC, 3, 3, 1, 1);
		imb_nn_conv2d_backward(d, g, NULL, R, x, w, N, C, H, W, OC, 3, 3, 1, 1, 0);
		CHECK(memcmp(o, out[1], no * sizeof(float)) == 0);
		CHECK(memcmp(d, dx[1], nx * sizeof(float)) == 0);
		CHECK(memcmp(g, dw[1], nw * sizeof(float)) == 0);
		free(o); free(d); free(g);
	}
	for (int t = 1; t < 3; t++) {
		double *ref = todouble(dw[0], nw);
		compare(t == 1 ? "dw 2 threads vs 1" : "dw 3 threads vs 1", dw[t], ref, nw, 1e-5);
		free(ref);
		ref = todouble(out[0], no);
		compare(t == 1 ? "forward 2 threads vs 1" : "forward 3 threads vs 1", out[t], ref,
		        no, 1e-6);
		free(ref);
	}
	for (int t = 0; t < 3; t++) {
		free(out[t]); free(dx[t]); free(dw[t]);
	}
	free(x); free(w); free(R);
}

/* ------------------------------------------------------------ PyTorch reference */

/* `test_nn_layers DIR` compares with the dumps tests/nn_torch_ref.py wrote
 * into DIR (tests/nn_ref.bats runs both): outputs and gradients agree to
 * REF_TOL relative to the largest reference value (nn_check.h). */

static void ref_conv(const char *cs, int N, int C, int H, int W, int OC, int K, int S, int P,
                     int bias)
{
	char nm[64];
	int OH = imb_nn_conv2d_out(H, K, S, P), OW = imb_nn_conv2d_out(W, K, S, P);
	size_t nx = (size_t)N * C * H * W, nw = (size_t)OC * C * K * K, no = (size_t)N * OC * OH * OW;
	printf("%s: conv2d N=%d C=%d %dx%d OC=%d k=%d stride=%d pad=%d\n", cs, N, C, H, W, OC, K, S, P);
#define RF(t, n) (snprintf(nm, sizeof nm, "%s." t, cs), rf(nm, n))
#define RC(what, got, t, n) (snprintf(nm, sizeof nm, "%s." t, cs), ref_compare(what, got, nm, n))
	float *x = RF("x", nx), *w = RF("w", nw), *b = bias ? RF("b", OC) : NULL;
	float *dout = RF("dout", no), *out = fzeros(no), *dx = fzeros(nx), *dw = fzeros(nw);
	float *db = fzeros(OC);
	imb_nn_conv2d_forward(out, x, w, b, N, C, H, W, OC, K, K, S, P);
	imb_nn_conv2d_backward(dx, dw, bias ? db : NULL, dout, x, w, N, C, H, W, OC, K, K, S, P, 0);
	RC("forward", out, "out", no);
	RC("dinp", dx, "dx", nx);
	RC("dw", dw, "dw", nw);
	if (bias)
		RC("db", db, "db", OC);
	free(x); free(w); free(b); free(dout); free(out); free(dx); free(dw); free(db);
}

/* the small residual net of nn_torch_ref.py, forward, backward, SGD step */
static void ref_net(void)
{
	enum { N = 4, C = 3, H = 8, W = 8, F = 8, K = 5 };
	printf("net: conv-bn-relu, conv-bn + skip, relu, maxpool, avgpool, linear, CE; SGD\n");
	/* one flat parameter block, PyTorch's order */
	size_t sz[] = { F * C * 9, F, F, F * F * 9, F, F, K * F, K }, P = 0, off[8];
	for (int i = 0; i < 8; i++) {
		off[i] = P;
		P += sz[i];
	}
	float *param = rf("net.params", P), *grad = fzeros(P);
	float *w1 = param + off[0], *g1 = param + off[1], *be1 = param + off[2];
	float *w2 = param + off[3], *g2 = param + off[4], *be2 = param + off[5];
	float *wf = param + off[6], *bf = param + off[7];
	float *x = rf("net.x", N * C * H * W);
	int32_t *y = ref_read("net.y", "i32", N);
	size_t A = (size_t)N * F * H * W;
	float *c1 = fzeros(A), *r1 = fzeros(A), *c2 = fzeros(A), *b2 = fzeros(A), *r2 = fzeros(A);
	float *pm = fzeros(A / 4), *a = fzeros(N * F), *z = fzeros(N * K);
	float m1[F], s1[F], m2[F], s2[F], rm[F] = {0}, rv[F] = {0};
	int32_t *am = malloc(A / 4 * sizeof(int32_t));
	imb_nn_conv2d_forward(c1, x, w1, NULL, N, C, H, W, F, 3, 3, 1, 1);
	imb_nn_batchnorm_forward_train(r1, m1, s1, rm, rv, c1, g1, be1, N, F, H * W, 0.1f, 1e-5f, NULL, 0);
	imb_nn_relu_forward(r1, r1, A);
	imb_nn_conv2d_forward(c2, r1, w2, NULL, N, F, H, W, F, 3, 3, 1, 1);
	imb_nn_batchnorm_forward_train(b2, m2, s2, rm, rv, c2, g2, be2, N, F, H * W, 0.1f, 1e-5f, NULL, 0);
	imb_nn_residual_forward(r2, b2, r1, A);
	imb_nn_relu_forward(r2, r2, A);
	imb_nn_maxpool_forward(pm, am, r2, N, F, H, W, 2, 2, 0);
	imb_nn_avgpool_forward(a, pm, N, F, H * W / 4);
	imb_nn_linear_forward(z, a, wf, bf, N, F, K);
	imb_nn_loss L;
	imb_nn_loss_ce(&L, K);
	float dz[N * K], loss = imb_nn_loss_forward(&L, dz, NULL, z, y, N);
	ref_compare("logits", z, "net.z", N * K);
	ref_compare("loss", &loss, "net.loss", 1);
	/* backward: activation gradients zeroed, parameter gradients in the block */
	float *da = fzeros(N * F), *dpm = fzeros(A / 4), *dr2 = fzeros(A), *db2 = fzeros(A);
	float *dc2 = fzeros(A), *dr1 = fzeros(A), *dc1 = fzeros(A);
	imb_nn_linear_backward(da, grad + off[6], grad + off[7], dz, a, wf, N, F, K);
	imb_nn_avgpool_backward(dpm, da, N, F, H * W / 4);
	imb_nn_maxpool_backward(dr2, dpm, am, N, F, H, W, 2, 2, 0);
	float *ds = fzeros(A);
	imb_nn_relu_backward(ds, dr2, r2, A);
	imb_nn_residual_backward(db2, dr1, ds, A);
	imb_nn_batchnorm_backward(dc2, grad + off[4], grad + off[5], db2, c2, g2, NULL, m2, s2, N,
	                          F, H * W, NULL, NULL, 0);
	imb_nn_conv2d_backward(dr1, grad + off[3], NULL, dc2, r1, w2, N, F, H, W, F, 3, 3, 1, 1, 0);
	float *db1 = fzeros(A);
	imb_nn_relu_backward(db1, dr1, r1, A);
	imb_nn_batchnorm_backward(dc1, grad + off[1], grad + off[2], db1, c1, g1, NULL, m1, s1, N,
	                          F, H * W, NULL, NULL, 0);
	imb_nn_conv2d_backward(NULL, grad + off[0], NULL, dc1, x, w1, N, C, H, W, F, 3, 3, 1, 1, 0);
	static const char *names[] = { "dw conv1", "dgamma bn1", "dbeta bn1", "dw conv2",
	                               "dgamma bn2", "dbeta bn2", "dw linear", "db linear" };
	float *want = rf("net.grads", P);
	for (int i = 0; i < 8; i++) {
		/* compare each parameter's slice on its own scale */
		double md = 0, mx = 0;
		for (size_t k = off[i]; k < off[i] + sz[i]; k++) {
			md = fabs(grad[k] - want[k]) > md ? fabs(grad[k] - want[k]) : md;
			mx = fabs(want[k]) > mx ? fabs(want[k]) : mx;
		}
		printf("  %-44s max diff %.3g, relative %.3g\n", names[i], md, md / mx);
		check_count++;
		if (!(md <= REF_TOL * mx)) {
			check_failed++;
			fprintf(stderr, "FAIL %s vs PyTorch: max diff %g, max |ref| %g\n", names[i], md, mx);
		}
	}
	imb_nn_optim o;
	imb_nn_optim_sgd(&o, P, 0.1f, 0.9f, 5e-4f, 0);
	imb_nn_optim_step(&o, param, grad);
	ref_compare("parameters after one SGD step", param, "net.params1", P);
	imb_nn_optim_free(&o);
	imb_nn_loss_free(&L);
	free(param); free(grad); free(x); free(y); free(c1); free(r1); free(c2); free(b2);
	free(r2); free(pm); free(a); free(z); free(am); free(da); free(dpm); free(dr2);
	free(db2); free(dc2); free(dr1); free(dc1); free(ds); free(db1); free(want);
}

/* a network by name against PyTorch's copy: the parameters come from the
 * dump, then logits, loss, each parameter tensor's gradient (sizes from
 * NAME.sizes), BN running statistics and one SGD step must agree */
static void ref_model(const char *name, const char *arch, int C, int H, int W, int K, int N)
{
	char nm[64];
	printf("%s: %s on %d inputs of %dx%dx%d, %d classes\n", name, arch, N, C, H, W, K);
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, K);
	CHECK(m != NULL);
	if (!m)
		return;
#define MF(t, n) (snprintf(nm, sizeof nm, "%s." t, name), rf(nm, n))
#define MC(what, got, t, n) (snprintf(nm, sizeof nm, "%s." t, name), ref_compare(what, got, nm, n))
	float *p = MF("params", m->P);
	memcpy(m->params, p, m->P * sizeof(float));
	free(p);
	float *x = MF("x", (size_t)N * C * H * W);
	snprintf(nm, sizeof nm, "%s.y", name);
	int32_t *y = ref_read(nm, "i32", N);
	float *z = malloc((size_t)N * K * sizeof(float)), *dz = malloc((size_t)N * K * sizeof(float));
	memcpy(z, imb_nn_model_forward(m, x, N, 1), (size_t)N * K * sizeof(float));
	imb_nn_loss L;
	imb_nn_loss_ce(&L, K);
	float loss = imb_nn_loss_forward(&L, dz, NULL, z, y, N);
	MC("logits", z, "z", (size_t)N * K);
	MC("loss", &loss, "loss", 1);
	imb_nn_model_zero_grad(m);
	imb_nn_model_backward(m, dz, 0);
	ref_compare_grads(name, m->grads, m->P);
	if (m->B)
		MC("BN running statistics", m->bufs, "bufs", m->B);
	imb_nn_optim o;
	imb_nn_optim_sgd(&o, m->P, 0.1f, 0.9f, 5e-4f, 0);
	imb_nn_optim_step(&o, m->params, m->grads);
	MC("parameters after one SGD step", m->params, "params1", m->P);
	imb_nn_optim_free(&o);
	imb_nn_loss_free(&L);
	imb_nn_model_free(m);
	free(x); free(y); free(z); free(dz);
}

static int torch_reference(const char *dir)
{
	ref_dir = dir;
	ref_conv("conv1", 4, 3, 9, 9, 5, 3, 1, 1, 1);
	ref_conv("conv2", 3, 4, 9, 8, 6, 3, 2, 1, 1);
	ref_conv("conv3", 5, 6, 4, 4, 4, 1, 1, 0, 0);

	printf("lin: linear N=8 C=20 OC=7\n");
	float *x = rf("lin.x", 160), *w = rf("lin.w", 140), *b = rf("lin.b", 7);
	float *dout = rf("lin.dout", 56), out[56], dx[160] = {0}, dw[140] = {0}, db[7] = {0};
	imb_nn_linear_forward(out, x, w, b, 8, 20, 7);
	imb_nn_linear_backward(dx, dw, db, dout, x, w, 8, 20, 7);
	ref_compare("forward", out, "lin.out", 56);
	ref_compare("dinp", dx, "lin.dx", 160);
	ref_compare("dw", dw, "lin.dw", 140);
	ref_compare("db", db, "lin.db", 7);
	free(x); free(w); free(b); free(dout);

	printf("bn: BatchNorm2d(4) N=6 5x5, train then eval\n");
	size_t n = 6 * 4 * 25;
	x = rf("bn.x", n);
	dout = rf("bn.dout", n);
	float *g = rf("bn.gamma", 4), *be = rf("bn.beta", 4), *rm = rf("bn.rm0", 4);
	float *rv = rf("bn.rv0", 4), *o = fzeros(n), *d = fzeros(n);
	float mean[4], rstd[4], dg[4] = {0}, dbe[4] = {0};
	imb_nn_batchnorm_forward_train(o, mean, rstd, rm, rv, x, g, be, 6, 4, 25, 0.1f, 1e-5f, NULL, 0);
	imb_nn_batchnorm_backward(d, dg, dbe, dout, x, g, NULL, mean, rstd, 6, 4, 25, NULL, NULL, 0);
	ref_compare("train forward", o, "bn.out", n);
	ref_compare("train dinp", d, "bn.dx", n);
	ref_compare("train dgamma", dg, "bn.dgamma", 4);
	ref_compare("train dbeta", dbe, "bn.dbeta", 4);
	ref_compare("running mean", rm, "bn.rm", 4);
	ref_compare("running var", rv, "bn.rv", 4);
	imb_nn_batchnorm_forward_eval(o, x, g, be, rm, rv, 6, 4, 25, 1e-5f, NULL, 0);
	ref_compare("eval forward", o, "bn.eval_out", n);
	free(x); free(dout); free(g); free(be); free(rm); free(rv); free(o); free(d);

	printf("pool: maxpool k=3 s=2 p=1 and global average, N=2 C=3 7x7\n");
	x = rf("pool.x", 294);
	float *dmax = rf("pool.dmax", 96), *davg = rf("pool.davg", 6), mp[96], ap[6];
	float *dpx = fzeros(294);
	int32_t am[96];
	imb_nn_maxpool_forward(mp, am, x, 2, 3, 7, 7, 3, 2, 1);
	imb_nn_avgpool_forward(ap, x, 2, 3, 49);
	imb_nn_maxpool_backward(dpx, dmax, am, 2, 3, 7, 7, 3, 2, 1);
	imb_nn_avgpool_backward(dpx, davg, 2, 3, 49);
	ref_compare("maxpool forward", mp, "pool.max", 96);
	ref_compare("avgpool forward", ap, "pool.avg", 6);
	ref_compare("dinp of both", dpx, "pool.dx", 294);
	free(x); free(dmax); free(davg); free(dpx);

	printf("loss: N=16 K=5\n");
	float *z = rf("loss.z", 80), *wc = rf("loss.w", 5), dz[80], l;
	int32_t *y = ref_read("loss.y", "i32", 16);
	imb_nn_loss L;
	imb_nn_loss_ce(&L, 5);
	l = imb_nn_loss_forward(&L, dz, NULL, z, y, 16);
	ref_compare("cross-entropy", &l, "loss.ce", 1);
	ref_compare("cross-entropy dlogits", dz, "loss.dce", 80);
	CHECK(imb_nn_loss_weighted_ce(&L, 5, wc) == 0);
	l = imb_nn_loss_forward(&L, dz, NULL, z, y, 16);
	ref_compare("weighted cross-entropy", &l, "loss.wce", 1);
	ref_compare("weighted cross-entropy dlogits", dz, "loss.dwce", 80);
	imb_nn_loss_free(&L);
	CHECK(imb_nn_loss_focal(&L, 5, 2, NULL) == 0);
	l = imb_nn_loss_forward(&L, dz, NULL, z, y, 16);
	ref_compare("focal gamma=2", &l, "loss.focal", 1);
	ref_compare("focal dlogits", dz, "loss.dfocal", 80);
	imb_nn_loss_free(&L);
	free(z); free(wc); free(y);

	ref_net();
	ref_model("resnet20", "resnet20", 3, 32, 32, 10, 8);
	/* the Winograd path on every 3x3 stride-1 layer, 16 channels too */
	setenv("IMB_NN_WINOGRAD", "2", 1);
	printf("Winograd forced (IMB_NN_WINOGRAD=2):\n");
	ref_conv("conv1", 4, 3, 9, 9, 5, 3, 1, 1, 1);
	ref_net();
	ref_model("resnet20", "resnet20", 3, 32, 32, 10, 8);
	/* and none */
	setenv("IMB_NN_WINOGRAD", "0", 1);
	printf("Winograd off (IMB_NN_WINOGRAD=0):\n");
	ref_model("resnet20", "resnet20", 3, 32, 32, 10, 8);
	unsetenv("IMB_NN_WINOGRAD");
	ref_model("mlp", "mlp:64,64", 2, 1, 1, 2, 64);
	fflush(stdout);
	CHECK_DONE();
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return torch_reference(argv[1]);
	imb_rng_seed(&rng, 1);
	CHECK(imb_nn_backend_missing(&imb_nn_backend_cpu) == NULL);
	CHECK_STR(imb_nn_be()->name, "cpu");
	CHECK(imb_nn_set_backend("nope") == -1);   /* "cuda": test_nn_backend */
	CHECK(imb_nn_set_backend("cpu") == 0);
	CHECK_STR(imb_nn_op_names[IMB_NN_OP_gemm], "gemm");
	imb_nn_conv2d_shape s;
	CHECK(imb_nn_conv2d_shape_init(&s, 1, 1, 2, 2, 1, 5, 5, 1, 0) == -1);
	CHECK(imb_nn_conv2d_out(2, 5, 1, 0) == -1);
	imb_nn_set_threads(0);
	CHECK(imb_nn_threads() >= 1);

	test_linear(5, 7, 3);
	test_linear(300, 40, 30);
	test_conv(2, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1);
	test_conv(2, 3, 7, 6, 4, 3, 3, 2, 1, 2, 1);  /* stride 2, non-square */
	test_conv(3, 4, 5, 5, 6, 1, 1, 1, 0, 2, 1);  /* 1x1 fast path */
	test_conv(2, 3, 6, 6, 4, 1, 1, 2, 0, 1, 0);  /* 1x1 stride 2 (downsample) */
	test_conv(2, 2, 5, 7, 3, 2, 3, 2, 2, 2, 1);  /* rectangular kernel, pad 2 */
	test_conv(5, 3, 6, 6, 4, 3, 3, 1, 1, 2, 1);  /* images grouped per GEMM */
	test_conv(2, 2, 2, 2, 3, 7, 7, 1, 3, 1, 1);  /* kernel wider than the image */
	test_conv(3, 1, 4, 4, 2, 3, 3, 3, 0, 3, 0);  /* stride 3, 3 threads */
	test_conv(2, 2, 40, 40, 2, 3, 3, 1, 1, 2, 1); /* big map: bands of output rows */
	test_conv(1, 1, 70, 69, 2, 3, 3, 2, 1, 1, 0); /* bands, stride 2 */
	/* stride 1 on maps of >= 256 outputs: the input gradient as a
	 * convolution of dout with the flipped kernel */
	test_conv(2, 2, 18, 18, 3, 3, 3, 1, 0, 2, 1); /* pad 0 */
	test_conv(2, 2, 16, 17, 3, 5, 5, 1, 2, 1, 0); /* 5x5 pad 2 */
	test_conv(3, 2, 15, 16, 3, 3, 3, 1, 2, 2, 1); /* pad 2 > (K-1)/2 */
	/* the same checks on the Winograd F(2x2,3x3) path, forced for any
	 * channel count: pad 0, 1, 2, odd and even sizes, bias, threads,
	 * tile groups of several images and a map smaller than a tile */
	setenv("IMB_NN_WINOGRAD", "2", 1);
	printf("Winograd forced (IMB_NN_WINOGRAD=2):\n");
	test_conv(2, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1);
	test_conv(5, 3, 6, 6, 4, 3, 3, 1, 1, 2, 1);
	test_conv(2, 2, 18, 18, 3, 3, 3, 1, 0, 2, 1);
	test_conv(3, 2, 15, 16, 3, 3, 3, 1, 2, 2, 1);
	test_conv(3, 2, 7, 9, 3, 3, 3, 1, 1, 3, 0);
	test_conv(4, 2, 1, 2, 3, 3, 3, 1, 1, 2, 1);
	test_conv(2, 2, 40, 40, 2, 3, 3, 1, 1, 2, 1);
	unsetenv("IMB_NN_WINOGRAD");
	/* default thresholds: these layers take Winograd */
	test_conv(2, 32, 4, 5, 32, 3, 3, 1, 1, 2, 0);
	test_bn(4, 3, 9, 1);
	test_bn(8, 5, 1, 2);                        /* BatchNorm1d: (N,C) */
	test_bn(16, 6, 400, 2);                     /* split over threads */
	for (int res = 0; res < 2; res++) {
		test_bn_relu(4, 3, 9, 1, res);
		test_bn_relu(16, 6, 400, 2, res);
		test_bn_relu(32, 8, 1, 2, res);
	}
	test_relu(50, 1);
	test_relu(70000, 2);
	test_maxpool(2, 3, 6, 6, 2, 2, 0);
	test_maxpool(2, 2, 7, 5, 3, 2, 1);
	test_avgpool(3, 4, 4, 4);
	test_residual(40);
	test_dropout(20000, 0.3f);
	test_conv_threads();
	fflush(stdout);
	CHECK_DONE();
}
