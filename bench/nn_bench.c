/* nn_bench.c: the engine's side of bench/nn.sh (built by it against
 * libimb.a) and of bench/cuda.sh. Four modes, each printing one line of
 * figures:
 *
 *   nn_bench train ARCH C H W K BATCH STEPS THREADS [DEVICE [PRECISION [REPS]]]
 *       training steps (zero grads, forward, cross-entropy, backward,
 *       SGD-momentum step) on random data and labels, uploaded to the
 *       backend once. DEVICE (default cpu) is a backend name for
 *       imb_nn_set_backend ("cuda", "cuda:1"), PRECISION fp32 (the
 *       default), tf32 or bf16. On the CPU: STEPS steps, each timed,
 *       after one warm-up step. On a device: 5 warm-up steps, then REPS
 *       (default 5) blocks of STEPS steps, each block timed between two
 *       waits for the device (a download of 4 bytes of the parameters);
 *       STEPS 0 sizes the blocks to about a second. "train ARCH
 *       images_per_s MEDIAN maxrss_kb KB device DEV precision PREC steps
 *       STEPS steps_run ALL" (the median step or block; ALL counts the
 *       warm-up too)
 *   nn_bench step KIND ARCH C H W K BATCH STEPS THREADS
 *       STEPS steps of the loop's step part on random data (labels:
 *       class 1 a quarter of the samples) after one warm-up step, KIND
 *       plain, sam (rho 0.05), sam-minority (class 1 at 0.2) or asam:
 *       "step KIND ARCH ms_per_step MEDIAN" (bench/sam.sh)
 *   nn_bench sgemm SIZE THREADS
 *       the backend's gemm (OpenBLAS sgemm split over the engine's
 *       threads), SIZE^3, best of 5: "sgemm SIZE gflops G"
 *   nn_bench conv BATCH THREADS
 *       every convolution of resnet20 on 3x32x32 at that batch, forward
 *       and backward (input and weight gradients), best of 3 passes:
 *       "conv resnet20 gflops G seconds S" (FLOPs counted as 2*MACs of
 *       direct convolution, times 3 for forward + backward) */
#include "nn_model.h"
#include "nn_backend.h"
#include "nn_layers.h"
#include "nn_loss.h"
#include "nn_objective.h"
#include "nn_optim.h"
#include "nn_sam.h"
#include "nn_step.h"
#include "rng.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static float *rand_buf(imb_rng *r, size_t n)
{
	float *x = imb_xmalloc_aligned(n * sizeof(float));
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(2 * imb_rng_uniform(r) - 1);
	return x;
}

/* Backend and precision for train's optional DEVICE PRECISION; 0, or -1
 * with imb_error(). */
static int use_device(const char *dev, const char *prec)
{
	if (strcmp(dev, "cpu") && imb_nn_set_backend(dev) < 0)
		return -1;
	return imb_nn_set_precision(prec);
}

/* One training step on backend data: the loop's plain step, spelled out,
 * marked as the loop marks it (IMB_CUDA_GRAPHS=0 times it unrecorded). */
static void train_step(imb_nn_model *m, const imb_nn_loss *L, imb_nn_optim *o,
                       const float *x, const int32_t *y, float *dz, float *loss, int N)
{
	m->be->mark_step(N);
	imb_nn_model_zero_grad(m);
	const float *z = imb_nn_model_forward(m, x, N, IMB_NN_TRAIN);
	imb_nn_loss_forward_to(L, dz, NULL, loss, z, y, N);
	imb_nn_model_backward(m, dz, 0);
	imb_nn_optim_step(o, m->params, m->grads);
	m->be->mark_step(-1);
}

/* Wait for the backend: a download of 4 bytes of the parameters. */
static void sync_be(const imb_nn_model *m)
{
	float v;
	m->be->download(&v, m->params, sizeof v);
}

static int bench_train(int argc, char **a)
{
	const char *arch = a[0];
	int C = atoi(a[1]), H = atoi(a[2]), W = atoi(a[3]), K = atoi(a[4]);
	int N = atoi(a[5]), steps = atoi(a[6]);
	const char *dev = argc > 8 ? a[8] : "cpu", *prec = argc > 9 ? a[9] : "fp32";
	int reps = argc > 10 ? atoi(a[10]) : 5;
	int cpu = !strcmp(dev, "cpu");
	if (use_device(dev, prec) < 0) {
		fprintf(stderr, "nn_bench: %s\n", imb_error());
		return 1;
	}
	const imb_nn_backend *be = imb_nn_be();
	be->set_threads(atoi(a[7]));
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, K);
	if (!m) {
		fprintf(stderr, "nn_bench: %s\n", imb_error());
		return 1;
	}
	imb_rng r;
	imb_rng_seed(&r, 1);
	imb_nn_model_init(m, &r);
	/* the data: random, uploaded once */
	size_t nx = (size_t)N * C * H * W;
	float *xh = rand_buf(&r, nx);
	int32_t *yh = imb_xmalloc((size_t)N * sizeof(int32_t));
	for (int i = 0; i < N; i++)
		yh[i] = (int32_t)imb_rng_below(&r, (uint64_t)K);
	float *x = be->alloc(nx * sizeof(float));
	int32_t *y = be->alloc((size_t)N * sizeof(int32_t));
	be->upload(x, xh, nx * sizeof(float));
	be->upload(y, yh, (size_t)N * sizeof(int32_t));
	float *dz = be->alloc((size_t)N * K * sizeof(float));
	float *loss = be->alloc(sizeof(float));
	imb_nn_loss L;
	imb_nn_loss_ce(&L, K);
	imb_nn_optim o;
	imb_nn_optim_sgd(&o, m->P, 0.01f, 0.9f, 5e-4f, 0);
	double med;
	long run = 0;
	if (cpu) {
		/* the host: each step timed alone, one warm-up step */
		if (steps < 1)
			steps = 1;
		double *t = imb_xmalloc((size_t)(steps + 1) * sizeof(double));
		for (int s = 0; s <= steps; s++) {
			double t0 = imb_now();
			train_step(m, &L, &o, x, y, dz, loss, N);
			t[s] = imb_now() - t0;
		}
		run = steps + 1;
		qsort(t + 1, (size_t)steps, sizeof(double), cmp_d);
		med = t[1 + (steps - 1) / 2];
		free(t);
	} else {
		/* a device: ops return before the work is done, so time blocks
		 * of steps between two waits; 5 warm-up steps (the first picks
		 * algorithms), the last 3 of them timed to size the blocks when
		 * STEPS is 0 (about 1 s each); the median of REPS blocks */
		double t0 = 0;
		for (int s = 0; s < 5; s++) {
			if (s == 2) {
				sync_be(m);
				t0 = imb_now();
			}
			train_step(m, &L, &o, x, y, dz, loss, N);
		}
		sync_be(m);
		double est = (imb_now() - t0) / 3;
		run = 5;
		if (steps <= 0) {
			double s = est > 0 ? 1.0 / est : 1000;
			steps = s < 3 ? 3 : s > 1000 ? 1000 : (int)s;
		}
		if (reps < 1)
			reps = 1;
		double *t = imb_xmalloc((size_t)reps * sizeof(double));
		for (int k = 0; k < reps; k++) {
			t0 = imb_now();
			for (int s = 0; s < steps; s++)
				train_step(m, &L, &o, x, y, dz, loss, N);
			sync_be(m);
			t[k] = (imb_now() - t0) / steps;
		}
		run += (long)reps * steps;
		qsort(t, (size_t)reps, sizeof(double), cmp_d);
		med = t[(reps - 1) / 2];
		free(t);
	}
	printf("train %s images_per_s %.1f maxrss_kb %ld device %s precision %s steps %d "
	       "steps_run %ld\n", arch, N / med, maxrss_kb(), dev, prec, steps, run);
	be->free(x), be->free(y), be->free(dz), be->free(loss);
	free(xh), free(yh);
	imb_nn_optim_free(&o);
	imb_nn_loss_free(&L);
	imb_nn_model_free(m);
	return 0;
}

static int bench_step(char **a)
{
	const char *kind = a[0], *arch = a[1];
	int C = atoi(a[2]), H = atoi(a[3]), W = atoi(a[4]), K = atoi(a[5]);
	int N = atoi(a[6]), steps = atoi(a[7]);
	const imb_nn_backend *be = imb_nn_be();
	be->set_threads(atoi(a[8]));
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, K);
	if (!m || K < 2) {
		fprintf(stderr, "nn_bench: %s\n", m ? "step needs K >= 2" : imb_error());
		return 1;
	}
	imb_rng r;
	imb_rng_seed(&r, 1);
	imb_nn_model_init(m, &r);
	imb_nn_batch b;
	memset(&b, 0, sizeof b);
	b.cap = (size_t)N;
	b.n = N;
	b.D = (size_t)C * H * W;
	float *xh = rand_buf(&r, (size_t)N * b.D);
	b.x = be->alloc((size_t)N * b.D * sizeof(float));
	be->upload(b.x, xh, (size_t)N * b.D * sizeof(float));
	b.yh = imb_xmalloc((size_t)N * sizeof(int32_t));
	int64_t *counts = imb_xcalloc((size_t)K, sizeof *counts);
	for (int i = 0; i < N; i++) {
		b.yh[i] = i % 4 == 0 ? 1 : 0;
		counts[b.yh[i]]++;
	}
	for (int k = 0; k < K; k++)
		counts[k] += 1;
	b.y = be->alloc((size_t)N * sizeof(int32_t));
	be->upload(b.y, b.yh, (size_t)N * sizeof(int32_t));
	imb_nn_objective ob;
	imb_nn_optimizer opt;
	if (imb_nn_objective_xent(&ob, IMB_NN_LOSS_CE, K, counts, 2, 1) < 0 ||
	    imb_nn_optimizer_sgd(&opt, m->P, 0.01f, 0.9f, 5e-4f, 0) < 0) {
		fprintf(stderr, "nn_bench: %s\n", imb_error());
		return 1;
	}
	imb_nn_step_ctx c = { m, &ob, &opt, 0, 0, be->alloc((size_t)N * K * sizeof(float)),
	                      be->alloc((size_t)N * sizeof(float)), be->alloc(sizeof(float)) };
	imb_nn_step st = imb_nn_step_plain;
	double *rc = imb_xmalloc((size_t)K * sizeof *rc);
	for (int k = 0; k < K; k++)
		rc[k] = k == 1 ? 0.2 : 0.05;
	int bad = 0;
	if (!strcmp(kind, "sam"))
		bad = imb_nn_step_sam(&st, 0.05, 0, K, NULL);
	else if (!strcmp(kind, "sam-minority"))
		bad = imb_nn_step_sam(&st, 0.05, 0, K, rc);
	else if (!strcmp(kind, "asam"))
		bad = imb_nn_step_sam(&st, 0.5, 1, K, NULL);
	else if (strcmp(kind, "plain"))
		bad = imb_seterr("unknown step '%s' (plain, sam, sam-minority, asam)", kind);
	if (bad) {
		fprintf(stderr, "nn_bench: %s\n", imb_error());
		return 1;
	}
	double *t = imb_xmalloc((size_t)(steps + 1) * sizeof(double));
	for (int s = 0; s <= steps; s++) {   /* step 0 warms up */
		double t0 = imb_now();
		imb_nn_step_out so;
		if (st.run(&st, &c, &b, 0.01f, &so) < 0) {
			fprintf(stderr, "nn_bench: %s\n", imb_error());
			return 1;
		}
		t[s] = imb_now() - t0;
	}
	qsort(t + 1, (size_t)steps, sizeof(double), cmp_d);
	printf("step %s %s ms_per_step %.4g\n", kind, arch, 1e3 * t[1 + (steps - 1) / 2]);
	imb_nn_step_free(&st);
	return 0;
}

static int bench_sgemm(char **a)
{
	int n = atoi(a[0]);
	imb_nn_be()->set_threads(atoi(a[1]));
	imb_rng r;
	imb_rng_seed(&r, 1);
	float *A = rand_buf(&r, (size_t)n * n), *B = rand_buf(&r, (size_t)n * n);
	float *Cm = imb_xmalloc_aligned((size_t)n * n * sizeof(float));
	const imb_nn_backend *be = imb_nn_be();
	double best = 1e30;
	for (int k = 0; k < 6; k++) {
		double t0 = imb_now();
		be->gemm(0, 0, n, n, n, 1, A, n, B, n, 0, Cm, n);
		double dt = imb_now() - t0;
		if (k > 0 && dt < best)
			best = dt;
	}
	printf("sgemm %d gflops %.1f\n", n, 2.0 * n * n * n / best / 1e9);
	return 0;
}

/* resnet20's convolutions: (C, H, OC, K, stride, pad, count) */
static const int r20[][7] = {
	{ 3, 32, 16, 3, 1, 1, 1 },      /* stem */
	{ 16, 32, 16, 3, 1, 1, 6 },     /* stage 1 */
	{ 16, 32, 32, 3, 2, 1, 1 },     /* stage 2 entry */
	{ 16, 32, 32, 1, 2, 0, 1 },     /* its shortcut */
	{ 32, 16, 32, 3, 1, 1, 5 },
	{ 32, 16, 64, 3, 2, 1, 1 },     /* stage 3 entry */
	{ 32, 16, 64, 1, 2, 0, 1 },
	{ 64, 8, 64, 3, 1, 1, 5 },
};

static int bench_conv(char **a)
{
	int N = atoi(a[0]);
	imb_nn_be()->set_threads(atoi(a[1]));
	imb_rng r;
	imb_rng_seed(&r, 1);
	double best = 1e30, flops = 0;
	for (int pass = 0; pass < 4; pass++) {
		double total = 0;
		for (size_t l = 0; l < IMB_LEN(r20); l++) {
			int C = r20[l][0], H = r20[l][1], OC = r20[l][2], Kk = r20[l][3];
			int S = r20[l][4], P = r20[l][5];
			int OH = imb_nn_conv2d_out(H, Kk, S, P);
			size_t nx = (size_t)N * C * H * H, no = (size_t)N * OC * OH * OH;
			size_t nw = (size_t)OC * C * Kk * Kk;
			float *x = rand_buf(&r, nx), *w = rand_buf(&r, nw), *d = rand_buf(&r, no);
			float *o = imb_xmalloc_aligned(no * sizeof(float));
			float *dx = imb_xmalloc_aligned(nx * sizeof(float));
			float *dw = imb_xmalloc_aligned(nw * sizeof(float));
			memset(dx, 0, nx * sizeof(float));
			memset(dw, 0, nw * sizeof(float));
			double t0 = imb_now();
			for (int k = 0; k < r20[l][6]; k++) {
				imb_nn_conv2d_forward(o, x, w, NULL, N, C, H, H, OC, Kk, Kk, S, P);
				imb_nn_conv2d_backward(l ? dx : NULL, dw, NULL, d, x, w, N, C, H, H,
				                       OC, Kk, Kk, S, P, 0);
			}
			total += imb_now() - t0;
			if (pass == 0)
				flops += (l ? 3.0 : 2.0) * 2.0 * r20[l][6] * (double)no * C * Kk * Kk;
			free(x), free(w), free(d), free(o), free(dx), free(dw);
		}
		if (pass > 0 && total < best)
			best = total;
	}
	printf("conv resnet20 gflops %.1f seconds %.4f\n", flops / best / 1e9, best);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 10 && !strcmp(argv[1], "train"))
		return bench_train(argc - 2, argv + 2);
	if (argc >= 11 && !strcmp(argv[1], "step"))
		return bench_step(argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "sgemm"))
		return bench_sgemm(argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "conv"))
		return bench_conv(argv + 2);
	fprintf(stderr, "usage: nn_bench train ARCH C H W K BATCH STEPS THREADS [DEVICE [PRECISION "
	        "[REPS]]]\n"
	        "       nn_bench step plain|sam|sam-minority|asam ARCH C H W K BATCH STEPS "
	        "THREADS\n"
	        "       nn_bench sgemm SIZE THREADS\n"
	        "       nn_bench conv BATCH THREADS\n");
	return 2;
}
