/* test_predict.c: the predict interface over every tabular kind. Models
 * trained on separable blobs predict held-out blobs well above chance;
 * probabilities are in [0,1] and rows sum to 1; a model frame survives
 * the stream (bytes round-trip, same predictions); corrupt bytes, a
 * feature-count mismatch, an unknown kind are errors, not crashes. */
#include "check.h"
#include "dataset.h"
#include "predict.h"
#include "rng.h"
#include "tabular.h"
#include "util.h"

#include <stdint.h>
#include <unistd.h>

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
	imb_dataset_update_counts(f);
	return f;
}

/* pack a frame and read it back, as the next tool in a pipe would */
static imb_frame *through_stream(const imb_frame *f)
{
	char *buf;
	size_t len;
	if (imb_frame_pack(f, &buf, &len) < 0)
		return NULL;
	char path[] = "/tmp/imb-test-predict-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	free(buf);
	lseek(fd, 0, SEEK_SET);
	unlink(path);
	imb_reader *r = imb_reader_fd(fd, "test");
	imb_frame *g = NULL;
	CHECK_EQ_INT(imb_read_frame(r, &g), 1);
	imb_reader_close(r);
	return g;
}

static imb_frame *train(const char *model, int K, const char *pk, const char *pv)
{
	imb_frame *f = blobs("train", 400, 5, K, 11);
	imb_tabular_opts o;
	imb_tabular_opts_init(&o);
	o.model = model;
	o.rounds = 30;
	const char *k[1] = {pk}, *v[1] = {pv};
	if (pk) {
		o.keys = k;
		o.vals = v;
		o.nparams = 1;
	}
	imb_frame *m = NULL;
	char s[256];
	int rc = imb_tabular_train(f, &o, &m, s, sizeof s);
	CHECK_EQ_INT(rc, 0);
	if (rc)
		fprintf(stderr, "train %s: %s\n", model, imb_error());
	imb_frame_free(f);
	return m;
}

/* load a copy of m with its bytes replaced by (p, n); expect an error */
static void expect_bad_bytes(const imb_frame *m, const void *p, size_t n, const char *what)
{
	imb_frame *c = through_stream(m);
	uint64_t shape[1] = {n};
	void *data = imb_xmalloc_aligned(n ? n : 1);
	memcpy(data, p, n);
	imb_frame_put_tensor(c, "bytes", IMB_U8, 1, shape, data);
	imb_predictor *pr = imb_predictor_load(c);
	CHECK(pr == NULL);
	if (pr) {
		fprintf(stderr, "  %s: %s loaded corrupt bytes (%s)\n",
		        imb_val_as_str(imb_val_get(m->attrs, "model"), "?"), what, "no error");
		imb_predictor_free(pr);
	} else {
		CHECK_HAS(imb_error(), "bytes");
	}
	imb_frame_free(c);
}

static void test_kind(const char *model, int K, const char *pk, const char *pv)
{
	fprintf(stderr, "-- %s, %d classes%s%s%s\n", model, K, pk ? ", " : "", pk ? pk : "",
	        pk ? pv : "");
	imb_frame *m = train(model, K, pk, pv);
	if (!m)
		return;
	imb_predictor *p = imb_predictor_load(m);
	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "load: %s\n", imb_error());
		imb_frame_free(m);
		return;
	}
	CHECK_STR(imb_predictor_kind(p), model);
	CHECK_EQ_INT(imb_predictor_nclasses(p), K);
	CHECK_EQ_INT(imb_predictor_nfeatures(p), 5);
	imb_frame *test = blobs("test", 300, 5, K, 12);
	float *x = imb_dataset_features(test);
	const int32_t *y = imb_frame_tensor(test, "y")->data;
	float *pr = imb_xmalloc(300 * (size_t)K * sizeof *pr);
	CHECK_EQ_INT(imb_predict_proba(p, x, 300, 5, pr), 0);
	int right = 0, inrange = 1;
	double worst = 0;
	for (int i = 0; i < 300; i++) {
		double s = 0;
		int best = 0;
		for (int k = 0; k < K; k++) {
			inrange &= pr[i * K + k] >= 0 && pr[i * K + k] <= 1;
			s += pr[i * K + k];
			if (pr[i * K + k] > pr[i * K + best])
				best = k;
		}
		worst = fmax(worst, fabs(s - 1));
		right += best == y[i];
	}
	double acc = right / 300.0;
	fprintf(stderr, "  accuracy %.3f (chance %.3f), max |row sum - 1| %.2g\n", acc, 1.0 / K, worst);
	CHECK(acc > 0.85);
	CHECK(inrange);
	CHECK(worst < 1e-5);

	/* through the stream: same bytes, same predictions */
	imb_frame *m2 = through_stream(m);
	imb_predictor *p2 = m2 ? imb_predictor_load(m2) : NULL;
	CHECK(p2 != NULL);
	if (p2) {
		imb_tensor *a = imb_frame_tensor(m, "bytes"), *b = imb_frame_tensor(m2, "bytes");
		CHECK(a->nbytes == b->nbytes && !memcmp(a->data, b->data, a->nbytes));
		float *pr2 = imb_xmalloc(300 * (size_t)K * sizeof *pr2);
		CHECK_EQ_INT(imb_predict_proba(p2, x, 300, 5, pr2), 0);
		CHECK(!memcmp(pr, pr2, 300 * (size_t)K * sizeof *pr));
		free(pr2);
	}
	/* the wrong number of features names both counts */
	CHECK_EQ_INT(imb_predict_proba(p, x, 60, 4, pr), -1);
	CHECK_HAS(imb_error(), "5 features");
	CHECK_HAS(imb_error(), "has 4");
	/* zero rows is fine */
	CHECK_EQ_INT(imb_predict_proba(p, x, 0, 5, pr), 0);

	/* corrupt bytes: an error, never a crash */
	imb_tensor *bt = imb_frame_tensor(m, "bytes");
	expect_bad_bytes(m, bt->data, bt->nbytes / 2, "half");
	expect_bad_bytes(m, bt->data, 7, "7 bytes");
	for (int cut = 1; cut < 24; cut++) /* truncated anywhere */
		expect_bad_bytes(m, bt->data, bt->nbytes * (size_t)cut / 24 + (size_t)cut % 5, "truncated");
	expect_bad_bytes(m, "this is not a model at all\n", 27, "text");
	unsigned char junk[512];
	imb_rng r;
	imb_rng_seed(&r, 1);
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (unsigned char)imb_rng_below(&r, 256);
	expect_bad_bytes(m, junk, sizeof junk, "junk");
	/* attrs.n_features that disagree with the bytes (LIBSVM's file does
	 * not record the feature count: attrs.n_features is the record) */
	if (strcmp(model, "svm") != 0) {
		imb_frame *m3 = through_stream(m);
		imb_val_set_int(m3->attrs, "n_features", 9);
		imb_predictor *p3 = imb_predictor_load(m3);
		CHECK(p3 == NULL);
		if (!p3)
			CHECK_HAS(imb_error(), "n_features says 9");
		imb_predictor_free(p3);
		imb_frame_free(m3);
	}

	/* XGBoost's config knows the class count: a frame that disagrees */
	if (!strcmp(model, "xgboost")) {
		imb_frame *m4 = through_stream(m);
		imb_val_set_int(m4->attrs, "n_classes", K + 1);
		imb_predictor *p4 = imb_predictor_load(m4);
		CHECK(p4 == NULL);
		if (!p4)
			CHECK_HAS(imb_error(), "n_classes says");
		imb_predictor_free(p4);
		imb_frame_free(m4);
	}

	free(pr);
	free(x);
	imb_frame_free(test);
	imb_predictor_free(p);
	imb_predictor_free(p2);
	imb_frame_free(m2);
	imb_frame_free(m);
}

static void test_frames(void)
{
	imb_predictor_free(NULL);
	CHECK(imb_predictor_load(NULL) == NULL);
	imb_frame *f = imb_frame_new("dataset", "train");
	CHECK(imb_predictor_load(f) == NULL);
	CHECK_HAS(imb_error(), "not a model frame");
	imb_frame_free(f);
	f = imb_frame_new("model", "model");
	CHECK(imb_predictor_load(f) == NULL);
	CHECK_HAS(imb_error(), "attrs.model");
	imb_val_set_str(f->attrs, "model", "random-forest");
	CHECK(imb_predictor_load(f) == NULL);
	CHECK_HAS(imb_error(), "unknown model kind 'random-forest'");
	imb_val_set_str(f->attrs, "model", "xgboost");
	CHECK(imb_predictor_load(f) == NULL);
	CHECK_HAS(imb_error(), "n_features");
	imb_val_set_int(f->attrs, "n_features", 3);
	imb_val_set_int(f->attrs, "n_classes", 2);
	CHECK(imb_predictor_load(f) == NULL);
	CHECK_HAS(imb_error(), "tensor 'bytes' is missing");
	uint64_t s[2] = {2, 2};
	imb_frame_add_tensor(f, "bytes", IMB_F32, 2, s);
	CHECK(imb_predictor_load(f) == NULL);
	CHECK_HAS(imb_error(), "(B) u8");
	imb_frame_free(f);
}

/* XGBoost's exact method with gamma prunes: trees keep the pruned nodes
 * (num_deleted > 0), which the byte checks must accept */
static void test_pruned(void)
{
	imb_frame *f = blobs("train", 400, 5, 2, 21);
	float *x = imb_frame_tensor(f, "x")->data;
	for (int i = 0; i < 2000; i += 7)
		x[i] *= 4; /* noise to grow and prune */
	imb_tabular_opts o;
	imb_tabular_opts_init(&o);
	o.rounds = 20;
	const char *k[] = {"tree_method", "gamma", "max_depth"}, *v[] = {"exact", "2", "10"};
	o.keys = k;
	o.vals = v;
	o.nparams = 3;
	imb_frame *m = NULL;
	char s[256];
	CHECK_EQ_INT(imb_tabular_train(f, &o, &m, s, sizeof s), 0);
	imb_predictor *p = m ? imb_predictor_load(m) : NULL;
	CHECK(p != NULL);
	if (!p)
		fprintf(stderr, "pruned: %s\n", imb_error());
	imb_predictor_free(p);
	imb_frame_free(m);
	imb_frame_free(f);
}

/* Random byte changes in a model's bytes: load and predict must give an
 * error or probabilities, never a crash (a crash fails this test). */
static void test_flips(const char *model, int trials)
{
	imb_frame *m = train(model, 3, NULL, NULL);
	if (!m)
		return;
	imb_tensor *b = imb_frame_tensor(m, "bytes");
	unsigned char *orig = imb_xmalloc(b->nbytes);
	memcpy(orig, b->data, b->nbytes);
	imb_frame *test = blobs("test", 40, 5, 3, 3);
	float *x = imb_dataset_features(test), pr[40 * 3];
	imb_rng r;
	imb_rng_seed(&r, 5);
	int loaded = 0, bad = 0;
	for (int t = 0; t < trials; t++) {
		memcpy(b->data, orig, b->nbytes);
		int nf = 1 + (int)imb_rng_below(&r, 3);
		for (int k = 0; k < nf; k++)
			((unsigned char *)b->data)[imb_rng_below(&r, b->nbytes)] = (unsigned char)imb_rng_below(&r, 256);
		imb_predictor *p = imb_predictor_load(m);
		if (p) {
			loaded++;
			if (imb_predict_proba(p, x, 40, 5, pr) == 0)
				for (int i = 0; i < 40 * 3; i++)
					bad += !(pr[i] >= 0 && pr[i] <= 1);
		}
		imb_predictor_free(p);
	}
	fprintf(stderr, "-- %s: %d random corruptions, %d still load\n", model, trials, loaded);
	CHECK_EQ_INT(bad, 0);
	free(orig);
	free(x);
	imb_frame_free(test);
	imb_frame_free(m);
}

int main(void)
{
	test_frames();
	const char *kinds[] = {"xgboost", "linear-svm", "svm"};
	for (int i = 0; i < 3; i++)
		for (int K = 2; K <= 3; K++)
			test_kind(kinds[i], K, NULL, NULL);
	test_kind("svm", 2, "probability", "1");
	test_kind("svm", 3, "probability", "1");
	test_kind("linear-svm", 3, "solver", "crammer-singer");
	test_kind("linear-svm", 2, "solver", "dual");
	test_kind("svm", 3, "kernel", "linear");
	test_pruned();
	test_flips("xgboost", 300);
	test_flips("linear-svm", 300);
	test_flips("svm", 300);
	CHECK_DONE();
}
