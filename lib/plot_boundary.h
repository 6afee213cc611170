/* plot_boundary.h: decision-boundary plots (imb-plot boundary): a model
 * evaluated through the predict interface on a grid of 2-D points, the
 * borders between its predicted classes, the data files of a panel
 * (gridQ.dat, pointsQ.dat, bordersQ.dat) that plot.h's boundary script
 * draws, and a figure's panels read from streams. */
#ifndef IMB_PLOT_BOUNDARY_H
#define IMB_PLOT_BOUNDARY_H

#include "plot.h"
#include "predict.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the grid ---- */

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
/* Frees g->proba and sets it to NULL; g NULL is fine. */
void imb_plot_grid_free(imb_plot_grid *g);
/* The borders between predicted classes, as segments x0 y0 x1 y1 (four
 * doubles each) on the cell edges between neighbouring grid points of
 * different argmax. *seg is malloc'd (NULL when none); returns the count. */
size_t imb_plot_borders(const imb_plot_grid *g, double **seg);

/* ---- a panel's data files ---- */

/* The files of panel q: gridQ.dat: "x y class p r g b" per grid point
 * (rows of the grid as blocks, for gnuplot's contouring; p is class 1's
 * probability), the regions in light class colours. pointsQ.dat: one
 * block per class, in order[] (drawn last = on top); an empty class
 * keeps its block as "NA NA". bordersQ.dat: the segments of
 * imb_plot_borders (K > 2). Each returns 0, or -1 with imb_error() on a
 * write error. */
int imb_plot_write_grid(FILE *fp, const imb_plot_grid *g);
int imb_plot_write_points(FILE *fp, const float *x, const int *y, size_t n, int K,
                          const int *order);
int imb_plot_write_borders(FILE *fp, const double *seg, size_t nseg);

/* The drawing order of K classes: most points first, ties by index, so
 * the rarest class is drawn last (on top). order has K entries. */
void imb_plot_class_order(const size_t *counts, int K, int *order);
/* Write panel q's gridQ.dat, pointsQ.dat and (K > 2) bordersQ.dat into
 * dir, for the grid g and the points x (n, 2) of classes y. 0 or -1
 * with imb_error(). */
int imb_plot_panel_files(const char *dir, int q, const imb_plot_grid *g, const float *x,
                         const int *y, size_t n, const int *order);

/* ---- a figure from streams ---- */

typedef struct {
	const char *frame;     /* the dataset frame whose points are drawn */
	int grid;              /* grid points per axis (2 or more) */
	double margin;         /* imb_plot_data_box's margin */
	char *const *titles;   /* the titles of the first ntitles panels */
	size_t ntitles;
} imb_plot_boundary_opts;

/* What a panel read from a stream gives its legend, title and axes. */
typedef struct {
	int K;                 /* the model's classes */
	char **names;          /* K class names: the dataset's, else the index */
	size_t *counts;        /* K point counts */
	int *order;            /* imb_plot_class_order of counts */
	char *title;
	char xlabel[300], ylabel[300];
} imb_plot_panel_data;

/* Panel q from the stream at path ("-": stdin): its first model frame
 * evaluated on a b->grid square grid over the points of its dataset
 * frame named b->frame (their box widened by b->margin), the panel's
 * data files written into dir (imb_plot_panel_files); logs the grid's
 * time (imb_log). pd gets the classes' names, counts and drawing order,
 * the title (b->titles[q], else "ARCH by TOOL on the SET set (N
 * points)", TOOL the first history entry past the data tools) and the
 * axis labels (attrs.features, else x1 and x2, "(feature 1, data
 * units)"). 0, or -1 with imb_error() naming path ("the input" for
 * stdin): no model frame, no such dataset frame, an invalid dataset,
 * points that are not 2-D, a model that does not take 2 features or
 * has fewer classes than the data. pd's contents are the caller's
 * (imb_plot_panel_data_free); on error nothing is left to free. */
int imb_plot_panel_read(const char *dir, int q, const char *path,
                        const imb_plot_boundary_opts *b, imb_plot_panel_data *pd);
/* Frees pd's contents and zeroes it; pd NULL is fine. */
void imb_plot_panel_data_free(imb_plot_panel_data *pd);
/* A boundary figure's files in dir: one panel per stream of paths
 * (npaths from 1 to IMB_PLOT_MAX_PANELS; imb_plot_panel_read) side by
 * side, and plot.gp (imb_plot_script_boundary). o is copied, its gaps
 * filled: the title is the panel's for one panel (joined as "TITLE:
 * PANEL" when both o->title and a panel title are given), else
 * "Decision regions"; the axis labels are the first panel's. 0, or -1
 * with imb_error(). */
int imb_plot_boundary_files(const char *dir, char *const *paths, int npaths,
                            const imb_plot_boundary_opts *b, const imb_plot_opts *o);

#ifdef __cplusplus
}
#endif

#endif
