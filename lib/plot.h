/* plot.h: figures through gnuplot: a model's decision regions on a grid
 * of 2-D points, and lines (with error bars) read from TSV tables.
 *
 * The library writes the data files and the gnuplot script into a
 * private temporary directory and runs gnuplot there as a child process
 * (no shell): the script names only files of that directory (data.dat,
 * out.png, ...), never a user's path, and every user string (titles,
 * labels, class and group names) enters it through imb_plot_quote. The
 * finished picture is then copied next to its target under a temporary
 * name and renamed into place, so a target is either complete or absent. */
#ifndef IMB_PLOT_H
#define IMB_PLOT_H

#include "predict.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the grid of a decision-boundary plot ---- */

typedef struct {
	double x0, x1, y0, y1;
} imb_plot_box;

/* The bounding box of n points x (n, 2), widened by margin times its
 * width (and height) on each side; a side of zero width gets +-0.5.
 * -1 with imb_error() when n is 0 or a coordinate is not finite. */
int imb_plot_data_box(const float *x, size_t n, double margin, imb_plot_box *box);

typedef struct {
	int n;             /* points per axis */
	int K;             /* classes */
	imb_plot_box box;
	float *proba;      /* (n*n, K); point (i, j) at row j*n + i */
} imb_plot_grid;

/* Coordinates of grid column i / row j: box.x0 + i (x1 - x0) / (n - 1). */
double imb_plot_grid_x(const imb_plot_grid *g, int i);
double imb_plot_grid_y(const imb_plot_grid *g, int j);
/* The predicted class at (i, j): the first class of largest probability. */
int imb_plot_grid_argmax(const imb_plot_grid *g, int i, int j);
/* Evaluate p on an n x n grid over box (n >= 2), through the predict
 * interface, in batches. The model must take 2 features. 0, or -1 with
 * imb_error(); g->proba is the caller's (imb_plot_grid_free). */
int imb_plot_grid_eval(imb_predictor *p, const imb_plot_box *box, int n, imb_plot_grid *g);
void imb_plot_grid_free(imb_plot_grid *g);
/* The borders between predicted classes, as segments x0 y0 x1 y1 (four
 * doubles each) on the cell edges between neighbouring grid points of
 * different argmax. *seg is malloc'd (NULL when none); returns the count. */
size_t imb_plot_borders(const imb_plot_grid *g, double **seg);

/* ---- tables (TSV with a header line) ---- */

typedef struct {
	size_t ncols, nrows;
	char **head;       /* ncols names */
	char **cell;       /* nrows * ncols, row-major; pointers into buf */
	char *buf;
} imb_table;

/* Parse TSV text (takes ownership of text, malloc'd, len bytes): a
 * header line then rows of as many fields; empty lines are skipped; a
 * trailing \r is dropped. -1 with imb_error() naming the line. */
int imb_table_parse(char *text, size_t len, imb_table *t);
/* The column's index, or -1. */
int imb_table_col(const imb_table *t, const char *name);
void imb_table_free(imb_table *t);

/* The y column to draw and its error column: y itself when the table
 * has it (with Y_se as error column when y is Y_mean and se is NULL),
 * else Y_mean when the table has that (with Y_se when present and se is
 * NULL); se as given otherwise. *yout and *seout (NULL when none) are
 * malloc'd. Unknown columns are left for imb_plot_series_select to name. */
void imb_plot_resolve_y(const imb_table *t, const char *y, const char *se, char **yout,
                        char **seout);

/* ---- series: one line of a plot ---- */

typedef struct {
	char *label;       /* group values joined by ' ' ("" without groups) */
	size_t n;
	double *x, *y, *se; /* se NULL without an error column */
} imb_plot_series;

typedef struct {
	const char *x, *y;   /* columns */
	const char *se;      /* error column, or NULL */
	const char *group;   /* comma-separated columns, or NULL: one series */
	char *const *where;  /* COL=VALUE filters, all must hold */
	size_t nwhere;
	int positive_x;      /* x must be > 0 (log scale) */
} imb_plot_select;

/* Rows that pass the filters and have numbers in x and y (a row whose x
 * or y is NA, nan or empty is left out), grouped by the group columns in
 * order of first appearance, each series sorted by x. -1 with
 * imb_error() for an unknown column (naming it and listing the header),
 * a value that is not a number, x <= 0 with positive_x, or no row left. */
int imb_plot_series_select(const imb_table *t, const imb_plot_select *sel,
                           imb_plot_series **out, size_t *nout);
void imb_plot_series_free(imb_plot_series *s, size_t n);

/* ---- gnuplot scripts ---- */

typedef struct {
	const char *title, *xlabel, *ylabel, *key_title;
	int logx, logy;
	int png, svg;        /* which of out.png, out.svg to draw */
	int width, height;   /* pixels (default 900 x 650) */
} imb_plot_opts;

/* s as a gnuplot single-quoted string: ' doubled, control characters
 * as spaces (gnuplot expands nothing inside single quotes). */
void imb_plot_quote(FILE *fp, const char *s);

/* data.dat for a series plot: one block per series ("x y se" lines; se
 * 0 without an error column), blocks separated by two blank lines so
 * the script picks them with 'index'. */
int imb_plot_write_series(FILE *fp, const imb_plot_series *s, size_t n);
void imb_plot_script_series(FILE *fp, const imb_plot_opts *o, const imb_plot_series *s,
                            size_t n);

/* A boundary panel's data files, for panel q: gridQ.dat: "x y class p
 * r g b" per grid point (rows of the grid as blocks, for gnuplot's
 * contouring; p is class 1's probability), the regions in light class
 * colours. pointsQ.dat: one block per class, in order[] (drawn last =
 * on top). bordersQ.dat: the segments of imb_plot_borders (K > 2). */
int imb_plot_write_grid(FILE *fp, const imb_plot_grid *g);
int imb_plot_write_points(FILE *fp, const float *x, const int *y, size_t n, int K,
                          const int *order);
int imb_plot_write_borders(FILE *fp, const double *seg, size_t nseg);

typedef struct {
	int K;
	char *const *names;    /* K class names */
	const size_t *counts;  /* K point counts */
	const int *order;      /* drawing order of the classes */
	const char *title;     /* the panel's title (several panels) */
} imb_plot_panel;

/* The boundary script for npanels panels side by side (multiplot; the
 * figure's title over them): per panel the regions, the p = 0.5 contour
 * of class 1 (two classes) or the argmax borders, and the points by
 * class in order[] with class names and counts in the legend. */
void imb_plot_script_boundary(FILE *fp, const imb_plot_opts *o,
                              const imb_plot_panel *panel, int npanels);

/* The drawing order of K classes: most points first, ties by index, so
 * the rarest class is drawn last (on top). order has K entries. */
void imb_plot_class_order(const size_t *counts, int K, int *order);
/* Write panel q's gridQ.dat, pointsQ.dat and (K > 2) bordersQ.dat into
 * dir, for the grid g and the points x (n, 2) of classes y. 0 or -1. */
int imb_plot_panel_files(const char *dir, int q, const imb_plot_grid *g, const float *x,
                         const int *y, size_t n, const int *order);

/* Colour of class k, dark (points) or light (regions), as 0xRRGGBB. */
unsigned imb_plot_color(int k, int light);

/* ---- running gnuplot and installing its output ---- */

/* A private temporary directory (mkdtemp under $TMPDIR or /tmp),
 * removed with everything in it by imb_plot_tmpdir_remove, also at exit.
 * NULL with imb_error(). */
const char *imb_plot_tmpdir(void);
void imb_plot_tmpdir_remove(void);
/* Async-signal-safe: unlink the files this library (and gnuplot) makes
 * in the temporary directory, the directory, and a picture being
 * installed. For a signal handler; imb-plot calls it on SIGINT/SIGTERM. */
void imb_plot_signal_cleanup(void);
/* Panels of a boundary figure, at most. */
#define IMB_PLOT_MAX_PANELS 8
/* Write text to dir/name. 0 or -1. */
int imb_plot_put(const char *dir, const char *name, const char *text, size_t len);
/* Run $IMB_GNUPLOT (default "gnuplot") on dir/script, with dir as the
 * working directory, by fork and exec (no shell). -1 with imb_error()
 * when gnuplot is not found or fails. */
int imb_plot_gnuplot(const char *dir, const char *script);
/* Copy src to a temporary file beside dst, then rename it to dst. -1
 * with imb_error() (nothing left at dst's temporary name). An empty src
 * is an error. */
int imb_plot_install(const char *src, const char *dst);

#ifdef __cplusplus
}
#endif

#endif
