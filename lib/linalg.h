/* linalg.h: the dense linear algebra of the Bayesian tools, in double on
 * the host: symmetric eigendecomposition (LAPACK's dsyevd, from
 * OpenBLAS) and a Cholesky factor of a covariance. */
#ifndef IMB_LINALG_H
#define IMB_LINALG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Eigendecomposition of the symmetric n x n matrix a (row-major; only
 * its lower triangle, as stored, is read): on return a holds the
 * eigenvectors as its COLUMNS (a[i*n + j] is component i of vector j)
 * and w (n) the eigenvalues, ascending. 0, or -1 with imb_error() when
 * LAPACK fails to converge or n is past its int range. */
int imb_eigh(double *a, double *w, size_t n);

/* Lower Cholesky factor l (n,n) of the covariance s (n,n), s = l l^T.
 * A matrix that is only positive semi-definite (a zero variance, round-
 * off) gets jitter on its diagonal, 1e-10 times its largest diagonal
 * entry and growing tenfold, until it factors; returns the jitter used
 * (0 when none was needed), or -1 when none up to the diagonal's size
 * makes it factor (not a covariance). l may be s. */
double imb_chol_psd(double *l, const double *s, int n);

#ifdef __cplusplus
}
#endif

#endif
