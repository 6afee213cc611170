/* oversample_impl.h: what the re-sampling methods share (oversample.c
 * holds the method table and the driver; each method is one function
 * of the table). Private to lib/oversample*.c. */
#ifndef IMB_OVERSAMPLE_IMPL_H
#define IMB_OVERSAMPLE_IMPL_H

#include "oversample.h"
#include "rng.h"
#include "val.h"

/* One frame being re-sampled: the source, its classes and targets. */
typedef struct {
	const imb_frame *f;
	const imb_rs_opts *o;
	char lbl[300];          /* the frame, for messages */
	int nk;                 /* classes */
	int64_t *cnt, *tgt;     /* per class: counts, targets */
	size_t **by;            /* per class: its rows, in order */
	size_t n, d;            /* rows, features per row */
	const imb_tensor *x;
	imb_rng rng;
	imb_val *info;          /* the method's own entries of attrs.oversample */
	void *arg;              /* the method's own state */
} imb_rs_ctx;

/* A method: the re-sampled frame, or NULL with imb_error() set. */
typedef imb_frame *(*imb_rs_run_fn)(imb_rs_ctx *c);

/* The synthetic rows of an over-sampler: row i is
 * x[a[i]] + u[i] (x[b[i]] - x[a[i]]), its other tensors copied from
 * row a[i]; with groups, group g of row i is then set to category
 * cat[i * ngroups + g] (one-hot). */
typedef struct {
	size_t col, n;          /* the group's first column of x, its width */
	const char *name;
} imb_rs_group;

typedef struct {
	size_t n, cap;
	size_t *a, *b;
	double *u;
	size_t ngroups;
	const imb_rs_group *groups;
	int32_t *cat;
} imb_rs_plan;

/* room for `more` rows more */
void imb_rs_plan_reserve(imb_rs_plan *p, size_t more);
void imb_rs_plan_add(imb_rs_plan *p, size_t a, size_t b, double u);

/* Fills p with class cls's new rows (need > 0 wanted): 0, or -1 with
 * imb_error() set. */
typedef int (*imb_rs_class_fn)(imb_rs_ctx *c, int cls, int64_t need, imb_rs_plan *p);

/* The over-sampling driver: gen for each class below its target, then
 * the grown frame. */
imb_frame *imb_rs_synth(imb_rs_ctx *c, imb_rs_class_fn gen, imb_rs_plan *p);

/* called for new row i of p with its seed's kk neighbours (class row
 * indices) */
typedef void (*imb_rs_each_fn)(imb_rs_ctx *c, imb_rs_plan *p, size_t i, const int32_t *nbrs,
                               int kk, void *arg);
/* Draw need (seed, neighbour) pairs, each one index over ns seeds x kk
 * neighbours and a step u in [0, step_max), into p (a and b to be
 * resolved by the caller: a holds the pair's index); the result (ns):
 * 0 for the seeds drawn, -1 for the rest; the caller frees it. */
int64_t *imb_rs_draw_pairs(imb_rs_ctx *c, size_t ns, int kk, int64_t need, double step_max,
                           imb_rs_plan *p);
/* SMOTE's draws for `need` samples of a class from the seeds
 * seeds[0..ns) (indices into the class's rows; NULL: all rows, ns = nc)
 * and their kk nearest among the class's nc rows xc (floats; or xu, u8
 * rows, where imb_knn_u8_ok, searched exactly): pairs go
 * to p as source rows by[], steps u uniform in [0, step_max); each (may
 * be NULL) sees every new row. */
void imb_rs_smote_draw(imb_rs_ctx *c, const size_t *by, const float *xc, const uint8_t *xu,
                       size_t nc,
                       const size_t *seeds, size_t ns, int kk, int64_t need, double step_max,
                       imb_rs_plan *p, imb_rs_each_fn each, void *arg);
/* rows rows[0..n) of x as floats (n, d) */
float *imb_rs_rows_float(const imb_rs_ctx *c, const size_t *rows, size_t n);
/* class cls's k for a method asked for k neighbours within the class:
 * k, or n_c - 1 with a warning when the class is smaller */
int imb_rs_class_k(const imb_rs_ctx *c, int cls, int k, const char *what);

/* The one-hot groups of f's x from attrs.categorical and
 * attrs.features: 0 and *ng groups (none: *ng 0, *out NULL), or -1 with
 * imb_error() set when the attrs do not fit x. Free *out with free(). */
int imb_rs_groups(const imb_frame *f, size_t d, imb_rs_group **out, size_t *ng);

/* the methods (oversample.c, oversample_border.c, oversample_nc.c); a
 * combined method (SMOTE, then cleaning) can run one on its context */
imb_frame *imb_rs_run_smote(imb_rs_ctx *c);
imb_frame *imb_rs_run_adasyn(imb_rs_ctx *c);
imb_frame *imb_rs_run_borderline(imb_rs_ctx *c);
imb_frame *imb_rs_run_smote_nc(imb_rs_ctx *c);

#endif
