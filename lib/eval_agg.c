/* eval_agg.c: metrics frames of many runs grouped by their settings:
 * mean and standard error per metric (eval_agg.h). */
#include "eval_agg.h"
#include "evaluate.h"
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static imb_val *num_or_nil(double x)
{
	return isfinite(x) ? imb_val_float(x) : imb_val_nil();
}

static int is_num(const imb_val *v)
{
	return v && (v->t == IMB_V_INT || v->t == IMB_V_FLOAT);
}

typedef struct {
	imb_val *keys;   /* array of the group's key values */
	imb_val *runs;   /* array of maps: metric name -> float (NaN: undefined) */
	imb_val *configs; /* array of the runs' attrs.config */
} agg_group;

struct imb_agg {
	char **by;
	size_t nby;
	char **allow;    /* config keys the user lets pool */
	size_t nallow;
	agg_group *g;
	size_t ng;
	imb_val *names;  /* array of metric names, in order of first appearance */
};

imb_agg *imb_agg_new(char *const *by, size_t nby)
{
	imb_agg *a = imb_xcalloc(1, sizeof *a);
	a->by = imb_xmalloc((nby ? nby : 1) * sizeof *a->by);
	for (size_t i = 0; i < nby; i++)
		a->by[i] = imb_xstrdup(by[i]);
	a->nby = nby;
	a->names = imb_val_arr();
	return a;
}

void imb_agg_free(imb_agg *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nby; i++)
		free(a->by[i]);
	free(a->by);
	for (size_t i = 0; i < a->ng; i++) {
		imb_val_free(a->g[i].keys);
		imb_val_free(a->g[i].runs);
		imb_val_free(a->g[i].configs);
	}
	free(a->g);
	for (size_t i = 0; i < a->nallow; i++)
		free(a->allow[i]);
	free(a->allow);
	imb_val_free(a->names);
	free(a);
}

size_t imb_agg_ngroups(const imb_agg *a) { return a->ng; }

/* order of key values: numbers (by value) before booleans before
 * strings (strcmp) before anything else (by JSON text) */
static int rank(const imb_val *v)
{
	return is_num(v) ? 0 : v->t == IMB_V_BOOL ? 1 : v->t == IMB_V_STR ? 2 : 3;
}

static int val_cmp(const imb_val *x, const imb_val *y)
{
	int rx = rank(x), ry = rank(y);
	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (rx == 0) {
		double a = imb_val_as_double(x, 0), b = imb_val_as_double(y, 0);
		return a < b ? -1 : a > b;
	}
	if (rx == 1)
		return (x->i > y->i) - (x->i < y->i);
	if (rx == 2)
		return strcmp(x->s, y->s);
	char *bx = NULL, *by = NULL;
	size_t lx, ly;
	FILE *fx = open_memstream(&bx, &lx), *fy = open_memstream(&by, &ly);
	if (fx) {
		imb_val_write_json(fx, x, -1);
		fclose(fx);
	}
	if (fy) {
		imb_val_write_json(fy, y, -1);
		fclose(fy);
	}
	int c = strcmp(bx ? bx : "", by ? by : "");
	free(bx);
	free(by);
	return c;
}

static int keys_cmp(const imb_val *a, const imb_val *b)
{
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		int c = val_cmp(a->items[i], b->items[i]);
		if (c)
			return c;
	}
	return (a->n > b->n) - (a->n < b->n);
}

static int group_cmp(const void *x, const void *y)
{
	const agg_group *a = *(agg_group *const *)x, *b = *(agg_group *const *)y;
	return keys_cmp(a->keys, b->keys);
}

static void note_name(imb_agg *a, const char *name)
{
	for (size_t i = 0; i < a->names->n; i++)
		if (strcmp(a->names->items[i]->s, name) == 0)
			return;
	imb_val_push(a->names, imb_val_str(name));
}

int imb_agg_add(imb_agg *a, const imb_frame *f)
{
	char lb[300];
	imb_frame_label(f, lb, sizeof lb);
	const imb_val *config = imb_val_get(f->attrs, "config");
	if (!config || config->t != IMB_V_MAP)
		return imb_seterr("%s: attrs.config is missing or not a map", lb);
	const imb_val *mv = imb_val_get(f->attrs, "metrics");
	if (!mv || mv->t != IMB_V_MAP)
		return imb_seterr("%s: attrs.metrics is missing or not a map", lb);
	imb_val *keys = imb_val_arr();
	for (size_t i = 0; i < a->nby; i++) {
		const imb_val *v = imb_val_get(config, a->by[i]);
		if (!v) {
			imb_val_free(keys);
			return imb_seterr("%s: attrs.config has no key '%s'", lb, a->by[i]);
		}
		imb_val_push(keys, imb_val_copy(v));
	}
	imb_val *run = imb_val_map();
	for (size_t i = 0; i < mv->n; i++) {
		const imb_val *v = mv->items[i];
		if (!is_num(v) && v->t != IMB_V_NIL)
			continue;
		imb_val_set_float(run, mv->keys[i], is_num(v) ? imb_val_as_double(v, NAN) : NAN);
		note_name(a, mv->keys[i]);
	}
	const imb_val *pc = imb_val_get(f->attrs, "per_class");
	for (size_t c = 0; pc && pc->t == IMB_V_ARR && c < pc->n; c++) {
		const char *cls = imb_val_as_str(imb_val_get(pc->items[c], "class"), NULL);
		const imb_val *r = imb_val_get(pc->items[c], "recall");
		if (!cls || !is_num(r))
			continue;
		char name[256];
		snprintf(name, sizeof name, "recall_%s", cls);
		imb_val_set_float(run, name, imb_val_as_double(r, NAN));
		note_name(a, name);
	}
	agg_group *g = NULL;
	for (size_t i = 0; i < a->ng && !g; i++)
		if (keys_cmp(a->g[i].keys, keys) == 0)
			g = &a->g[i];
	if (g) {
		imb_val_free(keys);
	} else {
		a->g = imb_xrealloc(a->g, (a->ng + 1) * sizeof *a->g);
		g = &a->g[a->ng++];
		g->keys = keys;
		g->runs = imb_val_arr();
		g->configs = imb_val_arr();
	}
	imb_val_push(g->runs, run);
	imb_val_push(g->configs, imb_val_copy(config));
	return 0;
}

void imb_agg_allow(imb_agg *a, char *const *keys, size_t n)
{
	a->allow = imb_xrealloc(a->allow, (a->nallow + n + 1) * sizeof *a->allow);
	for (size_t i = 0; i < n; i++)
		a->allow[a->nallow++] = imb_xstrdup(keys[i]);
}

/* config keys whose runs are replicates by nature: seeds (the split's,
 * the training's, the re-sampling's), the cross-validation fold, the
 * model's place in its stream, and the class counts the split drew
 * (data, not settings) */
static const char *const replicate_keys[] = {
	"seed", "param.seed", "oversample_seed", "fold", "model_index",
	"train_counts", "test_counts", "val_counts",
};

const char *const *imb_agg_replicate_keys(size_t *n)
{
	*n = IMB_LEN(replicate_keys);
	return replicate_keys;
}

static int pooled_freely(const imb_agg *a, const char *key)
{
	for (size_t i = 0; i < IMB_LEN(replicate_keys); i++)
		if (!strcmp(key, replicate_keys[i]))
			return 1;
	for (size_t i = 0; i < a->nby; i++)
		if (!strcmp(key, a->by[i]))
			return 1;
	for (size_t i = 0; i < a->nallow; i++)
		if (!strcmp(key, a->allow[i]))
			return 1;
	return 0;
}

/* NULL (a run without the key) equals only NULL */
static int same_val(const imb_val *x, const imb_val *y)
{
	if (!x || !y)
		return !x && !y;
	return val_cmp(x, y) == 0;
}

/* a config value, NULL for the nil that stands for a missing key (a
 * config holds scalars only: build_config never writes nil) */
static const imb_val *missing(const imb_val *v)
{
	return v->t == IMB_V_NIL ? NULL : v;
}

/* a value as text for a message: its JSON, "(none)" for a missing key */
static void put_val(FILE *fp, const imb_val *v)
{
	if (!v)
		fputs("(none)", fp);
	else if (v->t == IMB_V_STR)
		fputs(v->s, fp);
	else
		imb_val_write_json(fp, v, -1);
}

int imb_agg_check(const imb_agg *a)
{
	/* the differing keys in order of first appearance, each with its
	 * distinct values (nil: a run without the key) */
	imb_val *diff = imb_val_map();
	for (size_t i = 0; i < a->ng; i++) {
		/* a key differs within the group when a run's value is not the
		 * first run's (or one of them lacks it) */
		const imb_val *cs = a->g[i].configs, *first = cs->items[0];
		imb_val *keys = imb_val_map();
		for (size_t r = 1; r < cs->n; r++) {
			const imb_val *c = cs->items[r];
			for (size_t k = 0; k < c->n; k++)
				if (!pooled_freely(a, c->keys[k]) &&
				    !same_val(c->items[k], imb_val_get(first, c->keys[k])))
					imb_val_set(keys, c->keys[k], imb_val_bool(1));
			for (size_t k = 0; k < first->n; k++)
				if (!pooled_freely(a, first->keys[k]) && !imb_val_get(c, first->keys[k]))
					imb_val_set(keys, first->keys[k], imb_val_bool(1));
		}
		for (size_t k = 0; k < keys->n; k++) {
			imb_val *seen = imb_val_get(diff, keys->keys[k]);
			if (!seen) {
				imb_val_set(diff, keys->keys[k], imb_val_arr());
				seen = imb_val_get(diff, keys->keys[k]);
			}
			for (size_t q = 0; q < cs->n; q++) {
				const imb_val *v = imb_val_get(cs->items[q], keys->keys[k]);
				int have = 0;
				for (size_t j = 0; j < seen->n && !have; j++)
					have = same_val(missing(seen->items[j]), v);
				if (!have)
					imb_val_push(seen, v ? imb_val_copy(v) : imb_val_nil());
			}
		}
		imb_val_free(keys);
	}
	if (!diff->n) {
		imb_val_free(diff);
		return 0;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		abort();
	for (size_t k = 0; k < diff->n; k++) {
		fprintf(fp, "%s%s (", k ? ", " : "", diff->keys[k]);
		const imb_val *vs = diff->items[k];
		for (size_t j = 0; j < vs->n && j < 4; j++) {
			fputs(j ? ", " : "", fp);
			put_val(fp, missing(vs->items[j]));
		}
		fputs(vs->n > 4 ? ", ...)" : ")", fp);
	}
	fclose(fp);
	imb_seterr("--aggregate: runs pooled into one group differ in attrs.config keys that are "
	           "neither grouped by nor replicate keys: %s; group by them (--aggregate "
	           "KEY,...) to compare them, or --allow-pool KEY,... if pooling them is intended",
	           buf);
	free(buf);
	imb_val_free(diff);
	return -1;
}

static agg_group **sorted_groups(const imb_agg *a)
{
	agg_group **s = imb_xmalloc((a->ng ? a->ng : 1) * sizeof *s);
	for (size_t i = 0; i < a->ng; i++)
		s[i] = &a->g[i];
	qsort(s, a->ng, sizeof *s, group_cmp);
	return s;
}

static void group_stat(const agg_group *g, const char *name, double *mean, double *se,
                       size_t *m)
{
	size_t n = g->runs->n;
	double *x = imb_xmalloc((n ? n : 1) * sizeof *x);
	for (size_t i = 0; i < n; i++)
		x[i] = imb_val_as_double(imb_val_get(g->runs->items[i], name), NAN);
	imb_mean_se(x, n, mean, se, m);
	free(x);
}

/* a number as a TSV cell, "NA" when not finite */
static void put_num(FILE *fp, double x)
{
	imb_val v = {.t = IMB_V_FLOAT, .f = x};
	imb_eval_write_cell(fp, &v);
}

void imb_agg_write_tsv(FILE *fp, const imb_agg *a)
{
	for (size_t i = 0; i < a->nby; i++) {
		imb_write_tsv(fp, a->by[i]);
		fputc('\t', fp);
	}
	fputs("n", fp);
	for (size_t j = 0; j < a->names->n; j++) {
		fputc('\t', fp);
		imb_write_tsv(fp, a->names->items[j]->s);
		fputs("_mean\t", fp);
		imb_write_tsv(fp, a->names->items[j]->s);
		fputs("_se", fp);
	}
	fputc('\n', fp);
	agg_group **s = sorted_groups(a);
	for (size_t i = 0; i < a->ng; i++) {
		for (size_t k = 0; k < a->nby; k++) {
			imb_eval_write_cell(fp, s[i]->keys->items[k]);
			fputc('\t', fp);
		}
		fprintf(fp, "%zu", s[i]->runs->n);
		for (size_t j = 0; j < a->names->n; j++) {
			double mean, se;
			size_t m;
			group_stat(s[i], a->names->items[j]->s, &mean, &se, &m);
			fputc('\t', fp);
			put_num(fp, mean);
			fputc('\t', fp);
			put_num(fp, se);
		}
		fputc('\n', fp);
	}
	free(s);
}

imb_val *imb_agg_json(const imb_agg *a)
{
	imb_val *arr = imb_val_arr();
	agg_group **s = sorted_groups(a);
	for (size_t i = 0; i < a->ng; i++) {
		imb_val *o = imb_val_map();
		for (size_t k = 0; k < a->nby; k++)
			imb_val_set(o, a->by[k], imb_val_copy(s[i]->keys->items[k]));
		imb_val_set_int(o, "n", (int64_t)s[i]->runs->n);
		imb_val *ms = imb_val_map();
		for (size_t j = 0; j < a->names->n; j++) {
			double mean, se;
			size_t m;
			group_stat(s[i], a->names->items[j]->s, &mean, &se, &m);
			imb_val *st = imb_val_map();
			imb_val_set(st, "mean", num_or_nil(mean));
			imb_val_set(st, "se", num_or_nil(se));
			imb_val_set_int(st, "n", (int64_t)m);
			imb_val_set(ms, a->names->items[j]->s, st);
		}
		imb_val_set(o, "metrics", ms);
		imb_val_push(arr, o);
	}
	free(s);
	return arr;
}
