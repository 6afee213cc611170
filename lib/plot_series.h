/* plot_series.h: the data of line plots (imb-plot sweep and lines): the
 * input (TSV, or metrics frames aggregated into TSV), TSV tables, their
 * cells, columns and --where filters (shared by every mode that reads a
 * table), the series chosen from them (one line per group, filtered,
 * sorted by x) and data.dat, the file gnuplot draws them from.
 *
 * Nothing here runs gnuplot or names a path; plot.h writes the script
 * that reads data.dat. */
#ifndef IMB_PLOT_SERIES_H
#define IMB_PLOT_SERIES_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the input ---- */

/* The whole input: the nfiles files one after another (none: stdin; "-"
 * is stdin), NUL-terminated (*len bytes before the NUL). Malloc'd, the
 * caller's. NULL with imb_error() "PATH: strerror" for a file that does
 * not open, "reading PATH: strerror" for a read error. */
char *imb_plot_read_input(char *const *files, int nfiles, size_t *len);
/* 0 when text (len bytes) is not a stream of frames (it does not begin
 * with a msgpack map), else -1 with imb_error() "MODE reads a TSV table;
 * the input is a stream of frames". */
int imb_plot_input_is_table(const char *mode, const char *text, size_t len);
/* The input as TSV text: *text (*len bytes, malloc'd) is kept when it is
 * not a stream of frames (it does not begin with a msgpack map). A
 * stream is accepted only with frames set (sweep): it is written to
 * dir/input.imb and its metrics frames aggregated by the attrs.config
 * keys x and the comma-separated group columns (group NULL: none; see
 * eval_agg.h), as imb_agg_write_tsv's table, which replaces *text and
 * *len (the old text freed). 0; -1 with imb_error() for a stream without
 * frames set (imb_plot_input_is_table's, as "lines"), unreadable frames,
 * no metrics frames or a frame without the keys; -2 with imb_error()
 * for a bad group list (a usage error: empty names or more than 16).
 * *text is unchanged on error. */
int imb_plot_input_tsv(const char *dir, char **text, size_t *len, int frames, const char *x,
                       const char *group);

/* ---- tables (TSV with a header line) ---- */

typedef struct {
	size_t ncols, nrows;
	char **head;       /* ncols names */
	char **cell;       /* nrows * ncols, row-major; pointers into buf */
	char *buf;
} imb_table;

/* Parse TSV text (takes ownership of text, malloc'd, len bytes): a
 * header line then rows of as many fields; empty lines are skipped; a
 * trailing \r is dropped. -1 with imb_error() naming the line (text is
 * freed then as well). */
int imb_table_parse(char *text, size_t len, imb_table *t);
/* The column's index, or -1. */
int imb_table_col(const imb_table *t, const char *name);
/* Frees what imb_table_parse made; t NULL is fine. */
void imb_table_free(imb_table *t);
/* The column's index; -1 with imb_error() "WHAT: no column 'NAME' (the
 * columns: A, B, ...)". */
int imb_table_need_col(const imb_table *t, const char *name, const char *what);

/* ---- cells, groups and filters ---- */

/* 1 when a cell holds no value: empty, NA, nan, NaN, -nan or null. */
int imb_plot_is_na(const char *s);
/* The cell as a finite number: 0, or -1 when it is not one. */
int imb_plot_parse_num(const char *s, double *v);
/* 1 when cell equals value as text, or both are numbers of equal value
 * ("0.10" is "0.1"). */
int imb_plot_value_eq(const char *cell, const char *value);
/* The columns of a comma-separated list (NULL or "": none) into cols
 * (at most max): their count, or -1 with imb_error() for an empty name,
 * too many, or an unknown column (imb_table_need_col, "group"). */
int imb_plot_group_cols(const imb_table *t, const char *group, int *cols, int max);
/* A row's group label: its cells of cols[0..n) joined by ' ' ("" for n
 * 0). Malloc'd, the caller's. */
char *imb_plot_group_label(char *const *row, const int *cols, int n);

/* COL=VALUE filters on a table's rows. */
typedef struct {
	size_t n;
	int *col;
	const char **val;  /* into the filter strings */
} imb_plot_where;
/* Compile the n filters where[] against t's header. 0, or -1 with
 * imb_error() for one that is not COL=VALUE or names an unknown column
 * (then nothing is left to free). */
int imb_plot_where_init(imb_plot_where *w, const imb_table *t, char *const *where, size_t n);
/* 1 when the row passes every filter (imb_plot_value_eq). */
int imb_plot_where_keep(const imb_plot_where *w, char *const *row);
/* Frees what imb_plot_where_init made; w NULL is fine. */
void imb_plot_where_free(imb_plot_where *w);

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
	int color;         /* palette colour + 1; 0: by the series' index */
	int dash;          /* gnuplot dash type; 0: solid */
} imb_plot_series;

typedef struct {
	const char *x, *y;   /* columns */
	const char *se;      /* error column, or NULL */
	const char *group;   /* comma-separated columns, or NULL: one series */
	char *const *where;  /* COL=VALUE filters, all must hold */
	size_t nwhere;
	int positive_x;      /* x must be > 0 (log scale) */
} imb_plot_select;

/* The columns a selection names, looked up in t's header: x, y, the
 * error column (-1 without), the group columns, the compiled filters.
 * 0, or -1 with imb_error() naming an unknown column (nothing left to
 * free); else imb_plot_where_free(&c->where) when done. */
typedef struct {
	int x, y, se;
	int group[16];
	int ngroup;
	imb_plot_where where;
} imb_plot_cols;
int imb_plot_select_cols(const imb_table *t, const imb_plot_select *sel, imb_plot_cols *c);

/* Rows that pass the filters (imb_plot_where_keep) and have numbers in
 * x and y (a row whose x or y is NA, nan or empty is left out), grouped
 * by the group columns in order of first appearance, each series sorted
 * by x. -1 with
 * imb_error() for an unknown column (naming it and listing the header),
 * a value that is not a number, x <= 0 with positive_x, or no row left.
 * *out (n series) is the caller's: imb_plot_series_free. */
int imb_plot_series_select(const imb_table *t, const imb_plot_select *sel,
                           imb_plot_series **out, size_t *nout);
/* Frees n series and the array; s NULL is fine. */
void imb_plot_series_free(imb_plot_series *s, size_t n);

/* data.dat for a series plot: one block per series ("x y se" lines; se
 * 0 without an error column), blocks separated by two blank lines so
 * the script picks them with 'index'. 0, or -1 with imb_error() on a
 * write error. */
int imb_plot_write_series(FILE *fp, const imb_plot_series *s, size_t n);

#ifdef __cplusplus
}
#endif

#endif
