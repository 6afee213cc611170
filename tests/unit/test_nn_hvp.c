/* test_nn_hvp.c: Hessian-vector products by the R-operator.
 *
 * An MLP's loss, gradient and Hessian are recomputed here in double (the
 * dense Hessian column by column, by central differences of the double
 * gradient, exact to about 1e-9): the R-op must match H v to float
 * accuracy, and a float32 finite difference of the model's own gradients
 * is shown to be far less exact. Lanczos's top eigenvalues of that
 * Hessian are held to a Jacobi eigen-decomposition. A small ResNet (conv,
 * eval-mode BN with non-trivial running statistics, residual adds,
 * average pooling) is held to the symmetry u^T H v = v^T H u, to the
 * gradient of the model's own backward, and to finite differences of
 * gradients within their (documented) float32 error. */
#include "check.h"
#include "nn_check.h"
#include "hessian.h"
#include "lanczos.h"
#include "nn_backend.h"
#include "nn_hvp.h"
#include "nn_loss.h"
#include "nn_model.h"
#include "util.h"

#include <string.h>

/* ---- the double reference: mlp:W1,...  D -> ... -> K, mean CE ---- */

typedef struct {
	int L, dims[8];     /* layers, dims[0] = D ... dims[L] = K */
	int N;
	const double *x;    /* (N,D) */
	const int32_t *y;
} mlp_ref;

/* loss at theta; grad (P) if non-NULL */
static double mlp_loss(const mlp_ref *r, const double *th, double *grad)
{
	int N = r->N, L = r->L;
	double *a[9];
	size_t off[9], o = 0;
	for (int l = 0; l < L; l++) {
		off[l] = o;
		o += (size_t)r->dims[l + 1] * r->dims[l] + r->dims[l + 1];
	}
	a[0] = (double *)r->x;
	for (int l = 0; l < L; l++) {
		int C = r->dims[l], OC = r->dims[l + 1];
		a[l + 1] = calloc((size_t)N * OC, sizeof(double));
		const double *w = th + off[l], *b = w + (size_t)OC * C;
		for (int i = 0; i < N; i++)
			for (int j = 0; j < OC; j++) {
				double s = b[j];
				for (int c = 0; c < C; c++)
					s += w[(size_t)j * C + c] * a[l][(size_t)i * C + c];
				a[l + 1][(size_t)i * OC + j] = l + 1 < L && s < 0 ? 0 : s;
			}
	}
	int K = r->dims[L];
	double loss = 0;
	double *d = calloc((size_t)N * K, sizeof(double));
	for (int i = 0; i < N; i++) {
		double *z = a[L] + (size_t)i * K, mx = z[0], s = 0;
		for (int j = 1; j < K; j++)
			mx = z[j] > mx ? z[j] : mx;
		for (int j = 0; j < K; j++)
			s += exp(z[j] - mx);
		loss += -(z[r->y[i]] - mx - log(s)) / N;
		for (int j = 0; j < K; j++)
			d[(size_t)i * K + j] = (exp(z[j] - mx) / s - (j == r->y[i])) / N;
	}
	if (grad) {
		memset(grad, 0, o * sizeof(double));
		for (int l = L - 1; l >= 0; l--) {
			int C = r->dims[l], OC = r->dims[l + 1];
			const double *w = th + off[l];
			double *gw = grad + off[l], *gb = gw + (size_t)OC * C;
			double *dn = calloc((size_t)N * C, sizeof(double));
			for (int i = 0; i < N; i++)
				for (int j = 0; j < OC; j++) {
					double g = d[(size_t)i * OC + j];
					gb[j] += g;
					for (int c = 0; c < C; c++) {
						gw[(size_t)j * C + c] += g * a[l][(size_t)i * C + c];
						dn[(size_t)i * C + c] += g * w[(size_t)j * C + c];
					}
				}
			if (l > 0)   /* through the ReLU of a[l] */
				for (size_t k = 0; k < (size_t)N * C; k++)
					if (a[l][k] <= 0)
						dn[k] = 0;
			free(d);
			d = dn;
		}
	}
	free(d);
	for (int l = 1; l <= L; l++)
		free(a[l]);
	return loss;
}

/* Jacobi eigenvalues of the symmetric n x n matrix A (destroyed), ascending */
static void jacobi(double *A, int n, double *ev)
{
	for (int sweep = 0; sweep < 100; sweep++) {
		double off = 0;
		for (int p = 0; p < n; p++)
			for (int q = p + 1; q < n; q++)
				off += A[p * n + q] * A[p * n + q];
		if (off < 1e-30)
			break;
		for (int p = 0; p < n; p++)
			for (int q = p + 1; q < n; q++) {
				double apq = A[p * n + q];
				if (fabs(apq) < 1e-300)
					continue;
				double th = (A[q * n + q] - A[p * n + p]) / (2 * apq);
				double t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
				double c = 1 / sqrt(t * t + 1), s = t * c;
				for (int k = 0; k < n; k++) {
					double akp = A[k * n + p], akq = A[k * n + q];
					A[k * n + p] = c * akp - s * akq;
					A[k * n + q] = s * akp + c * akq;
				}
				for (int k = 0; k < n; k++) {
					double apk = A[p * n + k], aqk = A[q * n + k];
					A[p * n + k] = c * apk - s * aqk;
					A[q * n + k] = s * apk + c * aqk;
				}
			}
	}
	for (int i = 0; i < n; i++)
		ev[i] = A[i * n + i];
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (ev[j] < ev[i]) {
				double t = ev[i];
				ev[i] = ev[j];
				ev[j] = t;
			}
}

/* ---- the operator of a model over one batch ---- */
typedef struct {
	imb_nn_hvp *h;
	const float *x;
	const int32_t *y, *yh;
	int N;
} batch_op;

static size_t model_P;
static void apply_model(void *ctx, float *out, const float *in)
{
	batch_op *b = ctx;
	imb_nn_be()->zero(out, model_P);
	imb_nn_hvp_batch(b->h, out, NULL, in, b->x, b->y, b->yh, b->N, 1.0);
}

static float *dev(const float *host, size_t n)
{
	const imb_nn_backend *be = imb_nn_be();
	float *d = be->alloc((n ? n : 1) * sizeof(float));
	be->upload(d, host, n * sizeof(float));
	return d;
}

static double maxabs(const double *a, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		m = fabs(a[i]) > m ? fabs(a[i]) : m;
	return m;
}

/* float32 central difference of the model's gradient along v, step eps */
static void fd_hvp(imb_nn_model *m, const imb_nn_loss *L, float *out, const float *v,
                   const float *x, const int32_t *y, int N, float eps)
{
	const imb_nn_backend *be = imb_nn_be();
	size_t P = m->P;
	float *save = be->alloc(P * sizeof(float)), *gp = malloc(P * sizeof(float));
	float *dz = be->alloc((size_t)N * m->K * sizeof(float));
	be->copy(save, m->params, P * sizeof(float));
	for (int s = 0; s < 2; s++) {
		be->copy(m->params, save, P * sizeof(float));
		be->axpy(m->params, s ? -eps : eps, v, P);
		imb_nn_model_zero_grad(m);
		const float *z = imb_nn_model_forward(m, x, N, IMB_NN_EVAL);
		imb_nn_loss_forward(L, dz, NULL, z, y, N);
		imb_nn_model_backward(m, dz, 0);
		be->download(s ? gp : out, m->grads, P * sizeof(float));
	}
	for (size_t i = 0; i < P; i++)
		out[i] = (out[i] - gp[i]) / (2 * eps);
	be->copy(m->params, save, P * sizeof(float));
	be->free(save);
	be->free(dz);
	free(gp);
}

static double rel_err(const float *got, const double *want, size_t n)
{
	double md = 0;
	for (size_t i = 0; i < n; i++)
		md = fabs(got[i] - want[i]) > md ? fabs(got[i] - want[i]) : md;
	return md / maxabs(want, n);
}

static void test_mlp(void)
{
	const imb_nn_backend *be = imb_nn_be();
	int D = 6, K = 3, N = 9;
	imb_nn_model *m = imb_nn_model_new("mlp:7,5", D, 1, 1, K);
	imb_rng_seed(&rng, 3);
	imb_nn_model_init(m, &rng);
	size_t P = m->P;
	model_P = P;
	float *xh = frand((size_t)N * D, -2, 2), *ph = malloc(P * sizeof(float));
	int32_t yh[9];
	for (int i = 0; i < N; i++)
		yh[i] = (int32_t)imb_rng_below(&rng, (uint64_t)K);
	be->download(ph, m->params, P * sizeof(float));
	float *x = dev(xh, (size_t)N * D);
	int32_t *y = be->alloc(N * sizeof(int32_t));
	be->upload(y, yh, N * sizeof(int32_t));
	double *xd = todouble(xh, (size_t)N * D), *th = todouble(ph, P);
	mlp_ref r = { 3, { D, 7, 5, K }, N, xd, yh };

	/* the dense Hessian, column by column */
	double *H = calloc(P * P, sizeof(double)), *gp = malloc(P * sizeof(double)),
	       *gm = malloc(P * sizeof(double));
	double hstep = 1e-5;
	for (size_t j = 0; j < P; j++) {
		double t = th[j];
		th[j] = t + hstep;
		mlp_loss(&r, th, gp);
		th[j] = t - hstep;
		mlp_loss(&r, th, gm);
		th[j] = t;
		for (size_t i = 0; i < P; i++)
			H[i * P + j] = (gp[i] - gm[i]) / (2 * hstep);
	}
	double asym = 0;
	for (size_t i = 0; i < P; i++)
		for (size_t j = 0; j < i; j++)
			asym = fmax(asym, fabs(H[i * P + j] - H[j * P + i]));
	printf("  mlp:7,5 P=%zu: double Hessian asymmetry %.3g (max |H| %.3g)\n", P, asym,
	       maxabs(H, P * P));
	CHECK(asym < 1e-7 * maxabs(H, P * P) + 1e-12);

	/* a direction, its exact product in double, the loss in double */
	float *vh = frand(P, -1, 1);
	double *want = calloc(P, sizeof(double));
	for (size_t i = 0; i < P; i++)
		for (size_t j = 0; j < P; j++)
			want[i] += H[i * P + j] * vh[j];
	float *v = dev(vh, P), *hv = be->alloc(P * sizeof(float)), *g = be->alloc(P * sizeof(float));
	be->zero(hv, P);
	be->zero(g, P);
	imb_nn_hvp *h = imb_nn_hvp_new(m, N);
	/* two halves with weights n/N give the whole set's product */
	double l1 = imb_nn_hvp_batch(h, hv, g, v, x, y, yh, 4, 4.0 / N);
	double l2 = imb_nn_hvp_batch(h, hv, g, v, x + 4 * D, y + 4, yh + 4, N - 4,
	                             (double)(N - 4) / N);
	float *got = malloc(P * sizeof(float));
	be->download(got, hv, P * sizeof(float));
	double err_rop = rel_err(got, want, P);
	double *gd = malloc(P * sizeof(double));
	double lossd = mlp_loss(&r, th, gd);
	CHECK_NEAR((l1 * 4 + l2 * (N - 4)) / N, lossd, 1e-5);
	float *gg = malloc(P * sizeof(float));
	be->download(gg, g, P * sizeof(float));
	compare("gradient of the product's pass vs double", gg, gd, P, 1e-5);
	compare("R-op Hv (2 batches) vs double dense H v", got, want, P, 2e-5);

	/* float32 finite differences of gradients, for the record */
	imb_nn_loss L;
	imb_nn_loss_ce(&L, K);
	printf("  R-op float32: max rel err %.3g\n", err_rop);
	double best = 1e300;
	for (float eps = 1e-1f; eps > 1e-6f; eps *= 0.1f) {
		fd_hvp(m, &L, got, v, x, y, N, eps);
		double e = rel_err(got, want, P);
		best = fmin(best, e);
		printf("  float32 FD of gradients, eps %.0e: max rel err %.3g\n", eps, e);
	}
	CHECK(err_rop < best);

	/* Lanczos's top eigenvalues of H against Jacobi */
	double *ev = malloc(P * sizeof(double)), *Hc = malloc(P * P * sizeof(double));
	memcpy(Hc, H, P * P * sizeof(double));
	jacobi(Hc, (int)P, ev);
	batch_op bo = { h, x, y, yh, N };
	imb_linop A = { P, apply_model, &bo, be, NULL };
	double eig[10], res[10];
	int it = imb_lanczos_top(&A, 10, 60, 0, 5, eig, res);
	CHECK(it == 60);
	double emax = 0;
	for (int k = 0; k < 10; k++)
		emax = fmax(emax, fabs(eig[k] - ev[P - 1 - k]) / fabs(ev[P - 1]));
	printf("  Lanczos top-10 (60 steps) vs Jacobi: max diff / lambda_1 %.3g "
	       "(lambda_1 %.6g, lambda_10 %.6g)\n", emax, ev[P - 1], ev[P - 10]);
	CHECK(emax < 1e-4);
	/* Hutchinson against the exact trace */
	double tr = 0, est, se;
	for (size_t i = 0; i < P; i++)
		tr += H[i * P + i];
	CHECK(imb_hutchinson(&A, 200, 7, &est, &se) == 0);
	printf("  Hutchinson (200 probes) %.6g +- %.3g, exact trace %.6g\n", est, se, tr);
	CHECK(fabs(est - tr) < 4 * se);
	CHECK(se > 0 && se < fabs(tr));

	/* a filter-normalised direction: each row of each weight matrix at the
	 * norm of the model's row, biases 0; seeded */
	{
		float *dir = be->alloc(P * sizeof(float)), *dh = malloc(P * sizeof(float));
		float *dh2 = malloc(P * sizeof(float));
		imb_hessian_direction(m, dir, 9, 0);
		be->download(dh, dir, P * sizeof(float));
		int dims[4] = { D, 7, 5, K }, bad = 0;
		size_t off = 0;
		for (int l2 = 0; l2 < 3; l2++) {
			int C = dims[l2], OC = dims[l2 + 1];
			for (int j = 0; j < OC; j++) {
				double a = 0, b = 0;
				for (int c = 0; c < C; c++) {
					a += (double)dh[off + (size_t)j * C + c] * dh[off + (size_t)j * C + c];
					b += (double)ph[off + (size_t)j * C + c] * ph[off + (size_t)j * C + c];
				}
				bad += fabs(sqrt(a) - sqrt(b)) > 1e-5 * sqrt(b);
			}
			off += (size_t)OC * C;
			for (int j = 0; j < OC; j++)
				bad += dh[off + j] != 0;
			off += OC;
		}
		CHECK_EQ_INT(bad, 0);
		imb_hessian_direction(m, dir, 9, 0);
		be->download(dh2, dir, P * sizeof(float));
		CHECK(!memcmp(dh, dh2, P * sizeof(float)));
		imb_hessian_direction(m, dir, 9, 1);
		be->download(dh2, dir, P * sizeof(float));
		CHECK(memcmp(dh, dh2, P * sizeof(float)));
		be->free(dir);
		free(dh);
		free(dh2);
	}

	imb_nn_loss_free(&L);
	imb_nn_hvp_free(h);
	imb_nn_model_free(m);
	be->free(x);
	be->free(y);
	be->free(v);
	be->free(hv);
	be->free(g);
	free(xh), free(ph), free(xd), free(th), free(H), free(gp), free(gm), free(vh), free(want);
	free(got), free(gd), free(gg), free(ev), free(Hc);
}

/* a small ResNet with eval-mode BN at non-trivial running statistics */
static void test_resnet(void)
{
	const imb_nn_backend *be = imb_nn_be();
	int C = 3, Hs = 8, W = 8, K = 4, N = 6;
	imb_nn_model *m = imb_nn_model_new("resnet8", C, Hs, W, K);
	imb_rng_seed(&rng, 11);
	imb_nn_model_init(m, &rng);
	size_t P = m->P, B = m->B;
	model_P = P;
	/* BN: gamma, beta, running mean and var away from 1/0 */
	float *ph = malloc(P * sizeof(float)), *bh = malloc(B * sizeof(float));
	be->download(ph, m->params, P * sizeof(float));
	float *bufs = frand(B, -0.3, 0.3);
	for (size_t i = 0; i < B; i++)
		bh[i] = bufs[i];
	/* every second C-block of bufs is a variance: (mean C, var C) per BN;
	 * make all positive and use the absolute value + 0.5 */
	for (size_t i = 0; i < B; i++)
		bh[i] = (float)(fabs(bh[i]) + 0.5);
	be->upload(m->bufs, bh, B * sizeof(float));
	be->upload(m->params, ph, P * sizeof(float));
	float *xh = frand((size_t)N * C * Hs * W, -1, 1);
	int32_t yh[6] = { 0, 1, 2, 3, 1, 0 };
	float *x = dev(xh, (size_t)N * C * Hs * W);
	int32_t *y = be->alloc(N * sizeof(int32_t));
	be->upload(y, yh, N * sizeof(int32_t));
	imb_nn_hvp *h = imb_nn_hvp_new(m, N);
	float *uh = frand(P, -1, 1), *vh = frand(P, -1, 1);
	float *u = dev(uh, P), *v = dev(vh, P);
	float *hu = be->alloc(P * sizeof(float)), *hv = be->alloc(P * sizeof(float));
	float *g = be->alloc(P * sizeof(float));
	be->zero(hu, P);
	be->zero(hv, P);
	be->zero(g, P);
	imb_nn_hvp_batch(h, hu, NULL, u, x, y, yh, N, 1.0);
	imb_nn_hvp_batch(h, hv, g, v, x, y, yh, N, 1.0);
	double uhv = be->dot(u, hv, P), vhu = be->dot(v, hu, P);
	printf("  resnet8 P=%zu: u'Hv %.9g, v'Hu %.9g\n", P, uhv, vhu);
	CHECK(fabs(uhv - vhu) <= 1e-4 * fabs(uhv));
	/* the gradient against the model's own eval-mode backward */
	imb_nn_loss L;
	imb_nn_loss_ce(&L, K);
	float *dz = be->alloc((size_t)N * K * sizeof(float));
	imb_nn_model_zero_grad(m);
	const float *z = imb_nn_model_forward(m, x, N, IMB_NN_EVAL);
	imb_nn_loss_forward(&L, dz, NULL, z, y, N);
	imb_nn_model_backward(m, dz, 0);
	float *g1 = malloc(P * sizeof(float)), *g2 = malloc(P * sizeof(float));
	be->download(g1, m->grads, P * sizeof(float));
	be->download(g2, g, P * sizeof(float));
	double *g1d = todouble(g1, P);
	compare("resnet8: gradient of the product's pass", g2, g1d, P, 1e-6);
	/* finite differences of float32 gradients: agree to their own error */
	float *rop = malloc(P * sizeof(float)), *fd = malloc(P * sizeof(float));
	be->download(rop, hv, P * sizeof(float));
	double *ropd = todouble(rop, P);
	for (float eps = 1e-1f; eps > 1e-5f; eps *= 0.1f) {
		fd_hvp(m, &L, fd, v, x, y, N, eps);
		printf("  resnet8: float32 FD of gradients, eps %.0e: max rel diff to R-op %.3g\n",
		       eps, rel_err(fd, ropd, P));
	}
	fd_hvp(m, &L, fd, v, x, y, N, 1e-2f);
	CHECK(rel_err(fd, ropd, P) < 5e-2);
	imb_nn_loss_free(&L);
	imb_nn_hvp_free(h);
	imb_nn_model_free(m);
	be->free(x), be->free(y), be->free(u), be->free(v), be->free(hu), be->free(hv);
	be->free(g), be->free(dz);
	free(ph), free(bh), free(bufs), free(xh), free(uh), free(vh), free(g1), free(g2);
	free(g1d), free(rop), free(fd), free(ropd);
}

int main(void)
{
	imb_nn_set_threads(2);
	test_mlp();
	test_resnet();
	CHECK_DONE();
}
