/* stream.h: frames, tensors, and the one-pass reader and writer.
 *
 * A stream is a sequence of msgpack maps ("frames"), see
 * docs/stream-format.md. A frame owns its attrs and its tensors; a
 * tensor owns its data (64-byte aligned). The reader reads each tensor's
 * payload straight into that tensor's buffer, and the writer writes it
 * straight from there, so forwarding a frame costs one read and one write
 * of its bytes and no other copy. */
#ifndef IMB_STREAM_H
#define IMB_STREAM_H

#include "val.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IMB_FORMAT_VERSION 1
#define IMB_MAXDIM 8
#define IMB_MAX_TENSORS 64
/* msgpack's bin32 holds at most 2^32-1 bytes: the format's tensor limit */
#define IMB_MAX_TENSOR_BYTES 0xffffffffull

typedef enum { IMB_U8, IMB_I32, IMB_I64, IMB_F32, IMB_F64, IMB_NDTYPE } imb_dtype;

typedef struct {
	char *key;                  /* name in the frame's tensors map: "x", "y" */
	imb_dtype dtype;
	int ndim;
	uint64_t shape[IMB_MAXDIM];
	void *data;                 /* nbytes, little-endian, C order */
	size_t nbytes;
} imb_tensor;

typedef struct {
	int version;     /* the "imb" key */
	char *kind;      /* "dataset", "model", "metrics", ... */
	char *name;      /* "train", "test", "model", ... */
	imb_val *attrs;  /* a map, never NULL */
	size_t ntensors;
	imb_tensor *tensors;
	imb_val *extra;  /* unknown top-level keys, kept for forwarding; may be NULL */
	long index;      /* 1-based position in the stream it was read from; 0 if made here */
} imb_frame;

const char *imb_dtype_name(imb_dtype t);      /* "u8", "f32", ... */
int imb_dtype_parse(const char *s, imb_dtype *out); /* 0 or -1 */
size_t imb_dtype_size(imb_dtype t);

/* New empty frame (attrs an empty map). */
imb_frame *imb_frame_new(const char *kind, const char *name);
void imb_frame_free(imb_frame *f);
/* Adds a tensor with zeroed data of the given shape and returns it; a
 * tensor already under that key is replaced. Exits on overflow/OOM or
 * beyond IMB_MAX_TENSORS. Tensor pointers stay valid while tensors are
 * added (the array never moves); deleting one shifts those after it. */
imb_tensor *imb_frame_add_tensor(imb_frame *f, const char *key, imb_dtype t,
                                 int ndim, const uint64_t *shape);
/* Adds a tensor taking ownership of data (from imb_xmalloc_aligned). */
imb_tensor *imb_frame_put_tensor(imb_frame *f, const char *key, imb_dtype t,
                                 int ndim, const uint64_t *shape, void *data);
/* Memory for a tensor's data (freed with free()): from 2 MiB on, 2 MiB
 * aligned and marked for transparent huge pages, so filling it takes a
 * fault per 2 MiB instead of one per 4 KiB. */
void *imb_payload_alloc(size_t n);
imb_tensor *imb_frame_tensor(const imb_frame *f, const char *key);
void imb_frame_del_tensor(imb_frame *f, const char *key);
/* Element count of a tensor (product of its shape). */
uint64_t imb_tensor_count(const imb_tensor *t);
/* "frame 3 (dataset 'train')": for error messages */
const char *imb_frame_label(const imb_frame *f, char *buf, size_t size);

/* ---- reading ---- */
typedef struct imb_reader imb_reader;
/* path NULL or "-" is stdin. NULL with imb_error() set on failure. */
imb_reader *imb_reader_open(const char *path);
imb_reader *imb_reader_fd(int fd, const char *label);
/* 1: *out is a new frame; 0: clean end of stream; -1: error (imb_error()
 * names the frame and field). A stream that ends inside a frame, a wrong
 * version, a bad dtype or a shape that does not match the data length
 * are errors. */
int imb_read_frame(imb_reader *r, imb_frame **out);
void imb_reader_close(imb_reader *r);

/* ---- writing ---- */
typedef struct imb_writer imb_writer;
/* path NULL or "-" is stdout; a device, FIFO or socket is written in
 * place; a directory is an error ("path: Is a directory"); any other path
 * is written to a new temp file beside it, "DIR/.BASE.tmp.XXXXXX" made by
 * imb_tmp_create (util.h: O_EXCL, no name to guess, no planted link
 * followed; mode 0666 less the umask), renamed over path by
 * imb_writer_close. Open writers' temp files are unlinked by
 * imb_writers_abort() (called by imb_die) and imb_tmp_unlink_all() (the
 * signal handlers and exit of cli.h). */
imb_writer *imb_writer_open(const char *path);
imb_writer *imb_writer_fd(int fd);
int imb_write_frame(imb_writer *w, const imb_frame *f);
/* Flush, check for write errors, rename into place. 0 or -1. Frees w. */
int imb_writer_close(imb_writer *w);
/* Unlink the temp file and free; imb_writer_abort(NULL) is a no-op. */
void imb_writer_abort(imb_writer *w);
/* Abort every open writer to a file and every open text output: what
 * imb_die, imb_usage and the SIGINT/SIGTERM handlers of cli.h call. */
void imb_writers_abort(void);

/* ---- text output (TSV, JSON) ---- */
/* A text output that appears whole or not at all, opened as
 * imb_writer_open opens a file (stdout, in place, or a temp file
 * "DIR/.BASE.tmp.XXXXXX" beside path), which imb_text_close renames over
 * path and imb_writers_abort unlinks. The
 * stream is the caller's to write until imb_text_close or imb_text_abort.
 * NULL with imb_error() ("path: reason") when it cannot be made. */
FILE *imb_text_open(const char *path);
/* Flush and check for write errors, close, rename into place (stdout is
 * flushed and checked, and stays open). 0, or -1 with imb_error():
 * "path: reason" ("stdout: write error: reason"), the temp file unlinked. */
int imb_text_close(FILE *fp);
/* Close and unlink the temp file, no rename; NULL and stdout are no-ops. */
void imb_text_abort(FILE *fp);

/* Serialise one frame into memory (msgpack bytes); caller frees. */
int imb_frame_pack(const imb_frame *f, char **out, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
