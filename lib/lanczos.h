/* lanczos.h: the spectrum of a large symmetric operator seen only
 * through products v -> A v (a Hessian through nn_hvp.h):
 *
 *   imb_lanczos_top    the top-k eigenvalues (largest first): Lanczos
 *                      with full reorthogonalisation, the tridiagonal's
 *                      eigenvalues by the implicit QL method
 *   imb_hutchinson     tr A ~ mean of z^T A z over Rademacher probes z,
 *                      with its standard error
 *   imb_slq            the spectral density by stochastic Lanczos
 *                      quadrature (Ghorbani, Krishnan, Xiao 2019): per
 *                      probe, the Ritz values weighted by the squared
 *                      first components of their eigenvectors, smoothed
 *                      by a Gaussian, averaged over probes
 *
 * Every vector of length n is backend memory and touched only through
 * the backend's ops (dot, axpy, scale, copy, fill_normal); only the
 * small tridiagonal lives on the host. Randomness is the seed's alone:
 * the start vector of Lanczos run j is fill_normal(seed, j), a
 * Rademacher probe j is imb_rng seeded by (seed, j), drawn on the host
 * and uploaded. Same seed, same numbers. */
#ifndef IMB_LANCZOS_H
#define IMB_LANCZOS_H

#include "nn_backend.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A symmetric operator: apply writes out = A in (n floats each, backend
 * memory; out never aliases in). progress (may be NULL) is told each
 * step of long work: what ("lanczos", "trace", "density"), step and
 * total. */
typedef struct {
	size_t n;
	void (*apply)(void *ctx, float *out, const float *in);
	void *ctx;
	const imb_nn_backend *be;
	void (*progress)(void *ctx, const char *what, int step, int total);
} imb_linop;

/* The most Lanczos steps for the top k of an n x n operator when iters
 * <= 0: min(n, max(10k, 100)). With the tolerance's early stop, the top
 * 10 of a network's Hessian usually take 30 to 60. */
int imb_lanczos_default_iters(int k, size_t n);

/* The k largest eigenvalues of A, largest first, into eig (k), from at
 * most `iters` Lanczos steps (iters <= 0: imb_lanczos_default_iters) with
 * full reorthogonalisation (two passes of classical Gram-Schmidt against
 * every earlier vector), started at fill_normal(seed, 0). resid (k, may
 * be NULL) gets each Ritz value's residual bound |beta_m s_{m,i}| (the
 * norm of A x - theta x for its unit Ritz vector x; the eigenvalue's
 * error is at most that, and about its square over the gap to the next).
 * The steps stop early at an invariant subspace (beta ~ 0) and, tol > 0,
 * once every top-k residual bound is below tol times the largest |Ritz
 * value| (checked every 5 steps). k <= n. Returns the steps taken, or -1
 * with imb_error(). Memory: iters + 2 vectors of n floats. */
int imb_lanczos_top(const imb_linop *A, int k, int iters, double tol, uint64_t seed,
                    double *eig, double *resid);

/* Hutchinson's trace estimate over probes Rademacher probes: *trace is
 * their mean of z^T A z, *se its standard error (sample standard
 * deviation / sqrt(probes); NaN for one probe). Returns 0, or -1 with
 * imb_error(). */
int imb_hutchinson(const imb_linop *A, int probes, uint64_t seed, double *trace, double *se);

/* Stochastic Lanczos quadrature: probes Lanczos runs of iters steps
 * (start vector j: fill_normal(seed, 1 + j), normalised); run j's Ritz
 * values go to nodes[j*iters + i], each with the weight tau_i^2 (the
 * squared first component of its eigenvector; a run's weights sum to 1)
 * in weights[j*iters + i]; a run that stops early pads with weight 0.
 * nodes, weights are (probes * iters). Returns 0, or -1 with imb_error(). */
int imb_slq(const imb_linop *A, int probes, int iters, uint64_t seed, double *nodes,
            double *weights);
/* The density of SLQ's nodes and weights (count = probes * iters) on grid
 * (ngrid points): each node a Gaussian of width sigma, averaged over the
 * probes, so that it integrates to 1 over the real line. density is (ngrid). */
void imb_slq_density(const double *nodes, const double *weights, size_t count, int probes,
                     const double *grid, int ngrid, double sigma, double *density);

/* The eigen-decomposition of a symmetric tridiagonal matrix (diagonal d,
 * off-diagonal e[0..n-2]) by the implicit QL method (tql2): d gets the
 * eigenvalues in ascending order, z (n x n, row-major, may be NULL) the
 * eigenvectors as columns. e is destroyed. 0, or -1 if an eigenvalue
 * took more than 60 iterations. */
int imb_tridiag_eig(double *d, double *e, int n, double *z);

#ifdef __cplusplus
}
#endif

#endif
