/* rng.c: xoshiro256** (Blackman and Vigna), seeded with splitmix64. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void imb_rng_seed(imb_rng *r, uint64_t seed)
{
	for (int k = 0; k < 4; k++)
		r->s[k] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t imb_rng_u64(imb_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double imb_rng_uniform(imb_rng *r)
{
	return (double)(imb_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t imb_rng_below(imb_rng *r, uint64_t n)
{
	/* rejection on the top of the range keeps it unbiased */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = imb_rng_u64(r);
	while (x >= limit);
	return x % n;
}

double imb_rng_normal(imb_rng *r)
{
	double u1 = 1.0 - imb_rng_uniform(r), u2 = imb_rng_uniform(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void imb_rng_shuffle(imb_rng *r, size_t *idx, size_t n)
{
	for (size_t k = n; k > 1; k--) {
		size_t j = (size_t)imb_rng_below(r, k);
		size_t t = idx[k - 1];
		idx[k - 1] = idx[j];
		idx[j] = t;
	}
}
