/* info.c: summaries of frames for people (text) and programs (JSON). */
#include "info.h"
#include "predict.h"
#include "dataset.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void shape_text(FILE *fp, const imb_tensor *t)
{
	fputc('(', fp);
	for (int d = 0; d < t->ndim; d++)
		fprintf(fp, "%s%llu", d ? "," : "", (unsigned long long)t->shape[d]);
	fputc(')', fp);
}

static void bytes_text(FILE *fp, double b)
{
	const char *unit[] = {"B", "KiB", "MiB", "GiB"};
	int u = 0;
	while (b >= 1024 && u < 3) {
		b /= 1024;
		u++;
	}
	fprintf(fp, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
}

/* the dataset's counts, computed from y when it is valid */
static int dataset_counts(const imb_frame *f, int64_t **counts, int *k)
{
	if (!imb_is_dataset(f) || imb_dataset_check(f))
		return -1;
	*k = imb_dataset_nclasses(f);
	*counts = imb_dataset_counts(f);
	return 0;
}

/* s escaped (imb_write_tsv), padded with blanks to width bytes, as
 * printf's %-*s pads */
static void pad_text(FILE *fp, const char *s, int width)
{
	char *e = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&e, &n);
	if (!m) {
		imb_write_tsv(fp, s);
		return;
	}
	imb_write_tsv(m, s);
	fclose(m);
	fprintf(fp, "%-*s", width, e);
	free(e);
}

static void history_text(FILE *fp, const imb_val *h)
{
	if (!h || h->t != IMB_V_ARR || !h->n)
		return;
	fputs("  history:\n", fp);
	for (size_t j = 0; j < h->n; j++) {
		const imb_val *argv = imb_val_get(h->items[j], "argv");
		fputs("    ", fp);
		if (argv && argv->t == IMB_V_ARR && argv->n) {
			for (size_t a = 0; a < argv->n; a++)
			{
				fputs(a ? " " : "", fp);
				imb_write_tsv(fp, imb_val_as_str(argv->items[a], "?"));
			}
		} else {
			imb_write_tsv(fp, imb_val_as_str(imb_val_get(h->items[j], "tool"), "?"));
		}
		fputc('\n', fp);
	}
}

static void scalars_text(FILE *fp, const char *title, const imb_val *m)
{
	if (!m || m->t != IMB_V_MAP || !m->n)
		return;
	fprintf(fp, "  %s:", title);
	for (size_t j = 0; j < m->n; j++) {
		const imb_val *v = m->items[j];
		if (v->t == IMB_V_ARR || v->t == IMB_V_MAP || v->t == IMB_V_BIN)
			continue;
		fputc(' ', fp);
		imb_write_tsv(fp, m->keys[j]);
		fputc('=', fp);
		imb_val_write_text(fp, v);
	}
	fputc('\n', fp);
}

/* ", an ensemble of S members (sghmc), members a to b in this frame (a
 * part), taken after epochs ..." */
static void ensemble_text(FILE *fp, const imb_val *en)
{
	int64_t S = imb_val_as_int(imb_val_get(en, "members"), -1);
	int64_t first = imb_val_as_int(imb_val_get(en, "first"), -1);
	int64_t count = imb_val_as_int(imb_val_get(en, "count"), -1);
	fprintf(fp, ", an ensemble of %lld member%s (", (long long)S, S == 1 ? "" : "s");
	imb_write_tsv(fp, imb_val_as_str(imb_val_get(en, "method"), "?"));
	fputc(')', fp);
	if (count == 1 && S > 1)
		fprintf(fp, ", member %lld in this frame (a part)", (long long)first);
	else if (count >= 0 && count != S)
		fprintf(fp, ", members %lld to %lld in this frame (a part)", (long long)first,
		        (long long)(first + count - 1));
	const imb_val *ep = imb_val_get(en, "epochs");
	if (ep && ep->t == IMB_V_ARR && ep->n) {
		fprintf(fp, ", taken after epoch%s ", ep->n == 1 ? "" : "s");
		for (size_t i = 0; i < ep->n && i < 16; i++)
			fprintf(fp, "%s%lld", i ? "," : "", (long long)imb_val_as_int(ep->items[i], -1));
		if (ep->n > 16)
			fputs(",...", fp);
	}
}

/* ---- the features of a table ---- */

typedef struct {
	char *name;      /* the feature, or the categorical column */
	int levels;      /* 0: numeric; else the one-hot group's width */
	uint64_t missing, infinite;
} feat_info;

/* One entry per numeric feature and one per one-hot group (the columns
 * of attrs.categorical, each shown once). NaN counts as missing, +-inf as infinite; for a
 * group, rows with no level set (a value outside the vocabulary) and
 * rows of the level named by the first missing marker. 0 entries when
 * x is not a table or names no features and is wider than 64. */
static size_t features_of(const imb_frame *f, feat_info **out)
{
	*out = NULL;
	const imb_tensor *x = imb_frame_tensor(f, "x");
	if (!imb_is_dataset(f) || !x || x->ndim != 2 || x->dtype == IMB_I64)
		return 0;
	size_t n = (size_t)x->shape[0], d = (size_t)x->shape[1];
	const imb_val *fv = imb_val_get(f->attrs, "features");
	if (fv && (fv->t != IMB_V_ARR || fv->n != d))
		fv = NULL;
	if (!fv && d > 64)
		return 0;
	const imb_val *cat = imb_val_get(f->attrs, "categorical");
	const char *mlist = imb_val_as_str(imb_val_get(f->attrs, "missing"), "");
	size_t mlen = strcspn(mlist, ",");
	float *v = imb_dataset_features(f);
	feat_info *fi = imb_xcalloc(d ? d : 1, sizeof *fi);
	size_t nf = 0;
	for (size_t j = 0; j < d;) {
		const char *name = fv ? imb_val_as_str(fv->items[j], "?") : NULL;
		/* a one-hot group: "col=level" for each of col's levels, in order */
		const imb_val *voc = NULL;
		size_t cl = 0;
		if (name && cat && cat->t == IMB_V_MAP)
			for (size_t k = 0; k < cat->n && !voc; k++) {
				cl = strlen(cat->keys[k]);
				if (!strncmp(name, cat->keys[k], cl) && name[cl] == '=' &&
				    cat->items[k]->t == IMB_V_ARR && cat->items[k]->n && j + cat->items[k]->n <= d)
					voc = cat->items[k];
			}
		feat_info *e = &fi[nf++];
		if (voc) {
			e->name = imb_xmalloc(cl + 1);
			memcpy(e->name, name, cl);
			e->name[cl] = 0;
			e->levels = (int)voc->n;
			size_t miss = voc->n;
			for (size_t k = 0; k < voc->n; k++) {
				const char *l = imb_val_as_str(voc->items[k], "");
				if (mlen && strlen(l) == mlen && !strncmp(l, mlist, mlen))
					miss = k;
			}
			for (size_t i = 0; i < n; i++) {
				const float *r = v + i * d + j;
				int any = 0;
				for (size_t k = 0; k < voc->n; k++) {
					any |= r[k] != 0;
					e->infinite += isinf(r[k]) != 0;
				}
				e->missing += !any || (miss < voc->n && r[miss] != 0);
			}
			j += voc->n;
			continue;
		}
		if (name)
			e->name = imb_xstrdup(name);
		else if (asprintf(&e->name, "%zu", j) < 0)
			abort();
		for (size_t i = 0; i < n; i++) {
			float a = v[i * d + j];
			e->missing += isnan(a) != 0;
			e->infinite += isinf(a) != 0;
		}
		j++;
	}
	free(v);
	*out = fi;
	return nf;
}

static void features_free(feat_info *fi, size_t n)
{
	for (size_t k = 0; k < n; k++)
		free(fi[k].name);
	free(fi);
}

static void features_text(FILE *fp, const imb_frame *f)
{
	feat_info *fi;
	size_t nf = features_of(f, &fi), ncat = 0;
	if (!nf)
		return;
	for (size_t k = 0; k < nf; k++)
		ncat += fi[k].levels > 0;
	fprintf(fp, "  features: %llu columns of x: %zu numeric, %zu categorical (one-hot)\n",
	        (unsigned long long)imb_dataset_dim(f), nf - ncat, ncat);
	int w = 16;
	for (size_t k = 0; k < nf; k++)
		if ((int)strlen(fi[k].name) > w && strlen(fi[k].name) < 40)
			w = (int)strlen(fi[k].name);
	fputs("    ", fp);
	pad_text(fp, "name", w);
	fprintf(fp, " %-24s %9s %11s\n", "kind", "missing", "infinite");
	for (size_t k = 0; k < nf; k++) {
		char kind[48] = "numeric";
		if (fi[k].levels)
			snprintf(kind, sizeof kind, "categorical (%d level%s)", fi[k].levels,
			         fi[k].levels == 1 ? "" : "s");
		fputs("    ", fp);
		pad_text(fp, fi[k].name, w);
		fprintf(fp, " %-24s %9llu %11llu\n", kind, (unsigned long long)fi[k].missing,
		        (unsigned long long)fi[k].infinite);
	}
	features_free(fi, nf);
}

static imb_val *features_json(const imb_frame *f)
{
	feat_info *fi;
	size_t nf = features_of(f, &fi);
	if (!nf)
		return NULL;
	imb_val *a = imb_val_arr();
	for (size_t k = 0; k < nf; k++) {
		imb_val *m = imb_val_map();
		imb_val_set_str(m, "name", fi[k].name);
		imb_val_set_str(m, "kind", fi[k].levels ? "categorical" : "numeric");
		if (fi[k].levels)
			imb_val_set_int(m, "levels", fi[k].levels);
		imb_val_set_int(m, "missing", (int64_t)fi[k].missing);
		imb_val_set_int(m, "infinite", (int64_t)fi[k].infinite);
		imb_val_push(a, m);
	}
	features_free(fi, nf);
	return a;
}

/* a dataset frame without y: x's rows */
static int unlabelled(const imb_frame *f, uint64_t *n)
{
	const imb_tensor *x = imb_frame_tensor(f, "x");
	if (!imb_is_dataset(f) || imb_frame_tensor(f, "y") || !x || x->ndim < 1)
		return 0;
	*n = x->shape[0];
	return 1;
}

void imb_info_text(FILE *fp, const imb_frame *f)
{
	fprintf(fp, "frame %ld: ", f->index);
	imb_write_tsv(fp, f->kind);
	fputs(" '", fp);
	imb_write_tsv(fp, f->name);
	fputs("'\n", fp);
	for (size_t j = 0; j < f->ntensors; j++) {
		const imb_tensor *t = &f->tensors[j];
		fputs("  ", fp);
		pad_text(fp, t->key, 8);
		fprintf(fp, " %-4s ", imb_dtype_name(t->dtype));
		shape_text(fp, t);
		fputs("  ", fp);
		bytes_text(fp, (double)t->nbytes);
		fputc('\n', fp);
	}
	const char *src = imb_val_as_str(imb_val_get(f->attrs, "source"), NULL);
	if (src)
	{
		fputs("  source: ", fp);
		imb_write_tsv(fp, src);
		fputc('\n', fp);
	}
	int64_t *c;
	int k;
	uint64_t nu;
	if (unlabelled(f, &nu)) {
		fprintf(fp, "  unlabelled (no tensor y): %llu samples, to predict\n", (unsigned long long)nu);
	} else if (dataset_counts(f, &c, &k) == 0) {
		fprintf(fp, "  classes: %d, samples: %llu, imbalance ratio (rarest/most frequent): %.4g\n",
		        k, (unsigned long long)imb_dataset_n(f), imb_counts_ratio(c, k));
		for (int j = 0; j < k; j++) {
			const char *name = imb_dataset_class_name(f, j);
			fprintf(fp, "    %3d ", j);
			pad_text(fp, name ? name : "", 16);
			fprintf(fp, " %lld\n", (long long)c[j]);
		}
		free(c);
	} else if (imb_is_dataset(f)) {
	{
		fputs("  invalid dataset: ", fp);
		imb_write_tsv(fp, imb_error());
		fputc('\n', fp);
	}
	}
	features_text(fp, f);
	const char *model = imb_val_as_str(imb_val_get(f->attrs, "model"), NULL);
	if (model && imb_frame_is_model(f)) {
		fputs("  model: ", fp);
		imb_write_tsv(fp, model);
		int64_t nf = imb_val_as_int(imb_val_get(f->attrs, "n_features"), -1);
		int64_t nc = imb_val_as_int(imb_val_get(f->attrs, "n_classes"), -1);
		if (nf >= 0)
			fprintf(fp, ", %lld features", (long long)nf);
		const imb_val *enc = imb_val_get(f->attrs, "encoder");
		const imb_val *ens = imb_val_get(f->attrs, "ensemble");
		if (enc && enc->t == IMB_V_MAP)
			fputs(", an encoder (no classifier: fine-tune it with imb-train --init)", fp);
		else if (nc >= 0)
			fprintf(fp, ", %lld classes", (long long)nc);
		if (ens && ens->t == IMB_V_MAP)
			ensemble_text(fp, ens);
		fputc('\n', fp);
		scalars_text(fp, "encoder", enc);
		scalars_text(fp, "params", imb_val_get(f->attrs, "params"));
	}
	scalars_text(fp, "split", imb_val_get(f->attrs, "split"));
	scalars_text(fp, "metrics", imb_val_get(f->attrs, "metrics"));
	scalars_text(fp, "config", imb_val_get(f->attrs, "config"));
	history_text(fp, imb_val_get(f->attrs, "history"));
}

imb_val *imb_info_json(const imb_frame *f)
{
	imb_val *m = imb_val_map();
	imb_val_set_int(m, "index", f->index);
	imb_val_set_str(m, "kind", f->kind);
	imb_val_set_str(m, "name", f->name);
	imb_val *ts = imb_val_arr();
	for (size_t j = 0; j < f->ntensors; j++) {
		const imb_tensor *t = &f->tensors[j];
		imb_val *tv = imb_val_map();
		imb_val_set_str(tv, "name", t->key);
		imb_val_set_str(tv, "dtype", imb_dtype_name(t->dtype));
		int64_t shape[IMB_MAXDIM];
		for (int d = 0; d < t->ndim; d++)
			shape[d] = (int64_t)t->shape[d];
		imb_val_set(tv, "shape", imb_val_int_array(shape, t->ndim));
		imb_val_set_int(tv, "bytes", (int64_t)t->nbytes);
		imb_val_push(ts, tv);
	}
	imb_val_set(m, "tensors", ts);
	int64_t *c;
	int k;
	uint64_t nu;
	imb_val *s = NULL;
	if (unlabelled(f, &nu)) {
		s = imb_val_map();
		imb_val_set_int(s, "n", (int64_t)nu);
		imb_val_set(s, "labelled", imb_val_bool(0));
		imb_val_set(m, "summary", s);
	} else if (dataset_counts(f, &c, &k) == 0) {
		s = imb_val_map();
		imb_val_set_int(s, "n", (int64_t)imb_dataset_n(f));
		imb_val_set_int(s, "n_classes", k);
		imb_val_set(s, "counts", imb_val_int_array(c, k));
		imb_val_set_float(s, "imbalance_ratio", imb_counts_ratio(c, k));
		imb_val_set(m, "summary", s);
		free(c);
	}
	imb_val *fs = s ? features_json(f) : NULL;
	if (fs)
		imb_val_set(s, "features", fs);
	imb_val_set(m, "attrs", imb_val_copy(f->attrs));
	return m;
}
