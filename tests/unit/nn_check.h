/* nn_check.h: what the engine's unit tests share (after check.h): random
 * and zeroed float arrays from one generator, a float result against a
 * double reference, and reading and comparing the PyTorch dumps of
 * tests/nn_torch_ref.py (tests/nn_ref.bats). Each function is static:
 * a test uses what it needs. */
#ifndef IMB_NN_CHECK_H
#define IMB_NN_CHECK_H

#include "rng.h"

#include <math.h>
#include <stdint.h>
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

/* grads (P) against NAME.grads.f32, each parameter tensor (sizes from
 * NAME.sizes.i32) on its own scale: within REF_TOL of its largest
 * reference value */
static NN_CHECK_UNUSED void ref_compare_grads(const char *name, const float *grads, size_t P)
{
	char nm[4096];
	snprintf(nm, sizeof nm, "%s/%s.sizes.i32", ref_dir, name);
	FILE *fp = fopen(nm, "rb");
	int32_t sizes[512];
	size_t ns = fp ? fread(sizes, 4, sizeof sizes / sizeof *sizes, fp) : 0;
	if (fp)
		fclose(fp);
	CHECK(ns > 0);
	snprintf(nm, sizeof nm, "%s.grads", name);
	float *want = rf(nm, P);
	double worst = 0;
	size_t off = 0, worst_at = 0;
	int bad = 0;
	for (size_t k = 0; k < ns; k++) {
		double md = 0, mx = 0;
		for (size_t i = off; i < off + (size_t)sizes[k] && i < P; i++) {
			md = fabs(grads[i] - want[i]) > md ? fabs(grads[i] - want[i]) : md;
			mx = fabs(want[i]) > mx ? fabs(want[i]) : mx;
		}
		double rel = mx > 0 ? md / mx : md;
		if (rel > worst) {
			worst = rel;
			worst_at = k;
		}
		bad += !(md <= REF_TOL * mx) && !(mx == 0 && md == 0);
		off += sizes[k];
	}
	CHECK_EQ_INT(off, P);
	printf("  %-44s %zu tensors, worst relative diff %.3g (tensor %zu)\n",
	       "parameter gradients", ns, worst, worst_at);
	check_count++;
	if (bad) {
		check_failed++;
		fprintf(stderr, "FAIL %s: %d parameter gradients off by more than %g relative\n",
		        name, bad, REF_TOL);
	}
	free(want);
}

#endif
