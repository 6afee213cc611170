/* nn_hooks.c: hooks of the training loop (nn_hooks.h). */
#include "nn_hooks.h"
#include "dataset.h"
#include "nn_backend.h"
#include "nn_frame.h"
#include "nn_train.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- validation ---- */

typedef struct {
	char lb[128];
	size_t n, D;
	int K;
	float *x;              /* (n,D) the frame's features (imb_dataset_features) */
	int32_t *y;            /* (n) labels as the train set's class indices */
	float *probs;          /* (n,K) */
	double *acc, *loss, *cnt;   /* (K) */
} val_state;

static int val_epoch(imb_nn_hook *h, imb_nn_loop *L, imb_val *entry, char *line, size_t size)
{
	val_state *v = h->state;
	int K = v->K;
	imb_nn_loaded view = { L->m, L->mean, L->std, 0 };  /* borrowed: not freed */
	if (imb_nn_predict(&view, v->x, v->n, v->D, K, v->probs) < 0)
		return imb_preferr("--val-frame: %s: ", v->lb);
	memset(v->acc, 0, (size_t)K * sizeof *v->acc);
	memset(v->loss, 0, (size_t)K * sizeof *v->loss);
	memset(v->cnt, 0, (size_t)K * sizeof *v->cnt);
	double lsum = 0, correct = 0;
	for (size_t i = 0; i < v->n; i++) {
		const float *p = v->probs + i * (size_t)K;
		int y = v->y[i], best = 0;
		for (int k = 1; k < K; k++)   /* imb-eval's argmax: the first largest */
			if (p[k] > p[best])
				best = k;
		double l = -log(p[y] > 1e-30f ? (double)p[y] : 1e-30);
		v->acc[y] += best == y;
		v->loss[y] += l;
		v->cnt[y]++;
		lsum += l;
		correct += best == y;
	}
	for (int k = 0; k < K; k++) {
		v->acc[k] = v->cnt[k] > 0 ? v->acc[k] / v->cnt[k] : NAN;
		v->loss[k] = v->cnt[k] > 0 ? v->loss[k] / v->cnt[k] : NAN;
	}
	double loss = lsum / (double)v->n, acc = correct / (double)v->n;
	imb_val_set_float(entry, "val_loss", loss);
	imb_val_set_float(entry, "val_acc", acc);
	imb_val_set(entry, "val_per_class_acc", imb_val_float_array(v->acc, (size_t)K));
	imb_val_set(entry, "val_per_class_loss", imb_val_float_array(v->loss, (size_t)K));
	imb_val_set(entry, "val_per_class_n", imb_val_float_array(v->cnt, (size_t)K));
	size_t p = strlen(line);
	if (p < size)
		p += (size_t)snprintf(line + p, size - p, " val loss %.4f acc %.4f per-class", loss, acc);
	for (int k = 0; k < K && p + 64 < size; k++)
		p += (size_t)snprintf(line + p, size - p, "%s%.3f", k ? "," : " ", v->acc[k]);
	return 0;
}

static void val_free(imb_nn_hook *h)
{
	val_state *v = h->state;
	if (!v)
		return;
	free(v->x);
	free(v->y);
	free(v->probs);
	free(v->acc);
	free(v->loss);
	free(v->cnt);
	free(v);
}

int imb_nn_hook_val(imb_nn_hook *h, const imb_frame *val, size_t D, int K,
                    const imb_val *classes, const char *train_label)
{
	memset(h, 0, sizeof *h);
	char lb[128];
	imb_frame_label(val, lb, sizeof lb);
	if (imb_dataset_check(val) < 0)
		return imb_preferr("--val-frame: ");
	size_t n = imb_dataset_n(val), d = imb_dataset_dim(val);
	if (n == 0)
		return imb_seterr("--val-frame: %s holds no samples", lb);
	if (d != D)
		return imb_seterr("--val-frame: %s has %zu values per sample; the train set %zu", lb, d,
		                  D);
	/* classes by name: the val set's label k is the train set's class map[k] */
	int32_t *map;
	if (imb_dataset_class_map(val, classes, K, train_label, &map) < 0)
		return imb_preferr("--val-frame: ");
	val_state *v = imb_xcalloc(1, sizeof *v);
	snprintf(v->lb, sizeof v->lb, "%s", lb);
	v->n = n;
	v->D = D;
	v->K = K;
	v->x = imb_dataset_features(val);
	v->y = imb_labels_map(imb_frame_tensor(val, "y")->data, n, map);
	free(map);
	v->probs = imb_xmalloc(n * (size_t)K * sizeof *v->probs);
	v->acc = imb_xmalloc((size_t)K * sizeof *v->acc);
	v->loss = imb_xmalloc((size_t)K * sizeof *v->loss);
	v->cnt = imb_xmalloc((size_t)K * sizeof *v->cnt);
	h->name = "val";
	h->on_epoch = val_epoch;
	h->free = val_free;
	h->state = v;
	return 0;
}

/* ---- snapshots ---- */

typedef struct {
	int every, per_step;
	imb_nn_snapshot_fn fn;
	void *ctx;
} snap_state;

static void snap(const snap_state *s, imb_nn_loop *L)
{
	const imb_nn_backend *be = imb_nn_be();
	imb_nn_model *m = L->m;
	float *p = be->alloc(m->P * sizeof *p), *b = NULL;
	be->copy(p, m->params, m->P * sizeof *p);
	if (m->B) {
		b = be->alloc(m->B * sizeof *b);
		be->copy(b, m->bufs, m->B * sizeof *b);
	}
	s->fn(s->ctx, p, b, L->epoch, L->step_n);
}

static int snap_step(imb_nn_hook *h, imb_nn_loop *L)
{
	const snap_state *s = h->state;
	if (L->step_n % s->every == 0)
		snap(s, L);
	return 0;
}

static int snap_epoch(imb_nn_hook *h, imb_nn_loop *L, imb_val *entry, char *line, size_t size)
{
	const snap_state *s = h->state;
	if (L->epoch % s->every == 0)
		snap(s, L);
	return 0;
}

static void snap_free(imb_nn_hook *h)
{
	free(h->state);
}

void imb_nn_hook_snapshots(imb_nn_hook *h, int every, int per_step, imb_nn_snapshot_fn fn,
                           void *ctx)
{
	memset(h, 0, sizeof *h);
	snap_state *s = imb_xmalloc(sizeof *s);
	*s = (snap_state){ every > 0 ? every : 1, per_step, fn, ctx };
	h->name = "snapshots";
	if (per_step)
		h->on_step = snap_step;
	else
		h->on_epoch = snap_epoch;
	h->free = snap_free;
	h->state = s;
}

void imb_nn_hook_free(imb_nn_hook *h)
{
	if (!h)
		return;
	if (h->free)
		h->free(h);
	memset(h, 0, sizeof *h);
}

/* ---- early stopping ---- */

typedef struct {
	int patience, maximize;
	const char *metric;
	int best_epoch;        /* 0: none yet */
	double best;
	float *params, *bufs;  /* (P), (B): the best epoch's, backend memory */
	size_t P, B;
} early_state;

/* the epoch's score from the validation hook's fields; NaN when absent */
static double early_score(const early_state *s, const imb_val *entry)
{
	if (!s->maximize)
		return imb_val_as_double(imb_val_get(entry, "val_loss"), NAN);
	const imb_val *acc = imb_val_get(entry, "val_per_class_acc");
	const imb_val *cnt = imb_val_get(entry, "val_per_class_n");
	if (!acc || !cnt || acc->t != IMB_V_ARR || cnt->t != IMB_V_ARR || acc->n != cnt->n)
		return NAN;
	double sum = 0;
	int k = 0;
	for (size_t i = 0; i < acc->n; i++)
		if (imb_val_as_double(cnt->items[i], 0) > 0) {
			sum += imb_val_as_double(acc->items[i], 0);
			k++;
		}
	return k ? sum / k : NAN;
}

static int early_epoch(imb_nn_hook *h, imb_nn_loop *L, imb_val *entry, char *line, size_t size)
{
	early_state *s = h->state;
	const imb_nn_backend *be = imb_nn_be();
	double v = early_score(s, entry);
	if (s->maximize)
		imb_val_set_float(entry, "val_balanced_acc", v);
	int better = !isnan(v) && (!s->best_epoch || (s->maximize ? v > s->best : v < s->best));
	if (better) {
		s->best = v;
		s->best_epoch = L->epoch;
		be->copy(s->params, L->m->params, s->P * sizeof(float));
		if (s->B)
			be->copy(s->bufs, L->m->bufs, s->B * sizeof(float));
	}
	size_t p = strlen(line);
	if (s->maximize && p < size)
		p += (size_t)snprintf(line + p, size - p, " balanced %.4f", v);
	if (s->best_epoch && L->epoch - s->best_epoch >= s->patience) {
		L->stop = 1;
		if (p < size)
			snprintf(line + p, size - p, " (early stop: best epoch %d)", s->best_epoch);
	}
	return 0;
}

static int early_end(imb_nn_hook *h, imb_nn_loop *L)
{
	early_state *s = h->state;
	const imb_nn_backend *be = imb_nn_be();
	if (!s->best_epoch || s->best_epoch == L->epoch)
		return 0;
	be->copy(L->m->params, s->params, s->P * sizeof(float));
	if (s->B)
		be->copy(L->m->bufs, s->bufs, s->B * sizeof(float));
	return 0;
}

static int early_save(const imb_nn_hook *h, imb_frame *ck)
{
	const early_state *s = h->state;
	imb_val_set_int(ck->attrs, "early_best_epoch", s->best_epoch);
	if (!s->best_epoch)
		return 0;
	imb_val_set_float(ck->attrs, "early_best", s->best);
	imb_nn_frame_put_block(ck, "early_params", s->params, s->P);
	if (s->B)
		imb_nn_frame_put_block(ck, "early_bufs", s->bufs, s->B);
	return 0;
}

static int early_load(imb_nn_hook *h, const imb_frame *ck)
{
	early_state *s = h->state;
	int64_t be_ = imb_val_as_int(imb_val_get(ck->attrs, "early_best_epoch"), -1);
	if (be_ < 0)
		return imb_seterr("attrs.early_best_epoch is missing (a checkpoint made without "
		                  "--early-stopping)");
	s->best_epoch = (int)be_;
	if (!s->best_epoch)
		return 0;
	s->best = imb_val_as_double(imb_val_get(ck->attrs, "early_best"), NAN);
	if (imb_nn_frame_get_block(ck, "early_params", s->params, s->P) < 0 ||
	    (s->B && imb_nn_frame_get_block(ck, "early_bufs", s->bufs, s->B) < 0))
		return -1;
	return 0;
}

static void early_free(imb_nn_hook *h)
{
	early_state *s = h->state;
	if (!s)
		return;
	const imb_nn_backend *be = imb_nn_be();
	be->free(s->params);
	if (s->bufs)
		be->free(s->bufs);
	free(s);
}

void imb_nn_hook_early(imb_nn_hook *h, int patience, const char *metric, size_t P, size_t B)
{
	memset(h, 0, sizeof *h);
	const imb_nn_backend *be = imb_nn_be();
	early_state *s = imb_xcalloc(1, sizeof *s);
	s->patience = patience;
	s->metric = metric;
	s->maximize = !strcmp(metric, "balanced_accuracy");
	s->P = P;
	s->B = B;
	s->params = be->alloc(P * sizeof(float));
	s->bufs = B ? be->alloc(B * sizeof(float)) : NULL;
	h->name = "early";
	h->on_epoch = early_epoch;
	h->on_end = early_end;
	h->save = early_save;
	h->load = early_load;
	h->free = early_free;
	h->state = s;
}

imb_val *imb_nn_hook_early_report(const imb_nn_hook *h, const imb_nn_loop *L)
{
	if (!h->name || strcmp(h->name, "early"))
		return NULL;
	const early_state *s = h->state;
	imb_val *r = imb_val_map();
	imb_val_set_int(r, "patience", s->patience);
	imb_val_set_str(r, "metric", s->metric);
	imb_val_set_int(r, "best_epoch", s->best_epoch);
	imb_val_set_float(r, "best_score", s->best_epoch ? s->best : NAN);
	imb_val_set_int(r, "stopped_at", L->epoch);
	imb_val_set_int(r, "stopped", L->stop);
	return r;
}
