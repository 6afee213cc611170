/* test_plot.c: gnuplot's side without gnuplot: quoting, the scripts'
 * text (they name only files of their own directory), the temporary
 * directory, the atomic install of a picture, and a missing or failing
 * gnuplot. */
#include "check.h"
#include "plot.h"
#include "util.h"

#include <sys/stat.h>
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

int main(void)
{
	test_quote();
	test_series_script();
	test_boundary_script();
	test_files();
	CHECK_DONE();
}
