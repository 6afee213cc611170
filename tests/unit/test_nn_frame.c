/* test_nn_frame.c: network model frames written by an earlier build
 * (tests/fixtures/models, see its README) still load through the predict
 * interface and give the class probabilities that build gave, on the
 * same test frame; the largest difference is printed. */
#include "check.h"
#include "dataset.h"
#include "nn_model.h"
#include "predict.h"
#include "stream.h"
#include "util.h"

#include <math.h>

#ifndef FIXTURES
#define FIXTURES "tests/fixtures/models"
#endif

static void check_fixture(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
	imb_reader *r = imb_reader_open(path);
	CHECK(r != NULL);
	if (!r) {
		fprintf(stderr, "%s: %s (run the unit tests from the repository root)\n", path, imb_error());
		return;
	}
	imb_frame *f, *model = NULL, *test = NULL, *expected = NULL;
	while (imb_read_frame(r, &f) == 1) {
		if (!strcmp(f->kind, "model") && !model)
			model = f;
		else if (!strcmp(f->kind, "dataset") && !test)
			test = f;
		else if (!strcmp(f->kind, "predictions") && !expected)
			expected = f;
		else
			imb_frame_free(f);
	}
	imb_reader_close(r);
	CHECK(model && test && expected);
	if (!model || !test || !expected)
		goto done;
	imb_predictor *p = imb_predictor_load(model);
	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "%s: %s\n", path, imb_error());
		goto done;
	}
	size_t n = imb_dataset_n(test), d = imb_dataset_dim(test);
	int K = imb_predictor_nclasses(p);
	const imb_tensor *e = imb_frame_tensor(expected, "probs");
	CHECK(e && e->dtype == IMB_F32 && e->ndim == 2 && e->shape[0] == n && e->shape[1] == (uint64_t)K);
	float *x = imb_dataset_features(test), *probs = imb_xmalloc(n * (size_t)K * sizeof *probs);
	CHECK_EQ_INT(imb_predict_proba(p, x, n, d, probs), 0);
	const float *want = e->data;
	double worst = 0;
	size_t same_class = 0;
	for (size_t i = 0; i < n; i++) {
		int a = 0, b = 0;
		for (int k = 0; k < K; k++) {
			double diff = fabs((double)probs[i * K + k] - want[i * K + k]);
			worst = diff > worst ? diff : worst;
			a = probs[i * K + k] > probs[i * K + a] ? k : a;
			b = want[i * K + k] > want[i * K + b] ? k : b;
		}
		same_class += a == b;
	}
	fprintf(stderr, "%s: %zu rows, %d classes, largest probability difference %.3g\n", name, n, K,
	        worst);
	CHECK(worst <= 1e-5);
	CHECK_EQ_INT(same_class, n);
	free(x);
	free(probs);
	imb_predictor_free(p);
done:
	imb_frame_free(model);
	imb_frame_free(test);
	imb_frame_free(expected);
}

/* imb_nn_arch_size, which model frames are checked against before a
 * model is built, counts what imb_nn_model_new builds */
static void check_sizes(void)
{
	static const struct { const char *arch; int C, H, W, K; } c[] = {
		{"linear", 5, 1, 1, 3}, {"mlp:7,3", 4, 2, 2, 2}, {"mlp:64,64+mlp:32", 10, 1, 1, 4},
		{"resnet8", 3, 8, 8, 10}, {"resnet20+mlp:16", 1, 12, 12, 5}, {"resnet18", 3, 8, 8, 7},
		{"resnet34", 1, 4, 4, 2}, {"resnet14", 2, 6, 5, 3},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		size_t P = 0, B = 0;
		CHECK(imb_nn_arch_size(c[i].arch, c[i].C, c[i].H, c[i].W, c[i].K, &P, &B) == 0);
		imb_nn_model *m = imb_nn_model_new(c[i].arch, c[i].C, c[i].H, c[i].W, c[i].K);
		CHECK(m != NULL);
		if (m) {
			CHECK_EQ_INT(P, m->P);
			CHECK_EQ_INT(B, m->B);
		}
		imb_nn_model_free(m);
	}
	size_t P, B;
	/* far past any memory: refused, not wrapped around */
	CHECK(imb_nn_arch_size("mlp:1048576,1048576,1048576,1048576,1048576", 1 << 20, 1 << 20,
	                       1 << 20, 1 << 20, &P, &B) < 0);
	CHECK(imb_nn_arch_size("nope", 1, 1, 1, 2, &P, &B) < 0);
}

int main(void)
{
	check_sizes();
	check_fixture("mlp.imb");
	check_fixture("resnet8.imb");
	check_fixture("mlp-attr-nn.imb");   /* attrs.model "nn", read as its architecture */
	CHECK_DONE();
}
