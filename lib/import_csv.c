/* import_csv.c: CSV files through libcsv into table frames.
 *
 * The file is read whole (through zlib) and parsed twice: the first pass
 * checks the shape (every record has the same field count) and which
 * columns hold only numbers; the second fills the table. Records are fed
 * to libcsv one line at a time so every error can name its line. */
#include "import.h"
#include "cli.h"
#include "dataset.h"
#include "util.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small string -> index dictionary (open addressing) ---- */

typedef struct {
	char **s;        /* n strings in insertion order */
	size_t n, cap;
	uint32_t *tab;   /* index + 1, 0 empty */
	size_t tcap;     /* power of two */
} strdict;

static uint64_t hash_str(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t k = 0; k < len; k++)
		h = (h ^ (unsigned char)s[k]) * 1099511628211ull;
	return h;
}

static void dict_free(strdict *d)
{
	for (size_t k = 0; k < d->n; k++)
		free(d->s[k]);
	free(d->s);
	free(d->tab);
	memset(d, 0, sizeof *d);
}

static long dict_find(const strdict *d, const char *s, size_t len)
{
	if (!d->tcap)
		return -1;
	for (size_t h = hash_str(s, len) & (d->tcap - 1);; h = (h + 1) & (d->tcap - 1)) {
		uint32_t e = d->tab[h];
		if (!e)
			return -1;
		const char *t = d->s[e - 1];
		if (strlen(t) == len && memcmp(t, s, len) == 0)
			return e - 1;
	}
}

static void dict_rehash(strdict *d, size_t tcap)
{
	free(d->tab);
	d->tcap = tcap;
	d->tab = imb_xcalloc(tcap, sizeof *d->tab);
	for (size_t k = 0; k < d->n; k++) {
		size_t h = hash_str(d->s[k], strlen(d->s[k])) & (tcap - 1);
		while (d->tab[h])
			h = (h + 1) & (tcap - 1);
		d->tab[h] = (uint32_t)k + 1;
	}
}

static long dict_add(strdict *d, const char *s, size_t len)
{
	long k = dict_find(d, s, len);
	if (k >= 0)
		return k;
	if (d->n == d->cap)
		d->s = imb_xrealloc(d->s, (d->cap = d->cap ? d->cap * 2 : 16) * sizeof *d->s);
	char *c = imb_xmalloc(len + 1);
	memcpy(c, s, len);
	c[len] = 0;
	d->s[d->n++] = c;
	if (2 * d->n >= d->tcap)
		dict_rehash(d, d->tcap ? d->tcap * 2 : 64);
	else {
		size_t h = hash_str(s, len) & (d->tcap - 1);
		while (d->tab[h])
			h = (h + 1) & (d->tcap - 1);
		d->tab[h] = (uint32_t)d->n;
	}
	return (long)d->n - 1;
}

/* ---- helpers ---- */

/* Clinger's fast path: at most 15 digits and no exponent, so mantissa and
 * power of ten are exact doubles and one division rounds correctly, the
 * same result strtod gives. 1 on success, 0 to fall back to strtod. */
static int fast_num(const char *s, double *out)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	                             1e11, 1e12, 1e13, 1e14, 1e15};
	int neg = 0, nd = 0, frac = -1;
	uint64_t m = 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			if (++nd > 15)
				return 0;
			m = m * 10 + (uint64_t)(*s - '0');
			if (frac >= 0)
				frac++;
		} else if (*s == '.' && frac < 0)
			frac = 0;
		else
			break;
	}
	if (*s || nd == 0)
		return 0;
	double v = (double)m;
	if (frac > 0)
		v /= p10[frac];
	*out = neg ? -v : v;
	return 1;
}

/* A field is a number when strtod reads all of it (trailing blanks
 * aside). 1: a number that fits a float: finite, at most FLT_MAX in
 * magnitude (one that underflows is taken as strtod rounds it, to a
 * subnormal or to 0); 0: not a number (text: a category); -1: a number
 * that does not fit a float (1e400, 1e39, "inf", "nan"), an error in a
 * numeric column, never a reason to make it categorical. */
static int parse_num(const char *s, double *out)
{
	if (!*s)
		return 0;
	if (fast_num(s, out))
		return 1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	while (end && (*end == ' ' || *end == '\t'))
		end++;
	if (end == s || *end)
		return 0;
	if (!isfinite(v) || fabs(v) > FLT_MAX)
		return -1;
	*out = v;
	return 1;
}

static int parse_index(const char *s, long *out)
{
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	errno = 0;
	long v = strtol(s, NULL, 10);
	if (errno)
		return 0;
	*out = v;
	return 1;
}

enum { ROLE_NUM, ROLE_CAT, ROLE_LABEL };

typedef union { float f; int32_t i; } cell;

typedef struct {
	const char *path;
	const imb_csv_opts *o;
	const char *missing;
	size_t missing_len;
	int pass;
	long line;
	long rec;          /* records completed, skipped ones included */
	size_t col;        /* field index in the current record */
	size_t ncols;      /* fields per record, from the first one */
	long first_line;   /* line where the first record ends */
	int failed;
	/* pass 1 */
	char **first;      /* fields of the first record after skip */
	size_t nfirst, capfirst;
	int *numeric;      /* per column: every non-missing value below the first record is a number */
	int *seen;         /* per column: a non-missing value below the first record */
	size_t nrest;      /* records after the first one */
	/* pass 2 */
	int header;
	int *role;
	strdict *dicts;    /* per column: categorical vocabulary / label values */
	int *fixed;        /* per column: dictionary is fixed (from like/label_values) */
	char **names;
	size_t row, nrows;
	cell *cells;       /* nrows x ncols */
	uint64_t *unknown; /* per column: values outside a fixed vocabulary */
} pstate;

static int is_missing(const pstate *st, const char *s, size_t len)
{
	return !len || (len == st->missing_len && memcmp(s, st->missing, len) == 0);
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
		if (is_missing(st, f, len))
			return;
		st->seen[c] = 1;
		double v;
		if (st->numeric[c] && parse_num(f, &v) == 0)
			st->numeric[c] = 0;
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
			int r = parse_num(f, &v);
			if (r > 0)
				row[c].f = (float)v;
			else if (r < 0)
				fail(st, "column %zu (%s): %s is out of range for a float (at most %g in "
				     "magnitude, and finite)", c, colname(st, c), f, (double)FLT_MAX);
			else
				fail(st, "column %zu (%s): '%s' is not a number", c, colname(st, c), f);
		}
		break;
	}
	case ROLE_CAT: {
		if (!*f) {
			f = st->missing;
			len = strlen(f);
		}
		long k = st->fixed[c] ? dict_find(&st->dicts[c], f, len) : dict_add(&st->dicts[c], f, len);
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
		long k = st->fixed[c] ? dict_find(&st->dicts[c], f, len) : dict_add(&st->dicts[c], f, len);
		if (k < 0)
			fail(st, "column %zu (%s): label '%.*s' is not one of the %zu classes", c,
			     colname(st, c), (int)len, f, st->dicts[c].n);
		row[c].i = (int32_t)k;
		break;
	}
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

/* resolve a column given by name (preferred) or 0-based index */
static long find_col(const pstate *st, const char *s)
{
	for (size_t c = 0; c < st->ncols; c++)
		if (strcmp(st->names[c], s) == 0)
			return (long)c;
	long k;
	if (parse_index(s, &k) && (size_t)k < st->ncols)
		return k;
	return -1;
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
static size_t *sorted_order(const strdict *d, int numeric)
{
	size_t *ord = imb_xmalloc((d->n ? d->n : 1) * sizeof *ord);
	for (size_t k = 0; k < d->n; k++)
		ord[k] = k;
	double *nums = NULL;
	if (numeric) {
		nums = imb_xmalloc((d->n ? d->n : 1) * sizeof *nums);
		for (size_t k = 0; k < d->n && numeric; k++)
			numeric = parse_num(d->s[k], &nums[k]) > 0;
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
	free(st->role);
	if (st->dicts)
		for (size_t c = 0; c < st->ncols; c++)
			dict_free(&st->dicts[c]);
	free(st->dicts);
	free(st->fixed);
	if (st->names)
		for (size_t c = 0; c < st->ncols; c++)
			free(st->names[c]);
	free(st->names);
	free(st->cells);
	free(st->unknown);
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
		else if (o->label && !parse_index(o->label, &lk))
			header = 1;
		else {
			/* a first record without a single number over a column of numbers */
			int first_text = 1, below_num = 0;
			double v;
			for (size_t c = 0; c < nc; c++)
				if (parse_num(st->first[c], &v) != 0)
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
			if (parse_num(st->first[c], &v) == 0)
				st->numeric[c] = 0;
		}
		st->nrest++;
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
	if (!o->label)
		return imb_seterr("%s: no label column given", st->path);
	long lc = find_col(st, o->label);
	if (lc < 0)
		return imb_seterr("%s: no column '%s' (%zu columns%s)", st->path, o->label, nc,
		                  st->header ? "" : ", no header");
	st->role = imb_xcalloc(nc, sizeof *st->role);
	st->dicts = imb_xcalloc(nc, sizeof *st->dicts);
	st->fixed = imb_xcalloc(nc, sizeof *st->fixed);
	st->unknown = imb_xcalloc(nc, sizeof *st->unknown);
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
				dict_add(&st->dicts[c], s, strlen(s));
			}
		}
	} else if (!cat || strcmp(cat, "auto") == 0) {
		for (size_t c = 0; c < nc; c++)
			st->role[c] = st->numeric[c] ? ROLE_NUM : ROLE_CAT;
	} else if (strcmp(cat, "none") != 0) {
		char *copy = imb_xstrdup(cat), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			long c = find_col(st, t);
			if (c < 0) {
				imb_seterr("%s: no column '%s' (named in the categorical columns)", st->path, t);
				free(copy);
				return -1;
			}
			st->role[c] = ROLE_CAT;
		}
		free(copy);
	}
	st->role[lc] = ROLE_LABEL;
	st->fixed[lc] = 0;
	dict_free(&st->dicts[lc]);
	const imb_val *likecls = o->like ? imb_val_get(o->like, "classes") : NULL;
	if (o->label_values) {
		for (size_t k = 0; k < o->nclasses; k++)
			dict_add(&st->dicts[lc], o->label_values[k], strlen(o->label_values[k]));
		st->fixed[lc] = 1;
	} else if (likecls && likecls->t == IMB_V_ARR) {
		for (size_t k = 0; k < likecls->n; k++) {
			const char *s = imb_val_as_str(likecls->items[k], "");
			dict_add(&st->dicts[lc], s, strlen(s));
		}
		st->fixed[lc] = 1;
	}
	return 0;
}

/* after pass 2: build x, y and the attrs */
static imb_frame *assemble(pstate *st)
{
	const imb_csv_opts *o = st->o;
	size_t nc = st->ncols, n = st->nrows, lc = 0;
	/* sorted vocabularies: remap[c][old] = new */
	size_t **remap = imb_xcalloc(nc, sizeof *remap);
	size_t **order = imb_xcalloc(nc, sizeof *order);
	size_t d = 0;
	for (size_t c = 0; c < nc; c++) {
		strdict *dc = &st->dicts[c];
		if (st->role[c] == ROLE_LABEL)
			lc = c;
		else if (st->role[c] == ROLE_NUM) {
			d++;
			continue;
		} else
			d += dc->n;
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
	imb_frame *f = imb_frame_new("dataset", o->name ? o->name : "train");
	uint64_t xs[2] = {n, d};
	imb_tensor *xt = imb_frame_add_tensor(f, "x", IMB_F32, 2, xs);
	imb_tensor *yt = imb_frame_add_tensor(f, "y", IMB_I32, 1, xs);
	/* adding y may move the tensor array: look x up again */
	xt = imb_frame_tensor(f, "x");
	float *x = xt->data;
	int32_t *y = yt->data;
	for (size_t r = 0; r < n; r++) {
		const cell *row = st->cells + r * nc;
		float *xr = x + r * d;
		size_t j = 0;
		for (size_t c = 0; c < nc; c++) {
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
			}
		}
	}
	/* attrs */
	imb_val *feat = imb_val_arr(), *cat = imb_val_map();
	for (size_t c = 0; c < nc; c++) {
		if (st->role[c] == ROLE_NUM)
			imb_val_push(feat, imb_val_str(st->names[c]));
		else if (st->role[c] == ROLE_CAT) {
			imb_val *voc = imb_val_arr();
			for (size_t k = 0; k < st->dicts[c].n; k++) {
				const char *v = st->dicts[c].s[order[c][k]];
				char *fn;
				if (asprintf(&fn, "%s=%s", st->names[c], v) < 0)
					abort();
				imb_val_push(feat, imb_val_str(fn));
				free(fn);
				imb_val_push(voc, imb_val_str(v));
			}
			imb_val_set(cat, st->names[c], voc);
			if (st->unknown[c])
				imb_warn("%s: %llu values of column '%s' are not in the reference vocabulary "
				         "(encoded as all zeros)", st->path, (unsigned long long)st->unknown[c],
				         st->names[c]);
		}
	}
	strdict *ld = &st->dicts[lc];
	const char **cls = imb_xmalloc((ld->n ? ld->n : 1) * sizeof *cls);
	for (size_t k = 0; k < ld->n; k++)
		cls[k] = (o->label_values && o->class_names) ? o->class_names[k] : ld->s[order[lc][k]];
	imb_import_finish(f, o->source ? o->source : "csv", cls, ld->n);
	free(cls);
	imb_val_set(f->attrs, "features", feat);
	imb_val_set(f->attrs, "categorical", cat);
	imb_val_set_str(f->attrs, "label", st->names[lc]);
	imb_val_set_str(f->attrs, "missing", st->missing);
	for (size_t c = 0; c < nc; c++) {
		free(remap[c]);
		free(order[c]);
	}
	free(remap);
	free(order);
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
	st.missing = opts->missing ? opts->missing : "?";
	st.missing_len = strlen(st.missing);
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
