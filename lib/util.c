/* util.c: allocation, errors, number formatting. */
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void (*oom_hook)(void);

void imb_set_oom_hook(void (*fn)(void))
{
	oom_hook = fn;
}

static void oom(void)
{
	if (oom_hook)
		oom_hook();     /* a tool's: names it, removes partial outputs, exits */
	fputs("imb: out of memory\n", stderr);
	exit(1);
}

void *imb_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *imb_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *imb_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *imb_xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		oom();
	return d;
}

void *imb_xmalloc_aligned(size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, 64, n ? n : 64))
		oom();
	return p;
}

int imb_mul_overflow(size_t a, size_t b, size_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

static _Thread_local char errbuf[1024];

int imb_seterr(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	return -1;
}

int imb_preferr(const char *fmt, ...)
{
	char old[sizeof errbuf], pre[256];
	memcpy(old, errbuf, sizeof old);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	snprintf(errbuf, sizeof errbuf, "%s%s", pre, old);
	return -1;
}

const char *imb_error(void)
{
	return errbuf[0] ? errbuf : "unknown error";
}

void imb_fmt_double(char *buf, size_t size, double f)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	/* a locale with ',' decimals never applies: we never call setlocale,
	 * but guard anyway */
	for (char *c = buf; *c; c++)
		if (*c == ',')
			*c = '.';
}

void imb_fprint_double(FILE *fp, double f)
{
	char buf[64];
	imb_fmt_double(buf, sizeof buf, f);
	fputs(buf, fp);
}

double imb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}
