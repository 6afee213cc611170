/* test_lanczos.c: Lanczos, the implicit QL method, Hutchinson and SLQ on
 * a synthetic symmetric matrix with a known spectrum, A = Q diag(l) Q^T
 * (Q a product of two Householder reflections), held on the backend and
 * applied by its gemm. */
#include "check.h"
#include "nn_check.h"
#include "lanczos.h"
#include "nn_backend.h"
#include "util.h"

#include <string.h>

typedef struct {
	float *A;     /* (n,n) backend */
	int n;
	int calls;
} dense;

static void apply(void *ctx, float *out, const float *in)
{
	dense *d = ctx;
	d->calls++;
	imb_nn_be()->gemm(0, 0, d->n, 1, d->n, 1.0f, d->A, d->n, in, 1, 0.0f, out, 1);
}

/* A (n,n) host, double, with eigenvalues l */
static double *build(const double *l, int n)
{
	double *A = calloc((size_t)n * n, sizeof(double)), *u = malloc(n * sizeof(double)),
	       *w = malloc(n * sizeof(double));
	for (int i = 0; i < n; i++)
		A[(size_t)i * n + i] = l[i];
	for (int rfl = 0; rfl < 2; rfl++) {
		double s = 0;
		for (int i = 0; i < n; i++) {
			u[i] = imb_rng_normal(&rng);
			s += u[i] * u[i];
		}
		for (int i = 0; i < n; i++)
			u[i] /= sqrt(s);
		/* A = (I - 2uu') A (I - 2uu') */
		for (int pass = 0; pass < 2; pass++) {
			for (int i = 0; i < n; i++) {   /* w = A u (rows) */
				w[i] = 0;
				for (int j = 0; j < n; j++)
					w[i] += A[(size_t)i * n + j] * u[j];
			}
			for (int i = 0; i < n; i++)
				for (int j = 0; j < n; j++)
					A[(size_t)i * n + j] -= 2 * w[i] * u[j];
			/* transpose in place: apply the reflection from the other side */
			for (int i = 0; i < n; i++)
				for (int j = i + 1; j < n; j++) {
					double t = A[(size_t)i * n + j];
					A[(size_t)i * n + j] = A[(size_t)j * n + i];
					A[(size_t)j * n + i] = t;
				}
		}
	}
	free(u);
	free(w);
	return A;
}

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

int main(void)
{
	imb_nn_set_threads(1);
	const imb_nn_backend *be = imb_nn_be();
	imb_rng_seed(&rng, 1);

	/* the QL method on a tridiagonal with known eigenvalues: the (1,-2,1)
	 * second difference of order n has 2 - 2 cos(k pi / (n+1)) */
	{
		int n = 30;
		double d[30], e[30], z[900];
		for (int i = 0; i < n; i++)
			d[i] = 2, e[i] = -1;
		CHECK(imb_tridiag_eig(d, e, n, z) == 0);
		double md = 0;
		for (int k = 1; k <= n; k++)
			md = fmax(md, fabs(d[k - 1] - (2 - 2 * cos(k * M_PI / (n + 1)))));
		printf("  tql2 on the second difference (30): max eigenvalue error %.3g\n", md);
		CHECK(md < 1e-13);
		/* eigenvectors orthonormal */
		double mo = 0;
		for (int a = 0; a < n; a++)
			for (int b = 0; b < n; b++) {
				double s = 0;
				for (int r = 0; r < n; r++)
					s += z[r * n + a] * z[r * n + b];
				mo = fmax(mo, fabs(s - (a == b)));
			}
		CHECK(mo < 1e-12);
	}

	/* the spectrum: a bulk in [-0.5, 1] and ten outliers, like a network's Hessian */
	int n = 300;
	double *l = malloc(n * sizeof(double));
	for (int i = 0; i < n; i++)
		l[i] = -0.5 + 1.5 * imb_rng_uniform(&rng);
	for (int i = 0; i < 10; i++)
		l[i] = 50.0 / (i + 1) + 1;
	double *Ad = build(l, n);
	float *Ah = malloc((size_t)n * n * sizeof(float));
	double tr = 0;
	for (size_t i = 0; i < (size_t)n * n; i++)
		Ah[i] = (float)Ad[i];
	for (int i = 0; i < n; i++)
		tr += Ah[(size_t)i * n + i];
	dense D = { be->alloc((size_t)n * n * sizeof(float)), n, 0 };
	be->upload(D.A, Ah, (size_t)n * n * sizeof(float));
	imb_linop A = { (size_t)n, apply, &D, be, NULL };
	qsort(l, n, sizeof(double), cmp_desc);

	double eig[12], res[12];
	int it = imb_lanczos_top(&A, 10, 40, 0, 3, eig, res);
	CHECK_EQ_INT(it, 40);
	CHECK_EQ_INT(D.calls, 40);
	double md = 0, mr = 0;
	for (int k = 0; k < 10; k++) {
		md = fmax(md, fabs(eig[k] - l[k]) / l[k]);
		mr = fmax(mr, res[k] / l[k]);
	}
	printf("  Lanczos top-10, 40 steps, n=300: max rel error %.3g, max residual bound %.3g\n",
	       md, mr);
	CHECK(md < 1e-5);
	/* the residual bound is honest: it bounds the error */
	for (int k = 0; k < 10; k++)
		CHECK(fabs(eig[k] - l[k]) <= res[k] + 1e-5 * l[k]);
	/* same seed, same numbers; another seed, the same eigenvalues */
	double eig2[12];
	imb_lanczos_top(&A, 10, 40, 0, 3, eig2, NULL);
	CHECK(!memcmp(eig, eig2, 10 * sizeof(double)));
	imb_lanczos_top(&A, 12, 60, 0, 99, eig2, NULL);
	for (int k = 0; k < 12; k++)
		CHECK_NEAR(eig2[k], l[k], 1e-4 * l[0]);
	/* the early stop: residual bounds below tol, in fewer steps than the
	 * default most (100) */
	D.calls = 0;
	int st = imb_lanczos_top(&A, 10, 0, 1e-6, 3, eig2, res);
	printf("  Lanczos with tol 1e-6: %d steps\n", st);
	CHECK(st < 100 && st % 5 == 0 && st == D.calls);
	for (int k = 0; k < 10; k++) {
		CHECK(res[k] <= 1e-6 * eig2[0]);
		CHECK_NEAR(eig2[k], l[k], 1e-5 * l[0]);
	}
	/* bad k */
	CHECK(imb_lanczos_top(&A, 0, 0, 0, 1, eig, NULL) < 0);
	CHECK(imb_lanczos_top(&A, n + 1, 0, 0, 1, eig, NULL) < 0);
	/* a small operator: k = n, iterations capped at n, exact */
	{
		double ls[5] = { 3, 2, 1, -1, -4 };
		double *S = build(ls, 5);
		float Sf[25];
		for (int i = 0; i < 25; i++)
			Sf[i] = (float)S[i];
		dense d5 = { be->alloc(25 * sizeof(float)), 5, 0 };
		be->upload(d5.A, Sf, sizeof Sf);
		imb_linop A5 = { 5, apply, &d5, be, NULL };
		double e5[5];
		CHECK_EQ_INT(imb_lanczos_top(&A5, 5, 0, 1e-6, 1, e5, NULL), 5);
		for (int k = 0; k < 5; k++)
			CHECK_NEAR(e5[k], ls[k], 1e-5);
		be->free(d5.A);
		free(S);
	}

	/* Hutchinson against the exact trace */
	double t, se;
	CHECK(imb_hutchinson(&A, 400, 5, &t, &se) == 0);
	printf("  Hutchinson, 400 probes: %.6g +- %.3g, exact %.6g\n", t, se, tr);
	CHECK(fabs(t - tr) < 4 * se);
	CHECK(se > 0);
	double t2, se2;
	imb_hutchinson(&A, 400, 5, &t2, &se2);
	CHECK(t == t2 && se == se2);
	CHECK(imb_hutchinson(&A, 1, 5, &t2, &se2) == 0 && isnan(se2));
	CHECK(imb_hutchinson(&A, 0, 5, &t2, &se2) < 0);

	/* SLQ: weights sum to one per run; the density integrates to one; its
	 * mean is tr/n within the probes' error; the mass above 4 is the outliers' (10/300) */
	int probes = 8, iters = 60, ng = 4000;
	double *nodes = malloc(probes * iters * sizeof(double)),
	       *w = malloc(probes * iters * sizeof(double));
	CHECK(imb_slq(&A, probes, iters, 2, nodes, w) == 0);
	for (int j = 0; j < probes; j++) {
		double s = 0;
		for (int i = 0; i < iters; i++)
			s += w[j * iters + i];
		CHECK_NEAR(s, 1, 1e-9);
	}
	double *grid = malloc(ng * sizeof(double)), *dens = malloc(ng * sizeof(double));
	double lo = -5, hi = 60, dx = (hi - lo) / (ng - 1);
	for (int g = 0; g < ng; g++)
		grid[g] = lo + g * dx;
	imb_slq_density(nodes, w, (size_t)probes * iters, probes, grid, ng, 0.2, dens);
	double mass = 0, mean = 0, high = 0;
	for (int g = 0; g < ng; g++) {
		mass += dens[g] * dx;
		mean += grid[g] * dens[g] * dx;
		if (grid[g] > 4)
			high += dens[g] * dx;
	}
	printf("  SLQ (8 x 60): mass %.6f, mean %.4f (tr/n %.4f), mass above 4: %.4f (10/300 "
	       "= %.4f)\n", mass, mean, tr / n, high, 10.0 / n);
	CHECK_NEAR(mass, 1, 1e-6);
	/* a probe's quadratic form has variance about 2 sum l^2 / n^2 */
	double l2 = 0;
	for (int i = 0; i < n; i++)
		l2 += l[i] * l[i];
	CHECK_NEAR(mean, tr / n, 4 * sqrt(2 * l2 / ((double)n * n) / probes));
	CHECK(high > 0.01 && high < 0.08);

	be->free(D.A);
	free(l), free(Ad), free(Ah), free(nodes), free(w), free(grid), free(dens);
	CHECK_DONE();
}
