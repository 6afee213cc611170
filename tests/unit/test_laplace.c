/* test_laplace.c: the Laplace approximation against its closed form.
 *
 * On softmax regression (the `linear` network, whose last layer is the
 * whole model) the GGN is sum_n Lambda_n (x) x~ x~^T exactly; the test
 * builds it in double from the weights and checks:
 *   - full: the fitted eigendecomposition gives it back; log p(D|theta)
 *     and log Z(delta) equal the formula with a Cholesky log-determinant;
 *     the probit predictive equals softmax(f / sqrt(1 + pi/8 var)) with
 *     var = J (H + delta I)^-1 J^T from an explicit inverse;
 *   - kfac: the factors are sum_n Lambda_n and (1/N) sum_n x~ x~^T;
 *   - diag: H's diagonal;
 *   - every weight (diag, one backward per sample and factor, three
 *     classes): the same diagonal in the model's order, and the same
 *     predictive as the last layer's diag;
 * and on an MLP, the all-weights diagonal's last-layer block equals the
 * last-layer diag. The tuned prior precision maximises log Z (higher
 * than at the start and at its neighbours); --tune val picks the grid's
 * lowest NLL; a posterior frame read back predicts the same. */
#include "check.h"
#include "dataset.h"
#include "laplace_impl.h"
#include "nn_backend.h"
#include "nn_frame.h"
#include "predict.h"
#include "rng.h"
#include "util.h"

#include <math.h>
#include <stdint.h>

static imb_frame *blobs(int N, int D, int K, uint64_t seed, const char *name)
{
	imb_frame *f = imb_frame_new("dataset", name);
	uint64_t sx[2] = {(uint64_t)N, (uint64_t)D}, sy[1] = {(uint64_t)N};
	float *x = imb_frame_add_tensor(f, "x", IMB_F32, 2, sx)->data;
	int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, sy)->data;
	imb_rng r;
	imb_rng_seed(&r, seed);
	for (int i = 0; i < N; i++) {
		y[i] = i % 4 == 0 ? 1 : (K > 2 && i % 4 == 1 ? 2 : 0);
		for (int j = 0; j < D; j++)
			x[i * D + j] = (float)(imb_rng_normal(&r) + (j == y[i] % D ? 1.5 : 0));
	}
	imb_val *cl = imb_val_arr();
	for (int k = 0; k < K; k++)
		imb_val_push(cl, imb_val_str(k == 0 ? "maj" : k == 1 ? "min" : "third"));
	imb_val_set(f->attrs, "classes", cl);
	imb_dataset_update_counts(f);
	return f;
}

/* a network with random weights, inputs (D,1,1), no normalisation */
static imb_nn_loaded net_new(const char *arch, int D, int K, uint64_t seed)
{
	imb_nn_loaded l = {0};
	l.m = imb_nn_model_new(arch, D, 1, 1, K);
	imb_rng r;
	imb_rng_seed(&r, seed);
	imb_nn_model_init(l.m, &r);
	l.mean = imb_xcalloc((size_t)D, sizeof *l.mean);
	l.std = imb_xmalloc((size_t)D * sizeof *l.std);
	for (int i = 0; i < D; i++)
		l.std[i] = 1;
	return l;
}

static imb_la *fit(const char *arch, const imb_frame *tr, int D, int K, imb_la_subset sub,
                   imb_la_hessian h, imb_la_tune tune, const imb_frame *val)
{
	imb_nn_loaded l = net_new(arch, D, K, 7);
	imb_la_opts o;
	imb_la_opts_init(&o);
	o.subset = sub;
	o.hessian = h;
	o.tune = tune;
	o.prior_precision = 0.7;
	o.batch = 16;   /* several batches */
	imb_la *la = imb_la_fit(&l, tr, NULL, val, NULL, &o);
	if (!la)
		fprintf(stderr, "fit: %s\n", imb_error());
	return la;
}

/* the closed form for softmax regression */
typedef struct {
	int N, D, K;
	size_t np;
	double *H;          /* (np,np) augmented order */
	double *G, *A;      /* (K,K), (D+1,D+1) */
	double loglik, thsq;
	double *W;          /* (K,D+1) */
} closed;

static void closed_form(closed *c, const imb_la *la, const imb_frame *tr)
{
	int N = (int)imb_frame_tensor(tr, "x")->shape[0], D = (int)la->F, K = la->K, D1 = D + 1;
	const float *x = imb_frame_tensor(tr, "x")->data;
	const int32_t *y = imb_frame_tensor(tr, "y")->data;
	c->N = N, c->D = D, c->K = K, c->np = (size_t)K * D1;
	c->H = imb_xcalloc(c->np * c->np, sizeof *c->H);
	c->G = imb_xcalloc((size_t)K * K, sizeof *c->G);
	c->A = imb_xcalloc((size_t)D1 * D1, sizeof *c->A);
	c->W = la->W;
	c->loglik = 0;
	c->thsq = 0;
	for (size_t i = 0; i < c->np; i++)
		c->thsq += c->W[i] * c->W[i];
	for (int n = 0; n < N; n++) {
		double xt[64], f[8], p[8] = {0}, mx = -1e300, s = 0;
		for (int i = 0; i < D; i++)
			xt[i] = x[n * D + i];
		xt[D] = 1;
		for (int k = 0; k < K; k++) {
			f[k] = 0;
			for (int i = 0; i < D1; i++)
				f[k] += c->W[k * D1 + i] * xt[i];
			mx = fmax(mx, f[k]);
		}
		for (int k = 0; k < K; k++)
			s += (p[k] = exp(f[k] - mx));
		for (int k = 0; k < K; k++)
			p[k] /= s;
		c->loglik += log(p[y[n]]);
		for (int k = 0; k < K; k++)
			for (int l = 0; l < K; l++) {
				double lam = (k == l) * p[k] - p[k] * p[l];
				c->G[k * K + l] += lam;
				for (int i = 0; i < D1; i++)
					for (int j = 0; j < D1; j++)
						c->H[(size_t)(k * D1 + i) * c->np + l * D1 + j] += lam * xt[i] * xt[j];
			}
		for (int i = 0; i < D1; i++)
			for (int j = 0; j < D1; j++)
				c->A[i * D1 + j] += xt[i] * xt[j] / N;
	}
}

/* in-place inverse of the SPD matrix a (n,n) by Gauss-Jordan; returns log det */
static double inverse(double *a, int n)
{
	double *b = imb_xcalloc((size_t)n * n, sizeof *b), ld = 0;
	for (int i = 0; i < n; i++)
		b[i * n + i] = 1;
	for (int i = 0; i < n; i++) {
		double piv = a[i * n + i];
		ld += log(piv);
		for (int j = 0; j < n; j++) {
			a[i * n + j] /= piv;
			b[i * n + j] /= piv;
		}
		for (int r = 0; r < n; r++)
			if (r != i) {
				double f = a[r * n + i];
				for (int j = 0; j < n; j++) {
					a[r * n + j] -= f * a[i * n + j];
					b[r * n + j] -= f * b[i * n + j];
				}
			}
	}
	memcpy(a, b, (size_t)n * n * sizeof *a);
	free(b);
	return ld;
}

/* max |V diag(w) V^T - ref| / max |ref| */
static double recon_err(const double *V, const double *w, const double *ref, size_t n)
{
	double e = 0, top = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			double s = 0;
			for (size_t q = 0; q < n; q++)
				s += V[i * n + q] * w[q] * V[j * n + q];
			e = fmax(e, fabs(s - ref[i * n + j]));
			top = fmax(top, fabs(ref[i * n + j]));
		}
	return e / top;
}

/* probabilities (n,K) of la for the float rows x (n,D) */
static float *predict(imb_la *la, const float *x, int n, int D)
{
	const imb_nn_backend *be = imb_nn_be();
	float *xd = be->alloc((size_t)n * D * sizeof(float));
	be->upload(xd, x, (size_t)n * D * sizeof(float));
	float *p = imb_xmalloc((size_t)n * la->K * sizeof *p);
	CHECK(imb_la_predict_dev(la, p, xd, n) == 0);
	be->free(xd);
	return p;
}

static void test_full(const imb_frame *tr, const imb_frame *te)
{
	int D = 4, K = 3;
	imb_la *la = fit("linear", tr, D, K, IMB_LA_LAST_LAYER, IMB_LA_FULL, IMB_LA_TUNE_NONE, NULL);
	CHECK(la != NULL);
	if (!la)
		return;
	closed c;
	closed_form(&c, la, tr);
	double err = recon_err(la->V, la->lam, c.H, c.np);
	fprintf(stderr, "full GGN: max relative difference %.3g\n", err);
	CHECK(err < 1e-5);
	CHECK_NEAR(la->log_lik, c.loglik, 1e-6 * fabs(c.loglik));
	/* log Z = loglik - 1/2 (logdet(H + d I) - np log d + d |theta|^2) */
	double d = 0.7, *S = imb_xmalloc(c.np * c.np * sizeof *S);
	memcpy(S, c.H, c.np * c.np * sizeof *S);
	for (size_t i = 0; i < c.np; i++)
		S[i * c.np + i] += d;
	double ld = inverse(S, (int)c.np);
	double lml = c.loglik - 0.5 * (ld - (double)c.np * log(d) + d * c.thsq);
	CHECK_NEAR(imb_la_log_marglik(la, d), lml, 1e-5 * fabs(lml));
	/* the probit predictive from the explicit covariance */
	int nt = 12, D1 = D + 1;
	const float *x = imb_frame_tensor(te, "x")->data;
	float *p = predict(la, x, nt, D);
	double worst = 0;
	for (int n = 0; n < nt; n++) {
		double xt[5], f[3], v[3], z[3], mx = -1e300, s = 0;
		for (int i = 0; i < D; i++)
			xt[i] = x[n * D + i];
		xt[D] = 1;
		for (int k = 0; k < K; k++) {
			f[k] = 0;
			for (int i = 0; i < D1; i++)
				f[k] += c.W[k * D1 + i] * xt[i];
			v[k] = 0;   /* J Sigma J^T's diagonal: x~^T Sigma_kk x~ */
			for (int i = 0; i < D1; i++)
				for (int j = 0; j < D1; j++)
					v[k] += xt[i] * S[(size_t)(k * D1 + i) * c.np + k * D1 + j] * xt[j];
			z[k] = f[k] / sqrt(1 + M_PI / 8 * v[k]);
			mx = fmax(mx, z[k]);
		}
		for (int k = 0; k < K; k++)
			s += exp(z[k] - mx);
		for (int k = 0; k < K; k++)
			worst = fmax(worst, fabs(p[n * K + k] - exp(z[k] - mx) / s));
	}
	fprintf(stderr, "full probit predictive: max difference %.3g\n", worst);
	CHECK(worst < 2e-6);
	free(p);
	free(S);

	/* kfac: the factors */
	imb_la *lk = fit("linear", tr, D, K, IMB_LA_LAST_LAYER, IMB_LA_KFAC, IMB_LA_TUNE_NONE, NULL);
	CHECK(lk && recon_err(lk->UG, lk->g, c.G, (size_t)K) < 1e-9);
	CHECK(lk && recon_err(lk->UA, lk->a, c.A, (size_t)D1) < 1e-6);
	imb_la_free(lk);
	/* diag: H's diagonal */
	imb_la *ld_ = fit("linear", tr, D, K, IMB_LA_LAST_LAYER, IMB_LA_DIAG, IMB_LA_TUNE_NONE, NULL);
	double e = 0;
	for (size_t i = 0; ld_ && i < c.np; i++)
		e = fmax(e, fabs(ld_->lam[i] - c.H[i * c.np + i]) / c.H[i * c.np + i]);
	CHECK(ld_ && e < 1e-9);
	/* every weight: the same diagonal in the model's order (W (K,D), b (K)) */
	imb_la *la_all = fit("linear", tr, D, K, IMB_LA_ALL, IMB_LA_DIAG, IMB_LA_TUNE_NONE, NULL);
	CHECK(la_all != NULL);
	e = 0;
	for (int k = 0; la_all && k < K; k++)
		for (int i = 0; i <= D; i++) {
			size_t mo = i < D ? (size_t)k * D + i : (size_t)K * D + k;
			size_t ao = (size_t)k * D1 + i;
			e = fmax(e, fabs(la_all->lam[mo] - c.H[ao * c.np + ao]) / c.H[ao * c.np + ao]);
		}
	fprintf(stderr, "all-weights GGN diagonal against the closed form: %.3g\n", e);
	CHECK(la_all && e < 1e-5);
	if (la_all && ld_) {
		float *pa = predict(la_all, x, nt, D), *pd = predict(ld_, x, nt, D);
		double w = 0;
		for (int i = 0; i < nt * K; i++)
			w = fmax(w, fabs(pa[i] - pd[i]));
		fprintf(stderr, "all-weights against last-layer diag predictive: %.3g\n", w);
		CHECK(w < 1e-5);
		free(pa);
		free(pd);
	}
	imb_la_free(ld_);
	imb_la_free(la_all);
	free(c.H);
	free(c.G);
	free(c.A);
	imb_la_free(la);
}

/* an MLP: the all-weights diagonal's last-layer block is the last-layer diag */
static void test_mlp_block(const imb_frame *tr)
{
	int D = 4, K = 3;
	imb_la *a = fit("mlp:6", tr, D, K, IMB_LA_ALL, IMB_LA_DIAG, IMB_LA_TUNE_NONE, NULL);
	imb_la *l = fit("mlp:6", tr, D, K, IMB_LA_LAST_LAYER, IMB_LA_DIAG, IMB_LA_TUNE_NONE, NULL);
	CHECK(a && l);
	if (!a || !l)
		return;
	size_t F = l->F, F1 = F + 1, off = l->off;
	double e = 0;
	for (int k = 0; k < K; k++)
		for (size_t i = 0; i <= F; i++) {
			size_t mo = off + (i < F ? (size_t)k * F + i : (size_t)K * F + k);
			double ref = l->lam[k * F1 + i];
			e = fmax(e, fabs(a->lam[mo] - ref) / fmax(ref, 1e-12));
		}
	fprintf(stderr, "mlp: all-weights diagonal's last block against last-layer diag: %.3g\n", e);
	CHECK(e < 1e-4);
	/* weights before the last layer have curvature too */
	double s = 0;
	for (size_t i = 0; i < off; i++)
		s += a->lam[i];
	CHECK(s > 0);
	imb_la_free(a);
	imb_la_free(l);
}

static void test_tuning(const imb_frame *tr, const imb_frame *va)
{
	int D = 4, K = 3;
	for (int h = 0; h < 3; h++) {
		imb_la *la = fit("mlp:6", tr, D, K, IMB_LA_LAST_LAYER, (imb_la_hessian)h,
		                 IMB_LA_TUNE_MARGLIK, NULL);
		CHECK(la != NULL);
		if (!la)
			continue;
		double d = la->delta, z = imb_la_log_marglik(la, d);
		fprintf(stderr, "%s: prior precision 0.7 -> %.4g, log Z %.6g -> %.6g\n",
		        imb_la_hessian_name((imb_la_hessian)h), d, imb_la_log_marglik(la, 0.7), z);
		CHECK(z > imb_la_log_marglik(la, 0.7));
		CHECK(z >= imb_la_log_marglik(la, d * 1.05));
		CHECK(z >= imb_la_log_marglik(la, d / 1.05));
		imb_la_free(la);
	}
	/* val: the grid point of least NLL */
	imb_la *la = fit("mlp:6", tr, D, K, IMB_LA_LAST_LAYER, IMB_LA_KFAC, IMB_LA_TUNE_VAL, va);
	CHECK(la != NULL);
	if (!la)
		return;
	double best = la->delta, t = log10(best);
	CHECK_NEAR(t, round(t * 2.5) / 2.5, 1e-9);   /* on the grid -4:4:21 (steps of 0.4) */
	int nv = (int)imb_frame_tensor(va, "x")->shape[0];
	const float *x = imb_frame_tensor(va, "x")->data;
	const int32_t *y = imb_frame_tensor(va, "y")->data;
	double nll[3];
	double ds[3] = {best, 1e-4, 1e4};
	for (int i = 0; i < 3; i++) {
		la->delta = ds[i];
		float *p = predict(la, x, nv, D);
		nll[i] = 0;
		for (int n = 0; n < nv; n++)
			nll[i] -= log(p[n * K + y[n]]) / nv;
		free(p);
	}
	CHECK_NEAR(nll[0], la->val_nll, 1e-5);
	CHECK(nll[0] <= nll[1] + 1e-9 && nll[0] <= nll[2] + 1e-9);
	imb_la_free(la);
}

/* a posterior frame read back predicts the same */
static void test_frame(const imb_frame *tr, const imb_frame *te)
{
	int D = 4, K = 3, nt = 20;
	const float *x = imb_frame_tensor(te, "x")->data;
	for (int h = 0; h < 4; h++) {
		imb_la_subset sub = h == 3 ? IMB_LA_ALL : IMB_LA_LAST_LAYER;
		imb_la_hessian hs = h == 3 ? IMB_LA_DIAG : (imb_la_hessian)h;
		imb_la *la = fit("mlp:6", tr, D, K, sub, hs, IMB_LA_TUNE_MARGLIK, NULL);
		CHECK(la != NULL);
		if (!la)
			continue;
		float *p = predict(la, x, nt, D);
		imb_val *par = imb_val_map();
		imb_frame *f = imb_nn_frame_make(la->net.m, la->net.mean, la->net.std, par, tr, NULL, 1);
		imb_la_frame(la, f);
		CHECK_STR(f->kind, "posterior");
		imb_predictor *pr = imb_predictor_load(f);
		CHECK(pr != NULL);
		if (pr) {
			CHECK_STR(imb_predictor_kind(pr), "laplace");
			float *q = imb_xmalloc((size_t)nt * K * sizeof *q);
			CHECK(imb_predict_proba(pr, x, (size_t)nt, (size_t)D, q) == 0);
			double w = 0;
			for (int i = 0; i < nt * K; i++)
				w = fmax(w, fabs(p[i] - q[i]));
			fprintf(stderr, "%s %s: read back, max difference %.3g\n",
			        imb_la_subset_name(sub), imb_la_hessian_name(hs), w);
			CHECK(w < 1e-6);
			free(q);
			imb_predictor_free(pr);
		}
		/* a damaged factor is refused, naming it */
		imb_tensor *t = imb_frame_tensor(f, h == 0 ? "la_values" : h == 1 ? "la_a_values"
		                                                         : "la_ggn_diag");
		if (t) {
			((float *)t->data)[0] = NAN;
			CHECK(imb_predictor_load(f) == NULL);
			CHECK_HAS(imb_error(), "not a finite number");
		}
		imb_frame_free(f);
		free(p);
		imb_la_free(la);
	}
}

int main(void)
{
	imb_nn_init();
	imb_frame *tr = blobs(90, 4, 3, 1, "train"), *te = blobs(40, 4, 3, 2, "test");
	imb_frame *va = blobs(60, 4, 3, 3, "val");
	const imb_nn_backend *be;
	for (int i = 0; (be = imb_nn_backend_at(i)); i++) {
		if (imb_nn_set_backend(be->name) < 0) {
			printf("%s: %s: skipped\n", be->name, imb_error());
			continue;
		}
		fprintf(stderr, "== backend %s\n", be->name);
		test_full(tr, te);
		test_mlp_block(tr);
		test_tuning(tr, va);
		test_frame(tr, te);
	}
	imb_la_opts o;
	imb_la_opts_init(&o);
	o.subset = IMB_LA_ALL;
	o.hessian = IMB_LA_KFAC;
	CHECK_HAS(imb_la_opts_check(&o), "diag");
	imb_frame_free(tr);
	imb_frame_free(te);
	imb_frame_free(va);
	CHECK_DONE();
}
