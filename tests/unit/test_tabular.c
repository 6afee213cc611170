/* test_tabular.c: training XGBoost, LIBLINEAR and LIBSVM models on small
 * separable blobs: the model frame's attrs, determinism (same data and
 * seed, same bytes), class weights, and the errors for bad options and
 * bad data. Prediction quality is test_predict.c's. */
#include "check.h"
#include "dataset.h"
#include "model_frame.h"
#include "predict.h"
#include "rng.h"
#include "tabular.h"
#include "ubjson.h"
#include "util.h"

#include <stdint.h>

/* n samples of K Gaussian blobs in d dimensions, centres 3 apart */
static imb_frame *blobs(const char *name, size_t n, size_t d, int K, uint64_t seed)
{
	imb_frame *f = imb_frame_new("dataset", name);
	imb_rng r;
	imb_rng_seed(&r, seed);
	uint64_t xs[2] = {n, d}, ys[1] = {n};
	float *x = imb_frame_add_tensor(f, "x", IMB_F32, 2, xs)->data;
	int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, ys)->data;
	for (size_t i = 0; i < n; i++) {
		y[i] = (int32_t)(i % (size_t)K);
		for (size_t j = 0; j < d; j++)
			x[i * d + j] = (float)(imb_rng_normal(&r) + (j % (size_t)K == (size_t)y[i] ? 3.0 : 0.0));
	}
	imb_val *cl = imb_val_arr();
	for (int k = 0; k < K; k++) {
		char b[16];
		snprintf(b, sizeof b, "k%d", k);
		imb_val_push(cl, imb_val_str(b));
	}
	imb_val_set(f->attrs, "classes", cl);
	imb_val_set_str(f->attrs, "source", "blobs");
	imb_val *split = imb_val_map();
	imb_val_set_float(split, "train_ratio", 0.5);
	imb_val_set(f->attrs, "split", split);
	imb_dataset_update_counts(f);
	return f;
}

static imb_frame *train_or_null(const imb_frame *f, imb_tabular_opts *o, int *rc)
{
	imb_frame *m = NULL;
	char s[256];
	*rc = imb_tabular_train(f, o, &m, s, sizeof s);
	if (*rc)
		fprintf(stderr, "  (expected or not: %s)\n", imb_error());
	return m;
}

static int same_bytes(const imb_frame *a, const imb_frame *b)
{
	imb_tensor *x = imb_frame_tensor(a, "bytes"), *y = imb_frame_tensor(b, "bytes");
	return x && y && x->nbytes == y->nbytes && memcmp(x->data, y->data, x->nbytes) == 0;
}

static void test_model(const char *model)
{
	fprintf(stderr, "-- %s\n", model);
	for (int K = 2; K <= 3; K++) {
		imb_frame *f = blobs("train", 300, 6, K, 7);
		imb_tabular_opts o;
		imb_tabular_opts_init(&o);
		o.model = model;
		o.rounds = 20;
		o.seed = 3;
		o.threads = 2;
		int rc;
		imb_frame *m = train_or_null(f, &o, &rc);
		CHECK_EQ_INT(rc, 0);
		if (!m)
			continue;
		CHECK_STR(m->kind, "model");
		CHECK_STR(m->name, "model");
		CHECK_STR(imb_val_as_str(imb_val_get(m->attrs, "model"), NULL), model);
		CHECK_EQ_INT(imb_val_as_int(imb_val_get(m->attrs, "n_features"), -1), 6);
		CHECK_EQ_INT(imb_val_as_int(imb_val_get(m->attrs, "n_classes"), -1), K);
		imb_val *cl = imb_val_get(m->attrs, "classes");
		CHECK(cl && cl->n == (size_t)K && !strcmp(cl->items[K - 1]->s, K == 2 ? "k1" : "k2"));
		CHECK_STR(imb_val_as_str(imb_val_path(m->attrs, "train.source"), NULL), "blobs");
		CHECK_NEAR(imb_val_as_double(imb_val_path(m->attrs, "train.split.train_ratio"), 0), 0.5, 0);
		imb_val *params = imb_val_get(m->attrs, "params");
		CHECK(params && params->t == IMB_V_MAP && params->n >= 4);
		CHECK_EQ_INT(imb_val_as_int(imb_val_get(params, "seed"), -1), 3);
		CHECK_STR(imb_val_as_str(imb_val_get(params, "class_weight"), NULL), "none");
		imb_tensor *b = imb_frame_tensor(m, "bytes");
		CHECK(b && b->dtype == IMB_U8 && b->ndim == 1 && b->nbytes > 0);
		/* determinism: same data and seed, same bytes */
		imb_frame *m2 = train_or_null(f, &o, &rc);
		CHECK(m2 && same_bytes(m, m2));
		imb_frame_free(m2);
		/* balanced weights are recorded, and change the model for
		 * imbalanced data */
		imb_frame_free(f);
		f = blobs("train", 300, 6, K, 8);
		int32_t *y = imb_frame_tensor(f, "y")->data;
		float *x = imb_frame_tensor(f, "x")->data;
		for (size_t i = 0; i < 300; i++) /* make class 0 rare: relabel most of it */
			if (y[i] == 0 && i % 10)
				y[i] = 1, x[i * 6 + 1] += 3;
		imb_dataset_update_counts(f);
		imb_frame *plain = train_or_null(f, &o, &rc);
		o.cw = IMB_CW_BALANCED;
		imb_frame *bal = train_or_null(f, &o, &rc);
		CHECK_EQ_INT(rc, 0);
		CHECK(plain && bal && !same_bytes(plain, bal));
		if (bal) {
			CHECK_STR(imb_val_as_str(imb_val_path(bal->attrs, "params.class_weight"), NULL),
			          "balanced");
			imb_val *w = imb_val_path(bal->attrs, "params.class_weights");
			CHECK(w && w->n == (size_t)K);
			int64_t *c = imb_dataset_counts(f);
			if (w && w->n == (size_t)K) /* sklearn's n / (K n_k) */
				CHECK_NEAR(w->items[0]->f, 300.0 / (K * (double)c[0]), 1e-12);
			free(c);
		}
		/* a list of the wrong length is a usage error */
		double wl[4] = {1, 2, 3, 4};
		o.cw = IMB_CW_LIST;
		o.cw_list = wl;
		o.cw_n = 4;
		imb_frame *bad = train_or_null(f, &o, &rc);
		CHECK_EQ_INT(rc, -2);
		CHECK(bad == NULL);
		CHECK_HAS(imb_error(), "4 weights");
		imb_frame_free(plain);
		imb_frame_free(bal);
		imb_frame_free(m);
		imb_frame_free(f);
	}
}

static void test_errors(void)
{
	imb_tabular_opts o;
	imb_tabular_opts_init(&o);
	CHECK(imb_tabular_check(&o) == NULL);
	o.model = "forest";
	CHECK_HAS(imb_tabular_check(&o), "forest");
	const char *k[] = {"C", "nope"}, *v[] = {"2", "1"};
	o.model = "linear-svm";
	o.keys = k;
	o.vals = v;
	o.nparams = 1;
	CHECK(imb_tabular_check(&o) == NULL);
	o.nparams = 2;
	CHECK_HAS(imb_tabular_check(&o), "'nope'");
	o.model = "svm";
	CHECK_HAS(imb_tabular_check(&o), "'nope'");
	const char *k2[] = {"kernel"}, *v2[] = {"cubic"};
	o.keys = k2;
	o.vals = v2;
	o.nparams = 1;
	CHECK_HAS(imb_tabular_check(&o), "kernel=cubic");
	const char *k3[] = {"C"}, *v3[] = {"-1"};
	o.keys = k3;
	o.vals = v3;
	CHECK_HAS(imb_tabular_check(&o), "C=-1");
	o.model = "xgboost"; /* xgboost's parameters: known keys, values in range */
	const char *k4[] = {"max_depth"}, *v4[] = {"banana"};
	o.keys = k4;
	o.vals = v4;
	CHECK_HAS(imb_tabular_check(&o), "max_depth");
	/* training refuses it too, as a usage error */
	imb_frame *f = blobs("train", 50, 3, 2, 1);
	int rc;
	imb_frame *m = train_or_null(f, &o, &rc);
	CHECK_EQ_INT(rc, -2);
	CHECK(m == NULL);
	CHECK_HAS(imb_error(), "max_depth");
	/* one class only: a data error */
	o.nparams = 0;
	int32_t *y = imb_frame_tensor(f, "y")->data;
	for (int i = 0; i < 50; i++)
		y[i] = 1;
	const char *models[] = {"xgboost", "linear-svm", "svm"};
	for (int i = 0; i < 3; i++) {
		o.model = models[i];
		m = train_or_null(f, &o, &rc);
		CHECK_EQ_INT(rc, -1);
		CHECK_HAS(imb_error(), "only one class");
	}
	/* NaN: missing for XGBoost, an error for the SVMs */
	for (int i = 0; i < 50; i++)
		y[i] = i % 2;
	((float *)imb_frame_tensor(f, "x")->data)[4] = NAN;
	o.model = "xgboost";
	m = train_or_null(f, &o, &rc);
	CHECK_EQ_INT(rc, 0);
	imb_frame_free(m);
	o.model = "svm";
	m = train_or_null(f, &o, &rc);
	CHECK_EQ_INT(rc, -1);
	CHECK_HAS(imb_error(), "tensor x: row 1 column 1 is NaN");
	imb_frame_free(f);
	/* not a dataset */
	f = imb_frame_new("dataset", "train");
	o.model = "linear-svm";
	m = train_or_null(f, &o, &rc);
	CHECK_EQ_INT(rc, -1);
	imb_frame_free(f);
}

/* XGBoost: a different seed subsamples differently; tree_method passes */
static void test_xgb_params(void)
{
	imb_frame *f = blobs("train", 200, 4, 2, 5);
	imb_tabular_opts o;
	imb_tabular_opts_init(&o);
	o.rounds = 5;
	int rc;
	imb_frame *a = train_or_null(f, &o, &rc);
	o.seed = 99;
	imb_frame *b = train_or_null(f, &o, &rc);
	CHECK(a && b && !same_bytes(a, b));
	const char *k[] = {"tree_method", "num_boost_round", "eta"}, *v[] = {"exact", "7", "0.1"};
	o.keys = k;
	o.vals = v;
	o.nparams = 3;
	imb_frame *c = train_or_null(f, &o, &rc);
	CHECK_EQ_INT(rc, 0);
	if (c) {
		imb_val *p = imb_val_get(c->attrs, "params");
		CHECK_STR(imb_val_as_str(imb_val_get(p, "tree_method"), NULL), "exact");
		CHECK_EQ_INT(imb_val_as_int(imb_val_get(p, "num_boost_round"), -1), 7);
		CHECK_NEAR(imb_val_as_double(imb_val_get(p, "eta"), -1), 0.1, 0);
		CHECK_NEAR(imb_val_as_double(imb_val_get(p, "subsample"), -1), 0.5, 0);
	}
	imb_frame_free(a);
	imb_frame_free(b);
	imb_frame_free(c);
	imb_frame_free(f);
}

/* imb_model_frame_new: the common attrs in their order, with and without
 * a train frame; imb_model_frame_bytes: the payload and its errors */
static void test_model_frame(void)
{
	imb_frame *tr = blobs("train", 30, 2, 3, 5);
	imb_val *h = imb_val_arr();
	imb_val_push(h, imb_val_str("step"));
	imb_val_set(tr->attrs, "history", h);
	int64_t counts[3] = {10, 10, 10};
	imb_val *extra = imb_val_map();
	imb_val_set_str(extra, "arch", "mlp:8");
	imb_val *params = imb_val_map();
	imb_val_set_int(params, "seed", 4);
	imb_frame *m = imb_model_frame_new("nn", extra, 2, 3, tr, counts, params);
	CHECK_STR(m->kind, "model");
	CHECK_STR(m->name, "model");
	static const char *const keys[] = {"model", "arch", "n_features", "n_classes", "classes",
	                                   "params", "train", "history"};
	CHECK_EQ_INT(m->attrs->n, IMB_LEN(keys));
	for (size_t i = 0; i < IMB_LEN(keys) && i < m->attrs->n; i++)
		CHECK_STR(m->attrs->keys[i], keys[i]);
	CHECK_STR(imb_val_as_str(imb_val_get(m->attrs, "model"), ""), "nn");
	CHECK_STR(imb_val_as_str(imb_val_get(m->attrs, "arch"), ""), "mlp:8");
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(m->attrs, "n_features"), -1), 2);
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(m->attrs, "n_classes"), -1), 3);
	CHECK_STR(imb_val_as_str(imb_val_path(m->attrs, "classes")->items[2], ""), "k2");
	CHECK_EQ_INT(imb_val_as_int(imb_val_path(m->attrs, "params.seed"), -1), 4);
	const imb_val *t = imb_val_get(m->attrs, "train");
	static const char *const tkeys[] = {"source", "split", "n", "counts"};
	CHECK_EQ_INT(t->n, IMB_LEN(tkeys));
	for (size_t i = 0; i < IMB_LEN(tkeys) && i < t->n; i++)
		CHECK_STR(t->keys[i], tkeys[i]);
	CHECK_STR(imb_val_as_str(imb_val_get(t, "source"), ""), "blobs");
	CHECK_NEAR(imb_val_as_double(imb_val_path(t, "split.train_ratio"), -1), 0.5, 0);
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(t, "n"), -1), 30);
	CHECK_EQ_INT(imb_val_get(t, "counts")->n, 3);
	CHECK_STR(imb_val_as_str(imb_val_get(m->attrs, "history")->items[0], ""), "step");
	CHECK(m->ntensors == 0);
	const void *p;
	size_t n;
	CHECK(imb_model_frame_bytes(m, &p, &n) < 0);
	CHECK_STR(imb_error(), "tensor 'bytes' is missing");
	uint64_t s0[1] = {0};
	imb_frame_add_tensor(m, "bytes", IMB_U8, 1, s0);
	CHECK(imb_model_frame_bytes(m, &p, &n) < 0);
	CHECK_STR(imb_error(), "tensor 'bytes' is empty");
	imb_frame_free(m);

	/* no train frame and no counts: classes by number, no provenance;
	 * classes of the wrong length are not copied */
	m = imb_model_frame_new("svm", NULL, 4, 2, NULL, NULL, NULL);
	CHECK_EQ_INT(m->attrs->n, 6);
	CHECK_STR(imb_val_as_str(imb_val_get(m->attrs, "classes")->items[1], ""), "1");
	CHECK_EQ_INT(imb_val_get(m->attrs, "params")->n, 0);
	t = imb_val_get(m->attrs, "train");
	CHECK(imb_val_get(t, "source")->t == IMB_V_NIL && imb_val_get(t, "split")->t == IMB_V_NIL);
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(t, "n"), -1), 0);
	CHECK(!imb_val_get(t, "counts") && !imb_val_get(m->attrs, "history"));
	uint64_t s2[2] = {2, 2};
	imb_frame_add_tensor(m, "bytes", IMB_F32, 2, s2);
	CHECK(imb_model_frame_bytes(m, &p, &n) < 0);
	CHECK_STR(imb_error(), "tensor 'bytes' must be (B) u8, not f32 with 2 dimensions");
	imb_frame_free(m);
	m = imb_model_frame_new("svm", NULL, 2, 2, tr, counts, NULL);
	CHECK_STR(imb_val_as_str(imb_val_get(m->attrs, "classes")->items[0], ""), "0");
	uint64_t s1[1] = {3};
	memcpy(imb_frame_add_tensor(m, "bytes", IMB_U8, 1, s1)->data, "abc", 3);
	CHECK(imb_model_frame_bytes(m, &p, &n) == 0 && n == 3 && !memcmp(p, "abc", 3));
	imb_frame_free(m);
	imb_frame_free(tr);
}

/* ubjson.h on hand-made bytes: complete or not, keys, paths, arrays */
static void test_ubjson(void)
{
	/* {"a": {"n": "12"}, "v": [$i#U 3 1 2 3], "w": [i 5 d 0 0 0 0 ]} */
	static const unsigned char doc[] = {
		'{', 'i', 1, 'a', '{', 'i', 1, 'n', 'S', 'i', 2, '1', '2', '}',
		'i', 1, 'v', '[', '$', 'i', '#', 'U', 3, 1, 2, 3,
		'i', 1, 'w', '[', 'i', 5, 'd', 0, 0, 0, 0, ']', '}'};
	const unsigned char *end = doc + sizeof doc;
	CHECK(imb_ubj_ok(doc, sizeof doc));
	for (size_t n = 0; n < sizeof doc; n++)
		CHECK(!imb_ubj_ok(doc, n)); /* every truncation is refused */
	int64_t x = 0, cnt = 0, *vals = NULL;
	CHECK(imb_ubj_strint(imb_ubj_path(doc, end, "a", "n", NULL), end, &x) == 0 && x == 12);
	CHECK(imb_ubj_path(doc, end, "a", "m", NULL) == NULL);
	CHECK(imb_ubj_get(doc, end, "zz") == NULL);
	CHECK(imb_ubj_array(imb_ubj_get(doc, end, "v"), end, &cnt, &vals) == 0 && cnt == 3);
	CHECK(vals && vals[0] == 1 && vals[2] == 3);
	free(vals);
	CHECK(imb_ubj_array(imb_ubj_get(doc, end, "w"), end, &cnt, NULL) == 0 && cnt == 2);
	CHECK(imb_ubj_array(imb_ubj_get(doc, end, "a"), end, &cnt, &vals) < 0 && !vals);
	CHECK(imb_ubj_strint(imb_ubj_get(doc, end, "v"), end, &x) < 0);
	imb_ubj u = {doc + 1, end};
	int64_t kl;
	CHECK(imb_ubj_len(&u, &kl) == 0 && kl == 1 && u.p == doc + 3);
	u.p += kl;
	int m = *u.p++;
	CHECK(imb_ubj_value(&u, m, 0) == 0 && u.p == doc + 14);
	static const unsigned char deep[] = {'{', 'i', 1, 'a', '[', '[', '[', ']', ']', ']', '}'};
	CHECK(imb_ubj_ok(deep, sizeof deep));
	unsigned char bad[sizeof doc];
	memcpy(bad, doc, sizeof doc);
	bad[10] = 9; /* the string "12" claims 9 bytes */
	CHECK(!imb_ubj_ok(bad, sizeof bad));
}

int main(void)
{
	test_model("xgboost");
	test_model("linear-svm");
	test_model("svm");
	test_errors();
	test_xgb_params();
	test_model_frame();
	test_ubjson();
	CHECK_DONE();
}
