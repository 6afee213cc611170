/* util.h: checked allocation, the library's error slot, number text.
 *
 * Library calls that can fail on bad data return -1 (or NULL) and leave a
 * message in a thread-local slot, read with imb_error(). The message
 * names the frame and field where one is known. Allocation failure is
 * not bad data: imb_x* print "imb: out of memory" (a tool: "imb-cat: out of
 * memory", its partial outputs removed) and exit 1. */
#ifndef IMB_UTIL_H
#define IMB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IMB_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *imb_xmalloc(size_t n);
void *imb_xcalloc(size_t n, size_t size);
void *imb_xrealloc(void *p, size_t n);
char *imb_xstrdup(const char *s);
/* 64-byte aligned; free with free(). n may be 0. */
void *imb_xmalloc_aligned(size_t n);
/* Called when an allocation above fails (it must not return; without a
 * hook the process prints "imb: out of memory" and exits 1). */
void imb_set_oom_hook(void (*fn)(void));
/* n*size with overflow check: returns 0 and sets *out, or -1. */
int imb_mul_overflow(size_t a, size_t b, size_t *out);
/* A double from input (a ratio's quotient, an attrs number) as an
 * integer: 0 and *out = trunc(v) when v is finite and trunc(v) lies in
 * [lo, hi]; -1 otherwise (NaN, infinities and doubles past int64 are
 * refused before any cast, which would be undefined). */
int imb_double_to_i64(double v, int64_t lo, int64_t hi, int64_t *out);

/* Set the error message (printf-style); always returns -1. */
int imb_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefix the current message: "frame 2: " + old. Returns -1. */
int imb_preferr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *imb_error(void);

/* Shortest "%.{15,16,17}g" text that reads back to the same double;
 * never depends on the locale. */
void imb_fmt_double(char *buf, size_t size, double f);
void imb_fprint_double(FILE *fp, double f);

/* Byte offset of the first invalid UTF-8 sequence in s[0..len), or -1. */
long imb_utf8_bad(const void *s, size_t len);
/* s with each byte of an invalid UTF-8 sequence written as the four
 * characters \xHH (valid text is kept as it is): how a path or a name
 * that is not UTF-8 becomes a msgpack str, which must be UTF-8. Free it. */
char *imb_utf8_escape(const char *s);

/* The one escape of every text writer (TSV cells, imb-info lines,
 * hessian TSV): backslash as \\, tab \t, newline \n, carriage return
 * \r, other control bytes (0x00-0x1f, 0x7f) and bytes of invalid UTF-8 as
 * \xHH. A name can then never split a TSV row or forge a line. */
void imb_write_tsv_str(FILE *fp, const char *s, size_t len);
void imb_write_tsv(FILE *fp, const char *s); /* NUL-terminated; NULL: nothing */
/* One CSV field as RFC 4180 says: quoted (quotes doubled) when it holds
 * a comma, a quote, CR or LF, else as it is. NULL: nothing. */
void imb_write_csv(FILE *fp, const char *s);
/* A text cell: sep ',' imb_write_csv, else imb_write_tsv. */
void imb_write_field(FILE *fp, char sep, const char *s);
/* The one JSON string writer: quotes, backslash and control characters
 * escaped as JSON says; a byte of invalid UTF-8 becomes the text \xHH
 * (JSON "\\xHH"), so the output is always valid UTF-8 and valid JSON. */
void imb_write_json_str(FILE *fp, const char *s, size_t len);

/* Temp files for outputs that appear whole or not at all (lib/tmpout.c).
 * imb_tmp_create makes a new empty file beside path, "DIR/.BASE.tmp.XXXXXX"
 * (BASE cut to 200 bytes), by mkostemp: O_CREAT|O_EXCL|O_NOFOLLOW, so no
 * name to guess and no planted link followed; its mode is 0666 less the
 * umask (what a shell's > gives). Returns the descriptor (close-on-exec)
 * and *tmp (malloc'd), or -1 with errno (EISDIR: path names no file).
 * The file stays listed until imb_tmp_done (after the caller renamed it)
 * or imb_tmp_remove (unlink): imb_tmp_unlink_all, async-signal-safe, for
 * signal handlers and exit, unlinks every listed one. */
int imb_tmp_create(const char *path, char **tmp);
void imb_tmp_done(const char *tmp);
void imb_tmp_remove(const char *tmp);
void imb_tmp_unlink_all(void);

/* Monotonic seconds, for progress and benchmarks. */
double imb_now(void);

/* A pipe's buffer made 1 MiB: fewer context switches between the tools
 * of a pipeline; failure (not a pipe, over the limit) is harmless. */
void imb_widen_pipe(int fd);

#ifdef __cplusplus
}
#endif

#endif
