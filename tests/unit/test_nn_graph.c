/* test_nn_graph.c: training steps marked as the loop marks them
 * (mark_step) on the CUDA backend, which records them as CUDA graphs and
 * replays them, give the bits of the same steps run op by op
 * (IMB_CUDA_GRAPHS=0), and the graphs are used:
 *   - resnet8, SGD with momentum, the lr changing every step (the graph
 *     must take each step's own lr), each batch uploaded from one host
 *     buffer rewritten between uploads (the step must keep its bytes);
 *     in fp32 and bf16;
 *   - an MLP with AdamW (the step count changes the bias corrections);
 *   - resnet8 with LARS, clip on (each step's lr reaches every segment's
 *     scaling, whose norms stay on the GPU);
 *   - a step that departs from its record, once while captured (after
 *     its uploads) and once while replayed (at its last op): the ops
 *     kept so far must run as they come, in order, with their bytes;
 *   - a step that waits for the GPU (a norm read, as LARS does): never
 *     recorded, the same bits;
 *   - the graphs dropped between two steps (as the workspace growing
 *     drops them): the step after is captured again from its record.
 * Where no GPU can be used it says so and passes. */
#include "check.h"
#include "nn_start.h"
#include "nn_backend.h"
#include "nn_model.h"
#include "nn_objective.h"
#include "nn_optim.h"
#include "nn_step.h"
#include "rng.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* the CUDA backend's tally of graphs recorded, steps replayed, steps
 * departed (nn_cuda.h); weak, so that a build without it links */
extern void imb_cuda_graph_counts(long out[3]) __attribute__((weak));

enum { N = 32, STEPS = 14 };

typedef enum { PLAIN, DEPART, WAIT, FORGET } kind;
typedef enum { SGD, ADAMW, LARS } optim;

typedef struct {
	const char *arch;
	int C, H, W, K;
	optim opt;
	kind k;
	const char *prec;
} scenario;


/* STEPS steps marked with key from the same weights and data; the
 * parameters and BN buffers after them (host, P + B floats) */
static float *run(const scenario *sc, long key, const float *w0, const float *b0,
                  const float *x, const int32_t *y, size_t *count)
{
	const imb_nn_backend *be = imb_nn_be();
	imb_nn_model *m = imb_nn_model_new(sc->arch, sc->C, sc->H, sc->W, sc->K);
	size_t D = (size_t)sc->C * sc->H * sc->W;
	be->upload(m->params, w0, m->P * sizeof(float));
	be->upload(m->bufs, b0, m->B * sizeof(float));
	float *xd[2] = { be->alloc(N * D * sizeof(float)), be->alloc(N * D * sizeof(float)) };
	int32_t *yd = be->alloc(N * sizeof(int32_t));
	int64_t counts[16] = {0};
	for (int i = 0; i < 3 * N; i++)
		counts[y[i]]++;
	imb_nn_objective ob;
	imb_nn_optimizer opt;
	CHECK(imb_nn_objective_xent(&ob, IMB_NN_LOSS_CE, sc->K, counts, 2, 1) == 0);
	if (sc->opt == ADAMW) {
		CHECK(imb_nn_optimizer_adamw(&opt, m->P, 1e-3f, 1e-2f) == 0);
	} else if (sc->opt == LARS) {
		size_t nseg = imb_nn_model_segments(m, 0, NULL, 0);
		imb_nn_segment *seg = imb_xmalloc(nseg * sizeof *seg);
		imb_nn_model_segments(m, 0, seg, nseg);
		CHECK(imb_nn_optimizer_lars(&opt, m->P, seg, nseg, 0.05f, 0.9f, 5e-4f, 0.02f, 0) == 0);
		CHECK(imb_nn_optimizer_lars_clip(&opt, 1) == 0);
		free(seg);
	} else {
		CHECK(imb_nn_optimizer_sgd(&opt, m->P, 0.05f, 0.9f, 5e-4f, 0) == 0);
	}
	imb_nn_step_ctx c = { m, &ob, &opt, 0, 0, be->alloc(N * (size_t)sc->K * sizeof(float)),
	                      be->alloc(N * sizeof(float)), be->alloc(sizeof(float)) };
	/* one host buffer for every upload, rewritten between them */
	float *stage = imb_xmalloc(N * D * sizeof(float));
	imb_nn_optim *os = opt.state;
	for (int s = 0; s < STEPS; s++) {
		/* FORGET: between steps 7 and 8 the graphs are dropped (another
		 * precision and back), and the record captured again at once */
		if (sc->k == FORGET && s == 8) {
			CHECK(imb_nn_set_precision(sc->prec[0] == 't' ? "fp32" : "tf32") == 0);
			CHECK(imb_nn_set_precision(sc->prec) == 0);
		}
		be->mark_step(key);
		memcpy(stage, x + (size_t)(s % 3) * N * D, N * D * sizeof(float));
		be->upload(xd[0], stage, N * D * sizeof(float));
		memcpy(stage, y + (size_t)(s % 3) * N, N * sizeof(int32_t));
		be->upload(yd, stage, N * sizeof(int32_t));
		memset(stage, 0xff, N * D * sizeof(float));    /* NaN if read late */
		imb_nn_batch b = { .n = N, .x = xd[0], .y = yd };
		/* departures: at step 3, the first captured, an op more after
		 * the uploads (the batch moved to the other buffer); at step 8, a
		 * replayed one, at its last op (another momentum) */
		if (sc->k == DEPART && s == 3) {
			be->copy(xd[1], xd[0], N * D * sizeof(float));
			b.x = xd[1];
		}
		if (sc->opt != LARS)
			os->momentum = sc->k == DEPART && s == 8 ? 0.85f : 0.9f;
		imb_nn_step_out so = {0};
		/* a cosine that changes every step */
		float lr = (float)(0.05 * (1 + cos(3.14159265 * s / STEPS)) / 2 + 1e-3);
		CHECK(imb_nn_step_plain.run(NULL, &c, &b, lr, &so) == 0);
		if (sc->k == WAIT)
			CHECK(isfinite(be->sqnorm(m->params, m->P)));
		be->mark_step(-1);
	}
	*count = m->P + m->B;
	float *r = imb_xmalloc(*count * sizeof(float) + 4);
	be->download(r, m->params, m->P * sizeof(float));
	be->download(r + m->P, m->bufs, m->B * sizeof(float));
	free(stage);
	be->free(c.dout);
	be->free(c.losses);
	be->free(c.loss);
	be->free(xd[0]);
	be->free(xd[1]);
	be->free(yd);
	opt.free(&opt);
	imb_nn_objective_free(&ob);
	imb_nn_model_free(m);
	return r;
}

/* IMB_CUDA_GRAPHS=v given: the backend says what it records */
static int verbose;

static void test(const scenario *sc, long key)
{
	imb_rng r;
	imb_rng_seed(&r, 11);
	nn_start st = nn_start_make(sc->arch, sc->C, sc->H, sc->W, sc->K, 3 * N, &r);
	const float *w0 = st.w0, *b0 = st.b0, *x = st.x;
	const int32_t *y = st.y;

	CHECK(imb_nn_set_backend("cuda") == 0);
	CHECK(imb_nn_set_precision(sc->prec) == 0);
	size_t n0, n1;
	setenv("IMB_CUDA_GRAPHS", "0", 1);
	long c0[3], c1[3], c2[3];
	imb_cuda_graph_counts(c0);
	float *eager = run(sc, key, w0, b0, x, y, &n0);
	imb_cuda_graph_counts(c1);
	CHECK(!memcmp(c0, c1, sizeof c0));    /* off: nothing recorded */
	setenv("IMB_CUDA_GRAPHS", verbose ? "v" : "1", 1);
	float *graphs = run(sc, key, w0, b0, x, y, &n1);
	imb_cuda_graph_counts(c2);
	long rec = c2[0] - c1[0], rep = c2[1] - c1[1], dep = c2[2] - c1[2];
	int same = n0 == n1 && !memcmp(eager, graphs, n0 * sizeof(float));
	printf("%-10s %s %s%s: %ld graphs recorded, %ld steps replayed, %ld departed; %s bits\n",
	       sc->arch, sc->prec, sc->opt == ADAMW ? "adamw" : sc->opt == LARS ? "lars" : "sgd",
	       sc->k == DEPART ? ", departing" : sc->k == WAIT ? ", waiting" :
	       sc->k == FORGET ? ", graphs dropped" : "", rec, rep, dep,
	       same ? "the same" : "OTHER");
	CHECK(same);
	/* the steps: 0 allocates, 1 and 2 alike, 3 captured, then replays */
	if (sc->k == PLAIN) {
		CHECK_EQ_INT(rec, 1);
		CHECK_EQ_INT(rep, STEPS - 4);
		CHECK_EQ_INT(dep, 0);
	} else if (sc->k == DEPART) {
		/* 3 departs while captured; 4, 5 warm, 6 captured, 7 replayed;
		 * 8 departs while replayed; 9, 10 warm, 11 captured, 12, 13
		 * replayed */
		CHECK_EQ_INT(dep, 2);
		CHECK_EQ_INT(rec, 2);
		CHECK_EQ_INT(rep, 3);
	} else if (sc->k == FORGET) {
		/* 3 captured, 4-7 replayed, 8 captured again, 9-13 replayed */
		CHECK_EQ_INT(rec, 2);
		CHECK_EQ_INT(rep, STEPS - 5);
		CHECK_EQ_INT(dep, 0);
	} else {
		CHECK_EQ_INT(rec, 0);
		CHECK_EQ_INT(rep, 0);
	}
	CHECK(imb_nn_set_precision("fp32") == 0);
	CHECK(imb_nn_set_backend("cpu") == 0);
	free(eager);
	free(graphs);
	nn_start_free(&st);
}

int main(void)
{
	const char *v = getenv("IMB_CUDA_GRAPHS");
	verbose = v && !strcmp(v, "v");
	if (imb_nn_set_backend("cuda") < 0 || !imb_cuda_graph_counts) {
		printf("test_nn_graph: skipped: %s\n",
		       imb_cuda_graph_counts ? imb_error() : "this build has no CUDA backend");
		CHECK_DONE();
	}
	static const scenario S[] = {
		{ "resnet8", 3, 16, 16, 10, SGD, PLAIN, "fp32" },
		{ "resnet8", 3, 16, 16, 10, SGD, PLAIN, "bf16" },
		{ "mlp:64,32", 3, 8, 8, 10, ADAMW, PLAIN, "fp32" },
		{ "resnet8", 3, 16, 16, 10, SGD, DEPART, "tf32" },
		{ "mlp:64,32", 3, 8, 8, 10, SGD, WAIT, "fp32" },
		{ "resnet8", 3, 16, 16, 10, SGD, FORGET, "fp32" },
		{ "resnet8", 3, 16, 16, 10, LARS, PLAIN, "fp32" },
	};
	/* a key of its own for each: a key's record outlives the model */
	for (size_t k = 0; k < IMB_LEN(S); k++)
		test(&S[k], 100 + (long)k);
	CHECK_DONE();
}
