/* nn_ensemble.c: ensemble frames and their prediction (nn_ensemble.h). */
#include "nn_ensemble.h"
#include "nn_backend.h"
#include "nn_frame.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int imb_nn_is_ensemble_frame(const imb_frame *f)
{
	return f && !strcmp(f->kind, "ensemble");
}

/* an integer field of attrs.ensemble in [lo, hi] */
static int int_field(const imb_val *en, const char *key, int64_t lo, int64_t hi, size_t *out)
{
	const imb_val *v = imb_val_get(en, key);
	if (!v || v->t != IMB_V_INT || v->i < lo || v->i > hi)
		return imb_seterr("attrs.ensemble.%s is missing or not an integer in [%lld, %lld]", key,
		                  (long long)lo, (long long)hi);
	*out = (size_t)v->i;
	return 0;
}

/* tensor key: (count, *width) f32; absent allowed (width 0) when may_lack */
static int rows(const imb_frame *f, const char *key, size_t count, int may_lack, size_t *width)
{
	const imb_tensor *t = imb_frame_tensor(f, key);
	*width = 0;
	if (!t)
		return may_lack ? 0 : imb_seterr("tensor '%s' is missing", key);
	if (t->dtype != IMB_F32 || t->ndim != 2 || t->shape[0] != count || t->shape[1] < 1)
		return imb_seterr("tensor '%s' must be (%zu, n) f32 (a row a member), not %s with %d "
		                  "dimension%s", key, count, imb_dtype_name(t->dtype), t->ndim,
		                  t->ndim == 1 ? "" : "s");
	*width = (size_t)t->shape[1];
	return 0;
}

int imb_nn_ensemble_info_read(const imb_frame *f, imb_nn_ensemble_info *e)
{
	memset(e, 0, sizeof *e);
	if (!imb_nn_is_ensemble_frame(f))
		return imb_seterr("not an ensemble frame (kind '%s')", f->kind);
	const char *model = imb_val_as_str(imb_val_get(f->attrs, "model"), NULL);
	if (!model || strcmp(model, "ensemble"))
		return imb_seterr("attrs.model: '%s' is not 'ensemble'", model ? model : "");
	const imb_val *en = imb_val_get(f->attrs, "ensemble");
	if (!en || en->t != IMB_V_MAP)
		return imb_seterr("attrs.ensemble is missing or not a map");
	e->method = imb_val_as_str(imb_val_get(en, "method"), NULL);
	if (!e->method)
		return imb_seterr("attrs.ensemble.method is missing or not a string");
	if (int_field(en, "members", 1, 1 << 30, &e->members) < 0 ||
	    int_field(en, "first", 0, (int64_t)e->members - 1, &e->first) < 0 ||
	    int_field(en, "count", 1, (int64_t)(e->members - e->first), &e->count) < 0)
		return -1;
	const imb_val *ep = imb_val_get(en, "epochs");
	if (!ep || ep->t != IMB_V_ARR || ep->n != e->count)
		return imb_seterr("attrs.ensemble.epochs must hold %zu epochs (count)", e->count);
	for (size_t i = 0; i < ep->n; i++)
		if (ep->items[i]->t != IMB_V_INT)
			return imb_seterr("attrs.ensemble.epochs[%zu] is not an integer", i);
	if (rows(f, "params", e->count, 0, &e->P) < 0 || rows(f, "bufs", e->count, 1, &e->B) < 0)
		return -1;
	return 0;
}

int imb_nn_ensemble_is_part(const imb_frame *f)
{
	imb_nn_ensemble_info e;
	return imb_nn_is_ensemble_frame(f) && imb_nn_ensemble_info_read(f, &e) == 0 &&
	       e.count < e.members;
}

/* ---- making, cutting and joining ---- */

/* attrs.ensemble */
static imb_val *ensemble_val(const char *method, size_t members, size_t first, size_t count,
                             const int64_t *epochs)
{
	imb_val *en = imb_val_map();
	imb_val_set_str(en, "method", method);
	imb_val_set_int(en, "members", (int64_t)members);
	imb_val_set_int(en, "first", (int64_t)first);
	imb_val_set_int(en, "count", (int64_t)count);
	imb_val_set(en, "epochs", imb_val_int_array(epochs, count));
	return en;
}

/* a copy of attrs with "model" set to model and "ensemble" replaced by en
 * (dropped when en is NULL; placed after "normalize" when new) */
static imb_val *attrs_with(const imb_val *attrs, const char *model, imb_val *en)
{
	imb_val *a = imb_val_map();
	int placed = !en;
	for (size_t i = 0; i < attrs->n; i++) {
		const char *k = attrs->keys[i];
		if (!strcmp(k, "ensemble")) {
			if (!placed)
				imb_val_set(a, k, en);
			placed = 1;
			continue;
		}
		imb_val_set(a, k, !strcmp(k, "model") ? imb_val_str(model) : imb_val_copy(attrs->items[i]));
		if (!strcmp(k, "normalize") && !placed && !imb_val_get(attrs, "ensemble")) {
			imb_val_set(a, "ensemble", en);
			placed = 1;
		}
	}
	if (!placed)
		imb_val_set(a, "ensemble", en);
	return a;
}

imb_frame *imb_nn_ensemble_make(imb_frame *model, const char *method, size_t S, float *params,
                                float *bufs, const int64_t *epochs)
{
	const imb_tensor *tp = imb_frame_tensor(model, "params"), *tb = imb_frame_tensor(model, "bufs");
	uint64_t P = tp ? imb_tensor_count(tp) : 0, B = tb ? imb_tensor_count(tb) : 0;
	imb_frame *f = imb_frame_new("ensemble", model->name);
	imb_val_free(f->attrs);
	f->attrs = attrs_with(model->attrs, "ensemble", ensemble_val(method, S, 0, S, epochs));
	imb_frame_free(model);
	uint64_t sp[2] = {S, P}, sb[2] = {S, B};
	imb_frame_put_tensor(f, "params", IMB_F32, 2, sp, params);
	if (B)
		imb_frame_put_tensor(f, "bufs", IMB_F32, 2, sb, bufs);
	else
		free(bufs);
	return f;
}

/* rows first..first+count-1 of tensor key of src (count rows of width)
 * into a new tensor of f */
static void copy_rows(imb_frame *f, const imb_frame *src, const char *key, size_t first,
                      size_t count, size_t width)
{
	if (!width)
		return;
	uint64_t s[2] = {count, width};
	imb_tensor *t = imb_frame_add_tensor(f, key, IMB_F32, 2, s);
	const float *from = imb_frame_tensor(src, key)->data;
	memcpy(t->data, from + first * width, count * width * sizeof(float));
}

static void epochs_of(const imb_frame *f, int64_t *out, size_t from, size_t count)
{
	const imb_val *ep = imb_val_path(f->attrs, "ensemble.epochs");
	for (size_t i = 0; i < count; i++)
		out[i] = ep->items[from + i]->i;
}

imb_frame *imb_nn_ensemble_part(const imb_frame *ens, size_t first, size_t count)
{
	imb_nn_ensemble_info e;
	if (imb_nn_ensemble_info_read(ens, &e) < 0)
		return NULL;
	if (count < 1 || first < e.first || first - e.first + count > e.count) {
		imb_seterr("members %zu to %zu: this frame holds %zu to %zu", first, first + count - 1,
		           e.first, e.first + e.count - 1);
		return NULL;
	}
	size_t at = first - e.first;
	int64_t *ep = imb_xmalloc(count * sizeof *ep);
	epochs_of(ens, ep, at, count);
	imb_frame *f = imb_frame_new("ensemble", ens->name);
	imb_val_free(f->attrs);
	f->attrs = attrs_with(ens->attrs, "ensemble",
	                      ensemble_val(e.method, e.members, first, count, ep));
	free(ep);
	copy_rows(f, ens, "params", at, count, e.P);
	copy_rows(f, ens, "bufs", at, count, e.B);
	return f;
}

/* attrs path of part k equals the first part's; else -1 naming it */
static int same(const imb_frame *a, const imb_frame *b, const char *path, size_t k,
                const char *lb)
{
	char *x = imb_val_json_text(imb_val_path(a->attrs, path));
	char *y = imb_val_json_text(imb_val_path(b->attrs, path));
	int r = 0;
	if (strcmp(x, y)) {
		if (strlen(x) > 64)
			strcpy(x + 60, "...");
		if (strlen(y) > 64)
			strcpy(y + 60, "...");
		r = imb_seterr("ensemble part %zu (%s): attrs.%s is %s, the first part's %s: the parts "
		               "are not of one ensemble", k + 1, lb, path, y, x);
	}
	free(x);
	free(y);
	return r;
}

imb_frame *imb_nn_ensemble_join(imb_frame *const *parts, size_t n)
{
	static const char *const fields[] = {"arch", "input", "n_features", "n_classes", "classes",
	                                     "normalize", "params", "ensemble.method",
	                                     "ensemble.members"};
	char lb[128];
	imb_nn_ensemble_info e0, e;
	size_t end = 0;
	if (n == 0) {
		imb_seterr("no ensemble part to join");
		return NULL;
	}
	for (size_t k = 0; k < n; k++) {
		imb_frame_label(parts[k], lb, sizeof lb);
		if (imb_nn_ensemble_info_read(parts[k], k ? &e : &e0) < 0) {
			imb_preferr("ensemble part %zu (%s): ", k + 1, lb);
			return NULL;
		}
		if (!k)
			e = e0;
		for (size_t i = 0; k && i < IMB_LEN(fields); i++)
			if (same(parts[0], parts[k], fields[i], k, lb) < 0)
				return NULL;
		if (k && (e.P != e0.P || e.B != e0.B)) {
			imb_seterr("ensemble part %zu (%s): members of %zu parameters and %zu buffers, the "
			           "first part's %zu and %zu", k + 1, lb, e.P, e.B, e0.P, e0.B);
			return NULL;
		}
		if (e.first != end) {
			if (k)
				imb_seterr("ensemble part %zu (%s): attrs.ensemble.first is %zu; the part before "
				           "ends at member %zu (parts must follow one another)", k + 1, lb,
				           e.first, end);
			else
				imb_seterr("ensemble part 1 (%s): attrs.ensemble.first is %zu; the first part "
				           "holds member 0", lb, e.first);
			return NULL;
		}
		end += e.count;
	}
	if (end != e0.members) {
		imb_seterr("the ensemble's %zu part%s end at member %zu of %zu", n, n == 1 ? "" : "s",
		           end, e0.members);
		return NULL;
	}
	size_t S = e0.members;
	int64_t *ep = imb_xmalloc(S * sizeof *ep);
	for (size_t k = 0, at = 0; k < n; k++) {
		imb_nn_ensemble_info_read(parts[k], &e);
		epochs_of(parts[k], ep + at, 0, e.count);
		at += e.count;
	}
	imb_frame *f = imb_frame_new("ensemble", parts[0]->name);
	imb_val_free(f->attrs);
	f->attrs = attrs_with(parts[0]->attrs, "ensemble", ensemble_val(e0.method, S, 0, S, ep));
	free(ep);
	uint64_t sp[2] = {S, e0.P}, sb[2] = {S, e0.B};
	float *p = imb_frame_add_tensor(f, "params", IMB_F32, 2, sp)->data;
	float *b = e0.B ? imb_frame_add_tensor(f, "bufs", IMB_F32, 2, sb)->data : NULL;
	for (size_t k = 0; k < n; k++) {
		imb_nn_ensemble_info_read(parts[k], &e);
		memcpy(p, imb_frame_tensor(parts[k], "params")->data, e.count * e.P * sizeof *p);
		p += e.count * e.P;
		if (b) {
			memcpy(b, imb_frame_tensor(parts[k], "bufs")->data, e.count * e.B * sizeof *b);
			b += e.count * e.B;
		}
	}
	return f;
}

imb_frame *imb_nn_ensemble_member(const imb_frame *ens, size_t i)
{
	imb_nn_ensemble_info e;
	if (imb_nn_ensemble_info_read(ens, &e) < 0)
		return NULL;
	if (i >= e.count) {
		imb_seterr("member %zu: this frame holds %zu", i, e.count);
		return NULL;
	}
	imb_frame *m = imb_frame_new("model", ens->name);
	imb_val_free(m->attrs);
	m->attrs = attrs_with(ens->attrs, imb_val_as_str(imb_val_get(ens->attrs, "arch"), ""), NULL);
	imb_val *tr = imb_val_get(m->attrs, "train");
	int64_t ep;
	epochs_of(ens, &ep, i, 1);
	if (tr && tr->t == IMB_V_MAP)
		imb_val_set_int(tr, "epochs_done", ep);
	uint64_t sp[1] = {e.P}, sb[1] = {e.B};
	memcpy(imb_frame_add_tensor(m, "params", IMB_F32, 1, sp)->data,
	       (const float *)imb_frame_tensor(ens, "params")->data + i * e.P, e.P * sizeof(float));
	if (e.B)
		memcpy(imb_frame_add_tensor(m, "bufs", IMB_F32, 1, sb)->data,
		       (const float *)imb_frame_tensor(ens, "bufs")->data + i * e.B,
		       e.B * sizeof(float));
	return m;
}

/* ---- prediction ---- */

typedef struct {
	imb_nn_loaded *net;     /* the network (imb_nn_load's) */
	size_t S, P, B;
	float *params, *bufs;   /* (S,P), (S,B) host */
	float *probs;           /* (cap,K) one member's */
	double *sum;            /* (cap,K) */
	size_t cap;
} ensemble;

void imb_nn_ensemble_free(void *vm)
{
	ensemble *en = vm;
	if (!en)
		return;
	imb_nn_free(en->net);
	free(en->params);
	free(en->bufs);
	free(en->probs);
	free(en->sum);
	free(en);
}

void *imb_nn_ensemble_load(const imb_frame *f, size_t d, int K)
{
	imb_nn_ensemble_info e;
	if (imb_nn_ensemble_info_read(f, &e) < 0)
		return NULL;
	if (e.count != e.members) {
		imb_seterr("holds members %zu to %zu of an ensemble of %zu: join the parts first "
		           "(imb-eval joins parts that follow one another)", e.first,
		           e.first + e.count - 1, e.members);
		return NULL;
	}
	/* member 0 as a network model frame: every check of nn_frame.h */
	imb_frame *m0 = imb_nn_ensemble_member(f, 0);
	void *net = m0 ? imb_nn_load(m0, d, K) : NULL;
	imb_frame_free(m0);
	if (!net) {
		imb_preferr("member 0: ");
		return NULL;
	}
	ensemble *en = imb_xcalloc(1, sizeof *en);
	en->net = net;
	en->S = e.members;
	en->P = e.P;
	en->B = e.B;
	en->params = imb_xmalloc(e.members * e.P * sizeof(float));
	memcpy(en->params, imb_frame_tensor(f, "params")->data, e.members * e.P * sizeof(float));
	if (e.B) {
		en->bufs = imb_xmalloc(e.members * e.B * sizeof(float));
		memcpy(en->bufs, imb_frame_tensor(f, "bufs")->data, e.members * e.B * sizeof(float));
	}
	for (size_t i = 0; i < e.members * e.P; i++)
		if (!isfinite(en->params[i])) {
			imb_seterr("tensor 'params': member %zu, element %zu is not a finite number",
			           i / e.P, i % e.P);
			imb_nn_ensemble_free(en);
			return NULL;
		}
	for (size_t i = 0; i < e.members * e.B; i++)
		if (!isfinite(en->bufs[i])) {
			imb_seterr("tensor 'bufs': member %zu, element %zu is not a finite number",
			           i / e.B, i % e.B);
			imb_nn_ensemble_free(en);
			return NULL;
		}
	return en;
}

int imb_nn_ensemble_predict(void *vm, const float *x, size_t n, size_t d, int K, float *probs)
{
	ensemble *en = vm;
	const imb_nn_backend *be = imb_nn_be();
	imb_nn_model *m = en->net->m;
	size_t nk = n * (size_t)K;
	if (n > en->cap) {
		free(en->probs);
		free(en->sum);
		en->probs = imb_xmalloc(nk * sizeof *en->probs);
		en->sum = imb_xmalloc(nk * sizeof *en->sum);
		en->cap = n;
	}
	memset(en->sum, 0, nk * sizeof *en->sum);
	for (size_t s = 0; s < en->S; s++) {
		be->upload(m->params, en->params + s * en->P, en->P * sizeof(float));
		if (en->B)
			be->upload(m->bufs, en->bufs + s * en->B, en->B * sizeof(float));
		if (imb_nn_predict(en->net, x, n, d, K, en->probs) < 0)
			return -1;
		for (size_t i = 0; i < nk; i++)
			en->sum[i] += en->probs[i];
	}
	for (size_t i = 0; i < nk; i++)
		probs[i] = (float)(en->sum[i] / (double)en->S);
	return 0;
}

int imb_nn_ensemble_gather(imb_nn_ensemble_gather_state *g, imb_frame *f, imb_frame **model)
{
	*model = NULL;
	if (!g->n && !imb_nn_ensemble_is_part(f)) {
		*model = f;
		return 0;
	}
	char lb[128];
	if (g->n && !imb_nn_ensemble_is_part(f))
		return imb_seterr("%s: the ensemble's parts must follow one another; %zu read, then "
		                  "this frame", imb_frame_label(f, lb, sizeof lb), g->n);
	g->parts = imb_xrealloc(g->parts, (g->n + 1) * sizeof *g->parts);
	g->parts[g->n++] = f;
	imb_nn_ensemble_info e;
	imb_nn_ensemble_info_read(f, &e);
	if (e.first + e.count < e.members)
		return 0;
	imb_frame *m = imb_nn_ensemble_join(g->parts, g->n);
	if (!m)
		return -1;
	for (size_t i = 0; i < g->n; i++)
		imb_frame_free(g->parts[i]);
	g->n = 0;
	*model = m;
	return 0;
}

void imb_nn_ensemble_gather_free(imb_nn_ensemble_gather_state *g)
{
	for (size_t i = 0; i < g->n; i++)
		imb_frame_free(g->parts[i]);
	free(g->parts);
	g->parts = NULL;
	g->n = 0;
}
