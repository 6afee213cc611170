/* linalg.c: eigendecomposition and Cholesky factors (linalg.h). */
#include "linalg.h"
#include "util.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK, in OpenBLAS (Fortran calling convention) */
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info);

int imb_eigh(double *a, double *w, size_t n)
{
	if (n == 0)
		return 0;
	if (n > 46340)   /* n * n must fit LAPACK's int */
		return imb_seterr("an eigendecomposition of order %zu is past LAPACK's range", n);
	int N = (int)n, info = 0, lwork = -1, liwork = -1, iw;
	double wq;
	/* row-major lower = column-major upper: ask for "U" */
	dsyevd_("V", "U", &N, a, &N, w, &wq, &lwork, &iw, &liwork, &info);
	if (info != 0)
		return imb_seterr("LAPACK dsyevd: workspace query failed (info %d)", info);
	lwork = (int)wq;
	liwork = iw;
	double *work = imb_xmalloc((size_t)lwork * sizeof *work);
	int *iwork = imb_xmalloc((size_t)liwork * sizeof *iwork);
	dsyevd_("V", "U", &N, a, &N, w, work, &lwork, iwork, &liwork, &info);
	free(work);
	free(iwork);
	if (info != 0)
		return imb_seterr("LAPACK dsyevd did not converge (info %d) on a matrix of order %zu",
		                  info, n);
	/* column-major eigenvectors (vector j in a[j*n ..]) -> columns of the
	 * row-major matrix: transpose in place */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			double t = a[i * n + j];
			a[i * n + j] = a[j * n + i];
			a[j * n + i] = t;
		}
	return 0;
}

static int chol(double *l, int n)
{
	for (int j = 0; j < n; j++) {
		double s = l[j * n + j];
		for (int k = 0; k < j; k++)
			s -= l[j * n + k] * l[j * n + k];
		if (!(s > 0))
			return -1;
		double d = sqrt(s);
		l[j * n + j] = d;
		for (int i = j + 1; i < n; i++) {
			double t = l[i * n + j];
			for (int k = 0; k < j; k++)
				t -= l[i * n + k] * l[j * n + k];
			l[i * n + j] = t / d;
		}
		for (int i = 0; i < j; i++)
			l[i * n + j] = 0;
	}
	return 0;
}

double imb_chol_psd(double *l, const double *s, int n)
{
	double top = 0;
	for (int i = 0; i < n; i++)
		if (s[i * n + i] > top)
			top = s[i * n + i];
	if (top == 0)
		top = 1;
	double *t = imb_xmalloc((size_t)n * n * sizeof *t);
	for (double jit = 0;; jit = jit ? jit * 10 : 1e-10 * top) {
		if (jit > top)
			break;
		memcpy(t, s, (size_t)n * n * sizeof *t);
		for (int i = 0; i < n; i++)
			t[i * n + i] += jit;
		if (chol(t, n) == 0) {
			memcpy(l, t, (size_t)n * n * sizeof *t);
			free(t);
			return jit;
		}
	}
	free(t);
	return -1;
}
