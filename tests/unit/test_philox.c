/* test_philox.c: Philox4x32-10 against Random123's known-answer vectors,
 * philox.h's own log, cos and sin against the C library's, and the
 * normal deviates' first two moments. (fill_normal on every backend
 * against the definition: test_nn_backend.) */
#include "check.h"
#include "philox.h"
#include "rng.h"
#include "util.h"

#include <stdint.h>

static imb_rng rng;

int main(void)
{
	imb_rng_seed(&rng, 1);
	/* Random123's kat_vectors, philox4x32 with 10 rounds: counter, key,
	 * expected output */
	static const uint32_t kat[][10] = {
		{ 0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 },
		{ 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
		  0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd },
		{ 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
		  0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 },
	};
	for (size_t k = 0; k < IMB_LEN(kat); k++) {
		uint32_t c[4] = { kat[k][0], kat[k][1], kat[k][2], kat[k][3] };
		const uint32_t key[2] = { kat[k][4], kat[k][5] };
		imb_philox4x32_10(c, key);
		printf("philox4x32-10 known answer %zu: %08x %08x %08x %08x\n", k, c[0], c[1], c[2], c[3]);
		for (int i = 0; i < 4; i++)
			CHECK_EQ_INT(c[i], kat[k][6 + i]);
	}
	/* philox.h's own log and sincos against the C library's: a few
	 * double ulps apart, over random arguments and the extremes */
	double elog = 0, etrig = 0;
	for (int i = 0; i < 200000; i++) {
		uint64_t r = imb_rng_u64(&rng);
		uint64_t v = i == 0 ? 1 : i == 1 ? ((uint64_t)1 << 53) - 1 : (r >> (11 + i % 50)) | 1;
		uint64_t j = i == 0 ? 0 : i == 1 ? ((uint64_t)1 << 53) - 1 : r >> 11;
		double want = log((double)v * 0x1p-53), cs[2], th = 0x1.921fb54442d18p+2 * (j * 0x1p-53);
		elog = fmax(elog, fabs(imb_philox_log53(v) - want) / fmax(1e-300, fabs(want)));
		imb_philox_sincos53(cs, j);
		etrig = fmax(etrig, fmax(fabs(cs[0] - cos(th)), fabs(cs[1] - sin(th))));
	}
	printf("philox log: max relative error %.3g; cos, sin: max error %.3g\n", elog, etrig);
	CHECK(elog < 1e-15);
	CHECK(etrig < 1e-15);
	/* the deviates: mean 0, variance 1 over many draws */
	double s = 0, q = 0;
	int n = 200000;
	for (int i = 0; i < n; i++) {
		double z = imb_philox_normal(42, 3, (uint64_t)i);
		s += z;
		q += z * z;
	}
	printf("philox normal: mean %.4f, variance %.4f over %d\n", s / n, q / n - s * s / n / n, n);
	CHECK(fabs(s / n) < 0.01);
	CHECK(fabs(q / n - 1) < 0.02);
	CHECK_DONE();
}
