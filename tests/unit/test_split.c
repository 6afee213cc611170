/* test_split.c: imb-split's sets have the counts asked for, never share
 * or repeat a sample, come from the right pool, are the same for the same
 * seed, and impossible splits fail with a message that says why. */
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
	CHECK_DONE();
}
