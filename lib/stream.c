/* stream.c: frames and a streaming msgpack reader (the writer:
 * stream_write.c).
 *
 * The reader is a small pull decoder rather than msgpack-c's unpacker:
 * the unpacker must hold a whole frame in its own growing buffer (copying
 * it as it grows) before it hands out objects, while this one reads each
 * tensor payload once, straight into the tensor's own aligned buffer, and
 * can name the frame and field when the bytes are wrong. The writer packs
 * through msgpack-c's packer, whose bin body call passes our pointer on to
 * write(2) untouched. */
#include "stream.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the stream stores tensors little-endian; a big-endian port must swap");

static const struct {
	const char *name;
	size_t size;
} dtypes[] = {
	[IMB_U8] = {"u8", 1}, [IMB_I32] = {"i32", 4}, [IMB_I64] = {"i64", 8},
	[IMB_F32] = {"f32", 4}, [IMB_F64] = {"f64", 8},
};
_Static_assert(IMB_LEN(dtypes) == IMB_NDTYPE, "one dtypes[] entry per imb_dtype");

const char *imb_dtype_name(imb_dtype t) { return t < IMB_NDTYPE ? dtypes[t].name : "?"; }
size_t imb_dtype_size(imb_dtype t) { return t < IMB_NDTYPE ? dtypes[t].size : 0; }

int imb_dtype_parse(const char *s, imb_dtype *out)
{
	for (int k = 0; k < IMB_NDTYPE; k++)
		if (strcmp(s, dtypes[k].name) == 0) {
			*out = (imb_dtype)k;
			return 0;
		}
	return imb_seterr("unknown dtype '%s' (expected u8, i32, i64, f32 or f64)", s);
}

/* ---------------------------------------------------------------- frames */

imb_frame *imb_frame_new(const char *kind, const char *name)
{
	imb_frame *f = imb_xcalloc(1, sizeof *f);
	f->version = IMB_FORMAT_VERSION;
	f->kind = imb_xstrdup(kind ? kind : "");
	f->name = imb_xstrdup(name ? name : "");
	f->attrs = imb_val_map();
	return f;
}

static void tensor_clear(imb_tensor *t)
{
	free(t->key);
	free(t->data);
	memset(t, 0, sizeof *t);
}

void imb_frame_free(imb_frame *f)
{
	if (!f)
		return;
	for (size_t k = 0; k < f->ntensors; k++)
		tensor_clear(&f->tensors[k]);
	free(f->tensors);
	free(f->kind);
	free(f->name);
	imb_val_free(f->attrs);
	imb_val_free(f->extra);
	free(f);
}

imb_tensor *imb_frame_tensor(const imb_frame *f, const char *key)
{
	for (size_t k = 0; k < f->ntensors; k++)
		if (strcmp(f->tensors[k].key, key) == 0)
			return &f->tensors[k];
	return NULL;
}

void imb_frame_del_tensor(imb_frame *f, const char *key)
{
	imb_tensor *t = imb_frame_tensor(f, key);
	if (!t)
		return;
	size_t k = (size_t)(t - f->tensors);
	tensor_clear(t);
	memmove(f->tensors + k, f->tensors + k + 1, (f->ntensors - k - 1) * sizeof *t);
	f->ntensors--;
}

static int shape_bytes(imb_dtype dt, int ndim, const uint64_t *shape, size_t *out)
{
	size_t n = imb_dtype_size(dt);
	for (int d = 0; d < ndim; d++)
		if (imb_mul_overflow(n, (size_t)shape[d], &n) || shape[d] > SIZE_MAX)
			return -1;
	*out = n;
	return 0;
}

imb_tensor *imb_frame_put_tensor(imb_frame *f, const char *key, imb_dtype t,
                                 int ndim, const uint64_t *shape, void *data)
{
	size_t nbytes;
	if (ndim < 0 || ndim > IMB_MAXDIM || shape_bytes(t, ndim, shape, &nbytes)) {
		fprintf(stderr, "imb: tensor '%s': shape overflows\n", key);
		exit(1);
	}
	imb_tensor *dst = imb_frame_tensor(f, key);
	if (dst) {
		tensor_clear(dst);
	} else {
		/* fixed capacity: a tensor pointer stays valid while more are added */
		if (!f->tensors)
			f->tensors = imb_xcalloc(IMB_MAX_TENSORS, sizeof *f->tensors);
		if (f->ntensors == IMB_MAX_TENSORS) {
			fprintf(stderr, "imb: a frame holds at most %d tensors\n", IMB_MAX_TENSORS);
			exit(1);
		}
		dst = &f->tensors[f->ntensors++];
		memset(dst, 0, sizeof *dst);
	}
	dst->key = imb_xstrdup(key);
	dst->dtype = t;
	dst->ndim = ndim;
	memcpy(dst->shape, shape, ndim * sizeof *shape);
	dst->data = data;
	dst->nbytes = nbytes;
	return dst;
}

imb_tensor *imb_frame_add_tensor(imb_frame *f, const char *key, imb_dtype t,
                                 int ndim, const uint64_t *shape)
{
	size_t nbytes;
	if (ndim < 0 || ndim > IMB_MAXDIM || shape_bytes(t, ndim, shape, &nbytes)) {
		fprintf(stderr, "imb: tensor '%s': shape overflows\n", key);
		exit(1);
	}
	void *data = imb_xmalloc_aligned(nbytes);
	memset(data, 0, nbytes);
	return imb_frame_put_tensor(f, key, t, ndim, shape, data);
}

uint64_t imb_tensor_count(const imb_tensor *t)
{
	uint64_t n = 1;
	for (int d = 0; d < t->ndim; d++)
		n *= t->shape[d];
	return n;
}

const char *imb_frame_label(const imb_frame *f, char *buf, size_t size)
{
	if (f->index > 0)
		snprintf(buf, size, "frame %ld (%s '%s')", f->index, f->kind, f->name);
	else
		snprintf(buf, size, "%s frame '%s'", f->kind, f->name);
	return buf;
}

/* ---------------------------------------------------------------- reader */

#define RBUF (1u << 20)
#define MAX_DEPTH 64
#define MAX_STR (64u << 20)

struct imb_reader {
	int fd, own;
	char *label;
	unsigned char *buf;
	size_t pos, end;
	int eof;
	long frames;   /* frames started */
	uint64_t off;  /* bytes consumed */
	int regular;   /* a regular file: its size bounds what can still come */
	uint64_t left; /* bytes of the file after where reading started */
};

void *imb_payload_alloc(size_t n)
{
	const size_t huge = (size_t)2 << 20;
	if (n < huge)
		return imb_xmalloc_aligned(n);
	void *p = NULL;
	size_t rounded = (n + huge - 1) / huge * huge;
	if (posix_memalign(&p, huge, rounded))
		return imb_xmalloc_aligned(n);
#ifdef MADV_HUGEPAGE
	madvise(p, rounded, MADV_HUGEPAGE);
#endif
	return p;
}

imb_reader *imb_reader_fd(int fd, const char *label)
{
	imb_widen_pipe(fd);
	imb_reader *r = imb_xcalloc(1, sizeof *r);
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t at = lseek(fd, 0, SEEK_CUR);
		r->regular = 1;
		r->left = at >= 0 && st.st_size >= at ? (uint64_t)(st.st_size - at) : 0;
	}
	r->fd = fd;
	r->label = imb_xstrdup(label ? label : "stdin");
	r->buf = imb_xmalloc(RBUF);
	return r;
}

imb_reader *imb_reader_open(const char *path)
{
	if (!path || strcmp(path, "-") == 0)
		return imb_reader_fd(0, "stdin");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		imb_seterr("%s: %s", path, strerror(errno));
		return NULL;
	}
	imb_reader *r = imb_reader_fd(fd, path);
	r->own = 1;
	return r;
}

void imb_reader_close(imb_reader *r)
{
	if (!r)
		return;
	if (r->own)
		close(r->fd);
	free(r->label);
	free(r->buf);
	free(r);
}

static ssize_t read_some(int fd, void *dst, size_t n)
{
	for (;;) {
		ssize_t got = read(fd, dst, n);
		if (got >= 0 || errno != EINTR)
			return got;
	}
}

static int fill(imb_reader *r)
{
	if (r->pos < r->end)
		return 0;
	if (r->eof)
		return -1;
	ssize_t got = read_some(r->fd, r->buf, RBUF);
	if (got < 0)
		return imb_seterr("%s: %s", r->label, strerror(errno));
	if (got == 0) {
		r->eof = 1;
		return -1;
	}
	r->pos = 0;
	r->end = (size_t)got;
	return 0;
}

static int truncated(imb_reader *r, const char *what)
{
	return imb_seterr("truncated stream: it ends inside %s (after %llu bytes)",
	                  what, (unsigned long long)r->off);
}

/* Before allocating for a declared length: in a regular file, a length
 * beyond its end is a truncated stream, found without allocating. */
static int check_avail(imb_reader *r, uint64_t n, const char *what)
{
	if (r->regular && n > r->left - r->off)
		return imb_seterr("truncated stream: %s declares %llu bytes but only %llu remain",
		                  what, (unsigned long long)n, (unsigned long long)(r->left - r->off));
	return 0;
}

/* Read exactly n bytes into dst; large reads bypass the buffer. */
static int rd(imb_reader *r, void *dst, size_t n, const char *what)
{
	unsigned char *d = dst;
	while (n) {
		if (r->pos == r->end && n >= RBUF / 2 && !r->eof) {
			ssize_t got = read_some(r->fd, d, n);
			if (got < 0)
				return imb_seterr("%s: %s", r->label, strerror(errno));
			if (got == 0) {
				r->eof = 1;
				return truncated(r, what);
			}
			d += got;
			n -= (size_t)got;
			r->off += (uint64_t)got;
			continue;
		}
		if (fill(r))
			return r->eof ? truncated(r, what) : -1;
		size_t k = r->end - r->pos;
		if (k > n)
			k = n;
		memcpy(d, r->buf + r->pos, k);
		r->pos += k;
		r->off += k;
		d += k;
		n -= k;
	}
	return 0;
}

enum { T_NIL, T_BOOL, T_UINT, T_INT, T_FLOAT, T_STR, T_BIN, T_ARR, T_MAP };
static const char *tok_names[] = {"nil", "bool", "integer", "integer", "float",
                                  "string", "bin", "array", "map"};

typedef struct {
	int t;
	uint64_t u;  /* T_UINT, T_BOOL; T_STR/T_BIN/T_ARR/T_MAP: length */
	int64_t i;   /* T_INT */
	double f;
} tok;

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int k = 0; k < n; k++)
		v = v << 8 | p[k];
	return v;
}

static int rd_tok(imb_reader *r, tok *t, const char *what)
{
	unsigned char c, b[8];
	if (rd(r, &c, 1, what))
		return -1;
	memset(t, 0, sizeof *t);
	if (c <= 0x7f) { t->t = T_UINT; t->u = c; return 0; }
	if (c >= 0xe0) { t->t = T_INT; t->i = (int8_t)c; return 0; }
	if ((c & 0xf0) == 0x80) { t->t = T_MAP; t->u = c & 0x0f; return 0; }
	if ((c & 0xf0) == 0x90) { t->t = T_ARR; t->u = c & 0x0f; return 0; }
	if ((c & 0xe0) == 0xa0) { t->t = T_STR; t->u = c & 0x1f; return 0; }
	int n = 0;
	switch (c) {
	case 0xc0: t->t = T_NIL; return 0;
	case 0xc2: case 0xc3: t->t = T_BOOL; t->u = c == 0xc3; return 0;
	case 0xc4: case 0xc5: case 0xc6: t->t = T_BIN; n = 1 << (c - 0xc4); break;
	case 0xca: t->t = T_FLOAT; n = 4; break;
	case 0xcb: t->t = T_FLOAT; n = 8; break;
	case 0xcc: case 0xcd: case 0xce: case 0xcf: t->t = T_UINT; n = 1 << (c - 0xcc); break;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: t->t = T_INT; n = 1 << (c - 0xd0); break;
	case 0xd9: case 0xda: case 0xdb: t->t = T_STR; n = 1 << (c - 0xd9); break;
	case 0xdc: case 0xdd: t->t = T_ARR; n = 2 << (c - 0xdc); break;
	case 0xde: case 0xdf: t->t = T_MAP; n = 2 << (c - 0xde); break;
	default:
		return imb_seterr("unsupported msgpack byte 0x%02x in %s (ext types and 0xc1 are not part of the format)", c, what);
	}
	if (rd(r, b, n, what))
		return -1;
	uint64_t v = be(b, n);
	if (t->t == T_FLOAT) {
		if (n == 4) {
			uint32_t u32 = (uint32_t)v;
			float f;
			memcpy(&f, &u32, 4);
			t->f = f;
		} else {
			memcpy(&t->f, &v, 8);
		}
	} else if (t->t == T_INT) {
		int64_t s = (int64_t)(v << (64 - 8 * n)) >> (64 - 8 * n);
		t->i = s;
	} else {
		t->u = v;
	}
	return 0;
}

/* Read a string body of t->u bytes, NUL-terminated. */
static char *rd_str(imb_reader *r, const tok *t, const char *what)
{
	if (t->u > MAX_STR) {
		imb_seterr("%s: string of %llu bytes is over the %u MiB limit", what,
		           (unsigned long long)t->u, MAX_STR >> 20);
		return NULL;
	}
	if (check_avail(r, t->u, what))
		return NULL;
	char *s = imb_xmalloc(t->u + 1);
	if (rd(r, s, t->u, what)) {
		free(s);
		return NULL;
	}
	s[t->u] = 0;
	return s;
}

static imb_val *rd_val_tok(imb_reader *r, const tok *t, int depth, const char *what);

static imb_val *rd_val(imb_reader *r, int depth, const char *what)
{
	tok t;
	if (rd_tok(r, &t, what))
		return NULL;
	return rd_val_tok(r, &t, depth, what);
}

static imb_val *rd_val_tok(imb_reader *r, const tok *t, int depth, const char *what)
{
	if (depth > MAX_DEPTH) {
		imb_seterr("%s: nested deeper than %d levels", what, MAX_DEPTH);
		return NULL;
	}
	switch (t->t) {
	case T_NIL: return imb_val_nil();
	case T_BOOL: return imb_val_bool((int)t->u);
	case T_UINT:
		if (t->u > INT64_MAX) {
			imb_seterr("%s: integer %llu is out of range", what, (unsigned long long)t->u);
			return NULL;
		}
		return imb_val_int((int64_t)t->u);
	case T_INT: return imb_val_int(t->i);
	case T_FLOAT: return imb_val_float(t->f);
	case T_STR:
	case T_BIN: {
		char *s = rd_str(r, t, what);
		if (!s)
			return NULL;
		imb_val *v = imb_val_arr(); /* reuse the node, then retag */
		v->t = t->t == T_STR ? IMB_V_STR : IMB_V_BIN;
		v->s = s;
		v->len = t->u;
		return v;
	}
	case T_ARR: {
		imb_val *a = imb_val_arr();
		for (uint64_t k = 0; k < t->u; k++) {
			imb_val *item = rd_val(r, depth + 1, what);
			if (!item) {
				imb_val_free(a);
				return NULL;
			}
			imb_val_push(a, item);
		}
		return a;
	}
	case T_MAP: {
		imb_val *m = imb_val_map();
		for (uint64_t k = 0; k < t->u; k++) {
			tok kt;
			char *key = NULL;
			imb_val *item = NULL;
			if (rd_tok(r, &kt, what))
				goto fail;
			if (kt.t != T_STR) {
				imb_seterr("%s: a map key is a %s, not a string", what, tok_names[kt.t]);
				goto fail;
			}
			if (!(key = rd_str(r, &kt, what)))
				goto fail;
			if (!(item = rd_val(r, depth + 1, what))) {
				free(key);
				goto fail;
			}
			imb_val_set(m, key, item);
			free(key);
			continue;
		fail:
			imb_val_free(m);
			return NULL;
		}
		return m;
	}
	}
	return NULL;
}

/* A tensor's n payload bytes into *out (a new 64-byte aligned buffer,
 * also on failure: NULL or a buffer to free). The length of a regular
 * file was checked (check_avail), so the buffer is taken whole. From a
 * pipe a declared length proves nothing: the buffer starts at
 * PAYLOAD_STEP and doubles as the bytes arrive, so a stream that
 * declares 4 GiB and ends after a few bytes is a truncated stream after
 * holding about what came, never the declared size. */
#define PAYLOAD_STEP ((size_t)16 << 20)

static int rd_payload(imb_reader *r, void **out, size_t n, const char *what)
{
	if (r->regular || n <= PAYLOAD_STEP) {
		*out = imb_payload_alloc(n);
		return rd(r, *out, n, what);
	}
	size_t cap = PAYLOAD_STEP, have = 0;
	unsigned char *buf = imb_payload_alloc(cap);
	for (;;) {
		if (rd(r, buf + have, cap - have, what)) {
			*out = buf;
			return -1;
		}
		have = cap;
		if (have == n)
			break;
		/* the bytes so far arrived: make room for as many again */
		size_t next = cap > n / 2 ? n : 2 * cap;
		unsigned char *nb = imb_payload_alloc(next);
		memcpy(nb, buf, have);
		free(buf);
		buf = nb;
		cap = next;
	}
	*out = buf;
	return 0;
}

static int skip_expect(const tok *t, int want, const char *what)
{
	if (t->t == want || (want == T_UINT && t->t == T_INT && t->i >= 0))
		return 0;
	return imb_seterr("%s is a %s, expected a %s", what, tok_names[t->t], tok_names[want]);
}

static int rd_tensor(imb_reader *r, imb_frame *f, const char *key)
{
	char what[320];
	snprintf(what, sizeof what, "tensor '%s'", key);
	tok t;
	if (rd_tok(r, &t, what) || skip_expect(&t, T_MAP, what))
		return -1;
	int have_dtype = 0, have_shape = 0, have_data = 0, ndim = 0;
	imb_dtype dt = IMB_U8;
	uint64_t shape[IMB_MAXDIM];
	void *data = NULL;
	size_t nbytes = 0;
	uint64_t nkeys = t.u;
	for (uint64_t k = 0; k < nkeys; k++) {
		tok kt;
		char *field = NULL;
		if (rd_tok(r, &kt, what) || skip_expect(&kt, T_STR, what) ||
		    !(field = rd_str(r, &kt, what)))
			goto fail;
		char fwhat[400];
		snprintf(fwhat, sizeof fwhat, "tensor '%s' field '%s'", key, field);
		if (strcmp(field, "dtype") == 0) {
			char *s;
			if (rd_tok(r, &t, fwhat) || skip_expect(&t, T_STR, fwhat) ||
			    !(s = rd_str(r, &t, fwhat))) {
				free(field);
				goto fail;
			}
			int bad = imb_dtype_parse(s, &dt);
			free(s);
			if (bad) {
				imb_preferr("tensor '%s': ", key);
				free(field);
				goto fail;
			}
			have_dtype = 1;
		} else if (strcmp(field, "shape") == 0) {
			if (rd_tok(r, &t, fwhat) || skip_expect(&t, T_ARR, fwhat)) {
				free(field);
				goto fail;
			}
			if (t.u > IMB_MAXDIM) {
				imb_seterr("tensor '%s': shape has %llu dimensions, at most %d allowed",
				           key, (unsigned long long)t.u, IMB_MAXDIM);
				free(field);
				goto fail;
			}
			ndim = (int)t.u;
			for (int d = 0; d < ndim; d++) {
				tok dtok;
				if (rd_tok(r, &dtok, fwhat) || skip_expect(&dtok, T_UINT, fwhat)) {
					free(field);
					goto fail;
				}
				shape[d] = dtok.t == T_UINT ? dtok.u : (uint64_t)dtok.i;
			}
			have_shape = 1;
		} else if (strcmp(field, "data") == 0) {
			if (rd_tok(r, &t, fwhat) || skip_expect(&t, T_BIN, fwhat)) {
				free(field);
				goto fail;
			}
			size_t want;
			if (have_dtype && have_shape && !shape_bytes(dt, ndim, shape, &want) &&
			    want != t.u) {
				imb_seterr("tensor '%s': data holds %llu bytes but dtype %s and its shape need %zu",
				           key, (unsigned long long)t.u, imb_dtype_name(dt), want);
				free(field);
				goto fail;
			}
			if (check_avail(r, t.u, fwhat)) {
				free(field);
				goto fail;
			}
			free(data);
			data = NULL;
			nbytes = (size_t)t.u;
			if (rd_payload(r, &data, nbytes, fwhat)) {
				free(field);
				goto fail;
			}
			have_data = 1;
		} else {
			/* unknown tensor fields are skipped */
			imb_val *skip = rd_val(r, 1, fwhat);
			if (!skip) {
				free(field);
				goto fail;
			}
			imb_val_free(skip);
		}
		free(field);
	}
	if (!have_dtype || !have_shape || !have_data) {
		imb_seterr("tensor '%s': missing field '%s'", key,
		           !have_dtype ? "dtype" : !have_shape ? "shape" : "data");
		goto fail;
	}
	size_t want;
	if (shape_bytes(dt, ndim, shape, &want)) {
		imb_seterr("tensor '%s': shape's element count overflows", key);
		goto fail;
	}
	if (want != nbytes) {
		imb_seterr("tensor '%s': data holds %zu bytes but dtype %s and its shape need %zu",
		           key, nbytes, imb_dtype_name(dt), want);
		goto fail;
	}
	if (imb_frame_tensor(f, key)) {
		imb_seterr("tensor '%s' appears twice", key);
		goto fail;
	}
	imb_frame_put_tensor(f, key, dt, ndim, shape, data);
	return 0;
fail:
	free(data);
	return -1;
}

static int rd_frame_body(imb_reader *r, imb_frame *f, const tok *head)
{
	if (head->t != T_MAP)
		return imb_seterr("not a frame: a %s where a msgpack map should start (is this an imb stream?)",
		                  tok_names[head->t]);
	int have_version = 0, have_kind = 0;
	for (uint64_t k = 0; k < head->u; k++) {
		tok t;
		char *key;
		if (rd_tok(r, &t, "a frame key") || skip_expect(&t, T_STR, "a frame key") ||
		    !(key = rd_str(r, &t, "a frame key")))
			return -1;
		int bad = 0;
		if (strcmp(key, "imb") == 0) {
			if (rd_tok(r, &t, "field 'imb'") || skip_expect(&t, T_UINT, "field 'imb'"))
				bad = 1;
			else if (t.u != IMB_FORMAT_VERSION)
				bad = imb_seterr("format version %llu, but this imb reads version %d "
				                 "(re-create the stream with a matching imb)",
				                 (unsigned long long)t.u, IMB_FORMAT_VERSION);
			have_version = 1;
		} else if (strcmp(key, "kind") == 0 || strcmp(key, "name") == 0) {
			char what[32];
			snprintf(what, sizeof what, "field '%s'", key);
			char *s = NULL;
			if (rd_tok(r, &t, what) || skip_expect(&t, T_STR, what) || !(s = rd_str(r, &t, what))) {
				bad = 1;
			} else if (key[0] == 'k') {
				free(f->kind);
				f->kind = s;
				have_kind = 1;
			} else {
				free(f->name);
				f->name = s;
			}
		} else if (strcmp(key, "attrs") == 0) {
			imb_val *a = rd_val(r, 1, "field 'attrs'");
			if (!a) {
				bad = 1;
			} else if (a->t != IMB_V_MAP) {
				imb_val_free(a);
				bad = imb_seterr("field 'attrs' is not a map");
			} else {
				imb_val_free(f->attrs);
				f->attrs = a;
			}
		} else if (strcmp(key, "tensors") == 0) {
			if (rd_tok(r, &t, "field 'tensors'") || skip_expect(&t, T_MAP, "field 'tensors'")) {
				bad = 1;
			} else {
				uint64_t n = t.u;
				if (n > IMB_MAX_TENSORS)
					bad = imb_seterr("field 'tensors' holds %llu tensors, at most %d allowed",
					                 (unsigned long long)n, IMB_MAX_TENSORS);
				for (uint64_t j = 0; j < n && !bad; j++) {
					char *tkey = NULL;
					if (rd_tok(r, &t, "a tensor name") || skip_expect(&t, T_STR, "a tensor name") ||
					    !(tkey = rd_str(r, &t, "a tensor name")) || rd_tensor(r, f, tkey))
						bad = 1;
					free(tkey);
				}
			}
		} else {
			char what[300];
			snprintf(what, sizeof what, "field '%s'", key);
			imb_val *v = rd_val(r, 1, what);
			if (!v) {
				bad = 1;
			} else {
				if (!f->extra)
					f->extra = imb_val_map();
				imb_val_set(f->extra, key, v);
			}
		}
		free(key);
		if (bad)
			return -1;
	}
	if (!have_version)
		return imb_seterr("missing field 'imb' (the format version): is this an imb stream?");
	if (!have_kind)
		return imb_seterr("missing field 'kind'");
	return 0;
}

int imb_read_frame(imb_reader *r, imb_frame **out)
{
	*out = NULL;
	if (fill(r)) {
		if (r->eof)
			return 0; /* clean end between frames */
		return -1;
	}
	long index = ++r->frames;
	imb_frame *f = imb_frame_new("", "");
	f->index = index;
	tok head;
	if (rd_tok(r, &head, "a frame header") || rd_frame_body(r, f, &head)) {
		if (f->kind[0])
			imb_preferr("%s: frame %ld (%s '%s'): ", r->label, index, f->kind, f->name);
		else
			imb_preferr("%s: frame %ld: ", r->label, index);
		imb_frame_free(f);
		return -1;
	}
	*out = f;
	return 1;
}
