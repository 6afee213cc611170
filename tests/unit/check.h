/* check.h: the unit tests' few macros. Every failed check prints where
 * and why; the test binary exits non-zero if any check failed. */
#ifndef IMB_CHECK_H
#define IMB_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed, check_count;

#define CHECK(cond) do { check_count++; if (!(cond)) { check_failed++; \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); check_count++; \
	if (a_ != b_) { check_failed++; fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", \
	__FILE__, __LINE__, #a, a_, b_); } } while (0)
#define CHECK_NEAR(a, b, tol) do { double a_ = (a), b_ = (b); check_count++; \
	if (!(fabs(a_ - b_) <= (tol))) { check_failed++; fprintf(stderr, \
	"%s:%d: %s == %.10g, expected %.10g (tol %g, diff %g)\n", __FILE__, __LINE__, #a, a_, b_, \
	(double)(tol), fabs(a_ - b_)); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); check_count++; \
	if (!a_ || strcmp(a_, b_)) { check_failed++; fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
	__FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_); } } while (0)
/* substring */
#define CHECK_HAS(hay, needle) do { const char *h_ = (hay); check_count++; \
	if (!h_ || !strstr(h_, needle)) { check_failed++; fprintf(stderr, \
	"%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, h_ ? h_ : "(null)", needle); } } while (0)

#define CHECK_DONE() do { fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__, check_count, \
	check_failed); return check_failed ? 1 : 0; } while (0)

#endif
