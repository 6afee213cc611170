/* test_metrics.c: metrics against scikit-learn / imbalanced-learn (run
 * through tests/metrics_oracle.py at test time on random labels and
 * probabilities with many ties, weights, absent and never-predicted
 * classes, a single-class set), plus hand-checked small cases. */
#include "check.h"
#include "metrics.h"
#include "rng.h"
#include "util.h"

#include <stdint.h>
#include <unistd.h>

#define MAXK 4
#define MAXN 400
#define NCASES 9

typedef struct {
	int k, pos, hasw;
	size_t n;
	double w[MAXK];
	unsigned char maj[MAXK];
	int32_t y[MAXN];
	float p[MAXN * MAXK];
} tcase;

static tcase cases[NCASES];

/* A random probability row over k classes as dyadic fractions a/q that
 * sum to exactly 1 in float (so sklearn's renormalisation is a no-op),
 * biased toward the label; q small gives many ties. */
static void make_row(imb_rng *r, float *p, int k, int y, int q, int never)
{
	/* each part at most q/(k+1), the label's bonus too: the sum stays <= q */
	uint64_t part = (uint64_t)q / (uint64_t)(k + 1);
	int a[MAXK] = {0}, left = q;
	for (int c = 0; c < k; c++) {
		if (c == never)
			continue;
		a[c] = (int)imb_rng_below(r, part);
		if (c == y)
			a[c] += (int)imb_rng_below(r, part);
		left -= a[c];
	}
	int c;
	do
		c = (int)imb_rng_below(r, (uint64_t)k);
	while (c == never);
	a[c] += left;
	for (int j = 0; j < k; j++)
		p[j] = (float)a[j] / (float)q;
}

/* fill case t: k classes, n samples, labels drawn with the given class
 * frequencies (cumulative in freq), row denominators q */
static void make_case(tcase *t, imb_rng *r, int k, size_t n, const double *freq, int q,
                      int never, int pos)
{
	t->k = k;
	t->n = n;
	t->pos = pos;
	t->hasw = 0;
	for (int c = 0; c < k; c++)
		t->maj[c] = c == 0;
	for (size_t i = 0; i < n; i++) {
		double u = imb_rng_uniform(r);
		int y = 0;
		while (y < k - 1 && u >= freq[y])
			y++;
		t->y[i] = y;
		make_row(r, t->p + i * (size_t)k, k, y, q, never);
	}
}

static void set_target_weights(tcase *t, double ratio)
{
	size_t count[MAXK] = {0};
	for (size_t i = 0; i < t->n; i++)
		count[t->y[i]]++;
	CHECK(imb_metrics_target_weights(count, t->maj, t->k, ratio, t->w) == 0);
	t->hasw = 1;
	/* the weights sum to n and give the asked class masses */
	double sum = 0, maj = 0, mino = 0;
	for (int c = 0; c < t->k; c++) {
		sum += t->w[c] * (double)count[c];
		if (count[c]) {
			if (t->maj[c])
				maj = t->w[c] * (double)count[c];
			else
				mino = t->w[c] * (double)count[c];
		}
	}
	CHECK_NEAR(sum, (double)t->n, 1e-9);
	CHECK_NEAR(mino / maj, ratio, 1e-12);
}

static void build_cases(void)
{
	imb_rng r;
	imb_rng_seed(&r, 11);
	const double bal[] = {0.5, 1}, imb[] = {0.9, 1}, three[] = {0.5, 1, 1},
	             three_b[] = {0.6, 0.8, 1}, four[] = {0.4, 0.7, 0.9, 1}, one[] = {1, 1};
	make_case(&cases[0], &r, 2, 200, bal, 16, -1, 1);      /* many ties */
	make_case(&cases[1], &r, 2, 300, imb, 1024, -1, 1);    /* imbalanced */
	set_target_weights(&cases[1], 1.0);
	make_case(&cases[2], &r, 2, 300, imb, 32, -1, 1);
	set_target_weights(&cases[2], 0.01);
	make_case(&cases[3], &r, 2, 120, bal, 8, -1, 0);       /* positive = class 0 */
	make_case(&cases[4], &r, 3, 150, three, 16, -1, 1);    /* class 2 absent from y */
	make_case(&cases[5], &r, 3, 200, three_b, 64, 1, 1);   /* class 1 never predicted */
	set_target_weights(&cases[5], 0.5);
	make_case(&cases[6], &r, 3, 100, (const double[]){0.7, 1, 1}, 16, 2, 1); /* 2 absent */
	make_case(&cases[7], &r, 2, 50, one, 16, -1, 1);       /* a single class */
	make_case(&cases[8], &r, 4, 400, four, 64, -1, 1);
	cases[8].maj[1] = 1;                                   /* two majority classes */
	set_target_weights(&cases[8], 0.1);
}

static void write_cases(FILE *fp)
{
	for (int t = 0; t < NCASES; t++) {
		tcase *c = &cases[t];
		fprintf(fp, "case %d %zu %d %d", c->k, c->n, c->pos, c->hasw);
		for (int j = 0; j < c->k; j++)
			fprintf(fp, " %d", c->maj[j]);
		fputc('\n', fp);
		if (c->hasw) {
			for (int j = 0; j < c->k; j++)
				fprintf(fp, "%.17g ", c->w[j]);
			fputc('\n', fp);
		}
		for (size_t i = 0; i < c->n; i++) {
			fprintf(fp, "%d", (int)c->y[i]);
			for (int j = 0; j < c->k; j++)
				fprintf(fp, " %.9g", (double)c->p[i * (size_t)c->k + (size_t)j]);
			fputc('\n', fp);
		}
	}
}

static double maxdiff;

static void near(const char *what, int t, double a, double b)
{
	check_count++;
	if (isnan(a) && isnan(b))
		return;
	double d = fabs(a - b), tol = 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
	if (!(d <= tol)) {
		check_failed++;
		fprintf(stderr, "case %d: %s = %.17g, sklearn %.17g\n", t, what, a, b);
		return;
	}
	if (d > maxdiff)
		maxdiff = d;
}

static void against_oracle(void)
{
	char path[] = "/tmp/imb-test-metrics-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *fp = fdopen(fd, "w");
	write_cases(fp);
	fclose(fp);
	const char *script = getenv("IMB_METRICS_ORACLE");
	char cmd[512];
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s",
	         script ? script : "tests/metrics_oracle.py", path);
	FILE *py = popen(cmd, "r");
	CHECK(py != NULL);
	int ncmp = 0;
	for (int t = 0; py && t < NCASES; t++) {
		tcase *c = &cases[t];
		imb_metrics *m = imb_metrics_compute(c->y, c->p, c->n, c->k, c->hasw ? c->w : NULL,
		                                     c->maj, c->pos);
		CHECK(m != NULL);
		if (!m)
			continue;
		double ref[9 + 3 * MAXK + MAXK * MAXK];
		int nref = 9 + 3 * c->k + c->k * c->k, got = 0;
		for (int j = 0; j < nref; j++) {
			char tok[64];
			if (fscanf(py, "%63s", tok) != 1)
				break;
			ref[j] = strtod(tok, NULL);
			got++;
		}
		if (got != nref)
			break;
		ncmp++;
		double mine[] = {m->accuracy, m->balanced_accuracy, m->macro_f1, m->gmean,
		                 m->minority_error, m->majority_error, m->log_loss, m->auroc, m->auprc};
		const char *names[] = {"accuracy", "balanced_accuracy", "macro_f1", "gmean",
		                       "minority_error", "majority_error", "log_loss", "auroc", "auprc"};
		for (int j = 0; j < 9; j++)
			near(names[j], t, mine[j], ref[j]);
		for (int j = 0; j < c->k; j++) {
			near("recall", t, m->recall[j], ref[9 + j]);
			near("precision", t, m->precision[j], ref[9 + c->k + j]);
			near("f1", t, m->f1[j], ref[9 + 2 * c->k + j]);
		}
		for (int j = 0; j < c->k * c->k; j++)
			near("confusion", t, m->confusion[j], ref[9 + 3 * c->k + j]);
		imb_metrics_free(m);
	}
	int rc = py ? pclose(py) : -1;
	unlink(path);
	if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
		fprintf(stderr, "test_metrics: sklearn/imblearn missing: oracle comparison skipped\n");
		return;
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(ncmp, NCASES);
	fprintf(stderr, "test_metrics: %d cases against sklearn, max abs difference %g\n", ncmp,
	        maxdiff);
}

static void edge_cases(void)
{
	/* scikit-learn's documented example: AUROC 0.75, AP 0.8333 */
	double s[] = {0.1, 0.4, 0.35, 0.8};
	unsigned char pos[] = {0, 0, 1, 1};
	CHECK_NEAR(imb_auroc(s, pos, NULL, 4), 0.75, 1e-15);
	/* thresholds 0.8 (P=1, R=.5), 0.4 (P=.5), 0.35 (P=2/3, R=1) */
	CHECK_NEAR(imb_average_precision(s, pos, NULL, 4), 0.5 * 1 + 0.5 * 2.0 / 3, 1e-15);
	/* all scores tied: AUROC one half, AP the positive share */
	double t[] = {0.3, 0.3, 0.3, 0.3, 0.3};
	unsigned char tp[] = {1, 0, 0, 1, 0};
	CHECK_NEAR(imb_auroc(t, tp, NULL, 5), 0.5, 1e-15);
	CHECK_NEAR(imb_average_precision(t, tp, NULL, 5), 0.4, 1e-15);
	/* a weight of 2 counts like a duplicated sample */
	double s3[] = {0.1, 0.4, 0.35, 0.8, 0.35}, w3[] = {1, 1, 1, 1, 1};
	unsigned char p3[] = {0, 0, 1, 1, 1};
	double s2[] = {0.1, 0.4, 0.35, 0.8}, w2[] = {1, 1, 2, 1};
	CHECK_NEAR(imb_auroc(s2, pos, w2, 4), imb_auroc(s3, p3, w3, 5), 1e-15);
	CHECK_NEAR(imb_average_precision(s2, pos, w2, 4), imb_average_precision(s3, p3, NULL, 5),
	           1e-15);
	/* one class only: undefined */
	unsigned char none[] = {0, 0, 0, 0};
	CHECK(isnan(imb_auroc(s, none, NULL, 4)));
	CHECK(isnan(imb_average_precision(s, none, NULL, 4)));

	/* bad input is an error, not a crash */
	int32_t y[] = {0, 2};
	float p[] = {0.5f, 0.5f, 0.5f, 0.5f};
	CHECK(imb_metrics_compute(y, p, 2, 2, NULL, NULL, 1) == NULL);
	CHECK_HAS(imb_error(), "label 2 of sample 1");
	int32_t y2[] = {0, 1};
	CHECK(imb_metrics_compute(y2, p, 2, 2, NULL, NULL, 2) == NULL);
	CHECK_HAS(imb_error(), "positive class 2");
	double wneg[] = {1, -1};
	CHECK(imb_metrics_compute(y2, p, 2, 2, wneg, NULL, 1) == NULL);
	/* an empty set: nothing defined, no crash */
	imb_metrics *m = imb_metrics_compute(y2, p, 0, 2, NULL, NULL, 1);
	CHECK(m && isnan(m->accuracy) && isnan(m->auroc));
	imb_metrics_free(m);
	imb_metrics_free(NULL);

	size_t cnt[] = {10, 0, 5};
	double w[3];
	CHECK(imb_metrics_target_weights(cnt, NULL, 3, 0, w) == -1);
	CHECK(imb_metrics_target_weights(cnt, NULL, 3, 2, w) == 0);
	CHECK_NEAR(w[1], 0, 0);
	CHECK_NEAR(w[2] * 5 / (w[0] * 10), 2, 1e-12);

	double x[] = {1, 2, NAN, 3, 4}, mean, se;
	size_t k;
	imb_mean_se(x, 5, &mean, &se, &k);
	CHECK_EQ_INT(k, 4);
	CHECK_NEAR(mean, 2.5, 1e-15);
	CHECK_NEAR(se, sqrt(5.0 / 3) / 2, 1e-15);  /* std (n-1) of 1..4 is sqrt(5/3) */
	imb_mean_se(x, 1, &mean, &se, &k);
	CHECK(mean == 1 && isnan(se) && k == 1);
}

int main(void)
{
	build_cases();
	edge_cases();
	against_oracle();
	CHECK_DONE();
}
