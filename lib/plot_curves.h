/* plot_curves.h: per-class training curves (imb-plot curves): the log
 * frames of network runs (attrs.epochs; docs/stream-format.md "log")
 * read from streams, filtered and grouped by their attrs.split
 * settings, averaged per group, class and epoch (the mean and one
 * standard error over runs), written as TSV and drawn as one line per
 * (group, class) through plot.h's series script. */
#ifndef IMB_PLOT_CURVES_H
#define IMB_PLOT_CURVES_H

#include "plot.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a curve shows, per class and epoch: 1 - per_class_acc,
 * per_class_acc or per_class_loss. */
enum { IMB_PLOT_CURVE_ERROR, IMB_PLOT_CURVE_ACC, IMB_PLOT_CURVE_LOSS };
/* The metric named s ("error", "acc", "loss"), or -1. */
int imb_plot_curve_metric(const char *s);
/* Its name: the TSV's column stem ("error", "acc", "loss"). */
const char *imb_plot_curve_metric_name(int metric);

typedef struct {
	int metric;
	const char *group;     /* comma-separated attrs.split keys (dotted
	                        * paths reach into maps), or NULL: all runs
	                        * averaged together */
	char *const *where;    /* KEY=VALUE filters on attrs.split, all must hold */
	size_t nwhere;
} imb_plot_curves_opts;

/* One group's runs averaged. */
typedef struct {
	char *label;           /* "train_ratio=0.1, seed=2" ("" without groups) */
	char **cells;          /* the key values as TSV cells (nkeys) */
	size_t nruns;
	int K;
	char **names;          /* K class names */
	double *n_lo, *n_hi;   /* K: a class's train samples per epoch
	                        * (per_class_n), the least and most among the
	                        * runs (each run's mean over epochs); NaN
	                        * when the logs have none */
	size_t E;
	double *epoch;         /* E epoch numbers */
	double *mean, *se;     /* (E, K): over the runs' finite values; NaN
	                        * when none is, se NaN with fewer than two */
	size_t *m;             /* (E, K): how many runs had a finite value */
} imb_plot_curve_group;

typedef struct {
	int metric;
	size_t nkeys;
	char **keys;           /* the group keys */
	size_t ng;
	imb_plot_curve_group *g;   /* sorted by key values (numbers by value) */
	size_t nruns;          /* log frames averaged (after the filters) */
	size_t nread;          /* log frames read */
} imb_plot_curves;

/* Read the log frames of the nfiles streams (none: stdin; "-": stdin),
 * keep those whose attrs.split passes every filter (a number compares
 * as a number, a string as text, a list as its JSON text with or
 * without the brackets: "0,6" or "[0,6]"), group them by the key values
 * and average each group per class and epoch.
 *
 * A run's class names are those of its stream's model frame (the one
 * before the log, else the first after), else of a dataset frame (the
 * same way), else "0", "1", ...: names of another count are passed
 * over.
 *
 * 0; -2 with imb_error() for a usage error (a bad key list, a filter
 * that is not KEY=VALUE); -1 with imb_error() naming the file and frame:
 * unreadable frames, no log frames, a log without attrs.epochs or the
 * metric's field, a group key missing from a run's attrs.split, no run
 * left after the filters, runs of one group that differ in their epochs,
 * class count or class names (the message says to group or filter them
 * apart). cv's contents are the caller's (imb_plot_curves_free); on
 * error nothing is left to free. */
int imb_plot_curves_read(char *const *files, int nfiles, const imb_plot_curves_opts *c,
                         imb_plot_curves *cv);
/* Frees cv's contents and zeroes it; cv NULL is fine. */
void imb_plot_curves_free(imb_plot_curves *cv);

/* The table: the group keys, epoch, class (index), class_name, n_runs,
 * METRIC_mean, METRIC_se; rows by group, class, then epoch; numbers
 * that read back exactly, NA where not finite. 0, or -1 with imb_error()
 * on a write error. */
int imb_plot_curves_write_tsv(FILE *fp, const imb_plot_curves *cv);

/* A line's legend text: "[GROUP: ]NAME (minority|majority, n = N)" -
 * the class with the most train samples (per_class_n) is the majority,
 * the others minority classes (no such word when all have as many; no n
 * when the logs have none; "n = LO to HI" when the runs differ). buf
 * is size bytes. */
void imb_plot_curve_label(const imb_plot_curve_group *g, int k, char *buf, size_t size);

/* The figure's files in dir: data.dat (one series per group and class:
 * colour by group, dash type by class when grouped, else colour by
 * class; +-1 SE bars, or a shaded band beyond 25 epochs) and plot.gp.
 * o is copied and its gaps filled: x label "epoch", y label "training
 * error (fraction; mean over N runs, bars +-1 SE)" and the like, title
 * "Training error per class by epoch[, grouped by KEYS]". 0, or -1 with
 * imb_error() (no finite value to draw). */
int imb_plot_curves_files(const char *dir, const imb_plot_opts *o, const imb_plot_curves *cv);

#ifdef __cplusplus
}
#endif

#endif
