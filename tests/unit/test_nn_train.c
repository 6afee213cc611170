/* test_nn_train.c: the network training loop on tiny data. The loss
 * falls and the net separates two blobs; the balanced sampler draws every
 * class equally often; the same seed gives the same bytes; checkpoint +
 * resume equals an uninterrupted run to the byte (and refuses a missing,
 * corrupt or mismatched checkpoint); a linear probe leaves the backbone
 * and its BN statistics untouched; --init starts from the given weights
 * (and keeps the backbone when the classes differ); the model frame
 * predicts through predict.h. */
#include "check.h"
#include "dataset.h"
#include "nn_loss.h"
#include "nn_frame.h"
#include "nn_train.h"
#include "predict.h"
#include "rng.h"
#include "util.h"

#include <stdint.h>
#include <unistd.h>

static char dir[] = "/tmp/test_nn_train.XXXXXX";

/* two (or three) Gaussian blobs in D dimensions, imbalanced 3:1 */
static imb_frame *blobs(int N, int D, int K, uint64_t seed)
{
	imb_frame *f = imb_frame_new("dataset", "train");
	uint64_t sx[2] = {(uint64_t)N, (uint64_t)D}, sy[1] = {(uint64_t)N};
	float *x = imb_frame_add_tensor(f, "x", IMB_F32, 2, sx)->data;
	int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, sy)->data;
	imb_rng r;
	imb_rng_seed(&r, seed);
	for (int i = 0; i < N; i++) {
		y[i] = i % 4 == 0 ? 1 : (K > 2 && i % 4 == 1 ? 2 : 0);
		for (int j = 0; j < D; j++)
			x[i * D + j] = (float)(imb_rng_normal(&r) + (j == y[i] % D ? 3 : 0) + 10);
	}
	imb_val *cl = imb_val_arr();
	for (int k = 0; k < K; k++)
		imb_val_push(cl, imb_val_str(k == 0 ? "maj" : k == 1 ? "min" : "third"));
	imb_val_set(f->attrs, "classes", cl);
	imb_val_set_str(f->attrs, "source", "blobs");
	imb_dataset_update_counts(f);
	return f;
}

/* tiny u8 images (N,1,8,8): class 1 bright in the top half */
static imb_frame *images(int N, uint64_t seed)
{
	imb_frame *f = imb_frame_new("dataset", "train");
	uint64_t sx[4] = {(uint64_t)N, 1, 8, 8}, sy[1] = {(uint64_t)N};
	uint8_t *x = imb_frame_add_tensor(f, "x", IMB_U8, 4, sx)->data;
	int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, sy)->data;
	imb_rng r;
	imb_rng_seed(&r, seed);
	for (int i = 0; i < N; i++) {
		y[i] = i % 3 == 0;
		for (int j = 0; j < 64; j++)
			x[i * 64 + j] = (uint8_t)(imb_rng_below(&r, 100) + (y[i] && j < 32 ? 120 : 0));
	}
	imb_dataset_update_counts(f);
	return f;
}

static const float *params_of(const imb_frame *m, const char *key, size_t *n)
{
	imb_tensor *t = imb_frame_tensor(m, key);
	if (!t) {
		*n = 0;
		return NULL;
	}
	*n = imb_tensor_count(t);
	return t->data;
}

static int same_tensor(const imb_frame *a, const imb_frame *b, const char *key)
{
	imb_tensor *x = imb_frame_tensor(a, key), *y = imb_frame_tensor(b, key);
	if (!x || !y)
		return !x && !y;
	return x->nbytes == y->nbytes && !memcmp(x->data, y->data, x->nbytes);
}

static double epoch_field(const imb_frame *log, int e, const char *k)
{
	const imb_val *ep = imb_val_get(log->attrs, "epochs");
	return imb_val_as_double(imb_val_get(ep->items[e], k), NAN);
}

static int train(const imb_frame *d, const imb_frame *init, const imb_nn_train_opts *o,
                 imb_frame **m, imb_frame **log)
{
	char s[256];
	int r = imb_nn_train(d, init, o, m, log, s, sizeof s);
	if (r < 0)
		fprintf(stderr, "  (imb_nn_train: %s)\n", imb_error());
	return r;
}

static void base_opts(imb_nn_train_opts *o, const char *arch, int epochs)
{
	imb_nn_train_opts_init(o);
	o->arch = arch;
	o->epochs = epochs;
	o->batch = 32;
	o->lr = 0.05;
	o->seed = 7;
	o->threads = 2;
	o->quiet = 1;
}

static void test_learns(void)
{
	imb_frame *d = blobs(400, 2, 2, 1), *m = NULL, *log = NULL;
	imb_nn_train_opts o;
	base_opts(&o, "mlp:16,16", 8);
	CHECK(train(d, NULL, &o, &m, &log) == 0);
	if (!m)
		return;
	double l0 = epoch_field(log, 0, "loss"), l1 = epoch_field(log, 7, "loss");
	fprintf(stderr, "  blobs: loss %.4f -> %.4f, acc %.3f\n", l0, l1, epoch_field(log, 7, "acc"));
	CHECK(l1 < 0.5 * l0);
	CHECK(epoch_field(log, 7, "acc") > 0.95);
	const imb_val *pc = imb_val_get(imb_val_get(log->attrs, "epochs")->items[7], "per_class_acc");
	CHECK(pc && pc->n == 2);
	const imb_val *pn = imb_val_get(imb_val_get(log->attrs, "epochs")->items[7], "per_class_n");
	CHECK_NEAR(imb_val_as_double(pn->items[0], 0), 300, 0);  /* plain sampler: one pass */
	CHECK_NEAR(imb_val_as_double(pn->items[1], 0), 100, 0);
	CHECK_STR(imb_val_as_str(imb_val_get(m->attrs, "model"), NULL), "mlp:16,16"); /* the arch */
	const imb_val *tc = imb_val_path(m->attrs, "train.counts");   /* for imb-eval's majority */
	CHECK(tc && tc->t == IMB_V_ARR && tc->n == 2);
	if (tc && tc->n == 2) {
		CHECK_EQ_INT(imb_val_as_int(tc->items[0], -1), 300);
		CHECK_EQ_INT(imb_val_as_int(tc->items[1], -1), 100);
	}

	/* predict through the registry: the model separates fresh blobs */
	imb_predictor *p = imb_predictor_load(m);
	CHECK(p != NULL);
	if (p) {
		imb_frame *t = blobs(200, 2, 2, 99);
		float *x = imb_frame_tensor(t, "x")->data, probs[400];
		const int32_t *y = imb_frame_tensor(t, "y")->data;
		CHECK(imb_predict_proba(p, x, 200, 2, probs) == 0);
		int ok = 0;
		for (int i = 0; i < 200; i++)
			ok += (probs[2 * i + 1] > probs[2 * i]) == (y[i] == 1);
		fprintf(stderr, "  blobs: test accuracy %.3f\n", ok / 200.0);
		CHECK(ok >= 190);
		imb_frame_free(t);
		imb_predictor_free(p);
	}

	/* determinism: the same seed gives the same bytes; another seed not */
	imb_frame *m2, *log2;
	CHECK(train(d, NULL, &o, &m2, &log2) == 0);
	CHECK(same_tensor(m, m2, "params"));
	imb_frame_free(m2);
	imb_frame_free(log2);
	o.seed = 8;
	CHECK(train(d, NULL, &o, &m2, &log2) == 0);
	CHECK(!same_tensor(m, m2, "params"));
	imb_frame_free(m2);
	imb_frame_free(log2);
	imb_frame_free(m);
	imb_frame_free(log);
	imb_frame_free(d);
}

static void test_balanced(void)
{
	int32_t y[100];
	for (int i = 0; i < 100; i++)
		y[i] = i < 90 ? 0 : 2;     /* class 1 absent */
	size_t order[100];
	imb_rng r;
	imb_rng_seed(&r, 3);
	imb_nn_balanced_order(order, y, 100, 3, &r);
	int cnt[3] = {0}, times[100] = {0};
	for (int i = 0; i < 100; i++) {
		CHECK(order[i] < 100);
		if (order[i] < 100) {
			cnt[y[order[i]]]++;
			times[order[i]]++;
		}
	}
	CHECK_EQ_INT(cnt[0], 50);
	CHECK_EQ_INT(cnt[1], 0);
	CHECK_EQ_INT(cnt[2], 50);
	for (int i = 90; i < 100; i++)
		CHECK_EQ_INT(times[i], 5);   /* whole passes over the minority */
	int maxmaj = 0;
	for (int i = 0; i < 90; i++)
		maxmaj = times[i] > maxmaj ? times[i] : maxmaj;
	CHECK_EQ_INT(maxmaj, 1);         /* majority: a subset, no repeats */
	/* three classes present, 101 draws: quotas differ by at most one */
	int32_t y3[101];
	for (int i = 0; i < 101; i++)
		y3[i] = i < 80 ? 0 : i < 95 ? 1 : 2;
	size_t o3[101];
	imb_nn_balanced_order(o3, y3, 101, 3, &r);
	int c3[3] = {0};
	for (int i = 0; i < 101; i++)
		c3[y3[o3[i]]]++;
	CHECK(c3[0] >= 33 && c3[0] <= 34 && c3[1] >= 33 && c3[1] <= 34 && c3[2] >= 33 && c3[2] <= 34);
	CHECK_EQ_INT(c3[0] + c3[1] + c3[2], 101);

	/* in the loop: the epoch log counts about as many draws per class */
	imb_frame *d = blobs(400, 2, 2, 1), *m, *log;
	imb_nn_train_opts o;
	base_opts(&o, "mlp:8", 1);
	o.sampler = IMB_NN_SAMPLER_BALANCED;
	CHECK(train(d, NULL, &o, &m, &log) == 0);
	if (m) {
		const imb_val *pn = imb_val_get(imb_val_get(log->attrs, "epochs")->items[0], "per_class_n");
		CHECK_NEAR(imb_val_as_double(pn->items[0], 0), 200, 0);
		CHECK_NEAR(imb_val_as_double(pn->items[1], 0), 200, 0);
		imb_frame_free(m);
		imb_frame_free(log);
	}
	imb_frame_free(d);
}

static void test_resume(const char *arch, imb_frame *d, imb_nn_optim_kind opt)
{
	char ck[256];
	snprintf(ck, sizeof ck, "%s/ck.imb", dir);
	unlink(ck);
	imb_nn_train_opts o;
	base_opts(&o, arch, 4);
	o.optimizer = opt;
	o.lr = opt == IMB_NN_OPT_ADAMW ? 0.01 : 0.05;
	o.warmup = 1;
	o.sampler = IMB_NN_SAMPLER_BALANCED;
	imb_frame *a, *la, *b, *lb, *c, *lc;
	CHECK(train(d, NULL, &o, &a, &la) == 0);
	o.checkpoint = ck;
	o.checkpoint_every = 2;
	o.stop_after = 3;
	CHECK(train(d, NULL, &o, &b, &lb) == 0);   /* checkpoints after epochs 2 and 3 */
	CHECK(access(ck, F_OK) == 0);
	o.checkpoint = NULL;
	o.checkpoint_every = 0;
	o.stop_after = 0;
	o.resume = ck;
	CHECK(train(d, NULL, &o, &c, &lc) == 0);
	if (!a || !b || !c)
		return;
	CHECK(!same_tensor(a, b, "params"));        /* stopped early: not there yet */
	CHECK(same_tensor(a, c, "params"));
	CHECK(same_tensor(a, c, "bufs"));
	CHECK_EQ_INT(imb_val_get(lc->attrs, "epochs")->n, 4);
	CHECK(epoch_field(la, 3, "loss") == epoch_field(lc, 3, "loss"));
	CHECK(epoch_field(la, 1, "loss") == epoch_field(lc, 1, "loss"));
	fprintf(stderr, "  %s/%s: resume after 3 of 4 epochs gives the same %zu bytes\n", arch,
	        opt == IMB_NN_OPT_ADAMW ? "adamw" : "sgd", imb_frame_tensor(a, "params")->nbytes);
	/* refusals: other settings, a missing file, a corrupt file */
	imb_frame *x = NULL, *lx = NULL;
	o.lr *= 2;
	CHECK(imb_nn_train(d, NULL, &o, &x, &lx, ck, 0) == -1);
	CHECK_HAS(imb_error(), "lr");
	CHECK(x == NULL);
	o.lr /= 2;
	o.resume = "/nonexistent/ck.imb";
	CHECK(imb_nn_train(d, NULL, &o, &x, &lx, ck, 0) == -1);
	CHECK_HAS(imb_error(), "/nonexistent/ck.imb");
	char bad[256];
	snprintf(bad, sizeof bad, "%s/bad.imb", dir);
	FILE *fp = fopen(bad, "wb");
	fputs("not a checkpoint", fp);
	fclose(fp);
	o.resume = bad;
	CHECK(imb_nn_train(d, NULL, &o, &x, &lx, ck, 0) == -1);
	CHECK_HAS(imb_error(), "--resume");
	imb_frame_free(a);
	imb_frame_free(la);
	imb_frame_free(b);
	imb_frame_free(lb);
	imb_frame_free(c);
	imb_frame_free(lc);
	unlink(ck);
	unlink(bad);
}

static void test_freeze_init(void)
{
	imb_frame *d = images(48, 5), *a, *la, *b, *lb;
	imb_nn_train_opts o;
	base_opts(&o, "resnet8", 1);
	o.batch = 16;
	CHECK(train(d, NULL, &o, &a, &la) == 0);
	if (!a)
		return;
	imb_nn_loaded l;
	CHECK(imb_nn_frame_read(a, &l) == 0);
	size_t head = l.m->head, P = l.m->P;
	imb_nn_loaded_free(&l);

	/* linear probe from a: backbone params and BN statistics untouched,
	 * the head moved */
	o.freeze_backbone = 1;
	o.epochs = 2;
	o.seed = 11;
	CHECK(train(d, a, &o, &b, &lb) == 0);
	if (b) {
		size_t n;
		const float *pa = params_of(a, "params", &n), *pb = params_of(b, "params", &n);
		CHECK_EQ_INT(n, P);
		CHECK(!memcmp(pa, pb, head * sizeof(float)));
		CHECK(memcmp(pa + head, pb + head, (P - head) * sizeof(float)) != 0);
		CHECK(same_tensor(a, b, "bufs"));
		CHECK_EQ_INT(imb_val_as_int(imb_val_path(b->attrs, "params.init"), 0), 1);
		CHECK_STR(imb_val_as_str(imb_val_path(b->attrs, "params.freeze"), NULL), "backbone");
		imb_frame_free(b);
		imb_frame_free(lb);
	}
	/* --init with lr 0 and no weight decay: exactly the given weights
	 * (fine-tuning starts there; BN statistics do move in train mode) */
	o.freeze_backbone = 0;
	o.lr = 0;
	o.weight_decay = 0;
	o.epochs = 1;
	CHECK(train(d, a, &o, &b, &lb) == 0);
	if (b) {
		CHECK(same_tensor(a, b, "params"));
		CHECK(imb_val_get(b->attrs, "normalize") != NULL);
		imb_frame_free(b);
		imb_frame_free(lb);
	}
	/* a fresh model with lr 0 keeps its own initialisation, not a's */
	CHECK(train(d, NULL, &o, &b, &lb) == 0);
	if (b) {
		CHECK(!same_tensor(a, b, "params"));
		imb_frame_free(b);
		imb_frame_free(lb);
	}
	/* init on a different arch or input: refused */
	o.arch = "resnet20";
	CHECK(imb_nn_train(d, a, &o, &b, &lb, NULL, 0) == -1);
	CHECK_HAS(imb_error(), "resnet8");
	imb_frame_free(a);
	imb_frame_free(la);
	imb_frame_free(d);

	/* a 3-class fine-tune from a 2-class mlp keeps the backbone */
	imb_frame *d2 = blobs(200, 3, 2, 4), *d3 = blobs(200, 3, 3, 4);
	base_opts(&o, "mlp:8", 1);
	CHECK(train(d2, NULL, &o, &a, &la) == 0);
	o.lr = 0;
	o.weight_decay = 0;
	CHECK(train(d3, a, &o, &b, &lb) == 0);
	if (a && b) {
		size_t na, nb;
		const float *pa = params_of(a, "params", &na), *pb = params_of(b, "params", &nb);
		CHECK_EQ_INT(nb, na + 9);       /* one more row of 8 weights and a bias */
		CHECK(!memcmp(pa, pb, (size_t)(3 * 8 + 8) * sizeof(float)));
		CHECK_EQ_INT(imb_val_as_int(imb_val_get(b->attrs, "n_classes"), 0), 3);
		imb_frame_free(b);
		imb_frame_free(lb);
	}
	imb_frame_free(a);
	imb_frame_free(la);
	imb_frame_free(d2);
	imb_frame_free(d3);
}

static void test_bad(void)
{
	imb_nn_train_opts o;
	base_opts(&o, "mlp:4", 2);
	CHECK(imb_nn_train_check(&o) == NULL);
	o.schedule = "wavy";
	CHECK_HAS(imb_nn_train_check(&o), "--schedule");
	o.schedule = "step";
	CHECK(imb_nn_train_check(&o) == NULL);
	o.warmup = 2;
	CHECK_HAS(imb_nn_train_check(&o), "--warmup");
	o.warmup = 0;
	o.arch = "resnet9";
	CHECK_HAS(imb_nn_train_check(&o), "--model");
	o.arch = "mlp:4";
	o.checkpoint_every = 2;
	CHECK_HAS(imb_nn_train_check(&o), "--checkpoint");
	o.checkpoint_every = 0;
	/* a resnet on feature vectors; logit adjustment with an absent class */
	imb_frame *d = blobs(40, 2, 2, 1), *m, *l;
	char s[64];
	o.arch = "resnet8";
	CHECK(imb_nn_train(d, NULL, &o, &m, &l, s, sizeof s) == -1);
	CHECK_HAS(imb_error(), "resnet8");
	imb_frame_free(d);
	d = blobs(40, 2, 3, 1);
	int32_t *y = imb_frame_tensor(d, "y")->data;
	for (int i = 0; i < 40; i++)
		y[i] = y[i] == 2 ? 0 : y[i];
	o.arch = "mlp:4";
	o.loss = IMB_NN_LOSS_LOGIT_ADJUSTED;
	CHECK(imb_nn_train(d, NULL, &o, &m, &l, s, sizeof s) == -1);
	CHECK_HAS(imb_error(), "logit-adjusted");
	imb_frame_free(d);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_learns();
	test_balanced();
	imb_frame *d = blobs(200, 2, 2, 2);
	test_resume("mlp:8", d, IMB_NN_OPT_SGD);
	test_resume("mlp:8", d, IMB_NN_OPT_ADAMW);
	imb_frame_free(d);
	d = images(40, 3);
	test_resume("resnet8", d, IMB_NN_OPT_SGD);
	imb_frame_free(d);
	test_freeze_init();
	test_bad();
	rmdir(dir);
	CHECK_DONE();
}
