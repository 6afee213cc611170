/* split.c: train/test/val sets with controlled imbalance (see split.h). */
#include "split.h"
#include "dataset.h"
#include "rng.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void imb_split_opts_init(imb_split_opts *o)
{
	memset(o, 0, sizeof *o);
	o->profile = IMB_PROFILE_EXP;
	o->fixed = IMB_FIXED_TOTAL;
	o->train_ratio = 1.0;
	o->test_ratio = 1.0;
	o->val_ratio = -1.0;
	o->n_train = -1;
	o->n_test = -1;
	o->n_val = 0;
	o->n_minority = -1;
	o->n_majority = -1;
}

const char *imb_profile_name(imb_profile p) { return p == IMB_PROFILE_STEP ? "step" : "exp"; }

int imb_profile_parse(const char *s, imb_profile *out)
{
	if (!strcmp(s, "exp"))
		*out = IMB_PROFILE_EXP;
	else if (!strcmp(s, "step"))
		*out = IMB_PROFILE_STEP;
	else
		return -1;
	return 0;
}

void imb_split_weights(double *w, int k, double r, imb_profile p)
{
	for (int j = 0; j < k; j++) {
		if (k == 1 || j == 0)
			w[j] = 1.0;
		else if (p == IMB_PROFILE_STEP)
			w[j] = j < k / 2 ? 1.0 : r;
		else
			w[j] = j == k - 1 ? r : pow(r, (double)j / (double)(k - 1));
	}
}

const char **imb_split_class_names(const imb_frame *src, const long *cls, int k)
{
	/* the pointers, then room for the indices written as text */
	const char **names = imb_xcalloc(k ? k : 1, sizeof *names + 24);
	char (*num)[24] = (char (*)[24])(names + k);
	for (int j = 0; j < k; j++) {
		names[j] = imb_dataset_class_name(src, (int)cls[j]);
		if (!names[j]) {
			snprintf(num[j], sizeof num[j], "%ld", cls[j]);
			names[j] = num[j];
		}
	}
	return names;
}

void imb_split_counts_total(int64_t *out, const double *w, int k, int64_t total)
{
	double sw = 0;
	for (int j = 0; j < k; j++)
		sw += w[j];
	int64_t got = 0;
	double *frac = imb_xmalloc((k ? k : 1) * sizeof *frac);
	for (int j = 0; j < k; j++) {
		double e = (double)total * w[j] / sw;
		out[j] = (int64_t)floor(e + 1e-9);
		frac[j] = e - (double)out[j];
		got += out[j];
	}
	/* hand the remainder out by largest fractional part, lower index first */
	while (got < total) {
		int best = 0;
		for (int j = 1; j < k; j++)
			if (frac[j] > frac[best] + 1e-12)
				best = j;
		out[best]++;
		frac[best] = -1.0;
		got++;
	}
	while (got > total) { /* only from the epsilon above */
		int best = 0;
		for (int j = 1; j < k; j++)
			if (out[j] > out[best])
				best = j;
		out[best]--;
		got--;
	}
	free(frac);
}

void imb_split_counts_major(int64_t *out, const double *w, int k, int64_t m)
{
	for (int j = 0; j < k; j++)
		if (imb_double_to_i64(round((double)m * w[j]), 0, INT64_MAX, &out[j]))
			out[j] = INT64_MAX; /* more than any pool: reported as too many */
}

void imb_split_counts_max(int64_t *out, const double *w, int k, const int64_t *avail)
{
	double m = INFINITY;
	for (int j = 0; j < k; j++) {
		double a = avail[j] > 0 ? (double)avail[j] : 0.0;
		if (a / w[j] < m)
			m = a / w[j];
	}
	for (int j = 0; j < k; j++) {
		if (imb_double_to_i64(floor(m * w[j] + 1e-9), 0, INT64_MAX, &out[j]))
			out[j] = INT64_MAX;
		if (out[j] > avail[j])
			out[j] = avail[j] > 0 ? avail[j] : 0;
	}
}

/* ------------------------------------------------------------ make sets */

typedef struct {
	const imb_split_opts *o;
	const imb_frame *tsrc, *esrc;   /* train pool, test pool (== tsrc: one pool) */
	int k;
	const long *cls;
	const char **names;
} ctx;

static const char *cname(const ctx *c, int j) { return c->names[j]; }

/* requested > available: the message the user sees */
static int too_many(const ctx *c, int j, const imb_frame *pool, int64_t avail,
                    int64_t tr, int64_t va, int64_t te)
{
	char lbl[300], parts[200] = "";
	imb_frame_label(pool, lbl, sizeof lbl);
	int nparts = (tr > 0) + (va > 0) + (te > 0);
	if (nparts > 1) {
		size_t at = 0;
		const char *nm[3] = {"train", "val", "test"};
		int64_t v[3] = {tr, va, te};
		for (int s = 0; s < 3; s++)
			if (v[s] > 0)
				at += snprintf(parts + at, sizeof parts - at, "%s%s %lld",
				               at ? " + " : " (", nm[s], (long long)v[s]);
		snprintf(parts + at, sizeof parts - at, ")");
	}
	return imb_seterr("class %ld (%s) has %lld samples in %s, %lld requested%s", c->cls[j],
	                  cname(c, j), (long long)avail, lbl, (long long)(tr + va + te), parts);
}

static int none_left(const ctx *c, int j, const char *set, const imb_frame *pool, int64_t avail)
{
	char lbl[300];
	imb_frame_label(pool, lbl, sizeof lbl);
	if (avail <= 0)
		return imb_seterr("class %ld (%s) has no samples in %s", c->cls[j], cname(c, j), lbl);
	return imb_seterr("the %s set would hold no samples of class %ld (%s): %lld are available "
	                  "in %s; ask for a larger set or a larger ratio", set, c->cls[j], cname(c, j),
	                  (long long)avail, lbl);
}

/* rows idx (n) of src relabelled lab, as a new frame */
static imb_frame *build(const ctx *c, const imb_frame *src, const size_t *idx, const int32_t *lab,
                        size_t n, const char *name, const imb_val *split)
{
	imb_frame *f = imb_dataset_take(src, idx, n, name);
	imb_tensor *y = imb_frame_tensor(f, "y");
	memcpy(y->data, lab, n * sizeof *lab);
	imb_val_set(f->attrs, "classes", imb_val_str_array(c->names, c->k));
	imb_val_set(f->attrs, "split", imb_val_copy(split));
	imb_dataset_update_counts(f);
	return f;
}

/* shuffle idx and lab together */
static void shuffle2(imb_rng *r, size_t *idx, int32_t *lab, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = imb_rng_below(r, i);
		size_t t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
		int32_t l = lab[i - 1];
		lab[i - 1] = lab[j];
		lab[j] = l;
	}
}

static int split_make(const imb_split_opts *o, const imb_frame *train_src,
                      const imb_frame *test_src, imb_frame **train, imb_frame **test,
                      imb_frame **val);

/* test_src's classes matched by name to train_src's: *own NULL when its
 * labels are train_src's indices already, else a copy of test_src with
 * its labels and attrs.classes (and counts) in train_src's class order
 * (a subset of train_src's classes may be listed, in any order) */
static int match_test(const imb_frame *train_src, const imb_frame *test_src, imb_frame **own)
{
	*own = NULL;
	char lbl[300];
	imb_frame_label(train_src, lbl, sizeof lbl);
	const imb_val *cl = imb_val_get(train_src->attrs, "classes");
	int ksrc = imb_dataset_nclasses(train_src);
	int32_t *map;
	if (imb_dataset_class_map(test_src, cl, ksrc, lbl, &map) < 0)
		return -1;
	int kt = imb_dataset_nclasses(test_src);
	if (!map && kt == ksrc)
		return 0;
	if (!map && !(cl && imb_val_get(test_src->attrs, "classes"))) {
		char lbl2[300];
		return imb_seterr("%s has %d classes but %s has %d",
		                  imb_frame_label(test_src, lbl2, sizeof lbl2), kt, lbl, ksrc);
	}
	size_t n = (size_t)imb_dataset_n(test_src);
	size_t *idx = imb_xmalloc((n ? n : 1) * sizeof *idx);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	imb_frame *f = imb_dataset_take(test_src, idx, n, test_src->name);
	free(idx);
	f->index = test_src->index;
	int32_t *y = imb_frame_tensor(f, "y")->data;
	for (size_t i = 0; map && i < n; i++)
		y[i] = map[y[i]];
	free(map);
	imb_val_set(f->attrs, "classes", imb_val_copy(cl));
	imb_dataset_update_counts(f);
	*own = f;
	return 0;
}

/* the source's class names, ", " joined, cut with "..." to fit size */
static const char *class_names(const imb_frame *src, char *buf, size_t size)
{
	size_t at = 0;
	buf[0] = 0;
	int k = imb_dataset_nclasses(src);
	for (int j = 0; j < k; j++) {
		const char *nm = imb_dataset_class_name(src, j);
		if (!nm)
			break;
		if (at + strlen(nm) + 8 > size) {
			snprintf(buf + at, size - at, ", ...");
			break;
		}
		at += snprintf(buf + at, size - at, "%s%s", j ? ", " : "", nm);
	}
	return buf;
}

/* class j of src named exactly s (ci: ignoring case); -1: none, -2: two */
static int find_name(const imb_frame *src, const char *s, int ci)
{
	int k = imb_dataset_nclasses(src), found = -1;
	for (int j = 0; j < k; j++) {
		const char *nm = imb_dataset_class_name(src, j);
		if (nm && (ci ? !strcasecmp(nm, s) : !strcmp(nm, s))) {
			if (found >= 0)
				return -2;
			found = j;
		}
	}
	return found;
}

static int is_integer(const char *s)
{
	s += *s == '-';
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* every class in range and listed once */
static int check_classes(const imb_frame *src, const long *cls, int k)
{
	char lbl[300], names[700];
	imb_frame_label(src, lbl, sizeof lbl);
	int ksrc = imb_dataset_nclasses(src);
	if (k <= 0 || ksrc <= 0)
		return imb_seterr("%s has no classes", lbl);
	for (int j = 0; j < k; j++) {
		if (cls[j] < 0 || cls[j] >= ksrc) {
			class_names(src, names, sizeof names);
			return imb_seterr("class %ld does not exist: %s has %d classes (0..%d)%s%s", cls[j],
			                  lbl, ksrc, ksrc - 1, *names ? ": " : "", names);
		}
		for (int i = 0; i < j; i++)
			if (cls[i] == cls[j]) {
				const char *nm = imb_dataset_class_name(src, (int)cls[j]);
				return imb_seterr("class %ld%s%s%s is listed twice", cls[j], nm ? " (" : "",
				                  nm ? nm : "", nm ? ")" : "");
			}
	}
	return 0;
}

int imb_split_classes(const imb_frame *src, const char *list, long **cls, int *k)
{
	*cls = NULL;
	*k = 0;
	char lbl[300], names[700];
	imb_frame_label(src, lbl, sizeof lbl);
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	long *out = imb_xmalloc(cap * sizeof *out);
	int n = 0;
	const char *p = list;
	for (;;) {
		size_t len = strcspn(p, ",");
		char *tok = imb_xmalloc(len + 1);
		memcpy(tok, p, len);
		tok[len] = 0;
		int j = -1;
		if (!len) {
			imb_seterr("--classes: empty class in '%s'", list);
		} else if (is_integer(tok) && find_name(src, tok, 0) < 0) {
			out[n++] = strtol(tok, NULL, 10);
			j = 0;
		} else if ((j = find_name(src, tok, 0)) < 0 && (j = find_name(src, tok, 1)) == -2) {
			imb_seterr("class '%s' matches two classes of %s when case is ignored; give it as "
			           "written: %s", tok, lbl, class_names(src, names, sizeof names));
		} else if (j < 0 && !imb_dataset_class_name(src, 0)) {
			imb_seterr("class '%s': %s names no classes; give class indices 0..%d", tok, lbl,
			           imb_dataset_nclasses(src) - 1);
		} else if (j < 0) {
			imb_seterr("class '%s' is not in %s; its classes are: %s", tok, lbl,
			           class_names(src, names, sizeof names));
		} else {
			out[n++] = j;
		}
		free(tok);
		if (j < 0) {
			free(out);
			return -1;
		}
		if (!p[len])
			break;
		p += len + 1;
	}
	if (check_classes(src, out, n) < 0) {
		free(out);
		return -1;
	}
	*cls = out;
	*k = n;
	return 0;
}

int imb_split_size_parse(const char *s, imb_split_size *out)
{
	out->frac = 0;
	out->count = 0;
	if (!s || !*s)
		return -1;
	if (is_integer(s) && *s != '-') {
		errno = 0;
		long long v = strtoll(s, NULL, 10);
		if (errno || v < 1)
			return -1;
		out->count = v;
		return 0;
	}
	char *end;
	errno = 0;
	double f = strtod(s, &end);
	if (errno || *end || end == s || !(f > 0 && f < 1))
		return -1;
	out->frac = f;
	return 0;
}

int64_t imb_split_size_rows(const imb_split_size *s, int64_t n)
{
	if (s->count > 0)
		return s->count;
	return (int64_t)ceil(s->frac * (double)n);
}

int imb_split_make(const imb_split_opts *o, const imb_frame *train_src, const imb_frame *test_src,
                   imb_frame **train, imb_frame **test, imb_frame **val)
{
	*train = *test = NULL;
	if (val)
		*val = NULL;
	if (imb_dataset_check(train_src) < 0 || (test_src && imb_dataset_check(test_src) < 0))
		return -1;
	imb_split_opts oo = *o;
	long *listed = NULL, *all = NULL;
	if (o->class_list) {
		if (imb_split_classes(train_src, o->class_list, &listed, &oo.nclasses) < 0)
			return -1;
		oo.classes = listed;
	} else if (!o->classes) {
		oo.nclasses = imb_dataset_nclasses(train_src);
		all = imb_xmalloc((oo.nclasses > 0 ? oo.nclasses : 1) * sizeof *all);
		for (int j = 0; j < oo.nclasses; j++)
			all[j] = j;
		oo.classes = all;
	}
	imb_frame *own = NULL;
	int r = -1;
	if (check_classes(train_src, oo.classes, oo.nclasses) < 0 ||
	    (test_src && match_test(train_src, test_src, &own) < 0))
		goto out;
	if (o->mode == IMB_SPLIT_RATIO)
		r = split_make(&oo, train_src, own ? own : test_src, train, test, val);
	else
		r = imb_split_strat_make(&oo, train_src, own ? own : test_src, train, test, val);
out:
	imb_frame_free(own);
	free(listed);
	free(all);
	return r;
}

static int split_make(const imb_split_opts *o, const imb_frame *train_src,
                      const imb_frame *test_src, imb_frame **train, imb_frame **test,
                      imb_frame **val)
{
	char lbl[300], lbl2[300];
	imb_frame_label(train_src, lbl, sizeof lbl);
	int ksrc = imb_dataset_nclasses(train_src);
	if (test_src && imb_dataset_nclasses(test_src) != ksrc)
		return imb_seterr("%s has %d classes but %s has %d",
		                  imb_frame_label(test_src, lbl2, sizeof lbl2),
		                  imb_dataset_nclasses(test_src), lbl, ksrc);
	if (test_src && imb_dataset_dim(test_src) != imb_dataset_dim(train_src))
		return imb_seterr("%s: tensor 'x' has %llu features per sample but %s has %llu",
		                  imb_frame_label(test_src, lbl2, sizeof lbl2),
		                  (unsigned long long)imb_dataset_dim(test_src), lbl,
		                  (unsigned long long)imb_dataset_dim(train_src));

	int k = o->classes ? o->nclasses : ksrc;
	long *cls = imb_xmalloc(k * sizeof *cls);
	for (int j = 0; j < k; j++)
		cls[j] = o->classes ? o->classes[j] : j;
	const char **names = imb_split_class_names(train_src, cls, k);
	ctx c = {o, train_src, test_src ? test_src : train_src, k, cls, names};
	int one = !test_src;

	/* per-class availability in each pool */
	int64_t *cnt_t, *cnt_e = NULL;
	size_t **by_t = imb_dataset_byclass(train_src, &cnt_t), **by_e = NULL;
	if (!one)
		by_e = imb_dataset_byclass(test_src, &cnt_e);
	int64_t *av_t = imb_xcalloc(k, sizeof *av_t), *av_e = imb_xcalloc(k, sizeof *av_e);
	for (int j = 0; j < k; j++) {
		av_t[j] = cnt_t[cls[j]];
		av_e[j] = one ? av_t[j] : cnt_e[cls[j]];
	}

	double *w = imb_xmalloc(k * sizeof *w), *wt = imb_xmalloc(k * sizeof *wt);
	int64_t *ntr = imb_xcalloc(k, sizeof *ntr), *nte = imb_xcalloc(k, sizeof *nte),
	        *nva = imb_xcalloc(k, sizeof *nva), *room = imb_xcalloc(k, sizeof *room);
	int rc = -1;
	double train_ratio = o->train_ratio;
	int64_t n_majority = -1;
	int train_fixed = o->n_train >= 0 || o->fixed == IMB_FIXED_MINORITY;

	/* a) train counts when they are given */
	if (o->fixed == IMB_FIXED_MINORITY) {
		n_majority = o->n_majority;
		if (n_majority < 0 &&
		    imb_double_to_i64(round((double)o->n_minority / o->train_ratio), 0, INT64_MAX, &n_majority)) {
			imb_seterr("fixed minority: %lld minority samples at train ratio %g ask for a majority "
			           "of %g samples, more than any dataset holds", (long long)o->n_minority,
			           o->train_ratio, (double)o->n_minority / o->train_ratio);
			goto out;
		}
		if (n_majority < o->n_minority || o->n_minority <= 0) {
			imb_seterr("fixed minority: the minority count (%lld) must be positive and at most "
			           "the majority count (%lld)", (long long)o->n_minority, (long long)n_majority);
			goto out;
		}
		train_ratio = k > 1 ? (double)o->n_minority / (double)n_majority : 1.0;
		imb_split_weights(wt, k, train_ratio, o->profile);
		imb_split_counts_major(ntr, wt, k, n_majority);
		if (k > 1)
			ntr[k - 1] = o->n_minority;
	} else {
		imb_split_weights(wt, k, train_ratio, o->profile);
		if (o->n_train >= 0)
			imb_split_counts_total(ntr, wt, k, o->n_train);
	}
	if (train_fixed)
		for (int j = 0; j < k; j++)
			if (ntr[j] > av_t[j]) {
				too_many(&c, j, train_src, av_t[j], ntr[j], 0, 0);
				goto out;
			}
	/* b) test counts when given */
	imb_split_weights(w, k, o->test_ratio, o->profile);
	if (o->n_test >= 0)
		imb_split_counts_total(nte, w, k, o->n_test);
	/* c) val counts (given, or nothing) */
	double val_ratio = o->val_ratio > 0 ? o->val_ratio : train_ratio;
	if (o->n_val > 0) {
		double *wv = imb_xmalloc(k * sizeof *wv);
		imb_split_weights(wv, k, val_ratio, o->profile);
		imb_split_counts_total(nva, wv, k, o->n_val);
		free(wv);
	}
	/* d) test at its maximum: all of a separate pool; from one pool what
	 * the train and val sets leave, or a quarter of it when train is
	 * sized by the maximum too */
	if (o->n_test < 0) {
		for (int j = 0; j < k; j++) {
			if (!one)
				room[j] = av_e[j];
			else if (train_fixed)
				room[j] = av_e[j] - ntr[j] - nva[j];
			else
				room[j] = av_e[j] / 4;
			if (room[j] < 0)
				room[j] = 0;
		}
		imb_split_counts_max(nte, w, k, room);
	}
	/* e) train at its maximum: what val (and test, one pool) leave */
	if (!train_fixed) {
		for (int j = 0; j < k; j++) {
			room[j] = av_t[j] - nva[j] - (one ? nte[j] : 0);
			if (room[j] < 0)
				room[j] = 0;
		}
		imb_split_counts_max(ntr, wt, k, room);
	}
	/* everything fits, nothing is empty */
	for (int j = 0; j < k; j++) {
		if (one) {
			if (ntr[j] + nva[j] + nte[j] > av_t[j]) {
				too_many(&c, j, train_src, av_t[j], ntr[j], nva[j], nte[j]);
				goto out;
			}
		} else {
			if (ntr[j] + nva[j] > av_t[j]) {
				too_many(&c, j, train_src, av_t[j], ntr[j], nva[j], 0);
				goto out;
			}
			if (nte[j] > av_e[j]) {
				too_many(&c, j, test_src, av_e[j], 0, 0, nte[j]);
				goto out;
			}
		}
		if (ntr[j] == 0) {
			none_left(&c, j, "train", train_src, av_t[j]);
			goto out;
		}
		if (nte[j] == 0) {
			none_left(&c, j, "test", c.esrc, av_e[j]);
			goto out;
		}
		if (o->n_val > 0 && nva[j] == 0) {
			none_left(&c, j, "val", train_src, av_t[j]);
			goto out;
		}
	}

	/* draw: each class's rows shuffled once, train pool then test pool */
	imb_rng r, rs[3];
	imb_rng_seed(&r, o->seed);
	/* each set's order has a generator of its own, so one set's size
	 * never moves another's samples or order */
	for (int s = 0; s < 3; s++)
		imb_rng_seed(&rs[s], imb_rng_u64(&r));
	size_t **perm_t = imb_xcalloc(k, sizeof *perm_t), **perm_e = imb_xcalloc(k, sizeof *perm_e);
	for (int j = 0; j < k; j++) {
		perm_t[j] = imb_xmalloc((av_t[j] ? av_t[j] : 1) * sizeof **perm_t);
		memcpy(perm_t[j], by_t[cls[j]], av_t[j] * sizeof **perm_t);
		imb_rng_shuffle(&r, perm_t[j], av_t[j]);
	}
	for (int j = 0; j < k && !one; j++) {
		perm_e[j] = imb_xmalloc((av_e[j] ? av_e[j] : 1) * sizeof **perm_e);
		memcpy(perm_e[j], by_e[cls[j]], av_e[j] * sizeof **perm_e);
		imb_rng_shuffle(&r, perm_e[j], av_e[j]);
	}
	int64_t tot[3] = {0, 0, 0};
	for (int j = 0; j < k; j++) {
		tot[0] += ntr[j];
		tot[1] += nva[j];
		tot[2] += nte[j];
	}
	size_t *idx[3];
	int32_t *lab[3];
	for (int s = 0; s < 3; s++) {
		idx[s] = imb_xmalloc((tot[s] ? tot[s] : 1) * sizeof *idx[s]);
		lab[s] = imb_xmalloc((tot[s] ? tot[s] : 1) * sizeof *lab[s]);
	}
	size_t pos[3] = {0, 0, 0};
	for (int j = 0; j < k; j++) {
		/* train: the front of the train pool */
		for (int64_t i = 0; i < ntr[j]; i++, pos[0]++) {
			idx[0][pos[0]] = perm_t[j][i];
			lab[0][pos[0]] = j;
		}
		/* test: the back of the one pool, or the front of the test pool */
		for (int64_t i = 0; i < nte[j]; i++, pos[2]++) {
			idx[2][pos[2]] = one ? perm_t[j][av_t[j] - nte[j] + i] : perm_e[j][i];
			lab[2][pos[2]] = j;
		}
		/* val: just before the test rows at the back of the train pool */
		int64_t end = av_t[j] - (one ? nte[j] : 0);
		for (int64_t i = 0; i < nva[j]; i++, pos[1]++) {
			idx[1][pos[1]] = perm_t[j][end - nva[j] + i];
			lab[1][pos[1]] = j;
		}
	}
	for (int s = 0; s < 3; s++)
		shuffle2(&rs[s], idx[s], lab[s], tot[s]);

	/* attrs.split */
	imb_val *sp = imb_val_map();
	int64_t *ci = imb_xmalloc(k * sizeof *ci);
	for (int j = 0; j < k; j++)
		ci[j] = cls[j];
	imb_val_set(sp, "classes", imb_val_int_array(ci, k));
	free(ci);
	imb_val_set_str(sp, "profile", imb_profile_name(o->profile));
	imb_val_set_str(sp, "fixed", o->fixed == IMB_FIXED_MINORITY ? "minority" : "total");
	imb_val_set_float(sp, "train_ratio", train_ratio);
	imb_val_set_float(sp, "test_ratio", o->test_ratio);
	if (o->n_val > 0)
		imb_val_set_float(sp, "val_ratio", val_ratio);
	imb_val_set_int(sp, "seed", (int64_t)o->seed);
	imb_val_set_int(sp, "n_train", tot[0]);
	imb_val_set_int(sp, "n_test", tot[2]);
	if (o->n_val > 0)
		imb_val_set_int(sp, "n_val", tot[1]);
	if (o->fixed == IMB_FIXED_MINORITY) {
		imb_val_set_int(sp, "n_minority", o->n_minority);
		imb_val_set_int(sp, "n_majority", n_majority);
	}
	imb_val_set(sp, "train_counts", imb_val_int_array(ntr, k));
	imb_val_set(sp, "test_counts", imb_val_int_array(nte, k));
	if (o->n_val > 0)
		imb_val_set(sp, "val_counts", imb_val_int_array(nva, k));
	imb_val_set_str(sp, "pool", one ? "shared" : "separate");

	*train = build(&c, train_src, idx[0], lab[0], tot[0], "train", sp);
	*test = build(&c, c.esrc, idx[2], lab[2], tot[2], "test", sp);
	if (val && o->n_val > 0)
		*val = build(&c, train_src, idx[1], lab[1], tot[1], "val", sp);
	imb_val_free(sp);
	for (int s = 0; s < 3; s++) {
		free(idx[s]);
		free(lab[s]);
	}
	for (int j = 0; j < k; j++) {
		free(perm_t[j]);
		free(perm_e[j]);
	}
	free(perm_t);
	free(perm_e);
	rc = 0;
out:
	imb_dataset_free_byclass(by_t, ksrc);
	imb_dataset_free_byclass(by_e, ksrc);
	free(cnt_t);
	free(cnt_e);
	free(av_t);
	free(av_e);
	free(w);
	free(wt);
	free(ntr);
	free(nte);
	free(nva);
	free(room);
	free(cls);
	free(names);
	return rc;
}
