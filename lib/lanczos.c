/* lanczos.c: Lanczos with full reorthogonalisation, the implicit QL
 * method for the tridiagonal, Hutchinson's trace, stochastic Lanczos
 * quadrature. Vectors are backend memory; only the tridiagonal is on the
 * host. */
#include "lanczos.h"
#include "rng.h"
#include "util.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int imb_lanczos_default_iters(int k, size_t n)
{
	size_t m = (size_t)(10 * k > 100 ? 10 * k : 100);
	return (int)(m < n ? m : n);
}

int imb_tridiag_eig(double *d, double *e0, int n, double *z)
{
	double *e = imb_xcalloc((size_t)n + 1, sizeof *e);
	for (int i = 0; i + 1 < n; i++)
		e[i] = e0[i];
	if (z)
		for (int i = 0; i < n; i++)
			for (int k = 0; k < n; k++)
				z[(size_t)i * n + k] = i == k;
	for (int l = 0; l < n; l++) {
		int iter = 0, m;
		do {
			for (m = l; m < n - 1; m++) {
				double dd = fabs(d[m]) + fabs(d[m + 1]);
				if (fabs(e[m]) <= DBL_EPSILON * dd)
					break;
			}
			if (m != l) {
				if (iter++ == 60) {
					free(e);
					return imb_seterr("tridiagonal eigenvalues: no convergence");
				}
				double g = (d[l + 1] - d[l]) / (2.0 * e[l]);
				double r = hypot(g, 1.0);
				g = d[m] - d[l] + e[l] / (g + copysign(r, g));
				double s = 1, c = 1, p = 0;
				int i;
				for (i = m - 1; i >= l; i--) {
					double f = s * e[i], b = c * e[i];
					e[i + 1] = (r = hypot(f, g));
					if (r == 0) {
						d[i + 1] -= p;
						e[m] = 0;
						break;
					}
					s = f / r;
					c = g / r;
					g = d[i + 1] - p;
					r = (d[i] - g) * s + 2.0 * c * b;
					d[i + 1] = g + (p = s * r);
					g = c * r - b;
					if (z)
						for (int k = 0; k < n; k++) {
							double *zk = z + (size_t)k * n;
							f = zk[i + 1];
							zk[i + 1] = s * zk[i] + c * f;
							zk[i] = c * zk[i] - s * f;
						}
				}
				if (r == 0 && i >= l)
					continue;
				d[l] -= p;
				e[l] = g;
				e[m] = 0;
			}
		} while (m != l);
	}
	free(e);
	/* ascending, vectors along */
	for (int i = 0; i < n - 1; i++) {
		int k = i;
		for (int j = i + 1; j < n; j++)
			if (d[j] < d[k])
				k = j;
		if (k != i) {
			double t = d[i];
			d[i] = d[k];
			d[k] = t;
			if (z)
				for (int r = 0; r < n; r++) {
					t = z[(size_t)r * n + i];
					z[(size_t)r * n + i] = z[(size_t)r * n + k];
					z[(size_t)r * n + k] = t;
				}
		}
	}
	return 0;
}

/* m Lanczos steps from start vector q0 (overwritten, not normalised);
 * alpha (m), beta (m): beta[j] the norm after step j. Returns the steps
 * taken (fewer at an invariant subspace). */
/* the largest residual bound of the top k Ritz values of the first s
 * steps, relative to the largest |Ritz value| */
static double top_resid(const double *alpha, const double *beta, int s, int k)
{
	double *d = imb_xmalloc((size_t)s * sizeof *d), *e = imb_xcalloc((size_t)s, sizeof *e);
	double *z = imb_xmalloc((size_t)s * s * sizeof *z);
	memcpy(d, alpha, (size_t)s * sizeof *d);
	for (int i = 0; i + 1 < s; i++)
		e[i] = beta[i];
	double worst = INFINITY;
	if (!imb_tridiag_eig(d, e, s, z)) {
		double big = fmax(fabs(d[0]), fabs(d[s - 1]));
		worst = 0;
		for (int i = 0; i < k && i < s; i++)
			worst = fmax(worst, fabs(beta[s - 1] * z[(size_t)(s - 1) * s + s - 1 - i]));
		worst = big > 0 ? worst / big : worst;
	}
	free(d);
	free(e);
	free(z);
	return worst;
}

/* m Lanczos steps at most from start vector q0 (overwritten, not
 * normalised); alpha (m), beta (m): beta[j] the norm after step j. With
 * k > 0 and tol > 0, stops once the top k Ritz values' residual bounds
 * are all below tol times the largest |Ritz value| (checked every 5
 * steps from step k on). Returns the steps taken (fewer also at an
 * invariant subspace). */
static int lanczos(const imb_linop *A, int m, float *q0, double *alpha, double *beta,
                   const char *what, int k, double tol)
{
	const imb_nn_backend *be = A->be;
	size_t n = A->n;
	float **Q = imb_xcalloc((size_t)m + 1, sizeof *Q);
	float *w = be->alloc(n * sizeof(float));
	Q[0] = q0;
	be->scale(Q[0], (float)(1 / sqrt(be->sqnorm(Q[0], n))), n);
	int j, steps = 0;
	double amax = 0;
	for (j = 0; j < m; j++) {
		A->apply(A->ctx, w, Q[j]);
		if (j > 0)
			be->axpy(w, (float)-beta[j - 1], Q[j - 1], n);
		alpha[j] = be->dot(w, Q[j], n);
		be->axpy(w, (float)-alpha[j], Q[j], n);
		/* full reorthogonalisation, twice (Kahan's "twice is enough") */
		for (int pass = 0; pass < 2; pass++)
			for (int i = 0; i <= j; i++) {
				double c = be->dot(w, Q[i], n);
				be->axpy(w, (float)-c, Q[i], n);
				if (i == j)
					alpha[j] += c;
			}
		beta[j] = sqrt(be->sqnorm(w, n));
		steps = j + 1;
		if (fabs(alpha[j]) > amax)
			amax = fabs(alpha[j]);
		if (A->progress)
			A->progress(A->ctx, what, j + 1, m);
		if (j + 1 == m || beta[j] <= 1e-10 * (amax > 0 ? amax : 1))
			break;
		if (k > 0 && tol > 0 && j + 1 >= k && (j + 1) % 5 == 0 &&
		    top_resid(alpha, beta, j + 1, k) <= tol)
			break;
		Q[j + 1] = be->alloc(n * sizeof(float));
		be->copy(Q[j + 1], w, n * sizeof(float));
		be->scale(Q[j + 1], (float)(1 / beta[j]), n);
	}
	for (int i = 1; i <= m; i++)
		if (Q[i])
			be->free(Q[i]);
	free(Q);
	be->free(w);
	return steps;
}

int imb_lanczos_top(const imb_linop *A, int k, int iters, double tol, uint64_t seed,
                    double *eig, double *resid)
{
	const imb_nn_backend *be = A->be;
	size_t n = A->n;
	if (k < 1 || (size_t)k > n)
		return imb_seterr("top %d eigenvalues of a %zu x %zu operator", k, n, n);
	int m = iters > 0 ? iters : imb_lanczos_default_iters(k, n);
	if ((size_t)m > n)
		m = (int)n;
	if (m < k)
		m = k;
	double *alpha = imb_xcalloc((size_t)m, sizeof *alpha);
	double *beta = imb_xcalloc((size_t)m, sizeof *beta);
	float *q0 = be->alloc(n * sizeof(float));
	be->fill_normal(q0, n, 0, 1, seed, 0);
	int s = lanczos(A, m, q0, alpha, beta, "lanczos", k, tol);
	be->free(q0);
	double *z = imb_xcalloc((size_t)s * s, sizeof *z);
	double *e = imb_xcalloc((size_t)s, sizeof *e);
	for (int i = 0; i + 1 < s; i++)
		e[i] = beta[i];
	int rc = imb_tridiag_eig(alpha, e, s, z);
	if (!rc)
		for (int i = 0; i < k; i++) {
			int c = s - 1 - i;      /* descending */
			eig[i] = c >= 0 ? alpha[c] : NAN;
			if (resid)
				resid[i] = c >= 0 ? fabs(beta[s - 1] * z[(size_t)(s - 1) * s + c]) : NAN;
		}
	free(alpha);
	free(beta);
	free(z);
	free(e);
	return rc ? -1 : s;
}

int imb_hutchinson(const imb_linop *A, int probes, uint64_t seed, double *trace, double *se)
{
	const imb_nn_backend *be = A->be;
	size_t n = A->n;
	if (probes < 1)
		return imb_seterr("Hutchinson's trace wants at least one probe");
	float *zh = imb_xmalloc(n * sizeof(float));
	float *z = be->alloc(n * sizeof(float)), *az = be->alloc(n * sizeof(float));
	double sum = 0, sum2 = 0;
	for (int j = 0; j < probes; j++) {
		imb_rng r;
		imb_rng_seed(&r, seed + 0x9E3779B97F4A7C15ull * (uint64_t)(j + 1));
		for (size_t i = 0; i < n; i++)
			zh[i] = imb_rng_uniform(&r) < 0.5 ? -1.0f : 1.0f;
		be->upload(z, zh, n * sizeof(float));
		A->apply(A->ctx, az, z);
		double t = be->dot(z, az, n);
		sum += t;
		sum2 += t * t;
		if (A->progress)
			A->progress(A->ctx, "trace", j + 1, probes);
	}
	*trace = sum / probes;
	if (probes > 1) {
		double var = (sum2 - sum * sum / probes) / (probes - 1);
		*se = sqrt(var > 0 ? var : 0) / sqrt((double)probes);
	} else {
		*se = NAN;
	}
	free(zh);
	be->free(z);
	be->free(az);
	return 0;
}

int imb_slq(const imb_linop *A, int probes, int iters, uint64_t seed, double *nodes,
            double *weights)
{
	const imb_nn_backend *be = A->be;
	size_t n = A->n;
	if (probes < 1 || iters < 1)
		return imb_seterr("SLQ wants at least one probe and one step");
	int m = (size_t)iters > n ? (int)n : iters;
	double *alpha = imb_xcalloc((size_t)m, sizeof *alpha);
	double *beta = imb_xcalloc((size_t)m, sizeof *beta);
	double *e = imb_xcalloc((size_t)m, sizeof *e);
	double *z = imb_xcalloc((size_t)m * m, sizeof *z);
	float *q0 = be->alloc(n * sizeof(float));
	int rc = 0;
	for (int j = 0; j < probes && !rc; j++) {
		be->fill_normal(q0, n, 0, 1, seed, 1 + (uint64_t)j);
		int s = lanczos(A, m, q0, alpha, beta, "density", 0, 0);
		for (int i = 0; i + 1 < s; i++)
			e[i] = beta[i];
		rc = imb_tridiag_eig(alpha, e, s, z);
		for (int i = 0; i < iters; i++) {
			nodes[(size_t)j * iters + i] = i < s ? alpha[i] : 0;
			weights[(size_t)j * iters + i] = i < s ? z[i] * z[i] : 0;  /* row 0 */
		}
	}
	be->free(q0);
	free(alpha);
	free(beta);
	free(e);
	free(z);
	return rc;
}

void imb_slq_density(const double *nodes, const double *weights, size_t count, int probes,
                     const double *grid, int ngrid, double sigma, double *density)
{
	double norm = 1 / (sigma * sqrt(2 * M_PI) * probes);
	for (int g = 0; g < ngrid; g++) {
		double s = 0;
		for (size_t i = 0; i < count; i++) {
			if (weights[i] == 0)
				continue;
			double u = (grid[g] - nodes[i]) / sigma;
			s += weights[i] * exp(-0.5 * u * u);
		}
		density[g] = s * norm;
	}
}
