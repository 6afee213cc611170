/* import_csv.c: CSV files through libcsv into table frames.
 *
 * The file is read whole (through zlib) and parsed twice: the first pass
 * checks the shape (every record has the same field count) and which
 * columns hold only numbers; the second fills the table. Records are fed
 * to libcsv one line at a time so every error can name its line. The
 * string dictionary and number reading are in import_csv_text.c, column
 * choices, ids and imputation in import_csv_cols.c. */
#include "import.h"
#include "import_csv.h"
#include "cli.h"
#include "dataset.h"
#include "util.h"

#include <csv.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int is_missing(const pstate *st, const char *s, size_t len)
{
	return imb_csv_is_missing(&st->mk, s, len);
}

static void fail(pstate *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(pstate *st, const char *fmt, ...)
{
	if (st->failed)
		return;
	st->failed = 1;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	imb_seterr("%s: line %ld: %s", st->path, st->line, msg);
}

static const char *colname(const pstate *st, size_t c)
{
	return st->names ? st->names[c] : "?";
}

/* pass 1: column 0's integers, for a pandas index column */
static void track_index(pstate *st, const char *f)
{
	char *end;
	long long v = strtoll(f, &end, 10);
	if (!*f || *end || (*f != '-' && (*f < '0' || *f > '9'))) {
		st->idx_ok = 0;
		return;
	}
	if (st->nidx == st->capidx)
		st->idx = imb_xrealloc(st->idx, (st->capidx = st->capidx ? 2 * st->capidx : 1024) *
		                                sizeof *st->idx);
	st->idx[st->nidx++] = v;
}

static void field_pass1(pstate *st, const char *f, size_t len, size_t c)
{
	/* names and categories become msgpack strings, which must be UTF-8 */
	long bad = imb_utf8_bad(f, len);
	if (bad >= 0) {
		fail(st, "column %zu: invalid UTF-8 (byte 0x%02x at offset %ld of the field)", c,
		     (unsigned char)f[bad], bad);
		return;
	}
	const char *nul = memchr(f, 0, len);
	if (nul) {
		fail(st, "column %zu: a NUL byte at offset %td of the field", c, nul - f);
		return;
	}
	if (st->rec == st->o->skip) {
		if (st->nfirst == st->capfirst)
			st->first = imb_xrealloc(st->first, (st->capfirst = st->capfirst ? 2 * st->capfirst : 32) *
			                                    sizeof *st->first);
		char *cp = imb_xmalloc(len + 1);
		memcpy(cp, f, len);
		cp[len] = 0;
		st->first[st->nfirst++] = cp;
		return;
	}
	if (c >= st->ncols)
		return; /* ragged: reported at the record's end */
	if (c == 0 && st->idx_ok)
		track_index(st, f);
	if (is_missing(st, f, len))
		return;
	st->seen[c] = 1;
	double v;
	if (st->numeric[c] && imb_csv_parse_num(f, &v) == 0)
		st->numeric[c] = 0;
}

static void on_field(void *s, size_t len, void *data)
{
	pstate *st = data;
	const char *f = s ? s : "";
	if (!s)
		len = 0;
	size_t c = st->col++;
	if (st->failed || st->rec < st->o->skip)
		return;
	if (st->pass == 1) {
		field_pass1(st, f, len, c);
		return;
	}
	/* pass 2 */
	if (st->rec == st->o->skip && st->header)
		return;
	cell *row = st->cells + st->row * st->ncols;
	switch (st->role[c]) {
	case ROLE_NUM: {
		double v;
		if (is_missing(st, f, len))
			row[c].f = NAN;
		else {
			int r = imb_csv_parse_num(f, &v);
			if (r > 0)
				row[c].f = (float)v;
			else if (r < 0)
				fail(st, "column %zu (%s): %s is out of range for a float (at most %g in "
				     "magnitude)", c, colname(st, c), f, (double)FLT_MAX);
			else
				fail(st, "column %zu (%s): '%s' is not a number", c, colname(st, c), f);
		}
		break;
	}
	case ROLE_CAT: {
		if (is_missing(st, f, len)) {
			row[c].i = CAT_MISSING;
			st->nmiss[c]++;
			break;
		}
		long k = st->fixed[c] ? imb_strdict_find(&st->dicts[c], f, len)
		                      : imb_strdict_add(&st->dicts[c], f, len);
		if (k < 0)
			st->unknown[c]++;
		row[c].i = (int32_t)k;
		break;
	}
	case ROLE_LABEL: {
		if (is_missing(st, f, len)) {
			fail(st, "column %zu (%s): missing label", c, colname(st, c));
			break;
		}
		const char *strip = st->o->label_strip;
		if (strip && len >= strlen(strip) && memcmp(f + len - strlen(strip), strip, strlen(strip)) == 0)
			len -= strlen(strip);
		long k = st->fixed[c] ? imb_strdict_find(&st->dicts[c], f, len)
		                      : imb_strdict_add(&st->dicts[c], f, len);
		if (k < 0)
			fail(st, "column %zu (%s): label '%.*s' is not one of the %zu classes", c,
			     colname(st, c), (int)len, f, st->dicts[c].n);
		row[c].i = (int32_t)k;
		break;
	}
	case ROLE_ID:
		st->ids[st->row] = imb_xstrdup(f);
		break;
	default:
		break;
	}
}

static void on_record(int ch, void *data)
{
	pstate *st = data;
	(void)ch;
	size_t nf = st->col;
	st->col = 0;
	long r = st->rec++;
	if (st->failed || r < st->o->skip)
		return;
	if (st->pass == 1) {
		if (r == st->o->skip) {
			st->ncols = nf;
			st->first_line = st->line;
			st->numeric = imb_xmalloc(nf * sizeof *st->numeric);
			st->seen = imb_xcalloc(nf, sizeof *st->seen);
			for (size_t c = 0; c < nf; c++)
				st->numeric[c] = 1;
			/* pandas' to_csv writes its index as a first column named "" */
			st->idx_ok = nf > 1 && st->nfirst && !st->first[0][0];
			return;
		}
		if (nf != st->ncols)
			fail(st, "%zu fields, expected %zu (as in the first record, line %ld)", nf, st->ncols,
			     st->first_line);
		st->nrest++;
		return;
	}
	if (r == st->o->skip && st->header)
		return;
	st->row++;
}

/* Parse buf with libcsv, line by line. 0 or -1. */
static int run_pass(pstate *st, const char *buf, size_t len, int pass)
{
	struct csv_parser p;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL))
		return imb_seterr("%s: cannot initialise libcsv", st->path);
	csv_set_delim(&p, st->o->sep ? (unsigned char)st->o->sep : ',');
	st->pass = pass;
	st->line = 0;
	st->rec = 0;
	st->col = 0;
	st->row = 0;
	size_t off = 0;
	while (off < len && !st->failed) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) + 1 : len - off;
		st->line++;
		if (csv_parse(&p, buf + off, n, on_field, on_record, st) != n) {
			fail(st, "malformed CSV (%s)", csv_strerror(csv_error(&p)));
			break;
		}
		off += n;
		if (pass == 2 && (st->line & 0xffff) == 0)
			imb_progress("csv", st->row, st->nrows);
	}
	if (!st->failed && csv_fini(&p, on_field, on_record, st))
		fail(st, "malformed CSV (%s)", csv_strerror(csv_error(&p)));
	csv_free(&p);
	return st->failed ? -1 : 0;
}

static long find_col(const pstate *st, const char *s)
{
	return imb_csv_find_col(st->names, st->ncols, s);
}

static const char *const *g_sort_strs;
static int cmp_str_idx(const void *a, const void *b)
{
	return strcmp(g_sort_strs[*(const size_t *)a], g_sort_strs[*(const size_t *)b]);
}
static const double *g_sort_nums;
static int cmp_num_idx(const void *a, const void *b)
{
	double x = g_sort_nums[*(const size_t *)a], y = g_sort_nums[*(const size_t *)b];
	return x < y ? -1 : x > y;
}

/* order[k]: the dictionary entry in sorted position k (numerically when
 * numeric and every entry is a number) */
static size_t *sorted_order(const imb_strdict *d, int numeric)
{
	size_t *ord = imb_xmalloc((d->n ? d->n : 1) * sizeof *ord);
	for (size_t k = 0; k < d->n; k++)
		ord[k] = k;
	double *nums = NULL;
	if (numeric) {
		nums = imb_xmalloc((d->n ? d->n : 1) * sizeof *nums);
		for (size_t k = 0; k < d->n && numeric; k++)
			numeric = imb_csv_parse_num(d->s[k], &nums[k]) > 0 && !isnan(nums[k]);
	}
	if (numeric) {
		g_sort_nums = nums;
		qsort(ord, d->n, sizeof *ord, cmp_num_idx);
	} else {
		g_sort_strs = (const char *const *)d->s;
		qsort(ord, d->n, sizeof *ord, cmp_str_idx);
	}
	free(nums);
	return ord;
}

static void pstate_free(pstate *st)
{
	for (size_t k = 0; k < st->nfirst; k++)
		free(st->first[k]);
	free(st->first);
	free(st->numeric);
	free(st->seen);
	free(st->idx);
	free(st->role);
	if (st->dicts)
		for (size_t c = 0; c < st->ncols; c++)
			imb_strdict_free(&st->dicts[c]);
	free(st->dicts);
	free(st->fixed);
	if (st->names)
		for (size_t c = 0; c < st->ncols; c++)
			free(st->names[c]);
	free(st->names);
	free(st->cells);
	if (st->ids)
		for (size_t r = 0; r < st->nrows; r++)
			free(st->ids[r]);
	free(st->ids);
	free(st->unknown);
	free(st->nmiss);
	free(st->corder);
	imb_csv_markers_free(&st->mk);
}

/* decide the header, name the columns */
static int setup_columns(pstate *st)
{
	const imb_csv_opts *o = st->o;
	size_t nc = st->ncols;
	int header = o->header;
	long lk;
	if (header < 0) {
		if (o->names)
			header = 0;
		else if (o->label && !imb_csv_parse_index(o->label, &lk))
			header = 1;
		else {
			/* a first record without a single number over a column of numbers */
			int first_text = 1, below_num = 0;
			double v;
			for (size_t c = 0; c < nc; c++)
				if (imb_csv_parse_num(st->first[c], &v) != 0)
					first_text = 0;
			for (size_t c = 0; c < nc; c++)
				if (st->numeric[c] && st->seen[c])
					below_num = 1;
			header = first_text && below_num;
		}
	}
	st->header = header;
	if (!header) {
		/* the first record is data: fold it into the column types */
		for (size_t c = 0; c < nc; c++) {
			double v;
			if (is_missing(st, st->first[c], strlen(st->first[c])))
				continue;
			st->seen[c] = 1;
			if (imb_csv_parse_num(st->first[c], &v) == 0)
				st->numeric[c] = 0;
		}
		st->nrest++;
		st->idx_ok = 0;
	}
	st->nrows = st->nrest;
	if (st->nrows == 0)
		return imb_seterr("%s: no data rows", st->path);
	if (o->names && o->nnames != nc)
		return imb_seterr("%s: %zu fields per line, expected %zu", st->path, nc, o->nnames);
	st->names = imb_xmalloc(nc * sizeof *st->names);
	for (size_t c = 0; c < nc; c++) {
		if (o->names)
			st->names[c] = imb_xstrdup(o->names[c]);
		else if (header)
			st->names[c] = imb_xstrdup(st->first[c]);
		else {
			char b[32];
			snprintf(b, sizeof b, "col%zu", c);
			st->names[c] = imb_xstrdup(b);
		}
	}
	return 0;
}

/* column roles and fixed vocabularies */
static int setup_roles(pstate *st)
{
	const imb_csv_opts *o = st->o;
	size_t nc = st->ncols;
	if (imb_csv_setup_label_id(st))
		return -1;
	long lc = st->lc;
	st->role = imb_xcalloc(nc, sizeof *st->role);
	st->dicts = imb_xcalloc(nc, sizeof *st->dicts);
	st->fixed = imb_xcalloc(nc, sizeof *st->fixed);
	st->unknown = imb_xcalloc(nc, sizeof *st->unknown);
	st->nmiss = imb_xcalloc(nc, sizeof *st->nmiss);
	const imb_val *likecat = o->like ? imb_val_get(o->like, "categorical") : NULL;
	const char *cat = o->categorical;
	if (likecat) {
		if (likecat->t != IMB_V_MAP)
			return imb_seterr("attrs.categorical of the reference frame is not a map");
		for (size_t k = 0; k < likecat->n; k++) {
			long c = find_col(st, likecat->keys[k]);
			if (c < 0)
				return imb_seterr("%s: no column '%s' (a categorical column of the reference frame)",
				                  st->path, likecat->keys[k]);
			const imb_val *voc = likecat->items[k];
			if (voc->t != IMB_V_ARR)
				return imb_seterr("attrs.categorical.%s of the reference frame is not an array",
				                  likecat->keys[k]);
			st->role[c] = ROLE_CAT;
			st->fixed[c] = 1;
			for (size_t j = 0; j < voc->n; j++) {
				const char *s = imb_val_as_str(voc->items[j], "");
				imb_strdict_add(&st->dicts[c], s, strlen(s));
			}
		}
	} else if (!cat || strcmp(cat, "auto") == 0) {
		for (size_t c = 0; c < nc; c++)
			st->role[c] = st->numeric[c] ? ROLE_NUM : ROLE_CAT;
	} else if (strcmp(cat, "none") != 0) {
		int *mark = imb_xcalloc(nc, sizeof *mark);
		int rc = imb_csv_mark_cols(cat, st->names, nc, mark, st->path, "the categorical columns");
		for (size_t c = 0; c < nc; c++)
			if (mark[c])
				st->role[c] = ROLE_CAT;
		free(mark);
		if (rc)
			return -1;
	}
	if (st->ic >= 0) {
		st->role[st->ic] = ROLE_ID;
		st->fixed[st->ic] = 0;
		imb_strdict_free(&st->dicts[st->ic]);
		st->ids = imb_xcalloc(st->nrows, sizeof *st->ids);
	}
	if (imb_csv_setup_skips(st))
		return -1;
	if (lc < 0)
		return 0;
	st->role[lc] = ROLE_LABEL;
	st->fixed[lc] = 0;
	imb_strdict_free(&st->dicts[lc]);
	const imb_val *likecls = o->like ? imb_val_get(o->like, "classes") : NULL;
	if (o->label_values) {
		for (size_t k = 0; k < o->nclasses; k++)
			imb_strdict_add(&st->dicts[lc], o->label_values[k], strlen(o->label_values[k]));
		st->fixed[lc] = 1;
	} else if (likecls && likecls->t == IMB_V_ARR) {
		for (size_t k = 0; k < likecls->n; k++) {
			const char *s = imb_val_as_str(likecls->items[k], "");
			imb_strdict_add(&st->dicts[lc], s, strlen(s));
		}
		st->fixed[lc] = 1;
	}
	return 0;
}

/* attrs.features, attrs.categorical, the one-hot x and y */
static void fill_frame(pstate *st, imb_frame *f, size_t **remap, size_t **order, size_t d,
                       int *numeric, char **fnames)
{
	size_t nc = st->ncols, n = st->nrows;
	uint64_t xs[2] = {n, d};
	imb_frame_add_tensor(f, "x", IMB_F32, 2, xs);
	int32_t *y = st->lc >= 0 ? imb_frame_add_tensor(f, "y", IMB_I32, 1, xs)->data : NULL;
	/* adding y may move the tensor array: look x up after */
	float *x = imb_frame_tensor(f, "x")->data;
	for (size_t r = 0; r < n; r++) {
		const cell *row = st->cells + r * nc;
		float *xr = x + r * d;
		size_t j = 0;
		for (size_t q = 0; q < nc; q++) {
			size_t c = st->corder[q];
			switch (st->role[c]) {
			case ROLE_NUM:
				xr[j++] = row[c].f;
				break;
			case ROLE_CAT:
				if (row[c].i >= 0)
					xr[j + remap[c][row[c].i]] = 1.0f;
				j += st->dicts[c].n;
				break;
			case ROLE_LABEL:
				y[r] = (int32_t)remap[c][row[c].i];
				break;
			default:
				break;
			}
		}
	}
	imb_val *feat = imb_val_arr(), *cat = imb_val_map();
	size_t j = 0;
	for (size_t q = 0; q < nc; q++) {
		size_t c = st->corder[q];
		if (st->role[c] == ROLE_NUM) {
			numeric[j] = 1;
			fnames[j++] = imb_xstrdup(st->names[c]);
			imb_val_push(feat, imb_val_str(st->names[c]));
		} else if (st->role[c] == ROLE_CAT) {
			imb_val *voc = imb_val_arr();
			for (size_t k = 0; k < st->dicts[c].n; k++) {
				const char *v = st->dicts[c].s[order[c][k]];
				char *fn;
				if (asprintf(&fn, "%s=%s", st->names[c], v) < 0)
					abort();
				imb_val_push(feat, imb_val_str(fn));
				fnames[j++] = fn;
				imb_val_push(voc, imb_val_str(v));
			}
			imb_val_set(cat, st->names[c], voc);
			if (st->unknown[c])
				imb_warn("%s: %llu values of column '%s' are not in the reference vocabulary "
				         "(encoded as all zeros)", st->path, (unsigned long long)st->unknown[c],
				         st->names[c]);
		}
	}
	imb_val_set(f->attrs, "features", feat);
	imb_val_set(f->attrs, "categorical", cat);
}

/* after pass 2: build x, y, the id and the attrs; NULL with imb_error() */
static imb_frame *assemble(pstate *st)
{
	const imb_csv_opts *o = st->o;
	size_t nc = st->ncols, n = st->nrows;
	const char *method;
	const imb_val *ref;
	if (imb_csv_impute_method(st, &method, &ref))
		return NULL;
	imb_val *values = imb_val_map();
	for (size_t c = 0; c < nc; c++)
		if (st->role[c] == ROLE_CAT && imb_csv_resolve_missing(st, c, method, ref, values)) {
			imb_val_free(values);
			return NULL;
		}
	/* sorted vocabularies: remap[c][old] = new */
	size_t **remap = imb_xcalloc(nc, sizeof *remap);
	size_t **order = imb_xcalloc(nc, sizeof *order);
	size_t d = 0;
	for (size_t c = 0; c < nc; c++) {
		imb_strdict *dc = &st->dicts[c];
		if (st->role[c] == ROLE_NUM)
			d++;
		if (st->role[c] == ROLE_CAT)
			d += dc->n;
		if (st->role[c] != ROLE_CAT && st->role[c] != ROLE_LABEL)
			continue;
		if (st->fixed[c]) {
			order[c] = imb_xmalloc((dc->n ? dc->n : 1) * sizeof **order);
			for (size_t k = 0; k < dc->n; k++)
				order[c][k] = k;
		} else
			order[c] = sorted_order(dc, st->role[c] == ROLE_LABEL);
		remap[c] = imb_xmalloc((dc->n ? dc->n : 1) * sizeof **remap);
		for (size_t k = 0; k < dc->n; k++)
			remap[c][order[c][k]] = k;
	}
	imb_csv_column_order(st);
	imb_frame *f = imb_frame_new("dataset", o->name ? o->name : "train");
	int *numeric = imb_xcalloc(d ? d : 1, sizeof *numeric);
	char **fnames = imb_xcalloc(d ? d : 1, sizeof *fnames);
	fill_frame(st, f, remap, order, d, numeric, fnames);
	int rc = 0;
	if (method)
		rc = imb_csv_impute_numeric(imb_frame_tensor(f, "x")->data, n, d, numeric,
		                            (const char *const *)fnames, method, ref, values, st->path);
	if (!rc && method) {
		imb_val *im = imb_val_map();
		imb_val_set_str(im, "method", method);
		imb_val_set(im, "values", values);
		imb_val_set(f->attrs, "impute", im);
	} else
		imb_val_free(values);
	if (st->ic >= 0)
		imb_csv_put_ids(f, st->ids, n);
	/* classes: the label's, or with no label the reference frame's */
	const char **cls = NULL;
	size_t ncls = 0;
	const imb_val *likecls = o->like ? imb_val_get(o->like, "classes") : NULL;
	if (st->lc >= 0) {
		imb_strdict *ld = &st->dicts[st->lc];
		ncls = ld->n;
		cls = imb_xmalloc((ncls ? ncls : 1) * sizeof *cls);
		for (size_t k = 0; k < ncls; k++)
			cls[k] = (o->label_values && o->class_names) ? o->class_names[k]
			                                             : ld->s[order[st->lc][k]];
	} else if (likecls && likecls->t == IMB_V_ARR) {
		ncls = likecls->n;
		cls = imb_xmalloc((ncls ? ncls : 1) * sizeof *cls);
		for (size_t k = 0; k < ncls; k++)
			cls[k] = imb_val_as_str(likecls->items[k], "");
	}
	char *src = o->source ? NULL : imb_import_dataset_name(st->path);
	imb_import_finish(f, o->source ? o->source : src, cls, ncls);
	free(src);
	free(cls);
	if (st->lc >= 0)
		imb_val_set_str(f->attrs, "label", st->names[st->lc]);
	if (st->ic >= 0)
		imb_val_set_str(f->attrs, "id", st->names[st->ic]);
	imb_val_set_str(f->attrs, "missing", o->missing ? o->missing : IMB_CSV_MISSING);
	for (size_t c = 0; c < nc; c++) {
		free(remap[c]);
		free(order[c]);
	}
	for (size_t j = 0; j < d; j++)
		free(fnames[j]);
	free(fnames);
	free(numeric);
	free(remap);
	free(order);
	if (rc) {
		imb_frame_free(f);
		return NULL;
	}
	return f;
}

/* with opts->like: the features must match the reference frame's */
static int check_like(const pstate *st, const imb_frame *f)
{
	const imb_val *want = imb_val_get(st->o->like, "features");
	const imb_val *have = imb_val_get(f->attrs, "features");
	if (!want || want->t != IMB_V_ARR)
		return 0;
	if (want->n != have->n)
		return imb_seterr("%s: %zu feature columns, the reference frame has %zu", st->path, have->n,
		                  want->n);
	for (size_t k = 0; k < want->n; k++)
		if (strcmp(imb_val_as_str(want->items[k], ""), have->items[k]->s))
			return imb_seterr("%s: feature %zu is '%s', the reference frame's is '%s'", st->path, k,
			                  have->items[k]->s, imb_val_as_str(want->items[k], ""));
	return 0;
}

int imb_import_csv(const char *path, const imb_csv_opts *opts, imb_frame **out)
{
	size_t len;
	const char *label = (!path || strcmp(path, "-") == 0) ? "stdin" : path;
	char *buf = imb_import_slurp(path, &len);
	if (!buf)
		return -1;
	pstate st = {0};
	st.path = label;
	st.o = opts;
	imb_csv_markers_init(&st.mk, opts->missing);
	int rc = -1;
	/* a UTF-8 byte order mark is not part of the first field */
	const char *text = buf;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		text += 3, len -= 3;
	if (run_pass(&st, text, len, 1))
		goto out;
	if (st.rec <= opts->skip) {
		imb_seterr("%s: empty file (no records)", label);
		goto out;
	}
	if (setup_columns(&st) || setup_roles(&st))
		goto out;
	size_t total;
	if (imb_mul_overflow(st.nrows, st.ncols, &total) || imb_mul_overflow(total, sizeof(cell), &total)) {
		imb_seterr("%s: table too large", label);
		goto out;
	}
	st.cells = imb_xmalloc(total ? total : 1);
	if (run_pass(&st, text, len, 2))
		goto out;
	imb_progress("csv", st.nrows, st.nrows);
	imb_progress_done();
	imb_frame *f = assemble(&st);
	if (!f)
		goto out;
	if (opts->like && check_like(&st, f)) {
		imb_frame_free(f);
		goto out;
	}
	if (!opts->source)
		imb_import_set_path(f, "file", label);
	*out = f;
	rc = 0;
out:
	pstate_free(&st);
	free(buf);
	return rc;
}
