/* info.c: summaries of frames for people (text) and programs (JSON). */
#include "info.h"
#include "predict.h"
#include "dataset.h"
#include "util.h"

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
	if (dataset_counts(f, &c, &k) == 0) {
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
	if (dataset_counts(f, &c, &k) == 0) {
		imb_val *s = imb_val_map();
		imb_val_set_int(s, "n", (int64_t)imb_dataset_n(f));
		imb_val_set_int(s, "n_classes", k);
		imb_val_set(s, "counts", imb_val_int_array(c, k));
		imb_val_set_float(s, "imbalance_ratio", imb_counts_ratio(c, k));
		imb_val_set(m, "summary", s);
		free(c);
	}
	imb_val_set(m, "attrs", imb_val_copy(f->attrs));
	return m;
}
