/* plot_series.c: the input of a line plot, TSV tables, series selection
 * and the series data file; see plot_series.h. */
#include "plot_series.h"
#include "eval_agg.h"
#include "plot.h"
#include "stream.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the input ---- */

char *imb_plot_read_input(char *const *files, int nfiles, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	for (int k = 0; k < (nfiles ? nfiles : 1); k++) {
		const char *path = nfiles ? files[k] : "-";
		FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
		if (!fp) {
			imb_seterr("%s: %s", path, strerror(errno));
			free(buf);
			return NULL;
		}
		char chunk[1 << 16];
		size_t r;
		while ((r = fread(chunk, 1, sizeof chunk, fp)) > 0) {
			buf = imb_xrealloc(buf, n + r + 1);
			memcpy(buf + n, chunk, r);
			n += r;
		}
		if (ferror(fp)) {
			imb_seterr("reading %s: %s", path, strerror(errno));
			if (fp != stdin)
				fclose(fp);
			free(buf);
			return NULL;
		}
		if (fp != stdin)
			fclose(fp);
	}
	if (!buf)
		buf = imb_xmalloc(1);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* a stream of frames begins with a msgpack map */
static int is_stream(const char *buf, size_t n)
{
	unsigned char c = n ? (unsigned char)buf[0] : 0;
	return (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf;
}

int imb_plot_input_is_table(const char *mode, const char *text, size_t len)
{
	if (is_stream(text, len))
		return imb_seterr("%s reads a TSV table; the input is a stream of frames", mode);
	return 0;
}

/* the TSV of the metrics frames in dir/input.imb, aggregated by the keys
 * by[0..nby) */
static int aggregate(const char *dir, char *const *by, size_t nby, char **tsv, size_t *len)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/input.imb", dir);
	imb_reader *r = imb_reader_open(path);
	if (!r)
		return -1;
	imb_agg *a = imb_agg_new(by, nby);
	imb_frame *f;
	size_t nm = 0;
	int rc;
	while ((rc = imb_read_frame(r, &f)) > 0) {
		if (!strcmp(f->kind, "metrics")) {
			rc = imb_agg_add(a, f);
			nm++;
		}
		imb_frame_free(f);
		if (rc < 0)
			break;
	}
	imb_reader_close(r);
	if (!rc && !nm)
		rc = imb_seterr("no metrics frames in the input (imb-eval makes them)");
	if (!rc) {
		*tsv = NULL;
		FILE *fp = open_memstream(tsv, len);
		imb_agg_write_tsv(fp, a);
		fclose(fp);
	}
	imb_agg_free(a);
	return rc;
}

int imb_plot_input_tsv(const char *dir, char **text, size_t *len, int frames, const char *x,
                       const char *group)
{
	if (!is_stream(*text, *len))
		return 0;
	if (!frames)
		return imb_plot_input_is_table("lines", *text, *len);
	/* the reader reads files: the frames go through the temporary directory */
	if (imb_plot_put(dir, "input.imb", *text, *len))
		return -1;
	enum { MAXBY = 17 };
	char *by[MAXBY];
	size_t nby = 0;
	int rc = 0;
	by[nby++] = imb_xstrdup(x);
	for (const char *p = group; p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (!l || nby == MAXBY) {
			imb_seterr("--group: bad column list '%s'", group);
			rc = -2;
			break;
		}
		by[nby] = imb_xmalloc(l + 1);
		memcpy(by[nby], p, l);
		by[nby++][l] = 0;
		p = e ? e + 1 : NULL;
	}
	char *tsv;
	size_t tlen;
	if (!rc)
		rc = aggregate(dir, by, nby, &tsv, &tlen);
	for (size_t i = 0; i < nby; i++)
		free(by[i]);
	if (rc)
		return rc;
	free(*text);
	*text = tsv;
	*len = tlen;
	return 0;
}

/* ---- tables ---- */

int imb_table_parse(char *text, size_t len, imb_table *t)
{
	memset(t, 0, sizeof *t);
	/* room for the last line's terminator */
	text = imb_xrealloc(text, len + 1);
	text[len] = 0;
	t->buf = text;
	size_t cap = 0, line = 0;
	char *p = text, *end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;
		line++;
		*e = 0;
		if (e > p && e[-1] == '\r')
			e[-1] = 0;
		char *next = nl ? nl + 1 : end;
		if (!*p) {
			p = next;
			continue;
		}
		/* split on tabs in place */
		size_t nf = 1;
		for (char *q = p; *q; q++)
			nf += *q == '\t';
		char **dst;
		int header = !t->head;
		if (header) {
			t->ncols = nf;
			t->head = imb_xmalloc(nf * sizeof *t->head);
			dst = t->head;
		} else if (nf != t->ncols) {
			imb_seterr("line %zu: %zu fields, the header has %zu", line, nf, t->ncols);
			imb_table_free(t);
			return -1;
		} else {
			if (t->nrows == cap) {
				cap = cap ? 2 * cap : 64;
				t->cell = imb_xrealloc(t->cell, cap * t->ncols * sizeof *t->cell);
			}
			dst = t->cell + t->nrows * t->ncols;
		}
		size_t k = 0;
		char *f = p;
		for (char *q = p;; q++)
			if (*q == '\t' || !*q) {
				int last = !*q;
				*q = 0;
				dst[k++] = f;
				f = q + 1;
				if (last)
					break;
			}
		if (!header)
			t->nrows++;
		p = next;
	}
	if (!t->head) {
		imb_table_free(t);
		return imb_seterr("empty table: no header line");
	}
	return 0;
}

int imb_table_col(const imb_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->head[i], name))
			return (int)i;
	return -1;
}

void imb_table_free(imb_table *t)
{
	if (!t)
		return;
	free(t->head);
	free(t->cell);
	free(t->buf);
	memset(t, 0, sizeof *t);
}

/* ---- cells, columns and filters ---- */

int imb_plot_is_na(const char *s)
{
	return !*s || !strcmp(s, "NA") || !strcmp(s, "nan") || !strcmp(s, "NaN") ||
	       !strcmp(s, "-nan") || !strcmp(s, "null");
}

int imb_plot_parse_num(const char *s, double *v)
{
	char *e;
	errno = 0;
	*v = strtod(s, &e);
	return e != s && !*e && errno != ERANGE && isfinite(*v) ? 0 : -1;
}

int imb_table_need_col(const imb_table *t, const char *name, const char *what)
{
	int c = imb_table_col(t, name);
	if (c >= 0)
		return c;
	char *list = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&list, &len);
	for (size_t i = 0; i < t->ncols; i++)
		fprintf(fp, "%s%s", i ? ", " : "", t->head[i]);
	fclose(fp);
	imb_seterr("%s: no column '%s' (the columns: %s)", what, name, list ? list : "");
	free(list);
	return -1;
}

int imb_plot_group_cols(const imb_table *t, const char *group, int *cols, int max)
{
	int ng = 0;
	if (!group || !*group)
		return 0;
	for (const char *p = group;;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char name[256];
		if (!l || l >= sizeof name || ng == max)
			return imb_seterr("group: bad column list '%s'", group);
		memcpy(name, p, l);
		name[l] = 0;
		if ((cols[ng++] = imb_table_need_col(t, name, "group")) < 0)
			return -1;
		if (!e)
			return ng;
		p = e + 1;
	}
}

char *imb_plot_group_label(char *const *row, const int *cols, int n)
{
	char *label = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&label, &len);
	for (int g = 0; g < n; g++)
		fprintf(fp, "%s%s", g ? " " : "", row[cols[g]]);
	fclose(fp);
	return label;
}

int imb_plot_value_eq(const char *cell, const char *value)
{
	double a, b;
	if (!strcmp(cell, value))
		return 1;
	return !imb_plot_parse_num(cell, &a) && !imb_plot_parse_num(value, &b) && a == b;
}

int imb_plot_where_init(imb_plot_where *w, const imb_table *t, char *const *where, size_t n)
{
	w->n = n;
	w->col = imb_xcalloc(n + 1, sizeof *w->col);
	w->val = imb_xcalloc(n + 1, sizeof *w->val);
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(where[i], '=');
		char name[256];
		size_t l = eq ? (size_t)(eq - where[i]) : 0;
		if (!l)
			imb_seterr("where: '%s' is not COLUMN=VALUE", where[i]);
		else if (l >= sizeof name)
			imb_seterr("where: column name too long");
		if (!l || l >= sizeof name)
			goto fail;
		memcpy(name, where[i], l);
		name[l] = 0;
		if ((w->col[i] = imb_table_need_col(t, name, "where")) < 0)
			goto fail;
		w->val[i] = eq + 1;
	}
	return 0;
fail:
	imb_plot_where_free(w);
	return -1;
}

int imb_plot_where_keep(const imb_plot_where *w, char *const *row)
{
	for (size_t i = 0; i < w->n; i++)
		if (!imb_plot_value_eq(row[w->col[i]], w->val[i]))
			return 0;
	return 1;
}

void imb_plot_where_free(imb_plot_where *w)
{
	if (!w)
		return;
	free(w->col);
	free(w->val);
	memset(w, 0, sizeof *w);
}

/* ---- series ---- */

typedef struct {
	double x, y, se;
} pt;

static int cmp_pt(const void *a, const void *b)
{
	double x = ((const pt *)a)->x, y = ((const pt *)b)->x;
	return (x > y) - (x < y);
}

int imb_plot_select_cols(const imb_table *t, const imb_plot_select *sel, imb_plot_cols *c)
{
	memset(c, 0, sizeof *c);
	c->x = imb_table_need_col(t, sel->x, "x");
	c->y = c->x < 0 ? -1 : imb_table_need_col(t, sel->y, "y");
	if (c->x < 0 || c->y < 0)
		return -1;
	c->se = -1;
	if (sel->se && (c->se = imb_table_need_col(t, sel->se, "error bars")) < 0)
		return -1;
	c->ngroup = imb_plot_group_cols(t, sel->group, c->group, (int)IMB_LEN(c->group));
	if (c->ngroup < 0)
		return -1;
	return imb_plot_where_init(&c->where, t, sel->where, sel->nwhere) ? -1 : 0;
}

int imb_plot_series_select(const imb_table *t, const imb_plot_select *sel,
                           imb_plot_series **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	imb_plot_cols c;
	if (imb_plot_select_cols(t, sel, &c))
		return -1;
	int cx = c.x, cy = c.y, cse = c.se, ng = c.ngroup, *gc = c.group;
	imb_plot_where w = c.where;
	imb_plot_series *s = NULL;
	pt **pts = NULL;
	size_t ns = 0, *cap = NULL;
	for (size_t r = 0; r < t->nrows; r++) {
		char *const *row = t->cell + r * t->ncols;
		if (!imb_plot_where_keep(&w, row) || imb_plot_is_na(row[cx]) ||
		    imb_plot_is_na(row[cy]))
			continue;
		pt v = {0, 0, 0};
		if (imb_plot_parse_num(row[cx], &v.x) || imb_plot_parse_num(row[cy], &v.y) ||
		    (cse >= 0 && !imb_plot_is_na(row[cse]) && imb_plot_parse_num(row[cse], &v.se))) {
			imb_seterr("row %zu: '%s' / '%s'%s%s: not a number", r + 1, row[cx], row[cy],
			           cse >= 0 ? " / " : "", cse >= 0 ? row[cse] : "");
			goto fail_s;
		}
		if (sel->positive_x && !(v.x > 0)) {
			imb_seterr("row %zu: %s = %s: a log-scaled x axis needs values > 0", r + 1,
			           sel->x, row[cx]);
			goto fail_s;
		}
		char *label = imb_plot_group_label(row, gc, ng);
		size_t k;
		for (k = 0; k < ns; k++)
			if (!strcmp(s[k].label, label))
				break;
		if (k == ns) {
			s = imb_xrealloc(s, (ns + 1) * sizeof *s);
			pts = imb_xrealloc(pts, (ns + 1) * sizeof *pts);
			cap = imb_xrealloc(cap, (ns + 1) * sizeof *cap);
			memset(&s[ns], 0, sizeof *s);
			s[ns].label = label;
			pts[ns] = NULL;
			cap[ns] = 0;
			ns++;
		} else {
			free(label);
		}
		if (s[k].n == cap[k]) {
			cap[k] = cap[k] ? 2 * cap[k] : 16;
			pts[k] = imb_xrealloc(pts[k], cap[k] * sizeof **pts);
		}
		pts[k][s[k].n++] = v;
	}
	if (!ns) {
		imb_seterr("no rows with numbers in '%s' and '%s'%s", sel->x, sel->y,
		           sel->nwhere ? " that pass the filters" : "");
		goto fail_s;
	}
	for (size_t k = 0; k < ns; k++) {
		qsort(pts[k], s[k].n, sizeof **pts, cmp_pt);
		s[k].x = imb_xmalloc(s[k].n * sizeof(double));
		s[k].y = imb_xmalloc(s[k].n * sizeof(double));
		s[k].se = cse >= 0 ? imb_xmalloc(s[k].n * sizeof(double)) : NULL;
		for (size_t i = 0; i < s[k].n; i++) {
			s[k].x[i] = pts[k][i].x;
			s[k].y[i] = pts[k][i].y;
			if (s[k].se)
				s[k].se[i] = pts[k][i].se;
		}
		free(pts[k]);
	}
	free(pts);
	free(cap);
	imb_plot_where_free(&w);
	*out = s;
	*nout = ns;
	return 0;
fail_s:
	for (size_t k = 0; k < ns; k++) {
		free(s[k].label);
		free(pts[k]);
	}
	free(s);
	free(pts);
	free(cap);
	imb_plot_where_free(&w);
	return -1;
}

void imb_plot_series_free(imb_plot_series *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++) {
		free(s[i].label);
		free(s[i].x);
		free(s[i].y);
		free(s[i].se);
	}
	free(s);
}

void imb_plot_resolve_y(const imb_table *t, const char *y, const char *se, char **yout,
                        char **seout)
{
	size_t l = strlen(y);
	char *m = imb_xmalloc(l + 6), *e = imb_xmalloc(l + 4);
	*yout = imb_xstrdup(y);
	*seout = se ? imb_xstrdup(se) : NULL;
	if (imb_table_col(t, y) < 0) {
		snprintf(m, l + 6, "%s_mean", y);
		snprintf(e, l + 4, "%s_se", y);
		if (imb_table_col(t, m) >= 0) {
			free(*yout);
			*yout = imb_xstrdup(m);
			if (!se && imb_table_col(t, e) >= 0)
				*seout = imb_xstrdup(e);
		}
	} else if (!se && l > 5 && !strcmp(y + l - 5, "_mean")) {
		snprintf(e, l + 4, "%.*s_se", (int)(l - 5), y);
		if (imb_table_col(t, e) >= 0)
			*seout = imb_xstrdup(e);
	}
	free(m);
	free(e);
}

/* ---- data.dat ---- */

static void num(FILE *fp, double v)
{
	imb_fprint_double(fp, v);
}

int imb_plot_write_series(FILE *fp, const imb_plot_series *s, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (k)
			fputs("\n\n", fp);
		for (size_t i = 0; i < s[k].n; i++) {
			num(fp, s[k].x[i]);
			fputc('\t', fp);
			num(fp, s[k].y[i]);
			fputc('\t', fp);
			num(fp, s[k].se ? s[k].se[i] : 0);
			fputc('\n', fp);
		}
	}
	return ferror(fp) ? imb_seterr("writing the plot data:") : 0;
}
