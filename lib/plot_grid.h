/* plot_grid.h: figures over categories of a TSV table (plot_series.h's
 * tables and filters): grouped bars (imb-plot bars) and heatmaps of a
 * value over two categorical axes (imb-plot heatmap), their data files
 * and gnuplot scripts. */
#ifndef IMB_PLOT_GRID_H
#define IMB_PLOT_GRID_H

#include "plot.h"
#include "plot_series.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The label of a column on an axis: its name with '_' as ' '
 * (train_ratio and test_ratio say what the ratio is). buf is size
 * bytes; returns buf. */
char *imb_plot_col_label(const char *col, char *buf, size_t size);

/* ---- bars ---- */

typedef struct {
	size_t nx, ng;
	char **xcat;        /* nx cluster names, in order of first appearance */
	char **glabel;      /* ng group labels, in order of first appearance
	                     * ("" without groups) */
	double *y, *se;     /* (nx, ng), y[i * ng + g]: NaN where no row
	                     * gives the bar; se NULL without an error column
	                     * (a missing error value is 0) */
} imb_plot_bars;

/* The bars of the rows of t that pass sel's filters and have a number
 * in sel->y (NA rows are left out): one cluster per value of column
 * sel->x, one bar per group (sel->group's columns) within it, error bars
 * from sel->se. -1 with imb_error() for an unknown column, a value that
 * is not a number, two rows for one bar (naming them) or no row left.
 * b's contents are the caller's (imb_plot_bars_free). */
int imb_plot_bars_select(const imb_table *t, const imb_plot_select *sel, imb_plot_bars *b);
void imb_plot_bars_free(imb_plot_bars *b);
/* data.dat (a row per cluster: "y se" per group, NA for a missing bar)
 * and plot.gp: gnuplot's clustered histogram, error bars when b has
 * them, the clusters' names as x tics, a colour per group; the y axis
 * from 0 unless a bar is negative. o is copied, its gaps filled: x label
 * sel's x column, y label its y column (", mean, error bars +-1 SE"),
 * title "Y by X", the legend titled by the group columns. 0, or -1 with
 * imb_error(). */
int imb_plot_bars_files(const char *dir, const imb_plot_opts *o, const imb_plot_select *sel,
                        const imb_plot_bars *b);

/* ---- heatmaps ---- */

typedef struct {
	const char *x, *y, *z;    /* columns; z is COL or COL_mean */
	char *const *where;
	size_t nwhere;
	int mark;                 /* 0: none; 1: the largest z of each x
	                           * column; -1: the smallest */
	int labels;               /* print each cell's value */
} imb_plot_heat_opts;

typedef struct {
	size_t nx, ny;
	char **xcat, **ycat;      /* the categories as the table writes them
	                           * (the first row's text) */
	char **xtic, **ytic;      /* their tick labels (numbers as %.3g) */
	double *z;                /* (nx, ny), z[i * ny + j]: NaN where no row gives the cell */
	long *marked;             /* nx: the marked cell's y index, -1 for none
	                           * (NULL without a mark) */
	char *zcol;               /* the z column drawn */
} imb_plot_heat;

/* The cells of the rows of t that pass the filters and have a number in
 * z (NA rows are left out). An axis whose values are all numbers is
 * sorted by value (equal numbers are one category), another keeps the
 * order of first appearance. With a mark, each x column's cell of the
 * largest (smallest) z is marked, the first in y order on a tie. -1
 * with imb_error() for an unknown column, a z that is not a number, two
 * rows for one cell (naming them) or no row left. h's contents are the
 * caller's (imb_plot_heat_free). */
int imb_plot_heat_select(const imb_table *t, const imb_plot_heat_opts *ho, imb_plot_heat *h);
void imb_plot_heat_free(imb_plot_heat *h);
/* The cells as TSV: columns x, y, z (named as in the table), and
 * "marked" (1 or 0) with a mark; one row per cell that has a value, x
 * then y in axis order. 0, or -1 with imb_error() on a write error. */
int imb_plot_heat_write_tsv(FILE *fp, const imb_plot_heat_opts *ho, const imb_plot_heat *h);
/* data.dat ("i j z textcolour" per cell), marks.dat (the marked cells)
 * and plot.gp: a box per cell coloured by z (viridis; missing cells
 * blank), the categories as tics, a colour bar labelled z, each value
 * with 3 decimals in its cell with ho->labels, a ring on the marked
 * cells (in the legend: "largest Z in each X column"). o is copied, its
 * gaps filled from the columns (title "Z by X and Y"). 0, or -1 with
 * imb_error(). */
int imb_plot_heat_files(const char *dir, const imb_plot_opts *o, const imb_plot_heat_opts *ho,
                        const imb_plot_heat *h);

#ifdef __cplusplus
}
#endif

#endif
