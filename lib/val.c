/* val.c: the attrs value tree. */
#include "val.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static imb_val *new_val(imb_vtype t)
{
	imb_val *v = imb_xcalloc(1, sizeof *v);
	v->t = t;
	return v;
}

imb_val *imb_val_nil(void) { return new_val(IMB_V_NIL); }
imb_val *imb_val_bool(int b) { imb_val *v = new_val(IMB_V_BOOL); v->i = !!b; return v; }
imb_val *imb_val_int(int64_t i) { imb_val *v = new_val(IMB_V_INT); v->i = i; return v; }
imb_val *imb_val_float(double f) { imb_val *v = new_val(IMB_V_FLOAT); v->f = f; return v; }
imb_val *imb_val_arr(void) { return new_val(IMB_V_ARR); }
imb_val *imb_val_map(void) { return new_val(IMB_V_MAP); }

static imb_val *bytes_val(imb_vtype t, const void *p, size_t len)
{
	imb_val *v = new_val(t);
	v->s = imb_xmalloc(len + 1);
	if (len)
		memcpy(v->s, p, len);
	v->s[len] = 0;
	v->len = len;
	return v;
}

imb_val *imb_val_str(const char *s) { return bytes_val(IMB_V_STR, s, strlen(s)); }
imb_val *imb_val_strn(const char *s, size_t len) { return bytes_val(IMB_V_STR, s, len); }
imb_val *imb_val_bin(const void *p, size_t len) { return bytes_val(IMB_V_BIN, p, len); }

void imb_val_free(imb_val *v)
{
	if (!v)
		return;
	for (size_t k = 0; k < v->n; k++) {
		if (v->keys)
			free(v->keys[k]);
		imb_val_free(v->items[k]);
	}
	free(v->keys);
	free(v->items);
	free(v->hx);
	free(v->s);
	free(v);
}

imb_val *imb_val_copy(const imb_val *v)
{
	if (!v)
		return NULL;
	imb_val *c;
	switch (v->t) {
	case IMB_V_STR:
	case IMB_V_BIN:
		c = bytes_val(v->t, v->s, v->len);
		break;
	case IMB_V_ARR:
		c = imb_val_arr();
		for (size_t k = 0; k < v->n; k++)
			imb_val_push(c, imb_val_copy(v->items[k]));
		break;
	case IMB_V_MAP:
		c = imb_val_map();
		for (size_t k = 0; k < v->n; k++)
			imb_val_set(c, v->keys[k], imb_val_copy(v->items[k]));
		break;
	default:
		c = new_val(v->t);
		c->i = v->i;
		c->f = v->f;
	}
	return c;
}

static void grow(imb_val *v)
{
	if (v->n < v->cap)
		return;
	v->cap = v->cap ? 2 * v->cap : 4;
	v->items = imb_xrealloc(v->items, v->cap * sizeof *v->items);
	if (v->t == IMB_V_MAP)
		v->keys = imb_xrealloc(v->keys, v->cap * sizeof *v->keys);
}

void imb_val_push(imb_val *arr, imb_val *item)
{
	grow(arr);
	arr->items[arr->n++] = item;
}

/* Map lookups: a scan for a few keys; from INDEX_MIN keys on, a hash
 * index (open addressing, at most half full) kept by every insert and
 * rebuilt by a delete, so that reading a map of n keys (every key set
 * once, duplicates replacing) is O(n), not O(n^2). The hash is SipHash-1-3
 * with a per-process random key: keys chosen to collide (a crafted attrs
 * map) cannot be found without it. */
#define INDEX_MIN 8

static uint64_t sip_k0, sip_k1;

__attribute__((constructor)) static void sip_seed(void)
{
	uint64_t k[2];
	if (getrandom(k, sizeof k, GRND_NONBLOCK) != (ssize_t)sizeof k) {
		k[0] = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		k[1] = (uint64_t)(uintptr_t)&k ^ (uint64_t)clock();
	}
	sip_k0 = k[0];
	sip_k1 = k[1];
}

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                          \
	do {                                                              \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                    \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                    \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t key_hash(const char *s)
{
	size_t len = strlen(s);
	uint64_t v0 = sip_k0 ^ 0x736f6d6570736575ull, v1 = sip_k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = sip_k0 ^ 0x6c7967656e657261ull, v3 = sip_k1 ^ 0x7465646279746573ull;
	const unsigned char *p = (const unsigned char *)s;
	size_t k = 0;
	for (; k + 8 <= len; k += 8) {
		uint64_t m = 0;
		for (int j = 0; j < 8; j++)
			m |= (uint64_t)p[k + j] << (8 * j);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t m = (uint64_t)len << 56;
	for (int j = 0; k + j < len; j++)
		m |= (uint64_t)p[k + j] << (8 * j);
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* put item index k into the index (the key must not be there yet) */
static void index_put(imb_val *map, size_t k)
{
	size_t mask = map->hcap - 1, h = (size_t)key_hash(map->keys[k]) & mask;
	while (map->hx[h])
		h = (h + 1) & mask;
	map->hx[h] = k + 1;
}

static void index_build(imb_val *map)
{
	free(map->hx);
	map->hx = NULL;
	map->hcap = 0;
	if (map->n < INDEX_MIN)
		return;
	size_t cap = 16;
	while (cap < 2 * (map->n + 1))
		cap *= 2;
	map->hx = imb_xcalloc(cap, sizeof *map->hx);
	map->hcap = cap;
	for (size_t k = 0; k < map->n; k++)
		index_put(map, k);
}

static long find_key(const imb_val *map, const char *key)
{
	if (!map || map->t != IMB_V_MAP)
		return -1;
	if (map->hx) {
		size_t mask = map->hcap - 1, h = (size_t)key_hash(key) & mask;
		for (; map->hx[h]; h = (h + 1) & mask)
			if (strcmp(map->keys[map->hx[h] - 1], key) == 0)
				return (long)(map->hx[h] - 1);
		return -1;
	}
	for (size_t k = 0; k < map->n; k++)
		if (strcmp(map->keys[k], key) == 0)
			return (long)k;
	return -1;
}

imb_val *imb_val_get(const imb_val *map, const char *key)
{
	long k = find_key(map, key);
	return k < 0 ? NULL : map->items[k];
}

void imb_val_set(imb_val *map, const char *key, imb_val *item)
{
	long k = find_key(map, key);
	if (k >= 0) {
		imb_val_free(map->items[k]);
		map->items[k] = item;
		return;
	}
	grow(map);
	map->keys[map->n] = imb_xstrdup(key);
	map->items[map->n++] = item;
	if (map->hx && 2 * (map->n + 1) <= map->hcap)
		index_put(map, map->n - 1);
	else if (map->n >= INDEX_MIN)
		index_build(map);
}

void imb_val_del(imb_val *map, const char *key)
{
	long k = find_key(map, key);
	if (k < 0)
		return;
	free(map->keys[k]);
	imb_val_free(map->items[k]);
	memmove(map->keys + k, map->keys + k + 1, (map->n - k - 1) * sizeof *map->keys);
	memmove(map->items + k, map->items + k + 1, (map->n - k - 1) * sizeof *map->items);
	map->n--;
	if (map->hx)
		index_build(map);
}

imb_val *imb_val_path(const imb_val *map, const char *path)
{
	char buf[256];
	const imb_val *cur = map;
	while (cur && *path) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);
		if (len >= sizeof buf)
			return NULL;
		memcpy(buf, path, len);
		buf[len] = 0;
		cur = imb_val_get(cur, buf);
		path += len + (dot ? 1 : 0);
	}
	return (imb_val *)cur;
}

int64_t imb_val_as_int(const imb_val *v, int64_t def)
{
	if (!v)
		return def;
	if (v->t == IMB_V_INT || v->t == IMB_V_BOOL)
		return v->i;
	int64_t i;
	if (v->t == IMB_V_FLOAT && imb_double_to_i64(v->f, INT64_MIN, INT64_MAX, &i) == 0)
		return i; /* NaN, infinities and floats past int64 give def, never a wild cast */
	return def;
}

double imb_val_as_double(const imb_val *v, double def)
{
	if (!v)
		return def;
	if (v->t == IMB_V_FLOAT)
		return v->f;
	if (v->t == IMB_V_INT || v->t == IMB_V_BOOL)
		return (double)v->i;
	return def;
}

const char *imb_val_as_str(const imb_val *v, const char *def)
{
	return v && v->t == IMB_V_STR ? v->s : def;
}

void imb_val_set_int(imb_val *map, const char *key, int64_t i) { imb_val_set(map, key, imb_val_int(i)); }
void imb_val_set_float(imb_val *map, const char *key, double f) { imb_val_set(map, key, imb_val_float(f)); }
void imb_val_set_str(imb_val *map, const char *key, const char *s) { imb_val_set(map, key, imb_val_str(s)); }

imb_val *imb_val_int_array(const int64_t *x, size_t n)
{
	imb_val *a = imb_val_arr();
	for (size_t k = 0; k < n; k++)
		imb_val_push(a, imb_val_int(x[k]));
	return a;
}

imb_val *imb_val_float_array(const double *x, size_t n)
{
	imb_val *a = imb_val_arr();
	for (size_t k = 0; k < n; k++)
		imb_val_push(a, imb_val_float(x[k]));
	return a;
}

imb_val *imb_val_str_array(const char *const *s, size_t n)
{
	imb_val *a = imb_val_arr();
	for (size_t k = 0; k < n; k++)
		imb_val_push(a, imb_val_str(s[k]));
	return a;
}

static void json_str(FILE *fp, const char *s, size_t len)
{
	imb_write_json_str(fp, s, len);
}

static void json_rec(FILE *fp, const imb_val *v, int indent, int depth)
{
	int pretty = indent >= 0;
	switch (v->t) {
	case IMB_V_NIL: fputs("null", fp); break;
	case IMB_V_BOOL: fputs(v->i ? "true" : "false", fp); break;
	case IMB_V_INT: fprintf(fp, "%lld", (long long)v->i); break;
	case IMB_V_FLOAT:
		if (isfinite(v->f))
			imb_fprint_double(fp, v->f);
		else
			fputs("null", fp);
		break;
	case IMB_V_STR: json_str(fp, v->s, v->len); break;
	case IMB_V_BIN: fprintf(fp, "\"<%zu bytes>\"", v->len); break;
	case IMB_V_ARR:
	case IMB_V_MAP: {
		int map = v->t == IMB_V_MAP;
		/* short arrays of scalars stay on one line */
		int flat = !pretty || v->n == 0;
		if (!map && !flat) {
			flat = 1;
			for (size_t k = 0; k < v->n; k++)
				if (v->items[k]->t == IMB_V_ARR || v->items[k]->t == IMB_V_MAP)
					flat = 0;
		}
		fputc(map ? '{' : '[', fp);
		for (size_t k = 0; k < v->n; k++) {
			if (k)
				fputs(flat && pretty ? ", " : ",", fp);
			if (!flat)
				fprintf(fp, "\n%*s", indent * (depth + 1), "");
			if (map) {
				json_str(fp, v->keys[k], strlen(v->keys[k]));
				fputs(pretty ? ": " : ":", fp);
			}
			json_rec(fp, v->items[k], indent, depth + 1);
		}
		if (!flat)
			fprintf(fp, "\n%*s", indent * depth, "");
		fputc(map ? '}' : ']', fp);
		break;
	}
	}
}

void imb_val_write_json(FILE *fp, const imb_val *v, int indent)
{
	json_rec(fp, v, indent, 0);
}

void imb_val_write_text(FILE *fp, const imb_val *v)
{
	if (!v) {
		fputs("NA", fp);
		return;
	}
	switch (v->t) {
	case IMB_V_STR: imb_write_tsv_str(fp, v->s, v->len); break;
	case IMB_V_INT: fprintf(fp, "%lld", (long long)v->i); break;
	case IMB_V_FLOAT: fprintf(fp, "%.6g", v->f); break;
	default: imb_val_write_json(fp, v, -1);
	}
}

char *imb_val_json_text(const imb_val *v)
{
	if (!v)
		return imb_xstrdup("none");
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		return imb_xstrdup("?");
	imb_val_write_json(fp, v, -1);
	fclose(fp);
	return buf;
}
