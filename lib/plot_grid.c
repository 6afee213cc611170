/* plot_grid.c: grouped bars and heatmaps from a TSV table; see
 * plot_grid.h. */
#include "plot_grid.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

char *imb_plot_col_label(const char *col, char *buf, size_t size)
{
	if (!strcmp(col, "train_ratio") || !strcmp(col, "test_ratio")) {
		snprintf(buf, size, "%s ratio: minority / majority count", col[1] == 'r' ? "train" : "test");
		return buf;
	}
	size_t i = 0;
	for (; col[i] && i + 1 < size; i++)
		buf[i] = col[i] == '_' ? ' ' : col[i];
	if (size)
		buf[i] = 0;
	return buf;
}

/* a column's name in a title or legend: '_' as ' ', without a _mean
 * suffix */
static char *short_label(const char *col, char *buf, size_t size)
{
	size_t i = 0, l = strlen(col);
	if (l > 5 && !strcmp(col + l - 5, "_mean"))
		l -= 5;
	for (; i < l && i + 1 < size; i++)
		buf[i] = col[i] == '_' ? ' ' : col[i];
	buf[i] = 0;
	return buf;
}

/* s with its first letter upper-case (ASCII) */
static char *capital(char *s)
{
	if (*s >= 'a' && *s <= 'z')
		*s = (char)(*s - 'a' + 'A');
	return s;
}

/* the index of s among list[0..*n), added when absent (text, or value
 * when both are numbers) */
static size_t find_add(char ***list, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (imb_plot_value_eq((*list)[i], s))
			return i;
	*list = imb_xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[*n] = imb_xstrdup(s);
	return (*n)++;
}

static void strs_free(char **s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i]);
	free(s);
}

static void num(FILE *fp, double v)
{
	if (isfinite(v))
		imb_fprint_double(fp, v);
	else
		fputs("NA", fp);
}

/* "'A' 0, 'B' 1, ..." for set xtics */
static void tics(FILE *fp, const char *axis, char *const *names, size_t n)
{
	fprintf(fp, "set %s (", axis);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", fp);
		imb_plot_quote(fp, names[i]);
		fprintf(fp, " %zu", i);
	}
	fputs(")\n", fp);
}

/* ---- bars ---- */

typedef struct {
	size_t x, g, row;
	double y, se;
} bar;

void imb_plot_bars_free(imb_plot_bars *b)
{
	if (!b)
		return;
	strs_free(b->xcat, b->nx);
	strs_free(b->glabel, b->ng);
	free(b->y);
	free(b->se);
	memset(b, 0, sizeof *b);
}

int imb_plot_bars_select(const imb_table *t, const imb_plot_select *sel, imb_plot_bars *b)
{
	memset(b, 0, sizeof *b);
	imb_plot_cols c;
	if (imb_plot_select_cols(t, sel, &c))
		return -1;
	int cx = c.x, cy = c.y, cse = c.se, ng = c.ngroup, *gc = c.group;
	imb_plot_where w = c.where;
	bar *bars = NULL;
	size_t nb = 0;
	int rc = 0;
	for (size_t r = 0; r < t->nrows; r++) {
		char *const *row = t->cell + r * t->ncols;
		if (!imb_plot_where_keep(&w, row) || imb_plot_is_na(row[cy]))
			continue;
		bar v = {.row = r + 1};
		if (imb_plot_parse_num(row[cy], &v.y) ||
		    (cse >= 0 && !imb_plot_is_na(row[cse]) && imb_plot_parse_num(row[cse], &v.se))) {
			rc = imb_seterr("row %zu: '%s'%s%s: not a number", r + 1, row[cy],
			                cse >= 0 ? " / " : "", cse >= 0 ? row[cse] : "");
			break;
		}
		char *label = imb_plot_group_label(row, gc, ng);
		v.x = find_add(&b->xcat, &b->nx, row[cx]);
		/* group labels by text */
		for (v.g = 0; v.g < b->ng && strcmp(b->glabel[v.g], label); v.g++)
			;
		if (v.g == b->ng) {
			b->glabel = imb_xrealloc(b->glabel, (b->ng + 1) * sizeof *b->glabel);
			b->glabel[b->ng++] = label;
		} else {
			free(label);
		}
		bars = imb_xrealloc(bars, (nb + 1) * sizeof *bars);
		bars[nb++] = v;
	}
	imb_plot_where_free(&w);
	if (!rc && !nb)
		rc = imb_seterr("no rows with a number in '%s'%s", sel->y,
		                sel->nwhere ? " that pass the filters" : "");
	if (!rc) {
		size_t n = b->nx * b->ng;
		size_t *from = imb_xcalloc(n, sizeof *from);
		b->y = imb_xmalloc(n * sizeof *b->y);
		b->se = cse >= 0 ? imb_xcalloc(n, sizeof *b->se) : NULL;
		for (size_t i = 0; i < n; i++)
			b->y[i] = NAN;
		for (size_t i = 0; i < nb && !rc; i++) {
			size_t c = bars[i].x * b->ng + bars[i].g;
			if (from[c]) {
				rc = imb_seterr("rows %zu and %zu give the same bar (%s = '%s'%s%s%s): one "
				                "row per bar (--group or --where them apart)", from[c],
				                bars[i].row, sel->x, b->xcat[bars[i].x],
				                ng ? ", group '" : "", ng ? b->glabel[bars[i].g] : "",
				                ng ? "'" : "");
				break;
			}
			from[c] = bars[i].row;
			b->y[c] = bars[i].y;
			if (b->se)
				b->se[c] = bars[i].se;
		}
		free(from);
	}
	free(bars);
	if (rc)
		imb_plot_bars_free(b);
	return rc;
}

int imb_plot_bars_files(const char *dir, const imb_plot_opts *o_in, const imb_plot_select *sel,
                        const imb_plot_bars *b)
{
	imb_plot_opts o = *o_in;
	char xl[300], yl[300], title[700], a[300], c[300];
	if (!o.xlabel)
		o.xlabel = imb_plot_col_label(sel->x, xl, sizeof xl);
	if (!o.ylabel) {
		short_label(sel->y, yl, sizeof yl);
		if (b->se)
			snprintf(yl + strlen(yl), sizeof yl - strlen(yl), " (mean, error bars +-1 SE)");
		o.ylabel = yl;
	}
	if (!o.title) {
		snprintf(title, sizeof title, "%s by %s", short_label(sel->y, a, sizeof a),
		         short_label(sel->x, c, sizeof c));
		o.title = capital(title);
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	int neg = 0;
	for (size_t i = 0; i < b->nx; i++) {
		for (size_t g = 0; g < b->ng; g++) {
			double y = b->y[i * b->ng + g];
			neg |= y < 0;
			if (g)
				fputc('\t', fp);
			num(fp, y);
			if (b->se) {
				fputc('\t', fp);
				num(fp, isfinite(y) ? b->se[i * b->ng + g] : NAN);
			}
		}
		fputc('\n', fp);
	}
	if (imb_plot_put_stream(dir, "data.dat", fp, &buf, &len,
	                        ferror(fp) ? imb_seterr("writing the plot data:") : 0))
		return -1;
	fp = open_memstream(&buf, &len);
	imb_plot_script_head(fp, &o);
	fputs("set style data histograms\n", fp);
	fputs(b->se ? "set style histogram errorbars gap 1 lw 1.5\n"
	            : "set style histogram clustered gap 1\n", fp);
	fputs("set style fill solid 0.85 border rgb '#333333'\n"
	      "set boxwidth 0.9 relative\n"
	      "set grid noxtics ytics\n"
	      "set xtics nomirror scale 0\n", fp);
	if (b->nx > 8)
		fputs("set xtics rotate by 30 right\n", fp);
	tics(fp, "xtics", b->xcat, b->nx);
	if (!neg)
		fputs("set yrange [0:*]\n", fp);
	if (sel->group && *sel->group) {
		fputs("set key outside top center horizontal box opaque noenhanced title ", fp);
		imb_plot_quote(fp, sel->group);
		fputc('\n', fp);
	} else {
		fputs("set key off\n", fp);
	}
	char *body = NULL;
	size_t blen = 0;
	FILE *bp = open_memstream(&body, &blen);
	fputs("plot ", bp);
	for (size_t g = 0; g < b->ng; g++) {
		size_t col = 1 + g * (b->se ? 2 : 1);
		if (g)
			fputs(", \\\n     ", bp);
		if (b->se)
			fprintf(bp, "'data.dat' using %zu:%zu", col, col + 1);
		else
			fprintf(bp, "'data.dat' using %zu", col);
		fprintf(bp, " lc rgb '#%06x' title ", imb_plot_color((int)g, 0));
		imb_plot_quote(bp, *b->glabel[g] ? b->glabel[g] : sel->y);
	}
	fputc('\n', bp);
	fclose(bp);
	imb_plot_script_pictures(fp, &o, body);
	free(body);
	return imb_plot_put_stream(dir, "plot.gp", fp, &buf, &len, 0);
}

/* ---- heatmaps ---- */

typedef struct {
	size_t n;
	char **cat;
	double *v;       /* the values, numeric axes */
} axis;

static const double *axis_v;
static int by_value(const void *x, const void *y)
{
	double a = axis_v[*(const size_t *)x], b = axis_v[*(const size_t *)y];
	return (a > b) - (a < b);
}

/* sort a numeric axis; pos[0..n) (category indices) follow */
static void axis_sort(axis *a, size_t *pos, size_t n)
{
	size_t *ord = imb_xmalloc(a->n * sizeof *ord), *rank = imb_xmalloc(a->n * sizeof *rank);
	for (size_t i = 0; i < a->n; i++)
		ord[i] = i;
	axis_v = a->v;
	qsort(ord, a->n, sizeof *ord, by_value);
	char **cat = imb_xmalloc(a->n * sizeof *cat);
	double *v = imb_xmalloc(a->n * sizeof *v);
	for (size_t i = 0; i < a->n; i++) {
		rank[ord[i]] = i;
		cat[i] = a->cat[ord[i]];
		v[i] = a->v[ord[i]];
	}
	for (size_t i = 0; i < n; i++)
		pos[i] = rank[pos[i]];
	free(a->cat);
	free(a->v);
	a->cat = cat;
	a->v = v;
	free(ord);
	free(rank);
}

/* the categories of cells[0..n) (texts), pos[] their indices; tics */
static void axis_build(axis *a, char *const *cells, size_t n, size_t *pos, char ***tic)
{
	int numeric = 1;
	double d;
	for (size_t i = 0; i < n && numeric; i++)
		numeric = !imb_plot_parse_num(cells[i], &d);
	for (size_t i = 0; i < n; i++)
		pos[i] = find_add(&a->cat, &a->n, cells[i]);
	a->v = imb_xmalloc((a->n + 1) * sizeof *a->v);
	for (size_t i = 0; i < a->n; i++)
		if (!numeric || imb_plot_parse_num(a->cat[i], &a->v[i]))
			a->v[i] = NAN;
	if (numeric)
		axis_sort(a, pos, n);
	*tic = imb_xmalloc((a->n + 1) * sizeof **tic);
	for (size_t i = 0; i < a->n; i++) {
		char b[64];
		if (numeric)
			snprintf(b, sizeof b, "%.3g", a->v[i]);
		(*tic)[i] = imb_xstrdup(numeric ? b : a->cat[i]);
	}
}

void imb_plot_heat_free(imb_plot_heat *h)
{
	if (!h)
		return;
	strs_free(h->xcat, h->nx);
	strs_free(h->ycat, h->ny);
	strs_free(h->xtic, h->nx);
	strs_free(h->ytic, h->ny);
	free(h->z);
	free(h->marked);
	free(h->zcol);
	memset(h, 0, sizeof *h);
}

int imb_plot_heat_select(const imb_table *t, const imb_plot_heat_opts *ho, imb_plot_heat *h)
{
	memset(h, 0, sizeof *h);
	char *zc, *sec;
	imb_plot_resolve_y(t, ho->z, NULL, &zc, &sec);
	free(sec);
	h->zcol = zc;
	int cx = imb_table_need_col(t, ho->x, "x");
	int cy = cx < 0 ? -1 : imb_table_need_col(t, ho->y, "y");
	int cz = cy < 0 ? -1 : imb_table_need_col(t, zc, "z");
	imb_plot_where w;
	if (cz < 0 || imb_plot_where_init(&w, t, ho->where, ho->nwhere)) {
		imb_plot_heat_free(h);
		return -1;
	}
	char **xs = imb_xmalloc((t->nrows + 1) * sizeof *xs), **ys = imb_xmalloc((t->nrows + 1) * sizeof *ys);
	double *z = imb_xmalloc((t->nrows + 1) * sizeof *z);
	size_t *rows = imb_xmalloc((t->nrows + 1) * sizeof *rows), n = 0;
	int rc = 0;
	for (size_t r = 0; r < t->nrows; r++) {
		char *const *row = t->cell + r * t->ncols;
		if (!imb_plot_where_keep(&w, row) || imb_plot_is_na(row[cz]) ||
		    imb_plot_is_na(row[cx]) || imb_plot_is_na(row[cy]))
			continue;
		if (imb_plot_parse_num(row[cz], &z[n])) {
			rc = imb_seterr("row %zu: %s = '%s': not a number", r + 1, zc, row[cz]);
			break;
		}
		xs[n] = row[cx];
		ys[n] = row[cy];
		rows[n++] = r + 1;
	}
	imb_plot_where_free(&w);
	if (!rc && !n)
		rc = imb_seterr("no rows with a number in '%s'%s", zc,
		                ho->nwhere ? " that pass the filters" : "");
	if (!rc) {
		size_t *px = imb_xmalloc(n * sizeof *px), *py = imb_xmalloc(n * sizeof *py);
		axis ax = {0}, ay = {0};
		axis_build(&ax, xs, n, px, &h->xtic);
		axis_build(&ay, ys, n, py, &h->ytic);
		h->nx = ax.n;
		h->ny = ay.n;
		h->xcat = ax.cat;
		h->ycat = ay.cat;
		free(ax.v);
		free(ay.v);
		size_t *from = imb_xcalloc(h->nx * h->ny, sizeof *from);
		h->z = imb_xmalloc(h->nx * h->ny * sizeof *h->z);
		for (size_t i = 0; i < h->nx * h->ny; i++)
			h->z[i] = NAN;
		for (size_t i = 0; i < n && !rc; i++) {
			size_t c = px[i] * h->ny + py[i];
			if (from[c])
				rc = imb_seterr("rows %zu and %zu give the same cell (%s = '%s', %s = '%s'): "
				                "one row per cell (--where them apart)", from[c], rows[i],
				                ho->x, xs[i], ho->y, ys[i]);
			from[c] = rows[i];
			h->z[c] = z[i];
		}
		free(from);
		free(px);
		free(py);
	}
	if (!rc && ho->mark) {
		h->marked = imb_xmalloc(h->nx * sizeof *h->marked);
		for (size_t i = 0; i < h->nx; i++) {
			h->marked[i] = -1;
			for (size_t j = 0; j < h->ny; j++) {
				double v = h->z[i * h->ny + j];
				if (!isfinite(v))
					continue;
				if (h->marked[i] < 0 ||
				    (ho->mark > 0 ? v > h->z[i * h->ny + (size_t)h->marked[i]]
				                  : v < h->z[i * h->ny + (size_t)h->marked[i]]))
					h->marked[i] = (long)j;
			}
		}
	}
	free(xs);
	free(ys);
	free(z);
	free(rows);
	if (rc)
		imb_plot_heat_free(h);
	return rc;
}

int imb_plot_heat_write_tsv(FILE *fp, const imb_plot_heat_opts *ho, const imb_plot_heat *h)
{
	imb_write_tsv(fp, ho->x);
	fputc('\t', fp);
	imb_write_tsv(fp, ho->y);
	fputc('\t', fp);
	imb_write_tsv(fp, h->zcol);
	fputs(h->marked ? "\tmarked\n" : "\n", fp);
	for (size_t i = 0; i < h->nx; i++)
		for (size_t j = 0; j < h->ny; j++) {
			double v = h->z[i * h->ny + j];
			if (!isfinite(v))
				continue;
			imb_write_tsv(fp, h->xcat[i]);
			fputc('\t', fp);
			imb_write_tsv(fp, h->ycat[j]);
			fputc('\t', fp);
			num(fp, v);
			if (h->marked)
				fprintf(fp, "\t%d", h->marked[i] == (long)j);
			fputc('\n', fp);
		}
	return ferror(fp) ? imb_seterr("writing the table:") : 0;
}

int imb_plot_heat_files(const char *dir, const imb_plot_opts *o_in, const imb_plot_heat_opts *ho,
                        const imb_plot_heat *h)
{
	imb_plot_opts o = *o_in;
	char xl[300], yl[300], zl[300], title[1000], mk[700];
	imb_plot_col_label(ho->x, xl, sizeof xl);
	imb_plot_col_label(ho->y, yl, sizeof yl);
	short_label(h->zcol, zl, sizeof zl);
	char a[300], b[300];
	short_label(ho->x, a, sizeof a);
	short_label(ho->y, b, sizeof b);
	if (!o.title) {
		snprintf(title, sizeof title, "%s by %s and %s", zl, a, b);
		o.title = capital(title);
	}
	if (!o.xlabel)
		o.xlabel = xl;
	if (!o.ylabel)
		o.ylabel = yl;
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < h->nx * h->ny; i++)
		if (isfinite(h->z[i])) {
			lo = fmin(lo, h->z[i]);
			hi = fmax(hi, h->z[i]);
		}
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	for (size_t i = 0; i < h->nx; i++)
		for (size_t j = 0; j < h->ny; j++) {
			double v = h->z[i * h->ny + j];
			if (!isfinite(v))
				continue;
			/* white text on the dark half of the palette */
			int dark = hi > lo ? (v - lo) / (hi - lo) < 0.5 : 0;
			fprintf(fp, "%zu\t%zu\t", i, j);
			imb_fprint_double(fp, v);
			fprintf(fp, "\t%u\n", dark ? 0xffffffu : 0u);
		}
	if (imb_plot_put_stream(dir, "data.dat", fp, &buf, &len,
	                        ferror(fp) ? imb_seterr("writing the plot data:") : 0))
		return -1;
	if (h->marked) {
		fp = open_memstream(&buf, &len);
		for (size_t i = 0; i < h->nx; i++)
			if (h->marked[i] >= 0)
				fprintf(fp, "%zu\t%ld\n", i, h->marked[i]);
		if (imb_plot_put_stream(dir, "marks.dat", fp, &buf, &len, 0))
			return -1;
	}
	fp = open_memstream(&buf, &len);
	imb_plot_script_head(fp, &o);
	fputs("unset grid\n"
	      "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', "
	      "1 '#fde725')\n"
	      "set tics out nomirror\n", fp);
	fprintf(fp, "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n", h->nx - 1, h->ny - 1);
	if (h->nx > 8)
		fputs("set xtics rotate by 30 right\n", fp);
	tics(fp, "xtics", h->xtic, h->nx);
	tics(fp, "ytics", h->ytic, h->ny);
	fputs("set cblabel ", fp);
	imb_plot_quote(fp, zl);
	fputs(" noenhanced\n", fp);
	if (lo == hi)
		fprintf(fp, "set cbrange [%.17g:%.17g]\n", lo - 0.5, hi + 0.5);
	fputs(h->marked ? "set key outside top center horizontal box opaque noenhanced\n"
	                : "set key off\n", fp);
	char *body = NULL;
	size_t blen = 0;
	FILE *bp = open_memstream(&body, &blen);
	fputs("plot 'data.dat' using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder "
	      "lc palette notitle", bp);
	if (ho->labels)
		fputs(", \\\n     'data.dat' using 1:2:(sprintf('%.3f', $3)):4 with labels "
		      "tc rgb variable notitle", bp);
	if (h->marked) {
		snprintf(mk, sizeof mk, "%s %s in each %s column", ho->mark > 0 ? "largest" : "smallest",
		         zl, a);
		fputs(", \\\n     'marks.dat' using 1:2:(0.45):(0.45) with boxxyerror fs empty "
		      "lc rgb '#ff1a1a' lw 3 title ", bp);
		imb_plot_quote(bp, mk);
	}
	fputc('\n', bp);
	fclose(bp);
	imb_plot_script_pictures(fp, &o, body);
	free(body);
	return imb_plot_put_stream(dir, "plot.gp", fp, &buf, &len, 0);
}
