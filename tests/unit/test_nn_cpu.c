/* test_nn_cpu.c: the CPU backend's internals, beyond what every backend
 * is held to (test_nn_backend) and the layers' gradients
 * (test_nn_layers): the gemm op split by rows and by columns and its
 * small-matrix loops (IMB_NN_SMALL_GEMM=1, and =0 for OpenBLAS), the
 * Winograd path against im2col (IMB_NN_WINOGRAD), the thread pool under
 * churn, and ops called from inside pool tasks. Prints the max
 * difference of each comparison; exits non-zero when one is over its
 * tolerance. */
#include "check.h"
#include "nn_check.h"
#include "nn_backend.h"
#include "nn_layers.h"
#include "rng.h"
#include "util.h"

#include <stdint.h>
#include <unistd.h>

#define TOL 2e-5

/* ------------------------------------------------------------ gemm */

/* the gemm op in all four transpose cases, split by rows (M >= N) and by
 * columns, against a double reference on 1 and 2 threads; a repeat on 2
 * threads gives the same bits (across thread counts OpenBLAS's blocking
 * changes the rounding, so only agreement to rounding is expected).
 * Shapes with a dimension of at most 16 take the direct small-gemm
 * loops (rows, columns and dot-product forms, with their tails). With
 * beta 0, C starts as NaN: it must not be read. */
static void test_gemm(int M, int N, int K, float beta)
{
	printf("gemm M=%d N=%d K=%d beta=%g, all transposes, 1 and 2 threads\n", M, N, K,
	       (double)beta);
	const imb_nn_backend *be = imb_nn_be();
	float *A = frand((size_t)M * K, -1, 1), *B = frand((size_t)K * N, -1, 1);
	float *C0 = frand((size_t)M * N, -1, 1), *C1 = malloc((size_t)M * N * sizeof(float));
	if (beta == 0)
		for (size_t i = 0; i < (size_t)M * N; i++)
			C0[i] = NAN;
	float *C2 = malloc((size_t)M * N * sizeof(float)), *C3 = malloc((size_t)M * N * sizeof(float));
	double *want = malloc((size_t)M * N * sizeof(double));
	for (int ta = 0; ta < 2; ta++)
		for (int tb = 0; tb < 2; tb++) {
			int lda = ta ? M : K, ldb = tb ? K : N;
			for (int i = 0; i < M; i++)
				for (int j = 0; j < N; j++) {
					double acc = 0;
					for (int k = 0; k < K; k++)
						acc += (double)(ta ? A[k * lda + i] : A[i * lda + k]) *
						       (tb ? B[j * ldb + k] : B[k * ldb + j]);
					want[i * N + j] = 0.5 * acc + (beta == 0 ? 0 : beta * C0[i * N + j]);
				}
			memcpy(C1, C0, (size_t)M * N * sizeof(float));
			memcpy(C2, C0, (size_t)M * N * sizeof(float));
			memcpy(C3, C0, (size_t)M * N * sizeof(float));
			imb_nn_set_threads(1);
			be->gemm(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, beta, C1, N);
			imb_nn_set_threads(2);
			be->gemm(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, beta, C2, N);
			be->gemm(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, beta, C3, N);
			char what[64];
			snprintf(what, sizeof what, "ta=%d tb=%d, 1 thread", ta, tb);
			compare(what, C1, want, (size_t)M * N, TOL);
			snprintf(what, sizeof what, "ta=%d tb=%d, 2 threads", ta, tb);
			compare(what, C2, want, (size_t)M * N, TOL);
			CHECK(memcmp(C2, C3, (size_t)M * N * sizeof(float)) == 0);
		}
	free(A); free(B); free(C0); free(C1); free(C2); free(C3); free(want);
}

/* ------------------------------------------------------------ threads */

/* The pool under churn: many parallel calls of 1-40 tasks, some slow,
 * each call with its own freshly allocated context (freed as soon as the
 * call returns, so a worker still touching an old call's context is a
 * use-after-free under ASan, and a race under TSan): every task of every
 * call runs exactly once, and the call returns only after all ran. */
typedef struct {
	int *hits;
	int nt;
} churn_ctx;

static void churn_task(void *vc, int t)
{
	churn_ctx *c = vc;
	if (t % 7 == 3)                 /* an uneven task, so claims interleave */
		for (volatile int i = 0; i < 2000; i++)
			;
	__atomic_fetch_add(&c->hits[t], 1, __ATOMIC_RELAXED);
}

static void test_pool_churn(void)
{
	for (int T = 2; T <= 3; T++) {
		imb_nn_set_threads(T);
		int calls = 20000, bad = 0;
		for (int k = 0; k < calls; k++) {
			churn_ctx *c = malloc(sizeof *c);
			c->nt = 1 + k % 40;
			c->hits = calloc((size_t)c->nt, sizeof(int));
			imb_nn_parallel(c->nt, churn_task, c);
			for (int t = 0; t < c->nt; t++)
				bad += __atomic_load_n(&c->hits[t], __ATOMIC_RELAXED) != 1;
			free(c->hits);
			free(c);
			if (k % 997 == 0)       /* now and then let the workers fall asleep */
				usleep(300);
		}
		printf("pool churn, %d threads: %d calls, %d tasks not run exactly once\n", T,
		       calls, bad);
		CHECK(bad == 0);
	}
	imb_nn_set_threads(2);
}

/* ------------------------------------------------------------ Winograd */

/* The Winograd F(2x2,3x3) path against im2col on the same data: the
 * default thresholds pick it for 32..256 channels; IMB_NN_WINOGRAD=0
 * forces im2col. Forward, input and weight gradients agree to 1e-5 of
 * the largest value; forward and input gradient have the same bits for
 * 1, 2 and 3 threads (one tile group per task), the weight gradient
 * the same bits run after run at a fixed count. */
static void test_winograd_vs_im2col(int N, int C, int H, int W, int OC, int P)
{
	printf("conv2d Winograd vs im2col N=%d C=%d %dx%d OC=%d pad=%d\n", N, C, H, W, OC, P);
	int OH = imb_nn_conv2d_out(H, 3, 1, P), OW = imb_nn_conv2d_out(W, 3, 1, P);
	size_t nx = (size_t)N * C * H * W, nw = (size_t)OC * C * 9, no = (size_t)N * OC * OH * OW;
	float *x = frand(nx, -1, 1), *w = frand(nw, -1, 1), *b = frand(OC, -1, 1);
	float *R = frand(no, -1, 1);
	float *out[4], *dx[4], *dw[4];
	for (int k = 0; k < 4; k++) {   /* 0: im2col; 1..3: Winograd on k threads */
		setenv("IMB_NN_WINOGRAD", k ? "1" : "0", 1);
		imb_nn_set_threads(k ? k : 2);
		out[k] = fzeros(no);
		dx[k] = fzeros(nx);
		dw[k] = fzeros(nw);
		imb_nn_conv2d_forward(out[k], x, w, b, N, C, H, W, OC, 3, 3, 1, P);
		imb_nn_conv2d_backward(dx[k], dw[k], NULL, R, x, w, N, C, H, W, OC, 3, 3, 1, P, 0);
	}
	double *ref = todouble(out[0], no);
	compare("Winograd forward vs im2col", out[2], ref, no, 1e-5);
	free(ref);
	ref = todouble(dx[0], nx);
	compare("Winograd dinp vs im2col", dx[2], ref, nx, 1e-5);
	free(ref);
	ref = todouble(dw[0], nw);
	compare("Winograd dw vs im2col", dw[2], ref, nw, 1e-5);
	free(ref);
	for (int k = 1; k < 4; k += 2) {
		CHECK(memcmp(out[k], out[2], no * sizeof(float)) == 0);
		CHECK(memcmp(dx[k], dx[2], nx * sizeof(float)) == 0);
	}
	float *dw2 = fzeros(nw);
	imb_nn_set_threads(2);
	imb_nn_conv2d_backward(NULL, dw2, NULL, R, x, w, N, C, H, W, OC, 3, 3, 1, P, 0);
	CHECK(memcmp(dw2, dw[2], nw * sizeof(float)) == 0);
	unsetenv("IMB_NN_WINOGRAD");
	for (int k = 0; k < 4; k++) {
		free(out[k]); free(dx[k]); free(dw[k]);
	}
	free(x); free(w); free(b); free(R); free(dw2);
}

/* A map whose Winograd buffers for one image would pass 24 MB stays on
 * im2col even when Winograd is forced: the same bits as with it off. */
static void test_winograd_big_map(void)
{
	int N = 1, C = 16, H = 420, W = 410, OC = 16;
	printf("conv2d %dx%d map, C=OC=%d: Winograd forced falls back to im2col\n", H, W, C);
	size_t nx = (size_t)N * C * H * W, nw = (size_t)OC * C * 9, no = (size_t)N * OC * H * W;
	float *x = frand(nx, -1, 1), *w = frand(nw, -1, 1), *o1 = fzeros(no), *o2 = fzeros(no);
	imb_nn_set_threads(2);
	setenv("IMB_NN_WINOGRAD", "2", 1);
	imb_nn_conv2d_forward(o1, x, w, NULL, N, C, H, W, OC, 3, 3, 1, 1);
	setenv("IMB_NN_WINOGRAD", "0", 1);
	imb_nn_conv2d_forward(o2, x, w, NULL, N, C, H, W, OC, 3, 3, 1, 1);
	unsetenv("IMB_NN_WINOGRAD");
	CHECK(memcmp(o1, o2, no * sizeof(float)) == 0);
	free(x); free(w); free(o1); free(o2);
}

/* ops called from inside pool tasks run serially there, each thread on
 * its own scratch: two convolutions (forward and backward, 12x12 maps
 * grouped, 16x16 maps with the stride-1 input gradient) at once give the
 * serial results */
#define NEST_N 3
#define NEST_C 3
#define NEST_OC 5
typedef struct { const float *x, *w, *dout; float *out[2], *dx[2], *dw[2]; int H; } nest_ctx;

static void nest_task(void *vc, int t)
{
	nest_ctx *c = vc;
	size_t nx = (size_t)NEST_N * NEST_C * c->H * c->H, no = (size_t)NEST_N * NEST_OC * c->H * c->H;
	imb_nn_conv2d_forward(c->out[t], c->x + t * nx, c->w, NULL, NEST_N, NEST_C, c->H, c->H,
	                      NEST_OC, 3, 3, 1, 1);
	imb_nn_conv2d_backward(c->dx[t], c->dw[t], NULL, c->dout + t * no, c->x + t * nx, c->w,
	                       NEST_N, NEST_C, c->H, c->H, NEST_OC, 3, 3, 1, 1, 0);
}

static void test_nested(int H)
{
	printf("conv2d forward and backward called inside 2 pool tasks at once, %dx%d\n", H, H);
	imb_nn_set_threads(2);
	size_t nx = (size_t)NEST_N * NEST_C * H * H, no = (size_t)NEST_N * NEST_OC * H * H;
	size_t nw = NEST_OC * NEST_C * 9;
	float *x = frand(2 * nx, -1, 1), *w = frand(nw, -1, 1), *dout = frand(2 * no, -1, 1);
	nest_ctx c = { x, w, dout, { fzeros(no), fzeros(no) }, { fzeros(nx), fzeros(nx) },
	               { fzeros(nw), fzeros(nw) }, H };
	imb_nn_parallel(2, nest_task, &c);
	for (int t = 0; t < 2; t++) {
		float *o = fzeros(no), *dx = fzeros(nx), *dw = fzeros(nw);
		imb_nn_set_threads(1);
		imb_nn_conv2d_forward(o, x + t * nx, w, NULL, NEST_N, NEST_C, H, H, NEST_OC, 3, 3, 1, 1);
		imb_nn_conv2d_backward(dx, dw, NULL, dout + t * no, x + t * nx, w, NEST_N, NEST_C, H, H,
		                       NEST_OC, 3, 3, 1, 1, 0);
		double *d = todouble(o, no);
		compare(t ? "task 1 forward vs serial" : "task 0 forward vs serial", c.out[t], d, no, 1e-6);
		free(d);
		d = todouble(dx, nx);
		compare(t ? "task 1 dinp vs serial" : "task 0 dinp vs serial", c.dx[t], d, nx, 1e-6);
		free(d);
		d = todouble(dw, nw);
		compare(t ? "task 1 dw vs serial" : "task 0 dw vs serial", c.dw[t], d, nw, 1e-6);
		free(d);
		free(o); free(dx); free(dw);
		free(c.out[t]); free(c.dx[t]); free(c.dw[t]);
	}
	free(x); free(w); free(dout);
}

int main(void)
{
	imb_rng_seed(&rng, 1);
	test_gemm(300, 100, 80, 2);                 /* big enough to split: by rows */
	test_gemm(90, 310, 77, 2);                  /* by columns */
	test_gemm(300, 100, 80, 0);
	for (int forced = 1; forced >= 0; forced--) {   /* direct loops, then OpenBLAS */
		setenv("IMB_NN_SMALL_GEMM", forced ? "1" : "0", 1);
		printf("small gemms, IMB_NN_SMALL_GEMM=%d:\n", forced);
		test_gemm(128, 64, 2, 0);           /* small: rows form (MLP input) */
		test_gemm(37, 45, 3, 2);            /* rows, tails of 8 and 1 */
		test_gemm(2, 64, 128, 1);           /* rows, tiny M */
		test_gemm(130, 2, 64, 0);           /* dots / columns (MLP head) */
		test_gemm(45, 5, 131, 2);           /* dots / columns with tails */
		test_gemm(64, 7, 16, 1);
		test_gemm(1, 1, 1, 0);
	}
	unsetenv("IMB_NN_SMALL_GEMM");
	/* nested calls on the Winograd path forced for any channel count,
	 * then with the default thresholds */
	setenv("IMB_NN_WINOGRAD", "2", 1);
	printf("Winograd forced (IMB_NN_WINOGRAD=2):\n");
	test_nested(12);
	test_nested(16);
	unsetenv("IMB_NN_WINOGRAD");
	test_winograd_vs_im2col(6, 32, 10, 11, 40, 1);
	test_winograd_vs_im2col(9, 64, 8, 8, 64, 1);
	test_winograd_vs_im2col(3, 33, 9, 7, 35, 0);
	test_winograd_vs_im2col(5, 16, 12, 12, 16, 1);
	test_winograd_vs_im2col(32, 260, 3, 3, 256, 1);   /* wide: from batch 32 */
	test_winograd_big_map();
	test_pool_churn();
	test_nested(12);
	test_nested(16);
	fflush(stdout);
	CHECK_DONE();
}
