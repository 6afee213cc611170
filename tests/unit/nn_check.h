/* nn_check.h: what the engine's unit tests share (after check.h): random
 * and zeroed float arrays from one generator, a float result against a
 * double reference, and reading and comparing the PyTorch dumps of
 * tests/nn_torch_ref.py (tests/nn_ref.bats). Each function is static:
 * a test uses what it needs. */
#ifndef IMB_NN_CHECK_H
#define IMB_NN_CHECK_H

#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define NN_CHECK_UNUSED __attribute__((unused))

static imb_rng rng;

/* n floats uniform in [lo, hi) from rng; caller frees */
static NN_CHECK_UNUSED float *frand(size_t n, double lo, double hi)
{
	float *x = malloc((n ? n : 1) * sizeof(float));
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(lo + (hi - lo) * imb_rng_uniform(&rng));
	return x;
}

static NN_CHECK_UNUSED float *fzeros(size_t n)
{
	return calloc(n ? n : 1, sizeof(float));
}

static NN_CHECK_UNUSED double *todouble(const float *x, size_t n)
{
	double *d = malloc((n ? n : 1) * sizeof(double));
	for (size_t i = 0; i < n; i++)
		d[i] = x[i];
	return d;
}

/* Compare got (float) with want (double): max |got - want| relative to
 * max(1, max |want|) must be <= tol; want must not be all zero. NaN in
 * want marks an entry not sampled (fd_grad). */
static NN_CHECK_UNUSED void compare(const char *what, const float *got, const double *want,
                                    size_t n, double tol)
{
	double md = 0, mx = 0;
	for (size_t i = 0; i < n; i++) {
		if (isnan(want[i]))
			continue;
		double d = fabs(got[i] - want[i]);
		if (!(d <= md))
			md = d;
		if (fabs(want[i]) > mx)
			mx = fabs(want[i]);
	}
	double rel = md / (mx > 1 ? mx : 1);
	printf("  %-44s max diff %.3g (max |ref| %.3g)\n", what, md, mx);
	check_count++;
	if (!(rel <= tol) || mx == 0) {
		check_failed++;
		fprintf(stderr, "FAIL %s: max diff %g, relative %g > %g (max |ref| %g)\n",
		        what, md, rel, tol, mx);
	}
}

/* ---- PyTorch dumps: DIR/NAME.f32 or .i32, raw little-endian ---- */

/* outputs and gradients agree to REF_TOL relative to the largest
 * reference value */
#define REF_TOL 1e-4

static const char *ref_dir;

/* exactly n 4-byte values of ref_dir/NAME.EXT, or exit 1 */
static NN_CHECK_UNUSED void *ref_read(const char *name, const char *ext, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.%s", ref_dir, name, ext);
	FILE *fp = fopen(path, "rb");
	void *buf = malloc(n * 4 + 4);
	size_t got = fp ? fread(buf, 4, n + 1, fp) : 0;
	if (!fp || got != n) {
		fprintf(stderr, "%s: %s (expected %zu values, read %zu)\n", path,
		        fp ? "wrong size" : "cannot open", n, got);
		exit(1);
	}
	fclose(fp);
	return buf;
}

static NN_CHECK_UNUSED float *rf(const char *name, size_t n)
{
	return ref_read(name, "f32", n);
}

/* got (n) against the dump FILE.f32; a failure is "FAIL [WHO ]WHAT vs
 * PyTorch" (who may be NULL) */
static NN_CHECK_UNUSED void ref_compare_who(const char *who, const char *what, const float *got,
                                            const char *file, size_t n)
{
	float *want = rf(file, n);
	double md = 0, mx = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)got[i] - want[i]);
		md = d > md ? d : md;
		mx = fabs(want[i]) > mx ? fabs(want[i]) : mx;
	}
	printf("  %-44s max diff %.3g, relative %.3g\n", what, md, mx > 0 ? md / mx : md);
	check_count++;
	if (!(md <= REF_TOL * mx) || mx == 0) {
		check_failed++;
		fprintf(stderr, "FAIL %s%s%s vs PyTorch: max diff %g, max |ref| %g\n", who ? who : "",
		        who ? " " : "", what, md, mx);
	}
	free(want);
}

static NN_CHECK_UNUSED void ref_compare(const char *what, const float *got, const char *file,
                                        size_t n)
{
	ref_compare_who(NULL, what, got, file, n);
}

#endif
