/* philox.h: Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel
 * random numbers: as easy as 1, 2, 3", SC 2011; Random123's philox4x32
 * with 10 rounds) and the normal deviates the engine's fill_normal op
 * draws from it. Header only, so the CPU backend, the reference backend
 * and a CUDA kernel compile the same definition (under nvcc the
 * functions are __host__ __device__).
 *
 * Philox4x32-10: counter c = (c0, c1, c2, c3), key k = (k0, k1), all
 * uint32. Ten rounds; a round is, with M0 = 0xD2511F53, M1 = 0xCD9E8D57
 * and hi/lo the halves of a 32x32 -> 64-bit product,
 *   (c0, c1, c2, c3) <- (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2),
 *                        hi(M0 c0) ^ c3 ^ k1, lo(M0 c0))
 * and between rounds the key is bumped: k0 += 0x9E3779B9, k1 +=
 * 0xBB67AE85 (mod 2^32; the first round uses the key as given). The
 * output is the final c. Known answers (Random123's kat_vectors, checked
 * by test_nn_backend): counter 0, key 0 -> 6627e8d5 e169c58d bc57ac4c
 * 9b00dbd8.
 *
 * The normal deviate z_i for element i of a fill with a 64-bit seed and
 * a 64-bit counter (a stream or step number), Box-Muller in double:
 *   block b = i >> 1 (two elements per Philox block)
 *   key     = (lo32(seed), hi32(seed))
 *   counter = (lo32(b), hi32(b), lo32(counter), hi32(counter))
 *   (r0, r1, r2, r3) = Philox4x32-10(counter, key)
 *   v = 2 ((((uint64)r1 << 32) | r0) >> 12) + 1   odd, below 2^53:
 *       u1 = v 2^-53 in (0, 1)
 *   j = (((uint64)r3 << 32) | r2) >> 11            below 2^53:
 *       u2 = j 2^-53 in [0, 1)
 *   rho = sqrt(-2 log u1),  theta = 2 pi u2
 *   z_i = rho cos(theta) for even i, rho sin(theta) for odd i
 * and the fill writes x_i = (float)(mean + std z_i), the product and the
 * sum in double, then rounded once to float.
 *
 * log, cos and sin are not the platform's (glibc's and CUDA's differ in
 * the last bit now and then) but the functions below, made of +, -, *,
 * / and sqrt in double, each rounded on its own, in a fixed order; so
 * the same operations give the same bits on any IEEE machine. Under
 * nvcc the device code goes through __dadd_rn, __dmul_rn, __ddiv_rn and
 * __dsqrt_rn (no fused multiply-add); the C side must be compiled
 * without FMA contraction (x86-64 without -mfma, as the project builds).
 *   log u1: e = the index of v's top bit, m = v / 2^e in [1, 2), halved
 *     (e + 1) when above sqrt 2; s = (m - 1) / (m + 1), log u1 =
 *     (e - 53) ln 2 + 2 s P(s^2), P the series of atanh(s)/s to s^24
 *     (Horner, coefficients 1/(2k+1) rounded to double).
 *   cos, sin of 2 pi u2: the quadrant q = ((j + 2^50) >> 51) & 3 and
 *     the remainder f = (((j + 2^50) & (2^51 - 1)) - 2^50) 2^-51 in
 *     [-1/2, 1/2) (both exact), a = f (pi/2); Taylor series of sin to
 *     a^21 and cos to a^20 (Horner in a^2, coefficients (-1)^k/n!
 *     rounded to double); then by quadrant (cos, sin) = (c, s), (-s, c),
 *     (-c, -s), (s, -c).
 * The code below is the definition. z_i depends only on (seed, counter,
 * i), not on how the elements are split over threads or GPU blocks.
 * Checked (an H200, CUDA 13, a kernel calling imb_philox_normal against
 * the host): the same floats, all 2^28 of them. The functions agree with
 * glibc's log, cos and sin to a few double ulps (test_nn_backend). */
#ifndef IMB_PHILOX_H
#define IMB_PHILOX_H

#include <math.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef IMB_PHILOX_FN
#ifdef __CUDACC__
#define IMB_PHILOX_FN static inline __host__ __device__
#else
#define IMB_PHILOX_FN static inline
#endif
#endif

/* c = Philox4x32-10(c, k), in place */
IMB_PHILOX_FN void imb_philox4x32_10(uint32_t c[4], const uint32_t k[2])
{
	uint32_t k0 = k[0], k1 = k[1];
	for (int r = 0; r < 10; r++) {
		if (r) {
			k0 += 0x9E3779B9u;
			k1 += 0xBB67AE85u;
		}
		uint64_t p0 = (uint64_t)0xD2511F53u * c[0], p1 = (uint64_t)0xCD9E8D57u * c[2];
		uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0, n1 = (uint32_t)p1;
		uint32_t n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1, n3 = (uint32_t)p0;
		c[0] = n0;
		c[1] = n1;
		c[2] = n2;
		c[3] = n3;
	}
}

/* double arithmetic rounded one operation at a time */
#ifdef __CUDA_ARCH__
#define IMB_PX_ADD(a, b) __dadd_rn(a, b)
#define IMB_PX_MUL(a, b) __dmul_rn(a, b)
#define IMB_PX_DIV(a, b) __ddiv_rn(a, b)
#define IMB_PX_SQRT(a) __dsqrt_rn(a)
#else
#define IMB_PX_ADD(a, b) ((a) + (b))
#define IMB_PX_MUL(a, b) ((a) * (b))
#define IMB_PX_DIV(a, b) ((a) / (b))
#define IMB_PX_SQRT(a) sqrt(a)
#endif
/* p = p x + c, one Horner step */
#define IMB_PX_H(p, x, c) ((p) = IMB_PX_ADD(IMB_PX_MUL(p, x), c))

/* log(v 2^-53) for v odd in [1, 2^53) */
IMB_PHILOX_FN double imb_philox_log53(uint64_t v)
{
	int e = 0;
	uint64_t t = v;
	for (int sh = 32; sh; sh >>= 1)
		if (t >> sh) {
			t >>= sh;
			e += sh;
		}
	double m = IMB_PX_DIV((double)v, (double)((uint64_t)1 << e));     /* exact */
	if (m > 0x1.6a09e667f3bcdp+0) {
		m = IMB_PX_MUL(m, 0.5);
		e++;
	}
	double s = IMB_PX_DIV(IMB_PX_ADD(m, -1.0), IMB_PX_ADD(m, 1.0));
	double s2 = IMB_PX_MUL(s, s), p = 0x1.47ae147ae147bp-5;          /* 1/25 */
	IMB_PX_H(p, s2, 0x1.642c8590b2164p-5);
	IMB_PX_H(p, s2, 0x1.8618618618618p-5);
	IMB_PX_H(p, s2, 0x1.af286bca1af28p-5);
	IMB_PX_H(p, s2, 0x1.e1e1e1e1e1e1ep-5);
	IMB_PX_H(p, s2, 0x1.1111111111111p-4);
	IMB_PX_H(p, s2, 0x1.3b13b13b13b14p-4);
	IMB_PX_H(p, s2, 0x1.745d1745d1746p-4);
	IMB_PX_H(p, s2, 0x1.c71c71c71c71cp-4);
	IMB_PX_H(p, s2, 0x1.2492492492492p-3);
	IMB_PX_H(p, s2, 0x1.999999999999ap-3);
	IMB_PX_H(p, s2, 0x1.5555555555555p-2);
	IMB_PX_H(p, s2, 1.0);
	return IMB_PX_ADD(IMB_PX_MUL((double)(e - 53), 0x1.62e42fefa39efp-1),
	                  IMB_PX_MUL(IMB_PX_MUL(2.0, s), p));
}

/* cs[0] = cos, cs[1] = sin of 2 pi j 2^-53, j below 2^53 */
IMB_PHILOX_FN void imb_philox_sincos53(double cs[2], uint64_t j)
{
	uint64_t h = j + ((uint64_t)1 << 50);
	int q = (int)(h >> 51) & 3;
	double f = IMB_PX_MUL((double)((int64_t)(h & (((uint64_t)1 << 51) - 1)) -
	                               ((int64_t)1 << 50)), 0x1p-51);
	double a = IMB_PX_MUL(f, 0x1.921fb54442d18p+0), a2 = IMB_PX_MUL(a, a);
	double sp = 0x1.71b8ef6dcf572p-66, cp = 0x1.e542ba4020225p-62;
	IMB_PX_H(sp, a2, -0x1.2f49b46814157p-57);
	IMB_PX_H(sp, a2, 0x1.952c77030ad4ap-49);
	IMB_PX_H(sp, a2, -0x1.ae7f3e733b81fp-41);
	IMB_PX_H(sp, a2, 0x1.6124613a86d09p-33);
	IMB_PX_H(sp, a2, -0x1.ae64567f544e4p-26);
	IMB_PX_H(sp, a2, 0x1.71de3a556c734p-19);
	IMB_PX_H(sp, a2, -0x1.a01a01a01a01ap-13);
	IMB_PX_H(sp, a2, 0x1.1111111111111p-7);
	IMB_PX_H(sp, a2, -0x1.5555555555555p-3);
	IMB_PX_H(sp, a2, 1.0);
	IMB_PX_H(cp, a2, -0x1.6827863b97d97p-53);
	IMB_PX_H(cp, a2, 0x1.ae7f3e733b81fp-45);
	IMB_PX_H(cp, a2, -0x1.93974a8c07c9dp-37);
	IMB_PX_H(cp, a2, 0x1.1eed8eff8d898p-29);
	IMB_PX_H(cp, a2, -0x1.27e4fb7789f5cp-22);
	IMB_PX_H(cp, a2, 0x1.a01a01a01a01ap-16);
	IMB_PX_H(cp, a2, -0x1.6c16c16c16c17p-10);
	IMB_PX_H(cp, a2, 0x1.5555555555555p-5);
	IMB_PX_H(cp, a2, -0.5);
	IMB_PX_H(cp, a2, 1.0);
	double s = IMB_PX_MUL(a, sp), c = cp;
	cs[0] = q == 0 ? c : q == 1 ? -s : q == 2 ? -c : s;
	cs[1] = q == 0 ? s : q == 1 ? c : q == 2 ? -s : -c;
}

/* the Box-Muller pair of block b: z[0] for element 2b, z[1] for 2b + 1 */
IMB_PHILOX_FN void imb_philox_normal2(double z[2], uint64_t seed, uint64_t counter,
                                      uint64_t b)
{
	uint32_t c[4] = { (uint32_t)b, (uint32_t)(b >> 32), (uint32_t)counter,
	                  (uint32_t)(counter >> 32) };
	const uint32_t k[2] = { (uint32_t)seed, (uint32_t)(seed >> 32) };
	imb_philox4x32_10(c, k);
	uint64_t v = 2 * (((((uint64_t)c[1] << 32) | c[0]) >> 12)) + 1;
	uint64_t j = (((uint64_t)c[3] << 32) | c[2]) >> 11;
	double rho = IMB_PX_SQRT(IMB_PX_MUL(-2.0, imb_philox_log53(v))), cs[2];
	imb_philox_sincos53(cs, j);
	z[0] = IMB_PX_MUL(rho, cs[0]);
	z[1] = IMB_PX_MUL(rho, cs[1]);
}

/* x_i = (float)(mean + std z) as the fill writes it */
IMB_PHILOX_FN float imb_philox_affine(double mean, double std, double z)
{
	return (float)IMB_PX_ADD(mean, IMB_PX_MUL(std, z));
}

/* z_i of the definition above */
IMB_PHILOX_FN double imb_philox_normal(uint64_t seed, uint64_t counter, uint64_t i)
{
	double z[2];
	imb_philox_normal2(z, seed, counter, i >> 1);
	return z[i & 1];
}

#ifdef __cplusplus
}
#endif

#endif
