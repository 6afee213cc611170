/* import_csv_text.c: the CSV importer's string dictionary and its
 * reading of numbers and missing markers (import_csv.h). */
#include "import_csv.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- string -> index dictionary ---- */

static uint64_t hash_str(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t k = 0; k < len; k++)
		h = (h ^ (unsigned char)s[k]) * 1099511628211ull;
	return h;
}

void imb_strdict_free(imb_strdict *d)
{
	for (size_t k = 0; k < d->n; k++)
		free(d->s[k]);
	free(d->s);
	free(d->tab);
	memset(d, 0, sizeof *d);
}

long imb_strdict_find(const imb_strdict *d, const char *s, size_t len)
{
	if (!d->tcap)
		return -1;
	for (size_t h = hash_str(s, len) & (d->tcap - 1);; h = (h + 1) & (d->tcap - 1)) {
		uint32_t e = d->tab[h];
		if (!e)
			return -1;
		const char *t = d->s[e - 1];
		if (strlen(t) == len && memcmp(t, s, len) == 0)
			return e - 1;
	}
}

static void dict_rehash(imb_strdict *d, size_t tcap)
{
	free(d->tab);
	d->tcap = tcap;
	d->tab = imb_xcalloc(tcap, sizeof *d->tab);
	for (size_t k = 0; k < d->n; k++) {
		size_t h = hash_str(d->s[k], strlen(d->s[k])) & (tcap - 1);
		while (d->tab[h])
			h = (h + 1) & (tcap - 1);
		d->tab[h] = (uint32_t)k + 1;
	}
}

long imb_strdict_add(imb_strdict *d, const char *s, size_t len)
{
	long k = imb_strdict_find(d, s, len);
	if (k >= 0)
		return k;
	if (d->n == d->cap)
		d->s = imb_xrealloc(d->s, (d->cap = d->cap ? d->cap * 2 : 16) * sizeof *d->s);
	char *c = imb_xmalloc(len + 1);
	memcpy(c, s, len);
	c[len] = 0;
	d->s[d->n++] = c;
	if (2 * d->n >= d->tcap)
		dict_rehash(d, d->tcap ? d->tcap * 2 : 64);
	else {
		size_t h = hash_str(s, len) & (d->tcap - 1);
		while (d->tab[h])
			h = (h + 1) & (d->tcap - 1);
		d->tab[h] = (uint32_t)d->n;
	}
	return (long)d->n - 1;
}

/* ---- numbers ---- */

/* Clinger's fast path: at most 15 digits and no exponent, so mantissa and
 * power of ten are exact doubles and one division rounds correctly, the
 * same result strtod gives. 1 on success, 0 to fall back to strtod. */
static int fast_num(const char *s, double *out)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	                             1e11, 1e12, 1e13, 1e14, 1e15};
	int neg = 0, nd = 0, frac = -1;
	uint64_t m = 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			if (++nd > 15)
				return 0;
			m = m * 10 + (uint64_t)(*s - '0');
			if (frac >= 0)
				frac++;
		} else if (*s == '.' && frac < 0)
			frac = 0;
		else
			break;
	}
	if (*s || nd == 0)
		return 0;
	double v = (double)m;
	if (frac > 0)
		v /= p10[frac];
	*out = neg ? -v : v;
	return 1;
}

int imb_csv_parse_num(const char *s, double *out)
{
	if (!*s)
		return 0;
	if (fast_num(s, out))
		return 1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	while (end && (*end == ' ' || *end == '\t'))
		end++;
	if (end == s || *end)
		return 0;
	/* strtod's "inf", "infinity" and "nan" (any case, signed) have no
	 * digit: spelled non-finite values, kept as they are */
	int digits = 0;
	for (const char *p = s; p < end && !digits; p++)
		digits = isdigit((unsigned char)*p);
	if (!digits) {
		if (!isfinite(v) && (isnan(v) || strchr("+-iI", *s)))
			return *out = v, 1;
		return 0; /* "nan(...)" and other strtod spellings: text */
	}
	if (!isfinite(v) || fabs(v) > FLT_MAX)
		return -1;
	*out = v;
	return 1;
}

int imb_csv_parse_index(const char *s, long *out)
{
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	errno = 0;
	long v = strtol(s, NULL, 10);
	if (errno)
		return 0;
	*out = v;
	return 1;
}

/* ---- missing markers ---- */

void imb_csv_markers_init(imb_csv_markers *mk, const char *list)
{
	memset(mk, 0, sizeof *mk);
	char *copy = imb_xstrdup(list ? list : IMB_CSV_MISSING);
	mk->m = imb_xmalloc((strlen(copy) + 1) * sizeof *mk->m);
	mk->len = imb_xmalloc((strlen(copy) + 1) * sizeof *mk->len);
	/* split on every comma, keeping empty items out */
	for (char *p = copy, *e; p; p = e) {
		e = strchr(p, ',');
		if (e)
			*e++ = 0;
		if (*p) {
			mk->len[mk->n] = strlen(p);
			mk->quick[(unsigned char)*p] |= 1ull << (mk->len[mk->n] < 63 ? mk->len[mk->n] : 63);
			mk->m[mk->n++] = imb_xstrdup(p);
		}
	}
	free(copy);
}

void imb_csv_markers_free(imb_csv_markers *mk)
{
	for (size_t k = 0; k < mk->n; k++)
		free(mk->m[k]);
	free(mk->m);
	free(mk->len);
	memset(mk, 0, sizeof *mk);
}

int imb_csv_is_missing(const imb_csv_markers *mk, const char *s, size_t len)
{
	if (!len)
		return 1;
	if (!(mk->quick[(unsigned char)*s] >> (len < 63 ? len : 63) & 1))
		return 0;
	for (size_t k = 0; k < mk->n; k++)
		if (mk->len[k] == len && mk->m[k][0] == s[0] && memcmp(mk->m[k], s, len) == 0)
			return 1;
	return 0;
}

const char *imb_csv_missing_name(const imb_csv_markers *mk)
{
	return mk->n ? mk->m[0] : "";
}
