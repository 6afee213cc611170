/* test_evaluate.c: a model frame applied to dataset frames gives metrics
 * frames that agree with metrics.c on the predictor's own probabilities,
 * with the documented config, majority classes and re-weighting; bad
 * frames are errors naming the field; aggregation's groups, order, mean
 * and standard error; the TSV form. */
#include "check.h"
#include "cli.h"
#include "dataset.h"
#include "eval_agg.h"
#include "evaluate.h"
#include "metrics.h"
#include "model_frame.h"
#include "predict.h"
#include "rng.h"
#include "tabular.h"
#include "util.h"

#include <stdint.h>

/* n rows of d features: class c ~ N(c, 0.8) in every feature; ny1 rows
 * of class 1, the rest class 0 */
static imb_frame *make_set(const char *name, size_t n, size_t ny1, uint64_t d, uint64_t seed)
{
	imb_rng r;
	imb_rng_seed(&r, seed);
	imb_frame *f = imb_frame_new("dataset", name);
	uint64_t xs[] = {n, d}, ys[] = {n};
	float *x = imb_frame_add_tensor(f, "x", IMB_F32, 2, xs)->data;
	int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, ys)->data;
	for (size_t i = 0; i < n; i++) {
		y[i] = i < ny1;
		for (uint64_t j = 0; j < d; j++)
			x[i * d + j] = (float)(y[i] + 0.8 * imb_rng_normal(&r));
	}
	const char *cl[] = {"big", "small"};
	imb_val_set(f->attrs, "classes", imb_val_str_array(cl, 2));
	imb_val_set_str(f->attrs, "source", "unit");
	/* the split says class 1 had the most training samples: class 1 is
	 * the majority even though the train frame below is not that way */
	imb_val *sp = imb_val_map();
	imb_val_set_float(sp, "train_ratio", 0.25);
	imb_val_set_int(sp, "seed", 7);
	int64_t ci[] = {4, 2}, tc[] = {40, 160};
	imb_val_set(sp, "classes", imb_val_int_array(ci, 2));
	imb_val_set(sp, "train_counts", imb_val_int_array(tc, 2));
	imb_val_set(f->attrs, "split", sp);
	imb_dataset_update_counts(f);
	return f;
}

static void test_evaluate(void)
{
	imb_frame *train = make_set("train", 200, 40, 2, 1), *test = make_set("test", 100, 50, 2, 2);
	imb_tabular_opts o;
	imb_tabular_opts_init(&o);
	o.model = "linear-svm";
	imb_frame *model = NULL;
	char summary[256];
	CHECK(imb_tabular_train(train, &o, &model, summary, sizeof summary) == 0);
	if (!model)
		return;

	imb_eval_opts eo = {.positive = 1};
	imb_evaluator *e = imb_evaluator_new(model, &eo);
	CHECK(e != NULL);
	imb_frame **out = NULL;
	size_t nout = 0;
	CHECK(imb_evaluate(e, test, &out, &nout) == 0);
	CHECK_EQ_INT(nout, 1);

	/* the same numbers as metrics.c on the predictor's probabilities */
	imb_predictor *p = imb_predictor_load(model);
	float *x = imb_dataset_features(test), probs[200];
	CHECK(imb_predict_proba(p, x, 100, 2, probs) == 0);
	unsigned char maj[] = {0, 1};
	imb_metrics *m = imb_metrics_compute(imb_frame_tensor(test, "y")->data, probs, 100, 2, NULL,
	                                     maj, 1);
	const imb_val *a = out[0]->attrs;
	CHECK_STR(out[0]->kind, "metrics");
	CHECK_STR(out[0]->name, "test");
	CHECK_NEAR(imb_val_as_double(imb_val_path(a, "metrics.accuracy"), -1), m->accuracy, 0);
	CHECK_NEAR(imb_val_as_double(imb_val_path(a, "metrics.auroc"), -1), m->auroc, 0);
	CHECK_NEAR(imb_val_as_double(imb_val_path(a, "metrics.log_loss"), -1), m->log_loss, 0);
	CHECK_NEAR(imb_val_as_double(imb_val_path(a, "metrics.brier"), -1), m->brier, 0);
	CHECK_NEAR(imb_val_as_double(imb_val_path(a, "metrics.ece"), -1), m->ece, 0);
	CHECK_NEAR(imb_val_as_double(imb_val_path(a, "metrics.minority_error"), -1),
	           1 - m->recall[0], 1e-15);
	CHECK(m->accuracy > 0.7);
	const imb_val *mj = imb_val_get(a, "majority");
	CHECK(mj && mj->n == 1 && mj->items[0]->i == 1);
	const imb_val *conf = imb_val_get(a, "confusion");
	CHECK(conf && conf->n == 2 && conf->items[1]->items[1]->t == IMB_V_INT);
	CHECK_EQ_INT(conf->items[1]->items[1]->i, (int64_t)m->confusion[3]);
	CHECK_STR(imb_val_as_str(imb_val_get(imb_val_get(a, "per_class")->items[1], "class"), ""),
	          "small");
	/* config */
	const imb_val *c = imb_val_get(a, "config");
	CHECK_STR(imb_val_as_str(imb_val_get(c, "set"), ""), "test");
	CHECK_STR(imb_val_as_str(imb_val_get(c, "dataset"), ""), "unit");
	CHECK_STR(imb_val_as_str(imb_val_get(c, "model"), ""), "linear-svm");
	CHECK_STR(imb_val_as_str(imb_val_get(c, "classes"), ""), "4,2");
	CHECK_STR(imb_val_as_str(imb_val_get(c, "oversample"), ""), "none");
	CHECK_NEAR(imb_val_as_double(imb_val_get(c, "train_ratio"), 0), 0.25, 0);
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(c, "seed"), 0), 7);
	CHECK(imb_val_get(c, "param.C") != NULL);
	CHECK(imb_val_get(c, "target_ratio") == NULL);
	/* the TSV's nll, brier and ece cells of the plain row */
	char cal[128];
	snprintf(cal, sizeof cal, "\t%.6g\t%.6g\t%.6g\t", m->log_loss, m->brier, m->ece);
	imb_metrics_free(m);

	/* re-weighted: one frame per ratio, weights over the samples sum to n */
	double ratios[] = {0.5, 2};
	imb_eval_opts ro = {.positive = 1, .ratios = ratios, .nratios = 2};
	imb_evaluator *er = imb_evaluator_new(model, &ro);
	CHECK(imb_evaluate(er, test, &out, &nout) == 0);
	CHECK_EQ_INT(nout, 3);
	for (int k = 0; k < 2; k++) {
		const imb_val *b = out[1 + k]->attrs, *w = imb_val_get(b, "weights");
		CHECK_NEAR(imb_val_as_double(imb_val_path(b, "config.target_ratio"), 0), ratios[k], 0);
		CHECK(w && w->n == 2);
		/* class 0 is the minority here */
		CHECK_NEAR(w->items[0]->f * 50 / (w->items[1]->f * 50), ratios[k], 1e-12);
		CHECK_NEAR(w->items[0]->f * 50 + w->items[1]->f * 50, 100, 1e-9);
		unsigned char mj2[] = {0, 1};
		double cw[2] = {w->items[0]->f, w->items[1]->f};
		imb_metrics *mw = imb_metrics_compute(imb_frame_tensor(test, "y")->data, probs, 100, 2,
		                                      cw, mj2, 1);
		CHECK_NEAR(imb_val_as_double(imb_val_path(b, "metrics.accuracy"), -1), mw->accuracy, 0);
		CHECK_NEAR(imb_val_as_double(imb_val_path(b, "metrics.brier"), -1), mw->brier, 0);
		CHECK_NEAR(imb_val_as_double(imb_val_path(b, "metrics.ece"), -1), mw->ece, 0);
		imb_metrics_free(mw);
	}

	/* bad sets: errors that name the frame and field */
	imb_frame *d3 = make_set("test", 10, 5, 3, 3);
	CHECK(imb_evaluate(e, d3, &out, &nout) == -1);
	CHECK_HAS(imb_error(), "dataset frame 'test': tensor 'x': 3 features per sample");
	imb_frame *k3 = make_set("val", 10, 5, 2, 3);
	const char *cl3[] = {"a", "b", "c"};
	imb_val_set(k3->attrs, "classes", imb_val_str_array(cl3, 3));
	CHECK(imb_evaluate(e, k3, &out, &nout) == -1);
	CHECK_HAS(imb_error(), "dataset frame 'val': attrs.classes: class 'a' is not a class of the model");
	CHECK_EQ_INT(nout, 3);
	CHECK(imb_evaluator_new(test, &eo) == NULL);
	CHECK_HAS(imb_error(), "not a model frame");
	imb_eval_opts bad = {.positive = 2};
	CHECK(imb_evaluator_new(model, &bad) == NULL);
	CHECK_HAS(imb_error(), "positive class 2");

	/* TSV */
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	imb_eval_write_tsv(fp, out, nout);
	fclose(fp);
	CHECK_HAS(buf, "set\tmodel\tn\ttarget_ratio\taccuracy\tbalanced_accuracy\tmacro_f1\tgmean\t"
	               "minority_error\tmajority_error\tauroc\tauprc\tnll\tbrier\tece\t"
	               "recall_big\trecall_small\n");
	CHECK_HAS(buf, "\ntest\tlinear-svm\t100\tNA\t");
	char row[512] = "";
	const char *r0 = strstr(buf, "\ntest\tlinear-svm\t100\tNA\t");
	if (r0)
		snprintf(row, sizeof row, "%.*s", (int)strcspn(r0 + 1, "\n") + 1, r0);
	CHECK_HAS(row, cal);
	CHECK_HAS(buf, "\ntest\tlinear-svm\t100\t0.5\t");
	free(buf);
	imb_val *j = imb_eval_json(out, nout);
	CHECK(j->n == 3 && imb_val_get(j->items[0], "history") == NULL);
	CHECK_STR(imb_val_as_str(imb_val_get(j->items[0], "set"), ""), "test");
	imb_val_free(j);

	for (size_t i = 0; i < nout; i++)
		imb_frame_free(out[i]);
	free(out);
	free(x);
	imb_predictor_free(p);
	imb_evaluator_free(e);
	imb_evaluator_free(er);
	imb_evaluator_free(NULL);
	imb_frame_free(d3);
	imb_frame_free(k3);
	imb_frame_free(model);
	imb_frame_free(train);
	imb_frame_free(test);
}

static imb_frame *run(imb_val *key, double acc, int with_auroc)
{
	imb_frame *f = imb_frame_new("metrics", "test");
	imb_val *m = imb_val_map();
	imb_val_set_float(m, "accuracy", acc);
	imb_val_set(m, "auroc", with_auroc ? imb_val_float(acc / 2) : imb_val_nil());
	imb_val_set(f->attrs, "metrics", m);
	imb_val *c = imb_val_map();
	imb_val_set(c, "r", key);
	imb_val_set(f->attrs, "config", c);
	return f;
}

static void test_aggregate(void)
{
	char *by[] = {"r"};
	imb_agg *a = imb_agg_new(by, 1);
	/* groups: 1 (int), 0.1, "x"; added out of order */
	imb_val *keys[] = {imb_val_int(1), imb_val_float(0.1), imb_val_str("x"), imb_val_float(0.1),
	                   imb_val_float(1), imb_val_float(0.1)};
	double acc[] = {0.5, 0.7, 0.9, 0.8, 0.6, 0.95};
	for (int i = 0; i < 6; i++) {
		imb_frame *f = run(keys[i], acc[i], i != 3);
		CHECK(imb_agg_add(a, f) == 0);
		imb_frame_free(f);
	}
	CHECK_EQ_INT(imb_agg_ngroups(a), 3);  /* 1 and 1.0 are one group */
	imb_val *j = imb_agg_json(a);
	CHECK(j->n == 3);
	CHECK_NEAR(imb_val_as_double(imb_val_get(j->items[0], "r"), 0), 0.1, 0);
	CHECK_NEAR(imb_val_as_double(imb_val_get(j->items[1], "r"), 0), 1, 0);
	CHECK_STR(imb_val_as_str(imb_val_get(j->items[2], "r"), ""), "x");
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(j->items[0], "n"), 0), 3);
	/* r = 0.1: accuracy 0.7, 0.8, 0.95: mean 0.8166..., std (n-1) 0.12583 */
	double mean = (0.7 + 0.8 + 0.95) / 3;
	double sd = sqrt(((0.7 - mean) * (0.7 - mean) + (0.8 - mean) * (0.8 - mean) +
	                  (0.95 - mean) * (0.95 - mean)) / 2);
	CHECK_NEAR(imb_val_as_double(imb_val_path(j->items[0], "metrics.accuracy.mean"), 0), mean,
	           1e-15);
	CHECK_NEAR(imb_val_as_double(imb_val_path(j->items[0], "metrics.accuracy.se"), 0),
	           sd / sqrt(3), 1e-15);
	/* the run with auroc nil is left out of auroc */
	CHECK_EQ_INT(imb_val_as_int(imb_val_path(j->items[0], "metrics.auroc.n"), 0), 2);
	CHECK_NEAR(imb_val_as_double(imb_val_path(j->items[0], "metrics.auroc.mean"), 0),
	           (0.7 + 0.95) / 4, 1e-15);
	/* one run: se undefined */
	CHECK(imb_val_path(j->items[2], "metrics.accuracy.se")->t == IMB_V_NIL);
	imb_val_free(j);

	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	imb_agg_write_tsv(fp, a);
	fclose(fp);
	CHECK_HAS(buf, "r\tn\taccuracy_mean\taccuracy_se\tauroc_mean\tauroc_se\n0.1\t3\t0.816667\t");
	CHECK_HAS(buf, "\nx\t1\t0.9\tNA\t0.45\tNA\n");
	free(buf);

	imb_frame *f = run(imb_val_int(1), 0.5, 1);
	imb_val_del(imb_val_get(f->attrs, "config"), "r");
	f->index = 4;
	CHECK(imb_agg_add(a, f) == -1);
	CHECK_HAS(imb_error(), "frame 4 (metrics 'test'): attrs.config has no key 'r'");
	imb_val_del(f->attrs, "metrics");
	CHECK(imb_agg_add(a, f) == -1);
	imb_frame_free(f);
	imb_agg_free(a);
	imb_agg_free(NULL);
}

/* a run of config {r, KEY: v, seed: seed} */
static imb_frame *run_with(const char *key, imb_val *v, int seed)
{
	imb_frame *f = run(imb_val_int(1), 0.5, 1);
	imb_val *c = imb_val_get(f->attrs, "config");
	if (v)
		imb_val_set(c, key, v);
	imb_val_set_int(c, "seed", seed);
	imb_val_set_int(c, "param.seed", seed + 10);
	imb_val_set_str(c, "train_counts", seed == 1 ? "90,10" : "91,9");
	return f;
}

/* imb_agg_check: runs of a group must differ only in replicate keys,
 * the group keys and the allowed ones; a missing key is a difference */
static void test_aggregate_check(void)
{
	char *by[] = {"r"}, *allow[] = {"param.loss"};
	imb_agg *a = imb_agg_new(by, 1);
	imb_frame *f = run_with("param.loss", imb_val_str("ce"), 1);
	CHECK(imb_agg_add(a, f) == 0);
	imb_frame_free(f);
	f = run_with("param.loss", imb_val_str("ce"), 2);
	CHECK(imb_agg_add(a, f) == 0);
	imb_frame_free(f);
	CHECK(imb_agg_check(a) == 0);  /* seeds and drawn counts are replicates */
	f = run_with("param.loss", imb_val_str("focal"), 3);
	CHECK(imb_agg_add(a, f) == 0);
	imb_frame_free(f);
	f = run_with("param.gamma", imb_val_float(2), 3);   /* and no param.loss */
	CHECK(imb_agg_add(a, f) == 0);
	imb_frame_free(f);
	CHECK(imb_agg_check(a) == -1);
	CHECK_HAS(imb_error(), "param.loss (ce, focal, (none)), param.gamma ((none), 2)");
	CHECK(!strstr(imb_error(), "seed"));
	imb_agg_allow(a, allow, 1);
	CHECK(imb_agg_check(a) == -1);
	CHECK(!strstr(imb_error(), "param.loss"));
	CHECK_HAS(imb_error(), "param.gamma ((none), 2)");
	imb_agg_free(a);
	/* runs grouped by the key they differ in pass */
	char *by2[] = {"r", "param.loss"};
	a = imb_agg_new(by2, 2);
	f = run_with("param.loss", imb_val_str("ce"), 1);
	CHECK(imb_agg_add(a, f) == 0);
	imb_frame_free(f);
	f = run_with("param.loss", imb_val_str("focal"), 2);
	CHECK(imb_agg_add(a, f) == 0);
	imb_frame_free(f);
	CHECK(imb_agg_check(a) == 0);
	imb_agg_free(a);
	size_t n;
	const char *const *rk = imb_agg_replicate_keys(&n);
	CHECK(n >= 5 && !strcmp(rk[0], "seed"));
}

/* imb_model_features_check: names compared in order when both have them */
static void test_features_check(void)
{
	imb_frame *ds = imb_frame_new("dataset", "test");
	const char *dn[] = {"a", "c", "b"}, *mn[] = {"a", "b", "c"};
	imb_val *m = imb_val_map();
	CHECK(imb_model_features_check(m, "the model", ds) == 0);   /* neither has names */
	imb_val_set(m, "features", imb_val_str_array(mn, 3));
	CHECK(imb_model_features_check(m, "the model", ds) == 0);   /* the data has none */
	imb_val_set(ds->attrs, "features", imb_val_str_array(dn, 3));
	CHECK(imb_model_features_check(m, "the model", ds) == -1);
	CHECK_HAS(imb_error(), "at feature 2 (from 1): the model's is 'b', the data's is 'c'");
	imb_val_set(ds->attrs, "features", imb_val_str_array(mn, 2));
	CHECK(imb_model_features_check(m, "the model", ds) == -1);
	CHECK_HAS(imb_error(), "at feature 3 (from 1): the model's is 'c', the data's is none");
	imb_val_set(ds->attrs, "features", imb_val_str_array(mn, 3));
	CHECK(imb_model_features_check(m, "the model", ds) == 0);
	CHECK(imb_model_feature_names(imb_val_get(m, "features"), 3));
	CHECK(!imb_model_feature_names(imb_val_get(m, "features"), 2));
	imb_val_free(m);
	imb_frame_free(ds);
}

/* imb_eval_write_cell: "NA" for what is undefined, else the plain text */
static void test_cell(void)
{
	char *buf = NULL;
	size_t len;
	FILE *fp = open_memstream(&buf, &len);
	imb_val *vs[] = {NULL, imb_val_nil(), imb_val_float(NAN), imb_val_float(INFINITY),
	                 imb_val_float(0.25), imb_val_int(3), imb_val_str("a b")};
	for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) {
		imb_eval_write_cell(fp, vs[i]);
		fputc('|', fp);
		imb_val_free(vs[i]);
	}
	fclose(fp);
	CHECK_STR(buf, "NA|NA|NA|NA|0.25|3|a b|");
	free(buf);
}

int main(void)
{
	imb_quiet(1);
	test_evaluate();
	test_aggregate();
	test_aggregate_check();
	test_features_check();
	test_cell();
	CHECK_DONE();
}
