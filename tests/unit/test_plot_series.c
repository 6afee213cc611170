/* test_plot_series.c: the line plots' data: the input read from files
 * one after another, metrics frames aggregated into TSV (and refused for
 * lines), TSV tables, series selection (filters, groups, NA rows, errors
 * naming the column), the choice of the y and error columns, and
 * data.dat's blocks. */
#include "check.h"
#include "plot.h"
#include "plot_series.h"
#include "stream.h"
#include "util.h"

#include <unistd.h>

static int table(const char *text, imb_table *t)
{
	return imb_table_parse(imb_xstrdup(text), strlen(text), t);
}

static void test_table(void)
{
	imb_table t;
	CHECK_EQ_INT(table("a\tb\tc\r\n1\t2\t3\n\n4\t5\t6", &t), 0);
	CHECK_EQ_INT(t.ncols, 3);
	CHECK_EQ_INT(t.nrows, 2);
	CHECK_STR(t.head[2], "c");
	CHECK_STR(t.cell[2], "3");
	CHECK_STR(t.cell[3 + 1], "5");
	CHECK_EQ_INT(imb_table_col(&t, "b"), 1);
	CHECK_EQ_INT(imb_table_col(&t, "z"), -1);
	imb_table_free(&t);
	imb_table_free(NULL);
	CHECK_EQ_INT(table("a\tb\n1\t2\t3\n", &t), -1);
	CHECK_HAS(imb_error(), "line 2: 3 fields, the header has 2");
	CHECK_EQ_INT(table("", &t), -1);
	CHECK_HAS(imb_error(), "no header");
}

static void test_series(void)
{
	imb_table t;
	CHECK_EQ_INT(table("method\tratio\tacc_mean\tacc_se\tset\n"
	                   "sgd\t0.1\t0.8\t0.01\ttest\n"
	                   "sam\t0.1\t0.85\t0.02\ttest\n"
	                   "sgd\t0.01\t0.6\tNA\ttest\n"
	                   "sgd\t0.05\tNA\t0.1\ttest\n"
	                   "sgd\t0.5\t0.9\t0.01\tval\n", &t), 0);
	imb_plot_select sel = {.x = "ratio", .y = "acc_mean", .se = "acc_se", .group = "method"};
	char *where[] = {"set=test"};
	sel.where = where;
	sel.nwhere = 1;
	imb_plot_series *s;
	size_t n;
	CHECK_EQ_INT(imb_plot_series_select(&t, &sel, &s, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_STR(s[0].label, "sgd");
	CHECK_STR(s[1].label, "sam");
	/* sgd: the NA row left out, the val row filtered, sorted by x */
	CHECK_EQ_INT(s[0].n, 2);
	CHECK_NEAR(s[0].x[0], 0.01, 1e-12);
	CHECK_NEAR(s[0].y[0], 0.6, 1e-12);
	CHECK_NEAR(s[0].se[0], 0, 1e-12);
	CHECK_NEAR(s[0].x[1], 0.1, 1e-12);
	CHECK_NEAR(s[0].se[1], 0.01, 1e-12);
	/* the data file: blocks for 'index' */
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	CHECK_EQ_INT(imb_plot_write_series(fp, s, n), 0);
	fclose(fp);
	CHECK_STR(buf, "0.01\t0.6\t0\n0.1\t0.8\t0.01\n\n\n0.1\t0.85\t0.02\n");
	free(buf);
	imb_plot_series_free(s, n);

	/* no groups, no error column: one series */
	imb_plot_select one = {.x = "ratio", .y = "acc_mean"};
	CHECK_EQ_INT(imb_plot_series_select(&t, &one, &s, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(s[0].n, 4);
	CHECK(s[0].se == NULL);
	imb_plot_series_free(s, n);

	/* errors */
	imb_plot_select bad = {.x = "ratio", .y = "accuracy"};
	CHECK_EQ_INT(imb_plot_series_select(&t, &bad, &s, &n), -1);
	CHECK_HAS(imb_error(), "no column 'accuracy' (the columns: method, ratio, acc_mean");
	bad.y = "acc_mean";
	bad.group = "model";
	CHECK_EQ_INT(imb_plot_series_select(&t, &bad, &s, &n), -1);
	CHECK_HAS(imb_error(), "group: no column 'model'");
	bad.group = NULL;
	bad.y = "method";
	CHECK_EQ_INT(imb_plot_series_select(&t, &bad, &s, &n), -1);
	CHECK_HAS(imb_error(), "not a number");
	char *w2[] = {"set=train"};
	imb_plot_select none = {.x = "ratio", .y = "acc_mean", .where = w2, .nwhere = 1};
	CHECK_EQ_INT(imb_plot_series_select(&t, &none, &s, &n), -1);
	CHECK_HAS(imb_error(), "no rows");
	char *w3[] = {"set"};
	none.where = w3;
	CHECK_EQ_INT(imb_plot_series_select(&t, &none, &s, &n), -1);
	CHECK_HAS(imb_error(), "not COLUMN=VALUE");
	imb_table_free(&t);

	CHECK_EQ_INT(table("x\ty\n-1\t2\n1\t3\n", &t), 0);
	imb_plot_select lg = {.x = "x", .y = "y", .positive_x = 1};
	CHECK_EQ_INT(imb_plot_series_select(&t, &lg, &s, &n), -1);
	CHECK_HAS(imb_error(), "needs values > 0");
	imb_table_free(&t);
	imb_plot_series_free(NULL, 0);
}

static void test_resolve_y(void)
{
	imb_table t;
	CHECK_EQ_INT(table("r\tacc_mean\tacc_se\terr\terr_sd\n0.1\t1\t2\t3\t4\n", &t), 0);
	char *y, *se;
	/* acc: absent, so acc_mean with acc_se */
	imb_plot_resolve_y(&t, "acc", NULL, &y, &se);
	CHECK_STR(y, "acc_mean");
	CHECK_STR(se, "acc_se");
	free(y);
	free(se);
	/* acc_mean named: its _se too */
	imb_plot_resolve_y(&t, "acc_mean", NULL, &y, &se);
	CHECK_STR(y, "acc_mean");
	CHECK_STR(se, "acc_se");
	free(y);
	free(se);
	/* an error column given wins */
	imb_plot_resolve_y(&t, "acc", "err_sd", &y, &se);
	CHECK_STR(y, "acc_mean");
	CHECK_STR(se, "err_sd");
	free(y);
	free(se);
	/* a plain column: no error bars */
	imb_plot_resolve_y(&t, "err", NULL, &y, &se);
	CHECK_STR(y, "err");
	CHECK(se == NULL);
	free(y);
	/* unknown: left as named */
	imb_plot_resolve_y(&t, "nope", NULL, &y, &se);
	CHECK_STR(y, "nope");
	CHECK(se == NULL);
	free(y);
	imb_table_free(&t);
}

/* path: text */
static void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");
	CHECK(fp != NULL);
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

static void test_read_input(void)
{
	char dir[] = "/tmp/imb-test-plot-series.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char a[4200], b[4200], none[4200];
	snprintf(a, sizeof a, "%s/a.tsv", dir);
	snprintf(b, sizeof b, "%s/b.tsv", dir);
	snprintf(none, sizeof none, "%s/none.tsv", dir);
	put_file(a, "x\ty\n1\t2\n");
	put_file(b, "3\t4\n");
	/* one after another, NUL-terminated */
	char *files[] = {a, b};
	size_t len = 99;
	char *text = imb_plot_read_input(files, 2, &len);
	CHECK_STR(text, "x\ty\n1\t2\n3\t4\n");
	CHECK_EQ_INT(len, 12);
	free(text);
	/* an empty file: an empty text */
	put_file(b, "");
	text = imb_plot_read_input(files + 1, 1, &len);
	CHECK_STR(text, "");
	CHECK_EQ_INT(len, 0);
	free(text);
	char *bad[] = {a, none};
	CHECK(imb_plot_read_input(bad, 2, &len) == NULL);
	CHECK_HAS(imb_error(), "none.tsv: No such file or directory");
	unlink(a);
	unlink(b);
	CHECK_EQ_INT(rmdir(dir), 0);
}

static imb_frame *metrics(const char *kind, double ratio, int seed, double acc)
{
	imb_frame *f = imb_frame_new(kind, "test");
	imb_val *m = imb_val_map();
	imb_val_set_float(m, "accuracy", acc);
	imb_val_set(f->attrs, "metrics", m);
	imb_val *c = imb_val_map();
	imb_val_set(c, "train_ratio", imb_val_float(ratio));
	imb_val_set(c, "seed", imb_val_int(seed));
	imb_val_set(f->attrs, "config", c);
	return f;
}

/* frames as one text, through a file */
static char *stream_text(imb_frame **f, int n, size_t *len)
{
	char path[] = "/tmp/imb-test-plot-stream.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	imb_writer *w = imb_writer_fd(fd);
	for (int i = 0; i < n; i++) {
		CHECK_EQ_INT(imb_write_frame(w, f[i]), 0);
		imb_frame_free(f[i]);
	}
	CHECK_EQ_INT(imb_writer_close(w), 0);
	char *files[] = {path};
	char *text = imb_plot_read_input(files, 1, len);
	unlink(path);
	return text;
}

static void test_input_tsv(void)
{
	const char *dir = imb_plot_tmpdir();
	CHECK(dir != NULL);
	if (!dir)
		return;
	/* TSV is kept as it is */
	size_t len = 4;
	char *text = imb_xstrdup("a\tb\n");
	CHECK_EQ_INT(imb_plot_input_tsv(dir, &text, &len, 1, "a", NULL), 0);
	CHECK_STR(text, "a\tb\n");
	CHECK_EQ_INT(len, 4);
	free(text);

	/* metrics frames, grouped by x and the group columns; others skipped */
	imb_frame *f[] = {metrics("metrics", 0.1, 1, 0.5), metrics("dataset", 0.1, 1, 0),
	                  metrics("metrics", 0.1, 1, 0.7), metrics("metrics", 0.5, 2, 0.9)};
	text = stream_text(f, 4, &len);
	/* binary: copies by length */
	size_t klen = len;
	char *keep = imb_xmalloc(klen);
	memcpy(keep, text, klen);
	CHECK_EQ_INT(imb_plot_input_tsv(dir, &text, &len, 1, "train_ratio", "seed"), 0);
	CHECK_STR(text, "train_ratio\tseed\tn\taccuracy_mean\taccuracy_se\n"
	                "0.1\t1\t2\t0.6\t0.1\n0.5\t2\t1\t0.9\tNA\n");
	CHECK_EQ_INT(len, strlen(text));
	free(text);

	/* lines: no frames */
	text = imb_xmalloc(klen);
	memcpy(text, keep, klen);
	len = klen;
	CHECK_EQ_INT(imb_plot_input_tsv(dir, &text, &len, 0, "x", NULL), -1);
	CHECK_STR(imb_error(), "lines reads a TSV table; the input is a stream of frames");
	/* a bad group list: a usage error; the text unchanged */
	CHECK_EQ_INT(imb_plot_input_tsv(dir, &text, &len, 1, "train_ratio", "seed,,x"), -2);
	CHECK_STR(imb_error(), "--group: bad column list 'seed,,x'");
	CHECK_EQ_INT(imb_plot_input_tsv(dir, &text, &len, 1, "train_ratio", ""), -2);
	CHECK_EQ_INT(imb_plot_input_tsv(dir, &text, &len, 1, "train_ratio",
	                                 "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q"), -2);
	CHECK_EQ_INT(len, klen);
	CHECK(!memcmp(text, keep, klen));
	/* a key the frames lack */
	CHECK_EQ_INT(imb_plot_input_tsv(dir, &text, &len, 1, "train_ratio", "model"), -1);
	CHECK_HAS(imb_error(), "attrs.config has no key 'model'");
	/* a stream cut short */
	len = klen - 3;
	CHECK_EQ_INT(imb_plot_input_tsv(dir, &text, &len, 1, "train_ratio", NULL), -1);
	CHECK_HAS(imb_error(), "truncated");
	free(text);
	free(keep);

	/* no metrics frames */
	imb_frame *d[] = {metrics("dataset", 0.1, 1, 0)};
	text = stream_text(d, 1, &len);
	CHECK_EQ_INT(imb_plot_input_tsv(dir, &text, &len, 1, "train_ratio", NULL), -1);
	CHECK_STR(imb_error(), "no metrics frames in the input (imb-eval makes them)");
	free(text);
	imb_plot_tmpdir_remove();
}

int main(void)
{
	test_read_input();
	test_input_tsv();
	test_table();
	test_series();
	test_resolve_y();
	CHECK_DONE();
}
