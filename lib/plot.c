/* plot.c: gnuplot scripts, running gnuplot and installing its pictures;
 * see plot.h. */
#include "plot.h"
#include "cli.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- scripts ---- */

static const unsigned palette[] = {
	0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e, 0x9467bd,
	0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
};

unsigned imb_plot_color(int k, int light)
{
	unsigned c = palette[(unsigned)k % IMB_LEN(palette)];
	if (!light)
		return c;
	/* three quarters of the way to white */
	unsigned out = 0;
	for (int sh = 0; sh <= 16; sh += 8) {
		unsigned v = (c >> sh) & 0xff;
		out |= ((v + 3 * 255) / 4) << sh;
	}
	return out;
}

void imb_plot_quote(FILE *fp, const char *s)
{
	fputc('\'', fp);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '\'')
			fputs("''", fp);
		else if (*p < 0x20 || *p == 0x7f)
			fputc(' ', fp);
		else
			fputc(*p, fp);
	}
	fputc('\'', fp);
}

void imb_plot_script_head(FILE *fp, const imb_plot_opts *o)
{
	fputs("# written by imb-plot; data files are in this directory\n"
	      "set encoding utf8\n"
	      "set datafile missing 'NA'\n", fp);
	if (o->title) {
		fputs("set title ", fp);
		imb_plot_quote(fp, o->title);
		fputs(" noenhanced\n", fp);
	}
	if (o->xlabel) {
		fputs("set xlabel ", fp);
		imb_plot_quote(fp, o->xlabel);
		fputs(" noenhanced\n", fp);
	}
	if (o->ylabel) {
		fputs("set ylabel ", fp);
		imb_plot_quote(fp, o->ylabel);
		fputs(" noenhanced\n", fp);
	}
	fputs("set grid lc rgb '#dddddd'\n", fp);
}

void imb_plot_script_pictures(FILE *fp, const imb_plot_opts *o, const char *body)
{
	int w = o->width > 0 ? o->width : 900, h = o->height > 0 ? o->height : 650;
	if (o->png)
		fprintf(fp, "set terminal pngcairo noenhanced size %d,%d font ',11'\n"
		            "set output 'out.png'\n%sset output\n", w, h, body);
	if (o->svg)
		fprintf(fp, "set terminal svg noenhanced size %d,%d font 'sans,11' background '#ffffff'\n"
		            "set output 'out.svg'\n%sset output\n", w, h, body);
}

void imb_plot_script_series(FILE *fp, const imb_plot_opts *o, const imb_plot_series *s,
                            size_t n)
{
	imb_plot_script_head(fp, o);
	if (o->logx)
		fputs("set logscale x\n", fp);
	if (o->logy)
		fputs("set logscale y\n", fp);
	fputs("set key outside top center horizontal box opaque noenhanced", fp);
	if (o->key_title) {
		fputs(" title ", fp);
		imb_plot_quote(fp, o->key_title);
	}
	fputc('\n', fp);
	fputs("set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n", fp);
	if (o->y_from_zero)
		fputs("set yrange [0:*]\n", fp);
	if (o->xtic_step > 0)
		fprintf(fp, "set xtics %.17g\n", o->xtic_step);
	char *body = NULL;
	size_t len = 0;
	FILE *b = open_memstream(&body, &len);
	fputs("plot ", b);
	int first = 1;
	if (o->band)
		/* the bands first, under every line */
		for (size_t k = 0; k < n; k++) {
			if (!s[k].se)
				continue;
			unsigned c = imb_plot_color(s[k].color ? s[k].color - 1 : (int)k, 0);
			fprintf(b, "%s'data.dat' index %zu using 1:($2-$3):($2+$3) with filledcurves "
			           "fs transparent solid 0.18 noborder lc rgb '#%06x' notitle",
			        first ? "" : ", \\\n     ", k, c);
			first = 0;
		}
	for (size_t k = 0; k < n; k++) {
		unsigned c = imb_plot_color(s[k].color ? s[k].color - 1 : (int)k, 0);
		if (!first)
			fputs(", \\\n     ", b);
		first = 0;
		if (s[k].se && !o->band)
			fprintf(b, "'data.dat' index %zu using 1:2:3 with yerrorlines lw 2 pt 7 ps 0.8 "
			           "dt %d lc rgb '#%06x' title ", k, s[k].dash ? s[k].dash : 1, c);
		else
			fprintf(b, "'data.dat' index %zu using 1:2 with linespoints lw 2 pt 7 ps %s "
			           "dt %d lc rgb '#%06x' title ", k, o->band ? "0.5" : "0.8",
			        s[k].dash ? s[k].dash : 1, c);
		imb_plot_quote(b, *s[k].label ? s[k].label : s[k].se ? "mean +- 1 SE" : "value");
	}
	fputc('\n', b);
	fclose(b);
	imb_plot_script_pictures(fp, o, body);
	free(body);
}

/* col with '_' as ' ', then suffix */
static char *label_of(const char *col, char *buf, size_t size, const char *suffix)
{
	size_t i = 0;
	for (; col[i] && i + 1 < size; i++)
		buf[i] = col[i] == '_' ? ' ' : col[i];
	buf[i] = 0;
	if (suffix)
		snprintf(buf + i, size - i, "%s", suffix);
	return buf;
}

void imb_plot_series_labels(imb_plot_opts *o, imb_plot_labels *lab, const char *x,
                            const char *y, int se, const char *group)
{
	if (!o->xlabel)
		o->xlabel = !strcmp(x, "train_ratio")
		            ? "train ratio: minority / majority count (log scale)"
		            : label_of(x, lab->x, sizeof lab->x, o->logx ? " (log scale)" : NULL);
	if (!o->ylabel)
		o->ylabel = label_of(y, lab->y, sizeof lab->y,
		                     se ? " (mean, error bars +-1 SE)" : (o->logy ? " (log scale)" : NULL));
	if (!o->title) {
		char a[300], b[300];
		snprintf(lab->title, sizeof lab->title, "%s against %s",
		         label_of(y, a, sizeof a, NULL), label_of(x, b, sizeof b, NULL));
		o->title = lab->title;
	}
	if (group)
		o->key_title = group;
}

int imb_plot_series_files(const char *dir, const imb_plot_opts *o, const imb_plot_series *s,
                          size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (imb_plot_put_stream(dir, "data.dat", fp, &buf, &len, imb_plot_write_series(fp, s, n)))
		return -1;
	fp = open_memstream(&buf, &len);
	imb_plot_script_series(fp, o, s, n);
	return imb_plot_put_stream(dir, "plot.gp", fp, &buf, &len, 0);
}

void imb_plot_script_boundary(FILE *fp, const imb_plot_opts *o,
                              const imb_plot_panel *panel, int npanels)
{
	imb_plot_script_head(fp, o);
	for (int q = 0; q < npanels; q++)
		if (panel[q].K == 2)
			/* the p = 0.5 contour of class 1's probability, as line data */
			fprintf(fp, "set contour base\n"
			            "set cntrparam levels discrete 0.5\n"
			            "unset surface\n"
			            "set view map\n"
			            "set table 'contour%d.dat'\n"
			            "splot 'grid%d.dat' using 1:2:4 with lines notitle\n"
			            "unset table\n"
			            "unset contour\n"
			            "set surface\n", q, q);
	if (npanels > 1)
		/* one legend, under the panels (each panel draws it in the same place) */
		fputs("set key at screen 0.5, screen 0.04 center center horizontal box opaque "
		      "noenhanced maxrows 1\n"
		      "set bmargin 6\n", fp);
	else
		fputs("set key outside top center horizontal box opaque noenhanced maxrows 2\n", fp);
	fputs("set size ratio -1\n"
	      "set autoscale fix\n", fp);
	char *body = NULL;
	size_t len = 0;
	FILE *b = open_memstream(&body, &len);
	if (npanels > 1) {
		/* the figure's title over the panels; each panel its own */
		fputs("unset title\nset multiplot layout 1,", b);
		fprintf(b, "%d", npanels);
		if (o->title) {
			fputs(" title ", b);
			imb_plot_quote(b, o->title);
			fputs(" noenhanced", b);
		}
		fputc('\n', b);
	}
	for (int q = 0; q < npanels; q++) {
		const imb_plot_panel *p = &panel[q];
		if (npanels > 1) {
			fputs("set title ", b);
			imb_plot_quote(b, p->title ? p->title : "");
			fputs(" noenhanced\n", b);
			/* the legend once, with the last panel */
			fputs(q + 1 < npanels ? "set key off\n" : "set key on\n", b);
		}
		fprintf(b, "plot 'grid%d.dat' using 1:2:5:6:7 with rgbimage notitle", q);
		for (int i = 0; i < p->K; i++) {
			int k = p->order[i];
			char label[512];
			snprintf(label, sizeof label, "class %s (n = %zu)", p->names[k], p->counts[k]);
			fprintf(b, ", \\\n     'points%d.dat' index %d using 1:2 with points pt 7 ps 0.45 "
			           "lc rgb '#%06x' title ", q, i, imb_plot_color(k, 0));
			imb_plot_quote(b, label);
		}
		if (p->K == 2)
			fprintf(b, ", \\\n     'contour%d.dat' using 1:2 with lines lw 2.5 lc rgb '#000000' "
			           "title 'decision boundary (p = 0.5)'", q);
		else
			fprintf(b, ", \\\n     'borders%d.dat' using 1:2 with lines lw 2 lc rgb '#000000' "
			           "title 'decision boundary (argmax)'", q);
		fputc('\n', b);
	}
	if (npanels > 1)
		fputs("unset multiplot\n", b);
	fclose(b);
	imb_plot_opts wide = *o;
	if (!wide.width)
		wide.width = npanels > 1 ? 700 * npanels : 900;
	imb_plot_script_pictures(fp, &wide, body);
	free(body);
}

/* ---- running ---- */

static char tmpdir[4096];
static int tmpdir_fd = -1;
void imb_plot_signal_cleanup(void)
{
	imb_tmp_unlink_all();   /* the picture being installed */
	if (tmpdir_fd < 0)
		return;
	/* every name this library or gnuplot makes there */
	static const char *const fixed[] = {"plot.gp", "data.dat", "marks.dat", "input.imb",
	                                    "out.png", "out.svg"};
	static const char *const per[] = {"grid", "points", "borders", "contour"};
	for (size_t i = 0; i < IMB_LEN(fixed); i++)
		unlinkat(tmpdir_fd, fixed[i], 0);
	for (size_t i = 0; i < IMB_LEN(per); i++)
		for (int q = 0; q < IMB_PLOT_MAX_PANELS; q++) {
			char name[32];
			size_t l = strlen(per[i]);
			memcpy(name, per[i], l);
			name[l] = (char)('0' + q);
			memcpy(name + l + 1, ".dat", 5);
			unlinkat(tmpdir_fd, name, 0);
		}
	rmdir(tmpdir);
}

static void rm_tmpdir(void)
{
	if (!*tmpdir)
		return;
	DIR *d = opendir(tmpdir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char p[4400];
			snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(tmpdir);
	*tmpdir = 0;
	if (tmpdir_fd >= 0)
		close(tmpdir_fd);
	tmpdir_fd = -1;
}

const char *imb_plot_tmpdir(void)
{
	if (*tmpdir)
		return tmpdir;
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	if ((size_t)snprintf(tmpdir, sizeof tmpdir, "%s/imb-plot.XXXXXX", base) >= sizeof tmpdir) {
		*tmpdir = 0;
		imb_seterr("TMPDIR is too long");
		return NULL;
	}
	if (!mkdtemp(tmpdir)) {
		imb_seterr("making a temporary directory under %s: %s", base, strerror(errno));
		*tmpdir = 0;
		return NULL;
	}
	tmpdir_fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	static int registered;
	if (!registered++)
		atexit(rm_tmpdir);
	return tmpdir;
}

void imb_plot_tmpdir_remove(void)
{
	rm_tmpdir();
}

int imb_plot_put(const char *dir, const char *name, const char *text, size_t len)
{
	char p[4400];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *fp = fopen(p, "wb");
	if (!fp)
		return imb_seterr("%s: %s", p, strerror(errno));
	size_t w = fwrite(text, 1, len, fp);
	if (w != len || fclose(fp))
		return imb_seterr("writing %s: %s", p, strerror(errno));
	return 0;
}

int imb_plot_put_stream(const char *dir, const char *name, FILE *fp, char **buf, size_t *len,
                        int rc)
{
	if (fclose(fp) && !rc)
		rc = imb_seterr("%s: out of memory", name);
	if (!rc)
		rc = imb_plot_put(dir, name, *buf, *len);
	free(*buf);
	*buf = NULL;
	*len = 0;
	return rc;
}

int imb_plot_gnuplot(const char *dir, const char *script)
{
	const char *prog = getenv("IMB_GNUPLOT");
	if (!prog || !*prog)
		prog = "gnuplot";
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC))
		return imb_seterr("pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return imb_seterr("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		int e = 0;
		if (chdir(dir) == 0) {
			char *const argv[] = {(char *)prog, (char *)script, NULL};
			execvp(prog, argv);
		}
		e = errno;
		/* tell the parent why exec failed */
		if (write(pfd[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	int e = 0;
	ssize_t r = read(pfd[0], &e, sizeof e);
	close(pfd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return imb_seterr("waitpid: %s", strerror(errno));
	if (r == (ssize_t)sizeof e) {
		if (e == ENOENT)
			return imb_seterr("%s: not found: imb-plot draws through gnuplot (Debian: "
			                  "apt-get install gnuplot-nox; or set IMB_GNUPLOT)", prog);
		return imb_seterr("running %s: %s", prog, strerror(e));
	}
	if (WIFSIGNALED(st))
		return imb_seterr("%s was killed by signal %d", prog, WTERMSIG(st));
	if (WEXITSTATUS(st))
		return imb_seterr("%s failed (exit status %d; its messages are above)", prog,
		                  WEXITSTATUS(st));
	return 0;
}

int imb_plot_install(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return imb_seterr("%s: %s (gnuplot drew nothing)", src, strerror(errno));
	struct stat st;
	if (fstat(in, &st) || st.st_size == 0) {
		close(in);
		return imb_seterr("gnuplot drew an empty picture for %s", dst);
	}
	char *tmp;
	int out = imb_tmp_create(dst, &tmp);   /* listed: removed on a signal or exit */
	if (out < 0) {
		int e = errno;
		close(in);
		return imb_seterr("%s: %s", dst, strerror(e));
	}
	char buf[1 << 16];
	ssize_t n;
	int err = 0;
	while ((n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				err = errno;
				break;
			}
			off += w;
		}
		if (err)
			break;
	}
	close(in);
	if (!err && fsync(out) && errno != EINVAL)
		err = errno;
	if (close(out) && !err)
		err = errno;
	if (!err && rename(tmp, dst))
		err = errno;
	if (err) {
		imb_tmp_remove(tmp);
		imb_seterr("writing %s: %s", dst, strerror(err));
		free(tmp);
		return -1;
	}
	imb_tmp_done(tmp);
	free(tmp);
	return 0;
}

/* ---- a figure's pictures ---- */

int imb_plot_targets(const char *output, int both, char **png, char **svg)
{
	*png = *svg = NULL;
	const char *dot = strrchr(output, '.');
	const char *slash = strrchr(output, '/');
	if (!dot || (slash && dot < slash) || (strcmp(dot, ".png") && strcmp(dot, ".svg")))
		return imb_seterr("'%s' must end in .png or .svg", output);
	size_t base = (size_t)(dot - output);
	if (!strcmp(dot, ".png") || both) {
		*png = imb_xmalloc(base + 5);
		memcpy(*png, output, base);
		strcpy(*png + base, ".png");
	}
	if (!strcmp(dot, ".svg") || both) {
		*svg = imb_xmalloc(base + 5);
		memcpy(*svg, output, base);
		strcpy(*svg + base, ".svg");
	}
	return 0;
}

int imb_plot_draw(const char *dir, const char *png, const char *svg)
{
	if (imb_plot_gnuplot(dir, "plot.gp"))
		return -1;
	char src[4200];
	if (png) {
		snprintf(src, sizeof src, "%s/out.png", dir);
		if (imb_plot_install(src, png))
			return -1;
		imb_log("wrote %s", png);
	}
	if (svg) {
		snprintf(src, sizeof src, "%s/out.svg", dir);
		if (imb_plot_install(src, svg))
			return -1;
		imb_log("wrote %s", svg);
	}
	return 0;
}

/* the fatal signals cli.c catches; the handlers found for them, run after
 * the clean-up */
static const int plot_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGALRM, SIGUSR1, SIGUSR2, SIGPIPE,
	SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGABRT,
};
static void (*chained[IMB_LEN(plot_signals)])(int);

static void on_signal(int sig)
{
	imb_plot_signal_cleanup();
	for (size_t k = 0; k < IMB_LEN(plot_signals); k++) {
		void (*c)(int) = chained[k];
		if (plot_signals[k] == sig && c != SIG_DFL && c != SIG_IGN && c != SIG_ERR && c)
			c(sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void imb_plot_catch_signals(void)
{
	for (size_t k = 0; k < IMB_LEN(plot_signals); k++) {
		struct sigaction old;
		/* one ignored on entry (cli.c left it so) stays ignored */
		if (sigaction(plot_signals[k], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		chained[k] = signal(plot_signals[k], on_signal);
	}
}
