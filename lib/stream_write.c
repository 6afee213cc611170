/* stream_write.c: the frame writer on msgpack-c's packer, whose bin body
 * call passes our pointer on to write(2) untouched; outputs that appear
 * whole or not at all (temp files, tmpout.c); text outputs (TSV, JSON)
 * with the same care; the packing of a frame. Frames and the reader:
 * stream.c. */
#include "stream.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- writer */

#define WBUF (1u << 20)

struct imb_writer {
	int fd;
	char *path, *tmp;  /* NULL for stdout */
	char *buf;
	size_t len;
	int err;           /* errno of the first failed write */
	imb_writer *next;  /* open file writers, for imb_writers_abort */
};

static imb_writer *open_writers;

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t put = write(fd, p, n);
		if (put < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += put;
		n -= (size_t)put;
	}
	return 0;
}

static int wflush(imb_writer *w)
{
	if (w->len && !w->err)
		w->err = write_all(w->fd, w->buf, w->len);
	w->len = 0;
	return w->err ? -1 : 0;
}

static int wcallback(void *data, const char *p, size_t n)
{
	imb_writer *w = data;
	if (w->err)
		return -1;
	if (w->len + n > WBUF) {
		if (wflush(w))
			return -1;
		if (n >= WBUF / 2) {
			w->err = write_all(w->fd, p, n);
			return w->err ? -1 : 0;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

imb_writer *imb_writer_fd(int fd)
{
	imb_writer *w = imb_xcalloc(1, sizeof *w);
	imb_widen_pipe(fd);
	w->fd = fd;
	w->buf = imb_xmalloc(WBUF);
	return w;
}

/* Open path for an output that appears whole: a device, FIFO or socket
 * (-o /dev/null, /dev/stdout, a named pipe) in place, since renaming a
 * temp file over it would replace the device node with a regular file;
 * anything else as a new temp file beside it (imb_tmp_create), *tmp set.
 * -1 with imb_error() "path: reason". */
static int out_open(const char *path, char **tmp)
{
	*tmp = NULL;
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return imb_seterr("%s: %s", path, strerror(errno));
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return imb_seterr("%s: %s", path, strerror(errno));
		/* still not a regular file (not swapped for a link to one since
		 * the stat): else nothing was written, the temp file way below */
		if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
			return fd;
		close(fd);
	}
	int fd = imb_tmp_create(path, tmp);
	if (fd < 0)
		return imb_seterr("%s: %s", path, strerror(errno));
	return fd;
}

imb_writer *imb_writer_open(const char *path)
{
	if (!path || strcmp(path, "-") == 0)
		return imb_writer_fd(1);
	char *tmp;
	int fd = out_open(path, &tmp);
	if (fd < 0)
		return NULL;
	imb_writer *w = imb_writer_fd(fd);
	w->path = imb_xstrdup(path);
	w->tmp = tmp;
	w->next = open_writers;
	open_writers = w;
	return w;
}

static void unlist(imb_writer *w)
{
	for (imb_writer **p = &open_writers; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			return;
		}
}

static void writer_free(imb_writer *w)
{
	free(w->path);
	free(w->tmp);
	free(w->buf);
	free(w);
}

int imb_writer_close(imb_writer *w)
{
	if (!w)
		return 0;
	int rc = wflush(w);
	const char *name = w->path ? w->path : "stdout";
	if (rc) {
		imb_seterr("%s: write error: %s", name, strerror(w->err));
	} else if (w->path) {
		if (close(w->fd) < 0 || (w->tmp && rename(w->tmp, w->path) < 0))
			rc = imb_seterr("%s: %s", name, strerror(errno));
		else
			imb_tmp_done(w->tmp);
		w->fd = -1;
	}
	if (w->path) {
		if (w->fd >= 0)
			close(w->fd);
		if (rc)
			imb_tmp_remove(w->tmp);
		unlist(w);
	}
	writer_free(w);
	return rc;
}

void imb_writer_abort(imb_writer *w)
{
	if (!w)
		return;
	if (w->path) {
		close(w->fd);
		imb_tmp_remove(w->tmp);
		unlist(w);
	}
	writer_free(w);
}

/* ---------------------------------------------------------------- text */

/* an open text output to a file, for imb_text_close and imb_writers_abort */
typedef struct text_out {
	FILE *fp;
	char *path, *tmp;      /* tmp NULL when written in place */
	volatile sig_atomic_t closed;  /* fp closed (or closing), still on the list */
	struct text_out *next;
} text_out;

static text_out *open_texts;

FILE *imb_text_open(const char *path)
{
	if (!path || strcmp(path, "-") == 0)
		return stdout;
	text_out *t = imb_xcalloc(1, sizeof *t);
	int fd = out_open(path, &t->tmp);
	if (fd >= 0 && !(t->fp = fdopen(fd, "w"))) {
		int e = errno;
		close(fd);
		imb_tmp_remove(t->tmp);
		imb_seterr("%s: %s", path, strerror(e));
		fd = -1;
	}
	if (fd < 0) {
		free(t->tmp);
		free(t);
		return NULL;
	}
	t->path = imb_xstrdup(path);
	t->next = open_texts;
	open_texts = t;
	return t->fp;
}

/* fp's record, taken off the list; NULL if fp is not an open text output */
static text_out *text_take(FILE *fp)
{
	for (text_out **p = &open_texts; *p; p = &(*p)->next)
		if ((*p)->fp == fp) {
			text_out *t = *p;
			*p = t->next;
			return t;
		}
	return NULL;
}

static text_out *text_find(FILE *fp)
{
	text_out *t = open_texts;
	while (t && t->fp != fp)
		t = t->next;
	return t;
}

int imb_text_close(FILE *fp)
{
	if (fp == stdout) {
		errno = 0;
		if (fflush(stdout) || ferror(stdout))
			return imb_seterr("stdout: write error: %s", strerror(errno ? errno : EIO));
		return 0;
	}
	text_out *t = text_find(fp);
	if (!t)
		return imb_seterr("imb_text_close: not a stream of imb_text_open");
	int e = 0;
	errno = 0;
	if (fflush(fp) || ferror(fp))
		e = errno ? errno : EIO;
	t->closed = 1;
	if (fclose(fp) && !e)
		e = errno;
	if (!e && t->tmp && rename(t->tmp, t->path))
		e = errno;
	if (e)
		imb_tmp_remove(t->tmp);
	else
		imb_tmp_done(t->tmp);
	/* listed until renamed or unlinked, so a signal never leaves the temp file */
	text_take(fp);
	int rc = e ? imb_seterr("%s: %s", t->path, strerror(e)) : 0;
	free(t->path);
	free(t->tmp);
	free(t);
	return rc;
}

void imb_text_abort(FILE *fp)
{
	text_out *t = fp && fp != stdout ? text_take(fp) : NULL;
	if (!t)
		return;
	imb_tmp_remove(t->tmp);
	if (!t->closed)
		fclose(t->fp);
	free(t->path);
	free(t->tmp);
	free(t);
}

void imb_writers_abort(void)
{
	while (open_writers)
		imb_writer_abort(open_writers);
	while (open_texts)
		imb_text_abort(open_texts->fp);
}

/* a msgpack str, which must be UTF-8: invalid bytes, from wherever they
 * came (a frame made elsewhere, a --name), are written as the text \xHH */
static void pack_text(msgpack_packer *pk, const char *s, size_t n)
{
	if (imb_utf8_bad(s, n) < 0 || memchr(s, 0, n)) {
		msgpack_pack_str(pk, n);
		msgpack_pack_str_body(pk, s, n);
		return;
	}
	char *e = imb_utf8_escape(s);
	size_t m = strlen(e);
	msgpack_pack_str(pk, m);
	msgpack_pack_str_body(pk, e, m);
	free(e);
}

static void pack_str(msgpack_packer *pk, const char *s)
{
	pack_text(pk, s, strlen(s));
}

static void pack_val(msgpack_packer *pk, const imb_val *v)
{
	switch (v->t) {
	case IMB_V_NIL: msgpack_pack_nil(pk); break;
	case IMB_V_BOOL: v->i ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
	case IMB_V_INT: msgpack_pack_int64(pk, v->i); break;
	case IMB_V_FLOAT: msgpack_pack_double(pk, v->f); break;
	case IMB_V_STR:
		pack_text(pk, v->s, v->len);
		break;
	case IMB_V_BIN:
		msgpack_pack_bin(pk, v->len);
		msgpack_pack_bin_body(pk, v->s, v->len);
		break;
	case IMB_V_ARR:
		msgpack_pack_array(pk, v->n);
		for (size_t k = 0; k < v->n; k++)
			pack_val(pk, v->items[k]);
		break;
	case IMB_V_MAP:
		msgpack_pack_map(pk, v->n);
		for (size_t k = 0; k < v->n; k++) {
			pack_str(pk, v->keys[k]);
			pack_val(pk, v->items[k]);
		}
		break;
	}
}

static void pack_frame(msgpack_packer *pk, const imb_frame *f)
{
	msgpack_pack_map(pk, 5 + (f->extra ? f->extra->n : 0));
	pack_str(pk, "imb");
	msgpack_pack_uint32(pk, IMB_FORMAT_VERSION);
	pack_str(pk, "kind");
	pack_str(pk, f->kind);
	pack_str(pk, "name");
	pack_str(pk, f->name);
	pack_str(pk, "attrs");
	pack_val(pk, f->attrs);
	pack_str(pk, "tensors");
	msgpack_pack_map(pk, f->ntensors);
	for (size_t k = 0; k < f->ntensors; k++) {
		const imb_tensor *t = &f->tensors[k];
		pack_str(pk, t->key);
		msgpack_pack_map(pk, 3);
		pack_str(pk, "dtype");
		pack_str(pk, imb_dtype_name(t->dtype));
		pack_str(pk, "shape");
		msgpack_pack_array(pk, t->ndim);
		for (int d = 0; d < t->ndim; d++)
			msgpack_pack_uint64(pk, t->shape[d]);
		pack_str(pk, "data");
		msgpack_pack_bin(pk, t->nbytes);
		msgpack_pack_bin_body(pk, t->data, t->nbytes);
	}
	if (f->extra)
		for (size_t k = 0; k < f->extra->n; k++) {
			pack_str(pk, f->extra->keys[k]);
			pack_val(pk, f->extra->items[k]);
		}
}

static int check_frame(const imb_frame *f)
{
	for (size_t k = 0; k < f->ntensors; k++)
		if (f->tensors[k].nbytes > IMB_MAX_TENSOR_BYTES)
			return imb_seterr("tensor '%s' holds %zu bytes; the format stores at most 4 GiB - 1 a tensor",
			                  f->tensors[k].key, f->tensors[k].nbytes);
	return 0;
}

int imb_write_frame(imb_writer *w, const imb_frame *f)
{
	if (check_frame(f))
		return -1;
	msgpack_packer pk;
	msgpack_packer_init(&pk, w, wcallback);
	pack_frame(&pk, f);
	if (w->err)
		return imb_seterr("%s: write error: %s", w->path ? w->path : "stdout", strerror(w->err));
	return 0;
}

int imb_frame_pack(const imb_frame *f, char **out, size_t *len)
{
	if (check_frame(f))
		return -1;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_frame(&pk, f);
	*out = sb.data;
	*len = sb.size;
	return 0;
}
