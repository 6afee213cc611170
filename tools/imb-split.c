/* imb-split: train/test (and val) sets with controlled class imbalance. */
#include "cli.h"
#include "dataset.h"
#include "split.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
"Usage: imb-split [OPTION]... [FILE]\n"
"Make train, test (and val) dataset frames from the dataset frames of FILE\n"
"(or stdin; '-' is stdin): at controlled class ratios (the default), or\n"
"stratified, keeping the data's own class ratio (--stratified, --folds).\n"
"\n"
"With a source 'train' and 'test' frame, train (and val) samples come from\n"
"the train frame and test samples from the test frame; with one dataset\n"
"frame, all sets come from it without overlap. Other frames are forwarded\n"
"unchanged and in order; the new sets take the place of the first dataset\n"
"frame, in the order train, val, test.\n"
"\n"
"  --classes LIST      source classes by index or name, e.g. 0,6 or\n"
"                      T-shirt/top,Shirt; relabelled 0..K-1 in the order given;\n"
"                      the first is the majority (default: all). An integer is\n"
"                      an index unless a class has it as its exact name; names\n"
"                      match exactly, else ignoring case\n"
"  --seed S            random seed (default 0); same input and seed, same bytes\n"
"  -o, --output FILE   write to FILE (atomically) instead of stdout\n"
"\n"
"Controlled ratios:\n"
"  --train-ratio R     train imbalance: rarest / most frequent count, in (0,1]\n"
"                      (default 1)\n"
"  --test-ratio R      test imbalance (default 1: balanced)\n"
"  --n-train N         train set size (default: the most the source allows)\n"
"  --n-test N          test set size (default: the most the source allows; from\n"
"                      one frame without --n-train: at most a quarter of it)\n"
"  --n-val N           also make a val set of N samples from the train pool\n"
"                      (--val-size N is the same)\n"
"  --val-ratio R       val imbalance (default: the train ratio)\n"
"  --profile exp|step  class sizes for K > 2: exp: n_k = n_0 * R^(k/(K-1));\n"
"                      step: the first K/2 classes n_0, the rest n_0 * R\n"
"                      (default exp; both are the same for two classes)\n"
"  --fixed total|minority\n"
"                      total: fixed set size, varying ratio (default);\n"
"                      minority: fixed minority count, majority samples added\n"
"  --n-minority M      with --fixed minority (implies it): the minority count\n"
"  --n-majority N      with --fixed minority: the majority count (or give\n"
"                      --train-ratio: N = M / R)\n"
"\n"
"Stratified (every row of the chosen classes, in the data's class ratio):\n"
"  --stratified        one frame: split each class into train and test by\n"
"                      --test-size; a 'train' and a 'test' frame: keep them\n"
"  --test-size F       test rows: a fraction in (0,1) or a count >= 1, split over\n"
"                      the classes as scikit-learn's train_test_split(stratify=y)\n"
"                      does (default 0.25; implies --stratified)\n"
"  --val-size F        also carve a stratified val set from train: a fraction of\n"
"                      train's rows or a count (--n-val F is the same)\n"
"  --folds K --fold I  stratified K-fold (scikit-learn's StratifiedKFold): fold I\n"
"                      (1..K) is the test set, the other folds train; with a\n"
"                      'train' and a 'test' frame, the folds split the train\n"
"                      frame, fold I is the val set and test is kept\n"
"\n"
"  -h, --help          show this help\n"
"  -V, --version       show the version\n"
"\n"
"Rows of each class are shuffled with the seed: train takes the first, test\n"
"(one frame) the last, val the ones before the test rows; each set is then\n"
"shuffled. No sample is used twice; train and test never share one. The\n"
"folds do not depend on --fold: the K test folds partition the rows.\n"
"\n"
"Examples:\n"
"  imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.05 \\\n"
"      --n-train 2000 --n-test 1000 --seed 2\n"
"  imb-import adult | imb-split --stratified --val-size 0.1 --seed 1\n"
"  imb-import toy blobs --ratio 0.2 | imb-split --folds 5 --fold 2 --seed 1\n";

enum { O_CLASSES = 256, O_TRR, O_TER, O_VAR, O_NTR, O_NTE, O_NVA, O_PROF, O_FIXED, O_NMIN,
       O_NMAJ, O_SEED, O_VSIZE, O_STRAT, O_TSIZE, O_FOLDS, O_FOLD };

/* the flags of each mode, as given (NULL: not given) */
enum { F_TRR, F_TER, F_VAR, F_NTR, F_NTE, F_PROF, F_FIXED, F_NMIN, F_NMAJ, F_NRATIO };
enum { G_STRAT, G_TSIZE, G_FOLDS, G_NSTRAT };

/* --classes: names or indices, resolved against the data later; here
 * only an empty entry or one listed twice as written */
static void classes_arg(const char *s)
{
	size_t n = strlen(s);
	if (!n)
		imb_usage("--classes: empty list");
	const char *p = s;
	for (;;) {
		size_t len = strcspn(p, ",");
		if (!len)
			imb_usage("--classes: an empty entry in '%s'", s);
		for (const char *q = s; q < p;) {
			size_t l2 = strcspn(q, ",");
			if (l2 == len && !strncmp(q, p, len))
				imb_usage("--classes: class %.*s is listed twice", (int)len, p);
			q += l2 + 1;
		}
		if (!p[len])
			break;
		p += len + 1;
	}
}

static imb_split_size size_arg(const char *flag, const char *s)
{
	imb_split_size z;
	if (imb_split_size_parse(s, &z) < 0)
		imb_usage("%s: '%s' is neither a fraction in (0, 1) nor a row count >= 1", flag, s);
	return z;
}

static double ratio_arg(const char *flag, const char *s)
{
	double r = imb_arg_double(flag, s, 0.0, 1.0);
	if (r <= 0)
		imb_usage("%s: a ratio must be in (0, 1], got %s", flag, s);
	return r;
}

int main(int argc, char **argv)
{
	imb_cli_init("imb-split", argc, argv);
	static const struct option lo[] = {
		{"classes", 1, 0, O_CLASSES}, {"train-ratio", 1, 0, O_TRR}, {"test-ratio", 1, 0, O_TER},
		{"val-ratio", 1, 0, O_VAR}, {"n-train", 1, 0, O_NTR}, {"n-test", 1, 0, O_NTE},
		{"n-val", 1, 0, O_NVA}, {"val-size", 1, 0, O_VSIZE}, {"profile", 1, 0, O_PROF},
		{"fixed", 1, 0, O_FIXED},
		{"n-minority", 1, 0, O_NMIN}, {"n-majority", 1, 0, O_NMAJ}, {"seed", 1, 0, O_SEED},
		{"stratified", 0, 0, O_STRAT}, {"test-size", 1, 0, O_TSIZE}, {"folds", 1, 0, O_FOLDS},
		{"fold", 1, 0, O_FOLD},
		{"output", 1, 0, 'o'}, {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'}, {0, 0, 0, 0}};
	imb_split_opts o;
	imb_split_opts_init(&o);
	const char *out = NULL, *nval = NULL, *nval_flag = NULL;
	const char *ratio_flag[F_NRATIO] = {0}, *strat_flag[G_NSTRAT] = {0};
	int fixed_given = 0;
	int c;
	while ((c = getopt_long(argc, argv, "o:hV", lo, NULL)) != -1) {
		switch (c) {
		case O_CLASSES:
			classes_arg(optarg);
			o.class_list = optarg;
			break;
		case O_TRR:
			o.train_ratio = ratio_arg("--train-ratio", optarg);
			o.has_train_ratio = 1;
			ratio_flag[F_TRR] = "--train-ratio";
			break;
		case O_TER:
			o.test_ratio = ratio_arg("--test-ratio", optarg);
			ratio_flag[F_TER] = "--test-ratio";
			break;
		case O_VAR:
			o.val_ratio = ratio_arg("--val-ratio", optarg);
			ratio_flag[F_VAR] = "--val-ratio";
			break;
		case O_NTR:
			o.n_train = imb_arg_long("--n-train", optarg, 1, 0x7fffffffL);
			ratio_flag[F_NTR] = "--n-train";
			break;
		case O_NTE:
			o.n_test = imb_arg_long("--n-test", optarg, 1, 0x7fffffffL);
			ratio_flag[F_NTE] = "--n-test";
			break;
		case O_NVA:
		case O_VSIZE:
			nval = optarg;
			nval_flag = c == O_VSIZE ? "--val-size" : "--n-val";
			break;
		case O_NMIN:
			o.n_minority = imb_arg_long("--n-minority", optarg, 1, 0x7fffffffL);
			ratio_flag[F_NMIN] = "--n-minority";
			break;
		case O_NMAJ:
			o.n_majority = imb_arg_long("--n-majority", optarg, 1, 0x7fffffffL);
			ratio_flag[F_NMAJ] = "--n-majority";
			break;
		case O_SEED: o.seed = imb_arg_seed("--seed", optarg); break;
		case O_PROF:
			if (imb_profile_parse(optarg, &o.profile) < 0)
				imb_usage("--profile: '%s' is not exp or step", optarg);
			ratio_flag[F_PROF] = "--profile";
			break;
		case O_FIXED:
			if (!strcmp(optarg, "total"))
				o.fixed = IMB_FIXED_TOTAL;
			else if (!strcmp(optarg, "minority"))
				o.fixed = IMB_FIXED_MINORITY;
			else
				imb_usage("--fixed: '%s' is not total or minority", optarg);
			fixed_given = 1;
			ratio_flag[F_FIXED] = "--fixed";
			break;
		case O_STRAT: strat_flag[G_STRAT] = "--stratified"; break;
		case O_TSIZE:
			o.test_size = size_arg("--test-size", optarg);
			strat_flag[G_TSIZE] = "--test-size";
			break;
		case O_FOLDS:
			o.folds = (int)imb_arg_long("--folds", optarg, 2, 1000000);
			strat_flag[G_FOLDS] = "--folds";
			break;
		case O_FOLD: o.fold = (int)imb_arg_long("--fold", optarg, 1, 1000000); break;
		case 'o': out = optarg; break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	if (optind < argc - 1)
		imb_usage("too many arguments: one input FILE at most");
	const char *sf = NULL, *rf = NULL;
	for (int g = 0; g < G_NSTRAT && !sf; g++)
		sf = strat_flag[g];
	for (int g = 0; g < F_NRATIO && !rf; g++)
		rf = ratio_flag[g];
	if (o.fold && !o.folds)
		imb_usage("--fold needs --folds");
	if (sf && rf)
		imb_usage("%s does not go with %s: a stratified split keeps the data's own class "
		          "ratio and uses every row (%s)", sf, rf,
		          strat_flag[G_FOLDS] ? "the held-out fold is the test set; --val-size carves "
		                                "a val set"
		                              : "size its sets with --test-size and --val-size");
	if (o.folds) {
		if (!o.fold)
			imb_usage("--folds needs --fold I (1..%d): the fold that is held out", o.folds);
		if (o.fold > o.folds)
			imb_usage("--fold %d is out of range: --folds %d gives folds 1..%d", o.fold, o.folds,
			          o.folds);
		if (strat_flag[G_TSIZE])
			imb_usage("--test-size does not go with --folds: fold %d is the test set", o.fold);
		o.mode = IMB_SPLIT_FOLDS;
	} else if (sf) {
		o.mode = IMB_SPLIT_STRATIFIED;
	}
	if (nval && o.mode != IMB_SPLIT_RATIO)
		o.val_size = size_arg(nval_flag, nval);
	else if (nval)
		o.n_val = imb_arg_long(nval_flag, nval, 1, 0x7fffffffL);
	if ((o.n_minority > 0 || o.n_majority > 0) && !fixed_given)
		o.fixed = IMB_FIXED_MINORITY;
	if (o.fixed == IMB_FIXED_MINORITY) {
		if (o.n_minority <= 0)
			imb_usage("--fixed minority needs --n-minority");
		if (o.n_train >= 0)
			imb_usage("--n-train does not go with --fixed minority (the set size is "
			          "--n-minority plus the majority samples)");
		if (o.n_majority > 0 && o.has_train_ratio)
			imb_usage("give --n-majority or --train-ratio with --fixed minority, not both");
		if (o.n_majority <= 0 && !o.has_train_ratio)
			imb_usage("--fixed minority needs --n-majority or --train-ratio");
		if (o.n_majority > 0 && o.n_majority < o.n_minority)
			imb_usage("--n-majority (%lld) is smaller than --n-minority (%lld)",
			          (long long)o.n_majority, (long long)o.n_minority);
	} else if (o.n_minority > 0 || o.n_majority > 0) {
		imb_usage("--n-minority and --n-majority need --fixed minority");
	}
	if (o.val_ratio > 0 && o.n_val <= 0)
		imb_usage("--val-ratio needs --n-val");

	imb_reader *r = imb_open_input(optind < argc ? argv[optind] : NULL);
	imb_writer *w = imb_open_output(out);
	/* frames before the first dataset frame go straight through; from it
	 * on, the stream is held until its end (a test frame may follow) */
	size_t n = 0, cap = 0;
	imb_frame **held = NULL, *f;
	while ((f = imb_next(r))) {
		if (!n && !imb_is_dataset(f)) {
			imb_emit(w, f);
			imb_frame_free(f);
			continue;
		}
		if (n == cap)
			held = imb_xrealloc(held, (cap = cap ? 2 * cap : 8) * sizeof *held);
		held[n++] = f;
	}
	imb_reader_close(r);
	long itrain = -1, itest = -1, ndata = 0, ione = -1;
	for (size_t j = 0; j < n; j++) {
		if (!imb_is_dataset(held[j]))
			continue;
		ndata++;
		ione = j;
		if (itrain < 0 && !strcmp(held[j]->name, "train"))
			itrain = j;
		else if (itest < 0 && !strcmp(held[j]->name, "test"))
			itest = j;
	}
	if (!ndata)
		imb_die(1, "the input holds no dataset frame");
	if (itrain < 0 || itest < 0) {
		if (ndata > 1)
			imb_die(1, "the input holds %ld dataset frames but not one named 'train' and one "
			        "named 'test'; give one dataset frame, or a 'train' and a 'test' frame", ndata);
		itrain = ione;
		itest = -1;
	}
	imb_frame *tr, *te, *va;
	if (imb_split_make(&o, held[itrain], itest >= 0 ? held[itest] : NULL, &tr, &te, &va) < 0)
		imb_die(1, "%s", imb_error());
	imb_frame *outs[3] = {tr, va, te};
	for (int s = 0; s < 3; s++)
		if (outs[s])
			imb_history_append(outs[s], (int64_t)o.seed);
	for (size_t j = 0; j < n; j++) {
		if ((long)j == itrain || (long)j == itest) {
			if (outs[0]) {
				for (int s = 0; s < 3; s++) {
					if (outs[s])
						imb_emit(w, outs[s]);
					imb_frame_free(outs[s]);
					outs[s] = NULL;
				}
			}
		} else {
			imb_emit(w, held[j]);
		}
		imb_frame_free(held[j]);
	}
	free(held);
	imb_finish(w);
	return 0;
}
