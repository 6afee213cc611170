/* test_split.c: imb-split's sets have the counts asked for, never share
 * or repeat a sample, come from the right pool, are the same for the same
 * seed, and impossible splits fail with a message that says why; the
 * stratified modes have scikit-learn's per-class counts and use every
 * row once; classes are found by name. */
#include "check.h"
#include "dataset.h"
#include "split.h"
#include "util.h"

/* n rows, d=2: x[i] = (tag + i, label); labels cycle through counts */
static imb_frame *mk(const char *name, const int64_t *counts, int k, double tag)
{
	size_t n = 0;
	for (int j = 0; j < k; j++)
		n += counts[j];
	imb_frame *f = imb_frame_new("dataset", name);
	uint64_t xs[] = {n, 2}, ys[] = {n};
	float *x = imb_frame_add_tensor(f, "x", IMB_F32, 2, xs)->data;
	int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, ys)->data;
	int64_t *left = imb_xmalloc(k * sizeof *left);
	memcpy(left, counts, k * sizeof *left);
	size_t i = 0;
	while (i < n)
		for (int j = 0; j < k && i < n; j++)
			if (left[j]) {
				left[j]--;
				y[i] = j;
				x[2 * i] = (float)(tag + i);
				x[2 * i + 1] = (float)j;
				i++;
			}
	free(left);
	const char *names[] = {"c0", "c1", "c2", "c3", "c4", "c5"};
	imb_val_set(f->attrs, "classes", imb_val_str_array(names, k));
	f->index = tag >= 1e5 ? 2 : 1;
	return f;
}

static int64_t count_of(const imb_frame *f, int c)
{
	int64_t *cn = imb_dataset_counts(f);
	int64_t v = cn[c];
	free(cn);
	return v;
}

static const float *xs(const imb_frame *f) { return imb_frame_tensor(f, "x")->data; }
static const int32_t *ys(const imb_frame *f) { return imb_frame_tensor(f, "y")->data; }

/* no x tag repeats within or across the sets given */
static int disjoint(imb_frame **sets, int ns)
{
	size_t tot = 0;
	for (int s = 0; s < ns; s++)
		tot += sets[s] ? imb_dataset_n(sets[s]) : 0;
	float *all = imb_xmalloc((tot + 1) * sizeof *all);
	size_t p = 0;
	for (int s = 0; s < ns; s++)
		for (size_t i = 0; sets[s] && i < imb_dataset_n(sets[s]); i++)
			all[p++] = xs(sets[s])[2 * i];
	int ok = 1;
	for (size_t a = 0; a < p && ok; a++)
		for (size_t b = a + 1; b < p; b++)
			if (all[a] == all[b]) {
				ok = 0;
				break;
			}
	free(all);
	return ok;
}

/* every row's new label maps back to its source class */
static int relabelled(const imb_frame *f, const long *cls)
{
	for (size_t i = 0; i < imb_dataset_n(f); i++)
		if (xs(f)[2 * i + 1] != (float)cls[ys(f)[i]])
			return 0;
	return 1;
}

static int same_bytes(const imb_frame *a, const imb_frame *b)
{
	char *pa, *pb;
	size_t la, lb;
	imb_frame_pack(a, &pa, &la);
	imb_frame_pack(b, &pb, &lb);
	int eq = la == lb && !memcmp(pa, pb, la);
	free(pa);
	free(pb);
	return eq;
}

/* same samples in the same order (attrs may differ: split sizes) */
static int same_rows(const imb_frame *a, const imb_frame *b)
{
	imb_tensor *xa = imb_frame_tensor(a, "x"), *xb = imb_frame_tensor(b, "x");
	imb_tensor *ya = imb_frame_tensor(a, "y"), *yb = imb_frame_tensor(b, "y");
	return xa->nbytes == xb->nbytes && !memcmp(xa->data, xb->data, xa->nbytes) &&
	       ya->nbytes == yb->nbytes && !memcmp(ya->data, yb->data, ya->nbytes);
}

static int has_tag(const imb_frame *f, float tag)
{
	for (size_t i = 0; i < imb_dataset_n(f); i++)
		if (xs(f)[2 * i] == tag)
			return 1;
	return 0;
}

static void free3(imb_frame *a, imb_frame *b, imb_frame *c)
{
	imb_frame_free(a);
	imb_frame_free(b);
	imb_frame_free(c);
}

/* every tag of src (x[2i]) in exactly one of the sets */
static int partition(const imb_frame *src, imb_frame **sets, int ns)
{
	size_t n = imb_dataset_n(src), tot = 0;
	for (int s = 0; s < ns; s++)
		tot += imb_dataset_n(sets[s]);
	if (tot != n || !disjoint(sets, ns))
		return 0;
	for (size_t i = 0; i < n; i++) {
		int in = 0;
		for (int s = 0; s < ns; s++)
			in += has_tag(sets[s], xs(src)[2 * i]);
		if (in != 1)
			return 0;
	}
	return 1;
}

/* rows in increasing tag order: the source order kept */
static int ascending(const imb_frame *f)
{
	for (size_t i = 1; i < imb_dataset_n(f); i++)
		if (xs(f)[2 * i] <= xs(f)[2 * i - 2])
			return 0;
	return 1;
}

/* the stratified modes: scikit-learn's counts, every row once, folds
 * that partition the rows, kept frames, class lists by name */
static void stratified(void)
{
	imb_split_size z;
	CHECK(imb_split_size_parse("0.2", &z) == 0 && z.frac == 0.2 && z.count == 0);
	CHECK(imb_split_size_parse("300", &z) == 0 && z.count == 300 && z.frac == 0);
	CHECK(imb_split_size_parse("1", &z) == 0 && z.count == 1);
	const char *bad[] = {"1.5", "1.0", "0", "0.0", "-3", "-0.2", "x", "", "0.2x", "1e3", "nan"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(imb_split_size_parse(bad[i], &z) < 0);
	z.frac = 0.2, z.count = 0;
	CHECK_EQ_INT(imb_split_size_rows(&z, 847), 170); /* ceil(169.4) */
	z.frac = 0, z.count = 37;
	CHECK_EQ_INT(imb_split_size_rows(&z, 847), 37);

	/* per-class test counts: scikit-learn 1.x's train_test_split(y,
	 * stratify=y, test_size=...) on the same counts gives these */
	int64_t y5[5] = {503, 211, 97, 29, 7}, t5[5];
	CHECK(imb_split_counts_stratified(t5, y5, 5, 170) == 0);
	int64_t sk170[5] = {101, 42, 20, 6, 1}, sk212[5] = {126, 53, 24, 7, 2},
	        sk37[5] = {22, 9, 4, 1, 1};
	for (int j = 0; j < 5; j++)
		CHECK_EQ_INT(t5[j], sk170[j]);
	CHECK(imb_split_counts_stratified(t5, y5, 5, 212) == 0); /* 0.25 */
	for (int j = 0; j < 5; j++)
		CHECK_EQ_INT(t5[j], sk212[j]);
	CHECK(imb_split_counts_stratified(t5, y5, 5, 37) == 0);
	for (int j = 0; j < 5; j++)
		CHECK_EQ_INT(t5[j], sk37[j]);
	/* a class the rounding leaves out of a set takes a row from the
	 * class furthest above its share */
	int64_t y2[2] = {1000, 2}, t2[2];
	CHECK(imb_split_counts_stratified(t2, y2, 2, 10) == 0);
	CHECK(t2[0] == 9 && t2[1] == 1);
	CHECK(imb_split_counts_stratified(t2, y2, 2, 992) == 0); /* train 10: 10 and 0 */
	CHECK(t2[0] == 991 && t2[1] == 1);
	CHECK(imb_split_counts_stratified(t2, y2, 2, 1) < 0);
	CHECK_HAS(imb_error(), "one of each of the 2 classes");
	CHECK(imb_split_counts_stratified(t2, y2, 2, 1002) < 0);
	CHECK_HAS(imb_error(), "no rows for train");
	int64_t y1[2] = {10, 1};
	CHECK(imb_split_counts_stratified(t2, y1, 2, 3) < 0);

	/* folds: StratifiedKFold(5)'s test counts on the same classes */
	int64_t al[5 * 5];
	imb_split_counts_folds(al, y5, 5, 5);
	int64_t skf[5][5] = {{101, 42, 20, 5, 2}, {101, 42, 19, 6, 2}, {101, 42, 19, 6, 1},
	                     {100, 43, 19, 6, 1}, {100, 42, 20, 6, 1}};
	for (int f = 0; f < 5; f++)
		for (int j = 0; j < 5; j++)
			CHECK_EQ_INT(al[f * 5 + j], skf[f][j]);

	/* one frame, stratified: every row once, the ratio kept */
	imb_frame *src = mk("train", y5, 5, 0);
	imb_split_opts o;
	imb_split_opts_init(&o);
	o.mode = IMB_SPLIT_STRATIFIED;
	o.test_size.frac = 0.2;
	o.val_size.count = 60;
	o.seed = 11;
	imb_frame *tr, *te, *va, *tr2, *te2, *va2;
	CHECK(imb_split_make(&o, src, NULL, &tr, &te, &va) == 0);
	for (int j = 0; j < 5; j++)
		CHECK_EQ_INT(count_of(te, j), sk170[j]);
	CHECK_EQ_INT(imb_dataset_n(va), 60);
	imb_frame *sets[3] = {tr, va, te};
	CHECK(partition(src, sets, 3));
	long all5[] = {0, 1, 2, 3, 4};
	CHECK(relabelled(tr, all5) && relabelled(te, all5) && relabelled(va, all5));
	CHECK(imb_val_path(tr->attrs, "split.stratified")->i == 1);
	CHECK_NEAR(imb_val_as_double(imb_val_path(te->attrs, "split.test_size"), -1), 0.2, 0);
	CHECK_EQ_INT(imb_val_as_int(imb_val_path(te->attrs, "split.val_size"), -1), 60);
	CHECK_EQ_INT(imb_val_as_int(imb_val_path(va->attrs, "split.n_train"), -1), 847 - 170 - 60);
	CHECK(imb_split_make(&o, src, NULL, &tr2, &te2, &va2) == 0);
	CHECK(same_bytes(tr, tr2) && same_bytes(te, te2) && same_bytes(va, va2));
	free3(tr2, te2, va2);
	o.seed = 12;
	CHECK(imb_split_make(&o, src, NULL, &tr2, &te2, &va2) == 0);
	CHECK(!same_rows(te, te2));
	free3(tr2, te2, va2);
	free3(tr, te, va);
	/* a class of one row is an error naming it */
	int64_t y3[3] = {40, 1, 20};
	imb_frame *tiny = mk("train", y3, 3, 0);
	CHECK(imb_split_make(&o, tiny, NULL, &tr, &te, &va) < 0);
	CHECK_HAS(imb_error(), "class 1 (c1) has 1 row in frame 1 (dataset 'train')");
	long two[] = {2, 0};
	o.classes = two;
	o.nclasses = 2;
	o.val_size.count = 0;
	CHECK(imb_split_make(&o, tiny, NULL, &tr, &te, &va) == 0); /* without it, fine */
	CHECK(va == NULL);
	CHECK_EQ_INT(imb_dataset_n(tr) + imb_dataset_n(te), 60);
	free3(tr, te, NULL);
	imb_frame_free(tiny);

	/* folds: the same folds for every I; the K test sets partition
	 * the rows, each class's counts as StratifiedKFold's */
	imb_split_opts_init(&o);
	o.mode = IMB_SPLIT_FOLDS;
	o.folds = 5;
	o.seed = 4;
	imb_frame *folds[5];
	for (int f = 0; f < 5; f++) {
		o.fold = f + 1;
		CHECK(imb_split_make(&o, src, NULL, &tr, &folds[f], &va) == 0);
		CHECK(va == NULL);
		for (int j = 0; j < 5; j++)
			CHECK_EQ_INT(count_of(folds[f], j), skf[f][j]);
		imb_frame *pair[2] = {tr, folds[f]};
		CHECK(partition(src, pair, 2));
		CHECK_EQ_INT(imb_val_as_int(imb_val_path(tr->attrs, "split.fold"), -1), f + 1);
		CHECK_EQ_INT(imb_val_as_int(imb_val_path(tr->attrs, "split.folds"), -1), 5);
		imb_frame_free(tr);
	}
	CHECK(partition(src, folds, 5));
	/* a val set from the train folds leaves the test fold as it was */
	o.fold = 3;
	o.val_size.frac = 0.1;
	CHECK(imb_split_make(&o, src, NULL, &tr, &te, &va) == 0);
	CHECK(same_rows(te, folds[2]));
	CHECK_EQ_INT(imb_dataset_n(va), 68); /* ceil(0.1 * 678) */
	sets[0] = tr, sets[1] = va, sets[2] = te;
	CHECK(partition(src, sets, 3));
	free3(tr, te, va);
	for (int f = 0; f < 5; f++)
		imb_frame_free(folds[f]);
	o.val_size.frac = 0;
	o.folds = 8; /* class 4 has 7 rows */
	o.fold = 1;
	CHECK(imb_split_make(&o, src, NULL, &tr, &te, &va) < 0);
	CHECK_HAS(imb_error(), "class 4 (c4) has 7 rows in frame 1 (dataset 'train'), fewer than the 8 folds");

	/* a train and a test frame: kept as they are (rows in source order,
	 * the classes chosen), a val set carved from train; with folds,
	 * fold I of the train frame is the val set */
	int64_t cte[5] = {30, 20, 10, 5, 5};
	imb_frame *tsrc = mk("test", cte, 5, 1e5);
	imb_split_opts_init(&o);
	o.mode = IMB_SPLIT_STRATIFIED;
	o.class_list = "C3,c0";
	CHECK(imb_split_make(&o, src, tsrc, &tr, &te, &va) == 0);
	CHECK(va == NULL);
	CHECK(count_of(tr, 0) == 29 && count_of(tr, 1) == 503);
	CHECK(count_of(te, 0) == 5 && count_of(te, 1) == 30);
	CHECK(ascending(tr) && ascending(te));
	long c30[] = {3, 0};
	CHECK(relabelled(tr, c30) && relabelled(te, c30));
	CHECK(imb_val_get(imb_val_get(tr->attrs, "split"), "test_size") == NULL);
	free3(tr, te, NULL);
	o.val_size.frac = 0.25;
	CHECK(imb_split_make(&o, src, tsrc, &tr, &te, &va) == 0);
	CHECK(count_of(va, 0) == 7 && count_of(va, 1) == 126); /* ceil(0.25 * 532) = 133 */
	CHECK(count_of(tr, 0) + count_of(va, 0) == 29);
	CHECK(ascending(tr) && !ascending(va));
	sets[0] = tr, sets[1] = va;
	CHECK(disjoint(sets, 2));
	free3(tr, te, va);
	o.test_size.frac = 0.2;
	CHECK(imb_split_make(&o, src, tsrc, &tr, &te, &va) < 0);
	CHECK_HAS(imb_error(), "already holds a test set");
	imb_split_opts_init(&o);
	o.mode = IMB_SPLIT_FOLDS;
	o.folds = 4;
	o.fold = 2;
	CHECK(imb_split_make(&o, src, tsrc, &tr, &te, &va) == 0);
	CHECK(va != NULL && imb_dataset_n(te) == 70 && ascending(te));
	int64_t al4[4 * 5];
	imb_split_counts_folds(al4, y5, 5, 4);
	for (int j = 0; j < 5; j++)
		CHECK_EQ_INT(count_of(va, j), al4[1 * 5 + j]);
	sets[0] = tr, sets[1] = va;
	CHECK(partition(src, sets, 2));
	free3(tr, te, va);
	o.val_size.count = 10;
	CHECK(imb_split_make(&o, src, tsrc, &tr, &te, &va) < 0);
	CHECK_HAS(imb_error(), "the held-out fold is the val set");
	imb_frame_free(tsrc);

	/* class lists: index, exact name, name ignoring case; an integer
	 * that is a class's exact name is that class */
	long *cl;
	int k;
	CHECK(imb_split_classes(src, "3,c1,C4", &cl, &k) == 0);
	CHECK(k == 3 && cl[0] == 3 && cl[1] == 1 && cl[2] == 4);
	free(cl);
	CHECK(imb_split_classes(src, "c9,0", &cl, &k) < 0);
	CHECK_HAS(imb_error(), "class 'c9' is not in frame 1 (dataset 'train'); its classes are: c0, c1, c2, c3, c4");
	CHECK(imb_split_classes(src, "1,C1", &cl, &k) < 0);
	CHECK_HAS(imb_error(), "class 1 (c1) is listed twice");
	CHECK(imb_split_classes(src, "7", &cl, &k) < 0);
	CHECK_HAS(imb_error(), "class 7 does not exist");
	const char *numeric[] = {"10", "2", "5", "1", "0"};
	imb_val_set(src->attrs, "classes", imb_val_str_array(numeric, 5));
	CHECK(imb_split_classes(src, "2,3,10", &cl, &k) == 0);
	CHECK(k == 3 && cl[0] == 1 && cl[1] == 3 && cl[2] == 0);
	free(cl);
	const char *twins[] = {"cat", "Cat", "dog", "x", "y"};
	imb_val_set(src->attrs, "classes", imb_val_str_array(twins, 5));
	CHECK(imb_split_classes(src, "Cat,DOG", &cl, &k) == 0);
	CHECK(k == 2 && cl[0] == 1 && cl[1] == 2);
	free(cl);
	CHECK(imb_split_classes(src, "CAT", &cl, &k) < 0);
	CHECK_HAS(imb_error(), "matches two classes");
	imb_val_del(src->attrs, "classes");
	CHECK(imb_split_classes(src, "dog", &cl, &k) < 0);
	CHECK_HAS(imb_error(), "names no classes");
	imb_frame_free(src);
}

int main(void)
{
	/* weights */
	double w[4];
	imb_split_weights(w, 2, 0.1, IMB_PROFILE_EXP);
	CHECK_NEAR(w[0], 1, 0);
	CHECK_NEAR(w[1], 0.1, 0);
	imb_split_weights(w, 3, 0.01, IMB_PROFILE_EXP);
	CHECK_NEAR(w[1], 0.1, 1e-12);
	CHECK_NEAR(w[2], 0.01, 0);
	imb_split_weights(w, 4, 0.2, IMB_PROFILE_STEP);
	CHECK(w[0] == 1 && w[1] == 1 && w[2] == 0.2 && w[3] == 0.2);
	imb_split_weights(w, 3, 0.2, IMB_PROFILE_STEP);
	CHECK(w[0] == 1 && w[1] == 0.2 && w[2] == 0.2);

	/* totals are exact for any size and weights */
	int64_t c4[4], av[4] = {100, 7, 55, 1000};
	for (int64_t n = 1; n < 300; n += 7) {
		imb_split_weights(w, 4, 0.037, IMB_PROFILE_EXP);
		imb_split_counts_total(c4, w, 4, n);
		CHECK_EQ_INT(c4[0] + c4[1] + c4[2] + c4[3], n);
		CHECK(c4[0] >= c4[1] && c4[1] >= c4[2] && c4[2] >= c4[3]);
	}
	imb_split_weights(w, 4, 0.05, IMB_PROFILE_EXP);
	imb_split_counts_max(c4, w, 4, av);
	int tight = 0;
	for (int j = 0; j < 4; j++) {
		CHECK(c4[j] <= av[j]);
		/* one class limits: one more of it would not fit */
		tight |= c4[j] == av[j] || c4[j] + 1 > av[j];
	}
	CHECK(tight);
	CHECK_EQ_INT(c4[1], 7); /* class 1 (w = 0.368) is the binding one: 7/0.368 = 19 */

	/* one pool: counts exact, relabelled, disjoint, deterministic */
	int64_t cnt[4] = {400, 300, 200, 100};
	imb_frame *src = mk("train", cnt, 4, 0);
	long cls[] = {2, 0};
	imb_split_opts o;
	imb_split_opts_init(&o);
	o.classes = cls;
	o.nclasses = 2;
	o.train_ratio = 0.25;
	o.n_train = 180;
	o.n_test = 50;
	o.n_val = 20;
	o.seed = 7;
	imb_frame *tr, *te, *va;
	CHECK(imb_split_make(&o, src, NULL, &tr, &te, &va) == 0);
	CHECK_EQ_INT(imb_dataset_n(tr), 180);
	CHECK_EQ_INT(count_of(tr, 0), 144);
	CHECK_EQ_INT(count_of(tr, 1), 36);
	CHECK_EQ_INT(count_of(te, 0), 25);
	CHECK_EQ_INT(count_of(te, 1), 25);
	CHECK_EQ_INT(count_of(va, 0), 16); /* val keeps the train ratio */
	CHECK_EQ_INT(count_of(va, 1), 4);
	CHECK(relabelled(tr, cls) && relabelled(te, cls) && relabelled(va, cls));
	imb_frame *sets[3] = {tr, te, va};
	CHECK(disjoint(sets, 3));
	CHECK_STR(imb_dataset_class_name(tr, 0), "c2");
	CHECK_STR(imb_dataset_class_name(te, 1), "c0");
	CHECK_EQ_INT(imb_val_as_int(imb_val_path(tr->attrs, "split.n_train"), -1), 180);
	CHECK_EQ_INT(imb_val_as_int(imb_val_path(te->attrs, "split.seed"), -1), 7);
	CHECK_NEAR(imb_val_as_double(imb_val_path(tr->attrs, "imbalance_ratio"), -1), 0.25, 1e-12);
	CHECK_STR(tr->name, "train");
	CHECK_STR(va->name, "val");
	/* same seed, same bytes; another seed, other samples */
	imb_frame *tr2, *te2, *va2;
	CHECK(imb_split_make(&o, src, NULL, &tr2, &te2, &va2) == 0);
	CHECK(same_bytes(tr, tr2) && same_bytes(te, te2) && same_bytes(va, va2));
	free3(tr2, te2, va2);
	o.seed = 8;
	CHECK(imb_split_make(&o, src, NULL, &tr2, &te2, &va2) == 0);
	CHECK(!same_bytes(tr, tr2));
	free3(tr2, te2, va2);
	/* a larger train set keeps every sample of a smaller one (same seed,
	 * same test size) */
	o.seed = 7;
	o.n_val = 0;
	o.n_train = 100;
	CHECK(imb_split_make(&o, src, NULL, &tr2, &te2, &va2) == 0);
	CHECK(va2 == NULL);
	o.n_train = 200;
	imb_frame *tr3, *te3, *va3;
	CHECK(imb_split_make(&o, src, NULL, &tr3, &te3, &va3) == 0);
	int nested = 1;
	for (size_t i = 0; i < imb_dataset_n(tr2); i++)
		nested &= has_tag(tr3, xs(tr2)[2 * i]);
	CHECK(nested);
	CHECK(same_rows(te2, te3)); /* the test set does not move */
	free3(tr2, te2, va2);
	free3(tr3, te3, va3);
	free3(tr, te, va);

	/* maximum feasible from one pool: a quarter for test, the rest train */
	imb_split_opts_init(&o);
	o.classes = cls;
	o.nclasses = 2;
	o.train_ratio = 0.1;
	CHECK(imb_split_make(&o, src, NULL, &tr, &te, &va) == 0);
	CHECK_EQ_INT(count_of(te, 0), 50); /* 200/4 and 400/4: balanced at 50 */
	CHECK_EQ_INT(count_of(te, 1), 50);
	CHECK_EQ_INT(count_of(tr, 0), 150); /* class 2 limits: 200 - 50 */
	CHECK_EQ_INT(count_of(tr, 1), 15);
	sets[0] = tr, sets[1] = te;
	CHECK(disjoint(sets, 2));
	free3(tr, te, NULL);

	/* too many: the message says how many exist */
	o.n_train = 1000;
	CHECK(imb_split_make(&o, src, NULL, &tr, &te, &va) < 0);
	CHECK_HAS(imb_error(), "class 2 (c2) has 200 samples in frame 1 (dataset 'train'), 909 requested");
	o.n_train = 190;
	o.n_test = 60;
	CHECK(imb_split_make(&o, src, NULL, &tr, &te, &va) < 0);
	CHECK_HAS(imb_error(), "class 2 (c2) has 200 samples");
	CHECK_HAS(imb_error(), "203 requested (train 173 + test 30)");
	/* unknown class */
	long bad[] = {1, 9};
	o.classes = bad;
	o.n_train = -1;
	o.n_test = -1;
	CHECK(imb_split_make(&o, src, NULL, &tr, &te, &va) < 0);
	CHECK_HAS(imb_error(), "class 9 does not exist");
	CHECK_HAS(imb_error(), "4 classes");
	/* a set that would hold nothing of a class */
	o.classes = cls;
	o.n_train = 5;
	o.train_ratio = 0.01;
	CHECK(imb_split_make(&o, src, NULL, &tr, &te, &va) < 0);
	CHECK_HAS(imb_error(), "no samples of class 0 (c0)");

	/* two pools: train from the train frame, test from the test frame */
	int64_t cte[4] = {50, 50, 50, 50};
	imb_frame *tsrc = mk("test", cte, 4, 1e5);
	imb_split_opts_init(&o);
	o.train_ratio = 0.5;
	o.profile = IMB_PROFILE_STEP;
	o.seed = 3;
	CHECK(imb_split_make(&o, src, tsrc, &tr, &te, &va) == 0);
	/* step, K=4: classes 0,1 majority; limited by class 3 (100 at 0.5) */
	CHECK_EQ_INT(count_of(tr, 0), 200);
	CHECK_EQ_INT(count_of(tr, 1), 200);
	CHECK_EQ_INT(count_of(tr, 2), 100);
	CHECK_EQ_INT(count_of(tr, 3), 100);
	CHECK_EQ_INT(imb_dataset_n(te), 200); /* all of the balanced test frame */
	int pools_ok = 1;
	for (size_t i = 0; i < imb_dataset_n(tr); i++)
		pools_ok &= xs(tr)[2 * i] < 1e5;
	for (size_t i = 0; i < imb_dataset_n(te); i++)
		pools_ok &= xs(te)[2 * i] >= 1e5;
	CHECK(pools_ok);
	long all4[] = {0, 1, 2, 3};
	CHECK(relabelled(tr, all4) && relabelled(te, all4));
	free3(tr, te, NULL);
	o.n_test = 400;
	CHECK(imb_split_make(&o, src, tsrc, &tr, &te, &va) < 0);
	CHECK_HAS(imb_error(), "class 0 (c0) has 50 samples in frame 2 (dataset 'test'), 100 requested");

	/* fixed minority: adding majority samples keeps the minority ones */
	imb_split_opts_init(&o);
	o.classes = cls;
	o.nclasses = 2;
	o.fixed = IMB_FIXED_MINORITY;
	o.n_minority = 10;
	o.n_majority = 50;
	o.n_test = 20;
	CHECK(imb_split_make(&o, src, tsrc, &tr, &te, &va) == 0);
	CHECK_EQ_INT(count_of(tr, 0), 50);
	CHECK_EQ_INT(count_of(tr, 1), 10);
	CHECK_NEAR(imb_val_as_double(imb_val_path(tr->attrs, "split.train_ratio"), -1), 0.2, 1e-12);
	o.n_majority = 150;
	CHECK(imb_split_make(&o, src, tsrc, &tr2, &te2, &va2) == 0);
	CHECK_EQ_INT(count_of(tr2, 0), 150);
	CHECK_EQ_INT(count_of(tr2, 1), 10);
	nested = 1;
	for (size_t i = 0; i < imb_dataset_n(tr); i++)
		nested &= has_tag(tr2, xs(tr)[2 * i]);
	CHECK(nested);
	CHECK(same_rows(te, te2));
	free3(tr, te, NULL);
	free3(tr2, te2, NULL);
	/* fixed minority from a ratio */
	o.n_majority = -1;
	o.train_ratio = 0.1;
	CHECK(imb_split_make(&o, src, tsrc, &tr, &te, &va) == 0);
	CHECK_EQ_INT(count_of(tr, 0), 100);
	free3(tr, te, NULL);
	/* a test frame naming a class the train source lacks is an error
	 * naming it (a subset, in any order, is matched by name) */
	int64_t c3[3] = {5, 5, 5};
	imb_frame *t3 = mk("test", c3, 3, 1e5);
	const char *n3[] = {"c0", "c1", "c9"};
	imb_val_set(t3->attrs, "classes", imb_val_str_array(n3, 3));
	CHECK(imb_split_make(&o, src, t3, &tr, &te, &va) < 0);
	CHECK_HAS(imb_error(), "'c9'");

	imb_frame_free(t3);
	imb_frame_free(tsrc);
	imb_frame_free(src);
	stratified();
	CHECK_DONE();
}
