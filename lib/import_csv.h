/* import_csv.h: the parts of the CSV importer shared by its files
 * (import_csv.c reads the file, import_csv_text.c holds the string
 * dictionary and the reading of numbers and missing markers,
 * import_csv_cols.c the column choices, ids and imputation). Private
 * to the importer: tools use import.h. */
#ifndef IMB_IMPORT_CSV_H
#define IMB_IMPORT_CSV_H

#include "stream.h"

#include <stddef.h>
#include <stdint.h>

/* a string -> index dictionary (open addressing), strings kept in
 * insertion order */
typedef struct {
	char **s;        /* n strings in insertion order */
	size_t n, cap;
	uint32_t *tab;   /* index + 1, 0 empty */
	size_t tcap;     /* power of two */
} imb_strdict;

void imb_strdict_free(imb_strdict *d);
/* index of s[0..len), or -1 */
long imb_strdict_find(const imb_strdict *d, const char *s, size_t len);
/* index of s[0..len), added when new */
long imb_strdict_add(imb_strdict *d, const char *s, size_t len);

/* A field as a number. 1: a number that fits a float (finite and at
 * most FLT_MAX in magnitude; one that underflows as strtod rounds it),
 * or an infinity spelled as numpy, pandas and JSON write it (inf, -inf,
 * Infinity, ...: *out is +-INFINITY), or a NaN spelling (nan: *out is
 * NaN); 0: not a number (text: a category); -1: digits that do not fit
 * a float (1e400, 1e39), an error in a numeric column, never a reason
 * to make it categorical. */
int imb_csv_parse_num(const char *s, double *out);
/* s is a non-negative decimal integer (digits only) that fits a long */
int imb_csv_parse_index(const char *s, long *out);

/* The missing-value markers: a comma list (NULL: the default list,
 * IMB_CSV_MISSING). The empty field is always missing. */
#define IMB_CSV_MISSING "?,NA,N/A,n/a,NaN,nan,-nan,-NaN,null,NULL,None,<NA>,#N/A"
typedef struct {
	char **m;
	size_t *len;
	size_t n;
	uint64_t quick[256]; /* by first byte: bit min(len, 63) set when a marker may match */
} imb_csv_markers;
void imb_csv_markers_init(imb_csv_markers *mk, const char *list);
void imb_csv_markers_free(imb_csv_markers *mk);
int imb_csv_is_missing(const imb_csv_markers *mk, const char *s, size_t len);
/* the name of the missing category of a text column: the first marker */
const char *imb_csv_missing_name(const imb_csv_markers *mk);

#include "import.h"

/* ---- the reader's state (import_csv.c) ---- */

enum { ROLE_NUM, ROLE_CAT, ROLE_LABEL, ROLE_ID, ROLE_SKIP };

typedef union { float f; int32_t i; } cell;

/* a categorical cell that is missing, until its category is decided */
#define CAT_MISSING (-2)

typedef struct {
	const char *path;
	const imb_csv_opts *o;
	imb_csv_markers mk;
	int pass;
	long line;
	long rec;          /* records completed, skipped ones included */
	size_t col;        /* field index in the current record */
	size_t ncols;      /* fields per record, from the first one */
	long first_line;   /* line where the first record ends */
	int failed;
	/* pass 1 */
	char **first;      /* fields of the first record after skip */
	size_t nfirst, capfirst;
	int *numeric;      /* per column: every non-missing value below the first record is a number */
	int *seen;         /* per column: a non-missing value below the first record */
	size_t nrest;      /* records after the first one */
	int idx_ok;        /* column 0 below the first record: integers only so far */
	int64_t *idx;      /* and those integers */
	size_t nidx, capidx;
	/* pass 2 */
	int header;
	long lc, ic;       /* label and id columns, or -1 */
	int *role;
	imb_strdict *dicts; /* per column: categorical vocabulary / label values */
	int *fixed;        /* per column: dictionary is fixed (from like/label_values) */
	char **names;
	size_t row, nrows;
	cell *cells;       /* nrows x ncols */
	char **ids;        /* nrows ids (ROLE_ID) */
	uint64_t *unknown; /* per column: values outside a fixed vocabulary */
	uint64_t *nmiss;   /* per column: missing values of a categorical column */
	size_t *corder;    /* the columns in the order of x's features */
} pstate;

/* ---- import_csv_cols.c ---- */

/* the label and id columns (st->lc, st->ic; -1 when none) */
int imb_csv_setup_label_id(pstate *st);
/* --use, --drop, the reference frame's features and a pandas index:
 * the columns left out become ROLE_SKIP */
int imb_csv_setup_skips(pstate *st);
/* st->corder: the columns in file order, or with a reference frame in
 * the order of its features (a score file's columns may come in any
 * order), the others after them */
void imb_csv_column_order(pstate *st);
/* The imputation method: --impute, or the reference frame's (whose
 * values then apply). *ref: its attrs.impute.values or NULL. */
int imb_csv_impute_method(const pstate *st, const char **method, const imb_val **ref);
/* Decide the category of each missing value of categorical column c
 * (after pass 2): with most-frequent imputation the most frequent
 * category (the reference frame's, or this file's; the smallest of
 * ties), recorded in values; else the missing category of its own. */
int imb_csv_resolve_missing(pstate *st, size_t c, const char *method, const imb_val *ref,
                            imb_val *values);


/* Impute the NaNs of the numeric features of x (n,d): numeric[j] marks
 * them, names[j] names them. With ref (the reference frame's
 * attrs.impute.values) its value of each feature, else the statistic of
 * method ("mean", "median", "most-frequent") over the feature's finite
 * values here; each value used is set in values (feature name ->
 * number). Infinities are left as they are. A feature with no value to
 * impute from keeps its NaNs (a warning names it). 0, or -1 with
 * imb_error() naming a feature the reference has no value for. */
int imb_csv_impute_numeric(float *x, size_t n, size_t d, const int *numeric,
                           const char *const *names, const char *method, const imb_val *ref,
                           imb_val *values, const char *path);

/* The id tensor of ids[0..n): i64 when every id is a decimal integer
 * that fits int64, else u8 (n, W), each id's UTF-8 bytes padded with
 * NULs to the longest id's W bytes (at least 1). */
void imb_csv_put_ids(imb_frame *f, char *const *ids, size_t n);

/* Resolve a comma list of column names or 0-based indices against the
 * ncols names into mark[c] = 1. 0, or -1 with imb_error() naming the
 * first unknown column (what names the list's flag). */
int imb_csv_mark_cols(const char *list, char *const *names, size_t ncols, int *mark,
                      const char *path, const char *what);
/* column c by name (preferred) or 0-based index, or -1 */
long imb_csv_find_col(char *const *names, size_t ncols, const char *s);

#endif
