/* cli.c: shared tool plumbing. */
#include "cli.h"
#include "blas.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the engine's start-up (nn_backend.h); weak, so a tool that does not
 * use the engine does not link it (nor load OpenBLAS for it) */
extern void imb_nn_init(void) __attribute__((weak));

static const char *tool = "imb";
static int bar_open;   /* a progress bar is on stderr's current line */
static int g_argc;
static char **g_argv;
static int quiet;

/* The signals whose default action ends the process and that a user,
 * a shell (SIGHUP on logout), a timer or a limit (SIGXFSZ, SIGXCPU) can
 * send, and SIGPIPE (a reader gone from another output) and SIGABRT (a
 * library's abort). The handler unlinks the temp outputs, async-signal-
 * safely (no free, no stdio), and the process then dies by the signal. */
static const int fatal_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGALRM, SIGUSR1, SIGUSR2, SIGPIPE,
	SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGABRT,
};

static void on_signal(int sig)
{
	imb_tmp_unlink_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Any exit (exit() from a library, such as libgomp failing to start a
 * thread; a return from main without imb_finish) leaves no temp file. */
static void at_exit(void)
{
	imb_tmp_unlink_all();
}

/* fds 0, 1 and 2 open, or the first file a tool opens becomes one of them
 * (with stderr closed, log lines would be written into the output). A
 * closed one gets /dev/null opened the other way round, so that using it
 * still fails (EBADF) as the closed descriptor would have. */
static void std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (n < 0)
			_exit(127);
		if (n != fd) {   /* lower ones are open: n is fd */
			dup2(n, fd);
			close(n);
		}
	}
}

/* before any library's start-up opens a file */
__attribute__((constructor)) static void std_fds_early(void)
{
	std_fds();
}

static void catch_signals(void)
{
	for (size_t k = 0; k < IMB_LEN(fatal_signals); k++) {
		struct sigaction sa, old;
		/* a signal ignored on entry (nohup, a shell's trap '' HUP) stays
		 * so; but not INT and QUIT, which a shell ignores in every
		 * background job of a script: kill -INT still stops one cleanly */
		int sig = fatal_signals[k];
		if (sig != SIGINT && sig != SIGQUIT && sigaction(sig, NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigfillset(&sa.sa_mask);
		sigaction(sig, &sa, NULL);
	}
}

/* out of memory: "<tool>: out of memory", temp outputs removed, exit 1 */
static void cli_oom(void)
{
	imb_die(1, "out of memory");
}

void imb_cli_init(const char *name, int argc, char **argv)
{
	tool = name;
	std_fds();
	static int registered;
	if (!registered++)
		atexit(at_exit);
	catch_signals();
	imb_set_oom_hook(cli_oom);
	/* start the engine's backend (the CPU one stops OpenBLAS's spinning
	 * pool at once); a tool without the engine that still loads
	 * OpenBLAS (SMOTE's kNN) stops it directly */
	if (imb_nn_init)
		imb_nn_init();
	else
		imb_blas_single();
	g_argc = argc;
	g_argv = argv;
	const char *p = getenv("IMB_PROGRESS");
	if (p && strcmp(p, "0") == 0)
		quiet = 1;
}

const char *imb_tool(void) { return tool; }

static void vmsg(const char *fmt, va_list ap)
{
	int e = errno;
	imb_progress_break();
	fprintf(stderr, "%s: ", tool);
	vfprintf(stderr, fmt, ap);
	size_t n = strlen(fmt);
	if (n && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(e));
	fputc('\n', stderr);
}

void imb_die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	imb_writers_abort();
	exit(code);
}

void imb_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", tool);
	imb_writers_abort();
	exit(2);
}

void imb_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	imb_progress_break();
	fprintf(stderr, "%s: warning: ", tool);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void imb_help(const char *text)
{
	fputs(text, stdout);
	imb_finish_text();
	exit(0);
}

void imb_version(void)
{
	printf("%s (imb) %s\n", tool, IMB_VERSION);
	imb_finish_text();
	exit(0);
}

double imb_arg_double(const char *flag, const char *s, double lo, double hi)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v))
		imb_usage("%s: '%s' is not a number", flag, s);
	if (v < lo || v > hi)
		imb_usage("%s: %s is out of range [%g, %g]", flag, s, lo, hi);
	return v;
}

long imb_arg_long(const char *flag, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno)
		imb_usage("%s: '%s' is not an integer", flag, s);
	if (v < lo || v > hi)
		imb_usage("%s: %s is out of range [%ld, %ld]", flag, s, lo, hi);
	return v;
}

int imb_arg_format(const char *flag, const char *s)
{
	if (!strcmp(s, "frames"))
		return IMB_FMT_FRAMES;
	if (!strcmp(s, "tsv"))
		return IMB_FMT_TSV;
	if (!strcmp(s, "json"))
		return IMB_FMT_JSON;
	imb_usage("%s: '%s' is not frames, tsv or json", flag, s);
}

uint64_t imb_arg_seed(const char *flag, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-')
		imb_usage("%s: '%s' is not a non-negative integer", flag, s);
	return v;
}

static size_t split_list(const char *flag, const char *s, char ***parts)
{
	char *copy = imb_xstrdup(s);
	size_t n = 0, cap = 8;
	char **p = imb_xmalloc(cap * sizeof *p);
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == cap)
			p = imb_xrealloc(p, (cap *= 2) * sizeof *p);
		p[n++] = imb_xstrdup(tok);
	}
	free(copy);
	if (!n)
		imb_usage("%s: empty list", flag);
	*parts = p;
	return n;
}

size_t imb_arg_longs(const char *flag, const char *s, long **out)
{
	char **parts;
	size_t n = split_list(flag, s, &parts);
	*out = imb_xmalloc(n * sizeof **out);
	for (size_t k = 0; k < n; k++) {
		(*out)[k] = imb_arg_long(flag, parts[k], -0x7fffffffL, 0x7fffffffL);
		free(parts[k]);
	}
	free(parts);
	return n;
}

size_t imb_arg_doubles(const char *flag, const char *s, double **out)
{
	char **parts;
	size_t n = split_list(flag, s, &parts);
	*out = imb_xmalloc(n * sizeof **out);
	for (size_t k = 0; k < n; k++) {
		(*out)[k] = imb_arg_double(flag, parts[k], -INFINITY, INFINITY);
		free(parts[k]);
	}
	free(parts);
	return n;
}

void imb_history_append(imb_frame *f, int64_t seed)
{
	imb_val *h = imb_val_get(f->attrs, "history");
	if (!h || h->t != IMB_V_ARR) {
		h = imb_val_arr();
		imb_val_set(f->attrs, "history", h);
	}
	imb_val *e = imb_val_map();
	imb_val_set_str(e, "tool", tool);
	imb_val *av = imb_val_arr();
	for (int k = 0; k < g_argc; k++) {
		/* a msgpack str must be UTF-8: an argument that is not (a path
		 * with a 0xff byte) keeps its invalid bytes as \xHH */
		char *a = imb_utf8_escape(g_argv[k]);
		imb_val_push(av, imb_val_str(a));
		free(a);
	}
	imb_val_set(e, "argv", av);
	if (seed >= 0)
		imb_val_set_int(e, "seed", seed);
	imb_val_set_str(e, "version", IMB_VERSION);
	imb_val_push(h, e);
}

imb_frame *imb_next(imb_reader *r)
{
	imb_frame *f;
	int rc = imb_read_frame(r, &f);
	if (rc < 0)
		imb_die(1, "%s", imb_error());
	return rc ? f : NULL;
}

imb_reader *imb_open_input(const char *path)
{
	imb_reader *r = imb_reader_open(path);
	if (!r)
		imb_die(1, "%s", imb_error());
	return r;
}

imb_writer *imb_open_output(const char *path)
{
	imb_writer *w = imb_writer_open(path);
	if (!w)
		imb_die(1, "%s", imb_error());
	return w;
}

void imb_emit(imb_writer *w, const imb_frame *f)
{
	imb_progress_break();
	if (imb_write_frame(w, f))
		imb_die(1, "%s", imb_error());
}

void imb_finish(imb_writer *w)
{
	if (imb_writer_close(w))
		imb_die(1, "%s", imb_error());
}

void imb_finish_text(void)
{
	imb_progress_break();
	if (fflush(stdout) || ferror(stdout))
		imb_die(1, "stdout: write error:");
}

void imb_quiet(int q) { quiet = q; }

static int show_progress(void)
{
	if (quiet)
		return 0;
	const char *p = getenv("IMB_PROGRESS");
	if (p)
		return strcmp(p, "1") == 0;
	return isatty(2);
}

static double last_draw, bar_t0;
static uint64_t bar_done0;

void imb_progress(const char *what, uint64_t done, uint64_t total)
{
	imb_progress_note(what, done, total, NULL);
}

/* seconds as "42s", "3m07s" or "2h05m" */
static void fmt_eta(char *buf, size_t size, double s)
{
	long t = (long)(s + 0.5);
	if (t < 60)
		snprintf(buf, size, "%lds", t);
	else if (t < 3600)
		snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, size, "%ldh%02ldm", t / 3600, t % 3600 / 60);
}

void imb_progress_note(const char *what, uint64_t done, uint64_t total, const char *note)
{
	if (!show_progress())
		return;
	double now = imb_now();
	if (!bar_open || done < bar_done0) {   /* a new bar: its clock starts */
		bar_t0 = now;
		bar_done0 = done;
	}
	if (bar_open && done < total && now - last_draw < 0.1)
		return;
	last_draw = now;
	bar_open = 1;
	/* on a terminal, clear what a longer line before left */
	const char *clear = isatty(2) ? "\033[K" : "";
	if (!total) { /* unknown total: just the count */
		fprintf(stderr, "\r%s: %s %llu%s%s%s", tool, what, (unsigned long long)done,
		        note ? " " : "", note ? note : "", clear);
		fflush(stderr);
		return;
	}
	int width = 30, fill = (int)(width * (double)done / (double)total);
	if (fill > width)
		fill = width;
	/* the time left at the rate since the bar's first draw */
	char eta[32] = "eta ?";
	if (done > bar_done0 && now > bar_t0) {
		double rate = (double)(done - bar_done0) / (now - bar_t0);
		strcpy(eta, "eta ");
		fmt_eta(eta + 4, sizeof eta - 4, done >= total ? 0 : (double)(total - done) / rate);
	}
	fprintf(stderr, "\r%s: %s [%.*s%*s] %llu/%llu%s%s %s%s", tool, what, fill,
	        "##############################", width - fill, "",
	        (unsigned long long)done, (unsigned long long)total, note ? " " : "",
	        note ? note : "", eta, clear);
	fflush(stderr);
}

void imb_progress_done(void)
{
	imb_progress_break();
}

void imb_progress_break(void)
{
	if (!bar_open)
		return;
	bar_open = 0;
	fputc('\n', stderr);
	fflush(stderr);
}

void imb_log(const char *fmt, ...)
{
	if (quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	imb_progress_break();
	fprintf(stderr, "%s: ", tool);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
