/* util.c: allocation, errors, number formatting. */
#include "util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int imb_double_to_i64(double v, int64_t lo, int64_t hi, int64_t *out)
{
	/* 2^63 is exact as a double; every double below it in magnitude
	 * truncates to an int64 without overflow */
	if (!(v > -9223372036854775808.0 && v < 9223372036854775808.0))
		return -1;
	int64_t t = (int64_t)v;
	if (t < lo || t > hi)
		return -1;
	*out = t;
	return 0;
}

long imb_utf8_bad(const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i = 0;
	while (i < len) {
		unsigned char b = s[i];
		size_t n;
		uint32_t cp;
		if (b < 0x80) {
			i++;
			continue;
		} else if (b >= 0xc2 && b <= 0xdf) {
			n = 1, cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			n = 2, cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			n = 3, cp = b & 0x07;
		} else {
			return (long)i;
		}
		if (len - i <= n)
			return (long)i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (long)i;
		i += n + 1;
	}
	return -1;
}

/* length of the valid UTF-8 sequence at s[0..len), or 0 when s[0]
 * starts none */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
	if (!n || n > len)
		return 0;
	return imb_utf8_bad(s, n) < 0 ? n : 0;
}

char *imb_utf8_escape(const char *s)
{
	size_t len = strlen(s), o = 0;
	char *out = imb_xmalloc(4 * len + 1);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq((const unsigned char *)s + i, len - i);
		if (n) {
			memcpy(out + o, s + i, n);
			o += n, i += n;
		} else {
			o += (size_t)sprintf(out + o, "\\x%02x", (unsigned char)s[i++]);
		}
	}
	out[o] = 0;
	return out;
}

void imb_write_tsv_str(FILE *fp, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		unsigned char c = u[i];
		size_t n = utf8_seq(u + i, len - i);
		if (c == '\\')
			fputs("\\\\", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\r')
			fputs("\\r", fp);
		else if (!n || c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else {
			fwrite(s + i, 1, n, fp);
			i += n;
			continue;
		}
		i++;
	}
}

void imb_write_tsv(FILE *fp, const char *s)
{
	if (s)
		imb_write_tsv_str(fp, s, strlen(s));
}

void imb_write_csv(FILE *fp, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

void imb_write_field(FILE *fp, char sep, const char *s)
{
	if (sep == ',')
		imb_write_csv(fp, s);
	else
		imb_write_tsv(fp, s);
}

void imb_write_json_str(FILE *fp, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	fputc('"', fp);
	for (size_t i = 0; i < len;) {
		unsigned char c = u[i];
		size_t n = utf8_seq(u + i, len - i);
		if (c == '"')
			fputs("\\\"", fp);
		else if (c == '\\')
			fputs("\\\\", fp);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c == '\r')
			fputs("\\r", fp);
		else if (!n)
			fprintf(fp, "\\\\x%02x", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else {
			fwrite(s + i, 1, n, fp);
			i += n;
			continue;
		}
		i++;
	}
	fputc('"', fp);
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

void imb_widen_pipe(int fd)
{
#ifdef F_SETPIPE_SZ
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#endif
}
