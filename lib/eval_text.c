/* eval_text.c: metrics frames as TSV and JSON (evaluate.h). */
#include "evaluate.h"
#include "util.h"

#include <math.h>
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

void imb_eval_write_tsv(FILE *fp, imb_frame *const *m, size_t n)
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
	fputs("set\tmodel\t", fp);
	if (with_index)
		fputs("model_index\t", fp);
	fputs("n", fp);
	if (with_ratio)
		fputs("\ttarget_ratio", fp);
	for (size_t j = 0; j < IMB_LEN(tsv_metrics); j++)
		fprintf(fp, "\t%s", tsv_metrics[j].col);
	for (size_t c = 0; c < K; c++)
	{
		fputs("\trecall_", fp);
		imb_write_tsv(fp, imb_val_as_str(imb_val_get(pc0->items[c], "class"), "?"));
	}
	fputc('\n', fp);
	for (size_t i = 0; i < n; i++) {
		const imb_val *a = m[i]->attrs;
		imb_write_tsv(fp, m[i]->name);
		fputc('\t', fp);
		imb_eval_write_cell(fp, imb_val_get(a, "model"));
		fputc('\t', fp);
		if (with_index) {
			imb_eval_write_cell(fp, imb_val_path(a, "config.model_index"));
			fputc('\t', fp);
		}
		imb_eval_write_cell(fp, imb_val_get(a, "n"));
		if (with_ratio) {
			fputc('\t', fp);
			imb_eval_write_cell(fp, imb_val_path(a, "config.target_ratio"));
		}
		const imb_val *mv = imb_val_get(a, "metrics");
		for (size_t j = 0; j < IMB_LEN(tsv_metrics); j++) {
			fputc('\t', fp);
			imb_eval_write_cell(fp, imb_val_get(mv, tsv_metrics[j].key));
		}
		const imb_val *pc = imb_val_get(a, "per_class");
		for (size_t c = 0; c < K; c++) {
			fputc('\t', fp);
			imb_eval_write_cell(fp, pc && pc->t == IMB_V_ARR && c < pc->n
			                ? imb_val_get(pc->items[c], "recall") : NULL);
		}
		fputc('\n', fp);
	}
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
