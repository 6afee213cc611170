/* plot.c: decision-boundary grids, TSV series and gnuplot scripts; see plot.h. */
#include "plot.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- grid ---- */

int imb_plot_data_box(const float *x, size_t n, double margin, imb_plot_box *b)
{
	if (!n)
		return imb_seterr("no points to plot");
	double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < 2; d++) {
			double v = x[2 * i + d];
			if (!isfinite(v))
				return imb_seterr("x: row %zu, feature %d is not finite", i, d);
			lo[d] = v < lo[d] ? v : lo[d];
			hi[d] = v > hi[d] ? v : hi[d];
		}
	for (int d = 0; d < 2; d++) {
		double w = hi[d] - lo[d];
		double pad = w > 0 ? margin * w : 0.5;
		lo[d] -= pad;
		hi[d] += pad;
	}
	b->x0 = lo[0], b->x1 = hi[0], b->y0 = lo[1], b->y1 = hi[1];
	return 0;
}

double imb_plot_grid_x(const imb_plot_grid *g, int i)
{
	return g->box.x0 + (g->box.x1 - g->box.x0) * i / (g->n - 1);
}

double imb_plot_grid_y(const imb_plot_grid *g, int j)
{
	return g->box.y0 + (g->box.y1 - g->box.y0) * j / (g->n - 1);
}

int imb_plot_grid_argmax(const imb_plot_grid *g, int i, int j)
{
	const float *p = g->proba + ((size_t)j * g->n + i) * g->K;
	int best = 0;
	for (int k = 1; k < g->K; k++)
		if (p[k] > p[best])
			best = k;
	return best;
}

int imb_plot_grid_eval(imb_predictor *p, const imb_plot_box *box, int n, imb_plot_grid *g)
{
	memset(g, 0, sizeof *g);
	if (n < 2)
		return imb_seterr("grid: %d points per axis, need at least 2", n);
	if (imb_predictor_nfeatures(p) != 2)
		return imb_seterr("the model takes %zu features; a boundary plot needs 2",
		                  imb_predictor_nfeatures(p));
	int K = imb_predictor_nclasses(p);
	if (K < 1)
		return imb_seterr("the model has no classes");
	g->n = n;
	g->K = K;
	g->box = *box;
	size_t total = (size_t)n * n;
	g->proba = imb_xmalloc(total * K * sizeof *g->proba);
	enum { BATCH = 4096 };
	float *x = imb_xmalloc(2 * BATCH * sizeof *x);
	for (size_t s = 0; s < total; s += BATCH) {
		size_t m = total - s < BATCH ? total - s : BATCH;
		for (size_t r = 0; r < m; r++) {
			size_t idx = s + r;
			x[2 * r] = (float)imb_plot_grid_x(g, (int)(idx % n));
			x[2 * r + 1] = (float)imb_plot_grid_y(g, (int)(idx / n));
		}
		if (imb_predict_proba(p, x, m, 2, g->proba + s * K)) {
			free(x);
			imb_plot_grid_free(g);
			return -1;
		}
	}
	free(x);
	return 0;
}

void imb_plot_grid_free(imb_plot_grid *g)
{
	if (!g)
		return;
	free(g->proba);
	g->proba = NULL;
}

size_t imb_plot_borders(const imb_plot_grid *g, double **seg)
{
	size_t n = 0, cap = 0;
	double *s = NULL;
	double dx = (g->box.x1 - g->box.x0) / (g->n - 1), dy = (g->box.y1 - g->box.y0) / (g->n - 1);
	for (int j = 0; j < g->n; j++)
		for (int i = 0; i < g->n; i++) {
			int c = imb_plot_grid_argmax(g, i, j);
			double x = imb_plot_grid_x(g, i), y = imb_plot_grid_y(g, j);
			double v[2][4];
			int nv = 0;
			/* the edge between (i,j) and its right neighbour: vertical */
			if (i + 1 < g->n && imb_plot_grid_argmax(g, i + 1, j) != c) {
				double m = x + dx / 2;
				double e[4] = {m, y - dy / 2, m, y + dy / 2};
				memcpy(v[nv++], e, sizeof e);
			}
			/* and its upper neighbour: horizontal */
			if (j + 1 < g->n && imb_plot_grid_argmax(g, i, j + 1) != c) {
				double m = y + dy / 2;
				double e[4] = {x - dx / 2, m, x + dx / 2, m};
				memcpy(v[nv++], e, sizeof e);
			}
			for (int k = 0; k < nv; k++) {
				if (n == cap) {
					cap = cap ? 2 * cap : 64;
					s = imb_xrealloc(s, cap * 4 * sizeof *s);
				}
				memcpy(s + 4 * n++, v[k], sizeof v[k]);
			}
		}
	*seg = s;
	return n;
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

/* ---- series ---- */

static int is_na(const char *s)
{
	return !*s || !strcmp(s, "NA") || !strcmp(s, "nan") || !strcmp(s, "NaN") ||
	       !strcmp(s, "-nan") || !strcmp(s, "null");
}

static int parse_num(const char *s, double *v)
{
	char *e;
	errno = 0;
	*v = strtod(s, &e);
	return e != s && !*e && errno != ERANGE && isfinite(*v) ? 0 : -1;
}

static int col_or_err(const imb_table *t, const char *name, const char *what)
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

typedef struct {
	double x, y, se;
} pt;

static int cmp_pt(const void *a, const void *b)
{
	double x = ((const pt *)a)->x, y = ((const pt *)b)->x;
	return (x > y) - (x < y);
}

int imb_plot_series_select(const imb_table *t, const imb_plot_select *sel,
                           imb_plot_series **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	int cx = col_or_err(t, sel->x, "x"), cy = cx < 0 ? -1 : col_or_err(t, sel->y, "y");
	if (cx < 0 || cy < 0)
		return -1;
	int cse = -1;
	if (sel->se && (cse = col_or_err(t, sel->se, "error bars")) < 0)
		return -1;
	/* group columns */
	int gc[16], ng = 0;
	if (sel->group && *sel->group) {
		const char *p = sel->group;
		for (;;) {
			const char *e = strchr(p, ',');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			char name[256];
			if (!l || l >= sizeof name || ng == (int)IMB_LEN(gc))
				return imb_seterr("group: bad column list '%s'", sel->group);
			memcpy(name, p, l);
			name[l] = 0;
			if ((gc[ng++] = col_or_err(t, name, "group")) < 0)
				return -1;
			if (!e)
				break;
			p = e + 1;
		}
	}
	/* filters */
	int *wc = imb_xcalloc(sel->nwhere + 1, sizeof *wc);
	const char **wv = imb_xcalloc(sel->nwhere + 1, sizeof *wv);
	for (size_t i = 0; i < sel->nwhere; i++) {
		const char *eq = strchr(sel->where[i], '=');
		if (!eq || eq == sel->where[i]) {
			imb_seterr("where: '%s' is not COLUMN=VALUE", sel->where[i]);
			goto fail;
		}
		char name[256];
		size_t l = (size_t)(eq - sel->where[i]);
		if (l >= sizeof name) {
			imb_seterr("where: column name too long");
			goto fail;
		}
		memcpy(name, sel->where[i], l);
		name[l] = 0;
		if ((wc[i] = col_or_err(t, name, "where")) < 0)
			goto fail;
		wv[i] = eq + 1;
	}
	imb_plot_series *s = NULL;
	pt **pts = NULL;
	size_t ns = 0, *cap = NULL;
	for (size_t r = 0; r < t->nrows; r++) {
		char *const *row = t->cell + r * t->ncols;
		size_t i;
		for (i = 0; i < sel->nwhere; i++)
			if (strcmp(row[wc[i]], wv[i]))
				break;
		if (i < sel->nwhere || is_na(row[cx]) || is_na(row[cy]))
			continue;
		pt v = {0, 0, 0};
		if (parse_num(row[cx], &v.x) || parse_num(row[cy], &v.y) ||
		    (cse >= 0 && !is_na(row[cse]) && parse_num(row[cse], &v.se))) {
			imb_seterr("row %zu: '%s' / '%s'%s%s: not a number", r + 1, row[cx], row[cy],
			           cse >= 0 ? " / " : "", cse >= 0 ? row[cse] : "");
			goto fail_s;
		}
		if (sel->positive_x && !(v.x > 0)) {
			imb_seterr("row %zu: %s = %s: a log-scaled x axis needs values > 0", r + 1,
			           sel->x, row[cx]);
			goto fail_s;
		}
		/* the group label */
		char *label = NULL;
		size_t ll = 0;
		FILE *fp = open_memstream(&label, &ll);
		for (int g = 0; g < ng; g++)
			fprintf(fp, "%s%s", g ? " " : "", row[gc[g]]);
		fclose(fp);
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
	free(wc);
	free(wv);
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
fail:
	free(wc);
	free(wv);
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

/* ---- scripts ---- */

static const unsigned palette[] = {
	0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e, 0x9467bd,
	0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
};

unsigned imb_plot_color(int k, int light)
{
	unsigned c = palette[(unsigned)k % IMB_LEN(palette)];
	if (!light)
		return c;
	/* three quarters of the way to white */
	unsigned out = 0;
	for (int sh = 0; sh <= 16; sh += 8) {
		unsigned v = (c >> sh) & 0xff;
		out |= ((v + 3 * 255) / 4) << sh;
	}
	return out;
}

void imb_plot_quote(FILE *fp, const char *s)
{
	fputc('\'', fp);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '\'')
			fputs("''", fp);
		else if (*p < 0x20 || *p == 0x7f)
			fputc(' ', fp);
		else
			fputc(*p, fp);
	}
	fputc('\'', fp);
}

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

/* terminal set-up, the plot body once per picture (out.png, out.svg) */
static void script_head(FILE *fp, const imb_plot_opts *o)
{
	fputs("# written by imb-plot; data files are in this directory\n"
	      "set encoding utf8\n"
	      "set datafile missing 'NA'\n", fp);
	if (o->title) {
		fputs("set title ", fp);
		imb_plot_quote(fp, o->title);
		fputs(" noenhanced\n", fp);
	}
	if (o->xlabel) {
		fputs("set xlabel ", fp);
		imb_plot_quote(fp, o->xlabel);
		fputs(" noenhanced\n", fp);
	}
	if (o->ylabel) {
		fputs("set ylabel ", fp);
		imb_plot_quote(fp, o->ylabel);
		fputs(" noenhanced\n", fp);
	}
	fputs("set grid lc rgb '#dddddd'\n", fp);
}

static void for_each_terminal(FILE *fp, const imb_plot_opts *o, const char *body)
{
	int w = o->width > 0 ? o->width : 900, h = o->height > 0 ? o->height : 650;
	if (o->png)
		fprintf(fp, "set terminal pngcairo noenhanced size %d,%d font ',11'\n"
		            "set output 'out.png'\n%sset output\n", w, h, body);
	if (o->svg)
		fprintf(fp, "set terminal svg noenhanced size %d,%d font 'sans,11' background '#ffffff'\n"
		            "set output 'out.svg'\n%sset output\n", w, h, body);
}

void imb_plot_script_series(FILE *fp, const imb_plot_opts *o, const imb_plot_series *s,
                            size_t n)
{
	script_head(fp, o);
	if (o->logx)
		fputs("set logscale x\n", fp);
	if (o->logy)
		fputs("set logscale y\n", fp);
	fputs("set key outside top center horizontal box opaque noenhanced", fp);
	if (o->key_title) {
		fputs(" title ", fp);
		imb_plot_quote(fp, o->key_title);
	}
	fputc('\n', fp);
	fputs("set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n", fp);
	char *body = NULL;
	size_t len = 0;
	FILE *b = open_memstream(&body, &len);
	fputs("plot ", b);
	for (size_t k = 0; k < n; k++) {
		unsigned c = imb_plot_color((int)k, 0);
		if (k)
			fputs(", \\\n     ", b);
		if (s[k].se)
			fprintf(b, "'data.dat' index %zu using 1:2:3 with yerrorlines lw 2 pt 7 ps 0.8 "
			           "lc rgb '#%06x' title ", k, c);
		else
			fprintf(b, "'data.dat' index %zu using 1:2 with linespoints lw 2 pt 7 ps 0.8 "
			           "lc rgb '#%06x' title ", k, c);
		imb_plot_quote(b, *s[k].label ? s[k].label : s[k].se ? "mean +- 1 SE" : "value");
	}
	fputc('\n', b);
	fclose(b);
	for_each_terminal(fp, o, body);
	free(body);
}

int imb_plot_write_grid(FILE *fp, const imb_plot_grid *g)
{
	for (int j = 0; j < g->n; j++) {
		if (j)
			fputc('\n', fp);
		for (int i = 0; i < g->n; i++) {
			int c = imb_plot_grid_argmax(g, i, j);
			unsigned rgb = imb_plot_color(c, 1);
			const float *p = g->proba + ((size_t)j * g->n + i) * g->K;
			num(fp, imb_plot_grid_x(g, i));
			fputc('\t', fp);
			num(fp, imb_plot_grid_y(g, j));
			fprintf(fp, "\t%d\t%.9g\t%u\t%u\t%u\n", c, g->K > 1 ? p[1] : p[0], rgb >> 16,
			        (rgb >> 8) & 0xff, rgb & 0xff);
		}
	}
	return ferror(fp) ? imb_seterr("writing the grid:") : 0;
}

int imb_plot_write_points(FILE *fp, const float *x, const int *y, size_t n, int K,
                          const int *order)
{
	for (int o = 0; o < K; o++) {
		if (o)
			fputs("\n\n", fp);
		int k = order[o];
		int any = 0;
		for (size_t i = 0; i < n; i++)
			if (y[i] == k) {
				fprintf(fp, "%.9g\t%.9g\n", x[2 * i], x[2 * i + 1]);
				any = 1;
			}
		if (!any) /* keep the block so index numbers stay in step */
			fputs("NA\tNA\n", fp);
	}
	return ferror(fp) ? imb_seterr("writing the points:") : 0;
}

int imb_plot_write_borders(FILE *fp, const double *seg, size_t nseg)
{
	for (size_t i = 0; i < nseg; i++) {
		const double *s = seg + 4 * i;
		num(fp, s[0]);
		fputc('\t', fp);
		num(fp, s[1]);
		fputc('\n', fp);
		num(fp, s[2]);
		fputc('\t', fp);
		num(fp, s[3]);
		fputs("\n\n", fp);
	}
	if (!nseg)
		fputs("NA\tNA\n", fp);
	return ferror(fp) ? imb_seterr("writing the borders:") : 0;
}

void imb_plot_script_boundary(FILE *fp, const imb_plot_opts *o,
                              const imb_plot_panel *panel, int npanels)
{
	script_head(fp, o);
	for (int q = 0; q < npanels; q++)
		if (panel[q].K == 2)
			/* the p = 0.5 contour of class 1's probability, as line data */
			fprintf(fp, "set contour base\n"
			            "set cntrparam levels discrete 0.5\n"
			            "unset surface\n"
			            "set view map\n"
			            "set table 'contour%d.dat'\n"
			            "splot 'grid%d.dat' using 1:2:4 with lines notitle\n"
			            "unset table\n"
			            "unset contour\n"
			            "set surface\n", q, q);
	if (npanels > 1)
		/* one legend, under the panels (each panel draws it in the same place) */
		fputs("set key at screen 0.5, screen 0.04 center center horizontal box opaque "
		      "noenhanced maxrows 1\n"
		      "set bmargin 6\n", fp);
	else
		fputs("set key outside top center horizontal box opaque noenhanced maxrows 2\n", fp);
	fputs("set size ratio -1\n"
	      "set autoscale fix\n", fp);
	char *body = NULL;
	size_t len = 0;
	FILE *b = open_memstream(&body, &len);
	if (npanels > 1) {
		/* the figure's title over the panels; each panel its own */
		fputs("unset title\nset multiplot layout 1,", b);
		fprintf(b, "%d", npanels);
		if (o->title) {
			fputs(" title ", b);
			imb_plot_quote(b, o->title);
			fputs(" noenhanced", b);
		}
		fputc('\n', b);
	}
	for (int q = 0; q < npanels; q++) {
		const imb_plot_panel *p = &panel[q];
		if (npanels > 1) {
			fputs("set title ", b);
			imb_plot_quote(b, p->title ? p->title : "");
			fputs(" noenhanced\n", b);
			/* the legend once, with the last panel */
			fputs(q + 1 < npanels ? "set key off\n" : "set key on\n", b);
		}
		fprintf(b, "plot 'grid%d.dat' using 1:2:5:6:7 with rgbimage notitle", q);
		for (int i = 0; i < p->K; i++) {
			int k = p->order[i];
			char label[512];
			snprintf(label, sizeof label, "class %s (n = %zu)", p->names[k], p->counts[k]);
			fprintf(b, ", \\\n     'points%d.dat' index %d using 1:2 with points pt 7 ps 0.45 "
			           "lc rgb '#%06x' title ", q, i, imb_plot_color(k, 0));
			imb_plot_quote(b, label);
		}
		if (p->K == 2)
			fprintf(b, ", \\\n     'contour%d.dat' using 1:2 with lines lw 2.5 lc rgb '#000000' "
			           "title 'decision boundary (p = 0.5)'", q);
		else
			fprintf(b, ", \\\n     'borders%d.dat' using 1:2 with lines lw 2 lc rgb '#000000' "
			           "title 'decision boundary (argmax)'", q);
		fputc('\n', b);
	}
	if (npanels > 1)
		fputs("unset multiplot\n", b);
	fclose(b);
	imb_plot_opts wide = *o;
	if (!wide.width)
		wide.width = npanels > 1 ? 700 * npanels : 900;
	for_each_terminal(fp, &wide, body);
	free(body);
}

void imb_plot_class_order(const size_t *counts, int K, int *order)
{
	for (int k = 0; k < K; k++)
		order[k] = k;
	/* stable insertion sort, most points first */
	for (int a = 1; a < K; a++)
		for (int b = a; b > 0 && counts[order[b]] > counts[order[b - 1]]; b--) {
			int t = order[b];
			order[b] = order[b - 1];
			order[b - 1] = t;
		}
}

/* text made by fn into dir/name */
static int put_made(const char *dir, const char *name, FILE *fp, char **buf, size_t *len, int rc)
{
	if (fclose(fp) && !rc)
		rc = imb_seterr("%s: out of memory", name);
	if (!rc)
		rc = imb_plot_put(dir, name, *buf, *len);
	free(*buf);
	*buf = NULL;
	*len = 0;
	return rc;
}

int imb_plot_panel_files(const char *dir, int q, const imb_plot_grid *g, const float *x,
                         const int *y, size_t n, const int *order)
{
	char name[64], *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	snprintf(name, sizeof name, "grid%d.dat", q);
	if (put_made(dir, name, fp, &buf, &len, imb_plot_write_grid(fp, g)))
		return -1;
	fp = open_memstream(&buf, &len);
	snprintf(name, sizeof name, "points%d.dat", q);
	if (put_made(dir, name, fp, &buf, &len, imb_plot_write_points(fp, x, y, n, g->K, order)))
		return -1;
	if (g->K > 2) {
		double *seg;
		size_t nseg = imb_plot_borders(g, &seg);
		fp = open_memstream(&buf, &len);
		snprintf(name, sizeof name, "borders%d.dat", q);
		int rc = put_made(dir, name, fp, &buf, &len, imb_plot_write_borders(fp, seg, nseg));
		free(seg);
		if (rc)
			return -1;
	}
	return 0;
}

/* ---- running ---- */

static char tmpdir[4096];
static int tmpdir_fd = -1;
/* the picture being installed, for imb_plot_signal_cleanup */
static char installing[4400];
static volatile sig_atomic_t installing_set;

void imb_plot_signal_cleanup(void)
{
	if (installing_set)
		unlink(installing);
	if (tmpdir_fd < 0)
		return;
	/* every name this library or gnuplot makes there */
	static const char *const fixed[] = {"plot.gp", "data.dat", "input.imb", "out.png", "out.svg"};
	static const char *const per[] = {"grid", "points", "borders", "contour"};
	for (size_t i = 0; i < IMB_LEN(fixed); i++)
		unlinkat(tmpdir_fd, fixed[i], 0);
	for (size_t i = 0; i < IMB_LEN(per); i++)
		for (int q = 0; q < IMB_PLOT_MAX_PANELS; q++) {
			char name[32];
			size_t l = strlen(per[i]);
			memcpy(name, per[i], l);
			name[l] = (char)('0' + q);
			memcpy(name + l + 1, ".dat", 5);
			unlinkat(tmpdir_fd, name, 0);
		}
	rmdir(tmpdir);
}

static void rm_tmpdir(void)
{
	if (!*tmpdir)
		return;
	DIR *d = opendir(tmpdir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char p[4400];
			snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(tmpdir);
	*tmpdir = 0;
	if (tmpdir_fd >= 0)
		close(tmpdir_fd);
	tmpdir_fd = -1;
}

const char *imb_plot_tmpdir(void)
{
	if (*tmpdir)
		return tmpdir;
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	if ((size_t)snprintf(tmpdir, sizeof tmpdir, "%s/imb-plot.XXXXXX", base) >= sizeof tmpdir) {
		*tmpdir = 0;
		imb_seterr("TMPDIR is too long");
		return NULL;
	}
	if (!mkdtemp(tmpdir)) {
		imb_seterr("making a temporary directory under %s: %s", base, strerror(errno));
		*tmpdir = 0;
		return NULL;
	}
	tmpdir_fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	static int registered;
	if (!registered++)
		atexit(rm_tmpdir);
	return tmpdir;
}

void imb_plot_tmpdir_remove(void)
{
	rm_tmpdir();
}

int imb_plot_put(const char *dir, const char *name, const char *text, size_t len)
{
	char p[4400];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *fp = fopen(p, "wb");
	if (!fp)
		return imb_seterr("%s: %s", p, strerror(errno));
	size_t w = fwrite(text, 1, len, fp);
	if (w != len || fclose(fp))
		return imb_seterr("writing %s: %s", p, strerror(errno));
	return 0;
}

int imb_plot_gnuplot(const char *dir, const char *script)
{
	const char *prog = getenv("IMB_GNUPLOT");
	if (!prog || !*prog)
		prog = "gnuplot";
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC))
		return imb_seterr("pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return imb_seterr("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		int e = 0;
		if (chdir(dir) == 0) {
			char *const argv[] = {(char *)prog, (char *)script, NULL};
			execvp(prog, argv);
		}
		e = errno;
		/* tell the parent why exec failed */
		if (write(pfd[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	int e = 0;
	ssize_t r = read(pfd[0], &e, sizeof e);
	close(pfd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return imb_seterr("waitpid: %s", strerror(errno));
	if (r == (ssize_t)sizeof e) {
		if (e == ENOENT)
			return imb_seterr("%s: not found: imb-plot draws through gnuplot (Debian: "
			                  "apt-get install gnuplot-nox; or set IMB_GNUPLOT)", prog);
		return imb_seterr("running %s: %s", prog, strerror(e));
	}
	if (WIFSIGNALED(st))
		return imb_seterr("%s was killed by signal %d", prog, WTERMSIG(st));
	if (WEXITSTATUS(st))
		return imb_seterr("%s failed (exit status %d; its messages are above)", prog,
		                  WEXITSTATUS(st));
	return 0;
}

int imb_plot_install(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return imb_seterr("%s: %s (gnuplot drew nothing)", src, strerror(errno));
	struct stat st;
	if (fstat(in, &st) || st.st_size == 0) {
		close(in);
		return imb_seterr("gnuplot drew an empty picture for %s", dst);
	}
	size_t dl = strlen(dst);
	char *tmp = imb_xmalloc(dl + 32);
	snprintf(tmp, dl + 32, "%s.tmp.XXXXXX", dst);
	int out = mkstemp(tmp);
	if (out >= 0 && strlen(tmp) < sizeof installing) {
		memcpy(installing, tmp, strlen(tmp) + 1);
		installing_set = 1;
	}
	if (out < 0) {
		int e = errno;
		close(in);
		imb_seterr("%s: %s", dst, strerror(e));
		free(tmp);
		return -1;
	}
	char buf[1 << 16];
	ssize_t n;
	int err = 0;
	while ((n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				err = errno;
				break;
			}
			off += w;
		}
		if (err)
			break;
	}
	close(in);
	mode_t um = umask(0);
	umask(um);
	fchmod(out, 0644 & ~um);
	if (!err && fsync(out) && errno != EINVAL)
		err = errno;
	if (close(out) && !err)
		err = errno;
	if (!err && rename(tmp, dst))
		err = errno;
	installing_set = 0;
	if (err) {
		unlink(tmp);
		imb_seterr("writing %s: %s", dst, strerror(err));
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}
