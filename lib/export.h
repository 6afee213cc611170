/* export.h: frames out of imb: a dataset, predictions or metrics frame
 * written as CSV, TSV, NumPy .npy/.npz or LIBSVM text (export.c; the
 * NumPy writers: export_npy.c).
 *
 * Which frames: those of one kind (given, else the most derived kind the
 * stream holds: metrics, else predictions, else dataset), and of one name
 * when a name is given, the one at a position when that is given. Several frames are written together only where
 * the format has a place for the frame's name (CSV/TSV: a first column
 * "set"); NPY, NPZ and LIBSVM take one frame and name the choices.
 *
 * The arrays of a frame (NPY/NPZ): a dataset's or a predictions frame's
 * tensors, as they are (dtype, shape, C order); a metrics frame's
 * confusion (K,K) f64 and per-class support, recall, precision, f1 (K)
 * f64 (NaN where undefined). */
#ifndef IMB_EXPORT_H
#define IMB_EXPORT_H

#include "stream.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	IMB_EXPORT_CSV, IMB_EXPORT_TSV, IMB_EXPORT_NPY, IMB_EXPORT_NPZ, IMB_EXPORT_LIBSVM
} imb_export_format;

typedef struct {
	imb_export_format format;
	const char *kind;    /* dataset, predictions or metrics; NULL: the most derived */
	const char *frame;   /* frames of this name only; NULL: every one */
	long index;          /* the frame at this position (f->index) only; 0: any */
	const char *tensor;  /* NPY: this array only, to output as one file */
	const char *output;  /* NULL or "-": stdout; NPY without tensor: a prefix */
	int zero_based;      /* LIBSVM: feature indices from 0 (default from 1) */
	int label_names;     /* LIBSVM: labels as class names (default indices) */
} imb_export_opts;

/* "csv", "tsv", "npy", "npz", "libsvm": 0, or -1 */
int imb_export_format_parse(const char *s, imb_export_format *out);
/* 1 when frames of this kind can be exported (dataset, predictions, metrics) */
int imb_export_kind_ok(const char *kind);

/* The frames of f[0..n) that o selects, checked for o's format: their
 * indices into *sel (malloc'd), *nsel of them, and the kind chosen in
 * *kind (a string of f's). -1 with imb_error(): no frame of the kind,
 * none of that name (the names there are listed), several where the
 * format takes one (listed, with the flag that chooses), frames that do
 * not share columns, LIBSVM of a metrics frame or of one without labels,
 * --tensor not in the frame. */
int imb_export_select(imb_frame *const *f, size_t n, const imb_export_opts *o, size_t **sel,
                      size_t *nsel, const char **kind);

/* Write the selected frames s[0..ns) (of one kind, as imb_export_select
 * returns them) as o says, every output appearing only when complete.
 * 0, or -1 with imb_error() (no output left behind). */
int imb_export_write(imb_frame *const *s, size_t ns, const imb_export_opts *o);

/* ---- pieces, for tests and other writers ---- */

/* The NPY v1.0 header of an array of dtype t and shape (ndim dims):
 * magic, version, header length and the dict, padded with spaces and a
 * newline to a multiple of 64 bytes. Returns its length (<= 4096). */
size_t imb_npy_header(char *buf, imb_dtype t, int ndim, const uint64_t *shape);
/* The arrays a frame exports (see above) as a new frame holding them
 * (metrics: made from attrs; others: a copy of the tensors). */
imb_frame *imb_export_arrays(const imb_frame *f);
/* Write tensors a[0..n) as an .npz (a ZIP archive, stored, entries
 * NAME.npy) to fp. -1 with imb_error() when it would pass ZIP's 4 GiB
 * limits. */
int imb_npz_write(FILE *fp, const imb_tensor *a, size_t n);
/* One .npy file to fp. */
void imb_npy_write(FILE *fp, const imb_tensor *t);

#ifdef __cplusplus
}
#endif

#endif
