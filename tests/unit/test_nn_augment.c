/* test_nn_augment.c: crops are shifted windows of the zero-padded image,
 * flips are mirrors, every offset and both flips occur about as often as
 * they should, a seed gives the same batch, u8 and f32 agree, and
 * normalisation and channel statistics match a double computation. */
#include "check.h"
#include "nn_augment.h"

#include <stdint.h>

#define N 400
#define C 3
#define H 6
#define W 5
#define PAD 2

static uint8_t x[N * C * H * W];

/* does out (C,H,W) equal inp shifted by (dy, dx) and mirrored if f? */
static int is_view(const uint8_t *out, const uint8_t *inp, int dy, int dx, int f)
{
	for (int c = 0; c < C; c++)
		for (int i = 0; i < H; i++)
			for (int j = 0; j < W; j++) {
				int si = i + dy - PAD, sj = (f ? W - 1 - j : j) + dx - PAD;
				int v = si >= 0 && si < H && sj >= 0 && sj < W ?
				        inp[(c * H + si) * W + sj] : 0;
				if (out[(c * H + i) * W + j] != v)
					return 0;
			}
	return 1;
}

int main(void)
{
	imb_rng r;
	imb_rng_seed(&r, 11);
	for (size_t i = 0; i < sizeof x; i++)
		x[i] = (uint8_t)(1 + imb_rng_below(&r, 255));   /* no zeros: padding shows */
	size_t img = (size_t)C * H * W;
	static uint8_t out[N * C * H * W], out2[N * C * H * W];

	/* no crop, no flip: a copy that draws nothing */
	imb_rng a, b;
	imb_rng_seed(&a, 1);
	imb_rng_seed(&b, 1);
	imb_nn_aug_crop_flip_u8(out, x, N, C, H, W, 0, 0, &a);
	CHECK(memcmp(out, x, sizeof x) == 0);
	CHECK(imb_rng_u64(&a) == imb_rng_u64(&b));

	/* crop and flip: each image is one view; count the views */
	imb_rng_seed(&a, 2);
	imb_nn_aug_crop_flip_u8(out, x, N, C, H, W, PAD, 1, &a);
	int hist[2 * PAD + 1][2 * PAD + 1][2] = {{{0}}}, unexplained = 0, flips = 0;
	for (int n = 0; n < N; n++) {
		int found = 0;
		for (int dy = 0; dy <= 2 * PAD && !found; dy++)
			for (int dx = 0; dx <= 2 * PAD && !found; dx++)
				for (int f = 0; f < 2 && !found; f++)
					if (is_view(out + n * img, x + n * img, dy, dx, f)) {
						hist[dy][dx][f]++;
						flips += f;
						found = 1;
					}
		unexplained += !found;
	}
	CHECK_EQ_INT(unexplained, 0);
	int never = 0;
	for (int dy = 0; dy <= 2 * PAD; dy++)
		for (int dx = 0; dx <= 2 * PAD; dx++)
			never += hist[dy][dx][0] + hist[dy][dx][1] == 0;
	printf("crop+flip: %d images, %d flipped, %d of %d offsets never drawn\n", N, flips,
	       never, (2 * PAD + 1) * (2 * PAD + 1));
	CHECK_EQ_INT(never, 0);
	CHECK_NEAR(flips / (double)N, 0.5, 4 * sqrt(0.25 / N));

	/* same seed, same batch; another seed, another batch */
	imb_rng_seed(&a, 2);
	imb_nn_aug_crop_flip_u8(out2, x, N, C, H, W, PAD, 1, &a);
	CHECK(memcmp(out, out2, sizeof out) == 0);
	imb_rng_seed(&a, 3);
	imb_nn_aug_crop_flip_u8(out2, x, N, C, H, W, PAD, 1, &a);
	CHECK(memcmp(out, out2, sizeof out) != 0);

	/* flip only: mirrors or copies, nothing shifted */
	imb_rng_seed(&a, 4);
	imb_nn_aug_crop_flip_u8(out2, x, N, C, H, W, 0, 1, &a);
	int mirrored = 0, bad = 0;
	for (int n = 0; n < N; n++) {
		int m = is_view(out2 + n * img, x + n * img, PAD, PAD, 1);
		mirrored += m;
		bad += !m && !is_view(out2 + n * img, x + n * img, PAD, PAD, 0);
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(mirrored > N / 4 && mirrored < 3 * N / 4);

	/* f32 does exactly what u8 does */
	static float xf[N * C * H * W], of[N * C * H * W];
	for (size_t i = 0; i < sizeof x; i++)
		xf[i] = x[i];
	imb_rng_seed(&a, 2);
	imb_nn_aug_crop_flip_f32(of, xf, N, C, H, W, PAD, 1, &a);
	int differ = 0;
	for (size_t i = 0; i < sizeof x; i++)
		differ += of[i] != out[i];
	CHECK_EQ_INT(differ, 0);

	/* normalisation and statistics */
	float mean[C], std[C];
	imb_nn_aug_channel_stats_u8(mean, std, x, N, C, H * W);
	double md = 0;
	for (int c = 0; c < C; c++) {
		double s = 0, q = 0, M = (double)N * H * W;
		for (int n = 0; n < N; n++)
			for (int i = 0; i < H * W; i++)
				s += x[(n * C + c) * H * W + i] / 255.0;
		for (int n = 0; n < N; n++)
			for (int i = 0; i < H * W; i++) {
				double d = x[(n * C + c) * H * W + i] / 255.0 - s / M;
				q += d * d;
			}
		CHECK_NEAR(mean[c], s / M, 1e-6);
		CHECK_NEAR(std[c], sqrt(q / M), 1e-6);
	}
	imb_nn_aug_normalize_u8(of, x, N, C, H * W, mean, std);
	double cm[C] = {0}, cq[C] = {0};
	for (int n = 0; n < N; n++)
		for (int c = 0; c < C; c++)
			for (int i = 0; i < H * W; i++) {
				size_t k = (size_t)(n * C + c) * H * W + i;
				double want = (x[k] / 255.0 - mean[c]) / std[c];
				md = fabs(of[k] - want) > md ? fabs(of[k] - want) : md;
				cm[c] += of[k];
				cq[c] += of[k] * of[k];
			}
	printf("normalise u8: max diff %.3g from (x/255 - mean)/std\n", md);
	CHECK(md < 1e-5);
	for (int c = 0; c < C; c++) {   /* normalised with its own stats: mean 0, std 1 */
		CHECK_NEAR(cm[c] / (N * H * W), 0, 1e-4);
		CHECK_NEAR(cq[c] / (N * H * W), 1, 1e-4);
	}
	for (size_t i = 0; i < sizeof x; i++)
		xf[i] = x[i] / 255.0f;
	imb_nn_aug_normalize_f32(xf, xf, N, C, H * W, mean, std);   /* in place */
	md = 0;
	for (size_t i = 0; i < sizeof x; i++)
		md = fabs(xf[i] - of[i]) > md ? fabs(xf[i] - of[i]) : md;
	printf("normalise f32 in place vs u8: max diff %.3g\n", md);
	CHECK(md < 1e-5);
	uint8_t one[2] = { 255, 0 };
	float on[2], m1[1] = { 0.5f }, s1[1] = { 0.25f };
	imb_nn_aug_normalize_u8(on, one, 2, 1, 1, m1, s1);
	CHECK_NEAR(on[0], 2, 1e-6);
	CHECK_NEAR(on[1], -2, 1e-6);
	imb_nn_aug_normalize_u8(on, one, 2, 1, 1, NULL, NULL);
	CHECK_NEAR(on[0], 1, 1e-7);
	CHECK_DONE();
}
