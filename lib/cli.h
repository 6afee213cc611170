/* cli.h: what every imb-* tool's main shares: errors and exit codes,
 * strict flag parsing, provenance, reading and writing frames or dying.
 *
 * Exit codes: 0 success, 1 bad data or a failed write, 2 usage error.
 * Messages go to stderr as "imb-tool: message". */
#ifndef IMB_CLI_H
#define IMB_CLI_H

#include "stream.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IMB_VERSION "0.1.0"

#ifdef __cplusplus
#define IMB_NORETURN [[noreturn]]
#else
#define IMB_NORETURN _Noreturn
#endif

/* Record the tool name and argv (for messages and attrs.history); open
 * /dev/null on any of fds 0, 1, 2 that is closed (so no output file
 * becomes stderr); make every exit, and every fatal signal a user can send
 * (HUP, INT, QUIT, TERM, ALRM, USR1, USR2, PIPE, XCPU, XFSZ, VTALRM, PROF,
 * ABRT; one ignored on entry stays ignored), unlink the temp outputs, the
 * signals then killing the process as by default. */
void imb_cli_init(const char *tool, int argc, char **argv);
const char *imb_tool(void);

/* "tool: message"; a message ending in ':' gets strerror(errno). Unlinks
 * temp outputs, then exits with code. */
IMB_NORETURN void imb_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Usage error: message, a hint to run --help, exit 2. */
IMB_NORETURN void imb_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a warning on stderr. */
void imb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print text (the tool's --help) on stdout, exit 0. */
IMB_NORETURN void imb_help(const char *text);
IMB_NORETURN void imb_version(void);

/* Strict numbers: the whole string must parse and be in range, else a
 * usage error naming the flag. */
double imb_arg_double(const char *flag, const char *s, double lo, double hi);
long imb_arg_long(const char *flag, const char *s, long lo, long hi);
uint64_t imb_arg_seed(const char *flag, const char *s);
/* Output formats of the tools that write frames or text: "frames",
 * "tsv" or "json" -> IMB_FMT_*, else a usage error naming the flag. */
enum { IMB_FMT_FRAMES, IMB_FMT_TSV, IMB_FMT_JSON };
int imb_arg_format(const char *flag, const char *s);
/* Comma lists: "3,5,7". Returns the count; *out is malloc'd. */
size_t imb_arg_longs(const char *flag, const char *s, long **out);
size_t imb_arg_doubles(const char *flag, const char *s, double **out);

/* Append {tool, argv, seed, version} to f->attrs.history (seed < 0: no
 * seed field). */
void imb_history_append(imb_frame *f, int64_t seed);

/* Read the next frame or die with exit 1 naming the frame; NULL at a
 * clean end of stream. */
imb_frame *imb_next(imb_reader *r);
/* Open a reader or die. */
imb_reader *imb_open_input(const char *path);
imb_writer *imb_open_output(const char *path);
/* Write a frame or die with exit 1. */
void imb_emit(imb_writer *w, const imb_frame *f);
/* Close the writer (rename into place) or die with exit 1. */
void imb_finish(imb_writer *w);
/* Check stdout's text output for write errors (fflush + ferror) or die. */
void imb_finish_text(void);

/* Progress on stderr for long work: shown when stderr is a terminal or
 * IMB_PROGRESS=1, never when IMB_PROGRESS=0 or after imb_quiet(1).
 * A bar redraws its line ("tool: what [###   ] done/total note eta 1m05s",
 * the time left at the rate since the bar's first draw; at most ten
 * draws a second but always the last); note (NULL: none) is the work's
 * own figures ("loss 0.3127"). A bar's line is ended (a newline) by
 * imb_progress_done, and before anything else is printed on stderr
 * (imb_log, imb_warn, imb_die, imb_usage) or a frame or text goes to the
 * output; a library that prints on stderr itself calls
 * imb_progress_break first. */
void imb_quiet(int q);
void imb_progress(const char *what, uint64_t done, uint64_t total);
void imb_progress_note(const char *what, uint64_t done, uint64_t total, const char *note);
void imb_progress_done(void);
/* End the bar's line if one is open; nothing otherwise. */
void imb_progress_break(void);
/* A log line on stderr unless quiet. */
void imb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif
