/* test_nn_hooks.c: the hook part. The validation hook's per-class
 * accuracy after the last epoch equals the recall imb-eval computes from
 * the model frame (predict.h on the same frame), its log fields are all
 * there every epoch; snapshots arrive every k epochs or steps, in the
 * callback's hands; a learning-rate function replaces the schedule; a val
 * frame of other classes is refused. */
#include "check.h"
#include "dataset.h"
#include "nn_backend.h"
#include "nn_train.h"
#include "predict.h"
#include "util.h"

#include <math.h>
#include <string.h>

static imb_frame *blobs(const char *name, int N, int K, uint64_t seed)
{
	imb_frame *f = imb_frame_new("dataset", name);
	uint64_t sx[2] = {(uint64_t)N, 2}, sy[1] = {(uint64_t)N};
	float *x = imb_frame_add_tensor(f, "x", IMB_F32, 2, sx)->data;
	int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, sy)->data;
	imb_rng r;
	imb_rng_seed(&r, seed);
	for (int i = 0; i < N; i++) {
		y[i] = i % 4 == 0 ? 1 : K > 2 && i % 4 == 1 ? 2 : 0;
		for (int j = 0; j < 2; j++)
			x[i * 2 + j] = (float)(1.5 * imb_rng_normal(&r) + (j == y[i] % 2 ? 1.5 : 0));
	}
	imb_val *cl = imb_val_arr();
	for (int k = 0; k < K; k++)
		imb_val_push(cl, imb_val_str(k ? "b" : "a"));
	imb_val_set(f->attrs, "classes", cl);
	imb_dataset_update_counts(f);
	return f;
}

typedef struct {
	int n;
	int epoch[16];
	long step[16];
	float last[64];
	size_t P;
} snaps;

static void take(void *ctx, float *params, float *bufs, int epoch, long step)
{
	snaps *s = ctx;
	const imb_nn_backend *be = imb_nn_be();
	if (s->n < 16) {
		s->epoch[s->n] = epoch;
		s->step[s->n] = step;
	}
	s->n++;
	if (s->P <= 64)
		be->download(s->last, params, s->P * sizeof(float));
	CHECK(bufs == NULL);     /* an mlp has no BN buffers */
	be->free(params);
}

/* a learning-rate function in place of the schedule (SGHMC's cycles) */
static int lr_calls;
static double saw(const imb_nn_loop *L, double t)
{
	lr_calls++;
	return 0.01 * (1 + (int)t % 2);
}

int main(void)
{
	imb_frame *train = blobs("train", 300, 2, 1), *val = blobs("val", 200, 2, 2);
	imb_nn_train_opts o;
	imb_nn_train_opts_init(&o);
	o.arch = "mlp:4";
	o.epochs = 5;
	o.batch = 32;
	o.lr = 0.05;
	o.seed = 3;
	o.threads = 2;
	o.quiet = 1;
	o.val = val;
	imb_nn_loop L;
	CHECK(imb_nn_loop_init(&L, train, NULL, &o) == 0);
	CHECK_EQ_INT(L.nhooks, 1);
	snaps se = {0}, ss = {0};
	se.P = ss.P = L.m->P;
	imb_nn_hook h;
	imb_nn_hook_snapshots(&h, 2, 0, take, &se);
	CHECK(imb_nn_loop_add_hook(&L, &h) == 0);
	imb_nn_hook_snapshots(&h, 7, 1, take, &ss);
	CHECK(imb_nn_loop_add_hook(&L, &h) == 0);
	L.lr_at = saw;
	CHECK(imb_nn_loop_run(&L) == 0);
	imb_frame *m, *log;
	char summary[256];
	imb_nn_loop_finish(&L, &m, &log, summary, sizeof summary);
	long steps = L.step_n;
	imb_nn_loop_free(&L);
	imb_nn_loop_free(&L);

	/* snapshots: epochs 2 and 4; steps 7, 14, ... */
	CHECK_EQ_INT(se.n, 2);
	CHECK_EQ_INT(se.epoch[0], 2);
	CHECK_EQ_INT(se.epoch[1], 4);
	CHECK_EQ_INT(steps, 5 * 10);     /* 300 / 32: 10 batches an epoch */
	CHECK_EQ_INT(ss.n, steps / 7);
	CHECK_EQ_INT(lr_calls, steps);
	CHECK_EQ_INT(ss.step[0], 7);
	CHECK_EQ_INT(ss.step[1], 14);
	/* epoch 4's snapshot is not the final model */
	const float *pf = imb_frame_tensor(m, "params")->data;
	CHECK(memcmp(se.last, pf, se.P * sizeof(float)) != 0);
	fprintf(stderr, "  snapshots: %d per 2 epochs, %d per 7 of %ld steps\n", se.n, ss.n, steps);

	/* validation: every epoch has the fields; the last equals imb-eval's recall */
	const imb_val *ep = imb_val_get(log->attrs, "epochs");
	CHECK_EQ_INT(ep->n, 5);
	CHECK(imb_val_as_double(imb_val_get(ep->items[0], "lr"), 0) == 0.01);
	CHECK(imb_val_as_double(imb_val_get(ep->items[1], "lr"), 0) == 0.02);
	for (size_t e = 0; e < ep->n; e++) {
		const imb_val *v = ep->items[e];
		CHECK(imb_val_get(v, "val_acc") && imb_val_get(v, "val_loss"));
		const imb_val *pn = imb_val_get(v, "val_per_class_n");
		CHECK(pn && pn->n == 2 && imb_val_as_double(pn->items[0], 0) == 150 &&
		      imb_val_as_double(pn->items[1], 0) == 50);
	}
	const imb_val *pc = imb_val_get(ep->items[4], "val_per_class_acc");
	imb_predictor *p = imb_predictor_load(m);
	CHECK(p != NULL);
	if (p && pc) {
		float *x = imb_frame_tensor(val, "x")->data, probs[400];
		const int32_t *y = imb_frame_tensor(val, "y")->data;
		CHECK(imb_predict_proba(p, x, 200, 2, probs) == 0);
		double ok[2] = {0}, n[2] = {0};
		for (int i = 0; i < 200; i++) {
			int best = probs[2 * i + 1] > probs[2 * i];
			ok[y[i]] += best == y[i];
			n[y[i]]++;
		}
		double r0 = ok[0] / n[0], r1 = ok[1] / n[1];
		fprintf(stderr, "  val: per-class accuracy %.4f %.4f, from the model frame %.4f %.4f\n",
		        imb_val_as_double(pc->items[0], NAN), imb_val_as_double(pc->items[1], NAN), r0, r1);
		CHECK(imb_val_as_double(pc->items[0], NAN) == r0);
		CHECK(imb_val_as_double(pc->items[1], NAN) == r1);
		imb_predictor_free(p);
	}
	imb_frame_free(m);
	imb_frame_free(log);

	/* a val frame with other classes: refused before training */
	imb_frame *v3 = blobs("val", 40, 3, 2);
	o.val = v3;
	CHECK(imb_nn_loop_init(&L, train, NULL, &o) == -1);
	CHECK_HAS(imb_error(), "--val-frame");
	imb_frame_free(v3);
	imb_frame_free(val);
	imb_frame_free(train);
	CHECK_DONE();
}
