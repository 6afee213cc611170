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
} agg_group;

struct imb_agg {
	char **by;
	size_t nby;
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
	}
	free(a->g);
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
	}
	imb_val_push(g->runs, run);
	return 0;
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
