/* laplace_frame.c: the posterior frame of a Laplace approximation
 * (laplace.h, docs/stream-format.md) and the "laplace" entry of
 * predict.c. */
#include "laplace_impl.h"
#include "nn_backend.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void put(imb_frame *f, const char *key, const double *x, size_t rows, size_t cols)
{
	uint64_t shape[2] = {rows, cols};
	imb_tensor *t = imb_frame_add_tensor(f, key, IMB_F32, cols ? 2 : 1, shape);
	float *d = t->data;
	for (size_t i = 0; i < rows * (cols ? cols : 1); i++)
		d[i] = (float)x[i];
}

void imb_la_frame(imb_la *la, imb_frame *f)
{
	free(f->kind);
	f->kind = imb_xstrdup("posterior");
	imb_val_set_str(f->attrs, "model", "laplace");
	imb_la_info in;
	imb_la_get_info(la, &in);
	imb_val *a = imb_val_map();
	imb_val_set_str(a, "subset", imb_la_subset_name(la->subset));
	imb_val_set_str(a, "hessian", imb_la_hessian_name(la->hessian));
	imb_val_set_str(a, "approximation", "ggn");
	imb_val_set_float(a, "prior_precision", in.delta);
	imb_val_set_str(a, "link", la->samples ? "mc" : "probit");
	imb_val_set_int(a, "samples", la->samples);
	imb_val_set_int(a, "seed", (int64_t)la->seed);
	imb_val_set_int(a, "features", (int64_t)la->F);
	imb_val_set_int(a, "weights", (int64_t)la->np);
	imb_val_set_int(a, "n", (int64_t)in.n);
	imb_val_set_float(a, "log_likelihood", in.log_lik);
	imb_val_set_float(a, "log_marglik", in.lml);
	imb_val_set_float(a, "prior_precision_initial", in.delta0);
	imb_val_set_float(a, "log_marglik_initial", in.lml0);
	if (!isnan(in.val_nll))
		imb_val_set_float(a, "val_nll", in.val_nll);
	imb_val_set_float(a, "seconds", in.seconds);
	imb_val_set(f->attrs, "laplace", a);
	if (la->subset == IMB_LA_ALL || la->hessian == IMB_LA_DIAG) {
		put(f, "la_ggn_diag", la->lam, la->nlam, 0);
	} else if (la->hessian == IMB_LA_FULL) {
		put(f, "la_vectors", la->V, la->np, la->np);
		put(f, "la_values", la->lam, la->np, 0);
	} else {
		put(f, "la_a_vectors", la->UA, la->F1, la->F1);
		put(f, "la_a_values", la->a, la->F1, 0);
		put(f, "la_g_vectors", la->UG, (size_t)la->K, (size_t)la->K);
		put(f, "la_g_values", la->g, (size_t)la->K, 0);
	}
}

/* tensor key: f32 of rows x cols (cols 0: a vector of rows) into a new
 * double array; -1 with imb_error() naming it */
static int get(const imb_frame *f, const char *key, double **out, size_t rows, size_t cols)
{
	const imb_tensor *t = imb_frame_tensor(f, key);
	size_t n = rows * (cols ? cols : 1);
	if (!t)
		return imb_seterr("tensor '%s' is missing", key);
	if (t->dtype != IMB_F32 || imb_tensor_count(t) != n || t->ndim != (cols ? 2 : 1))
		return imb_seterr("tensor '%s' must be f32 of shape [%zu%s%.0zu]", key, rows,
		                  cols ? ", " : "", cols);
	const float *d = t->data;
	double *x = imb_xmalloc((n ? n : 1) * sizeof *x);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(d[i])) {
			free(x);
			return imb_seterr("tensor '%s': element %zu is not a finite number", key, i);
		}
		x[i] = d[i];
	}
	*out = x;
	return 0;
}

static int word(const imb_val *a, const char *key, const char *const *names, int n)
{
	const char *s = imb_val_as_str(imb_val_get(a, key), NULL);
	for (int i = 0; s && i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static int read_la(imb_la *la, const imb_frame *f)
{
	static const char *const subsets[] = {"last-layer", "all"};
	static const char *const hessians[] = {"full", "kfac", "diag"};
	const imb_val *a = imb_val_get(f->attrs, "laplace");
	if (!a || a->t != IMB_V_MAP)
		return imb_seterr("attrs.laplace is missing or not a map");
	int s = word(a, "subset", subsets, 2), h = word(a, "hessian", hessians, 3);
	if (s < 0)
		return imb_seterr("attrs.laplace.subset must be last-layer or all");
	if (h < 0 || (s == IMB_LA_ALL && h != IMB_LA_DIAG))
		return imb_seterr("attrs.laplace.hessian must be full, kfac or diag (all: diag)");
	la->subset = (imb_la_subset)s;
	la->hessian = (imb_la_hessian)h;
	la->delta = imb_val_as_double(imb_val_get(a, "prior_precision"), -1);
	if (!(la->delta > 0) || !isfinite(la->delta))
		return imb_seterr("attrs.laplace.prior_precision must be a number > 0");
	int64_t S = imb_val_as_int(imb_val_get(a, "samples"), 0);
	if (S < 0 || S > 1000000)
		return imb_seterr("attrs.laplace.samples must be an integer in [0, 1000000]");
	la->samples = (int)S;
	la->seed = (uint64_t)imb_val_as_int(imb_val_get(a, "seed"), 1);
	imb_nn_model *m = la->net.m;
	la->K = m->K;
	la->F = imb_nn_model_point_dim(m, IMB_NN_AT_LAST_LINEAR);
	la->F1 = la->F + 1;
	la->off = m->P - (size_t)la->K * la->F1;
	la->np = s == IMB_LA_ALL ? m->P : (size_t)la->K * la->F1;
	la->batch = 256;
	if (h == IMB_LA_DIAG) {
		la->nlam = la->np;
		return get(f, "la_ggn_diag", &la->lam, la->np, 0);
	}
	if (h == IMB_LA_FULL) {
		la->nlam = la->np;
		return get(f, "la_vectors", &la->V, la->np, la->np) < 0 ? -1
		       : get(f, "la_values", &la->lam, la->np, 0);
	}
	if (get(f, "la_a_vectors", &la->UA, la->F1, la->F1) < 0 ||
	    get(f, "la_a_values", &la->a, la->F1, 0) < 0 ||
	    get(f, "la_g_vectors", &la->UG, (size_t)la->K, (size_t)la->K) < 0 ||
	    get(f, "la_g_values", &la->g, (size_t)la->K, 0) < 0)
		return -1;
	imb_la_make_lam(la);
	return 0;
}

void *imb_la_load(const imb_frame *f, size_t d, int K)
{
	imb_la *la = imb_xcalloc(1, sizeof *la);
	la->val_nll = NAN;
	if (imb_nn_frame_read_net(f, &la->net) < 0) {
		free(la);
		return NULL;
	}
	imb_nn_model *m = la->net.m;
	if ((size_t)m->C * m->H * m->W != d || m->K != K) {
		imb_seterr("attrs.input [%d, %d, %d] and n_classes %d disagree with attrs.n_features "
		           "%zu and n_classes %d", m->C, m->H, m->W, m->K, d, K);
		imb_la_free(la);
		return NULL;
	}
	if (read_la(la, f) < 0) {
		imb_la_free(la);
		return NULL;
	}
	imb_la_read_weights(la);
	return la;
}

void imb_la_unload(void *la)
{
	imb_la_free(la);
}

static int predict_chunk(void *ctx, const float *xdev, size_t at, size_t b)
{
	void **c = ctx;
	imb_la *la = c[0];
	float *probs = c[1];
	return imb_la_predict_dev(la, probs + at * (size_t)la->K, xdev, (int)b);
}

int imb_la_predict(void *vla, const float *x, size_t n, size_t d, int K, float *probs)
{
	imb_la *la = vla;
	(void)K;
	void *c[2] = {la, probs};
	return imb_nn_rows_each(&la->net, x, n, d, (size_t)la->batch, predict_chunk, c);
}
