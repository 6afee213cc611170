/* test_plot.c: gnuplot's side without gnuplot: quoting, the scripts'
 * text (they name only files of their own directory), the temporary
 * directory, the atomic install of a picture, and a missing or failing
 * gnuplot. */
#include "check.h"
#include "cli.h"
#include "plot.h"
#include "util.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *quoted(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	imb_plot_quote(fp, s);
	fclose(fp);
	return buf;
}

static void test_quote(void)
{
	char *q = quoted("it's");
	CHECK_STR(q, "'it''s'");
	free(q);
	/* newlines cannot end the string and start a command */
	q = quoted("a'\nsystem 'rm -rf x'\n`id`$HOME");
	CHECK_STR(q, "'a'' system ''rm -rf x'' `id`$HOME'");
	free(q);
	q = quoted(NULL);
	CHECK_STR(q, "''");
	free(q);
}

static void test_series_script(void)
{
	/* two series as imb_plot_series_select makes them: sgd, sam */
	double x0[] = {0.01, 0.1}, y0[] = {0.6, 0.8}, e0[] = {0, 0.01};
	double x1[] = {0.1}, y1[] = {0.85}, e1[] = {0.02};
	imb_plot_series s[2] = {{.label = "sgd", .n = 2, .x = x0, .y = y0, .se = e0},
	                        {.label = "sam", .n = 1, .x = x1, .y = y1, .se = e1}};
	/* log x, error bars, one line a group, its name quoted */
	imb_plot_opts o = {.title = "acc against ratio", .xlabel = "ratio", .ylabel = "acc",
	                   .logx = 1, .png = 1, .svg = 1};
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	imb_plot_script_series(fp, &o, s, 2);
	fclose(fp);
	CHECK_HAS(buf, "set logscale x\n");
	CHECK_HAS(buf, "set output 'out.png'");
	CHECK_HAS(buf, "set output 'out.svg'");
	CHECK_HAS(buf, "'data.dat' index 1 using 1:2:3 with yerrorlines");
	CHECK_HAS(buf, "title 'sam'");
	CHECK(!strstr(buf, "logscale y"));
	CHECK(!strstr(buf, "/"));  /* no path: only files of its directory */
	free(buf);
	/* no error column, no label: "value" */
	imb_plot_series one = {.label = "", .n = 1, .x = x1, .y = y1};
	imb_plot_opts lin = {.logy = 1, .png = 1};
	buf = NULL;
	fp = open_memstream(&buf, &len);
	imb_plot_script_series(fp, &lin, &one, 1);
	fclose(fp);
	CHECK_HAS(buf, "set logscale y\n");
	CHECK_HAS(buf, "'data.dat' index 0 using 1:2 with linespoints");
	CHECK_HAS(buf, "title 'value'");
	CHECK(!strstr(buf, "logscale x"));
	CHECK(!strstr(buf, "out.svg"));
	free(buf);
}

static void test_series_labels(void)
{
	/* the defaults: columns with spaces, scales, the SE note, the group */
	imb_plot_opts o = {.logx = 1, .logy = 1};
	imb_plot_labels lab;
	imb_plot_series_labels(&o, &lab, "test_ratio", "balanced_accuracy", 1, "model,seed");
	CHECK_STR(o.xlabel, "test ratio (log scale)");
	CHECK_STR(o.ylabel, "balanced accuracy (mean, error bars +-1 SE)");
	CHECK_STR(o.title, "balanced accuracy against test ratio");
	CHECK_STR(o.key_title, "model,seed");
	imb_plot_opts l = {.logy = 1};
	imb_plot_series_labels(&l, &lab, "train_ratio", "loss", 0, NULL);
	CHECK_STR(l.xlabel, "train ratio: minority / majority count (log scale)");
	CHECK_STR(l.ylabel, "loss (log scale)");
	CHECK(l.key_title == NULL);
	imb_plot_opts p = {0};
	imb_plot_series_labels(&p, &lab, "k", "value", 0, NULL);
	CHECK_STR(p.xlabel, "k");
	CHECK_STR(p.ylabel, "value");
	/* the user's own are kept */
	imb_plot_opts u = {.title = "T", .xlabel = "X", .ylabel = "Y", .logx = 1};
	imb_plot_series_labels(&u, &lab, "a", "b", 1, NULL);
	CHECK_STR(u.title, "T");
	CHECK_STR(u.xlabel, "X");
	CHECK_STR(u.ylabel, "Y");
}

static void test_series_files(void)
{
	const char *dir = imb_plot_tmpdir();
	CHECK(dir != NULL);
	if (!dir)
		return;
	double x[] = {1, 2}, y[] = {0.5, 0.25};
	imb_plot_series s = {.label = "a", .n = 2, .x = x, .y = y};
	imb_plot_opts o = {.title = "t", .svg = 1};
	CHECK_EQ_INT(imb_plot_series_files(dir, &o, &s, 1), 0);
	char path[4300], buf[4096];
	snprintf(path, sizeof path, "%s/data.dat", dir);
	FILE *fp = fopen(path, "r");
	CHECK(fp != NULL);
	if (fp) {
		size_t n = fread(buf, 1, sizeof buf - 1, fp);
		buf[n] = 0;
		fclose(fp);
		CHECK_STR(buf, "1\t0.5\t0\n2\t0.25\t0\n");
	}
	snprintf(path, sizeof path, "%s/plot.gp", dir);
	fp = fopen(path, "r");
	CHECK(fp != NULL);
	if (fp) {
		size_t n = fread(buf, 1, sizeof buf - 1, fp);
		buf[n] = 0;
		fclose(fp);
		CHECK_HAS(buf, "set title 't' noenhanced\n");
		CHECK_HAS(buf, "set output 'out.svg'");
		CHECK_HAS(buf, "'data.dat' index 0 using 1:2 with linespoints");
	}
	imb_plot_tmpdir_remove();
}

static void test_boundary_script(void)
{
	char *names2[] = {"majority", "min'ority"};
	size_t counts[] = {90, 10};
	int order[] = {0, 1};
	imb_plot_panel p = {.K = 2, .names = names2, .counts = counts, .order = order};
	imb_plot_opts o = {.title = "moons", .png = 1};
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	imb_plot_script_boundary(fp, &o, &p, 1);
	fclose(fp);
	CHECK_HAS(buf, "set cntrparam levels discrete 0.5");
	CHECK_HAS(buf, "set table 'contour0.dat'");
	CHECK_HAS(buf, "'grid0.dat' using 1:2:5:6:7 with rgbimage");
	CHECK_HAS(buf, "'points0.dat' index 1 using 1:2 with points");
	CHECK_HAS(buf, "title 'class min''ority (n = 10)'");
	CHECK_HAS(buf, "decision boundary (p = 0.5)");
	CHECK(!strstr(buf, "out.svg"));
	CHECK(!strstr(buf, "multiplot"));
	CHECK(!strstr(buf, "/"));
	free(buf);

	/* three classes, two panels */
	char *names3[] = {"a", "b", "c"};
	size_t c3[] = {5, 50, 1};
	int o3[] = {1, 0, 2};
	imb_plot_panel pp[2] = {p, {.K = 3, .names = names3, .counts = c3, .order = o3,
	                            .title = "SAM"}};
	o.svg = 1;
	buf = NULL;
	fp = open_memstream(&buf, &len);
	imb_plot_script_boundary(fp, &o, pp, 2);
	fclose(fp);
	CHECK_HAS(buf, "set multiplot layout 1,2 title 'moons'");
	CHECK_HAS(buf, "set title 'SAM'");
	CHECK_HAS(buf, "'borders1.dat' using 1:2 with lines");
	CHECK_HAS(buf, "'points1.dat' index 2 using 1:2 with points pt 7 ps 0.45 lc rgb '#2ca02c' "
	               "title 'class c (n = 1)'");
	CHECK_HAS(buf, "set output 'out.svg'");
	CHECK(!strstr(buf, "contour1.dat"));
	free(buf);

	CHECK_EQ_INT(imb_plot_color(0, 0), 0x1f77b4);
	CHECK_EQ_INT(imb_plot_color(10, 0), 0x1f77b4);
	CHECK_EQ_INT(imb_plot_color(0, 1), 0xc7ddec);
}

static void test_files(void)
{
	const char *dir = imb_plot_tmpdir();
	CHECK(dir != NULL);
	if (!dir)
		return;
	CHECK_STR(imb_plot_tmpdir(), dir);
	CHECK_EQ_INT(imb_plot_put(dir, "a.txt", "hello", 5), 0);
	CHECK_EQ_INT(imb_plot_put(dir, "empty", "", 0), 0);
	char src[4200], dst[4200], emp[4200];
	snprintf(src, sizeof src, "%s/a.txt", dir);
	snprintf(emp, sizeof emp, "%s/empty", dir);
	snprintf(dst, sizeof dst, "%s/b.png", dir);
	CHECK_EQ_INT(imb_plot_install(src, dst), 0);
	struct stat st;
	CHECK(stat(dst, &st) == 0 && st.st_size == 5);
	/* an empty picture is refused and leaves dst as it was */
	CHECK_EQ_INT(imb_plot_install(emp, dst), -1);
	CHECK_HAS(imb_error(), "empty");
	CHECK(stat(dst, &st) == 0 && st.st_size == 5);
	/* a directory that does not exist */
	char nodir[4300];
	snprintf(nodir, sizeof nodir, "%s/no/such/x.png", dir);
	CHECK_EQ_INT(imb_plot_install(src, nodir), -1);
	/* no gnuplot: a clear error */
	setenv("IMB_GNUPLOT", "/nonexistent/gnuplot", 1);
	CHECK_EQ_INT(imb_plot_gnuplot(dir, "plot.gp"), -1);
	CHECK_HAS(imb_error(), "not found");
	/* gnuplot failing: its exit status */
	setenv("IMB_GNUPLOT", "false", 1);
	CHECK_EQ_INT(imb_plot_gnuplot(dir, "plot.gp"), -1);
	CHECK_HAS(imb_error(), "exit status 1");
	unsetenv("IMB_GNUPLOT");
	char keep[4200];
	snprintf(keep, sizeof keep, "%s", dir);
	imb_plot_tmpdir_remove();
	CHECK(access(keep, F_OK) != 0);
}

static void test_targets(void)
{
	char *png, *svg;
	CHECK_EQ_INT(imb_plot_targets("out/fig.png", 0, &png, &svg), 0);
	CHECK_STR(png, "out/fig.png");
	CHECK(svg == NULL);
	free(png);
	CHECK_EQ_INT(imb_plot_targets("fig.svg", 0, &png, &svg), 0);
	CHECK(png == NULL);
	CHECK_STR(svg, "fig.svg");
	free(svg);
	/* both: the PNG as well, whichever was named */
	CHECK_EQ_INT(imb_plot_targets("a.b/fig.svg", 1, &png, &svg), 0);
	CHECK_STR(png, "a.b/fig.png");
	CHECK_STR(svg, "a.b/fig.svg");
	free(png);
	free(svg);
	CHECK_EQ_INT(imb_plot_targets("fig.jpg", 1, &png, &svg), -1);
	CHECK_STR(imb_error(), "'fig.jpg' must end in .png or .svg");
	CHECK(png == NULL && svg == NULL);
	/* the extension of a directory is not the file's */
	CHECK_EQ_INT(imb_plot_targets("x.png/fig", 0, &png, &svg), -1);
	CHECK_EQ_INT(imb_plot_targets("fig", 0, &png, &svg), -1);
	CHECK_EQ_INT(imb_plot_targets("fig.PNG", 0, &png, &svg), -1);
}

/* a stand-in gnuplot that draws out.png and out.svg (or nothing) */
static void fake_gnuplot(const char *dir, const char *name, const char *body)
{
	char path[4300];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (!fp)
		return;
	fprintf(fp, "#!/bin/sh\n%s\n", body);
	fclose(fp);
	chmod(path, 0755);
	setenv("IMB_GNUPLOT", path, 1);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *buf = imb_xcalloc(1, 256);
	size_t n = fread(buf, 1, 255, fp);
	buf[n] = 0;
	fclose(fp);
	return buf;
}

static void test_draw(void)
{
	/* a directory for the stand-in and the pictures, apart from the
	 * library's own */
	char out[] = "/tmp/imb-test-plot.XXXXXX";
	CHECK(mkdtemp(out) != NULL);
	imb_quiet(1); /* no "wrote" lines */
	const char *dir = imb_plot_tmpdir();
	CHECK(dir != NULL);
	if (!dir)
		return;
	CHECK_EQ_INT(imb_plot_put(dir, "plot.gp", "", 0), 0);
	fake_gnuplot(out, "gp", "test -f \"$1\" || exit 3; printf P > out.png; printf S > out.svg");
	char png[4300], svg[4300];
	snprintf(png, sizeof png, "%s/f.png", out);
	snprintf(svg, sizeof svg, "%s/f.svg", out);
	CHECK_EQ_INT(imb_plot_draw(dir, png, NULL), 0);
	char *t = slurp(png);
	CHECK_STR(t, "P");
	free(t);
	CHECK(access(svg, F_OK) != 0);
	CHECK_EQ_INT(imb_plot_draw(dir, png, svg), 0);
	t = slurp(svg);
	CHECK_STR(t, "S");
	free(t);
	/* gnuplot drawing no SVG: an error, the PNG installed before it stays */
	unlink(svg);
	fake_gnuplot(out, "gp2", "rm -f out.svg; printf Q > out.png");
	CHECK_EQ_INT(imb_plot_draw(dir, png, svg), -1);
	CHECK_HAS(imb_error(), "gnuplot drew nothing");
	t = slurp(png);
	CHECK_STR(t, "Q");
	free(t);
	CHECK(access(svg, F_OK) != 0);
	/* gnuplot failing: nothing installed */
	fake_gnuplot(out, "gp3", "printf R > out.png; exit 4");
	CHECK_EQ_INT(imb_plot_draw(dir, png, NULL), -1);
	CHECK_HAS(imb_error(), "exit status 4");
	t = slurp(png);
	CHECK_STR(t, "Q");
	free(t);
	unsetenv("IMB_GNUPLOT");
	imb_plot_tmpdir_remove();
	char p[4300];
	const char *made[] = {"gp", "gp2", "gp3", "f.png"};
	for (size_t i = 0; i < IMB_LEN(made); i++) {
		snprintf(p, sizeof p, "%s/%s", out, made[i]);
		unlink(p);
	}
	CHECK_EQ_INT(rmdir(out), 0);
}

/* SIGTERM in a child with a temporary directory: the directory goes, the
 * child still dies by the signal */
static void test_signals(void)
{
	int fd[2];
	CHECK_EQ_INT(pipe(fd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		const char *dir = imb_plot_tmpdir();
		if (!dir || imb_plot_put(dir, "data.dat", "1 2\n", 4) ||
		    imb_plot_put(dir, "grid3.dat", "", 0))
			_exit(1);
		char name[4200] = {0};
		snprintf(name, sizeof name, "%s", dir);
		if (write(fd[1], name, sizeof name) != (ssize_t)sizeof name)
			_exit(1);
		imb_plot_catch_signals();
		raise(SIGTERM);
		_exit(2);
	}
	close(fd[1]);
	char name[4200] = {0};
	CHECK(read(fd[0], name, sizeof name) == (ssize_t)sizeof name);
	close(fd[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	CHECK(*name && access(name, F_OK) != 0);
}

int main(void)
{
	test_quote();
	test_series_script();
	test_series_labels();
	test_series_files();
	test_boundary_script();
	test_files();
	test_targets();
	test_draw();
	test_signals();
	CHECK_DONE();
}
