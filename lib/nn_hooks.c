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
