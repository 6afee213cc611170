/* export.c: choosing the frames to export and writing them as CSV, TSV
 * or LIBSVM text, or NumPy files through export_npy.c (export.h). */
#include "export.h"
#include "dataset.h"
#include "evaluate.h"
#include "scoring.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const formats[] = {
	[IMB_EXPORT_CSV] = "csv", [IMB_EXPORT_TSV] = "tsv", [IMB_EXPORT_NPY] = "npy",
	[IMB_EXPORT_NPZ] = "npz", [IMB_EXPORT_LIBSVM] = "libsvm",
};

int imb_export_format_parse(const char *s, imb_export_format *out)
{
	for (size_t k = 0; k < IMB_LEN(formats); k++)
		if (!strcmp(s, formats[k])) {
			*out = (imb_export_format)k;
			return 0;
		}
	return -1;
}

/* the kinds, most derived first: the default is the first one present */
static const char *const kinds[] = {"metrics", "predictions", "dataset"};

int imb_export_kind_ok(const char *kind)
{
	for (size_t k = 0; k < IMB_LEN(kinds); k++)
		if (!strcmp(kind, kinds[k]))
			return 1;
	return 0;
}

/* "frame 2 'train', frame 3 'test'": the frames of kind in f, for
 * messages; kind NULL: every frame export can write, "frame 2 dataset
 * 'train'" */
static char *list_frames(imb_frame *const *f, size_t n, const char *kind)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		return imb_xstrdup("?");
	int first = 1;
	for (size_t i = 0; i < n; i++)
		if (kind ? !strcmp(f[i]->kind, kind) : imb_export_kind_ok(f[i]->kind)) {
			fprintf(fp, "%sframe %ld %s%s'%s'", first ? "" : ", ", f[i]->index,
			        kind ? "" : f[i]->kind, kind ? "" : " ", f[i]->name);
			first = 0;
		}
	if (first)
		fputs("none", fp);
	fclose(fp);
	return buf;
}

static int is_label_char_bad(const char *s)
{
	return !*s || strpbrk(s, " \t\n\r\v\f") != NULL;
}

/* a dataset frame as export reads it: x (N, ...), y (labels, optional:
 * checked as imb_dataset_check does), id (N) i32/i64 when present */
static int check_dataset(const imb_frame *f, const char *lb)
{
	const imb_tensor *x = imb_frame_tensor(f, "x");
	if (!x || x->ndim < 1)
		return imb_seterr("%s: no tensor 'x' of shape (N, ...)", lb);
	if (imb_frame_tensor(f, "y") && imb_dataset_check(f) < 0)
		return -1;
	const imb_tensor *id = imb_frame_tensor(f, "id");
	if (id && !imb_id_ok(id, x->shape[0]))
		return imb_seterr("%s: tensor 'id' must be (%llu) i32 or i64, or (%llu, W) u8 text",
		                  lb, (unsigned long long)x->shape[0],
		                  (unsigned long long)x->shape[0]);
	const imb_val *cl = imb_val_get(f->attrs, "classes");
	if (cl && cl->t == IMB_V_ARR)
		for (size_t k = 0; k < cl->n; k++)
			if (cl->items[k]->t != IMB_V_STR)
				return imb_seterr("%s: attrs.classes[%zu] is not a string", lb, k);
	return 0;
}

/* a predictions frame: probs (n,K) f32 with K the classes, pred (n) i32
 * in [0,K), id (n) i32/i64 when present */
static int check_predictions(const imb_frame *f, const char *lb)
{
	const imb_val *cl = imb_val_get(f->attrs, "classes");
	const imb_tensor *p = imb_frame_tensor(f, "probs"), *q = imb_frame_tensor(f, "pred");
	const imb_tensor *id = imb_frame_tensor(f, "id");
	if (!cl || cl->t != IMB_V_ARR || !cl->n)
		return imb_seterr("%s: no attrs.classes", lb);
	for (size_t k = 0; k < cl->n; k++)
		if (cl->items[k]->t != IMB_V_STR)
			return imb_seterr("%s: attrs.classes[%zu] is not a string", lb, k);
	if (!p || p->dtype != IMB_F32 || p->ndim != 2 || p->shape[1] != cl->n)
		return imb_seterr("%s: tensor 'probs' must be (n, %zu) f32", lb, cl->n);
	if (!q || q->dtype != IMB_I32 || q->ndim != 1 || q->shape[0] != p->shape[0])
		return imb_seterr("%s: tensor 'pred' must be (%llu) i32", lb,
		                  (unsigned long long)p->shape[0]);
	const int32_t *pv = q->data;
	for (uint64_t i = 0; i < q->shape[0]; i++)
		if (pv[i] < 0 || (size_t)pv[i] >= cl->n)
			return imb_seterr("%s: pred[%llu] = %d is not a class index (0 to %zu)", lb,
			                  (unsigned long long)i, pv[i], cl->n - 1);
	if (id && !imb_id_ok(id, p->shape[0]))
		return imb_seterr("%s: tensor 'id' must be (%llu) i32 or i64, or (%llu, W) u8 text",
		                  lb, (unsigned long long)p->shape[0],
		                  (unsigned long long)p->shape[0]);
	return 0;
}

/* the frames s[1..n) can share a table with s[0]: the same classes and
 * (datasets) the same sample shape */
static int check_same(imb_frame *const *s, size_t n)
{
	char l0[300], lb[300];
	imb_frame_label(s[0], l0, sizeof l0);
	char *c0 = imb_val_json_text(imb_val_get(s[0]->attrs, "classes"));
	int rc = 0;
	for (size_t i = 1; i < n && !rc; i++) {
		imb_frame_label(s[i], lb, sizeof lb);
		char *c = imb_val_json_text(imb_val_get(s[i]->attrs, "classes"));
		if (strcmp(c, c0))
			rc = imb_seterr("%s and %s name other classes (%s, %s): export them one at a "
			                "time with --frame", l0, lb, c0, c);
		free(c);
		const imb_tensor *x0 = imb_frame_tensor(s[0], "x"), *x = imb_frame_tensor(s[i], "x");
		if (!rc && x0 && x && (x0->ndim != x->ndim ||
		                       memcmp(x0->shape + 1, x->shape + 1,
		                              (size_t)(x->ndim - 1) * sizeof *x->shape)))
			rc = imb_seterr("%s and %s have samples of other shapes: export them one at a "
			                "time with --frame", l0, lb);
	}
	free(c0);
	return rc;
}

/* the names of a frame's arrays (imb_export_arrays) hold name */
static int has_array(const imb_frame *f, const char *name)
{
	if (strcmp(f->kind, "metrics") != 0)
		return imb_frame_tensor(f, name) != NULL;
	if (!strcmp(name, "confusion"))
		return imb_val_get(f->attrs, "confusion") != NULL;
	static const char *const pc[] = {"support", "recall", "precision", "f1"};
	for (size_t k = 0; k < IMB_LEN(pc); k++)
		if (!strcmp(name, pc[k]))
			return imb_val_get(f->attrs, "per_class") != NULL;
	return 0;
}

static int wanted(const imb_frame *f, const imb_export_opts *o)
{
	return (!o->frame || !strcmp(f->name, o->frame)) && (!o->index || f->index == o->index);
}

int imb_export_select(imb_frame *const *f, size_t n, const imb_export_opts *o, size_t **sel,
                      size_t *nsel, const char **kind)
{
	*sel = NULL;
	*nsel = 0;
	const char *k = o->kind;
	for (size_t j = 0; !k && j < IMB_LEN(kinds); j++)
		for (size_t i = 0; i < n && !k; i++)
			if (!strcmp(f[i]->kind, kinds[j]) && wanted(f[i], o))
				k = kinds[j];
	if (!k) {
		if (!o->index && !o->frame)
			return imb_seterr("no dataset, predictions or metrics frame in the input");
		char *there = list_frames(f, n, NULL);
		if (o->index)
			imb_seterr("frame %ld of the input is no dataset, predictions or metrics frame%s%s%s "
			           "(there: %s)", o->index, o->frame ? " named '" : "",
			           o->frame ? o->frame : "", o->frame ? "'" : "", there);
		else
			imb_seterr("no dataset, predictions or metrics frame named '%s' in the input "
			           "(there: %s)", o->frame, there);
		free(there);
		return -1;
	}
	size_t *s = imb_xmalloc((n ? n : 1) * sizeof *s), ns = 0, nk = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i]->kind, k)) {
			nk++;
			if (wanted(f[i], o))
				s[ns++] = i;
		}
	char lb[300];
	int rc = 0;
	if (!ns) {
		if (!nk)
			rc = imb_seterr("no %s frame in the input", k);
		else {
			char *there = list_frames(f, n, k);
			rc = imb_seterr("no %s frame%s%s%s%s in the input (there: %s)", k,
			                o->frame ? " named '" : "", o->frame ? o->frame : "",
			                o->frame ? "'" : "", o->index ? " at that --index" : "", there);
			free(there);
		}
	} else if (!strcmp(k, "metrics") && o->format == IMB_EXPORT_LIBSVM) {
		rc = imb_seterr("libsvm writes dataset and predictions frames, not metrics (csv, tsv, "
		                "npy or npz do)");
	} else if (ns > 1 && o->format != IMB_EXPORT_CSV && o->format != IMB_EXPORT_TSV) {
		char *there = list_frames(f, n, k);
		rc = imb_seterr("%zu %s frames%s%s%s (%s): %s writes one; choose it with %s", ns, k,
		                o->frame ? " named '" : "", o->frame ? o->frame : "",
		                o->frame ? "'" : "", there, formats[o->format],
		                o->frame ? "--index" : "--frame or --index");
		free(there);
	}
	for (size_t i = 0; i < ns && !rc; i++) {
		const imb_frame *g = f[s[i]];
		imb_frame_label(g, lb, sizeof lb);
		if (!strcmp(k, "dataset"))
			rc = check_dataset(g, lb);
		else if (!strcmp(k, "predictions"))
			rc = check_predictions(g, lb);
		if (!rc && o->format == IMB_EXPORT_LIBSVM && !strcmp(k, "dataset") &&
		    !imb_frame_tensor(g, "y"))
			rc = imb_seterr("%s has no labels (tensor 'y'): libsvm needs one per row "
			                "(csv, tsv, npy or npz do without)", lb);
		if (!rc && o->format == IMB_EXPORT_LIBSVM && o->label_names) {
			const imb_val *cl = imb_val_get(g->attrs, "classes");
			if (!cl || cl->t != IMB_V_ARR)
				rc = imb_seterr("%s: --labels name: the frame names no classes", lb);
			for (size_t c = 0; !rc && c < cl->n; c++)
				if (is_label_char_bad(cl->items[c]->s))
					rc = imb_seterr("%s: --labels name: class '%s' is empty or holds a space, "
					                "which LIBSVM's label cannot: use --labels index", lb,
					                cl->items[c]->s);
		}
		if (!rc && o->tensor && !has_array(g, o->tensor))
			rc = imb_seterr("%s has no array '%s'", lb, o->tensor);
	}
	if (!rc && ns > 1 && strcmp(k, "metrics") != 0) {
		imb_frame **sf = imb_xmalloc(ns * sizeof *sf);
		for (size_t i = 0; i < ns; i++)
			sf[i] = f[s[i]];
		rc = check_same(sf, ns);
		free(sf);
	}
	if (rc) {
		free(s);
		return -1;
	}
	*sel = s;
	*nsel = ns;
	*kind = k;
	return 0;
}

/* ---------------------------------------------------------------- numbers */

/* v in decimal */
static void put_uint(FILE *fp, uint64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	fwrite_unlocked(p, 1, (size_t)(buf + sizeof buf - p), fp);
}

static void put_int(FILE *fp, int64_t v)
{
	if (v < 0) {
		putc_unlocked('-', fp);
		put_uint(fp, -(uint64_t)v);
	} else {
		put_uint(fp, (uint64_t)v);
	}
}

/* element i of t as text that reads back to the same value: integers in
 * full, f32 the shortest of %.6g..%.9g that strtof reads back, f64
 * imb_fmt_double's */
static void put_num(FILE *fp, const imb_tensor *t, size_t i)
{
	char buf[40];
	switch (t->dtype) {
	case IMB_U8: put_uint(fp, ((const uint8_t *)t->data)[i]); return;
	case IMB_I32: put_int(fp, ((const int32_t *)t->data)[i]); return;
	case IMB_I64: put_int(fp, ((const int64_t *)t->data)[i]); return;
	case IMB_F32: {
		float v = ((const float *)t->data)[i];
		for (int p = 6; p <= 9; p++) {
			snprintf(buf, sizeof buf, "%.*g", p, v);
			if (p == 9 || strtof(buf, NULL) == v)
				break;
		}
		fputs_unlocked(buf, fp);
		return;
	}
	case IMB_F64: imb_fprint_double(fp, ((const double *)t->data)[i]); return;
	default: return;
	}
}

static int is_zero(const imb_tensor *t, size_t i)
{
	switch (t->dtype) {
	case IMB_U8: return ((const uint8_t *)t->data)[i] == 0;
	case IMB_I32: return ((const int32_t *)t->data)[i] == 0;
	case IMB_I64: return ((const int64_t *)t->data)[i] == 0;
	case IMB_F32: return ((const float *)t->data)[i] == 0;
	case IMB_F64: return ((const double *)t->data)[i] == 0;
	default: return 0;
	}
}

/* ---------------------------------------------------------------- tables */

/* the header cell of feature column j of x (one sample: dims shape[1..]):
 * attrs.features[j] of a table that names them, else x_I_J... (the
 * column's index in each dimension), x for a vector of one per sample */
static void feature_name(FILE *fp, char sep, const imb_tensor *x, const imb_val *names, size_t j)
{
	if (names) {
		imb_write_field(fp, sep, names->items[j]->s);
		return;
	}
	fputc('x', fp);
	uint64_t idx[IMB_MAXDIM];
	for (int d = x->ndim - 1; d >= 1; d--) {
		idx[d] = j % x->shape[d];
		j /= x->shape[d];
	}
	for (int d = 1; d < x->ndim; d++)
		fprintf(fp, "_%llu", (unsigned long long)idx[d]);
}

/* the separator before a cell but the first of its row */
static void next_cell(FILE *fp, char sep, int *first)
{
	if (!*first)
		putc_unlocked(sep, fp);
	*first = 0;
}

static void write_dataset_table(FILE *fp, char sep, imb_frame *const *s, size_t ns)
{
	const imb_tensor *x0 = imb_frame_tensor(s[0], "x");
	size_t D = 1;
	for (int d = 1; d < x0->ndim; d++)
		D *= (size_t)x0->shape[d];
	int ids = 1, labels = 1;
	for (size_t i = 0; i < ns; i++) {
		ids &= imb_frame_tensor(s[i], "id") != NULL;
		labels &= imb_frame_tensor(s[i], "y") != NULL;
	}
	const imb_val *names = imb_val_get(s[0]->attrs, "features");
	if (names && (names->t != IMB_V_ARR || names->n != D || x0->ndim != 2))
		names = NULL;
	for (size_t j = 0; names && j < names->n; j++)
		if (names->items[j]->t != IMB_V_STR)
			names = NULL;
	int first = 1;
	if (ns > 1) {
		next_cell(fp, sep, &first);
		fputs("set", fp);
	}
	if (ids) {
		next_cell(fp, sep, &first);
		fputs("id", fp);
	}
	for (size_t j = 0; j < D; j++) {
		next_cell(fp, sep, &first);
		feature_name(fp, sep, x0, names, j);
	}
	if (labels) {
		next_cell(fp, sep, &first);
		fputs("label", fp);
	}
	fputc('\n', fp);
	for (size_t k = 0; k < ns; k++) {
		const imb_frame *f = s[k];
		const imb_tensor *x = imb_frame_tensor(f, "x"), *y = labels ? imb_frame_tensor(f, "y") : NULL;
		const imb_tensor *id = ids ? imb_frame_tensor(f, "id") : NULL;
		size_t N = (size_t)x->shape[0];
		for (size_t i = 0; i < N; i++) {
			first = 1;
			if (ns > 1) {
				next_cell(fp, sep, &first);
				imb_write_field(fp, sep, f->name);
			}
			if (id) {
				next_cell(fp, sep, &first);
				imb_id_write(fp, sep, id, i);
			}
			for (size_t j = 0; j < D; j++) {
				next_cell(fp, sep, &first);
				put_num(fp, x, i * D + j);
			}
			if (y) {
				next_cell(fp, sep, &first);
				int32_t c = ((const int32_t *)y->data)[i];
				const char *cn = imb_dataset_class_name(f, c);
				if (cn)
					imb_write_field(fp, sep, cn);
				else
					put_int(fp, c);
			}
			putc_unlocked('\n', fp);
		}
	}
}

/* ---------------------------------------------------------------- libsvm */

static void write_libsvm(FILE *fp, const imb_frame *f, const imb_export_opts *o)
{
	int pred = !strcmp(f->kind, "predictions");
	const imb_tensor *x = imb_frame_tensor(f, pred ? "probs" : "x");
	const imb_tensor *y = imb_frame_tensor(f, pred ? "pred" : "y");
	const imb_val *cl = imb_val_get(f->attrs, "classes");
	size_t N = (size_t)x->shape[0], D = 1;
	for (int d = 1; d < x->ndim; d++)
		D *= (size_t)x->shape[d];
	size_t base = o->zero_based ? 0 : 1;
	for (size_t i = 0; i < N; i++) {
		int32_t c = ((const int32_t *)y->data)[i];
		if (o->label_names)
			fputs(cl->items[c]->s, fp);
		else
			fprintf(fp, "%d", c);
		for (size_t j = 0; j < D; j++)
			if (!is_zero(x, i * D + j)) {
				putc_unlocked(' ', fp);
				put_uint(fp, j + base);
				putc_unlocked(':', fp);
				put_num(fp, x, i * D + j);
			}
		fputc('\n', fp);
	}
}

/* ---------------------------------------------------------------- files */

/* NPY, one file per array: PREFIX.NAME.npy, each renamed into place when
 * all are written; a failure removes those already there */
static int write_npy_files(const imb_frame *a, const char *prefix)
{
	size_t n = a->ntensors;
	FILE **fp = imb_xcalloc(n ? n : 1, sizeof *fp);
	char **path = imb_xcalloc(n ? n : 1, sizeof *path);
	int rc = 0;
	for (size_t k = 0; k < n && !rc; k++) {
		path[k] = imb_xmalloc(strlen(prefix) + strlen(a->tensors[k].key) + 6);
		sprintf(path[k], "%s.%s.npy", prefix, a->tensors[k].key);
		if (!(fp[k] = imb_text_open(path[k])))
			rc = -1;
		else
			imb_npy_write(fp[k], &a->tensors[k]);
	}
	size_t done = 0;   /* renamed into place */
	for (; done < n && !rc; done++) {
		FILE *c = fp[done];
		fp[done] = NULL;   /* closed, renamed or removed, either way */
		if (imb_text_close(c)) {
			rc = -1;
			break;
		}
	}
	if (rc) {
		for (size_t k = 0; k < n; k++)
			if (fp[k])
				imb_text_abort(fp[k]);
		for (size_t k = 0; k < done; k++)
			unlink(path[k]);
	}
	for (size_t k = 0; k < n; k++)
		free(path[k]);
	free(path);
	free(fp);
	return rc;
}

int imb_export_write(imb_frame *const *s, size_t ns, const imb_export_opts *o)
{
	if (!ns)
		return imb_seterr("no frame to export");
	const char *kind = s[0]->kind;
	if (o->format == IMB_EXPORT_NPY || o->format == IMB_EXPORT_NPZ) {
		imb_frame *a = imb_export_arrays(s[0]);
		int rc = 0;
		if (o->format == IMB_EXPORT_NPY && !o->tensor) {
			rc = write_npy_files(a, o->output);
		} else {
			FILE *fp = imb_text_open(o->output);
			if (!fp) {
				rc = -1;
			} else if (o->format == IMB_EXPORT_NPY) {
				imb_npy_write(fp, imb_frame_tensor(a, o->tensor));
			} else if (imb_npz_write(fp, a->tensors, a->ntensors) < 0) {
				imb_text_abort(fp);
				fp = NULL;
				rc = -1;
			}
			if (fp && imb_text_close(fp))
				rc = -1;
		}
		imb_frame_free(a);
		return rc;
	}
	FILE *fp = imb_text_open(o->output);
	if (!fp)
		return -1;
	char sep = o->format == IMB_EXPORT_CSV ? ',' : '\t';
	if (o->format == IMB_EXPORT_LIBSVM)
		write_libsvm(fp, s[0], o);
	else if (!strcmp(kind, "metrics"))
		imb_eval_write_table(fp, sep, IMB_EVAL_EXACT | IMB_EVAL_CONFIG, s, ns);
	else if (!strcmp(kind, "predictions"))
		imb_predictions_write(fp, sep, s, ns);
	else
		write_dataset_table(fp, sep, s, ns);
	return imb_text_close(fp);
}
