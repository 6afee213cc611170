/* plot_boundary.c: decision-boundary grids, class borders, the data
 * files of a boundary panel, and the panels of a figure read from
 * streams; see plot_boundary.h. */
#include "plot_boundary.h"
#include "model_frame.h"
#include "cli.h"
#include "dataset.h"
#include "predict.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the grid ---- */

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

/* ---- data files ---- */

static void num(FILE *fp, double v)
{
	imb_fprint_double(fp, v);
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

int imb_plot_panel_files(const char *dir, int q, const imb_plot_grid *g, const float *x,
                         const int *y, size_t n, const int *order)
{
	char name[64], *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	snprintf(name, sizeof name, "grid%d.dat", q);
	if (imb_plot_put_stream(dir, name, fp, &buf, &len, imb_plot_write_grid(fp, g)))
		return -1;
	fp = open_memstream(&buf, &len);
	snprintf(name, sizeof name, "points%d.dat", q);
	if (imb_plot_put_stream(dir, name, fp, &buf, &len,
	                        imb_plot_write_points(fp, x, y, n, g->K, order)))
		return -1;
	if (g->K > 2) {
		double *seg;
		size_t nseg = imb_plot_borders(g, &seg);
		fp = open_memstream(&buf, &len);
		snprintf(name, sizeof name, "borders%d.dat", q);
		int rc = imb_plot_put_stream(dir, name, fp, &buf, &len,
		                             imb_plot_write_borders(fp, seg, nseg));
		free(seg);
		if (rc)
			return -1;
	}
	return 0;
}

/* ---- a figure from streams ---- */

/* the first history entry's tool that is not a data tool: who made the
 * model */
static const char *made_by(const imb_frame *model)
{
	const imb_val *h = imb_val_get(model->attrs, "history");
	if (h && h->t == IMB_V_ARR && h->n)
		for (size_t i = 0; i < h->n; i++) {
			const char *t = imb_val_as_str(imb_val_get(h->items[i], "tool"), NULL);
			if (t && strcmp(t, "imb-import") && strcmp(t, "imb-split") &&
			    strcmp(t, "imb-oversample") && strcmp(t, "imb-cat"))
				return t;
		}
	return NULL;
}

/* "where: " + the current message; -1 */
static int err_at(const char *where)
{
	char e[1024];
	snprintf(e, sizeof e, "%s", imb_error());
	return imb_seterr("%s: %s", where, e);
}

int imb_plot_panel_read(const char *dir, int q, const char *path,
                        const imb_plot_boundary_opts *b, imb_plot_panel_data *pd)
{
	memset(pd, 0, sizeof *pd);
	imb_reader *r = imb_reader_open(path);
	if (!r)
		return -1;
	imb_frame *f, *model = NULL, *data = NULL;
	int rc;
	while ((rc = imb_read_frame(r, &f)) > 0) {
		if (!model && imb_frame_is_model(f))
			model = f;
		else if (!data && !strcmp(f->kind, "dataset") && !strcmp(f->name, b->frame))
			data = f;
		else
			imb_frame_free(f);
	}
	imb_reader_close(r);
	const char *where = strcmp(path, "-") ? path : "the input";
	imb_predictor *p = NULL;
	float *x = NULL;
	int *y = NULL;
	imb_plot_grid g = {0};
	if (rc < 0)
		goto fail;
	if (!model) {
		imb_seterr("%s: no model frame (kind 'model'): imb-train makes one", where);
		goto fail;
	}
	if (!data) {
		imb_seterr("%s: no dataset frame named '%s' (--frame; imb-train --keep-train "
		           "keeps the train set)", where, b->frame);
		goto fail;
	}
	if (imb_dataset_check(data)) {
		err_at(where);
		goto fail;
	}
	size_t n = imb_dataset_n(data), d = imb_dataset_dim(data);
	if (d != 2) {
		imb_seterr("%s: dataset '%s': x has %zu features per sample; a boundary plot needs "
		           "2-D feature vectors", where, data->name, d);
		goto fail;
	}
	char mlb[128];
	imb_frame_label(model, mlb, sizeof mlb);
	if (imb_model_features_check(model->attrs, mlb, data)) {
		err_at(where);
		goto fail;
	}
	if (!(p = imb_predictor_load(model))) {
		err_at(where);
		goto fail;
	}
	if (imb_predictor_nfeatures(p) != 2) {
		imb_seterr("%s: the model takes %zu features; dataset '%s' has 2", where,
		           imb_predictor_nfeatures(p), data->name);
		goto fail;
	}
	int K = imb_predictor_nclasses(p);
	/* the data's labels in the model's class order, matched by name */
	if (imb_dataset_relabel(data, imb_val_get(model->attrs, "classes"), K, "the model") < 0) {
		err_at(where);
		goto fail;
	}
	x = imb_dataset_features(data);
	const int32_t *y32 = imb_frame_tensor(data, "y")->data;
	y = imb_xmalloc((n ? n : 1) * sizeof *y);
	pd->K = K;
	pd->counts = imb_xcalloc((size_t)K, sizeof *pd->counts);
	for (size_t i = 0; i < n; i++) {
		y[i] = y32[i];
		pd->counts[y[i]]++;
	}
	/* majority first, the rarest class last (drawn on top) */
	pd->order = imb_xmalloc((size_t)K * sizeof *pd->order);
	imb_plot_class_order(pd->counts, K, pd->order);
	pd->names = imb_xcalloc((size_t)K, sizeof *pd->names);
	for (int k = 0; k < K; k++) {
		const char *nm = imb_dataset_class_name(data, k);
		char num[32];
		snprintf(num, sizeof num, "%d", k);
		pd->names[k] = imb_xstrdup(nm ? nm : num);
	}

	imb_plot_box box;
	if (imb_plot_data_box(x, n, b->margin, &box)) {
		char e[1024];
		snprintf(e, sizeof e, "%s", imb_error());
		imb_seterr("%s: dataset '%s': %s", where, data->name, e);
		goto fail;
	}
	double t0 = imb_now();
	if (imb_plot_grid_eval(p, &box, b->grid, &g)) {
		err_at(where);
		goto fail;
	}
	imb_log("%s: %s model on a %dx%d grid in %.2f s", where, imb_predictor_kind(p), b->grid,
	        b->grid, imb_now() - t0);
	if (imb_plot_panel_files(dir, q, &g, x, y, n, pd->order))
		goto fail;

	/* labels: the feature names when the data has them */
	const imb_val *feat = imb_val_get(data->attrs, "features");
	const char *f0 = feat && feat->t == IMB_V_ARR && feat->n == 2
	                 ? imb_val_as_str(feat->items[0], NULL) : NULL;
	const char *f1 = feat && feat->t == IMB_V_ARR && feat->n == 2
	                 ? imb_val_as_str(feat->items[1], NULL) : NULL;
	snprintf(pd->xlabel, sizeof pd->xlabel, "%s (feature 1, data units)", f0 ? f0 : "x1");
	snprintf(pd->ylabel, sizeof pd->ylabel, "%s (feature 2, data units)", f1 ? f1 : "x2");
	const char *arch = imb_val_as_str(imb_val_get(model->attrs, "arch"), NULL);
	const char *kind = imb_val_as_str(imb_val_get(model->attrs, "model"), "model");
	const char *tool = made_by(model);
	char title[600];
	if (q < (int)b->ntitles)
		snprintf(title, sizeof title, "%s", b->titles[q]);
	else
		snprintf(title, sizeof title, "%s%s%s on the %s set (%zu points)", arch ? arch : kind,
		         tool ? " by " : "", tool ? tool : "", data->name, n);
	pd->title = imb_xstrdup(title);
	rc = 0;
	goto done;
fail:
	imb_plot_panel_data_free(pd);
	rc = -1;
done:
	free(y);
	free(x);
	imb_plot_grid_free(&g);
	imb_predictor_free(p);
	imb_frame_free(model);
	imb_frame_free(data);
	return rc;
}

void imb_plot_panel_data_free(imb_plot_panel_data *pd)
{
	if (!pd)
		return;
	for (int k = 0; pd->names && k < pd->K; k++)
		free(pd->names[k]);
	free(pd->names);
	free(pd->counts);
	free(pd->order);
	free(pd->title);
	memset(pd, 0, sizeof *pd);
}

int imb_plot_boundary_files(const char *dir, char *const *paths, int npaths,
                            const imb_plot_boundary_opts *b, const imb_plot_opts *o)
{
	if (npaths < 1 || npaths > IMB_PLOT_MAX_PANELS)
		return imb_seterr("%d panels: a figure has 1 to %d", npaths, IMB_PLOT_MAX_PANELS);
	imb_plot_panel_data pd[IMB_PLOT_MAX_PANELS];
	imb_plot_panel panel[IMB_PLOT_MAX_PANELS];
	int np = 0, rc = 0;
	for (; np < npaths; np++) {
		if (imb_plot_panel_read(dir, np, paths[np], b, &pd[np])) {
			rc = -1;
			goto done;
		}
		panel[np] = (imb_plot_panel){.K = pd[np].K, .names = pd[np].names,
		                             .counts = pd[np].counts, .order = pd[np].order,
		                             .title = pd[np].title};
	}
	imb_plot_opts fig = *o;
	char one[1300];
	if (np == 1 && fig.title && b->ntitles) {
		/* one panel: its title joins the figure's */
		snprintf(one, sizeof one, "%s: %s", fig.title, pd[0].title);
		fig.title = one;
	} else if (!fig.title && np == 1) {
		fig.title = pd[0].title;
	} else if (!fig.title) {
		fig.title = "Decision regions";
	}
	if (!fig.xlabel)
		fig.xlabel = pd[0].xlabel;
	if (!fig.ylabel)
		fig.ylabel = pd[0].ylabel;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	imb_plot_script_boundary(fp, &fig, panel, np);
	rc = imb_plot_put_stream(dir, "plot.gp", fp, &buf, &len, 0);
done:
	for (int q = 0; q < np; q++)
		imb_plot_panel_data_free(&pd[q]);
	return rc;
}
