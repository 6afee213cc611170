/* test_hessian.c: what imb-hessian measures on, chosen in lib/hessian.c:
 * the data checked against the model, the model's class names, --class
 * values resolved, the seeded subset of samples, classes with no chosen
 * sample left out; and a run over them (its errors named). The products
 * and Lanczos are held to double references in test_nn_hvp.c and
 * test_lanczos.c. */
#include "check.h"
#include "hessian.h"
#include "nn_backend.h"
#include "nn_data.h"
#include "rng.h"
#include "util.h"

#include <string.h>

static void test_check(void)
{
	imb_nn_data d = { .N = 5, .D = 4, .C = 1, .H = 1, .W = 4, .K = 2 };
	strcpy(d.lb, "dataset 'train'");
	imb_nn_model m = { .arch = "mlp:8", .C = 4, .H = 1, .W = 1, .K = 2 };
	CHECK(imb_hessian_check(&m, &d) == 0);   /* another shape, the same size */
	m.K = 3;
	CHECK(imb_hessian_check(&m, &d) == -1);
	CHECK_STR(imb_error(), "dataset 'train': 2 classes, the model (mlp:8) has 3");
	m.K = 2;
	m.C = 5;
	CHECK(imb_hessian_check(&m, &d) == -1);
	CHECK_STR(imb_error(), "dataset 'train': samples of 1x1x4, the model (mlp:8) takes 5x1x1");
}

static void test_classes(void)
{
	imb_frame *f = imb_frame_new("model", "model");
	const char **none = imb_hessian_class_names(f, 2);
	CHECK(none[0] == NULL && none[1] == NULL);
	free(none);
	imb_val *cl = imb_val_arr();
	imb_val_push(cl, imb_val_str("cat"));
	imb_val_push(cl, imb_val_str("dog"));
	imb_val_set(f->attrs, "classes", cl);
	const char **names = imb_hessian_class_names(f, 3);
	CHECK_STR(names[0], "cat");
	CHECK_STR(names[1], "dog");
	CHECK(names[2] == NULL);

	CHECK_EQ_INT(imb_hessian_find_class("dog", names, 3), 1);
	CHECK_EQ_INT(imb_hessian_find_class("2", names, 3), 2);
	CHECK_EQ_INT(imb_hessian_find_class("3", names, 3), -1);
	CHECK_EQ_INT(imb_hessian_find_class("-1", names, 3), -1);
	CHECK_EQ_INT(imb_hessian_find_class("1x", names, 3), -1);
	CHECK_EQ_INT(imb_hessian_find_class("", names, 3), -1);
	CHECK_EQ_INT(imb_hessian_find_class("bird", names, 3), -1);
	/* a name is found before an index */
	const char *digits[] = { "1", "0" };
	CHECK_EQ_INT(imb_hessian_find_class("1", digits, 2), 0);

	int out[8];
	const char *spec[] = { "dog", "0" };
	CHECK_EQ_INT(imb_hessian_classes(spec, 2, 0, names, 3, out), 2);
	CHECK(out[0] == 1 && out[1] == 0);
	CHECK_EQ_INT(imb_hessian_classes(NULL, 0, 1, names, 3, out), 3);
	CHECK(out[0] == 0 && out[1] == 1 && out[2] == 2);
	const char *bad[] = { "cat", "bird" };
	CHECK_EQ_INT(imb_hessian_classes(bad, 2, 0, names, 3, out), -1);
	CHECK_STR(imb_error(), "--class bird: not a class of the model (0=cat, 1=dog, 2=?)");
	free(names);
	imb_frame_free(f);
}

static void test_present(void)
{
	int32_t y[] = { 0, 0, 1, 2, 2, 3 };
	imb_nn_data d = { .N = 6, .K = 4, .y = y };
	size_t idx[] = { 0, 1, 3 };
	int cls[] = { 0, 1, 2, 3 };
	const char *names[] = { "a", "b", NULL, "d" };
	fprintf(stderr, "(warnings follow: classes b and d left out)\n");
	CHECK_EQ_INT(imb_hessian_present(&d, idx, 3, cls, 4, names), 2);
	CHECK(cls[0] == 0 && cls[1] == 2);
	int one[] = { 2 };
	CHECK_EQ_INT(imb_hessian_present(&d, idx, 3, one, 1, NULL), 1);
}

static int ascending(const size_t *x, size_t n, size_t N)
{
	for (size_t i = 0; i < n; i++)
		if (x[i] >= N || (i && x[i - 1] >= x[i]))
			return 0;
	return 1;
}

static void test_samples(void)
{
	size_t n, *all = imb_hessian_samples(10, 0, 1, &n);
	CHECK_EQ_INT(n, 10);
	CHECK(ascending(all, n, 10) && all[0] == 0 && all[9] == 9);
	free(all);
	all = imb_hessian_samples(10, 10, 1, &n);
	CHECK_EQ_INT(n, 10);
	CHECK(ascending(all, n, 10));
	free(all);
	all = imb_hessian_samples(0, 0, 1, &n);
	CHECK_EQ_INT(n, 0);
	free(all);

	/* a subset: the first 40 of a seeded shuffle of 0..999, ascending */
	size_t *a = imb_hessian_samples(1000, 40, 7, &n);
	CHECK_EQ_INT(n, 40);
	CHECK(ascending(a, n, 1000));
	size_t *ref = malloc(1000 * sizeof *ref);
	for (size_t i = 0; i < 1000; i++)
		ref[i] = i;
	imb_rng r;
	imb_rng_seed(&r, 7);
	imb_rng_shuffle(&r, ref, 1000);
	int same = 1;
	for (size_t i = 0; i < 40; i++) {
		int found = 0;
		for (size_t j = 0; j < 40; j++)
			found |= ref[j] == a[i];
		same &= found;
	}
	CHECK(same);
	size_t *b = imb_hessian_samples(1000, 40, 7, &n), *c = imb_hessian_samples(1000, 40, 8, &n);
	CHECK(!memcmp(a, b, 40 * sizeof *a));
	CHECK(memcmp(a, c, 40 * sizeof *a) != 0);
	free(a);
	free(b);
	free(c);
	free(ref);
}

/* a run on an MLP over 12 samples of 3 classes, class 2 never chosen */
static void test_run(void)
{
	enum { N = 12, D = 3, K = 3 };
	imb_frame *f = imb_frame_new("dataset", "train");
	uint64_t xs[] = { N, D }, ys[] = { N };
	float *x = imb_frame_add_tensor(f, "x", IMB_F32, 2, xs)->data;
	int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, ys)->data;
	imb_rng r;
	imb_rng_seed(&r, 5);
	for (int i = 0; i < N; i++) {
		y[i] = i % K;
		for (int j = 0; j < D; j++)
			x[i * D + j] = (float)imb_rng_normal(&r) + (j == y[i]);
	}
	imb_val *cl = imb_val_arr();
	for (int k = 0; k < K; k++)
		imb_val_push(cl, imb_val_str(k ? k == 1 ? "b" : "c" : "a"));
	imb_val_set(f->attrs, "classes", cl);
	imb_nn_data d;
	CHECK(imb_nn_data_init(&d, f, 1) == 0);
	imb_nn_model *m = imb_nn_model_new("mlp:4", D, 1, 1, K);
	imb_nn_model_init(m, &r);
	CHECK(imb_hessian_check(m, &d) == 0);
	float mean[D] = { 0 }, std[D] = { 1, 1, 1 };   /* (C): D channels of 1x1 */
	size_t idx[] = { 0, 1, 3, 4, 6, 7, 9, 10 };   /* classes 0 and 1 */
	imb_hessian_opts o;
	imb_hessian_defaults(&o);
	o.top = 2;
	o.seed = 1;
	imb_hessian_result res[3];
	memset(res, 0, sizeof res);
	int cls[] = { 0, 1, 2 };
	int nc = imb_hessian_present(&d, idx, 8, cls, 3, NULL);   /* a warning: class 2 */
	CHECK_EQ_INT(nc, 2);
	int rc = imb_hessian_run(m, &d, mean, std, idx, 8, cls, nc, 1, &o, res);
	CHECK(rc == 0);
	if (rc == 0) {
		CHECK(res[0].cls == -1 && res[0].n == 8 && res[1].cls == 0 && res[1].n == 4);
		CHECK(res[2].cls == 1 && res[2].n == 4);
		/* the whole set's loss is the mean of its two halves' */
		CHECK_NEAR(res[0].loss, (res[1].loss + res[2].loss) / 2, 1e-5 * res[0].loss);
		for (int i = 0; i < 3; i++)
			CHECK(res[i].loss > 0 && res[i].neig == 2 && res[i].eig[0] >= res[i].eig[1]);
	} else {
		fprintf(stderr, "imb_hessian_run: %s\n", imb_error());
	}
	for (int i = 0; i < 3; i++)
		imb_hessian_result_free(&res[i]);
	int two[] = { 2 };
	CHECK(imb_hessian_run(m, &d, mean, std, idx, 8, two, 1, 0, &o, res) == -1);
	CHECK_HAS(imb_error(), "class 2 has no sample among the 8 chosen");
	o.top = (int)m->P + 1;
	CHECK(imb_hessian_run(m, &d, mean, std, idx, 8, NULL, 0, 1, &o, res) == -1);
	CHECK_HAS(imb_error(), "parameters");
	imb_nn_model_free(m);
	imb_nn_data_free(&d);
	imb_frame_free(f);
}

int main(void)
{
	imb_nn_set_threads(1);
	test_check();
	test_classes();
	test_present();
	test_samples();
	test_run();
	CHECK_DONE();
}
