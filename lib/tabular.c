/* tabular.c: the options, their check, the training set-up and the
 * dispatch of tabular.h; the libraries' adapters are xgboost.c and
 * svm.c, the model frame's common attrs model_frame.c. */
#include "tabular.h"
#include "dataset.h"
#include "model_frame.h"
#include "scale.h"
#include "svm.h"
#include "util.h"
#include "xgboost.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void imb_tabular_opts_init(imb_tabular_opts *o)
{
	memset(o, 0, sizeof *o);
	o->model = "xgboost";
	o->rounds = 100;
	o->cw = IMB_CW_NONE;
	o->early_metric = "logloss";
}

int imb_tabular_parse_num(const char *s, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

/* ---- checking options ---- */

const char *imb_tabular_check(const imb_tabular_opts *o)
{
	static char errbuf[512];
	int xgb = !strcmp(o->model, "xgboost"), lin = !strcmp(o->model, "linear-svm"),
	    svm = !strcmp(o->model, "svm");
	if (!xgb && !lin && !svm) {
		snprintf(errbuf, sizeof errbuf,
		         "--model: unknown model '%s' (known: xgboost, linear-svm, svm)", o->model);
		return errbuf;
	}
	/* each weight in [0, 1e6] (it multiplies LIBLINEAR's C, and becomes
	 * XGBoost's float sample weight), not all 0 */
	if (o->cw == IMB_CW_LIST) {
		double mx = 0;
		for (size_t k = 0; k < o->cw_n; k++) {
			if (!(o->cw_list[k] >= 0 && o->cw_list[k] <= 1e6)) {
				snprintf(errbuf, sizeof errbuf,
				         "--class-weight: weight %zu is not a number in [0, 1e6]", k);
				return errbuf;
			}
			mx = fmax(mx, o->cw_list[k]);
		}
		if (o->cw_n && mx == 0) {
			snprintf(errbuf, sizeof errbuf, "--class-weight: every weight is 0");
			return errbuf;
		}
	}
	if (o->scale && !imb_scale_known(o->scale)) {
		snprintf(errbuf, sizeof errbuf, "--scale: unknown scaling '%s' (known: standard, minmax)",
		         o->scale);
		return errbuf;
	}
	if (o->scale && xgb) {
		snprintf(errbuf, sizeof errbuf, "--scale %s: applies to linear-svm and svm (trees do not "
		         "depend on a feature's scale)", o->scale);
		return errbuf;
	}
	if (o->early_stopping > 0 && !xgb) {
		snprintf(errbuf, sizeof errbuf, "--early-stopping: applies to xgboost and networks, "
		         "not to --model %s", o->model);
		return errbuf;
	}
	if (o->early_stopping > 0 && !o->val_frame) {
		snprintf(errbuf, sizeof errbuf, "--early-stopping %d: needs --val-frame NAME (the "
		         "frame whose metric it watches)", o->early_stopping);
		return errbuf;
	}
	if (o->val_frame && o->early_stopping <= 0) {
		snprintf(errbuf, sizeof errbuf, "--val-frame %s: a tabular model reads it for "
		         "--early-stopping only", o->val_frame);
		return errbuf;
	}
	for (size_t i = 0; i < o->nparams; i++) {
		const char *k = o->keys[i], *v = o->vals[i];
		if (!*k) {
			snprintf(errbuf, sizeof errbuf, "--param: empty parameter name");
			return errbuf;
		}
		const char *bad = xgb ? imb_xgboost_check_param(k, v) : imb_svm_check_param(o->model, k, v);
		if (bad)
			return bad;
	}
	return NULL;
}

/* ---- the training set-up ---- */

/* Per-class weights (K): NULL for none. Balanced is sklearn's
 * n / (K_present * n_k). -2 with imb_error() for a list of the wrong
 * length. */
static int class_weights(const imb_tabular_opts *o, const int64_t *counts, int K, uint64_t n,
                         const char *lb, double **out)
{
	*out = NULL;
	if (o->cw == IMB_CW_NONE)
		return 0;
	double *w = imb_xcalloc((size_t)K, sizeof *w);
	if (o->cw == IMB_CW_LIST) {
		if (o->cw_n != (size_t)K) {
			free(w);
			imb_seterr("--class-weight: %zu weights given, but %s has %d classes", o->cw_n, lb, K);
			return -2;
		}
		for (int k = 0; k < K; k++)
			w[k] = o->cw_list[k];
	} else {
		int present = 0;
		for (int k = 0; k < K; k++)
			present += counts[k] > 0;
		for (int k = 0; k < K; k++)
			w[k] = counts[k] > 0 ? (double)n / ((double)present * (double)counts[k]) : 0;
	}
	*out = w;
	return 0;
}

void imb_tabular_cw_set(imb_val *params, const imb_tabular_opts *o, const imb_tabular_data *t)
{
	if (!t->w) {
		imb_val_set_str(params, "class_weight", "none");
		return;
	}
	if (o->cw == IMB_CW_BALANCED) {
		imb_val_set_str(params, "class_weight", "balanced");
	} else {
		char buf[1024] = "", num[40];
		for (size_t k = 0; k < o->cw_n; k++) {
			imb_fmt_double(num, sizeof num, o->cw_list[k]);
			if (strlen(buf) + strlen(num) + 2 < sizeof buf)
				snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", k ? "," : "", num);
		}
		imb_val_set_str(params, "class_weight", buf);
	}
	imb_val_set(params, "class_weights", imb_val_float_array(t->w, (size_t)t->K));
}

static void data_free(imb_tabular_data *t)
{
	free(t->vx);
	free(t->vy);
	imb_val_free(t->extra);
	free(t->x);
	free(t->counts);
	free(t->w);
}

static int data_init(imb_tabular_data *t, const imb_frame *f, const imb_tabular_opts *o)
{
	memset(t, 0, sizeof *t);
	imb_frame_label(f, t->lb, sizeof t->lb);
	if (imb_dataset_check(f) < 0)
		return -1;
	t->n = imb_dataset_n(f);
	t->d = imb_dataset_dim(f);
	t->K = imb_dataset_nclasses(f);
	if (t->n == 0)
		return imb_seterr("%s: no samples to train on", t->lb);
	if (t->d == 0 || t->d > 0x7ffffffe)
		return imb_seterr("%s: tensor x: %llu features per sample is not trainable", t->lb,
		                  (unsigned long long)t->d);
	if (t->n > 0x7fffffff)
		return imb_seterr("%s: %llu samples is more than these libraries take", t->lb,
		                  (unsigned long long)t->n);
	if (t->K < 2)
		return imb_seterr("%s: attrs.classes: %d class; a classifier needs at least 2", t->lb, t->K);
	t->counts = imb_dataset_counts(f);
	int present = 0;
	for (int k = 0; k < t->K; k++)
		present += t->counts[k] > 0;
	if (present < 2)
		return imb_seterr("%s: tensor y: only one class occurs; a classifier needs two", t->lb);
	int r = class_weights(o, t->counts, t->K, t->n, t->lb, &t->w);
	if (r < 0)
		return r;
	t->x = imb_dataset_features(f);
	t->y = imb_frame_tensor(f, "y")->data;
	int nan_ok = !strcmp(o->model, "xgboost");
	if (imb_dataset_check_finite(f, t->x, t->n, t->d, nan_ok, o->model) < 0)
		return -1;
	t->extra = imb_val_map();
	if (o->val) {
		const imb_frame *v = o->val;
		imb_frame_label(v, t->vlb, sizeof t->vlb);
		if (imb_dataset_check(v) < 0)
			return imb_preferr("--val-frame: ");
		t->vn = imb_dataset_n(v);
		if (t->vn == 0)
			return imb_seterr("--val-frame: %s holds no samples", t->vlb);
		if (imb_dataset_dim(v) != t->d)
			return imb_seterr("--val-frame: %s has %llu features per sample; the train set %llu",
			                  t->vlb, (unsigned long long)imb_dataset_dim(v),
			                  (unsigned long long)t->d);
		int32_t *map;
		if (imb_dataset_class_map(v, imb_val_get(f->attrs, "classes"), t->K, t->lb, &map) < 0)
			return imb_preferr("--val-frame: ");
		t->vy = imb_labels_map(imb_frame_tensor(v, "y")->data, t->vn, map);
		free(map);
		t->vx = imb_dataset_features(v);
		if (imb_dataset_check_finite(v, t->vx, t->vn, t->d, nan_ok, o->model) < 0)
			return imb_preferr("--val-frame: ");
	}
	return 0;
}

/* ---- dispatch ---- */

int imb_tabular_train(const imb_frame *train, const imb_tabular_opts *o, imb_frame **out,
                      char *summary, size_t summary_size)
{
	const char *msg = imb_tabular_check(o);
	if (msg) {
		imb_seterr("%s", msg);
		return -2;
	}
	*out = NULL;
	imb_tabular_data t;
	int r = data_init(&t, train, o);
	imb_val *params = NULL;
	void *bytes = NULL;
	size_t nbytes = 0;
	double *center = NULL, *scale = NULL;
	if (r == 0 && o->scale) {   /* the SVMs train on the scaled features */
		center = imb_xmalloc(t.d * sizeof *center);
		scale = imb_xmalloc(t.d * sizeof *scale);
		imb_scale_fit(o->scale, t.x, t.n, t.d, center, scale);
		imb_scale_apply(t.x, t.n, t.d, center, scale, t.x);
	}
	if (r == 0)
		r = !strcmp(o->model, "xgboost")
		    ? imb_xgboost_train(&t, o, &params, &bytes, &nbytes, summary, summary_size)
		    : imb_svm_train(&t, o, &params, &bytes, &nbytes, summary, summary_size);
	if (r == 0) {
		imb_val *extra = t.extra && t.extra->n ? t.extra : NULL;
		if (extra)
			t.extra = NULL;
		if (strcmp(o->model, "xgboost"))
			imb_val_set_str(params, "scale", o->scale ? o->scale : "none");
		*out = imb_model_frame_new(o->model, extra, t.d, t.K, train, t.counts, params);
		uint64_t shape[1] = {nbytes};
		imb_frame_put_tensor(*out, "bytes", IMB_U8, 1, shape, bytes);
		if (center)
			imb_scale_put(*out, center, scale, t.d);
	}
	free(center);
	free(scale);
	data_free(&t);
	return r;
}
