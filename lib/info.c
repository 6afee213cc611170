/* info.c: summaries of frames for people (text) and programs (JSON). */
#include "info.h"
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
				fprintf(fp, "%s%s", a ? " " : "", imb_val_as_str(argv->items[a], "?"));
		} else {
			fputs(imb_val_as_str(imb_val_get(h->items[j], "tool"), "?"), fp);
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
		fprintf(fp, " %s=", m->keys[j]);
		imb_val_write_text(fp, v);
	}
	fputc('\n', fp);
}

void imb_info_text(FILE *fp, const imb_frame *f)
{
	fprintf(fp, "frame %ld: %s '%s'\n", f->index, f->kind, f->name);
	for (size_t j = 0; j < f->ntensors; j++) {
		const imb_tensor *t = &f->tensors[j];
		fprintf(fp, "  %-8s %-4s ", t->key, imb_dtype_name(t->dtype));
		shape_text(fp, t);
		fputs("  ", fp);
		bytes_text(fp, (double)t->nbytes);
		fputc('\n', fp);
	}
	const char *src = imb_val_as_str(imb_val_get(f->attrs, "source"), NULL);
	if (src)
		fprintf(fp, "  source: %s\n", src);
	int64_t *c;
	int k;
	if (dataset_counts(f, &c, &k) == 0) {
		fprintf(fp, "  classes: %d, samples: %llu, imbalance ratio (rarest/most frequent): %.4g\n",
		        k, (unsigned long long)imb_dataset_n(f), imb_counts_ratio(c, k));
		for (int j = 0; j < k; j++) {
			const char *name = imb_dataset_class_name(f, j);
			fprintf(fp, "    %3d %-16s %lld\n", j, name ? name : "", (long long)c[j]);
		}
		free(c);
	} else if (imb_is_dataset(f)) {
		fprintf(fp, "  invalid dataset: %s\n", imb_error());
	}
	const char *model = imb_val_as_str(imb_val_get(f->attrs, "model"), NULL);
	if (model && strcmp(f->kind, "model") == 0) {
		fprintf(fp, "  model: %s", model);
		int64_t nf = imb_val_as_int(imb_val_get(f->attrs, "n_features"), -1);
		int64_t nc = imb_val_as_int(imb_val_get(f->attrs, "n_classes"), -1);
		if (nf >= 0)
			fprintf(fp, ", %lld features", (long long)nf);
		if (nc >= 0)
			fprintf(fp, ", %lld classes", (long long)nc);
		fputc('\n', fp);
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
