/* hessian.c: imb-hessian's measures: Lanczos, Hutchinson and SLQ over the
 * R-op products of nn_hvp.c, loss curves along filter-normalised random
 * directions; the samples and classes a run measures; the metrics frame
 * and the TSV. */
#include "hessian.h"
#include "cli.h"
#include "lanczos.h"
#include "nn_backend.h"
#include "nn_hvp.h"
#include "nn_loss.h"
#include "nn_net.h"
#include "rng.h"
#include "util.h"
#include "val.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void imb_hessian_defaults(imb_hessian_opts *o)
{
	memset(o, 0, sizeof *o);
	o->top = 10;
	o->tol = 1e-3;
	o->probes = 100;
	o->slq_probes = 10;
	o->slq_iters = 80;
	o->grid = 500;
	o->steps = 21;
	o->range = 1;
	o->batch = 128;
}

int imb_hessian_check(const imb_nn_model *m, const imb_nn_data *d)
{
	if (d->K != m->K)
		return imb_seterr("%s: %d classes, the model (%s) has %d", d->lb, d->K, m->arch, m->K);
	if ((d->C != m->C || d->H != m->H || d->W != m->W) && (size_t)m->C * m->H * m->W != d->D)
		return imb_seterr("%s: samples of %dx%dx%d, the model (%s) takes %dx%dx%d", d->lb, d->C,
		                  d->H, d->W, m->arch, m->C, m->H, m->W);
	return 0;
}

const char **imb_hessian_class_names(const imb_frame *model, int K)
{
	const char **names = imb_xcalloc(K > 0 ? (size_t)K : 1, sizeof *names);
	const imb_val *cl = imb_val_get(model->attrs, "classes");
	for (int k = 0; k < K && cl && cl->t == IMB_V_ARR && (size_t)k < cl->n; k++)
		names[k] = imb_val_as_str(cl->items[k], NULL);
	return names;
}

int imb_hessian_find_class(const char *s, const char *const *names, int K)
{
	for (int c = 0; c < K; c++)
		if (names[c] && !strcmp(names[c], s))
			return c;
	char *e;
	long v = strtol(s, &e, 10);
	if (*s && !*e && v >= 0 && v < K)
		return (int)v;
	return -1;
}

int imb_hessian_classes(const char *const *spec, int nspec, int all, const char *const *names,
                        int K, int *out)
{
	int n = 0;
	for (int k = 0; k < nspec; k++) {
		int v = imb_hessian_find_class(spec[k], names, K);
		if (v < 0) {
			char buf[512] = "";
			for (int j = 0; j < K; j++) {
				char one[64];
				snprintf(one, sizeof one, "%s%d=%s", j ? ", " : "", j, names[j] ? names[j] : "?");
				strncat(buf, one, sizeof buf - strlen(buf) - 1);
			}
			return imb_seterr("--class %s: not a class of the model (%s)", spec[k], buf);
		}
		out[n++] = v;
	}
	for (int k = 0; all && k < K; k++)
		out[n++] = k;
	return n;
}

int imb_hessian_present(const imb_nn_data *d, const size_t *idx, size_t n, int *classes,
                        int ncls, const char *const *names)
{
	int kept = 0;
	for (int k = 0; k < ncls; k++) {
		int any = 0;
		for (size_t i = 0; i < n && !any; i++)
			any = d->y[idx[i]] == classes[k];
		if (any)
			classes[kept++] = classes[k];
		else
			imb_warn("class %s: no sample among the %zu chosen; left out",
			         names && names[classes[k]] ? names[classes[k]] : "?", n);
	}
	return kept;
}

static int cmp_size(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	return i < j ? -1 : i > j;
}

size_t *imb_hessian_samples(size_t N, size_t want, uint64_t seed, size_t *n)
{
	size_t *idx = imb_xmalloc((N ? N : 1) * sizeof *idx);
	for (size_t i = 0; i < N; i++)
		idx[i] = i;
	*n = N;
	if (want && want < N) {
		imb_rng r;
		imb_rng_seed(&r, seed);
		imb_rng_shuffle(&r, idx, N);
		qsort(idx, want, sizeof *idx, cmp_size);
		*n = want;
	}
	return idx;
}

void imb_hessian_result_free(imb_hessian_result *r)
{
	if (!r)
		return;
	free(r->eig);
	free(r->resid);
	free(r->grid);
	free(r->density);
	free(r->curve);
	free(r->axis);
	memset(r, 0, sizeof *r);
}

/* one set of samples, gathered: rows [0, n) of x, y, yh */
typedef struct {
	imb_nn_hvp *h;
	imb_nn_model *m;
	const float *x;
	const int32_t *y, *yh;
	size_t n, D;
	int batch;
	const imb_hessian_opts *o;
} set_op;

static void apply(void *ctx, float *out, const float *in)
{
	set_op *s = ctx;
	const imb_nn_backend *be = s->m->be;
	be->zero(out, s->m->P);
	for (size_t at = 0; at < s->n; at += (size_t)s->batch) {
		int nb = s->n - at < (size_t)s->batch ? (int)(s->n - at) : s->batch;
		imb_nn_hvp_batch(s->h, out, NULL, in, s->x + at * s->D, s->y + at, s->yh + at, nb,
		                 (double)nb / (double)s->n);
	}
}

static void progress(void *ctx, const char *what, int step, int total)
{
	set_op *s = ctx;
	if (s->o->report)
		s->o->report(what, step, total);
}

/* the mean CE of the set at the model's parameters */
static double set_loss(set_op *s, const imb_nn_loss *L)
{
	double sum = 0;
	for (size_t at = 0; at < s->n; at += (size_t)s->batch) {
		int nb = s->n - at < (size_t)s->batch ? (int)(s->n - at) : s->batch;
		const float *z = imb_nn_model_forward(s->m, s->x + at * s->D, nb, IMB_NN_EVAL);
		sum += (double)imb_nn_loss_forward(L, NULL, NULL, z, s->y + at, nb) * nb;
	}
	return sum / (double)s->n;
}

void imb_hessian_direction(const imb_nn_model *m, float *dir, uint64_t seed, int j)
{
	const imb_nn_backend *be = m->be;
	size_t P = m->P;
	float *p = imb_xmalloc((P ? P : 1) * sizeof(float));
	float *d = imb_xcalloc(P ? P : 1, sizeof(float));
	be->download(p, m->params, P * sizeof(float));
	imb_rng r;
	imb_rng_seed(&r, seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(j + 1)));
	const imb_nn_net *n = m->net;
	for (int i = 0; i < n->nops; i++) {
		const imb_nn_netop *o = &n->ops[i];
		if (o->kind != IMB_NN_NET_CONV && o->kind != IMB_NN_NET_LINEAR)
			continue;
		/* filters: conv (OC, C*K*K), linear (OC, C) */
		size_t len = o->kind == IMB_NN_NET_CONV ? (size_t)o->C * o->K * o->K : (size_t)o->C;
		for (int f = 0; f < o->OC; f++) {
			float *df = d + o->w + (size_t)f * len;
			const float *pf = p + o->w + (size_t)f * len;
			double dn = 0, pn = 0;
			for (size_t k = 0; k < len; k++) {
				df[k] = (float)imb_rng_normal(&r);
				dn += (double)df[k] * df[k];
				pn += (double)pf[k] * pf[k];
			}
			double sc = dn > 0 ? sqrt(pn / dn) : 0;
			for (size_t k = 0; k < len; k++)
				df[k] = (float)(df[k] * sc);
		}
	}
	be->upload(dir, d, P * sizeof(float));
	free(p);
	free(d);
}

static int cmp_class(const void *a, const void *b, const int32_t *y)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	if (y[i] != y[j])
		return y[i] < y[j] ? -1 : 1;
	return i < j ? -1 : i > j;
}

static const int32_t *sort_y;
static int cmp_idx(const void *a, const void *b)
{
	return cmp_class(a, b, sort_y);
}

/* every measure of o on one set */
static int measure(set_op *s, const imb_nn_loss *L, imb_hessian_result *r)
{
	const imb_hessian_opts *o = s->o;
	imb_nn_model *m = s->m;
	const imb_nn_backend *be = m->be;
	imb_linop A = { m->P, apply, s, be, progress };
	r->n = s->n;
	r->loss = set_loss(s, L);
	if (o->top) {
		r->neig = o->top;
		r->eig = imb_xcalloc((size_t)o->top, sizeof(double));
		r->resid = imb_xcalloc((size_t)o->top, sizeof(double));
		r->steps = imb_lanczos_top(&A, o->top, o->iters, o->tol, o->seed, r->eig, r->resid);
		if (r->steps < 0)
			return -1;
	}
	if (o->trace) {
		if (imb_hutchinson(&A, o->probes, o->seed, &r->trace, &r->trace_se))
			return -1;
		r->has_trace = 1;
	}
	if (o->density) {
		int it = o->slq_iters < (int)m->P ? o->slq_iters : (int)m->P;
		size_t cnt = (size_t)o->slq_probes * it;
		double *nodes = imb_xcalloc(cnt, sizeof(double)), *w = imb_xcalloc(cnt, sizeof(double));
		if (imb_slq(&A, o->slq_probes, it, o->seed, nodes, w)) {
			free(nodes);
			free(w);
			return -1;
		}
		double lo = INFINITY, hi = -INFINITY;
		for (size_t i = 0; i < cnt; i++)
			if (w[i] > 0) {
				lo = fmin(lo, nodes[i]);
				hi = fmax(hi, nodes[i]);
			}
		double sigma = (hi - lo) / 250;
		if (!(sigma > 0))
			sigma = fabs(hi) > 0 ? fabs(hi) * 1e-3 : 1e-3;
		r->ngrid = o->grid;
		r->sigma = sigma;
		r->grid = imb_xcalloc((size_t)o->grid, sizeof(double));
		r->density = imb_xcalloc((size_t)o->grid, sizeof(double));
		double a = lo - 3 * sigma, b = hi + 3 * sigma;
		for (int g = 0; g < o->grid; g++)
			r->grid[g] = o->grid > 1 ? a + (b - a) * g / (o->grid - 1) : (a + b) / 2;
		imb_slq_density(nodes, w, cnt, o->slq_probes, r->grid, o->grid, sigma, r->density);
		free(nodes);
		free(w);
	}
	if (o->curve) {
		size_t P = m->P;
		int S = o->steps;
		float *save = be->alloc(P * sizeof(float));
		float *d1 = be->alloc(P * sizeof(float)), *d2 = be->alloc(P * sizeof(float));
		be->copy(save, m->params, P * sizeof(float));
		imb_hessian_direction(m, d1, o->seed, 0);
		if (o->curve == 2)
			imb_hessian_direction(m, d2, o->seed, 1);
		r->nsteps = S;
		r->axis = imb_xcalloc((size_t)S, sizeof(double));
		for (int i = 0; i < S; i++)
			r->axis[i] = S > 1 ? -o->range + 2 * o->range * i / (S - 1) : 0;
		int rows = o->curve == 2 ? S : 1;
		r->curve = imb_xcalloc((size_t)rows * S, sizeof(double));
		for (int yi = 0; yi < rows; yi++)
			for (int xi = 0; xi < S; xi++) {
				be->copy(m->params, save, P * sizeof(float));
				be->axpy(m->params, (float)r->axis[xi], d1, P);
				if (o->curve == 2)
					be->axpy(m->params, (float)r->axis[yi], d2, P);
				r->curve[(size_t)yi * S + xi] = set_loss(s, L);
				if (o->report)
					o->report(o->curve == 2 ? "loss2d" : "loss1d", yi * S + xi + 1,
					          rows * S);
			}
		be->copy(m->params, save, P * sizeof(float));
		be->free(save);
		be->free(d1);
		be->free(d2);
	}
	return 0;
}

int imb_hessian_run(imb_nn_model *m, const imb_nn_data *d, const float *mean, const float *std,
                    const size_t *idx, size_t n, const int *classes, int nclasses,
                    int with_all, const imb_hessian_opts *o, imb_hessian_result *res)
{
	if (o->top > 0 && (size_t)o->top > m->P)
		return imb_seterr("--top %d: the network (%s) has %zu parameters", o->top, m->arch,
		                  m->P);
	if (!d->y)
		return imb_seterr("%s: no labels (y): the loss needs them", d->lb);
	/* the samples sorted by class: each class is one range */
	size_t *ord = imb_xmalloc((n ? n : 1) * sizeof *ord);
	memcpy(ord, idx, n * sizeof *ord);
	sort_y = d->y;
	qsort(ord, n, sizeof *ord, cmp_idx);
	size_t *start = imb_xcalloc((size_t)d->K + 1, sizeof *start);
	for (size_t i = 0; i < n; i++)
		start[d->y[ord[i]] + 1]++;
	for (int c = 0; c < d->K; c++)
		start[c + 1] += start[c];
	for (int k = 0; k < nclasses; k++)
		if (start[classes[k] + 1] == start[classes[k]]) {
			free(ord);
			free(start);
			return imb_seterr("class %d has no sample among the %zu chosen", classes[k], n);
		}
	int batch = o->batch > 0 ? o->batch : 128;
	imb_nn_hvp *h = imb_nn_hvp_new(m, batch);
	if (!h) {
		free(ord);
		free(start);
		return -1;
	}
	imb_nn_aug_op norm = imb_nn_aug_normalize(mean, std, imb_nn_data_scale(d));
	imb_nn_batch b;
	imb_nn_batch_init(&b, d, n);
	imb_nn_data_gather(d, &b, ord, n, &norm, 1, NULL);
	imb_nn_loss L;
	imb_nn_loss_ce(&L, m->K);
	int rc = 0, r = 0;
	for (int k = with_all ? -1 : 0; k < nclasses && !rc; k++, r++) {
		size_t at = k < 0 ? 0 : start[classes[k]];
		size_t cnt = k < 0 ? n : start[classes[k] + 1] - at;
		set_op s = { h, m, b.x + at * b.D, b.y + at, b.yh + at, cnt, b.D, batch, o };
		memset(&res[r], 0, sizeof res[r]);
		res[r].cls = k < 0 ? -1 : classes[k];
		rc = measure(&s, &L, &res[r]);
	}
	imb_nn_loss_free(&L);
	imb_nn_hvp_free(h);
	imb_nn_batch_free(&b);
	free(ord);
	free(start);
	return rc;
}

static imb_val *darr(const double *x, size_t n)
{
	return imb_val_float_array(x, n);
}

static const char *cls_name(int c, const char *const *names, char *buf, size_t size)
{
	if (c < 0)
		return "all";
	if (names && names[c])
		return names[c];
	snprintf(buf, size, "%d", c);
	return buf;
}

imb_frame *imb_hessian_frame(const imb_frame *model, const imb_hessian_opts *o,
                             const imb_hessian_result *res, int nres, const char *const *names,
                             const char *frame, size_t n)
{
	imb_frame *f = imb_frame_new("metrics", "hessian");
	static const char *copy[] = { "model", "arch", "classes", "params", "train", "history" };
	for (size_t i = 0; i < sizeof copy / sizeof *copy; i++) {
		const imb_val *v = imb_val_get(model->attrs, copy[i]);
		if (v)
			imb_val_set(f->attrs, copy[i], imb_val_copy(v));
	}
	imb_val *st = imb_val_map();
	imb_val_set_str(st, "frame", frame);
	imb_val_set_int(st, "samples", (int64_t)n);
	imb_val_set_str(st, "bn", "eval");
	imb_val_set_str(st, "loss", "ce");
	imb_val_set_int(st, "top", o->top);
	imb_val_set_int(st, "lanczos_steps", o->iters);
	imb_val_set_float(st, "tol", o->tol);
	if (o->trace)
		imb_val_set_int(st, "probes", o->probes);
	if (o->density) {
		imb_val_set_int(st, "slq_probes", o->slq_probes);
		imb_val_set_int(st, "slq_steps", o->slq_iters);
		imb_val_set_int(st, "grid", o->grid);
	}
	if (o->curve) {
		imb_val_set_str(st, "curve", o->curve == 2 ? "2d" : "1d");
		imb_val_set_int(st, "steps", o->steps);
		imb_val_set_float(st, "range", o->range);
		imb_val_set_str(st, "directions", "filter-normalised");
	}
	imb_val_set_int(st, "batch", o->batch);
	imb_val_set_int(st, "seed", (int64_t)o->seed);
	imb_val_set(f->attrs, "settings", st);
	imb_val *rs = imb_val_arr();
	for (int i = 0; i < nres; i++) {
		const imb_hessian_result *r = &res[i];
		char buf[32];
		imb_val *v = imb_val_map();
		imb_val_set_str(v, "class", cls_name(r->cls, names, buf, sizeof buf));
		if (r->cls >= 0)
			imb_val_set_int(v, "class_index", r->cls);
		imb_val_set_int(v, "n", (int64_t)r->n);
		imb_val_set_float(v, "loss", r->loss);
		if (r->eig) {
			imb_val_set(v, "eigenvalues", darr(r->eig, (size_t)r->neig));
			imb_val_set(v, "residuals", darr(r->resid, (size_t)r->neig));
			imb_val_set_int(v, "lanczos_steps", r->steps);
		}
		if (o->trace) {
			imb_val_set_float(v, "trace", r->trace);
			imb_val_set(v, "trace_se", isnan(r->trace_se) ? imb_val_nil()
			                                              : imb_val_float(r->trace_se));
		}
		if (r->density) {
			imb_val *dv = imb_val_map();
			imb_val_set(dv, "x", darr(r->grid, (size_t)r->ngrid));
			imb_val_set(dv, "density", darr(r->density, (size_t)r->ngrid));
			imb_val_set_float(dv, "sigma", r->sigma);
			imb_val_set(v, "density", dv);
		}
		if (r->curve) {
			imb_val *cv = imb_val_map();
			imb_val_set(cv, "x", darr(r->axis, (size_t)r->nsteps));
			if (o->curve == 2) {
				imb_val_set(cv, "y", darr(r->axis, (size_t)r->nsteps));
				imb_val *rows = imb_val_arr();
				for (int yi = 0; yi < r->nsteps; yi++)
					imb_val_push(rows, darr(r->curve + (size_t)yi * r->nsteps,
					                        (size_t)r->nsteps));
				imb_val_set(cv, "loss", rows);
				imb_val_set(v, "loss2d", cv);
			} else {
				imb_val_set(cv, "loss", darr(r->curve, (size_t)r->nsteps));
				imb_val_set(v, "loss1d", cv);
			}
		}
		imb_val_push(rs, v);
	}
	imb_val_set(f->attrs, "results", rs);
	return f;
}

static void num(FILE *fp, double v)
{
	if (isnan(v))
		fputs("NA", fp);
	else
		fprintf(fp, "%.9g", v);
}

void imb_hessian_write_tsv(FILE *fp, const imb_hessian_result *res, int nres,
                           const char *const *names, int curve)
{
	fputs("measure\tclass\tk\tx\ty\tvalue\tse\n", fp);
	for (int i = 0; i < nres; i++) {
		const imb_hessian_result *r = &res[i];
		char buf[32];
		const char *c = cls_name(r->cls, names, buf, sizeof buf);
		for (int k = 0; k < r->neig; k++) {
			fputs("eigenvalue\t", fp);
			imb_write_tsv(fp, c);
			fprintf(fp, "\t%d\tNA\tNA\t", k + 1);
			num(fp, r->eig[k]);
			fputs("\tNA\n", fp);
		}
		if (r->has_trace) {
			fputs("trace\t", fp);
			imb_write_tsv(fp, c);
			fputs("\tNA\tNA\tNA\t", fp);
			num(fp, r->trace);
			fputc('\t', fp);
			num(fp, r->trace_se);
			fputc('\n', fp);
		}
		for (int g = 0; g < r->ngrid; g++) {
			fputs("density\t", fp);
			imb_write_tsv(fp, c);
			fputs("\tNA\t", fp);
			num(fp, r->grid[g]);
			fputs("\tNA\t", fp);
			num(fp, r->density[g]);
			fputs("\tNA\n", fp);
		}
		int rows = curve == 2 ? r->nsteps : r->nsteps ? 1 : 0;
		for (int yi = 0; yi < rows; yi++)
			for (int xi = 0; xi < r->nsteps; xi++) {
				fputs(curve == 2 ? "loss2d\t" : "loss1d\t", fp);
				imb_write_tsv(fp, c);
				fputs("\tNA\t", fp);
				num(fp, r->axis[xi]);
				fputc('\t', fp);
				if (curve == 2)
					num(fp, r->axis[yi]);
				else
					fputs("NA", fp);
				fputc('\t', fp);
				num(fp, r->curve[(size_t)yi * r->nsteps + xi]);
				fputs("\tNA\n", fp);
			}
	}
}
