/* rng.h: the project's one random generator (xoshiro256**, seeded by
 * splitmix64). Same seed, same sequence, on every machine. */
#ifndef IMB_RNG_H
#define IMB_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct { uint64_t s[4]; } imb_rng;

void imb_rng_seed(imb_rng *r, uint64_t seed);
uint64_t imb_rng_u64(imb_rng *r);
/* uniform in [0, 1) with 53 random bits */
double imb_rng_uniform(imb_rng *r);
/* uniform integer in [0, n), unbiased; n > 0 */
uint64_t imb_rng_below(imb_rng *r, uint64_t n);
/* standard normal (Box-Muller, no cached second value) */
double imb_rng_normal(imb_rng *r);
/* Fisher-Yates shuffle of n size_t indices */
void imb_rng_shuffle(imb_rng *r, size_t *idx, size_t n);

#ifdef __cplusplus
}
#endif

#endif
