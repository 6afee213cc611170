/* hessian.h: what imb-hessian measures of a trained network's loss
 * surface on a set of its training samples (eval-mode BN, plain CE):
 *
 *   eigenvalue  the top K Hessian eigenvalues (Lanczos, lanczos.h)
 *   trace       Hutchinson's estimate with its standard error
 *   density     the spectral density by stochastic Lanczos quadrature
 *   loss1d/2d   the loss along one or two filter-normalised random
 *               directions (Li et al. 2018)
 *
 * each over all chosen samples and, on request, over one class's samples
 * at a time. The products are nn_hvp.h's; the samples are gathered once
 * into backend memory and walked in batches. */
#ifndef IMB_HESSIAN_H
#define IMB_HESSIAN_H

#include "nn_data.h"
#include "nn_model.h"
#include "stream.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	int top;            /* eigenvalues (0: none); default 10 */
	int iters;          /* most Lanczos steps (0: imb_lanczos_default_iters) */
	double tol;         /* Lanczos stops when the top residuals are below
	                     * tol times the largest (default 1e-3) */
	int trace, probes;  /* Hutchinson with probes probes (default 100) */
	int density;        /* SLQ: probes runs of slq_iters steps, grid points */
	int slq_probes, slq_iters, grid;
	int curve;          /* 0, 1 (loss1d) or 2 (loss2d) */
	int steps;          /* points along each direction (odd, default 21) */
	double range;       /* the directions run over [-range, range] (default 1) */
	int batch;          /* samples per product batch (default 128) */
	uint64_t seed;
	/* progress of long work (may be NULL): what ("lanczos", "trace",
	 * "density", "loss1d", "loss2d"), step of total */
	void (*report)(const char *what, int step, int total);
} imb_hessian_opts;

/* Defaults as documented above. */
void imb_hessian_defaults(imb_hessian_opts *o);

/* The measures on one set of samples. */
typedef struct {
	int cls;            /* -1: all chosen samples; else the class */
	size_t n;           /* samples */
	double loss;        /* mean CE at the parameters */
	int neig;           /* eigenvalues computed (the top K) */
	double *eig, *resid;    /* (neig): eigenvalues, largest first; residual bounds */
	int steps;          /* Lanczos steps taken */
	int has_trace;
	double trace, trace_se;
	double *grid, *density; /* (ngrid) */
	int ngrid;
	double sigma;       /* the density's Gaussian width */
	double *curve;      /* loss1d: (steps); loss2d: (steps, steps), row = y */
	double *axis;       /* (steps): the step values along a direction */
	int nsteps;
} imb_hessian_result;

void imb_hessian_result_free(imb_hessian_result *r);

/* Gather samples idx (n) of d through the normalisation (mean, std, (C))
 * and compute the measures of o on all of them (classes == NULL) or
 * for each class in classes (nclasses), into res (one per set: the
 * class sets in the order given, the whole set first when with_all).
 * m's parameters are left as they were. 0, or -1 with imb_error() (a
 * class with no sample among idx, K larger than the parameter count). */
int imb_hessian_run(imb_nn_model *m, const imb_nn_data *d, const float *mean, const float *std,
                    const size_t *idx, size_t n, const int *classes, int nclasses,
                    int with_all, const imb_hessian_opts *o, imb_hessian_result *res);

/* Filter-normalised random direction j (0 or 1) of m into dir (P,
 * backend): per conv output channel and per linear row a standard normal
 * draw of imb_rng seeded by (seed, j), in parameter order, scaled to the
 * norm of that filter of m->params; biases and BN parameters 0. The same
 * seed draws the same raw directions for every model of an architecture. */
void imb_hessian_direction(const imb_nn_model *m, float *dir, uint64_t seed, int j);

/* The metrics frame (kind "metrics", name "hessian"): attrs.hessian the
 * settings and per-set results; provenance copied from the model frame
 * (params, train, history, arch). names: the K class names. */
imb_frame *imb_hessian_frame(const imb_frame *model, const imb_hessian_opts *o,
                             const imb_hessian_result *res, int nres, const char *const *names,
                             const char *frame, size_t n);

/* TSV: header measure, class, k, x, y, value, se; one row per number. */
void imb_hessian_write_tsv(FILE *fp, const imb_hessian_result *res, int nres,
                           const char *const *names, int curve);

#ifdef __cplusplus
}
#endif

#endif
