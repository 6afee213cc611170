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
 * a 64-bit counter (a stream or step number):
 *   block b = i >> 1 (two elements per Philox block)
 *   key     = (lo32(seed), hi32(seed))
 *   counter = (lo32(b), hi32(b), lo32(counter), hi32(counter))
 *   (r0, r1, r2, r3) = Philox4x32-10(counter, key)
 *   u1 = ((((uint64)r1 << 32 | r0) >> 12) + 0.5) * 2^-52   in (0, 1)
 *   u2 =  (((uint64)r3 << 32 | r2) >> 11) * 2^-53          in [0, 1)
 * (both exact in double)
 *   rho = sqrt(-2 * log(u1)),  theta = (2 pi) * u2   (2 pi the double
 *   nearest, 0x1.921fb54442d18p+2)
 *   z_i = rho * cos(theta) for even i, rho * sin(theta) for odd i
 * all in double (Box-Muller), each operation rounded on its own (no
 * fused multiply-add: under nvcc use __dmul_rn/__dadd_rn where a
 * product meets a sum). The fill writes x_i = (float)(mean + std * z_i),
 * mean and std widened to double, the product and the sum each rounded
 * in double, then rounded once to float.
 *
 * So z_i depends only on (seed, counter, i), not on how the elements
 * are split over threads or GPU blocks. The integer part is exact
 * everywhere; log, sin and cos are the platform's double functions
 * (glibc's and CUDA's are both within an ulp or two of the true value),
 * so a CPU and a GPU give the same float unless a double result falls
 * within a couple of double ulps of a float rounding boundary. Measured
 * (an H200, CUDA 13, a kernel calling imb_philox_normal and rounding as
 * above, against glibc on the host): 1 of 2^28 floats differed, by one
 * ulp, a value near 0 where mean + std z cancels. Bit-for-bit agreement
 * everywhere would need log, sin and cos written out in +, * and sqrt. */
#ifndef IMB_PHILOX_H
#define IMB_PHILOX_H

#include <math.h>
#include <stdint.h>

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

/* the Box-Muller pair of block b: z[0] for element 2b, z[1] for 2b + 1 */
IMB_PHILOX_FN void imb_philox_normal2(double z[2], uint64_t seed, uint64_t counter,
                                      uint64_t b)
{
	uint32_t c[4] = { (uint32_t)b, (uint32_t)(b >> 32), (uint32_t)counter,
	                  (uint32_t)(counter >> 32) };
	const uint32_t k[2] = { (uint32_t)seed, (uint32_t)(seed >> 32) };
	imb_philox4x32_10(c, k);
	double u1 = ((double)((((uint64_t)c[1] << 32) | c[0]) >> 12) + 0.5) * 0x1p-52;
	double u2 = (double)((((uint64_t)c[3] << 32) | c[2]) >> 11) * 0x1p-53;
	double rho = sqrt(-2 * log(u1)), theta = 0x1.921fb54442d18p+2 * u2;
	z[0] = rho * cos(theta);
	z[1] = rho * sin(theta);
}

/* z_i of the definition above */
IMB_PHILOX_FN double imb_philox_normal(uint64_t seed, uint64_t counter, uint64_t i)
{
	double z[2];
	imb_philox_normal2(z, seed, counter, i >> 1);
	return z[i & 1];
}

#endif
