/* laplace.c: fitting a Laplace approximation and its predictive
 * (laplace.h). The GGN is summed over batches of the data part; its
 * products of features run as backend gemms, the small per-sample
 * algebra (softmax, Lambda, its factors) on the host in double. */
#include "laplace_impl.h"
#include "cli.h"
#include "dataset.h"
#include "linalg.h"
#include "nn_backend.h"
#include "rng.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IMB_LA_FULL_MAX 20000   /* weights of the full GGN, at most */

void imb_la_opts_init(imb_la_opts *o)
{
	memset(o, 0, sizeof *o);
	o->subset = IMB_LA_LAST_LAYER;
	o->hessian = IMB_LA_KFAC;
	o->tune = IMB_LA_TUNE_MARGLIK;
	o->prior_precision = 1;
	o->grid_lo = -4;
	o->grid_hi = 4;
	o->grid_n = 21;
	o->batch = 256;
	o->seed = 1;
}

const char *imb_la_opts_check(const imb_la_opts *o)
{
	if (!(o->prior_precision > 0) || !isfinite(o->prior_precision))
		return "--prior-precision must be a finite number > 0";
	if (o->subset == IMB_LA_ALL && o->hessian != IMB_LA_DIAG)
		return "--subset all takes --hessian diag (the full GGN of every weight does not fit; "
		       "KFAC for every layer is not built)";
	if (!(o->grid_lo < o->grid_hi) || o->grid_n < 2)
		return "--grid: LO < HI and at least 2 points";
	if (o->samples < 0)
		return "--samples must be >= 0";
	if (o->batch < 1)
		return "--batch must be >= 1";
	return NULL;
}

const char *imb_la_subset_name(imb_la_subset s)
{
	return s == IMB_LA_ALL ? "all" : "last-layer";
}

const char *imb_la_hessian_name(imb_la_hessian h)
{
	return h == IMB_LA_FULL ? "full" : h == IMB_LA_KFAC ? "kfac" : "diag";
}

/* ---- small algebra ---- */

/* p (K) = softmax(f), stable; returns log p[y] (y < 0: 0) */
static double softmax(double *p, const double *f, int K, int y)
{
	double mx = f[0], s = 0;
	for (int k = 1; k < K; k++)
		if (f[k] > mx)
			mx = f[k];
	for (int k = 0; k < K; k++)
		s += (p[k] = exp(f[k] - mx));
	for (int k = 0; k < K; k++)
		p[k] /= s;
	return y >= 0 ? f[y] - mx - log(s) : 0;
}

/* the factor rows of Lambda = diag(p) - p p^T = sum_c u_c u_c^T: r rows
 * of K (r = 1 for two classes: sqrt(p0 p1) (1, -1)); returns r */
static int lambda_factor(double *u, const double *p, int K)
{
	if (K == 2) {
		double s = sqrt(p[0] * p[1]);
		u[0] = s;
		u[1] = -s;
		return 1;
	}
	for (int c = 0; c < K; c++) {
		double s = sqrt(p[c]);
		for (int k = 0; k < K; k++)
			u[c * K + k] = s * ((k == c) - p[k]);
	}
	return K;
}

/* f (K) = W phi~ for phi (F) */
static void last_logits(const imb_la *la, double *f, const float *phi)
{
	for (int k = 0; k < la->K; k++) {
		const double *w = la->W + (size_t)k * la->F1;
		double s = w[la->F];
		for (size_t i = 0; i < la->F; i++)
			s += w[i] * phi[i];
		f[k] = s;
	}
}

void imb_la_read_weights(imb_la *la)
{
	imb_nn_model *m = la->net.m;
	const imb_nn_backend *be = m->be;
	size_t nl = (size_t)la->K * la->F1;
	float *h = imb_xmalloc(nl * sizeof *h);
	be->download(h, m->params + la->off, nl * sizeof *h);
	la->W = imb_xmalloc(nl * sizeof *la->W);
	double sq = 0;
	for (int k = 0; k < la->K; k++) {
		for (size_t i = 0; i < la->F; i++)
			la->W[k * la->F1 + i] = h[k * la->F + i];
		la->W[k * la->F1 + la->F] = h[(size_t)la->K * la->F + k];
	}
	for (size_t i = 0; i < nl; i++)
		sq += (double)h[i] * h[i];
	free(h);
	la->theta_sq = la->subset == IMB_LA_ALL ? be->sqnorm(m->params, m->P) : sq;
}

void imb_la_make_lam(imb_la *la)
{
	if (la->hessian != IMB_LA_KFAC)
		return;
	la->nlam = (size_t)la->K * la->F1;
	free(la->lam);
	la->lam = imb_xmalloc(la->nlam * sizeof *la->lam);
	for (int j = 0; j < la->K; j++)
		for (size_t i = 0; i < la->F1; i++)
			la->lam[j * la->F1 + i] = fmax(la->g[j], 0) * fmax(la->a[i], 0);
}

double imb_la_log_marglik(const imb_la *la, double delta)
{
	double ld = 0;
	for (size_t i = 0; i < la->nlam; i++)
		ld += log(fmax(la->lam[i], 0) + delta);
	/* eigenvalues beyond the list (none here) would be 0: log delta each */
	ld -= (double)la->nlam * log(delta);
	return la->log_lik - 0.5 * (ld + delta * la->theta_sq);
}

/* d/d delta of -2 log Z: increasing in delta; its root maximises log Z */
static double lml_slope(const imb_la *la, double delta)
{
	double s = 0;
	for (size_t i = 0; i < la->nlam; i++) {
		double l = fmax(la->lam[i], 0);
		s -= l / (delta * (l + delta));
	}
	return s + la->theta_sq;
}

static double tune_marglik(const imb_la *la)
{
	double lo = log(1e-10), hi = log(1e10);
	if (lml_slope(la, exp(hi)) < 0)
		return exp(hi);
	if (lml_slope(la, exp(lo)) > 0)
		return exp(lo);
	for (int it = 0; it < 200 && hi - lo > 1e-12; it++) {
		double mid = 0.5 * (lo + hi);
		if (lml_slope(la, exp(mid)) < 0)
			lo = mid;
		else
			hi = mid;
	}
	return exp(0.5 * (lo + hi));
}

/* ---- the fit ---- */

typedef struct {
	float *Rh, *Rd;        /* full: factor rows (cap*r, np), host and backend */
	float *Hd;             /* full: (np,np); kfac: A (F1,F1) backend */
	float *Ph, *Pd;        /* kfac: phi~ (cap,F1) host, backend */
	double *G, *h;         /* kfac: (K,K); diag: (np) */
	float *phi;            /* (cap,F) host */
	float *hd;             /* all: (P) backend */
	float *ud;             /* all: (K) backend */
} fit_buf;

static void fit_last_batch(imb_la *la, fit_buf *fb, const float *x, int n, const int32_t *y)
{
	imb_nn_model *m = la->net.m;
	const imb_nn_backend *be = m->be;
	int K = la->K;
	size_t F = la->F, F1 = la->F1, np = la->np;
	const float *phid = imb_nn_model_forward_to(m, x, n, IMB_NN_EVAL, IMB_NN_AT_LAST_LINEAR);
	be->download(fb->phi, phid, (size_t)n * F * sizeof(float));
	double f[K], p[K], u[K * K];
	int rows = 0;
	for (int s = 0; s < n; s++) {
		const float *ph = fb->phi + (size_t)s * F;
		last_logits(la, f, ph);
		la->log_lik += softmax(p, f, K, y[s]);
		if (la->hessian == IMB_LA_FULL) {
			int r = lambda_factor(u, p, K);
			for (int c = 0; c < r; c++, rows++) {
				float *row = fb->Rh + (size_t)rows * np;
				for (int k = 0; k < K; k++) {
					for (size_t i = 0; i < F; i++)
						row[k * F1 + i] = (float)(u[c * K + k] * ph[i]);
					row[k * F1 + F] = (float)u[c * K + k];
				}
			}
		} else if (la->hessian == IMB_LA_KFAC) {
			float *row = fb->Ph + (size_t)s * F1;
			memcpy(row, ph, F * sizeof *row);
			row[F] = 1;
			for (int k = 0; k < K; k++)
				for (int l = 0; l < K; l++)
					fb->G[k * K + l] += (k == l) * p[k] - p[k] * p[l];
		} else {
			for (int k = 0; k < K; k++) {
				double lk = p[k] * (1 - p[k]);
				double *hk = fb->h + (size_t)k * F1;
				for (size_t i = 0; i < F; i++)
					hk[i] += lk * ph[i] * ph[i];
				hk[F] += lk;
			}
		}
	}
	if (la->hessian == IMB_LA_FULL) {
		be->upload(fb->Rd, fb->Rh, (size_t)rows * np * sizeof(float));
		be->gemm(1, 0, (int)np, (int)np, rows, 1, fb->Rd, (int)np, fb->Rd, (int)np, 1, fb->Hd,
		         (int)np);
	} else if (la->hessian == IMB_LA_KFAC) {
		be->upload(fb->Pd, fb->Ph, (size_t)n * F1 * sizeof(float));
		be->gemm(1, 0, (int)F1, (int)F1, n, 1, fb->Pd, (int)F1, fb->Pd, (int)F1, 1, fb->Hd,
		         (int)F1);
	}
}

/* every weight: per sample, one backward per factor row of Lambda */
static void fit_all_batch(imb_la *la, fit_buf *fb, const float *x, int n, size_t D,
                          const int32_t *y)
{
	imb_nn_model *m = la->net.m;
	const imb_nn_backend *be = m->be;
	int K = la->K;
	float lg[K], uf[K];
	double f[K], p[K], u[K * K];
	for (int s = 0; s < n; s++) {
		const float *z = imb_nn_model_forward(m, x + (size_t)s * D, 1, IMB_NN_EVAL);
		be->download(lg, z, (size_t)K * sizeof *lg);
		for (int k = 0; k < K; k++)
			f[k] = lg[k];
		la->log_lik += softmax(p, f, K, y[s]);
		int r = lambda_factor(u, p, K);
		for (int c = 0; c < r; c++) {
			for (int k = 0; k < K; k++)
				uf[k] = (float)u[c * K + k];
			be->upload(fb->ud, uf, (size_t)K * sizeof *uf);
			imb_nn_model_zero_grad(m);
			imb_nn_model_backward(m, fb->ud, 0);
			be->mul_acc(fb->hd, m->grads, m->grads, m->P);
		}
	}
}

static int eig_from(double **vec, double **val, const float *dev, size_t n, double scale,
                    const imb_nn_backend *be)
{
	float *h = imb_xmalloc(n * n * sizeof *h);
	be->download(h, dev, n * n * sizeof *h);
	double *a = imb_xmalloc(n * n * sizeof *a);
	for (size_t i = 0; i < n * n; i++)
		a[i] = h[i] * scale;
	free(h);
	double *w = imb_xmalloc(n * sizeof *w);
	if (imb_eigh(a, w, n) < 0) {
		free(a);
		free(w);
		return -1;
	}
	*vec = a;
	*val = w;
	return 0;
}

static int fit_pass(imb_la *la, const imb_nn_data *d, const int32_t *map)
{
	imb_nn_model *m = la->net.m;
	const imb_nn_backend *be = m->be;
	int K = la->K, cap = la->batch;
	size_t F1 = la->F1, np = la->np;
	fit_buf fb = {0};
	int all = la->subset == IMB_LA_ALL;
	if (all) {
		fb.hd = be->alloc(m->P * sizeof(float));
		be->zero(fb.hd, m->P);
		fb.ud = be->alloc((size_t)K * sizeof(float));
	} else {
		fb.phi = imb_xmalloc((size_t)cap * la->F * sizeof *fb.phi);
		if (la->hessian == IMB_LA_FULL) {
			size_t r = K == 2 ? 1 : (size_t)K;
			fb.Rh = imb_xmalloc((size_t)cap * r * np * sizeof *fb.Rh);
			fb.Rd = be->alloc((size_t)cap * r * np * sizeof(float));
			fb.Hd = be->alloc(np * np * sizeof(float));
			be->zero(fb.Hd, np * np);
		} else if (la->hessian == IMB_LA_KFAC) {
			fb.Ph = imb_xmalloc((size_t)cap * F1 * sizeof *fb.Ph);
			fb.Pd = be->alloc((size_t)cap * F1 * sizeof(float));
			fb.Hd = be->alloc(F1 * F1 * sizeof(float));
			be->zero(fb.Hd, F1 * F1);
			fb.G = imb_xcalloc((size_t)K * K, sizeof *fb.G);
		} else {
			fb.h = imb_xcalloc(np, sizeof *fb.h);
		}
	}
	imb_nn_aug_op norm = imb_nn_aug_normalize(la->net.mean, la->net.std, imb_nn_data_scale(d));
	imb_nn_batch b;
	imb_nn_batch_init(&b, d, (size_t)cap);
	for (size_t at = 0; at < d->N; at += (size_t)cap) {
		int n = (int)(d->N - at < (size_t)cap ? d->N - at : (size_t)cap);
		imb_nn_data_range(d, &b, at, (size_t)n, &norm, 1, NULL);
		if (map)
			for (int s = 0; s < n; s++)
				b.yh[s] = map[b.yh[s]];
		if (all)
			fit_all_batch(la, &fb, b.x, n, d->D, b.yh);
		else
			fit_last_batch(la, &fb, b.x, n, b.yh);
		imb_progress("laplace: the GGN", at + (size_t)n, d->N);
	}
	imb_progress_done();
	imb_nn_batch_free(&b);
	int rc = 0;
	if (all) {
		float *h = imb_xmalloc(m->P * sizeof *h);
		be->download(h, fb.hd, m->P * sizeof *h);
		la->nlam = m->P;
		la->lam = imb_xmalloc(m->P * sizeof *la->lam);
		for (size_t i = 0; i < m->P; i++)
			la->lam[i] = h[i];
		free(h);
	} else if (la->hessian == IMB_LA_FULL) {
		rc = eig_from(&la->V, &la->lam, fb.Hd, np, 1, be);
		la->nlam = np;
	} else if (la->hessian == IMB_LA_KFAC) {
		rc = eig_from(&la->UA, &la->a, fb.Hd, F1, 1.0 / (double)d->N, be);
		if (!rc) {
			la->UG = imb_xmalloc((size_t)K * K * sizeof *la->UG);
			memcpy(la->UG, fb.G, (size_t)K * K * sizeof *la->UG);
			la->g = imb_xmalloc((size_t)K * sizeof *la->g);
			rc = imb_eigh(la->UG, la->g, (size_t)K);
		}
		if (!rc)
			imb_la_make_lam(la);
	} else {
		la->lam = fb.h;
		la->nlam = np;
		fb.h = NULL;
	}
	free(fb.Rh);
	free(fb.Ph);
	free(fb.G);
	free(fb.h);
	free(fb.phi);
	be->free(fb.Rd);
	be->free(fb.Hd);
	be->free(fb.Pd);
	be->free(fb.hd);
	be->free(fb.ud);
	return rc;
}

/* ---- the predictive ---- */

/* Logit means fmu (n,K) and covariances fvar (nd,n,K,K) at the nd prior
 * precisions deltas, for x (n,C,H,W) backend, n <= la->batch. */
static void la_batch(imb_la *la, const float *x, int n, const double *deltas, int nd,
                     double *fmu, double *fvar)
{
	imb_nn_model *m = la->net.m;
	const imb_nn_backend *be = m->be;
	int K = la->K;
	size_t F = la->F, F1 = la->F1, np = la->np, KK = (size_t)K * K;
	memset(fvar, 0, (size_t)nd * n * KK * sizeof *fvar);
	if (la->subset == IMB_LA_ALL) {
		size_t P = m->P, D = (size_t)m->C * m->H * m->W;
		float *inv = be->alloc((size_t)nd * P * sizeof(float));
		float *ih = imb_xmalloc(P * sizeof *ih);
		for (int t = 0; t < nd; t++) {
			for (size_t i = 0; i < P; i++)
				ih[i] = (float)(1 / (fmax(la->lam[i], 0) + deltas[t]));
			be->upload(inv + (size_t)t * P, ih, P * sizeof *ih);
		}
		free(ih);
		float lg[K], e[K];
		for (int s = 0; s < n; s++) {
			const float *z = imb_nn_model_forward(m, x + (size_t)s * D, 1, IMB_NN_EVAL);
			be->download(lg, z, (size_t)K * sizeof *lg);
			for (int k = 0; k < K; k++)
				fmu[(size_t)s * K + k] = lg[k];
			for (int k = 0; k < K; k++) {
				for (int l = 0; l < K; l++)
					e[l] = l == k;
				be->upload(la->ek, e, (size_t)K * sizeof *e);
				imb_nn_model_zero_grad(m);
				imb_nn_model_backward(m, la->ek, 0);
				be->copy(la->J + (size_t)k * P, m->grads, P * sizeof(float));
			}
			for (int t = 0; t < nd; t++) {
				double *v = fvar + ((size_t)t * n + s) * KK;
				for (int k = 0; k < K; k++) {
					be->mul(la->tmp, la->J + (size_t)k * P, inv + (size_t)t * P, P);
					for (int l = k; l < K; l++)
						v[k * K + l] = v[l * K + k] =
							be->dot(la->tmp, la->J + (size_t)l * P, P);
				}
			}
		}
		be->free(inv);
		return;
	}
	const float *phid = imb_nn_model_forward_to(m, x, n, IMB_NN_EVAL, IMB_NN_AT_LAST_LINEAR);
	float *phi = imb_xmalloc((size_t)n * F1 * sizeof *phi);
	float *ph = imb_xmalloc((size_t)n * F * sizeof *ph);
	be->download(ph, phid, (size_t)n * F * sizeof *ph);
	for (int s = 0; s < n; s++) {
		memcpy(phi + (size_t)s * F1, ph + (size_t)s * F, F * sizeof *phi);
		phi[(size_t)s * F1 + F] = 1;
		last_logits(la, fmu + (size_t)s * K, ph + (size_t)s * F);
	}
	free(ph);
	if (la->hessian == IMB_LA_DIAG) {
		for (int t = 0; t < nd; t++)
			for (int s = 0; s < n; s++) {
				const float *p = phi + (size_t)s * F1;
				double *v = fvar + ((size_t)t * n + s) * KK;
				for (int k = 0; k < K; k++) {
					const double *h = la->lam + (size_t)k * F1;
					double acc = 0;
					for (size_t i = 0; i < F1; i++)
						acc += (double)p[i] * p[i] / (fmax(h[i], 0) + deltas[t]);
					v[k * K + k] = acc;
				}
			}
		free(phi);
		return;
	}
	be->upload(la->phid, phi, (size_t)n * F1 * sizeof *phi);
	if (la->hessian == IMB_LA_KFAC) {
		/* psi = phi~ U_A; s_j = sum_i psi_i^2 / (g_j a_i + delta) */
		be->gemm(0, 0, n, (int)F1, (int)F1, 1, la->phid, (int)F1, la->Vd, (int)F1, 0,
		         la->outd, (int)F1);
		be->download(phi, la->outd, (size_t)n * F1 * sizeof *phi);
		double sj[K];
		for (int t = 0; t < nd; t++)
			for (int s = 0; s < n; s++) {
				const float *psi = phi + (size_t)s * F1;
				for (int j = 0; j < K; j++) {
					double acc = 0;
					for (size_t i = 0; i < F1; i++)
						acc += (double)psi[i] * psi[i] /
						       (la->lam[j * F1 + i] + deltas[t]);
					sj[j] = acc;
				}
				double *v = fvar + ((size_t)t * n + s) * KK;
				for (int k = 0; k < K; k++)
					for (int l = 0; l < K; l++) {
						double acc = 0;
						for (int j = 0; j < K; j++)
							acc += la->UG[k * K + j] * la->UG[l * K + j] * sj[j];
						v[k * K + l] = acc;
					}
			}
		free(phi);
		return;
	}
	/* full: G_k = phi~ V[k block] (n,np); var_kl = sum_p G_kp G_lp / (lam_p + delta) */
	float *G = imb_xmalloc((size_t)K * n * np * sizeof *G);
	for (int k = 0; k < K; k++) {
		be->gemm(0, 0, n, (int)np, (int)F1, 1, la->phid, (int)F1, la->Vd + (size_t)k * F1 * np,
		         (int)np, 0, la->outd, (int)np);
		be->download(G + (size_t)k * n * np, la->outd, (size_t)n * np * sizeof *G);
	}
	double *w = imb_xmalloc(np * sizeof *w);
	for (int t = 0; t < nd; t++) {
		for (size_t q = 0; q < np; q++)
			w[q] = 1 / (fmax(la->lam[q], 0) + deltas[t]);
		for (int s = 0; s < n; s++) {
			double *v = fvar + ((size_t)t * n + s) * KK;
			for (int k = 0; k < K; k++)
				for (int l = k; l < K; l++) {
					const float *a = G + ((size_t)k * n + s) * np;
					const float *b = G + ((size_t)l * n + s) * np;
					double acc = 0;
					for (size_t q = 0; q < np; q++)
						acc += (double)a[q] * b[q] * w[q];
					v[k * K + l] = v[l * K + k] = acc;
				}
		}
	}
	free(w);
	free(G);
	free(phi);
}

/* probs (K) from the logits' mean and covariance: probit, or S draws */
static void la_link(const imb_la *la, double *p, const double *mu, const double *var, imb_rng *r)
{
	int K = la->K;
	if (!la->samples) {
		double f[K];
		for (int k = 0; k < K; k++)
			f[k] = mu[k] / sqrt(1 + M_PI / 8 * fmax(var[k * K + k], 0));
		softmax(p, f, K, -1);
		return;
	}
	double L[K * K], z[K], f[K], q[K];
	memset(f, 0, sizeof f);
	if (imb_chol_psd(L, var, K) < 0)
		for (int i = 0; i < K * K; i++)
			L[i] = 0;
	for (int k = 0; k < K; k++)
		p[k] = 0;
	for (int s = 0; s < la->samples; s++) {
		for (int k = 0; k < K; k++)
			z[k] = imb_rng_normal(r);
		for (int k = 0; k < K; k++) {
			double acc = mu[k];
			for (int j = 0; j <= k; j++)
				acc += L[k * K + j] * z[j];
			f[k] = acc;
		}
		softmax(q, f, K, -1);
		for (int k = 0; k < K; k++)
			p[k] += q[k] / la->samples;
	}
}

static void scratch(imb_la *la)
{
	const imb_nn_backend *be = la->net.m->be;
	size_t cap = (size_t)la->batch;
	if (la->subset == IMB_LA_ALL) {
		size_t P = la->net.m->P;
		if (!la->J) {
			la->J = be->alloc((size_t)la->K * P * sizeof(float));
			la->tmp = be->alloc(P * sizeof(float));
			la->ek = be->alloc((size_t)la->K * sizeof(float));
		}
		return;
	}
	if (la->hessian == IMB_LA_DIAG || la->Vd)
		return;
	size_t vn = la->hessian == IMB_LA_FULL ? la->np : la->F1;
	const double *src = la->hessian == IMB_LA_FULL ? la->V : la->UA;
	float *h = imb_xmalloc(vn * vn * sizeof *h);
	for (size_t i = 0; i < vn * vn; i++)
		h[i] = (float)src[i];
	la->Vd = be->alloc(vn * vn * sizeof(float));
	be->upload(la->Vd, h, vn * vn * sizeof *h);
	free(h);
	la->phid = be->alloc(cap * la->F1 * sizeof(float));
	la->outd = be->alloc(cap * vn * sizeof(float));
}

int imb_la_predict_dev(imb_la *la, float *probs, const float *x, int n)
{
	scratch(la);
	int K = la->K, cap = la->batch;
	size_t D = (size_t)la->net.m->C * la->net.m->H * la->net.m->W;
	double *mu = imb_xmalloc((size_t)cap * K * sizeof *mu);
	double *var = imb_xmalloc((size_t)cap * K * K * sizeof *var);
	double p[K];
	imb_rng r;
	imb_rng_seed(&r, la->seed);
	for (int at = 0; at < n; at += cap) {
		int b = n - at < cap ? n - at : cap;
		la_batch(la, x + (size_t)at * D, b, &la->delta, 1, mu, var);
		for (int s = 0; s < b; s++) {
			la_link(la, p, mu + (size_t)s * K, var + (size_t)s * K * K, &r);
			for (int k = 0; k < K; k++)
				probs[((size_t)at + s) * K + k] = (float)p[k];
		}
	}
	free(mu);
	free(var);
	return 0;
}

/* the prior precision of the grid with the lowest validation NLL */
static void tune_val(imb_la *la, const imb_nn_data *v, const int32_t *map, const imb_la_opts *o)
{
	scratch(la);
	int nd = o->grid_n, K = la->K, cap = la->batch;
	double *deltas = imb_xmalloc((size_t)nd * sizeof *deltas), *nll = imb_xcalloc((size_t)nd, sizeof *nll);
	for (int t = 0; t < nd; t++)
		deltas[t] = pow(10, o->grid_lo + (o->grid_hi - o->grid_lo) * t / (nd - 1));
	double *mu = imb_xmalloc((size_t)cap * K * sizeof *mu);
	double *var = imb_xmalloc((size_t)nd * cap * K * K * sizeof *var);
	double p[K];
	imb_nn_aug_op norm = imb_nn_aug_normalize(la->net.mean, la->net.std, imb_nn_data_scale(v));
	imb_nn_batch b;
	imb_nn_batch_init(&b, v, (size_t)cap);
	imb_rng *rs = imb_xmalloc((size_t)nd * sizeof *rs);
	for (int t = 0; t < nd; t++)
		imb_rng_seed(&rs[t], la->seed);
	for (size_t at = 0; at < v->N; at += (size_t)cap) {
		int n = (int)(v->N - at < (size_t)cap ? v->N - at : (size_t)cap);
		imb_nn_data_range(v, &b, at, (size_t)n, &norm, 1, NULL);
		la_batch(la, b.x, n, deltas, nd, mu, var);
		for (int t = 0; t < nd; t++)
			for (int s = 0; s < n; s++) {
				la_link(la, p, mu + (size_t)s * K, var + ((size_t)t * n + s) * K * K, &rs[t]);
				nll[t] -= log(fmax(p[map ? map[b.yh[s]] : b.yh[s]], 1e-300));
			}
		imb_progress("laplace: the validation grid", at + (size_t)n, v->N);
	}
	imb_progress_done();
	int best = 0;
	for (int t = 1; t < nd; t++)
		if (nll[t] < nll[best])
			best = t;
	la->delta = deltas[best];
	la->val_nll = nll[best] / (double)v->N;
	imb_nn_batch_free(&b);
	free(rs);
	free(mu);
	free(var);
	free(deltas);
	free(nll);
}

/* dataset frame f seen as labelled samples of the network's input shape */
static int data_of(const imb_la *la, const imb_frame *f, imb_nn_data *d)
{
	const imb_nn_model *m = la->net.m;
	if (imb_nn_data_init(d, f, 1) < 0)
		return -1;
	if (d->D != (size_t)m->C * m->H * m->W) {
		imb_seterr("%s: %zu values per sample; the network takes [%d, %d, %d]", d->lb, d->D,
		           m->C, m->H, m->W);
		imb_nn_data_free(d);
		return -1;
	}
	return 0;
}

imb_la *imb_la_fit(imb_nn_loaded *net, const imb_frame *train, const int32_t *tmap,
                   const imb_frame *val, const int32_t *vmap, const imb_la_opts *o)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	imb_la *la = imb_xcalloc(1, sizeof *la);
	la->net = *net;
	memset(net, 0, sizeof *net);
	imb_nn_model *m = la->net.m;
	la->subset = o->subset;
	la->hessian = o->subset == IMB_LA_ALL ? IMB_LA_DIAG : o->hessian;
	la->K = m->K;
	la->F = imb_nn_model_point_dim(m, IMB_NN_AT_LAST_LINEAR);
	la->F1 = la->F + 1;
	la->off = m->P - (size_t)la->K * la->F1;
	la->np = la->subset == IMB_LA_ALL ? m->P : (size_t)la->K * la->F1;
	la->samples = o->samples;
	la->seed = o->seed;
	la->batch = o->batch;
	la->delta = la->delta0 = o->prior_precision;
	la->val_nll = NAN;
	if (la->subset == IMB_LA_LAST_LAYER && la->hessian == IMB_LA_FULL &&
	    la->np > IMB_LA_FULL_MAX) {
		imb_seterr("--hessian full: the last layer has %zu weights (%d classes x %zu + 1), past "
		           "%d: use kfac or diag", la->np, la->K, la->F, IMB_LA_FULL_MAX);
		imb_la_free(la);
		return NULL;
	}
	imb_nn_data d;
	if (data_of(la, train, &d) < 0) {
		imb_la_free(la);
		return NULL;
	}
	imb_la_read_weights(la);
	la->n = d.N;
	int rc = fit_pass(la, &d, tmap);
	imb_nn_data_free(&d);
	if (!rc) {
		la->lml0 = imb_la_log_marglik(la, la->delta0);
		if (o->tune == IMB_LA_TUNE_MARGLIK)
			la->delta = tune_marglik(la);
		else if (o->tune == IMB_LA_TUNE_VAL && !(rc = data_of(la, val, &d))) {
			tune_val(la, &d, vmap, o);
			imb_nn_data_free(&d);
		}
	}
	if (rc < 0) {
		imb_la_free(la);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	la->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	return la;
}

void imb_la_get_info(const imb_la *la, imb_la_info *i)
{
	i->delta = la->delta;
	i->delta0 = la->delta0;
	i->lml = imb_la_log_marglik(la, la->delta);
	i->lml0 = la->lml0;
	i->log_lik = la->log_lik;
	i->val_nll = la->val_nll;
	i->n = la->n;
	i->np = la->np;
	i->seconds = la->seconds;
}

void imb_la_free(imb_la *la)
{
	if (!la)
		return;
	const imb_nn_backend *be = la->net.m ? la->net.m->be : NULL;
	if (be) {
		be->free(la->Vd);
		be->free(la->phid);
		be->free(la->outd);
		be->free(la->J);
		be->free(la->tmp);
		be->free(la->ek);
	}
	imb_nn_loaded_free(&la->net);
	free(la->W);
	free(la->lam);
	free(la->V);
	free(la->UA);
	free(la->a);
	free(la->UG);
	free(la->g);
	free(la);
}
