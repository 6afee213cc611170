/* nn_frame.c: network model frames and batched prediction (nn_frame.h). */
#include "nn_frame.h"
#include "model_frame.h"
#include "nn_augment.h"
#include "nn_backend.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int imb_nn_attrs_name_network(const imb_val *attrs)
{
	const char *model = imb_val_as_str(imb_val_get(attrs, "model"), NULL);
	const char *arch = imb_val_as_str(imb_val_get(attrs, "arch"), NULL);
	return model && (!strcmp(model, "nn") || (arch && !strcmp(model, arch)));
}

int imb_nn_is_model_frame(const imb_frame *f)
{
	return f && !strcmp(f->kind, "model") && imb_nn_attrs_name_network(f->attrs);
}

void imb_nn_loaded_free(imb_nn_loaded *l)
{
	if (!l)
		return;
	imb_nn_model_free(l->m);
	free(l->mean);
	free(l->std);
	memset(l, 0, sizeof *l);
}

/* an array of n numbers into out (host floats); -1 when it is not one */
static int num_array(const imb_val *a, size_t n, float *out)
{
	if (!a || a->t != IMB_V_ARR || a->n != n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const imb_val *v = a->items[i];
		if (v->t != IMB_V_INT && v->t != IMB_V_FLOAT)
			return -1;
		out[i] = (float)imb_val_as_double(v, 0);
		if (!isfinite(out[i]))
			return -1;
	}
	return 0;
}

/* tensor key of f is (count) f32, or absent when count is 0 */
static int block_shape(const imb_frame *f, const char *key, size_t count)
{
	imb_tensor *t = imb_frame_tensor(f, key);
	if (!t) {
		if (count == 0)
			return 0;
		return imb_seterr("tensor '%s' is missing (the architecture has %zu of them)", key,
		                  count);
	}
	if (t->dtype != IMB_F32 || t->ndim != 1 || t->shape[0] != count)
		return imb_seterr("tensor '%s' must be (%zu) f32 for this architecture, not %s with %d "
		                  "dimension%s (%llu elements)", key, count, imb_dtype_name(t->dtype),
		                  t->ndim, t->ndim == 1 ? "" : "s",
		                  (unsigned long long)imb_tensor_count(t));
	return 0;
}

int imb_nn_frame_get_block(const imb_frame *f, const char *key, float *dst, size_t count)
{
	if (block_shape(f, key, count) < 0)
		return -1;
	imb_tensor *t = imb_frame_tensor(f, key);
	if (!t)
		return 0;
	const float *p = t->data;
	for (size_t i = 0; i < count; i++)
		if (!isfinite(p[i]))
			return imb_seterr("tensor '%s': element %zu is not a finite number", key, i);
	if (count)
		imb_nn_be()->upload(dst, p, count * sizeof(float));
	return 0;
}

void imb_nn_frame_put_block(imb_frame *f, const char *key, const float *src, size_t count)
{
	uint64_t s[1] = {count};
	imb_tensor *t = imb_frame_add_tensor(f, key, IMB_F32, 1, s);
	if (count)
		imb_nn_be()->download(t->data, src, count * sizeof(float));
}

int imb_nn_is_encoder_frame(const imb_frame *f)
{
	const imb_val *e = imb_nn_is_model_frame(f) ? imb_val_get(f->attrs, "encoder") : NULL;
	return e && e->t == IMB_V_MAP;
}

/* what a reading takes besides a network model frame */
enum { READ_ENCODERS = 1, READ_ANY_KIND = 2 };
static int frame_read(const imb_frame *f, imb_nn_loaded *out, int take);

int imb_nn_frame_read(const imb_frame *f, imb_nn_loaded *out)
{
	return frame_read(f, out, 0);
}

int imb_nn_frame_read_init(const imb_frame *f, imb_nn_loaded *out)
{
	return frame_read(f, out, READ_ENCODERS);
}

int imb_nn_frame_read_net(const imb_frame *f, imb_nn_loaded *out)
{
	return frame_read(f, out, READ_ANY_KIND);
}

static int frame_read(const imb_frame *f, imb_nn_loaded *out, int take)
{
	memset(out, 0, sizeof *out);
	const char *kind = imb_val_as_str(imb_val_get(f->attrs, "model"), NULL);
	if (!(take & READ_ANY_KIND) && strcmp(f->kind, "model"))
		return imb_seterr("not a model frame (kind '%s')", f->kind);
	if (!(take & READ_ANY_KIND) && !imb_nn_attrs_name_network(f->attrs))
		return imb_seterr("attrs.model: '%s' is not a network model (its attrs.arch, or 'nn')",
		                  kind ? kind : "");
	const char *arch = imb_val_as_str(imb_val_get(f->attrs, "arch"), NULL);
	if (!arch)
		return imb_seterr("attrs.arch is missing or not a string");
	if (imb_nn_arch_check(arch) < 0)
		return imb_preferr("attrs.arch: ");
	const imb_val *in = imb_val_get(f->attrs, "input");
	int64_t shp[3];
	if (!in || in->t != IMB_V_ARR || in->n != 3)
		return imb_seterr("attrs.input must be [C, H, W]");
	for (int i = 0; i < 3; i++) {
		shp[i] = imb_val_as_int(in->items[i], -1);
		if (in->items[i]->t != IMB_V_INT || shp[i] < 1 || shp[i] > 1 << 24)
			return imb_seterr("attrs.input must be [C, H, W], positive integers");
	}
	int enc = imb_nn_is_encoder_frame(f);
	if (enc && !(take & READ_ENCODERS))
		return imb_seterr("an encoder (%s pre-trained without labels, no classifier): "
		                  "fine-tune it first: imb-train --init (--freeze backbone for a linear "
		                  "probe)", arch);
	if (enc && strchr(arch, '+'))
		return imb_seterr("attrs.arch '%s': an encoder holds a backbone, without a head", arch);
	int64_t K = imb_val_as_int(imb_val_get(f->attrs, "n_classes"), -1);
	if (enc && K != 0)
		return imb_seterr("attrs.n_classes is %lld; an encoder has 0", (long long)K);
	if (enc)
		K = 2;      /* a placeholder head, zero */
	else if (K < 2 || K > 1 << 20)
		return imb_seterr("attrs.n_classes is missing or not an integer >= 2");
	if ((double)shp[0] * shp[1] * shp[2] > 1e9)
		return imb_seterr("attrs.input: [%lld, %lld, %lld] is too large", (long long)shp[0],
		                  (long long)shp[1], (long long)shp[2]);
	int C = (int)shp[0];
	float *mean = imb_xmalloc((size_t)C * sizeof *mean), *std = imb_xmalloc((size_t)C * sizeof *std);
	const imb_val *nm = imb_val_get(f->attrs, "normalize");
	if (num_array(imb_val_get(nm, "mean"), (size_t)C, mean) < 0 ||
	    num_array(imb_val_get(nm, "std"), (size_t)C, std) < 0) {
		free(mean);
		free(std);
		return imb_seterr("attrs.normalize must be {mean: [%d numbers], std: [%d numbers]}", C, C);
	}
	for (int c = 0; c < C; c++)
		if (!(std[c] > 0)) {
			free(mean);
			free(std);
			return imb_seterr("attrs.normalize.std[%d] is not > 0", c);
		}
	/* the tensors must be what the architecture needs before a model of
	 * that size is allocated: attrs are cheap to write, a model is not */
	size_t P, B, F;
	if ((enc ? imb_nn_arch_backbone_size(arch, C, (int)shp[1], (int)shp[2], &F, &P, &B)
	         : imb_nn_arch_size(arch, C, (int)shp[1], (int)shp[2], (int)K, &P, &B)) < 0) {
		free(mean);
		free(std);
		return imb_preferr("attrs.arch '%s' on input [%d, %d, %d]: ", arch, C, (int)shp[1],
		                   (int)shp[2]);
	}
	if (block_shape(f, "params", P) < 0 || block_shape(f, "bufs", B) < 0) {
		free(mean);
		free(std);
		return -1;
	}
	imb_nn_model *m = imb_nn_model_new(arch, C, (int)shp[1], (int)shp[2], (int)K);
	if (!m) {
		free(mean);
		free(std);
		return imb_preferr("attrs.arch '%s' on input [%d, %d, %d]: ", arch, C, (int)shp[1],
		                   (int)shp[2]);
	}
	if (imb_nn_frame_get_block(f, "params", m->params, P) < 0 ||
	    imb_nn_frame_get_block(f, "bufs", m->bufs, m->B) < 0) {
		imb_nn_model_free(m);
		free(mean);
		free(std);
		return -1;
	}
	out->m = m;
	out->mean = mean;
	out->std = std;
	out->encoder = enc;
	return 0;
}

/* attrs.normalize: {mean: [C], std: [C]} */
static imb_val *normalize_val(const float *mean, const float *std, int C)
{
	double *d = imb_xmalloc((size_t)C * sizeof *d);
	imb_val *nm = imb_val_map();
	for (int c = 0; c < C; c++)
		d[c] = mean[c];
	imb_val_set(nm, "mean", imb_val_float_array(d, (size_t)C));
	for (int c = 0; c < C; c++)
		d[c] = std[c];
	imb_val_set(nm, "std", imb_val_float_array(d, (size_t)C));
	free(d);
	return nm;
}

imb_frame *imb_nn_frame_make(const imb_nn_model *m, const float *mean, const float *std,
                             imb_val *params, const imb_frame *train,
                             const int64_t *counts, int epochs_done)
{
	imb_val *extra = imb_val_map();
	imb_val_set_str(extra, "arch", m->arch);
	int64_t shp[3] = {m->C, m->H, m->W};
	imb_val_set(extra, "input", imb_val_int_array(shp, 3));
	imb_val_set(extra, "normalize", normalize_val(mean, std, m->C));
	imb_frame *f = imb_model_frame_new(m->arch, extra, (size_t)m->C * m->H * m->W, m->K, train,
	                                   counts, params);
	imb_val_set_int(imb_val_get(f->attrs, "train"), "epochs_done", epochs_done);
	imb_nn_frame_put_block(f, "params", m->params, m->P);
	if (m->B)
		imb_nn_frame_put_block(f, "bufs", m->bufs, m->B);
	return f;
}

imb_frame *imb_nn_encoder_frame_make(const imb_nn_model *m, const char *backbone,
                                     const float *mean, const float *std, imb_val *params,
                                     imb_val *info, const imb_frame *train, size_t n,
                                     int epochs_done)
{
	imb_val *extra = imb_val_map();
	imb_val_set_str(extra, "arch", backbone);
	int64_t shp[3] = {m->C, m->H, m->W};
	imb_val_set(extra, "input", imb_val_int_array(shp, 3));
	imb_val_set(extra, "normalize", normalize_val(mean, std, m->C));
	imb_val_set(extra, "encoder", info);
	imb_frame *f = imb_model_frame_new(backbone, extra, (size_t)m->C * m->H * m->W, 0, train, NULL,
	                                   params);
	imb_val *tr = imb_val_get(f->attrs, "train");
	imb_val_set_int(tr, "n", (int64_t)n);
	imb_val_set_int(tr, "epochs_done", epochs_done);
	imb_nn_frame_put_block(f, "params", m->params, m->head);
	if (m->B)
		imb_nn_frame_put_block(f, "bufs", m->bufs, m->B);
	return f;
}

/* ---- predict.c's entries ---- */

void *imb_nn_load(const imb_frame *f, size_t d, int K)
{
	imb_nn_loaded *l = imb_xcalloc(1, sizeof *l);
	if (imb_nn_frame_read(f, l) < 0) {
		free(l);
		return NULL;
	}
	size_t D = (size_t)l->m->C * l->m->H * l->m->W;
	if (D != d || l->m->K != K) {
		imb_seterr("attrs.input [%d, %d, %d] and n_classes %d disagree with attrs.n_features "
		           "%zu and n_classes %d", l->m->C, l->m->H, l->m->W, l->m->K, d, K);
		imb_nn_free(l);
		return NULL;
	}
	return l;
}

void imb_nn_free(void *vm)
{
	imb_nn_loaded *l = vm;
	if (!l)
		return;
	imb_nn_loaded_free(l);
	free(l);
}

#define PREDICT_BATCH 256

int imb_nn_rows_each(const imb_nn_loaded *l, const float *x, size_t n, size_t d, size_t chunk,
                     int (*fn)(void *ctx, const float *xdev, size_t at, size_t b), void *ctx)
{
	const imb_nn_backend *be = imb_nn_be();
	int C = l->m->C, HW = l->m->H * l->m->W, rc = 0;
	for (size_t i = 0; i < n * d; i++)
		if (!isfinite(x[i]))
			return imb_seterr("row %zu column %zu is not a finite number", i / d, i % d);
	if (n < chunk)
		chunk = n;
	float *host = imb_xmalloc((chunk ? chunk : 1) * d * sizeof *host);
	float *dev = be->alloc((chunk ? chunk : 1) * d * sizeof *dev);
	for (size_t at = 0; at < n && !rc; at += chunk) {
		size_t b = n - at < chunk ? n - at : chunk;
		imb_nn_aug_normalize_f32(host, x + at * d, (int)b, C, HW, l->mean, l->std);
		be->upload(dev, host, b * d * sizeof *host);
		rc = fn(ctx, dev, at, b);
	}
	be->free(dev);
	free(host);
	return rc;
}

typedef struct {
	imb_nn_model *m;
	float *probs;
} predict_ctx;

static int predict_chunk(void *ctx, const float *xdev, size_t at, size_t b)
{
	predict_ctx *c = ctx;
	imb_nn_model_predict(c->m, c->probs + at * (size_t)c->m->K, xdev, b, PREDICT_BATCH);
	return 0;
}

int imb_nn_predict(void *vm, const float *x, size_t n, size_t d, int K, float *probs)
{
	imb_nn_loaded *l = vm;
	(void)K;
	predict_ctx c = {l->m, probs};
	return imb_nn_rows_each(l, x, n, d, PREDICT_BATCH, predict_chunk, &c);
}
