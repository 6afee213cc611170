/* plot.h: figures through gnuplot: the scripts, running gnuplot and
 * installing its pictures. The data the scripts draw are made by
 * plot_series.h (lines from TSV tables: sweep, lines) and
 * plot_boundary.h (a model's decision regions on a grid of 2-D points).
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

#include "plot_series.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- gnuplot scripts ---- */

typedef struct {
	const char *title, *xlabel, *ylabel, *key_title;
	int logx, logy;
	int png, svg;        /* which of out.png, out.svg to draw */
	int width, height;   /* pixels (default 900 x 650) */
	int band;            /* series: error as a shaded band of +-1 SE, not bars */
	int y_from_zero;     /* series: the y axis starts at 0 */
	double xtic_step;    /* series: > 0: x tics this far apart */
} imb_plot_opts;

/* s as a gnuplot single-quoted string: ' doubled, control characters
 * as spaces (gnuplot expands nothing inside single quotes). */
void imb_plot_quote(FILE *fp, const char *s);

/* The head of every script: encoding, NA as missing, the title and
 * axis labels of o (when set), a light grid. */
void imb_plot_script_head(FILE *fp, const imb_plot_opts *o);
/* body (the plot commands) once per picture o asks for: out.png
 * (pngcairo) and out.svg, at o's size (default 900 x 650). */
void imb_plot_script_pictures(FILE *fp, const imb_plot_opts *o, const char *body);

/* The script of a series plot: one line per series from data.dat's
 * blocks (imb_plot_write_series), with +-1 SE error bars where the
 * series has them (a shaded band with o->band), in the series' colour
 * and dash type; the legend titled o->key_title; log axes by o->logx,
 * logy. */
void imb_plot_script_series(FILE *fp, const imb_plot_opts *o, const imb_plot_series *s,
                            size_t n);

/* The texts imb_plot_series_labels makes. */
typedef struct {
	char x[300], y[300], title[700];
} imb_plot_labels;

/* The defaults of a series plot, where o leaves them NULL (o then points
 * into lab, which must outlive it): the x label is column x with '_' as
 * ' ' and " (log scale)" with o->logx (train_ratio: "train ratio:
 * minority / majority count (log scale)"); the y label is column y so,
 * with " (mean, error bars +-1 SE)" when se is set, else " (log scale)"
 * with o->logy; the title "Y against X". A group (not NULL) titles the
 * legend. */
void imb_plot_series_labels(imb_plot_opts *o, imb_plot_labels *lab, const char *x,
                            const char *y, int se, const char *group);
/* A series figure's files in dir: data.dat (imb_plot_write_series) and
 * plot.gp (imb_plot_script_series). 0, or -1 with imb_error(). */
int imb_plot_series_files(const char *dir, const imb_plot_opts *o, const imb_plot_series *s,
                          size_t n);

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
 * installed. For a signal handler (imb_plot_catch_signals installs
 * one). */
void imb_plot_signal_cleanup(void);
/* On SIGINT and SIGTERM, imb_plot_signal_cleanup, then the handler that
 * SIGINT had before (imb_cli_init's: call this after it), then the
 * default action, so the process still dies by the signal. */
void imb_plot_catch_signals(void);
/* Panels of a boundary figure, at most. */
#define IMB_PLOT_MAX_PANELS 8
/* Write text to dir/name. 0 or -1 with imb_error(). */
int imb_plot_put(const char *dir, const char *name, const char *text, size_t len);
/* Close fp, an open_memstream over *buf and *len, and write its text to
 * dir/name (imb_plot_put); *buf is freed and reset either way. rc is the
 * result of writing the text: when it is not 0 nothing is written and rc
 * is returned. 0, or -1 with imb_error(). */
int imb_plot_put_stream(const char *dir, const char *name, FILE *fp, char **buf, size_t *len,
                        int rc);
/* Run $IMB_GNUPLOT (default "gnuplot") on dir/script, with dir as the
 * working directory, by fork and exec (no shell). -1 with imb_error()
 * when gnuplot is not found or fails. */
int imb_plot_gnuplot(const char *dir, const char *script);
/* Copy src to a temporary file beside dst, then rename it to dst. -1
 * with imb_error() (nothing left at dst's temporary name). An empty src
 * is an error. */
int imb_plot_install(const char *src, const char *dst);

/* ---- a figure's pictures ---- */

/* The pictures that -o output names: output must end in .png or .svg;
 * *png and *svg are output with that extension, or with both when both
 * is set; the other is NULL. Both malloc'd, the caller's. -1 with
 * imb_error() "'OUTPUT' must end in .png or .svg" (nothing allocated). */
int imb_plot_targets(const char *output, int both, char **png, char **svg);
/* Run gnuplot on dir/plot.gp, then install dir/out.png at png and
 * dir/out.svg at svg (each skipped when NULL; the script must draw the
 * same ones), logging "wrote FILE" for each (imb_log). 0, or -1 with
 * imb_error(): a picture installed before the failure stays. */
int imb_plot_draw(const char *dir, const char *png, const char *svg);

#ifdef __cplusplus
}
#endif

#endif
