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

/* ---- the samples and classes to measure ---- */

/* 0 when d fits m: as many classes, and samples of m's input shape (or
 * of its size, C*H*W). -1 with imb_error() naming d ("dataset 'train':
 * 3 classes, the model (mlp:8) has 2") otherwise. */
int imb_hessian_check(const imb_nn_model *m, const imb_nn_data *d);

/* The K class names of a model frame (attrs.classes): a new array (K)
 * whose strings are borrowed from model->attrs (valid while model lives),
 * NULL for a class the frame does not name. Free the array with free(). */
const char **imb_hessian_class_names(const imb_frame *model, int K);

/* Class s among K: a name in names (K, entries may be NULL), else a
 * decimal index in [0, K). -1 if neither. */
int imb_hessian_find_class(const char *s, const char *const *names, int K);

/* The classes to measure into out (room for nspec + K): the classes
 * spec (nspec) names, in order (imb_hessian_find_class), then with
 * all every class 0..K-1. The count, or -1 with imb_error()
 * ("--class S: not a class of the model (0=a, 1=b)"). */
int imb_hessian_classes(const char *const *spec, int nspec, int all, const char *const *names,
                        int K, int *out);

/* Keep of classes (ncls) those with a sample among idx (n) of d, in
 * order, in place; warn on stderr (cli.h's imb_warn) for each left out.
 * Returns the count kept. names (K) may be NULL. */
int imb_hessian_present(const imb_nn_data *d, const size_t *idx, size_t n, int *classes,
                        int ncls, const char *const *names);

/* The samples of a set of N: all (want 0 or at least N), or want of them
 * drawn without replacement by imb_rng seeded with seed (a shuffle of
 * 0..N-1, its first want); ascending either way. A new array (N) of
 * which the first *n are the samples; the caller frees it. */
size_t *imb_hessian_samples(size_t N, size_t want, uint64_t seed, size_t *n);

/* ---- the measures ---- */

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
