/* evaluate.c: model frame x dataset frames -> metrics frames. See
 * evaluate.h; their text forms are in eval_text.c, aggregation over
 * runs in eval_agg.c. */
#include "evaluate.h"
#include "cli.h"
#include "curves.h"
#include "dataset.h"
#include "metrics.h"
#include "model_frame.h"
#include "predict.h"
#include "split.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 8192

struct imb_evaluator {
	imb_predictor *p;
	imb_val *attrs;       /* copy of the model frame's attrs */
	char label[300];      /* "frame 2 (model 'model')" */
	int K;
	size_t d;
	int positive;
	double *ratios;
	size_t nratios;
	int profile;          /* imb_eval_opts.profile */
	size_t model_index;
	int curves;
};

imb_evaluator *imb_evaluator_new(const imb_frame *model, const imb_eval_opts *o)
{
	imb_predictor *p = imb_predictor_load(model);
	if (!p)
		return NULL;
	imb_evaluator *e = imb_xcalloc(1, sizeof *e);
	e->p = p;
	e->attrs = imb_val_copy(model->attrs);
	imb_frame_label(model, e->label, sizeof e->label);
	e->K = imb_predictor_nclasses(p);
	e->d = imb_predictor_nfeatures(p);
	e->positive = o ? o->positive : 1;
	e->model_index = o ? o->model_index : 0;
	e->curves = o ? o->curves : 0;
	if (e->K == 2 && (e->positive < 0 || e->positive > 1)) {
		imb_seterr("%s: positive class %d: the model has 2 classes (0 and 1)", e->label,
		           e->positive);
		imb_evaluator_free(e);
		return NULL;
	}
	if (o && o->nratios) {
		e->nratios = o->nratios;
		e->ratios = imb_xmalloc(o->nratios * sizeof *e->ratios);
		memcpy(e->ratios, o->ratios, o->nratios * sizeof *e->ratios);
		e->profile = o->profile;
	}
	return e;
}

void imb_evaluator_free(imb_evaluator *e)
{
	if (!e)
		return;
	imb_predictor_free(e->p);
	imb_val_free(e->attrs);
	free(e->ratios);
	free(e);
}

/* ------------------------------------------------------------ helpers */

static imb_val *num_or_nil(double x)
{
	return isfinite(x) ? imb_val_float(x) : imb_val_nil();
}

static int is_num(const imb_val *v)
{
	return v && (v->t == IMB_V_INT || v->t == IMB_V_FLOAT);
}

static int is_scalar(const imb_val *v)
{
	return v && (v->t == IMB_V_INT || v->t == IMB_V_FLOAT || v->t == IMB_V_STR ||
	             v->t == IMB_V_BOOL);
}

/* K counts from an array of K numbers, not all equal: 1; else 0 */
static int usable_counts(const imb_val *a, int K, double *out)
{
	if (!a || a->t != IMB_V_ARR || a->n != (size_t)K)
		return 0;
	int differ = 0;
	for (int c = 0; c < K; c++) {
		if (!is_num(a->items[c]))
			return 0;
		out[c] = imb_val_as_double(a->items[c], 0);
		if (out[c] != out[0])
			differ = 1;
	}
	return differ;
}

/* majority[c] = 1 for the classes with the largest training count;
 * map (or NULL): the model's index of the set's class k, for counts in
 * the set's own class order */
static void find_majority(const imb_val *mattrs, const imb_frame *ds, const int32_t *map, int K,
                          unsigned char *majority)
{
	double *cnt = imb_xmalloc((size_t)K * sizeof *cnt);
	const imb_val *src[] = {
		imb_val_path(mattrs, "train.split.train_counts"),
		imb_val_path(ds->attrs, "split.train_counts"),
		imb_val_path(mattrs, "train.counts"),
	};
	int found = 0;
	for (size_t s = 0; s < IMB_LEN(src) && !found; s++) {
		if (s == 1 && map) {
			int kf = imb_dataset_nclasses(ds);
			double *own = imb_xmalloc((size_t)kf * sizeof *own);
			if ((found = usable_counts(src[s], kf, own))) {
				for (int c = 0; c < K; c++)
					cnt[c] = 0;
				for (int c = 0; c < kf; c++)
					cnt[map[c]] = own[c];
			}
			free(own);
			continue;
		}
		found = usable_counts(src[s], K, cnt);
	}
	double mx = 0;
	for (int c = 0; found && c < K; c++)
		if (cnt[c] > mx)
			mx = cnt[c];
	for (int c = 0; c < K; c++)
		majority[c] = found ? cnt[c] == mx : c == 0;
	free(cnt);
}

/* text of a scalar or an array of scalars joined with commas; NULL
 * for anything else */
static imb_val *flat_scalar(const imb_val *v)
{
	if (is_scalar(v))
		return imb_val_copy(v);
	if (!v || v->t != IMB_V_ARR)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		return NULL;
	int ok = 1;
	for (size_t i = 0; i < v->n; i++) {
		if (!is_scalar(v->items[i]))
			ok = 0;
		if (i)
			fputc(',', fp);
		if (v->items[i]->t == IMB_V_STR)
			fwrite(v->items[i]->s, 1, v->items[i]->len, fp); /* a value, not a TSV cell */
		else
			imb_val_write_text(fp, v->items[i]);
	}
	fclose(fp);
	imb_val *r = ok ? imb_val_str(buf) : NULL;
	free(buf);
	return r;
}

/* every scalar (and array of scalars) of map as config[prefix + key];
 * a nested map flattens under prefix + key + "." */
static void add_flat(imb_val *config, const imb_val *map, const char *prefix)
{
	if (!map || map->t != IMB_V_MAP)
		return;
	for (size_t i = 0; i < map->n; i++) {
		char key[256];
		snprintf(key, sizeof key, "%s%s", prefix, map->keys[i]);
		const imb_val *item = map->items[i];
		if (item && item->t == IMB_V_MAP) {
			char sub[sizeof key + 1];
			snprintf(sub, sizeof sub, "%s.", key);
			add_flat(config, item, sub);
			continue;
		}
		imb_val *v = flat_scalar(item);
		if (v)
			imb_val_set(config, key, v);
	}
}

/* The model's attrs.train has no oversample record: read the settings
 * of the last imb-oversample run from the model's history (its argv,
 * with imb-oversample's defaults: smote, ratio 1), else "none". */
static void history_oversample(imb_val *c, const imb_val *h)
{
	const imb_val *argv = NULL;
	for (size_t i = 0; h && h->t == IMB_V_ARR && i < h->n; i++)
		if (strcmp(imb_val_as_str(imb_val_get(h->items[i], "tool"), ""), "imb-oversample") == 0)
			argv = imb_val_get(h->items[i], "argv");
	if (!argv || argv->t != IMB_V_ARR) {
		imb_val_set_str(c, "oversample", "none");
		return;
	}
	const char *method = "smote", *ratio = "1";
	for (size_t j = 1; j < argv->n; j++) {
		const char *a = imb_val_as_str(argv->items[j], "");
		const char *next = j + 1 < argv->n ? imb_val_as_str(argv->items[j + 1], "") : "";
		if (strcmp(a, "--method") == 0)
			method = next;
		else if (strncmp(a, "--method=", 9) == 0)
			method = a + 9;
		else if (strcmp(a, "--ratio") == 0)
			ratio = next;
		else if (strncmp(a, "--ratio=", 8) == 0)
			ratio = a + 8;
	}
	imb_val_set_str(c, "oversample", method);
	char *end;
	double r = strtod(ratio, &end);
	if (*ratio && !*end)
		imb_val_set_float(c, "oversample_ratio", r);
}

static imb_val *build_config(const imb_evaluator *e, const imb_frame *ds, double ratio)
{
	const imb_val *mattrs = e->attrs;
	imb_val *c = imb_val_map();
	imb_val_set_str(c, "set", ds->name);
	const char *src = imb_val_as_str(imb_val_get(ds->attrs, "source"),
	                                 imb_val_as_str(imb_val_path(mattrs, "train.source"), NULL));
	if (src)
		imb_val_set_str(c, "dataset", src);
	imb_val_set_str(c, "model", imb_model_name(mattrs));
	if (e->model_index)
		imb_val_set_int(c, "model_index", (int64_t)e->model_index);
	add_flat(c, imb_val_path(mattrs, "train.split"), "");
	add_flat(c, imb_val_get(ds->attrs, "split"), "");
	const imb_val *os = imb_val_path(mattrs, "train.oversample");
	const char *method = imb_val_as_str(imb_val_get(os, "method"), NULL);
	if (method) {
		imb_val_set_str(c, "oversample", method);
		static const char *const keys[] = {"ratio", "k", "seed"};
		for (size_t i = 0; i < IMB_LEN(keys); i++) {
			char key[64];
			snprintf(key, sizeof key, "oversample_%s", keys[i]);
			if (is_num(imb_val_get(os, keys[i])))
				imb_val_set(c, key, imb_val_copy(imb_val_get(os, keys[i])));
		}
	} else {
		history_oversample(c, imb_val_get(mattrs, "history"));
	}
	add_flat(c, imb_val_get(mattrs, "params"), "param.");
	if (!isnan(ratio))
		imb_val_set_float(c, "target_ratio", ratio);
	return c;
}

static char *class_name(const imb_val *mattrs, const imb_frame *ds, int k)
{
	const imb_val *cl = imb_val_get(mattrs, "classes");
	const char *s = NULL;
	if (cl && cl->t == IMB_V_ARR && (size_t)k < cl->n)
		s = imb_val_as_str(cl->items[k], NULL);
	if (!s)
		s = imb_dataset_class_name(ds, k);
	if (s)
		return imb_xstrdup(s);
	char b[32];
	snprintf(b, sizeof b, "%d", k);
	return imb_xstrdup(b);
}

static imb_frame *metrics_frame(const imb_evaluator *e, const imb_frame *ds,
                                const imb_metrics *m, const unsigned char *majority,
                                const double *w, double ratio)
{
	int K = m->k;
	imb_frame *f = imb_frame_new("metrics", ds->name);
	imb_val *mv = imb_val_map();
	imb_val_set(mv, "accuracy", num_or_nil(m->accuracy));
	imb_val_set(mv, "balanced_accuracy", num_or_nil(m->balanced_accuracy));
	imb_val_set(mv, "macro_f1", num_or_nil(m->macro_f1));
	imb_val_set(mv, "gmean", num_or_nil(m->gmean));
	imb_val_set(mv, "minority_error", num_or_nil(m->minority_error));
	imb_val_set(mv, "majority_error", num_or_nil(m->majority_error));
	imb_val_set(mv, "log_loss", num_or_nil(m->log_loss));
	imb_val_set(mv, "auroc", num_or_nil(m->auroc));
	imb_val_set(mv, "auprc", num_or_nil(m->auprc));
	imb_val_set(mv, "brier", num_or_nil(m->brier));
	imb_val_set(mv, "ece", num_or_nil(m->ece));
	imb_val_set(f->attrs, "metrics", mv);

	imb_val *pc = imb_val_arr(), *names = imb_val_arr();
	for (int c = 0; c < K; c++) {
		imb_val *r = imb_val_map();
		char *nm = class_name(e->attrs, ds, c);
		imb_val_set_str(r, "class", nm);
		imb_val_push(names, imb_val_str(nm));
		free(nm);
		if (w)
			imb_val_set_float(r, "support", m->support[c]);
		else
			imb_val_set_int(r, "support", (int64_t)m->count[c]);
		imb_val_set_float(r, "recall", m->recall[c]);
		imb_val_set_float(r, "precision", m->precision[c]);
		imb_val_set_float(r, "f1", m->f1[c]);
		imb_val_push(pc, r);
	}
	imb_val_set(f->attrs, "per_class", pc);
	imb_val *conf = imb_val_arr();
	for (int r = 0; r < K; r++) {
		imb_val *row = imb_val_arr();
		for (int c = 0; c < K; c++) {
			double v = m->confusion[(size_t)r * (size_t)K + (size_t)c];
			imb_val_push(row, w ? imb_val_float(v) : imb_val_int((int64_t)llround(v)));
		}
		imb_val_push(conf, row);
	}
	imb_val_set(f->attrs, "confusion", conf);
	imb_val *config = build_config(e, ds, ratio);
	if (!isnan(ratio) && e->profile)
		imb_val_set_str(config, "target_profile", imb_profile_name((imb_profile)(e->profile - 1)));
	imb_val_set(f->attrs, "config", config);
	imb_val_set_str(f->attrs, "model", imb_model_name(e->attrs));
	imb_val_set(f->attrs, "classes", names);
	imb_val_set_int(f->attrs, "n", (int64_t)m->n);
	imb_val *mj = imb_val_arr();
	for (int c = 0; c < K; c++)
		if (majority[c])
			imb_val_push(mj, imb_val_int(c));
	imb_val_set(f->attrs, "majority", mj);
	if (K == 2)
		imb_val_set_int(f->attrs, "positive", e->positive);
	if (w)
		imb_val_set(f->attrs, "weights", imb_val_float_array(w, (size_t)K));
	const imb_val *h = imb_val_get(e->attrs, "history");
	if (!h || h->t != IMB_V_ARR)
		h = imb_val_get(ds->attrs, "history");
	if (h && h->t == IMB_V_ARR)
		imb_val_set(f->attrs, "history", imb_val_copy(h));
	return f;
}

int imb_evaluate(imb_evaluator *e, const imb_frame *ds, imb_frame ***out, size_t *nout)
{
	char lb[300];
	imb_frame_label(ds, lb, sizeof lb);
	if (imb_dataset_check(ds))
		return -1;
	int K = e->K;
	uint64_t D = imb_dataset_dim(ds);
	if (D != e->d)
		return imb_seterr("%s: tensor 'x': %llu features per sample, the model (%s) expects %zu",
		                  lb, (unsigned long long)D, e->label, e->d);
	if (imb_model_features_check(e->attrs, e->label, ds))
		return -1;
	/* classes by name: the set's label k is the model's class map[k] */
	char ml[340];
	snprintf(ml, sizeof ml, "the model (%s)", e->label);
	int32_t *map;
	if (imb_dataset_class_map(ds, imb_val_get(e->attrs, "classes"), K, ml, &map))
		return -1;
	size_t n = (size_t)imb_dataset_n(ds);
	int32_t *y = imb_labels_map(imb_frame_tensor(ds, "y")->data, n, map);
	float *x = imb_dataset_features(ds);
	/* what the model cannot take, named by feature (XGBoost takes NaN) */
	const char *kind = imb_predictor_kind(e->p);
	if (imb_dataset_check_finite(ds, x, n, e->d, !strcmp(kind, "xgboost"), kind) < 0) {
		free(x);
		free(y);
		return -1;
	}
	float *probs = imb_xmalloc((n ? n : 1) * (size_t)K * sizeof *probs);
	for (size_t i = 0; i < n; i += BATCH) {
		size_t b = n - i < BATCH ? n - i : BATCH;
		if (imb_predict_proba(e->p, x + i * e->d, b, e->d, probs + i * (size_t)K)) {
			free(x);
			free(probs);
			free(y);
			free(map);
			return imb_preferr("%s: ", lb);
		}
		imb_progress("predict", i + b, n);
	}
	if (n > BATCH)
		imb_progress_done();
	free(x);

	if (e->curves) {
		char **names = imb_xmalloc((size_t)K * sizeof *names);
		for (int c = 0; c < K; c++)
			names[c] = class_name(e->attrs, ds, c);
		*out = imb_xrealloc(*out, (*nout + 1) * sizeof **out);
		(*out)[(*nout)++] = imb_curves_frame(ds->name, imb_model_name(e->attrs), e->model_index,
		                                     y, probs, n, K, names, e->positive);
		for (int c = 0; c < K; c++)
			free(names[c]);
		free(names);
	}
	unsigned char *majority = imb_xmalloc((size_t)K);
	find_majority(e->attrs, ds, map, K, majority);
	free(map);
	size_t *count = imb_xcalloc((size_t)K, sizeof *count);
	for (size_t i = 0; i < n; i++)
		count[y[i]]++;
	double *w = imb_xmalloc((size_t)K * sizeof *w);
	int rc = 0;
	size_t runs = e->nratios ? e->nratios : 1;
	for (size_t r = 0; r < runs && !rc; r++) {
		double ratio = e->nratios ? e->ratios[r] : NAN;
		if (e->nratios && e->profile && ratio > 0 && isfinite(ratio))
			imb_split_weights(w, K, ratio, (imb_profile)(e->profile - 1));
		if (e->nratios && (e->profile ? imb_metrics_share_weights(count, w, K, w)
		                   : imb_metrics_target_weights(count, majority, K, ratio, w))) {
			rc = imb_preferr("%s: ", lb);
			break;
		}
		imb_metrics *m = imb_metrics_compute(y, probs, n, K, e->nratios ? w : NULL, majority,
		                                     e->positive);
		if (!m) {
			rc = imb_preferr("%s: ", lb);
			break;
		}
		*out = imb_xrealloc(*out, (*nout + 1) * sizeof **out);
		(*out)[(*nout)++] = metrics_frame(e, ds, m, majority, e->nratios ? w : NULL, ratio);
		imb_metrics_free(m);
	}
	free(w);
	free(count);
	free(majority);
	free(probs);
	free(y);
	return rc;
}
