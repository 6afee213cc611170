/* import_csv_cols.c: the CSV importer's column choices (--use, --drop),
 * its id tensor and the imputation of missing numbers (import_csv.h). */
#include "import_csv.h"
#include "cli.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

long imb_csv_find_col(char *const *names, size_t ncols, const char *s)
{
	for (size_t c = 0; c < ncols; c++)
		if (strcmp(names[c], s) == 0)
			return (long)c;
	long k;
	if (imb_csv_parse_index(s, &k) && (size_t)k < ncols)
		return k;
	return -1;
}

int imb_csv_mark_cols(const char *list, char *const *names, size_t ncols, int *mark,
                      const char *path, const char *what)
{
	char *copy = imb_xstrdup(list), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
		long c = imb_csv_find_col(names, ncols, t);
		if (c < 0)
			rc = imb_seterr("%s: no column '%s' (named in %s; %zu columns, from 0)", path, t,
			                what, ncols);
		else
			mark[c] = 1;
	}
	free(copy);
	return rc;
}

/* ---- the columns ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* column 0 is an index pandas wrote (named "", distinct integers) */
static int index_column(pstate *st)
{
	if (!st->header || !st->idx_ok || st->nidx != st->nrows || st->names[0][0])
		return 0;
	qsort(st->idx, st->nidx, sizeof *st->idx, cmp_i64);
	for (size_t k = 1; k < st->nidx; k++)
		if (st->idx[k] == st->idx[k - 1])
			return 0;
	return 1;
}

int imb_csv_setup_label_id(pstate *st)
{
	const imb_csv_opts *o = st->o;
	const char *label = o->label;
	st->lc = st->ic = -1;
	if (!label && o->like) {
		/* a file holding the reference frame's label column: its labels */
		const char *ll = imb_val_as_str(imb_val_get(o->like, "label"), NULL);
		if (ll && imb_csv_find_col(st->names, st->ncols, ll) >= 0 && (!o->id || strcmp(o->id, ll))) {
			label = ll;
			imb_warn("%s: column '%s' is the label, as in the reference frame", st->path, ll);
		}
	}
	if (label && (st->lc = imb_csv_find_col(st->names, st->ncols, label)) < 0)
		return imb_seterr("%s: no column '%s' (--label; %zu columns%s)", st->path, label,
		                  st->ncols, st->header ? "" : ", no header");
	if (o->id && (st->ic = imb_csv_find_col(st->names, st->ncols, o->id)) < 0)
		return imb_seterr("%s: no column '%s' (--id; %zu columns%s)", st->path, o->id, st->ncols,
		                  st->header ? "" : ", no header");
	if (st->ic >= 0 && st->ic == st->lc)
		return imb_seterr("%s: column '%s' is both the label and the id", st->path,
		                  st->names[st->lc]);
	return 0;
}

int imb_csv_setup_skips(pstate *st)
{
	const imb_csv_opts *o = st->o;
	size_t nc = st->ncols;
	int *use = imb_xcalloc(nc, sizeof *use), *drop = imb_xcalloc(nc, sizeof *drop);
	int rc = 0;
	if (o->use && imb_csv_mark_cols(o->use, st->names, nc, use, st->path, "--use"))
		rc = -1;
	if (!rc && o->drop && imb_csv_mark_cols(o->drop, st->names, nc, drop, st->path, "--drop"))
		rc = -1;
	for (size_t c = 0; c < nc && !rc; c++)
		if (drop[c] && ((long)c == st->lc || (long)c == st->ic))
			rc = imb_seterr("%s: --drop names column '%s', the %s", st->path, st->names[c],
			                (long)c == st->lc ? "label" : "id");
	const imb_val *lf = o->like ? imb_val_get(o->like, "features") : NULL;
	const imb_val *lcat = o->like ? imb_val_get(o->like, "categorical") : NULL;
	int index = !o->use && index_column(st);
	for (size_t c = 0; c < nc && !rc; c++) {
		if ((long)c == st->lc || (long)c == st->ic)
			continue;
		int skip = (o->use && !use[c]) || drop[c] || (c == 0 && index);
		if (!skip && lf && lf->t == IMB_V_ARR) {
			/* a column that is none of the reference frame's features */
			int known = lcat && lcat->t == IMB_V_MAP && imb_val_get(lcat, st->names[c]);
			for (size_t k = 0; k < lf->n && !known; k++)
				known = !strcmp(imb_val_as_str(lf->items[k], ""), st->names[c]);
			if (!known)
				imb_warn("%s: column '%s' is not a feature of the reference frame: left out",
				         st->path, st->names[c]);
			skip = !known;
		} else if (!skip && c == 0 && index)
			skip = 1;
		if (c == 0 && index && !lf)
			imb_warn("%s: column 0 has no name and holds distinct integers, an index as "
			         "pandas writes it: left out (--use names the columns to keep)", st->path);
		if (skip)
			st->role[c] = ROLE_SKIP;
	}
	free(use);
	free(drop);
	return rc;
}

/* The imputation method: --impute, or the reference frame's (whose
 * values then apply). *ref: its attrs.impute.values or NULL. */
int imb_csv_impute_method(const pstate *st, const char **method, const imb_val **ref)
{
	const imb_csv_opts *o = st->o;
	const imb_val *li = o->like ? imb_val_get(o->like, "impute") : NULL;
	*method = o->impute;
	*ref = NULL;
	if (li) {
		const char *lm = imb_val_as_str(imb_val_get(li, "method"), "");
		if (o->impute && strcmp(o->impute, lm))
			return imb_seterr("%s: --impute %s, but the reference frame was imputed with %s, "
			                  "whose values this file takes", st->path, o->impute, lm);
		*method = lm;
		*ref = imb_val_get(li, "values");
		if (!*ref || (*ref)->t != IMB_V_MAP)
			return imb_seterr("attrs.impute.values of the reference frame is not a map");
	} else if (o->impute && o->like) {
		return imb_seterr("%s: --impute %s with a reference frame that was not imputed: impute "
		                  "the train file, and this one takes its values", st->path, o->impute);
	}
	return 0;
}

/* Decide the category of each missing value of categorical column c:
 * with most-frequent imputation the most frequent category (the
 * reference frame's, or this file's; the smallest of ties), else the
 * missing category of its own. */
int imb_csv_resolve_missing(pstate *st, size_t c, const char *method, const imb_val *ref,
                           imb_val *values)
{
	imb_strdict *dc = &st->dicts[c];
	long k = -1;
	int mf = method && !strcmp(method, "most-frequent");
	if (mf && ref) {
		const char *s = imb_val_as_str(imb_val_get(ref, st->names[c]), NULL);
		if (s)
			k = imb_strdict_find(dc, s, strlen(s));
		if (k < 0 && st->nmiss[c])
			return imb_seterr("%s: column '%s' has missing values but the reference frame's "
			                  "attrs.impute has no category for it", st->path, st->names[c]);
	} else if (mf) {
		uint64_t *cnt = imb_xcalloc(dc->n ? dc->n : 1, sizeof *cnt);
		for (size_t r = 0; r < st->nrows; r++) {
			int32_t v = st->cells[r * st->ncols + c].i;
			if (v >= 0)
				cnt[v]++;
		}
		for (size_t j = 0; j < dc->n; j++)
			if (cnt[j] && (k < 0 || cnt[j] > cnt[k] ||
			               (cnt[j] == cnt[k] && strcmp(dc->s[j], dc->s[k]) < 0)))
				k = (long)j;
		free(cnt);
	}
	if (mf && k >= 0)
		imb_val_set_str(values, st->names[c], dc->s[k]);
	if (!st->nmiss[c])
		return 0;
	if (!mf) {
		const char *m = imb_csv_missing_name(&st->mk);
		k = st->fixed[c] ? imb_strdict_find(dc, m, strlen(m)) : imb_strdict_add(dc, m, strlen(m));
		if (method)
			imb_warn("%s: --impute %s fills numeric features; column '%s' keeps its %llu missing "
			         "values as the category '%s' (most-frequent fills categories)", st->path,
			         method, st->names[c], (unsigned long long)st->nmiss[c], m);
		if (k < 0)
			st->unknown[c] += st->nmiss[c];
	}
	for (size_t r = 0; r < st->nrows; r++) {
		cell *x = &st->cells[r * st->ncols + c];
		if (x->i == CAT_MISSING)
			x->i = (int32_t)k;
	}
	return 0;
}

void imb_csv_column_order(pstate *st)
{
	size_t nc = st->ncols, q = 0;
	st->corder = imb_xmalloc((nc ? nc : 1) * sizeof *st->corder);
	char *placed = imb_xcalloc(nc ? nc : 1, 1);
	const imb_val *lf = st->o->like ? imb_val_get(st->o->like, "features") : NULL;
	for (size_t k = 0; lf && lf->t == IMB_V_ARR && k < lf->n; k++) {
		const char *fn = imb_val_as_str(lf->items[k], "");
		for (size_t c = 0; c < nc; c++) {
			size_t l = strlen(st->names[c]);
			if (placed[c] || !((st->role[c] == ROLE_NUM && !strcmp(fn, st->names[c])) ||
			                   (st->role[c] == ROLE_CAT && !strncmp(fn, st->names[c], l) &&
			                    fn[l] == '=')))
				continue;
			placed[c] = 1;
			st->corder[q++] = c;
			break;
		}
	}
	for (size_t c = 0; c < nc; c++)
		if (!placed[c])
			st->corder[q++] = c;
	free(placed);
}

/* ---- ids ---- */

static int int64_text(const char *s, int64_t *v)
{
	const char *p = s + (*s == '-' || *s == '+');
	if (!*p)
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	char *end;
	errno = 0;
	long long r = strtoll(s, &end, 10);
	if (errno || *end)
		return 0;
	*v = (int64_t)r;
	return 1;
}

void imb_csv_put_ids(imb_frame *f, char *const *ids, size_t n)
{
	int numeric = 1;
	size_t w = 1;
	int64_t v;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(ids[i]);
		if (l > w)
			w = l;
		if (numeric && !int64_text(ids[i], &v))
			numeric = 0;
	}
	if (numeric) {
		uint64_t sh[1] = {n};
		int64_t *d = imb_frame_add_tensor(f, "id", IMB_I64, 1, sh)->data;
		for (size_t i = 0; i < n; i++)
			int64_text(ids[i], &d[i]);
		return;
	}
	uint64_t sh[2] = {n, w};
	char *d = imb_frame_add_tensor(f, "id", IMB_U8, 2, sh)->data;
	memset(d, 0, n * w);
	for (size_t i = 0; i < n; i++)
		memcpy(d + i * w, ids[i], strlen(ids[i]));
}

/* ---- imputation ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* the statistic of v[0..m) (sorted here); NaN when m == 0 */
static double statistic(double *v, size_t m, const char *method)
{
	if (!m)
		return NAN;
	if (!strcmp(method, "mean")) {
		double s = 0;
		for (size_t i = 0; i < m; i++)
			s += v[i];
		return s / (double)m;
	}
	qsort(v, m, sizeof *v, cmp_double);
	if (!strcmp(method, "median"))
		return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
	/* most-frequent: the smallest of the most frequent values, as
	 * scikit-learn's SimpleImputer takes */
	double best = v[0];
	size_t bestn = 0;
	for (size_t i = 0; i < m;) {
		size_t j = i;
		while (j < m && v[j] == v[i])
			j++;
		if (j - i > bestn) {
			bestn = j - i;
			best = v[i];
		}
		i = j;
	}
	return best;
}

int imb_csv_impute_numeric(float *x, size_t n, size_t d, const int *numeric,
                           const char *const *names, const char *method, const imb_val *ref,
                           imb_val *values, const char *path)
{
	double *v = imb_xmalloc((n ? n : 1) * sizeof *v);
	int rc = 0;
	for (size_t j = 0; j < d && !rc; j++) {
		if (!numeric[j])
			continue;
		size_t m = 0, nmiss = 0;
		for (size_t i = 0; i < n; i++) {
			float a = x[i * d + j];
			if (isfinite(a))
				v[m++] = a;
			else if (isnan(a))
				nmiss++;
		}
		double fill;
		if (ref) {
			const imb_val *r = imb_val_get(ref, names[j]);
			if (!r) {
				if (!nmiss)
					continue;
				rc = imb_seterr("%s: feature '%s' has missing values but the reference frame's "
				                "attrs.impute has no value for it", path, names[j]);
				break;
			}
			fill = imb_val_as_double(r, NAN);
		} else {
			fill = statistic(v, m, method);
		}
		if (isnan(fill)) {
			if (nmiss)
				imb_warn("%s: feature '%s' has no value to impute from; its %zu missing values "
				         "stay NaN", path, names[j], nmiss);
			continue;
		}
		imb_val_set_float(values, names[j], fill);
		for (size_t i = 0; i < n; i++)
			if (isnan(x[i * d + j]))
				x[i * d + j] = (float)fill;
	}
	free(v);
	return rc;
}
