/* imb-oversample: re-sample train frames to a class ratio (random
 * oversampling, random undersampling, SMOTE; the under-samplers and
 * combined samplers of undersample.h). */
#include "cli.h"
#include "dataset.h"
#include "oversample.h"
#include "undersample.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
"Usage: imb-oversample [OPTION]... [FILE]\n"
"Re-sample the dataset frames named 'train' of FILE (or stdin; '-' is stdin)\n"
"to a class ratio; every other frame is forwarded unchanged and in order.\n"
"\n"
"  --method random|under|smote\n"
"                      random: duplicate random samples of the smaller classes;\n"
"                      under: drop random samples of the larger classes;\n"
"                      smote: synthesize samples between a sample and one of its\n"
"                      k nearest neighbours of the same class (default smote)\n"
"  --method tomek|enn|nearmiss1|nearmiss2|nearmiss3|cluster-centroids\n"
"                      under-samplers, as imbalanced-learn's (classes other than\n"
"                      the minority): tomek: drop the non-minority row of each\n"
"                      Tomek link; enn: drop rows with a neighbour of another\n"
"                      class among their k nearest; nearmiss1/2/3: keep the rows\n"
"                      nearest the minority (NearMiss version 1, 2, 3);\n"
"                      cluster-centroids: replace a class by k-means centroids\n"
"  --method smote-tomek|smote-enn\n"
"                      SMOTE, then Tomek links or ENN (k 3) on every class\n"
"  --ratio R           target rarest / most frequent count after re-sampling, in\n"
"                      (0,1] (default 1: balanced). random, smote: each class is\n"
"                      raised to R * (largest count); under: each class is cut\n"
"                      to (smallest count) / R, as are nearmiss and\n"
"                      cluster-centroids; smote-tomek, smote-enn: as smote.\n"
"                      tomek and enn take no ratio (they only clean)\n"
"  --k K               neighbours: SMOTE's (smote, smote-tomek, smote-enn;\n"
"                      default 5); enn and nearmiss (default 3); tomek and\n"
"                      cluster-centroids use none\n"
"  --frame NAME        re-sample dataset frames with this name (default train)\n"
"  --seed S            random seed (default 0); same input and seed, same bytes\n"
"  -t, --threads N     threads for SMOTE's neighbour search (default 0: one per\n"
"                      core); the output does not depend on it\n"
"                      (also tomek's and enn's)\n"
"  -o, --output FILE   write to FILE (atomically) instead of stdout\n"
"      --help          show this help\n"
"      --version       show the version\n"
"\n"
"random and smote keep every sample in order and append the new ones; under\n"
"keeps the chosen samples in order, as do the other under-samplers (their\n"
"settings follow imbalanced-learn's defaults; imb-oversample(1) has the\n"
"details); cluster-centroids puts the centroids after the classes it leaves\n"
"whole. SMOTE interpolates u8 images in floating point and rounds back to\n"
"u8; f32 stays f32. attrs.oversample records the\n"
"settings and the counts before.\n"
"\n"
"Example:\n"
"  imb-split --classes 0,6 --train-ratio 0.05 < fm.imb | imb-oversample --method smote\n";

enum { O_METHOD = 256, O_RATIO, O_K, O_FRAME, O_SEED, O_HELP, O_VERSION };

int main(int argc, char **argv)
{
	imb_cli_init("imb-oversample", argc, argv);
	static const struct option lo[] = {
		{"method", 1, 0, O_METHOD}, {"ratio", 1, 0, O_RATIO}, {"k", 1, 0, O_K},
		{"frame", 1, 0, O_FRAME}, {"seed", 1, 0, O_SEED}, {"output", 1, 0, 'o'},
		{"threads", 1, 0, 't'},
		{"help", 0, 0, O_HELP}, {"version", 0, 0, O_VERSION}, {0, 0, 0, 0}};
	imb_rs_method m = IMB_RS_SMOTE;
	double ratio = 1.0;
	int k = 5, k_set = 0, ratio_set = 0;
	uint64_t seed = 0;
	const char *frame = "train", *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "o:t:", lo, NULL)) != -1) {
		switch (c) {
		case O_METHOD:
			if (imb_rs_method_parse(optarg, &m) < 0)
				imb_usage("--method: '%s' is not random, under, smote, tomek, enn, nearmiss1, "
				          "nearmiss2, nearmiss3, cluster-centroids, smote-tomek or smote-enn",
				          optarg);
			break;
		case O_RATIO:
			ratio = imb_arg_double("--ratio", optarg, 0.0, 1.0);
			if (ratio <= 0)
				imb_usage("--ratio: a ratio must be in (0, 1], got %s", optarg);
			ratio_set = 1;
			break;
		case O_K: k = (int)imb_arg_long("--k", optarg, 1, 1000); k_set = 1; break;
		case O_FRAME:
			if (!*optarg)
				imb_usage("--frame: empty name");
			frame = optarg;
			break;
		case O_SEED: seed = imb_arg_seed("--seed", optarg); break;
		case 'o': out = optarg; break;
		case 't': imb_knn_set_threads((int)imb_arg_long("--threads", optarg, 0, 256)); break;
		case O_HELP: imb_help(usage);
		case O_VERSION: imb_version();
		default: imb_usage("unknown option");
		}
	}
	if (optind < argc - 1)
		imb_usage("too many arguments: one input FILE at most");
	if (ratio_set && !imb_rs_takes_ratio(m))
		imb_usage("--ratio: --method %s takes no ratio (it removes the samples it finds "
		          "noisy or overlapping, however many)", imb_rs_method_name(m));
	if (!k_set && imb_rs_default_k(m))
		k = imb_rs_default_k(m);

	imb_reader *r = imb_open_input(optind < argc ? argv[optind] : NULL);
	imb_writer *w = imb_open_output(out);
	imb_frame *f;
	long done = 0;
	while ((f = imb_next(r))) {
		if (imb_is_dataset(f) && !strcmp(f->name, frame)) {
			imb_frame *g = imb_resample(f, m, ratio, k, seed);
			if (!g)
				imb_die(1, "%s", imb_error());
			imb_history_append(g, (int64_t)seed);
			imb_emit(w, g);
			imb_frame_free(g);
			done++;
		} else {
			imb_emit(w, f);
		}
		imb_frame_free(f);
	}
	imb_reader_close(r);
	if (!done)
		imb_die(1, "the input holds no dataset frame named '%s'", frame);
	imb_finish(w);
	return 0;
}
