/* ubjson.c: checking and reading Universal Binary JSON (ubjson.h). */
#include "ubjson.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int ubj_int(imb_ubj *u, int marker, int64_t *out)
{
	static const char mk[] = "iUIlL";
	static const int sz[] = {1, 1, 2, 4, 8};
	const char *q = marker ? strchr(mk, marker) : NULL;
	if (!q)
		return -1;
	int n = sz[q - mk];
	if (u->end - u->p < n)
		return -1;
	uint64_t v = 0;
	for (int k = 0; k < n; k++)
		v = v << 8 | u->p[k];
	u->p += n;
	if (marker == 'i')
		*out = (int8_t)v;
	else if (marker == 'I')
		*out = (int16_t)v;
	else if (marker == 'l')
		*out = (int32_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

int imb_ubj_len(imb_ubj *u, int64_t *n)
{
	if (u->p >= u->end)
		return -1;
	int m = *u->p++;
	/* every length or count is at most the bytes left (packed arrays
	 * check their own byte count) */
	return ubj_int(u, m, n) < 0 || *n < 0 || *n > ((int64_t)1 << 40) ? -1 : 0;
}

/* the size of a fixed-size scalar marker, else -1 */
static int ubj_fixed(int m)
{
	switch (m) {
	case 'Z': case 'N': case 'T': case 'F': return 0;
	case 'i': case 'U': case 'C': return 1;
	case 'I': return 2;
	case 'l': case 'd': return 4;
	case 'L': case 'D': return 8;
	}
	return -1;
}

static int ubj_container(imb_ubj *u, int obj, int depth)
{
	int type = 0;
	int64_t count = -1;
	if (u->p < u->end && *u->p == '$') {
		if (u->end - u->p < 2)
			return -1;
		type = u->p[1];
		u->p += 2;
		if (u->p >= u->end || *u->p != '#')
			return -1;
	}
	if (u->p < u->end && *u->p == '#') {
		u->p++;
		if (imb_ubj_len(u, &count) < 0)
			return -1;
	}
	if (type && !obj && ubj_fixed(type) > 0) { /* a packed array: skip it whole */
		int64_t need = count * ubj_fixed(type);
		if (need > u->end - u->p)
			return -1;
		u->p += need;
		return 0;
	}
	if (count > u->end - u->p) /* other items take a byte at least */
		return -1;
	for (int64_t i = 0; count < 0 || i < count; i++) {
		if (u->p >= u->end)
			return -1;
		if (count < 0 && *u->p == (obj ? '}' : ']')) {
			u->p++;
			return 0;
		}
		if (obj) {
			int64_t kl;
			if (imb_ubj_len(u, &kl) < 0 || kl > u->end - u->p)
				return -1;
			u->p += kl;
		}
		int m = type;
		if (!m) {
			if (u->p >= u->end)
				return -1;
			m = *u->p++;
		}
		if (imb_ubj_value(u, m, depth + 1) < 0)
			return -1;
	}
	return 0;
}

int imb_ubj_value(imb_ubj *u, int m, int depth)
{
	if (depth > 64)
		return -1;
	int fixed = ubj_fixed(m);
	if (fixed >= 0) {
		if (u->end - u->p < fixed)
			return -1;
		u->p += fixed;
		return 0;
	}
	if (m == 'S' || m == 'H') {
		int64_t n;
		if (imb_ubj_len(u, &n) < 0 || n > u->end - u->p)
			return -1;
		u->p += n;
		return 0;
	}
	if (m == '[' || m == '{')
		return ubj_container(u, m == '{', depth);
	return -1;
}

int imb_ubj_ok(const void *p, size_t n)
{
	imb_ubj u = {p, (const unsigned char *)p + n};
	if (n < 2 || *u.p != '{')
		return 0;
	u.p++;
	return imb_ubj_value(&u, '{', 0) == 0 && u.p == u.end;
}

const unsigned char *imb_ubj_get(const unsigned char *obj, const unsigned char *end,
                                 const char *key)
{
	if (!obj || obj >= end || *obj != '{')
		return NULL;
	imb_ubj u = {obj + 1, end};
	if (u.p < end && (*u.p == '$' || *u.p == '#'))
		return NULL; /* XGBoost writes plain objects */
	size_t kl = strlen(key);
	while (u.p < end && *u.p != '}') {
		int64_t n;
		if (imb_ubj_len(&u, &n) < 0 || n > u.end - u.p)
			return NULL;
		int hit = (size_t)n == kl && !memcmp(u.p, key, kl);
		u.p += n;
		if (hit)
			return u.p;
		if (u.p >= end)
			return NULL;
		int m = *u.p++;
		if (imb_ubj_value(&u, m, 0) < 0)
			return NULL;
	}
	return NULL;
}

const unsigned char *imb_ubj_path(const unsigned char *v, const unsigned char *end, ...)
{
	va_list ap;
	va_start(ap, end);
	for (const char *k; v && (k = va_arg(ap, const char *));)
		v = imb_ubj_get(v, end, k);
	va_end(ap);
	return v;
}

int imb_ubj_strint(const unsigned char *v, const unsigned char *end, int64_t *out)
{
	if (!v || v >= end || *v != 'S')
		return -1;
	imb_ubj u = {v + 1, end};
	int64_t n;
	if (imb_ubj_len(&u, &n) < 0 || n < 1 || n > 20 || n > u.end - u.p)
		return -1;
	char b[24];
	memcpy(b, u.p, (size_t)n);
	b[n] = 0;
	char *e;
	errno = 0;
	long long x = strtoll(b, &e, 10);
	if (*e || errno)
		return -1;
	*out = x;
	return 0;
}

int imb_ubj_array(const unsigned char *v, const unsigned char *end, int64_t *count,
                  int64_t **vals)
{
	if (vals)
		*vals = NULL;
	if (!v || v >= end || *v != '[')
		return -1;
	imb_ubj u = {v + 1, end};
	int type = 0;
	int64_t n = -1;
	if (u.p < end && *u.p == '$') {
		type = u.p[1];
		u.p += 2;
	}
	if (u.p < end && *u.p == '#') {
		u.p++;
		if (imb_ubj_len(&u, &n) < 0)
			return -1;
	}
	int64_t cap = n >= 0 ? n : 16, k = 0;
	int64_t *x = vals ? imb_xmalloc((size_t)(cap ? cap : 1) * sizeof *x) : NULL;
	while (n < 0 ? u.p < end && *u.p != ']' : k < n) {
		int m = type ? type : *u.p++;
		int64_t iv = 0;
		if (m == 'd' || m == 'D') {
			int sz = m == 'd' ? 4 : 8;
			if (end - u.p < sz)
				goto bad;
			u.p += sz;
		} else if (ubj_int(&u, m, &iv) < 0) {
			goto bad;
		}
		if (x) {
			if (k == cap)
				x = imb_xrealloc(x, (size_t)(cap *= 2) * sizeof *x);
			x[k] = iv;
		}
		k++;
	}
	*count = k;
	if (vals)
		*vals = x;
	return 0;
bad:
	free(x);
	return -1;
}
