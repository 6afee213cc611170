/* metrics.c: classification and calibration metrics (see metrics.h for
 * the definitions). */
#include "metrics.h"
#include "util.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* sklearn 1.2's log_loss with float64 probabilities: clip to [eps, 1-eps]
 * with eps the double's machine epsilon, then renormalise each row */
#define LOG_EPS DBL_EPSILON

typedef struct {
	double s, w;
	int pos;
} scored;

/* descending score */
static int cmp_scored(const void *a, const void *b)
{
	double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
	return x < y ? 1 : x > y ? -1 : 0;
}

static scored *sort_scores(const double *score, const unsigned char *pos, const double *w,
                           size_t n, double *wpos, double *wneg)
{
	scored *v = imb_xmalloc((n ? n : 1) * sizeof *v);
	*wpos = *wneg = 0;
	for (size_t i = 0; i < n; i++) {
		v[i].s = score[i];
		v[i].w = w ? w[i] : 1.0;
		v[i].pos = pos[i] != 0;
		if (v[i].pos)
			*wpos += v[i].w;
		else
			*wneg += v[i].w;
	}
	qsort(v, n, sizeof *v, cmp_scored);
	return v;
}

double imb_auroc(const double *score, const unsigned char *pos, const double *w, size_t n)
{
	double P, N;
	scored *v = sort_scores(score, pos, w, n, &P, &N);
	double area = NAN;
	if (P > 0 && N > 0) {
		/* each negative counts the positives scored above it, plus one
		 * half of those tied with it: the trapezoidal ROC area */
		double above = 0, sum = 0;
		for (size_t i = 0; i < n;) {
			double gp = 0, gn = 0;
			size_t j = i;
			for (; j < n && v[j].s == v[i].s; j++) {
				if (v[j].pos)
					gp += v[j].w;
				else
					gn += v[j].w;
			}
			sum += gn * (above + 0.5 * gp);
			above += gp;
			i = j;
		}
		area = sum / (P * N);
	}
	free(v);
	return area;
}

double imb_average_precision(const double *score, const unsigned char *pos, const double *w,
                             size_t n)
{
	double P, N;
	scored *v = sort_scores(score, pos, w, n, &P, &N);
	double ap = NAN;
	if (P > 0 && N > 0) {
		double tp = 0, fp = 0, rprev = 0;
		ap = 0;
		for (size_t i = 0; i < n;) {
			size_t j = i;
			for (; j < n && v[j].s == v[i].s; j++) {
				if (v[j].pos)
					tp += v[j].w;
				else
					fp += v[j].w;
			}
			double r = tp / P, p = tp + fp > 0 ? tp / (tp + fp) : 0;
			ap += (r - rprev) * p;
			rprev = r;
			i = j;
		}
	}
	free(v);
	return ap;
}

float imb_ece_edge(int b)
{
	return (float)((double)b / IMB_ECE_BINS);
}

int imb_ece_bin(float conf)
{
	int b = 0;
	while (b < IMB_ECE_BINS - 1 && conf > imb_ece_edge(b + 1))
		b++;
	return b;
}

void imb_metrics_free(imb_metrics *m)
{
	if (!m)
		return;
	free(m->confusion);
	free(m->support);
	free(m->predicted);
	free(m->count);
	free(m->recall);
	free(m->precision);
	free(m->f1);
	free(m);
}

static int is_major(const unsigned char *majority, int c)
{
	return majority ? majority[c] != 0 : c == 0;
}

imb_metrics *imb_metrics_compute(const int32_t *y, const float *probs, size_t n, int k,
                                 const double *class_w, const unsigned char *majority,
                                 int positive)
{
	if (k < 1) {
		imb_seterr("metrics: %d classes", k);
		return NULL;
	}
	if (k == 2 && (positive < 0 || positive >= k)) {
		imb_seterr("metrics: positive class %d is not one of the %d classes", positive, k);
		return NULL;
	}
	for (int c = 0; class_w && c < k; c++)
		if (!(class_w[c] >= 0) || !isfinite(class_w[c])) {
			imb_seterr("metrics: weight of class %d is %g", c, class_w[c]);
			return NULL;
		}
	for (size_t i = 0; i < n; i++)
		if (y[i] < 0 || y[i] >= k) {
			imb_seterr("metrics: label %d of sample %zu is not in [0, %d)", (int)y[i], i, k);
			return NULL;
		}

	size_t K = (size_t)k;
	imb_metrics *m = imb_xcalloc(1, sizeof *m);
	m->k = k;
	m->n = n;
	m->confusion = imb_xcalloc(K * K, sizeof(double));
	m->support = imb_xcalloc(K, sizeof(double));
	m->predicted = imb_xcalloc(K, sizeof(double));
	m->count = imb_xcalloc(K, sizeof(size_t));
	m->recall = imb_xcalloc(K, sizeof(double));
	m->precision = imb_xcalloc(K, sizeof(double));
	m->f1 = imb_xcalloc(K, sizeof(double));
	size_t *npred = imb_xcalloc(K, sizeof(size_t));

	/* per ECE bin: summed weights of the correct rows, weighted confidences */
	double bin_acc[IMB_ECE_BINS] = {0}, bin_conf[IMB_ECE_BINS] = {0};

	double loss = 0, brier = 0;
	for (size_t i = 0; i < n; i++) {
		const float *p = probs + i * K;
		int best = 0;
		for (int c = 1; c < k; c++)
			if (p[c] > p[best])
				best = c;
		double w = class_w ? class_w[y[i]] : 1.0;
		m->confusion[(size_t)y[i] * K + (size_t)best] += w;
		m->support[y[i]] += w;
		m->predicted[best] += w;
		m->count[y[i]]++;
		npred[best]++;
		m->total += w;
		double rs = 0, pt = 0;
		for (int c = 0; c < k; c++) {
			double q = fmin(fmax((double)p[c], LOG_EPS), 1 - LOG_EPS);
			rs += q;
			if (c == y[i])
				pt = q;
		}
		loss += w * -log(pt / rs);
		double sq = 0;
		for (int c = 0; c < k; c++) {
			double d = (double)p[c] - (c == y[i]);
			sq += d * d;
		}
		brier += w * sq;
		/* a NaN stays in bin 0 and makes ece NaN */
		float conf = p[best];
		int b = imb_ece_bin(conf);
		bin_acc[b] += best == y[i] ? w : 0;
		bin_conf[b] += w * (double)conf;
	}

	double diag = 0, bsum = 0, fsum = 0, lsum = 0;
	int bn = 0, fn = 0, gzero = 0;
	double maj_tp = 0, maj_sup = 0, min_tp = 0, min_sup = 0;
	for (size_t c = 0; c < K; c++) {
		double tp = m->confusion[c * K + c];
		diag += tp;
		m->recall[c] = m->support[c] > 0 ? tp / m->support[c] : 0;
		m->precision[c] = m->predicted[c] > 0 ? tp / m->predicted[c] : 0;
		double den = m->support[c] + m->predicted[c];
		m->f1[c] = den > 0 ? 2 * tp / den : 0;
		if (m->support[c] > 0) {
			bsum += m->recall[c];
			bn++;
			if (m->recall[c] > 0)
				lsum += log(m->recall[c]);
			else
				gzero = 1;
		}
		if (m->count[c] || npred[c]) {
			fsum += m->f1[c];
			fn++;
		}
		if (is_major(majority, (int)c)) {
			maj_tp += tp;
			maj_sup += m->support[c];
		} else {
			min_tp += tp;
			min_sup += m->support[c];
		}
	}
	free(npred);
	m->accuracy = m->total > 0 ? diag / m->total : NAN;
	m->balanced_accuracy = bn ? bsum / bn : NAN;
	m->gmean = !bn ? NAN : gzero ? 0 : exp(lsum / bn);
	m->macro_f1 = fn ? fsum / fn : NAN;
	m->majority_error = maj_sup > 0 ? 1 - maj_tp / maj_sup : NAN;
	m->minority_error = min_sup > 0 ? 1 - min_tp / min_sup : NAN;
	m->log_loss = m->total > 0 ? loss / m->total : NAN;
	m->brier = m->total > 0 ? brier / m->total : NAN;
	double gap = 0;
	for (int b = 0; b < IMB_ECE_BINS; b++)
		gap += fabs(bin_acc[b] - bin_conf[b]);
	m->ece = m->total > 0 ? gap / m->total : NAN;
	m->auroc = m->auprc = NAN;
	if (k == 2 && n) {
		double *score = imb_xmalloc(n * sizeof *score), *w = imb_xmalloc(n * sizeof *w);
		unsigned char *pos = imb_xmalloc(n);
		for (size_t i = 0; i < n; i++) {
			score[i] = probs[i * K + (size_t)positive];
			pos[i] = y[i] == positive;
			w[i] = class_w ? class_w[y[i]] : 1.0;
		}
		m->auroc = imb_auroc(score, pos, w, n);
		m->auprc = imb_average_precision(score, pos, w, n);
		free(score);
		free(w);
		free(pos);
	}
	return m;
}

int imb_metrics_share_weights(const size_t *count, const double *share, int k, double *w)
{
	double n = 0, mass = 0;
	for (int c = 0; c < k; c++) {
		n += (double)count[c];
		if (count[c])
			mass += share[c];
	}
	if (n == 0)
		return imb_seterr("target ratio: the set has no samples");
	/* class c's share of the total weight is share_c / mass, spread
	 * evenly over its count[c] samples; the weights sum to n */
	for (int c = 0; c < k; c++)
		w[c] = count[c] ? share[c] / mass * n / (double)count[c] : 0.0;
	return 0;
}

int imb_metrics_target_weights(const size_t *count, const unsigned char *majority, int k,
                               double ratio, double *w)
{
	if (!(ratio > 0) || !isfinite(ratio))
		return imb_seterr("target ratio %g is not a positive number", ratio);
	for (int c = 0; c < k; c++)
		w[c] = is_major(majority, c) ? 1.0 : ratio;
	return imb_metrics_share_weights(count, w, k, w);
}

void imb_mean_se(const double *x, size_t n, double *mean, double *se, size_t *m)
{
	size_t cnt = 0;
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i])) {
			sum += x[i];
			cnt++;
		}
	*m = cnt;
	*mean = cnt ? sum / (double)cnt : NAN;
	*se = NAN;
	if (cnt >= 2) {
		double ss = 0;
		for (size_t i = 0; i < n; i++)
			if (isfinite(x[i]))
				ss += (x[i] - *mean) * (x[i] - *mean);
		*se = sqrt(ss / (double)(cnt - 1)) / sqrt((double)cnt);
	}
}
