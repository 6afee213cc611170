/* predict.c: the predict interface (predict.h) and its registry of model
 * kinds. Adding a kind is one row in `kinds` and one bump of
 * IMB_NKINDS: a forgotten row fails to compile. */
#include "predict.h"
#include "laplace.h"
#include "nn_ensemble.h"
#include "nn_frame.h"
#include "svm.h"
#include "util.h"
#include "xgboost.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *name; /* attrs.model */
	/* a frame's attrs name this kind other than by name == attrs.model
	 * (NULL: only by name) */
	int (*names)(const imb_val *attrs);
	/* the frame's payload, checked against d features and K classes;
	 * NULL with imb_error() */
	void *(*load)(const imb_frame *f, size_t d, int K);
	/* probs (n,K) from x (n,d); 0 or -1 with imb_error() */
	int (*predict)(void *m, const float *x, size_t n, size_t d, int K, float *probs);
	void (*free)(void *m);
} imb_model_kind;

#define IMB_NKINDS 6
static const imb_model_kind kinds[] = {
	{"xgboost", NULL, imb_xgboost_load, imb_xgboost_predict, imb_xgboost_free},
	{"linear-svm", NULL, imb_linsvm_load, imb_svm_predict, imb_svm_free},
	{"svm", NULL, imb_svm_load, imb_svm_predict, imb_svm_free},
	/* a network: attrs.model is its architecture (attrs.arch), "nn" before */
	{"nn", imb_nn_attrs_name_network, imb_nn_load, imb_nn_predict, imb_nn_free},
	{"laplace", NULL, imb_la_load, imb_la_predict, imb_la_unload},
	{"ensemble", NULL, imb_nn_ensemble_load, imb_nn_ensemble_predict, imb_nn_ensemble_free},
};
_Static_assert(IMB_LEN(kinds) == IMB_NKINDS, "predict.c: kinds[] and IMB_NKINDS disagree");

struct imb_predictor {
	const imb_model_kind *kind;
	void *m;
	size_t d;
	int K;
};

int imb_frame_is_model(const imb_frame *f)
{
	return f && (!strcmp(f->kind, "model") || !strcmp(f->kind, "posterior") ||
	             !strcmp(f->kind, "ensemble"));
}

imb_predictor *imb_predictor_load(const imb_frame *f)
{
	char lb[128];
	if (!f) {
		imb_seterr("no model frame");
		return NULL;
	}
	imb_frame_label(f, lb, sizeof lb);
	const char *name = imb_val_as_str(imb_val_get(f->attrs, "model"), NULL);
	if (!name) {
		if (!imb_frame_is_model(f))
			imb_seterr("%s: not a model frame (kind '%s')", lb, f->kind);
		else
			imb_seterr("%s: attrs.model is missing or not a string", lb);
		return NULL;
	}
	const imb_model_kind *k = NULL;
	for (size_t i = 0; i < IMB_NKINDS && !k; i++)
		if (strcmp(kinds[i].name, name) == 0)
			k = &kinds[i];
	for (size_t i = 0; i < IMB_NKINDS && !k; i++)
		if (kinds[i].names && kinds[i].names(f->attrs))
			k = &kinds[i];
	if (!k) {
		char known[256] = "";
		for (size_t i = 0; i < IMB_NKINDS; i++) {
			strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
			strncat(known, kinds[i].name, sizeof known - strlen(known) - 1);
		}
		imb_seterr("%s: attrs.model: unknown model kind '%s' (known: %s, or a network's "
		           "architecture, as its attrs.arch)", lb, name, known);
		return NULL;
	}
	int64_t d = imb_val_as_int(imb_val_get(f->attrs, "n_features"), -1);
	int64_t K = imb_val_as_int(imb_val_get(f->attrs, "n_classes"), -1);
	if (d < 1) {
		imb_seterr("%s: attrs.n_features is missing or not a positive integer", lb);
		return NULL;
	}
	if (K == 0 && imb_nn_is_encoder_frame(f)) {
		imb_nn_loaded l;
		imb_nn_frame_read(f, &l);   /* refuses it, saying how to fine-tune */
		imb_preferr("%s: ", lb);
		return NULL;
	}
	if (K < 2 || K > 1000000) {
		imb_seterr("%s: attrs.n_classes is missing or not an integer >= 2", lb);
		return NULL;
	}
	void *m = k->load(f, (size_t)d, (int)K);
	if (!m) {
		imb_preferr("%s: ", lb);
		return NULL;
	}
	imb_predictor *p = imb_xcalloc(1, sizeof *p);
	p->kind = k;
	p->m = m;
	p->d = (size_t)d;
	p->K = (int)K;
	return p;
}

void imb_predictor_free(imb_predictor *p)
{
	if (!p)
		return;
	p->kind->free(p->m);
	free(p);
}

int imb_predictor_nclasses(const imb_predictor *p) { return p->K; }
size_t imb_predictor_nfeatures(const imb_predictor *p) { return p->d; }
const char *imb_predictor_kind(const imb_predictor *p) { return p->kind->name; }

int imb_predict_proba(imb_predictor *p, const float *x, size_t n, size_t d, float *probs)
{
	if (d != p->d)
		return imb_seterr("the %s model was trained on %zu features, the data has %zu",
		                  p->kind->name, p->d, d);
	if (n == 0)
		return 0;
	if (p->kind->predict(p->m, x, n, d, p->K, probs) < 0)
		return -1;
	/* every kind promises rows summing to 1; hold them to it */
	for (size_t i = 0; i < n; i++) {
		float *r = probs + i * (size_t)p->K;
		double s = 0;
		for (int k = 0; k < p->K; k++) {
			if (!(r[k] >= 0) || !isfinite(r[k]))
				return imb_seterr("the %s model gave a bad probability for row %zu",
				                  p->kind->name, i);
			s += r[k];
		}
		if (s <= 0)
			return imb_seterr("the %s model gave all-zero probabilities for row %zu",
			                  p->kind->name, i);
		if (fabs(s - 1) > 1e-6)
			for (int k = 0; k < p->K; k++)
				r[k] = (float)(r[k] / s);
	}
	return 0;
}

int imb_model_sel_parse(const char *s, imb_model_sel *sel)
{
	memset(sel, 0, sizeof *sel);
	if (!s || !*s)
		return -1;
	char *end;
	long i = strtol(s, &end, 10);
	if (!*end) {
		if (i < 1)
			return -1;
		sel->index = i;
		return 0;
	}
	sel->name = s;
	return 0;
}

int imb_model_sel_match(const imb_model_sel *sel, const imb_frame *f, size_t index)
{
	if (sel->index)
		return (size_t)sel->index == index;
	if (!sel->name)
		return 1;
	return !strcmp(f->name, sel->name) ||
	       !strcmp(imb_val_as_str(imb_val_get(f->attrs, "model"), ""), sel->name) ||
	       !strcmp(imb_val_as_str(imb_val_get(f->attrs, "arch"), ""), sel->name);
}

const char *imb_model_name(const imb_val *attrs)
{
	if (imb_nn_attrs_name_network(attrs))
		return imb_val_as_str(imb_val_get(attrs, "arch"), "nn");
	return imb_val_as_str(imb_val_get(attrs, "model"), "?");
}
