/* test_metrics.c: metrics against scikit-learn / imbalanced-learn (run
 * through tests/metrics_oracle.py at test time on random labels and
 * probabilities with many ties, weights, absent and never-predicted
 * classes, a single-class set, and on the real predictions of the model
 * fixtures of tests/fixtures/models), plus hand-checked small cases. */
#include "check.h"
#include "dataset.h"
#include "metrics.h"
#include "predict.h"
#include "rng.h"
#include "stream.h"
#include "util.h"

#include <stdint.h>
#include <unistd.h>

#define MAXK 4
#define MAXN 400
#define NSYNTH 9
#define NCASES (NSYNTH + 4)   /* then two fixtures, each plain and re-weighted */
#define NSCALAR 12            /* scalar metrics the oracle prints per case */

#ifndef FIXTURES
#define FIXTURES "tests/fixtures/models"
#endif

typedef struct {
	int k, pos, hasw;
	int exact;            /* rows sum to exactly 1 in float */
	size_t n;
	double w[MAXK];
	unsigned char maj[MAXK];
	int32_t y[MAXN];
	float p[MAXN * MAXK];
} tcase;

static tcase cases[NCASES];
static int ncases = NSYNTH;   /* the fixtures' cases follow once loaded */

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
	t->exact = 1;
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

/* two more cases: the probabilities a model fixture's network gives for
 * its test frame, plain and re-weighted to ratio 0.1. 0, or -1 when the
 * fixture does not load. */
static int fixture_cases(const char *name)
{
	int t = ncases;
	char path[512];
	snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
	imb_reader *r = imb_reader_open(path);
	if (!r) {
		fprintf(stderr, "%s: %s (run the unit tests from the repository root)\n", path,
		        imb_error());
		return -1;
	}
	imb_frame *f, *model = NULL, *test = NULL;
	while (imb_read_frame(r, &f) == 1) {
		if (!strcmp(f->kind, "model") && !model)
			model = f;
		else if (!strcmp(f->kind, "dataset") && !test)
			test = f;
		else
			imb_frame_free(f);
	}
	imb_reader_close(r);
	imb_predictor *p = model && test ? imb_predictor_load(model) : NULL;
	int rc = -1;
	tcase *c = &cases[t];
	if (p) {
		c->n = imb_dataset_n(test);
		c->k = imb_predictor_nclasses(p);
		size_t d = imb_dataset_dim(test);
		if (c->n <= MAXN && c->k <= MAXK) {
			float *x = imb_dataset_features(test);
			rc = imb_predict_proba(p, x, c->n, d, c->p);
			free(x);
		}
	}
	if (!rc) {
		const int32_t *y = imb_frame_tensor(test, "y")->data;
		memcpy(c->y, y, c->n * sizeof *y);
		c->pos = 1;
		c->hasw = 0;
		c->exact = 0;
		for (int j = 0; j < c->k; j++)
			c->maj[j] = j == 0;
		cases[t + 1] = *c;
		set_target_weights(&cases[t + 1], 0.1);
		ncases += 2;
	} else {
		fprintf(stderr, "%s: %s\n", path, imb_error());
	}
	imb_predictor_free(p);
	imb_frame_free(model);
	imb_frame_free(test);
	return rc;
}

static void write_cases(FILE *fp)
{
	for (int t = 0; t < ncases; t++) {
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

static double maxdiff, maxdiff_brier, maxdiff_brier_sk, maxdiff_ece;

/* a == b within rel (relative to |b| when above 1); the largest
 * difference goes to *worst */
static void near_tol(const char *what, int t, double a, double b, double rel, double *worst)
{
	check_count++;
	if (isnan(a) && isnan(b))
		return;
	double d = fabs(a - b), tol = rel * (fabs(b) > 1 ? fabs(b) : 1);
	if (!(d <= tol)) {
		check_failed++;
		fprintf(stderr, "case %d: %s = %.17g, oracle %.17g\n", t, what, a, b);
		return;
	}
	if (d > *worst)
		*worst = d;
}

static void near(const char *what, int t, double a, double b)
{
	near_tol(what, t, a, b, 1e-9, &maxdiff);
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
	for (int t = 0; py && t < ncases; t++) {
		tcase *c = &cases[t];
		imb_metrics *m = imb_metrics_compute(c->y, c->p, c->n, c->k, c->hasw ? c->w : NULL,
		                                     c->maj, c->pos);
		CHECK(m != NULL);
		if (!m)
			continue;
		double ref[NSCALAR + 3 * MAXK + MAXK * MAXK];
		int nref = NSCALAR + 3 * c->k + c->k * c->k, got = 0;
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
		near_tol("brier", t, m->brier, ref[9], 1e-12, &maxdiff_brier);
		/* sklearn's K = 2 form assumes p0 = 1 - p1: exact for the
		 * dyadic rows, to float rounding for a network's */
		near_tol("brier (brier_score_loss)", t, m->brier, ref[10], c->exact ? 1e-12 : 1e-6,
		         &maxdiff_brier_sk);
		near_tol("ece", t, m->ece, ref[11], 1e-12, &maxdiff_ece);
		for (int j = 0; j < c->k; j++) {
			near("recall", t, m->recall[j], ref[NSCALAR + j]);
			near("precision", t, m->precision[j], ref[NSCALAR + c->k + j]);
			near("f1", t, m->f1[j], ref[NSCALAR + 2 * c->k + j]);
		}
		for (int j = 0; j < c->k * c->k; j++)
			near("confusion", t, m->confusion[j], ref[NSCALAR + 3 * c->k + j]);
		imb_metrics_free(m);
	}
	int rc = py ? pclose(py) : -1;
	unlink(path);
	if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
		fprintf(stderr, "test_metrics: sklearn/imblearn missing: oracle comparison skipped\n");
		return;
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(ncmp, ncases);
	fprintf(stderr,
	        "test_metrics: %d cases against sklearn, max abs difference %g; brier %g "
	        "(brier_score_loss %g), ece %g\n",
	        ncmp, maxdiff, maxdiff_brier, maxdiff_brier_sk, maxdiff_ece);
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
	CHECK(m && isnan(m->accuracy) && isnan(m->auroc) && isnan(m->brier) && isnan(m->ece));
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

/* ece of two samples of K classes (rows p, labels y) */
static double ece2(int k, const int32_t *y, const float *p)
{
	imb_metrics *m = imb_metrics_compute(y, p, 2, k, NULL, NULL, 1);
	CHECK(m != NULL);
	double e = m ? m->ece : NAN;
	imb_metrics_free(m);
	return e;
}

static void calibration(void)
{
	/* K = 3, five rows; prediction, confidence, bin (b/15, (b+1)/15]:
	 *   y  p                   pred  conf  bin  correct  sum_k (p_k - [y==k])^2
	 *   0  (0.7, 0.2, 0.1)     0     0.7   10   1        .09 + .04 + .01    = 0.14
	 *   1  (0.4, 0.4, 0.2)     0     0.4    5   0        .16 + .36 + .04    = 0.56
	 *   2  (0.1, 0.1, 0.8)     2     0.8   11   1        .01 + .01 + .04    = 0.06
	 *   0  (0.1, 0.82, 0.08)   1     0.82  12   0        .81 + .6724 + .0064 = 1.4888
	 *   0  (0.38, 0.3, 0.32)   0     0.38   5   1        .3844 + .09 + .1024 = 0.5768
	 * The second row is a tie: the first maximum, class 0, is the prediction (class
	 * 1 would make it correct: ece 0.508). 0.4 = 6/15 and 0.8 = 12/15 lie
	 * on bin edges and belong to the bins below them: 0.4 shares bin 5
	 * with 0.38 (|A - C| = |1 - 0.78| = 0.22), 0.8 stays out of bin 12
	 * (with 0.82 it would give |1 - 1.62| = 0.62; ece 0.388 in all).
	 * Unweighted: brier = 2.8256 / 5 = 0.56512,
	 *   ece = (|1 - .7| + 0.22 + |1 - .8| + |0 - .82|) / 5 = 1.54 / 5 = 0.308.
	 * Class weights (1, 2, 0.5), row weights 1, 2, 0.5, 1, 1, W = 5.5:
	 *   brier = (0.14 + 2 * 0.56 + 0.5 * 0.06 + 1.4888 + 0.5768) / 5.5 = 3.3556 / 5.5,
	 *   ece: bin 10 |1 - .7| = 0.3; bin 5 |1 - (2 * .4 + .38)| = 0.18;
	 *   bin 11 |.5 - .5 * .8| = 0.1; bin 12 |0 - .82| = 0.82; 1.4 / 5.5. */
	int32_t y[] = {0, 1, 2, 0, 0};
	float p[] = {0.7f, 0.2f, 0.1f, 0.4f, 0.4f, 0.2f, 0.1f, 0.1f, 0.8f,
	             0.1f, 0.82f, 0.08f, 0.38f, 0.3f, 0.32f};
	double cw[] = {1, 2, 0.5};
	imb_metrics *m = imb_metrics_compute(y, p, 5, 3, NULL, NULL, 1);
	CHECK(m != NULL);
	if (m) {
		CHECK_NEAR(m->brier, 0.56512, 1e-6);
		CHECK_NEAR(m->ece, 0.308, 1e-6);
	}
	imb_metrics_free(m);
	m = imb_metrics_compute(y, p, 5, 3, cw, NULL, 1);
	CHECK(m != NULL);
	if (m) {
		CHECK_NEAR(m->brier, 3.3556 / 5.5, 1e-6);
		CHECK_NEAR(m->ece, 1.4 / 5.5, 1e-6);
	}
	imb_metrics_free(m);

	/* the edges are b/15 rounded to float: 2/15 is in bin 1, with 1/8
	 * (a wrong tie of eight classes): (1 - 2/15 - 1/8) / 2 = 89/240; in
	 * bin 2 it would give (13/15 + 1/8) / 2 */
	float p8[16];
	for (int c = 0; c < 8; c++) {
		p8[c] = c ? 13.0f / 105 : (float)(2.0 / 15);
		p8[8 + c] = 0.125f;
	}
	CHECK_NEAR(ece2(8, (const int32_t[]){0, 1}, p8), 89.0 / 240, 1e-7);
	/* 8/15 is in bin 7 with 0.5 (a wrong tie): |1 - (8/15 + 1/2)| / 2 =
	 * 1/60; in bin 8 it would give 29/60 */
	float e8[] = {(float)(8.0 / 15), (float)(7.0 / 15), 0.5f, 0.5f};
	CHECK_NEAR(ece2(2, (const int32_t[]){0, 1}, e8), 1.0 / 60, 1e-7);
	/* a confidence of 0 is in bin 0, with 0.05: (1 - 0.05) / 2 */
	float z[] = {0, 0, 0.05f, 0};
	CHECK_NEAR(ece2(2, (const int32_t[]){0, 1}, z), 0.475, 1e-7);
	/* 1 is in the last bin, with 0.95: |1 - 1.95| / 2 */
	float one[] = {1, 0, 0.95f, 0.05f};
	CHECK_NEAR(ece2(2, (const int32_t[]){0, 1}, one), 0.475, 1e-7);

	/* K = 2 with rows summing to 1: twice the binary Brier score of
	 * either class, mean (p_pos - [y == pos])^2. p1 = .25, .75, .5,
	 * .875, .0625 for y = 0, 1, 1, 0, 1: terms .0625, .0625, .25,
	 * .765625, .87890625; brier = 2 * 2.01953125 / 5 = 0.8078125;
	 * class weights (1, 3): 2 * 4.40234375 / 11 */
	int32_t yb[] = {0, 1, 1, 0, 1};
	float p1[] = {0.25f, 0.75f, 0.5f, 0.875f, 0.0625f}, pb[10];
	for (int i = 0; i < 5; i++) {
		pb[2 * i] = 1 - p1[i];
		pb[2 * i + 1] = p1[i];
	}
	double bw[] = {1, 3};
	for (int wt = 0; wt < 2; wt++) {
		double bin = 0, W = 0;
		for (int i = 0; i < 5; i++) {
			double w = wt ? bw[yb[i]] : 1, d = p1[i] - (yb[i] == 1);
			bin += w * d * d;
			W += w;
		}
		for (int pos = 0; pos < 2; pos++) {
			m = imb_metrics_compute(yb, pb, 5, 2, wt ? bw : NULL, NULL, pos);
			CHECK(m != NULL);
			if (m)
				CHECK_NEAR(m->brier, 2 * bin / W, 1e-15);
			imb_metrics_free(m);
		}
		CHECK_NEAR(2 * bin / W, wt ? 2 * 4.40234375 / 11 : 0.8078125, 1e-15);
	}
}

int main(void)
{
	build_cases();
	CHECK(fixture_cases("mlp.imb") == 0);
	CHECK(fixture_cases("resnet8.imb") == 0);
	CHECK_EQ_INT(ncases, NCASES);
	edge_cases();
	calibration();
	against_oracle();
	CHECK_DONE();
}
