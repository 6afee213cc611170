/* scoring.c: predictions of every row, thresholds, predictions frames and
 * their text (scoring.h). */
#include "scoring.h"
#include "cli.h"
#include "dataset.h"
#include "model_frame.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const thr_names[] = {"balanced_accuracy", "f1", "gmean"};

int imb_thr_metric_parse(const char *s, imb_thr_metric *m)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, thr_names[i])) {
			*m = (imb_thr_metric)i;
			return 0;
		}
	if (!strcmp(s, "g-mean") || !strcmp(s, "gm")) {
		*m = IMB_THR_GMEAN;
		return 0;
	}
	return -1;
}

const char *imb_thr_metric_name(imb_thr_metric m)
{
	return thr_names[m];
}

static double metric_at(imb_thr_metric m, double tp, double fp, double P, double N)
{
	double fn = P - tp, tn = N - fp, tpr = tp / P, tnr = tn / N;
	switch (m) {
	case IMB_THR_F1: return tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
	case IMB_THR_GMEAN: return sqrt(tpr * tnr);
	default: return (tpr + tnr) / 2;
	}
}

static const float *sort_score;
static int by_score_desc(const void *a, const void *b)
{
	float x = sort_score[*(const size_t *)a], y = sort_score[*(const size_t *)b];
	return (x < y) - (x > y);
}

int imb_threshold_best(const float *score, const unsigned char *pos, size_t n,
                       imb_thr_metric m, double *t, double *value)
{
	double P = 0, N = 0;
	for (size_t i = 0; i < n; i++)
		pos[i] ? P++ : N++;
	if (P == 0 || N == 0)
		return imb_seterr("choosing a threshold needs both classes; the frame has %s",
		                  P == 0 ? "no positive row" : "no negative row");
	size_t *o = imb_xmalloc(n * sizeof *o);
	for (size_t i = 0; i < n; i++)
		o[i] = i;
	sort_score = score;
	qsort(o, n, sizeof *o, by_score_desc);
	/* nothing positive: a threshold above every score */
	double best_t = nextafter((double)score[o[0]], INFINITY);
	double best = metric_at(m, 0, 0, P, N), tp = 0, fp = 0;
	for (size_t i = 0; i < n;) {
		float s = score[o[i]];
		for (; i < n && score[o[i]] == s; i++)
			pos[o[i]] ? tp++ : fp++;
		double v = metric_at(m, tp, fp, P, N);
		if (v > best) {
			best = v;
			best_t = s;
		}
	}
	free(o);
	*t = best_t;
	*value = best;
	return 0;
}

float *imb_score_probs(imb_predictor *p, const imb_frame *ds, size_t *n)
{
	char lb[300];
	imb_frame_label(ds, lb, sizeof lb);
	const imb_tensor *x = imb_frame_tensor(ds, "x");
	if (!x || x->ndim < 1) {
		imb_seterr("%s: missing tensor 'x'", lb);
		return NULL;
	}
	if (x->dtype == IMB_I64) {
		imb_seterr("%s: tensor 'x' has dtype i64; use u8, i32, f32 or f64", lb);
		return NULL;
	}
	size_t d = (size_t)imb_dataset_dim(ds), rows = (size_t)x->shape[0];
	if (d != imb_predictor_nfeatures(p)) {
		imb_seterr("%s: tensor 'x': %zu features per sample, the %s model expects %zu", lb, d,
		           imb_predictor_kind(p), imb_predictor_nfeatures(p));
		return NULL;
	}
	int K = imb_predictor_nclasses(p);
	float *feat = imb_dataset_features(ds);
	/* what the model cannot take, named by feature (XGBoost takes NaN) */
	const char *kind = imb_predictor_kind(p);
	if (imb_dataset_check_finite(ds, feat, rows, d, !strcmp(kind, "xgboost"), kind) < 0) {
		free(feat);
		return NULL;
	}
	float *probs = imb_xmalloc((rows ? rows : 1) * (size_t)K * sizeof *probs);
	enum { BATCH = 4096 };
	for (size_t i = 0; i < rows; i += BATCH) {
		size_t b = rows - i < BATCH ? rows - i : BATCH;
		if (imb_predict_proba(p, feat + i * d, b, d, probs + i * (size_t)K) < 0) {
			free(feat);
			free(probs);
			imb_preferr("%s: ", lb);
			return NULL;
		}
		imb_progress("predict", i + b, rows);
	}
	if (rows > BATCH)
		imb_progress_done();
	free(feat);
	*n = rows;
	return probs;
}

void imb_score_pred(int32_t *pred, const float *probs, size_t n, int K, int positive,
                    double thr)
{
	for (size_t i = 0; i < n; i++) {
		const float *r = probs + i * (size_t)K;
		if (K == 2 && thr >= 0) {
			pred[i] = r[positive] >= thr ? positive : 1 - positive;
			continue;
		}
		int best = 0;
		for (int k = 1; k < K; k++)
			if (r[k] > r[best])
				best = k;
		pred[i] = best;
	}
}

imb_frame *imb_predictions_frame(const imb_frame *model, const imb_frame *ds, const float *probs,
                                 const int32_t *pred, size_t n, int K, int positive, double thr)
{
	imb_frame *f = imb_frame_new("predictions", ds->name);
	uint64_t sp[2] = {n, (uint64_t)K}, sn[1] = {n};
	memcpy(imb_frame_add_tensor(f, "probs", IMB_F32, 2, sp)->data, probs,
	       n * (size_t)K * sizeof *probs);
	memcpy(imb_frame_add_tensor(f, "pred", IMB_I32, 1, sn)->data, pred, n * sizeof *pred);
	const imb_tensor *id = imb_frame_tensor(ds, "id");
	if (imb_id_ok(id, n))
		memcpy(imb_frame_add_tensor(f, "id", id->dtype, id->ndim, id->shape)->data, id->data,
		       id->nbytes);
	const imb_val *cl = imb_val_get(model->attrs, "classes");
	imb_val *names = imb_val_arr();
	for (int k = 0; k < K; k++) {
		const char *s = cl && cl->t == IMB_V_ARR && (size_t)k < cl->n
		                ? imb_val_as_str(cl->items[k], NULL) : NULL;
		char buf[24];
		snprintf(buf, sizeof buf, "%d", k);
		imb_val_push(names, imb_val_str(s ? s : buf));
	}
	imb_val_set(f->attrs, "classes", names);
	imb_val_set_str(f->attrs, "model", imb_model_name(model->attrs));
	if (thr >= 0) {
		imb_val_set_float(f->attrs, "threshold", thr);
		imb_val_set_int(f->attrs, "positive", positive);
	}
	const imb_val *src = imb_val_get(ds->attrs, "source");
	if (src)
		imb_val_set(f->attrs, "source", imb_val_copy(src));
	const imb_val *h = imb_val_get(model->attrs, "history");
	if (h)
		imb_val_set(f->attrs, "history", imb_val_copy(h));
	return f;
}

void imb_predictions_write(FILE *fp, char sep, imb_frame *const *f, size_t nf)
{
	if (!nf)
		return;
	const imb_val *cl = imb_val_get(f[0]->attrs, "classes");
	int K = (int)cl->n, sets = nf > 1;
	int ids = 1;
	for (size_t j = 0; j < nf; j++)
		ids &= imb_frame_tensor(f[j], "id") != NULL;
	if (sets) {
		fputs("set", fp);
		fputc(sep, fp);
	}
	if (ids) {
		fputs("id", fp);
		fputc(sep, fp);
	}
	fputs("pred", fp);
	for (int k = 0; k < K; k++) {
		fputc(sep, fp);
		char *h = imb_xmalloc(strlen(imb_val_as_str(cl->items[k], "")) + 3);
		sprintf(h, "p_%s", imb_val_as_str(cl->items[k], ""));
		imb_write_field(fp, sep, h);
		free(h);
	}
	fputc('\n', fp);
	for (size_t j = 0; j < nf; j++) {
		const imb_tensor *tp = imb_frame_tensor(f[j], "probs"), *tq = imb_frame_tensor(f[j], "pred");
		const imb_tensor *ti = ids ? imb_frame_tensor(f[j], "id") : NULL;
		const float *p = tp->data;
		const int32_t *q = tq->data;
		size_t n = (size_t)tq->shape[0];
		for (size_t i = 0; i < n; i++) {
			if (sets) {
				imb_write_field(fp, sep, f[j]->name);
				fputc(sep, fp);
			}
			if (ti) {
				imb_id_write(fp, sep, ti, i);
				fputc(sep, fp);
			}
			imb_write_field(fp, sep, imb_val_as_str(cl->items[q[i]], ""));
			for (int k = 0; k < K; k++)
				fprintf(fp, "%c%.9g", sep, p[i * (size_t)K + k]);
			fputc('\n', fp);
		}
	}
}

/* the threshold of metric m on the labelled frame v, whose rows have
 * the probabilities probs (n,2) */
static int threshold_on(imb_predictor *p, const imb_frame *model, const imb_frame *v,
                        const float *probs, size_t n, const imb_score_opts *o, double *t,
                        double *value)
{
	char lb[300], ml[64];
	imb_frame_label(v, lb, sizeof lb);
	if (imb_dataset_check(v) < 0)
		return -1;
	int32_t *map;
	snprintf(ml, sizeof ml, "the %s model", imb_predictor_kind(p));
	if (imb_dataset_class_map(v, imb_val_get(model->attrs, "classes"), 2, ml, &map) < 0)
		return -1;
	const int32_t *y = imb_frame_tensor(v, "y")->data;
	float *score = imb_xmalloc((n ? n : 1) * sizeof *score);
	unsigned char *pos = imb_xmalloc(n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		score[i] = probs[i * 2 + (size_t)o->positive];
		pos[i] = (map ? map[y[i]] : y[i]) == o->positive;
	}
	int rc = imb_threshold_best(score, pos, n, o->metric, t, value);
	if (rc < 0)
		imb_preferr("%s: ", lb);
	free(score);
	free(pos);
	free(map);
	return rc;
}

int imb_score_frames(const imb_frame *model, imb_frame *const *ds, size_t nds,
                     const imb_score_opts *o, imb_frame ***out, size_t *nout)
{
	imb_predictor *p = imb_predictor_load(model);
	if (!p)
		return -1;
	int K = imb_predictor_nclasses(p), rc = 0;
	double thr = o->threshold, value = NAN;
	size_t vi = nds;   /* the validation frame's index */
	if ((o->by_metric || thr >= 0) && K != 2)
		rc = imb_seterr("a threshold is for two classes; the model has %d", K);
	else if (o->positive < 0 || o->positive >= K)
		rc = imb_seterr("--positive %d: the model has classes 0 to %d", o->positive, K - 1);
	if (!rc && o->by_metric) {
		for (size_t i = 0; i < nds && vi == nds; i++)
			if (!strcmp(ds[i]->name, o->val_frame))
				vi = i;
		if (vi == nds)
			rc = imb_seterr("no dataset frame named '%s' in the input to choose the threshold "
			                "on (--val-frame)", o->val_frame);
	}
	/* every frame's probabilities once: the predicted ones and the
	 * validation frame's */
	float **probs = imb_xcalloc(nds ? nds : 1, sizeof *probs);
	size_t *rows = imb_xcalloc(nds ? nds : 1, sizeof *rows), picked = 0;
	char mlb[300];
	imb_frame_label(model, mlb, sizeof mlb);
	for (size_t i = 0; i < nds && !rc; i++) {
		int want = !o->frame || !strcmp(ds[i]->name, o->frame);
		picked += want;
		if ((want || i == vi) && imb_model_features_check(model->attrs, mlb, ds[i]))
			rc = -1;
		else if ((want || i == vi) && !(probs[i] = imb_score_probs(p, ds[i], &rows[i])))
			rc = -1;
	}
	if (!rc && vi < nds)
		rc = threshold_on(p, model, ds[vi], probs[vi], rows[vi], o, &thr, &value);
	if (!rc && !picked)
		rc = o->frame ? imb_seterr("no dataset frame named '%s' in the input", o->frame)
		              : imb_seterr("no dataset frame in the input to predict");
	for (size_t i = 0; i < nds && !rc; i++) {
		if (o->frame && strcmp(ds[i]->name, o->frame))
			continue;
		size_t n = rows[i];
		int32_t *pred = imb_xmalloc((n ? n : 1) * sizeof *pred);
		imb_score_pred(pred, probs[i], n, K, o->positive, thr);
		imb_frame *f = imb_predictions_frame(model, ds[i], probs[i], pred, n, K, o->positive,
		                                     thr);
		if (vi < nds) {
			imb_val *tf = imb_val_map();
			imb_val_set_str(tf, "metric", imb_thr_metric_name(o->metric));
			imb_val_set_float(tf, "value", value);
			imb_val_set_str(tf, "frame", ds[vi]->name);
			imb_val_set(f->attrs, "threshold_for", tf);
		}
		*out = imb_xrealloc(*out, (*nout + 1) * sizeof **out);
		(*out)[(*nout)++] = f;
		free(pred);
	}
	for (size_t i = 0; i < nds; i++)
		free(probs[i]);
	free(probs);
	free(rows);
	imb_predictor_free(p);
	return rc;
}
