/* split_strat.c: stratified train/test/val sets and stratified k-fold,
 * which keep the data's own class ratio (see split.h). */
#include "split.h"
#include "dataset.h"
#include "rng.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int imb_split_counts_stratified(int64_t *test, const int64_t *counts, int k, int64_t n_test)
{
	int64_t n = 0;
	for (int j = 0; j < k; j++) {
		if (counts[j] < 2)
			return imb_seterr("class %d has %lld rows: a stratified split needs 2 or more of "
			                  "each class", j, (long long)counts[j]);
		n += counts[j];
	}
	if (n_test >= n)
		return imb_seterr("that leaves no rows for train (the classes hold %lld)", (long long)n);
	if (n_test < k)
		return imb_seterr("%lld row%s cannot hold one of each of the %d classes",
		                  (long long)n_test, n_test == 1 ? "" : "s", k);
	if (n - n_test < k)
		return imb_seterr("the %lld row%s left for train cannot hold one of each of the %d "
		                  "classes", (long long)(n - n_test), n - n_test == 1 ? "" : "s", k);
	/* train rows in proportion to the class counts, the remainder to the
	 * largest fractional parts (ties: the lower index), as scikit-learn's
	 * _approximate_mode (which breaks ties at random) */
	int64_t *tr = imb_xmalloc(k * sizeof *tr);
	double *w = imb_xmalloc(k * sizeof *w);
	for (int j = 0; j < k; j++)
		w[j] = (double)counts[j];
	imb_split_counts_total(tr, w, k, n - n_test);
	for (int j = 0; j < k; j++)
		test[j] = counts[j] - tr[j];
	free(w);
	free(tr);
	/* a class with no row in a set takes one from the class furthest
	 * above its exact share there (as n_test and n - n_test are >= k,
	 * such a class holds 2 or more) */
	for (int side = 0; side < 2; side++) {
		for (int z = 0; z < k; z++) {
			int64_t have = side ? counts[z] - test[z] : test[z];
			if (have > 0)
				continue;
			int best = -1;
			double bestv = 0;
			for (int d = 0; d < k; d++) {
				double exact = (double)counts[d] * (double)n_test / (double)n;
				int64_t hd = side ? counts[d] - test[d] : test[d];
				double over = side ? exact - (double)test[d] : (double)test[d] - exact;
				if (hd >= 2 && (best < 0 || over > bestv)) {
					best = d;
					bestv = over;
				}
			}
			test[best] += side ? 1 : -1;
			test[z] += side ? -1 : 1;
		}
	}
	return 0;
}

void imb_split_counts_folds(int64_t *alloc, const int64_t *counts, int k, int folds)
{
	memset(alloc, 0, (size_t)folds * k * sizeof *alloc);
	int64_t pos = 0;
	for (int j = 0; j < k; j++) {
		int64_t full = counts[j] / folds, extra = counts[j] % folds;
		for (int f = 0; f < folds; f++) {
			int64_t off = ((f - pos) % folds + folds) % folds;
			alloc[f * k + j] = full + (off < extra);
		}
		pos = (pos + counts[j]) % folds;
	}
}

/* ------------------------------------------------------------ make sets */

enum { S_TRAIN, S_VAL, S_TEST };

/* a set being gathered: rows of its pool and their new labels */
typedef struct {
	size_t *idx;
	int32_t *lab;
	size_t n, cap;
	int64_t *counts; /* (k) */
} set;

static void put(set *s, size_t row, int j)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->idx = imb_xrealloc(s->idx, s->cap * sizeof *s->idx);
		s->lab = imb_xrealloc(s->lab, s->cap * sizeof *s->lab);
	}
	s->idx[s->n] = row;
	s->lab[s->n++] = j;
	s->counts[j]++;
}

/* sort a set by source row (selection keeps the source order) */
static int by_row(const void *a, const void *b)
{
	size_t x = ((const size_t *)a)[0], y = ((const size_t *)b)[0];
	return x < y ? -1 : x > y;
}

static void source_order(set *s)
{
	size_t (*p)[2] = imb_xmalloc((s->n ? s->n : 1) * sizeof *p);
	for (size_t i = 0; i < s->n; i++) {
		p[i][0] = s->idx[i];
		p[i][1] = (size_t)s->lab[i];
	}
	qsort(p, s->n, sizeof *p, by_row);
	for (size_t i = 0; i < s->n; i++) {
		s->idx[i] = p[i][0];
		s->lab[i] = (int32_t)p[i][1];
	}
	free(p);
}

static void shuffle_set(imb_rng *r, set *s)
{
	for (size_t i = s->n; i > 1; i--) {
		size_t j = imb_rng_below(r, i);
		size_t t = s->idx[i - 1];
		s->idx[i - 1] = s->idx[j];
		s->idx[j] = t;
		int32_t l = s->lab[i - 1];
		s->lab[i - 1] = s->lab[j];
		s->lab[j] = l;
	}
}

static void size_val(imb_val *sp, const char *key, const imb_split_size *s)
{
	if (s->count > 0)
		imb_val_set_int(sp, key, s->count);
	else
		imb_val_set_float(sp, key, s->frac);
}

/* the class's name for messages: "class 6 (Shirt)" */
static const char *cdesc(const imb_frame *src, long c, char *buf, size_t size)
{
	const char *nm = imb_dataset_class_name(src, (int)c);
	if (nm)
		snprintf(buf, size, "class %ld (%s)", c, nm);
	else
		snprintf(buf, size, "class %ld", c);
	return buf;
}

int imb_split_strat_make(const imb_split_opts *o, const imb_frame *train_src,
                         const imb_frame *test_src, imb_frame **train, imb_frame **test,
                         imb_frame **val)
{
	*train = *test = NULL;
	if (val)
		*val = NULL;
	char lbl[300], lbl2[300], cd[300];
	imb_frame_label(train_src, lbl, sizeof lbl);
	if (test_src)
		imb_frame_label(test_src, lbl2, sizeof lbl2);
	int ksrc = imb_dataset_nclasses(train_src);
	int one = !test_src, kfold = o->mode == IMB_SPLIT_FOLDS;
	int has_val = o->val_size.count > 0 || o->val_size.frac > 0;
	imb_split_size tsize = o->test_size;
	if (!tsize.count && !(tsize.frac > 0))
		tsize.frac = 0.25;
	if (test_src && imb_dataset_dim(test_src) != imb_dataset_dim(train_src))
		return imb_seterr("%s: tensor 'x' has %llu features per sample but %s has %llu", lbl2,
		                  (unsigned long long)imb_dataset_dim(test_src), lbl,
		                  (unsigned long long)imb_dataset_dim(train_src));
	if (!one && !kfold && (o->test_size.count > 0 || o->test_size.frac > 0))
		return imb_seterr("a test size splits one dataset frame, but the input already holds a "
		                  "test set (%s); leave out the test size to keep it, or give one frame",
		                  lbl2);
	if (!one && kfold && has_val)
		return imb_seterr("with a test set in the input (%s), the held-out fold is the val "
		                  "set: a val size does not apply", lbl2);
	if (kfold && (o->folds < 2 || o->fold < 1 || o->fold > o->folds))
		return imb_seterr("fold %d of %d: the folds must be 2 or more and the fold in 1..%d",
		                  o->fold, o->folds, o->folds);

	int k = o->classes ? o->nclasses : ksrc;
	long *cls = imb_xmalloc((k ? k : 1) * sizeof *cls);
	for (int j = 0; j < k; j++)
		cls[j] = o->classes ? o->classes[j] : j;
	int64_t *cnt_t, *cnt_e = NULL;
	size_t **by_t = imb_dataset_byclass(train_src, &cnt_t), **by_e = NULL;
	if (!one)
		by_e = imb_dataset_byclass(test_src, &cnt_e);
	int64_t *av = imb_xcalloc(k, sizeof *av), *rest = imb_xcalloc(k, sizeof *rest);
	int64_t *nte = imb_xcalloc(k, sizeof *nte), *nva = imb_xcalloc(k, sizeof *nva);
	int64_t *alloc = kfold ? imb_xcalloc((size_t)o->folds * k, sizeof *alloc) : NULL;
	set s[3];
	memset(s, 0, sizeof s);
	for (int t = 0; t < 3; t++)
		s[t].counts = imb_xcalloc(k, sizeof *s[t].counts);
	size_t **perm = imb_xcalloc(k, sizeof *perm);
	int rc = -1;
	int64_t n_pool = 0;

	/* every class has the rows it needs */
	for (int j = 0; j < k; j++) {
		av[j] = cnt_t[cls[j]];
		n_pool += av[j];
		int64_t need = kfold ? o->folds : one || has_val ? 2 : 1;
		if (av[j] < need) {
			cdesc(train_src, cls[j], cd, sizeof cd);
			if (kfold)
				imb_seterr("%s has %lld rows in %s, fewer than the %d folds: each fold needs one "
				           "(leave the class out with --classes, or ask for fewer folds)", cd,
				           (long long)av[j], lbl, o->folds);
			else
				imb_seterr("%s has %lld row%s in %s: a stratified split needs %lld or more of "
				           "each class (leave it out with --classes)", cd, (long long)av[j],
				           av[j] == 1 ? "" : "s", lbl, (long long)need);
			goto out;
		}
		if (!one && cnt_e[cls[j]] == 0) {
			imb_seterr("%s has no rows in %s: the test set would hold none (leave it out "
			           "with --classes)", cdesc(train_src, cls[j], cd, sizeof cd), lbl2);
			goto out;
		}
	}

	/* per-class counts: nte (one pool's test set), then the folds, then
	 * nva out of what is left for train (rest) */
	if (one && !kfold) {
		int64_t want = imb_split_size_rows(&tsize, n_pool);
		if (imb_split_counts_stratified(nte, av, k, want) < 0) {
			imb_preferr("test size %lld of %lld rows of %s: ", (long long)want,
			            (long long)n_pool, lbl);
			goto out;
		}
	}
	if (kfold)
		imb_split_counts_folds(alloc, av, k, o->folds);
	int64_t n_rest = 0;
	for (int j = 0; j < k; j++) {
		rest[j] = av[j] - nte[j] - (kfold ? alloc[(o->fold - 1) * k + j] : 0);
		n_rest += rest[j];
	}
	if (has_val) {
		int64_t want = imb_split_size_rows(&o->val_size, n_rest);
		for (int j = 0; j < k; j++)
			if (rest[j] < 2) {
				imb_seterr("%s has %lld row%s left for train in %s: a val set needs 2 or more "
				           "of each class", cdesc(train_src, cls[j], cd, sizeof cd),
				           (long long)rest[j], rest[j] == 1 ? "" : "s", lbl);
				goto out;
			}
		if (imb_split_counts_stratified(nva, rest, k, want) < 0) {
			imb_preferr("val size %lld of the %lld train rows: ", (long long)want,
			            (long long)n_rest);
			goto out;
		}
	}

	/* draw: each class's train-pool rows shuffled once with the seed;
	 * each drawn set's order has a generator of its own */
	imb_rng r, rs[3];
	imb_rng_seed(&r, o->seed);
	for (int t = 0; t < 3; t++)
		imb_rng_seed(&rs[t], imb_rng_u64(&r));
	for (int j = 0; j < k; j++) {
		perm[j] = imb_xmalloc((size_t)av[j] * sizeof **perm);
		memcpy(perm[j], by_t[cls[j]], (size_t)av[j] * sizeof **perm);
		imb_rng_shuffle(&r, perm[j], (size_t)av[j]);
	}
	int held = one ? S_TEST : S_VAL; /* where the held-out fold goes */
	for (int j = 0; j < k; j++) {
		/* the train part of the shuffled rows, in order: with folds
		 * every fold but fold I, else all but the last nte rows */
		int64_t at = 0, used = 0;
		for (int f = 0; f < (kfold ? o->folds : 1); f++) {
			int64_t len = kfold ? alloc[f * k + j] : av[j] - nte[j];
			for (int64_t i = 0; i < len; i++, at++) {
				if (kfold && f == o->fold - 1) {
					put(&s[held], perm[j][at], j);
					continue;
				}
				/* val: the last nva[j] rows of the train part */
				put(&s[used++ >= rest[j] - nva[j] ? S_VAL : S_TRAIN], perm[j][at], j);
			}
		}
		for (; at < av[j]; at++)
			put(&s[S_TEST], perm[j][at], j);
	}
	if (!one) /* the source test frame, its rows of the chosen classes */
		for (int j = 0; j < k; j++)
			for (int64_t i = 0; i < cnt_e[cls[j]]; i++)
				put(&s[S_TEST], by_e[cls[j]][i], j);
	for (int t = 0; t < 3; t++) {
		/* kept sets stay in source order: the source test frame, and
		 * the source train frame less its val rows */
		if (!one && (t == S_TEST || (t == S_TRAIN && !kfold)))
			source_order(&s[t]);
		else
			shuffle_set(&rs[t], &s[t]);
	}

	/* attrs.split */
	imb_val *sp = imb_val_map();
	int64_t *ci = imb_xmalloc(k * sizeof *ci);
	for (int j = 0; j < k; j++)
		ci[j] = cls[j];
	imb_val_set(sp, "classes", imb_val_int_array(ci, k));
	free(ci);
	imb_val_set(sp, "stratified", imb_val_bool(1));
	if (kfold) {
		imb_val_set_int(sp, "folds", o->folds);
		imb_val_set_int(sp, "fold", o->fold);
	} else if (one) {
		size_val(sp, "test_size", &tsize);
	}
	if (has_val)
		size_val(sp, "val_size", &o->val_size);
	imb_val_set_int(sp, "seed", (int64_t)o->seed);
	int any_val = has_val || (kfold && !one);
	imb_val_set_int(sp, "n_train", (int64_t)s[S_TRAIN].n);
	imb_val_set_int(sp, "n_test", (int64_t)s[S_TEST].n);
	if (any_val)
		imb_val_set_int(sp, "n_val", (int64_t)s[S_VAL].n);
	imb_val_set(sp, "train_counts", imb_val_int_array(s[S_TRAIN].counts, k));
	imb_val_set(sp, "test_counts", imb_val_int_array(s[S_TEST].counts, k));
	if (any_val)
		imb_val_set(sp, "val_counts", imb_val_int_array(s[S_VAL].counts, k));
	imb_val_set_str(sp, "pool", one ? "shared" : "separate");

	const char **names = imb_split_class_names(train_src, cls, k);
	static const char *const setname[3] = {"train", "val", "test"};
	imb_frame **outs[3] = {train, val, test};
	for (int t = 0; t < 3; t++) {
		if (!outs[t] || (t == S_VAL && !any_val))
			continue;
		imb_frame *f = imb_dataset_take(t == S_TEST && !one ? test_src : train_src, s[t].idx,
		                                s[t].n, setname[t]);
		memcpy(imb_frame_tensor(f, "y")->data, s[t].lab, s[t].n * sizeof *s[t].lab);
		imb_val_set(f->attrs, "classes", imb_val_str_array(names, k));
		imb_val_set(f->attrs, "split", imb_val_copy(sp));
		imb_dataset_update_counts(f);
		*outs[t] = f;
	}
	imb_val_free(sp);
	free(names);
	rc = 0;
out:
	for (int j = 0; j < k; j++)
		free(perm[j]);
	free(perm);
	for (int t = 0; t < 3; t++) {
		free(s[t].idx);
		free(s[t].lab);
		free(s[t].counts);
	}
	imb_dataset_free_byclass(by_t, ksrc);
	imb_dataset_free_byclass(by_e, ksrc);
	free(cnt_t);
	free(cnt_e);
	free(av);
	free(rest);
	free(nte);
	free(nva);
	free(alloc);
	free(cls);
	return rc;
}
