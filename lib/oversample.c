/* oversample.c: the re-sampling methods' table and driver, random
 * over/undersampling and SMOTE (see oversample.h). */
#include "oversample.h"
#include "oversample_impl.h"
#include "cli.h"
#include "dataset.h"
#include "undersample.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static imb_frame *run_random(imb_rs_ctx *c);
static imb_frame *run_under(imb_rs_ctx *c);

/* The methods: name, name in messages, what it does, the parameters it
 * reads, whether it interpolates new rows (then it needs finite
 * features, two samples in a class it raises, and no one-hot groups
 * unless told). A method is one line here and one name in imb_rs_method
 * (same order). */
static const struct {
	const char *name, *title;
	imb_rs_run_fn run;
	unsigned params;
	int interp;
} methods[] = {
	[IMB_RS_RANDOM] = {"random", "random oversampling", run_random, 0, 0},
	[IMB_RS_UNDER] = {"under", "random undersampling", run_under, 0, 0},
	[IMB_RS_SMOTE] = {"smote", "SMOTE", imb_rs_run_smote, IMB_RS_P_K, 1},
	[IMB_RS_ADASYN] = {"adasyn", "ADASYN", imb_rs_run_adasyn, IMB_RS_P_K, 1},
	[IMB_RS_BORDERLINE1] = {"borderline1", "Borderline-SMOTE", imb_rs_run_borderline,
	                        IMB_RS_P_K | IMB_RS_P_M, 1},
	[IMB_RS_BORDERLINE2] = {"borderline2", "Borderline-SMOTE", imb_rs_run_borderline,
	                        IMB_RS_P_K | IMB_RS_P_M, 1},
	[IMB_RS_SMOTE_NC] = {"smote-nc", "SMOTE-NC", imb_rs_run_smote_nc, IMB_RS_P_K, 1},
	/* undersample.h's: imb_resample_opts hands them to imb_undersample */
	[IMB_RS_TOMEK] = {"tomek", "Tomek links", NULL, 0, 0},
	[IMB_RS_ENN] = {"enn", "edited nearest neighbours", NULL, IMB_RS_P_K, 0},
	[IMB_RS_NEARMISS1] = {"nearmiss1", "NearMiss-1", NULL, IMB_RS_P_K, 0},
	[IMB_RS_NEARMISS2] = {"nearmiss2", "NearMiss-2", NULL, IMB_RS_P_K, 0},
	[IMB_RS_NEARMISS3] = {"nearmiss3", "NearMiss-3", NULL, IMB_RS_P_K, 0},
	[IMB_RS_CLUSTER_CENTROIDS] = {"cluster-centroids", "cluster centroids", NULL, 0, 0},
	[IMB_RS_SMOTE_TOMEK] = {"smote-tomek", "SMOTE-Tomek", NULL, IMB_RS_P_K, 0},
	[IMB_RS_SMOTE_ENN] = {"smote-enn", "SMOTE-ENN", NULL, IMB_RS_P_K, 0},
};
_Static_assert(IMB_LEN(methods) == IMB_RS_NMETHODS, "a method without a table entry");

const char *imb_rs_method_name(imb_rs_method m) { return methods[m].name; }

unsigned imb_rs_method_params(imb_rs_method m) { return methods[m].params; }

int imb_rs_method_parse(const char *s, imb_rs_method *out)
{
	for (size_t j = 0; j < IMB_LEN(methods); j++)
		if (methods[j].name && !strcmp(s, methods[j].name)) {
			*out = (imb_rs_method)j;
			return 0;
		}
	return -1;
}

const char *imb_rs_method_list(const char *sep)
{
	static char buf[512];
	size_t len = 0;
	buf[0] = 0;
	for (size_t j = 0; j < IMB_LEN(methods); j++)
		if (len < sizeof buf)
			len += snprintf(buf + len, sizeof buf - len, "%s%s", j ? sep : "", methods[j].name);
	return buf;
}

imb_rs_opts imb_rs_defaults(imb_rs_method m)
{
	int k = imb_rs_default_k(m);
	return (imb_rs_opts){.method = m, .ratio = 1.0, .k = k ? k : 5, .m = 10, .seed = 0};
}

void imb_resample_targets(int64_t *target, const int64_t *counts, int k, imb_rs_method m,
                          double ratio)
{
	int64_t mx = 0, mn = -1;
	for (int j = 0; j < k; j++) {
		if (counts[j] > mx)
			mx = counts[j];
		if (counts[j] > 0 && (mn < 0 || counts[j] < mn))
			mn = counts[j];
	}
	for (int j = 0; j < k; j++) {
		target[j] = counts[j];
		if (!counts[j])
			continue;
		/* a tiny ratio makes mn / ratio larger than any count (or
		 * infinite): no class is then cut, never a cast out of range */
		int64_t t;
		if (m == IMB_RS_UNDER) {
			if (imb_double_to_i64(floor((double)mn / ratio + 1e-9), 0, INT64_MAX, &t))
				t = INT64_MAX;
			if (counts[j] > t)
				target[j] = t;
		} else {
			if (imb_double_to_i64(floor((double)mx * ratio + 1e-9), 0, INT64_MAX, &t))
				t = 0;
			if (counts[j] < t)
				target[j] = t;
		}
	}
}

/* row r of x as floats into out (d) */
static void row_float(float *out, const imb_tensor *x, size_t r, size_t d)
{
	switch (x->dtype) {
	case IMB_U8: {
		const uint8_t *p = (const uint8_t *)x->data + r * d;
		for (size_t t = 0; t < d; t++)
			out[t] = p[t];
		break;
	}
	case IMB_F32:
		memcpy(out, (const float *)x->data + r * d, d * sizeof *out);
		break;
	case IMB_F64: {
		const double *p = (const double *)x->data + r * d;
		for (size_t t = 0; t < d; t++)
			out[t] = (float)p[t];
		break;
	}
	case IMB_I32: {
		const int32_t *p = (const int32_t *)x->data + r * d;
		for (size_t t = 0; t < d; t++)
			out[t] = (float)p[t];
		break;
	}
	default:
		break;
	}
}

/* dst row = a + u (b - a), in x's dtype. The dynamic cost model lets
 * GCC vectorise the u8 conversions at -O2 (the hot loop of SMOTE on
 * images). */
__attribute__((optimize("vect-cost-model=dynamic")))
static void interp(imb_tensor *dx, size_t dst, const imb_tensor *x, size_t a, size_t b, double u,
                   size_t d)
{
	switch (x->dtype) {
	case IMB_U8: {
		const uint8_t *pa = (const uint8_t *)x->data + a * d, *pb = (const uint8_t *)x->data + b * d;
		uint8_t *o = (uint8_t *)dx->data + dst * d;
		float uf = (float)u;
		/* a convex combination of values in [0, 255], plus one half,
		 * lies in (0, 256): truncation rounds to nearest (half up) */
		for (size_t t = 0; t < d; t++)
			o[t] = (uint8_t)(int)((float)pa[t] + uf * (float)((int)pb[t] - (int)pa[t]) + 0.5f);
		break;
	}
	case IMB_F32: {
		const float *pa = (const float *)x->data + a * d, *pb = (const float *)x->data + b * d;
		float *o = (float *)dx->data + dst * d;
		float uf = (float)u;
		for (size_t t = 0; t < d; t++)
			o[t] = pa[t] + uf * (pb[t] - pa[t]);
		break;
	}
	case IMB_F64: {
		const double *pa = (const double *)x->data + a * d, *pb = (const double *)x->data + b * d;
		double *o = (double *)dx->data + dst * d;
		for (size_t t = 0; t < d; t++)
			o[t] = pa[t] + u * (pb[t] - pa[t]);
		break;
	}
	case IMB_I32: {
		const int32_t *pa = (const int32_t *)x->data + a * d, *pb = (const int32_t *)x->data + b * d;
		int32_t *o = (int32_t *)dx->data + dst * d;
		for (size_t t = 0; t < d; t++)
			o[t] = (int32_t)llround((double)pa[t] + u * ((double)pb[t] - (double)pa[t]));
		break;
	}
	default:
		break;
	}
}

/* A new frame: every row of src, then rows extra[0..ne) of src appended
 * (x's appended rows left for the caller when fill_x is 0). Like
 * imb_dataset_take, without zero-filling and with one copy of the source
 * rows. */
static imb_frame *grow(const imb_frame *src, const size_t *extra, size_t ne, int fill_x)
{
	imb_frame *f = imb_frame_new(src->kind, src->name);
	imb_val_free(f->attrs);
	f->attrs = imb_val_copy(src->attrs);
	uint64_t n = imb_dataset_n(src);
	for (size_t t = 0; t < src->ntensors; t++) {
		const imb_tensor *st = &src->tensors[t];
		uint64_t shape[IMB_MAXDIM];
		memcpy(shape, st->shape, sizeof shape);
		int per_row = st->ndim >= 1 && st->shape[0] == n;
		size_t row = per_row && n ? st->nbytes / n : 0;
		size_t nbytes = per_row ? st->nbytes + ne * row : st->nbytes;
		char *d = imb_payload_alloc(nbytes);
		memcpy(d, st->data, st->nbytes);
		if (per_row) {
			shape[0] = n + ne;
			if (fill_x || strcmp(st->key, "x"))
				for (size_t k = 0; k < ne; k++)
					memcpy(d + st->nbytes + k * row, (const char *)st->data + extra[k] * row, row);
		}
		imb_frame_put_tensor(f, st->key, st->dtype, st->ndim, shape, d);
	}
	return f;
}


float *imb_x_rows_float(const imb_tensor *x, const size_t *rows, size_t n, size_t d)
{
	float *out = imb_xmalloc_aligned((n ? n : 1) * d * sizeof *out);
	for (size_t i = 0; i < n; i++)
		row_float(out + i * d, x, rows ? rows[i] : i, d);
	return out;
}

float *imb_rs_rows_float(const imb_rs_ctx *c, const size_t *rows, size_t n)
{
	return imb_x_rows_float(c->x, rows, n, c->d);
}

int imb_rs_class_k(const imb_rs_ctx *c, int cls, int k, const char *what)
{
	if (k < c->cnt[cls])
		return k;
	int kc = (int)(c->cnt[cls] - 1);
	const char *nm = imb_dataset_class_name(c->f, cls);
	imb_warn("%s: class %d (%s) has %lld samples; %s uses k=%d neighbours", c->lbl, cls,
	         nm ? nm : "?", (long long)c->cnt[cls], what, kc);
	return kc;
}

void imb_rs_plan_reserve(imb_rs_plan *p, size_t more)
{
	if (p->n + more <= p->cap)
		return;
	size_t cap = p->cap ? p->cap : 64;
	while (cap < p->n + more)
		cap *= 2;
	p->a = imb_xrealloc(p->a, cap * sizeof *p->a);
	p->b = imb_xrealloc(p->b, cap * sizeof *p->b);
	p->u = imb_xrealloc(p->u, cap * sizeof *p->u);
	if (p->ngroups)
		p->cat = imb_xrealloc(p->cat, cap * p->ngroups * sizeof *p->cat);
	p->cap = cap;
}

void imb_rs_plan_add(imb_rs_plan *p, size_t a, size_t b, double u)
{
	imb_rs_plan_reserve(p, 1);
	p->a[p->n] = a;
	p->b[p->n] = b;
	p->u[p->n++] = u;
}

/* one-hot: column j of group g of row r set, the group's others zero */
static void set_group(imb_tensor *dx, size_t r, size_t d, const imb_rs_group *g, int32_t j)
{
	for (size_t t = 0; t < g->n; t++) {
		double v = (int32_t)t == j;
		if (dx->dtype == IMB_F32)
			((float *)dx->data)[r * d + g->col + t] = (float)v;
		else if (dx->dtype == IMB_F64)
			((double *)dx->data)[r * d + g->col + t] = v;
	}
}

imb_frame *imb_rs_synth(imb_rs_ctx *c, imb_rs_class_fn gen, imb_rs_plan *p)
{
	imb_frame *out = NULL;
	for (int k = 0; k < c->nk; k++) {
		int64_t need = c->tgt[k] - c->cnt[k];
		if (need > 0 && gen(c, k, need, p) < 0)
			goto done;
	}
	out = grow(c->f, p->a, p->n, 0);
	imb_tensor *dx = imb_frame_tensor(out, "x");
	for (size_t i = 0; i < p->n; i++) {
		interp(dx, c->n + i, c->x, p->a[i], p->b[i], p->u[i], c->d);
		for (size_t g = 0; g < p->ngroups; g++)
			set_group(dx, c->n + i, c->d, &p->groups[g], p->cat[i * p->ngroups + g]);
	}
done:
	free(p->a);
	free(p->b);
	free(p->u);
	free(p->cat);
	return out;
}

static imb_frame *run_random(imb_rs_ctx *c)
{
	size_t total = 0;
	for (int k = 0; k < c->nk; k++)
		total += c->tgt[k] > c->cnt[k] ? c->tgt[k] - c->cnt[k] : 0;
	size_t *idx = imb_xmalloc((total ? total : 1) * sizeof *idx), pos = 0;
	for (int k = 0; k < c->nk; k++)
		for (int64_t i = c->cnt[k]; i < c->tgt[k]; i++)
			idx[pos++] = c->by[k][imb_rng_below(&c->rng, c->cnt[k])];
	imb_frame *out = grow(c->f, idx, pos, 1);
	free(idx);
	return out;
}

static imb_frame *run_under(imb_rs_ctx *c)
{
	/* keep tgt[k] random rows of each class, in source order */
	unsigned char *keep = imb_xcalloc(c->n ? c->n : 1, 1);
	for (int k = 0; k < c->nk; k++) {
		if (c->tgt[k] < c->cnt[k])
			imb_rng_shuffle(&c->rng, c->by[k], c->cnt[k]);
		for (int64_t i = 0; i < c->tgt[k]; i++)
			keep[c->by[k][i]] = 1;
	}
	size_t *idx = imb_xmalloc((c->n ? c->n : 1) * sizeof *idx), pos = 0;
	for (size_t i = 0; i < c->n; i++)
		if (keep[i])
			idx[pos++] = i;
	imb_frame *out = imb_dataset_take(c->f, idx, pos, c->f->name);
	free(idx);
	free(keep);
	return out;
}

int64_t *imb_rs_draw_pairs(imb_rs_ctx *c, size_t ns, int kk, int64_t need, double step_max,
                           imb_rs_plan *p)
{
	int64_t *qpos = imb_xmalloc((ns ? ns : 1) * sizeof *qpos);
	for (size_t i = 0; i < ns; i++)
		qpos[i] = -1;
	imb_rs_plan_reserve(p, need);
	for (int64_t i = 0; i < need; i++) {
		uint64_t sidx = imb_rng_below(&c->rng, (uint64_t)ns * kk);
		qpos[sidx / kk] = 0;
		/* a and b resolved by the caller */
		imb_rs_plan_add(p, sidx, 0, step_max * imb_rng_uniform(&c->rng));
	}
	return qpos;
}

/* imb_rs_smote_draw: every (seed, neighbour) pair and step first, as
 * imblearn does (one index over the pairs), then the neighbours of the
 * seeds drawn only */
void imb_rs_smote_draw(imb_rs_ctx *c, const size_t *by, const float *xc, const uint8_t *xu,
                       size_t nc,
                       const size_t *seeds, size_t ns, int kk, int64_t need, double step_max,
                       imb_rs_plan *p, imb_rs_each_fn each, void *arg)
{
	size_t np0 = p->n;
	int64_t *qpos = imb_rs_draw_pairs(c, ns, kk, need, step_max, p);
	size_t nq = 0;
	size_t *rows = imb_xmalloc((ns ? ns : 1) * sizeof *rows);
	for (size_t i = 0; i < ns; i++)
		if (qpos[i] == 0) {
			qpos[i] = nq;
			rows[nq++] = seeds ? seeds[i] : i;
		}
	int32_t *nn = imb_xmalloc((nq ? nq : 1) * kk * sizeof *nn);
	if (xu)
		imb_knn_rows_u8(nn, xu, nc, c->d, kk, rows, nq);
	else
		imb_knn_rows(nn, xc, nc, c->d, kk, rows, nq);
	for (size_t i = np0; i < p->n; i++) {
		size_t sidx = p->a[i], s = sidx / kk;
		p->a[i] = by[seeds ? seeds[s] : s];
		p->b[i] = by[nn[qpos[s] * kk + sidx % kk]];
		if (each)
			each(c, p, i, nn + qpos[s] * kk, kk, arg);
	}
	free(nn);
	free(rows);
	free(qpos);
}

static int smote_class(imb_rs_ctx *c, int cls, int64_t need, imb_rs_plan *p)
{
	int kk = imb_rs_class_k(c, cls, c->o->k, "SMOTE");
	size_t nc = c->cnt[cls], d = c->d;
	if (c->x->dtype == IMB_U8 && imb_knn_u8_ok(d)) {
		/* u8 images: the exact integer search on the bytes */
		uint8_t *xu = imb_xmalloc(nc * d);
		for (size_t i = 0; i < nc; i++)
			memcpy(xu + i * d, (const uint8_t *)c->x->data + c->by[cls][i] * d, d);
		imb_rs_smote_draw(c, c->by[cls], NULL, xu, nc, NULL, nc, kk, need, 1.0, p, NULL, NULL);
		free(xu);
		return 0;
	}
	float *xc = imb_rs_rows_float(c, c->by[cls], nc);
	imb_rs_smote_draw(c, c->by[cls], xc, NULL, nc, NULL, nc, kk, need, 1.0, p, NULL, NULL);
	free(xc);
	return 0;
}

imb_frame *imb_rs_run_smote(imb_rs_ctx *c)
{
	imb_rs_plan p = {0};
	return imb_rs_synth(c, smote_class, &p);
}

/* the index of x's first NaN or infinite value among nel (f32 or f64),
 * or nel: a whole block is tested at a time (vectorised), the finite
 * values' exponents never all-ones */
static size_t first_nonfinite(const imb_tensor *x, size_t nel)
{
	const size_t blk = 256;
	for (size_t i0 = 0; i0 < nel; i0 += blk) {
		size_t i1 = i0 + blk < nel ? i0 + blk : nel;
		int bad = 0;
		if (x->dtype == IMB_F32) {
			const uint32_t *p = x->data;
			for (size_t i = i0; i < i1; i++)
				bad |= (p[i] & 0x7f800000u) == 0x7f800000u;
		} else {
			const uint64_t *p = x->data;
			for (size_t i = i0; i < i1; i++)
				bad |= (p[i] & 0x7ff0000000000000u) == 0x7ff0000000000000u;
		}
		if (bad)
			for (size_t i = i0; i < i1; i++) {
				double v = x->dtype == IMB_F32 ? ((const float *)x->data)[i]
				                               : ((const double *)x->data)[i];
				if (!isfinite(v))
					return i;
			}
	}
	return nel;
}

int imb_rs_check_finite(const imb_frame *f, const char *lbl, const char *what,
                        const char *hint)
{
	const imb_tensor *x = imb_frame_tensor(f, "x");
	size_t d = imb_dataset_dim(f);
	size_t nel = x && (x->dtype == IMB_F32 || x->dtype == IMB_F64) ? imb_dataset_n(f) * d : 0;
	size_t i = first_nonfinite(x, nel);
	if (i == nel)
		return 0;
	double v = x->dtype == IMB_F32 ? ((const float *)x->data)[i] : ((const double *)x->data)[i];
	return imb_seterr("%s: tensor x: row %zu column %zu is %s; %s needs finite features "
	                  "(impute missing values first%s)",
	                  lbl, i / d, i % d, isnan(v) ? "NaN" : "infinite", what, hint);
}

/* the interpolating methods refuse a frame with one-hot groups (their
 * columns would be blended into fractions) unless told to */
static int check_categorical(imb_rs_ctx *c)
{
	imb_rs_group *g;
	size_t ng;
	if (imb_rs_groups(c->f, c->d, &g, &ng) < 0)
		return -1;
	if (ng && !c->o->blend_categorical) {
		char names[200] = "";
		size_t len = 0;
		for (size_t i = 0; i < ng && len < sizeof names; i++)
			len += snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", g[i].name);
		imb_seterr("%s: x holds one-hot categorical columns (%s); %s would blend them into "
		           "fractions: use --method smote-nc, or --blend-categorical to interpolate them "
		           "as numbers", c->lbl, names, methods[c->o->method].title);
	}
	free(g);
	return ng && !c->o->blend_categorical ? -1 : 0;
}

imb_frame *imb_resample_opts(const imb_frame *f, const imb_rs_opts *o)
{
	if (imb_rs_is_under(o->method))
		return imb_undersample(f, o->method, o->ratio, o->k, o->seed);
	imb_rs_ctx c = {.f = f, .o = o};
	imb_frame_label(f, c.lbl, sizeof c.lbl);
	if (imb_dataset_check(f) < 0)
		return NULL;
	if (!(o->ratio > 0 && o->ratio <= 1)) {
		imb_seterr("ratio %g is outside (0, 1]", o->ratio);
		return NULL;
	}
	imb_rs_method m = o->method;
	int interpolates = methods[m].interp;
	c.nk = imb_dataset_nclasses(f);
	c.by = imb_dataset_byclass(f, &c.cnt);
	c.tgt = imb_xcalloc(c.nk > 0 ? c.nk : 1, sizeof *c.tgt);
	imb_resample_targets(c.tgt, c.cnt, c.nk, m, o->ratio);
	c.n = imb_dataset_n(f);
	c.d = imb_dataset_dim(f);
	c.x = imb_frame_tensor(f, "x");
	c.info = imb_val_map();
	imb_rng_seed(&c.rng, o->seed);
	imb_frame *out = NULL;

	/* an empty class cannot be raised, and cutting every class to it
	 * would leave nothing: no ratio is reachable, so say so */
	for (int k = 0; k < c.nk; k++)
		if (c.cnt[k] == 0) {
			const char *nm = imb_dataset_class_name(f, k);
			imb_seterr("%s: class %d (%s) has no samples, so no class ratio can be reached "
			           "(keep only the classes present with imb-split --classes)",
			           c.lbl, k, nm ? nm : "?");
			goto done;
		}
	/* the interpolating methods' preconditions first, so nothing is
	 * half done */
	if (interpolates)
		for (int k = 0; k < c.nk; k++)
			if (c.tgt[k] > c.cnt[k] && c.cnt[k] < 2) {
				const char *nm = imb_dataset_class_name(f, k);
				imb_seterr("%s: class %d (%s) has %lld sample; %s needs at least 2", c.lbl, k,
				           nm ? nm : "?", (long long)c.cnt[k], methods[m].title);
				goto done;
			}
	/* they interpolate: a NaN or infinite feature would spread into the
	 * synthetic rows (and break the distances), so refuse it */
	if (interpolates) {
		if (imb_rs_check_finite(f, c.lbl, methods[m].title, ", or use --method random") < 0)
			goto done;
		if (m != IMB_RS_SMOTE_NC && check_categorical(&c) < 0)
			goto done;
	}
	out = methods[m].run(&c);
	if (!out)
		goto done;
	imb_val *os = imb_val_map();
	imb_val_set_str(os, "method", imb_rs_method_name(m));
	imb_val_set_float(os, "ratio", o->ratio);
	if (methods[m].params & IMB_RS_P_K)
		imb_val_set_int(os, "k", o->k);
	if (methods[m].params & IMB_RS_P_M)
		imb_val_set_int(os, "m", o->m);
	imb_val_set_int(os, "seed", (int64_t)o->seed);
	imb_val_set(os, "counts_before", imb_val_int_array(c.cnt, c.nk));
	for (size_t i = 0; i < c.info->n; i++) {
		imb_val_set(os, c.info->keys[i], c.info->items[i]);
		c.info->items[i] = NULL;
	}
	imb_val_set(out->attrs, "oversample", os);
	imb_dataset_update_counts(out);
done:
	imb_val_free(c.info);
	imb_dataset_free_byclass(c.by, c.nk);
	free(c.cnt);
	free(c.tgt);
	return out;
}

imb_frame *imb_resample(const imb_frame *f, imb_rs_method m, double ratio, int k, uint64_t seed)
{
	imb_rs_opts o = imb_rs_defaults(m);
	o.ratio = ratio;
	o.k = k;
	o.seed = seed;
	return imb_resample_opts(f, &o);
}
