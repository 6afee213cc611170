/* plot_curves.c: per-class training curves from log frames, averaged
 * over runs; see plot_curves.h. */
#include "plot_curves.h"
#include "metrics.h"
#include "plot_series.h"
#include "stream.h"
#include "util.h"
#include "val.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const metric_names[] = {"error", "acc", "loss"};

int imb_plot_curve_metric(const char *s)
{
	for (size_t i = 0; i < IMB_LEN(metric_names); i++)
		if (!strcmp(s, metric_names[i]))
			return (int)i;
	return -1;
}

const char *imb_plot_curve_metric_name(int metric)
{
	return metric >= 0 && metric < (int)IMB_LEN(metric_names) ? metric_names[metric] : "?";
}

/* ---- runs: one log frame each ---- */

typedef struct {
	char *at;          /* "FILE: frame N (log 'train')" */
	imb_val *keys;     /* the group key values, an array */
	int K;
	char **names;      /* K class names, NULL until found */
	int level;         /* names from: 0 nowhere yet, 1 a dataset frame, 2 a model frame */
	size_t E;
	double *epoch;     /* E */
	double *v, *n;     /* (E, K): the metric, per_class_n */
} run;

static void names_free(char **names, int K)
{
	if (!names)
		return;
	for (int k = 0; k < K; k++)
		free(names[k]);
	free(names);
}

static void run_free(run *r)
{
	free(r->at);
	imb_val_free(r->keys);
	names_free(r->names, r->K);
	free(r->epoch);
	free(r->v);
	free(r->n);
}

/* a value as text: floats that read back exactly, ints, else
 * imb_val_write_text (strings TSV-escaped) */
static void put_val(FILE *fp, const imb_val *v)
{
	if (v->t == IMB_V_FLOAT)
		imb_fprint_double(fp, v->f);
	else if (v->t == IMB_V_INT)
		fprintf(fp, "%lld", (long long)v->i);
	else
		imb_val_write_text(fp, v);
}

/* K class names from attrs.classes, or NULL when it is not K names */
static char **names_of(const imb_val *classes, int K)
{
	if (!classes || classes->t != IMB_V_ARR || classes->n != (size_t)K)
		return NULL;
	char **nm = imb_xcalloc((size_t)K, sizeof *nm);
	for (int k = 0; k < K; k++) {
		const imb_val *c = classes->items[k];
		if (c->t == IMB_V_STR) {
			nm[k] = imb_xstrdup(c->s);
		} else if (c->t == IMB_V_INT) {
			char b[32];
			snprintf(b, sizeof b, "%lld", (long long)c->i);
			nm[k] = imb_xstrdup(b);
		} else {
			names_free(nm, K);
			return NULL;
		}
	}
	return nm;
}

/* the epochs of log frame f into r: the metric and per_class_n */
static int run_epochs(run *r, const imb_frame *f, int metric)
{
	const imb_val *ep = imb_val_get(f->attrs, "epochs");
	if (!ep || ep->t != IMB_V_ARR || !ep->n)
		return imb_seterr("%s: no attrs.epochs (one map per epoch)", r->at);
	const char *field = metric == IMB_PLOT_CURVE_LOSS ? "per_class_loss" : "per_class_acc";
	r->E = ep->n;
	r->epoch = imb_xmalloc(r->E * sizeof *r->epoch);
	for (size_t e = 0; e < ep->n; e++) {
		const imb_val *m = ep->items[e];
		const imb_val *a = m->t == IMB_V_MAP ? imb_val_get(m, field) : NULL;
		if (!a || a->t != IMB_V_ARR || !a->n)
			return imb_seterr("%s: attrs.epochs[%zu] has no %s (a number per class)", r->at,
			                  e, field);
		if (!e) {
			r->K = (int)a->n;
			r->v = imb_xmalloc(r->E * a->n * sizeof *r->v);
			r->n = imb_xmalloc(r->E * a->n * sizeof *r->n);
		} else if (a->n != (size_t)r->K) {
			return imb_seterr("%s: attrs.epochs[%zu].%s has %zu classes, attrs.epochs[0] %d",
			                  r->at, e, field, a->n, r->K);
		}
		r->epoch[e] = imb_val_as_double(imb_val_get(m, "epoch"), (double)(e + 1));
		const imb_val *nn = imb_val_get(m, "per_class_n");
		int has_n = nn && nn->t == IMB_V_ARR && nn->n == a->n;
		for (int k = 0; k < r->K; k++) {
			double x = imb_val_as_double(a->items[k], NAN);
			r->v[e * (size_t)r->K + (size_t)k] = metric == IMB_PLOT_CURVE_ERROR ? 1 - x : x;
			r->n[e * (size_t)r->K + (size_t)k] =
				has_n ? imb_val_as_double(nn->items[k], NAN) : NAN;
		}
	}
	return 0;
}

/* ---- filters and keys ---- */

typedef struct {
	char *key;
	const char *val;
} filter;

/* a comma list of keys; -1 with imb_error() for an empty one */
static int split_keys(const char *list, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	for (const char *p = list; p && *list;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (!l)
			return imb_seterr("--group: bad key list '%s' (KEY[,KEY]...)", list);
		*out = imb_xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[*n] = imb_xmalloc(l + 1);
		memcpy((*out)[*n], p, l);
		(*out)[(*n)++][l] = 0;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

static int value_match(const imb_val *v, const char *want)
{
	double w;
	if (v->t == IMB_V_INT || v->t == IMB_V_FLOAT) {
		if (imb_plot_parse_num(want, &w))
			return 0;
		double x = imb_val_as_double(v, NAN);
		return x == w || fabs(x - w) <= 1e-12 * fmax(fabs(x), fabs(w));
	}
	if (v->t == IMB_V_STR)
		return !strcmp(v->s, want);
	if (v->t == IMB_V_BOOL)
		return v->i ? !strcmp(want, "true") || !strcmp(want, "1")
		            : !strcmp(want, "false") || !strcmp(want, "0");
	/* lists and maps by their JSON text, a list also without brackets */
	char *j = imb_val_json_text(v);
	size_t l = strlen(j), wl = strlen(want);
	int ok = !strcmp(j, want) ||
	         (v->t == IMB_V_ARR && l == wl + 2 && !strncmp(j + 1, want, wl));
	free(j);
	return ok;
}

/* attrs.split's keys, for messages */
static char *key_list(const imb_val *split)
{
	char *s = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&s, &len);
	for (size_t i = 0; split && split->t == IMB_V_MAP && i < split->n; i++)
		fprintf(fp, "%s%s", i ? ", " : "", split->keys[i]);
	fclose(fp);
	return s;
}

/* numbers (by value) before anything else (by JSON text) */
static int val_cmp(const imb_val *a, const imb_val *b)
{
	int na = a->t == IMB_V_INT || a->t == IMB_V_FLOAT, nb = b->t == IMB_V_INT || b->t == IMB_V_FLOAT;
	if (na != nb)
		return na ? -1 : 1;
	if (na) {
		double x = imb_val_as_double(a, 0), y = imb_val_as_double(b, 0);
		return (x > y) - (x < y);
	}
	char *ja = imb_val_json_text(a), *jb = imb_val_json_text(b);
	int c = strcmp(ja, jb);
	free(ja);
	free(jb);
	return c;
}

static int keys_cmp(const run *a, const run *b)
{
	for (size_t i = 0; i < a->keys->n; i++) {
		int c = val_cmp(a->keys->items[i], b->keys->items[i]);
		if (c)
			return c;
	}
	return 0;
}

static const run *sort_base;
static int by_keys(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = keys_cmp(&sort_base[i], &sort_base[j]);
	return c ? c : (i > j) - (i < j);
}

/* ---- reading ---- */

/* give the runs r[0..n) of one stream the class names of a model
 * (level 2) or dataset (level 1) frame where they have none as good */
static void offer_names(run *r, size_t n, const imb_val *classes, int level)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].level < level) {
			char **nm = names_of(classes, r[i].K);
			if (nm) {
				names_free(r[i].names, r[i].K);
				r[i].names = nm;
				r[i].level = level;
			}
		}
}

/* the runs of one stream appended to *runs; 0 or -1 */
static int read_stream(const char *path, const imb_plot_curves_opts *c, char *const *keys,
                       size_t nkeys, const filter *flt, run **runs, size_t *nr, size_t *nread)
{
	const char *shown = strcmp(path, "-") ? path : "the input";
	imb_reader *rd = imb_reader_open(path);
	if (!rd)
		return -1;
	size_t first = *nr;
	imb_val *model_cls = NULL, *ds_cls = NULL;
	imb_frame *f;
	int rc;
	while ((rc = imb_read_frame(rd, &f)) > 0) {
		const imb_val *cls = imb_val_get(f->attrs, "classes");
		int model = !strcmp(f->kind, "model"), ds = !strcmp(f->kind, "dataset");
		if ((model || ds) && cls) {
			/* the first frame after the runs that had none before them */
			offer_names(*runs + first, *nr - first, cls, model ? 2 : 1);
			imb_val **keep = model ? &model_cls : &ds_cls;
			imb_val_free(*keep);
			*keep = imb_val_copy(cls);
		}
		if (strcmp(f->kind, "log")) {
			imb_frame_free(f);
			continue;
		}
		(*nread)++;
		char lb[300];
		run r;
		memset(&r, 0, sizeof r);
		size_t al = strlen(shown) + sizeof lb + 4;
		r.at = imb_xmalloc(al);
		snprintf(r.at, al, "%s: %s", shown, imb_frame_label(f, lb, sizeof lb));
		const imb_val *split = imb_val_get(f->attrs, "split");
		int keep = 1;
		rc = run_epochs(&r, f, c->metric);
		for (size_t i = 0; !rc && keep && i < c->nwhere; i++) {
			const imb_val *v = split ? imb_val_path(split, flt[i].key) : NULL;
			keep = v && value_match(v, flt[i].val);
		}
		if (!rc && keep) {
			r.keys = imb_val_arr();
			for (size_t i = 0; !rc && i < nkeys; i++) {
				const imb_val *v = split ? imb_val_path(split, keys[i]) : NULL;
				if (v) {
					imb_val_push(r.keys, imb_val_copy(v));
				} else if (!split || split->t != IMB_V_MAP) {
					rc = imb_seterr("%s: no attrs.split to group by (a log carries the split "
					                "settings of its train frame: imb-split's)", r.at);
				} else {
					char *l = key_list(split);
					rc = imb_seterr("%s: attrs.split has no '%s' to group by (its keys: %s)",
					                r.at, keys[i], l);
					free(l);
				}
			}
		}
		if (!rc && keep) {
			offer_names(&r, 1, model_cls, 2);
			offer_names(&r, 1, ds_cls, 1);
			*runs = imb_xrealloc(*runs, (*nr + 1) * sizeof **runs);
			(*runs)[(*nr)++] = r;
		} else {
			run_free(&r);
		}
		imb_frame_free(f);
		if (rc)
			break;
	}
	if (rc < 0 && strncmp(imb_error(), shown, strlen(shown)))
		imb_preferr("%s: ", shown);
	imb_reader_close(rd);
	imb_val_free(model_cls);
	imb_val_free(ds_cls);
	/* no names anywhere in the stream: the class indices */
	for (size_t i = first; i < *nr; i++)
		if (!(*runs)[i].names) {
			run *q = &(*runs)[i];
			q->names = imb_xcalloc((size_t)q->K, sizeof *q->names);
			for (int k = 0; k < q->K; k++) {
				char b[32];
				snprintf(b, sizeof b, "%d", k);
				q->names[k] = imb_xstrdup(b);
			}
		}
	return rc < 0 ? -1 : 0;
}

/* the group of runs r[idx[0..n)] (one key), averaged into g */
static int average(imb_plot_curve_group *g, const run *r, const size_t *idx, size_t n,
                   size_t nkeys, char *const *keys)
{
	const run *a = &r[idx[0]];
	char *label = NULL, **cells = imb_xcalloc(nkeys + 1, sizeof *cells);
	size_t len = 0;
	FILE *fp = open_memstream(&label, &len);
	for (size_t i = 0; i < nkeys; i++) {
		size_t cl = 0;
		FILE *cf = open_memstream(&cells[i], &cl);
		put_val(cf, a->keys->items[i]);
		fclose(cf);
		fprintf(fp, "%s%s=%s", i ? ", " : "", keys[i], cells[i]);
	}
	fclose(fp);
	g->label = label;
	g->cells = cells;
	const char *in = *label ? " of group " : "", *gl = *label ? label : "";
	for (size_t j = 1; j < n; j++) {
		const run *b = &r[idx[j]];
		int same = b->E == a->E;
		for (size_t e = 0; same && e < a->E; e++)
			same = b->epoch[e] == a->epoch[e];
		if (!same)
			return imb_seterr("runs%s%s cover other epochs: %s has %zu epochs (%g to %g), "
			                  "%s %zu (%g to %g); runs averaged together must have the same epochs "
			                  "(--group or --where them apart)", in, gl, a->at, a->E,
			                  a->epoch[0], a->epoch[a->E - 1], b->at, b->E, b->epoch[0],
			                  b->epoch[b->E - 1]);
		if (b->K != a->K)
			return imb_seterr("runs%s%s have other class counts: %s has %d classes, %s %d "
			                  "(--group or --where them apart)", in, gl, a->at, a->K, b->at,
			                  b->K);
		for (int k = 0; k < a->K; k++)
			if (strcmp(a->names[k], b->names[k]))
				return imb_seterr("runs%s%s have other classes: %s's class %d is '%s', %s's "
				                  "'%s' (--group or --where them apart)", in, gl, a->at, k,
				                  a->names[k], b->at, b->names[k]);
	}
	size_t K = (size_t)a->K, E = a->E;
	g->nruns = n;
	g->K = a->K;
	g->E = E;
	g->names = imb_xcalloc(K, sizeof *g->names);
	for (size_t k = 0; k < K; k++)
		g->names[k] = imb_xstrdup(a->names[k]);
	g->epoch = imb_xmalloc(E * sizeof *g->epoch);
	memcpy(g->epoch, a->epoch, E * sizeof *g->epoch);
	g->mean = imb_xmalloc(E * K * sizeof *g->mean);
	g->se = imb_xmalloc(E * K * sizeof *g->se);
	g->m = imb_xmalloc(E * K * sizeof *g->m);
	g->n_lo = imb_xmalloc(K * sizeof *g->n_lo);
	g->n_hi = imb_xmalloc(K * sizeof *g->n_hi);
	double *x = imb_xmalloc(n * sizeof *x), se;
	for (size_t i = 0; i < E * K; i++) {
		for (size_t j = 0; j < n; j++)
			x[j] = r[idx[j]].v[i];
		imb_mean_se(x, n, &g->mean[i], &g->se[i], &g->m[i]);
	}
	for (size_t k = 0; k < K; k++) {
		g->n_lo[k] = g->n_hi[k] = NAN;
		for (size_t j = 0; j < n; j++) {
			double *y = imb_xmalloc(E * sizeof *y), mean;
			size_t m;
			for (size_t e = 0; e < E; e++)
				y[e] = r[idx[j]].n[e * K + k];
			imb_mean_se(y, E, &mean, &se, &m);
			free(y);
			if (m && !(mean >= g->n_lo[k]))
				g->n_lo[k] = mean;
			if (m && !(mean <= g->n_hi[k]))
				g->n_hi[k] = mean;
		}
	}
	free(x);
	return 0;
}

static void group_free(imb_plot_curve_group *g, size_t nkeys)
{
	free(g->label);
	for (size_t i = 0; g->cells && i < nkeys; i++)
		free(g->cells[i]);
	free(g->cells);
	names_free(g->names, g->K);
	free(g->n_lo);
	free(g->n_hi);
	free(g->epoch);
	free(g->mean);
	free(g->se);
	free(g->m);
}

void imb_plot_curves_free(imb_plot_curves *cv)
{
	if (!cv)
		return;
	for (size_t i = 0; i < cv->ng; i++)
		group_free(&cv->g[i], cv->nkeys);
	free(cv->g);
	for (size_t i = 0; i < cv->nkeys; i++)
		free(cv->keys[i]);
	free(cv->keys);
	memset(cv, 0, sizeof *cv);
}

int imb_plot_curves_read(char *const *files, int nfiles, const imb_plot_curves_opts *c,
                         imb_plot_curves *cv)
{
	memset(cv, 0, sizeof *cv);
	cv->metric = c->metric;
	if (split_keys(c->group, &cv->keys, &cv->nkeys)) {
		imb_plot_curves_free(cv);
		return -2;
	}
	filter *flt = imb_xcalloc(c->nwhere + 1, sizeof *flt);
	run *runs = NULL;
	size_t nr = 0, *idx = NULL;
	int rc = 0;
	for (size_t i = 0; i < c->nwhere; i++) {
		const char *eq = strchr(c->where[i], '=');
		if (!eq || eq == c->where[i]) {
			imb_seterr("--where: '%s' is not KEY=VALUE", c->where[i]);
			rc = -2;
			goto out;
		}
		flt[i].key = imb_xmalloc((size_t)(eq - c->where[i]) + 1);
		memcpy(flt[i].key, c->where[i], (size_t)(eq - c->where[i]));
		flt[i].key[eq - c->where[i]] = 0;
		flt[i].val = eq + 1;
	}
	for (int i = 0; i < (nfiles ? nfiles : 1); i++)
		if ((rc = read_stream(nfiles ? files[i] : "-", c, cv->keys, cv->nkeys, flt, &runs, &nr,
		                      &cv->nread)))
			goto out;
	if (!cv->nread) {
		rc = imb_seterr("no log frames in the input (imb-train, imb-sam, imb-simclr and "
		                "imb-sghmc write one after a network's model frame)");
		goto out;
	}
	if (!nr) {
		char *w = NULL;
		size_t wl = 0;
		FILE *fp = open_memstream(&w, &wl);
		for (size_t i = 0; i < c->nwhere; i++)
			fprintf(fp, " %s", c->where[i]);
		fclose(fp);
		rc = imb_seterr("none of the %zu log frames read passes --where%s (it compares "
		                "attrs.split's values)", cv->nread, w ? w : "");
		free(w);
		goto out;
	}
	idx = imb_xmalloc(nr * sizeof *idx);
	for (size_t i = 0; i < nr; i++)
		idx[i] = i;
	sort_base = runs;
	qsort(idx, nr, sizeof *idx, by_keys);
	for (size_t i = 0; i < nr;) {
		size_t j = i + 1;
		while (j < nr && !keys_cmp(&runs[idx[i]], &runs[idx[j]]))
			j++;
		cv->g = imb_xrealloc(cv->g, (cv->ng + 1) * sizeof *cv->g);
		memset(&cv->g[cv->ng], 0, sizeof *cv->g);
		if ((rc = average(&cv->g[cv->ng++], runs, idx + i, j - i, cv->nkeys, cv->keys)))
			goto out;
		i = j;
	}
	cv->nruns = nr;
out:
	for (size_t i = 0; i < nr; i++)
		run_free(&runs[i]);
	free(runs);
	free(idx);
	for (size_t i = 0; i < c->nwhere; i++)
		free(flt[i].key);
	free(flt);
	if (rc)
		imb_plot_curves_free(cv);
	return rc;
}

/* ---- the table ---- */

static void put_num(FILE *fp, double v)
{
	if (isfinite(v))
		imb_fprint_double(fp, v);
	else
		fputs("NA", fp);
}

int imb_plot_curves_write_tsv(FILE *fp, const imb_plot_curves *cv)
{
	const char *m = imb_plot_curve_metric_name(cv->metric);
	for (size_t i = 0; i < cv->nkeys; i++) {
		imb_write_tsv(fp, cv->keys[i]);
		fputc('\t', fp);
	}
	fprintf(fp, "epoch\tclass\tclass_name\tn_runs\t%s_mean\t%s_se\n", m, m);
	for (size_t q = 0; q < cv->ng; q++) {
		const imb_plot_curve_group *g = &cv->g[q];
		for (int k = 0; k < g->K; k++)
			for (size_t e = 0; e < g->E; e++) {
				size_t i = e * (size_t)g->K + (size_t)k;
				for (size_t c = 0; c < cv->nkeys; c++)
					fprintf(fp, "%s\t", g->cells[c]);
				put_num(fp, g->epoch[e]);
				fprintf(fp, "\t%d\t", k);
				imb_write_tsv(fp, g->names[k]);
				fprintf(fp, "\t%zu\t", g->m[i]);
				put_num(fp, g->mean[i]);
				fputc('\t', fp);
				put_num(fp, g->se[i]);
				fputc('\n', fp);
			}
	}
	return ferror(fp) ? imb_seterr("writing the table:") : 0;
}

/* ---- the figure ---- */

void imb_plot_curve_label(const imb_plot_curve_group *g, int k, char *buf, size_t size)
{
	double top = NAN;
	int all_eq = 1;
	for (int j = 0; j < g->K; j++) {
		double v = (g->n_lo[j] + g->n_hi[j]) / 2;
		if (isfinite(v) && !(v <= top))
			top = v;
	}
	for (int j = 0; j < g->K; j++)
		if (!(fabs((g->n_lo[j] + g->n_hi[j]) / 2 - top) < 0.5))
			all_eq = 0;
	double nk = (g->n_lo[k] + g->n_hi[k]) / 2;
	size_t l = (size_t)snprintf(buf, size, "%s%s%s", g->label, *g->label ? ": " : "",
	                            g->names[k]);
	if (l >= size || !isfinite(nk))
		return;
	const char *tag = all_eq ? "" : nk >= top - 0.5 ? "majority, " : "minority, ";
	if (llround(g->n_lo[k]) == llround(g->n_hi[k]))
		snprintf(buf + l, size - l, " (%sn = %.0f)", tag, g->n_lo[k]);
	else
		snprintf(buf + l, size - l, " (%sn = %.0f to %.0f)", tag, g->n_lo[k], g->n_hi[k]);
}

int imb_plot_curves_files(const char *dir, const imb_plot_opts *o_in, const imb_plot_curves *cv)
{
	imb_plot_opts o = *o_in;
	size_t ns = 0, maxE = 0, lo = (size_t)-1, hi = 0;
	for (size_t q = 0; q < cv->ng; q++) {
		ns += (size_t)cv->g[q].K;
		maxE = cv->g[q].E > maxE ? cv->g[q].E : maxE;
		lo = cv->g[q].nruns < lo ? cv->g[q].nruns : lo;
		hi = cv->g[q].nruns > hi ? cv->g[q].nruns : hi;
	}
	o.band = maxE > 25;
	o.y_from_zero = 1;
	if (maxE <= 12)
		o.xtic_step = 1;
	imb_plot_series *s = imb_xcalloc(ns + 1, sizeof *s);
	size_t n = 0;
	for (size_t q = 0; q < cv->ng; q++) {
		const imb_plot_curve_group *g = &cv->g[q];
		for (int k = 0; k < g->K; k++) {
			imb_plot_series *p = &s[n];
			char label[1024];
			imb_plot_curve_label(g, k, label, sizeof label);
			p->x = imb_xmalloc(g->E * sizeof *p->x);
			p->y = imb_xmalloc(g->E * sizeof *p->y);
			p->se = imb_xmalloc(g->E * sizeof *p->se);
			for (size_t e = 0; e < g->E; e++) {
				size_t i = e * (size_t)g->K + (size_t)k;
				if (!isfinite(g->mean[i]))
					continue;
				p->x[p->n] = g->epoch[e];
				p->y[p->n] = g->mean[i];
				p->se[p->n++] = isfinite(g->se[i]) ? g->se[i] : 0;
			}
			p->label = imb_xstrdup(label);
			p->color = (cv->ng > 1 ? (int)q : k) + 1;
			p->dash = cv->ng > 1 ? k + 1 : 1;
			if (p->n) {
				n++;
				continue;
			}
			/* nothing finite: no line */
			free(p->label);
			free(p->x);
			free(p->y);
			free(p->se);
			memset(p, 0, sizeof *p);
		}
	}
	if (!n) {
		imb_plot_series_free(s, n);
		return imb_seterr("the logs hold no %s value to draw (an imb-simclr log has no "
		                  "accuracies: --metric loss)",
		                  cv->metric == IMB_PLOT_CURVE_LOSS ? "per_class_loss" : "per_class_acc");
	}
	static const char *const what[] = {"training error", "training accuracy", "training loss"};
	static const char *const unit[] = {"fraction", "fraction", "mean per sample"};
	const char *w = what[cv->metric];
	char ylab[300], title[600], runs[64];
	if (hi == 1)
		snprintf(runs, sizeof runs, "1 run");
	else if (lo == hi)
		snprintf(runs, sizeof runs, "mean over %zu runs, %s +-1 SE", hi, o.band ? "band" : "bars");
	else
		snprintf(runs, sizeof runs, "mean over %zu to %zu runs, %s +-1 SE", lo, hi,
		         o.band ? "band" : "bars");
	snprintf(ylab, sizeof ylab, "%s (%s; %s)", w, unit[cv->metric], runs);
	size_t tl = (size_t)snprintf(title, sizeof title, "%c%s per class by epoch",
	                             w[0] - 'a' + 'A', w + 1);
	for (size_t i = 0; i < cv->nkeys && tl < sizeof title; i++)
		tl += (size_t)snprintf(title + tl, sizeof title - tl, "%s%s",
		                       i ? ", " : ", grouped by ", cv->keys[i]);
	if (!o.xlabel)
		o.xlabel = "epoch";
	if (!o.ylabel)
		o.ylabel = ylab;
	if (!o.title)
		o.title = title;
	int rc = imb_plot_series_files(dir, &o, s, n);
	imb_plot_series_free(s, n);
	return rc;
}
