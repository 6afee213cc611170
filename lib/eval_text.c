/* eval_text.c: metrics frames as TSV and JSON (evaluate.h). */
#include "evaluate.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void imb_eval_write_cell(FILE *fp, const imb_val *v)
{
	if (!v || v->t == IMB_V_NIL || (v->t == IMB_V_FLOAT && !isfinite(v->f)))
		fputs("NA", fp);
	else
		imb_val_write_text(fp, v);
}

/* TSV column and the attrs.metrics key it shows: the NLL is the frame's
 * log_loss */
static const struct {
	const char *col, *key;
} tsv_metrics[] = {
	{"accuracy", "accuracy"}, {"balanced_accuracy", "balanced_accuracy"},
	{"macro_f1", "macro_f1"}, {"gmean", "gmean"}, {"minority_error", "minority_error"},
	{"majority_error", "majority_error"}, {"auroc", "auroc"}, {"auprc", "auprc"},
	{"nll", "log_loss"}, {"brier", "brier"}, {"ece", "ece"},
};

/* one cell of imb_eval_write_table */
static void table_cell(FILE *fp, char sep, int flags, const imb_val *v)
{
	if (!v || v->t == IMB_V_NIL || (v->t == IMB_V_FLOAT && !isfinite(v->f))) {
		fputs("NA", fp);
	} else if (v->t == IMB_V_FLOAT && (flags & IMB_EVAL_EXACT)) {
		imb_fprint_double(fp, v->f);
	} else if (sep == '\t' || v->t == IMB_V_INT) {
		imb_val_write_text(fp, v);
	} else {
		/* CSV: the cell's text, quoted as it must be */
		char *buf = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&buf, &len);
		if (!mem) {
			fputs("NA", fp);
			return;
		}
		if (v->t == IMB_V_STR)
			fwrite(v->s, 1, strlen(v->s), mem);
		else
			imb_val_write_text(mem, v);
		fclose(mem);
		imb_write_csv(fp, buf);
		free(buf);
	}
}

/* a config key shown as a column of its own: not one of the fixed ones */
static int config_col(const char *k)
{
	return strcmp(k, "set") != 0 && strcmp(k, "model") != 0 && strcmp(k, "target_ratio") != 0;
}

void imb_eval_write_table(FILE *fp, char sep, int flags, imb_frame *const *m, size_t n)
{
	int with_ratio = 0, with_index = 0;
	for (size_t i = 0; i < n; i++) {
		if (imb_val_path(m[i]->attrs, "config.target_ratio"))
			with_ratio = 1;
		if (imb_val_as_int(imb_val_path(m[i]->attrs, "config.model_index"), 1) !=
		    imb_val_as_int(imb_val_path(m[0]->attrs, "config.model_index"), 1))
			with_index = 1;
	}
	const imb_val *pc0 = n ? imb_val_get(m[0]->attrs, "per_class") : NULL;
	size_t K = pc0 && pc0->t == IMB_V_ARR ? pc0->n : 0;
	/* the config columns: every key of any frame's config, first seen first */
	imb_val *keys = imb_val_map();
	for (size_t i = 0; (flags & IMB_EVAL_CONFIG) && i < n; i++) {
		const imb_val *cf = imb_val_get(m[i]->attrs, "config");
		for (size_t j = 0; cf && cf->t == IMB_V_MAP && j < cf->n; j++)
			if (config_col(cf->keys[j]) && !imb_val_get(keys, cf->keys[j]))
				imb_val_set(keys, cf->keys[j], imb_val_nil());
	}
	fprintf(fp, "set%cmodel%c", sep, sep);
	if (with_index)
		fprintf(fp, "model_index%c", sep);
	fputc('n', fp);
	if (with_ratio)
		fprintf(fp, "%ctarget_ratio", sep);
	for (size_t j = 0; j < IMB_LEN(tsv_metrics); j++)
		fprintf(fp, "%c%s", sep, tsv_metrics[j].col);
	for (size_t c = 0; c < K; c++)
	{
		const char *cn = imb_val_as_str(imb_val_get(pc0->items[c], "class"), "?");
		char *h = imb_xmalloc(strlen(cn) + 8);
		sprintf(h, "recall_%s", cn);
		fputc(sep, fp);
		imb_write_field(fp, sep, h);
		free(h);
	}
	for (size_t j = 0; j < keys->n; j++) {
		fputc(sep, fp);
		imb_write_field(fp, sep, keys->keys[j]);
	}
	fputc('\n', fp);
	for (size_t i = 0; i < n; i++) {
		const imb_val *a = m[i]->attrs;
		imb_write_field(fp, sep, m[i]->name);
		fputc(sep, fp);
		table_cell(fp, sep, flags, imb_val_get(a, "model"));
		fputc(sep, fp);
		if (with_index) {
			table_cell(fp, sep, flags, imb_val_path(a, "config.model_index"));
			fputc(sep, fp);
		}
		table_cell(fp, sep, flags, imb_val_get(a, "n"));
		if (with_ratio) {
			fputc(sep, fp);
			table_cell(fp, sep, flags, imb_val_path(a, "config.target_ratio"));
		}
		const imb_val *mv = imb_val_get(a, "metrics");
		for (size_t j = 0; j < IMB_LEN(tsv_metrics); j++) {
			fputc(sep, fp);
			table_cell(fp, sep, flags, imb_val_get(mv, tsv_metrics[j].key));
		}
		const imb_val *pc = imb_val_get(a, "per_class");
		for (size_t c = 0; c < K; c++) {
			fputc(sep, fp);
			table_cell(fp, sep, flags, pc && pc->t == IMB_V_ARR && c < pc->n
			           ? imb_val_get(pc->items[c], "recall") : NULL);
		}
		const imb_val *cf = imb_val_get(a, "config");
		for (size_t j = 0; j < keys->n; j++) {
			fputc(sep, fp);
			table_cell(fp, sep, flags, cf && cf->t == IMB_V_MAP ? imb_val_get(cf, keys->keys[j])
			                                                   : NULL);
		}
		fputc('\n', fp);
	}
	imb_val_free(keys);
}

void imb_eval_write_tsv(FILE *fp, imb_frame *const *m, size_t n)
{
	imb_eval_write_table(fp, '\t', 0, m, n);
}

imb_val *imb_eval_json(imb_frame *const *m, size_t n)
{
	imb_val *arr = imb_val_arr();
	for (size_t i = 0; i < n; i++) {
		imb_val *o = imb_val_map();
		imb_val_set_str(o, "set", m[i]->name);
		const imb_val *a = m[i]->attrs;
		for (size_t j = 0; j < a->n; j++)
			if (strcmp(a->keys[j], "history") != 0)
				imb_val_set(o, a->keys[j], imb_val_copy(a->items[j]));
		imb_val_push(arr, o);
	}
	return arr;
}
