/* imb-oversample: re-sample train frames to a class ratio (random
 * oversampling, random undersampling, SMOTE and its variants; the
 * under-samplers and combined samplers of undersample.h). */
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
"  --method M          the re-sampling method (default smote), each as\n"
"                      imbalanced-learn's:\n"
"                      random: duplicate random samples of the smaller classes;\n"
"                      under: drop random samples of the larger classes;\n"
"                      smote: synthesize samples between a sample and one of its\n"
"                      k nearest neighbours of the same class;\n"
"                      adasyn: SMOTE with more samples from the samples with more\n"
"                      neighbours of other classes (ADASYN);\n"
"                      borderline1: SMOTE from the samples in danger only (of\n"
"                      their m nearest, at least half but not all of other\n"
"                      classes); borderline2: also towards their k nearest of the\n"
"                      other classes, at most half way;\n"
"                      smote-nc: SMOTE for numeric and one-hot categorical\n"
"                      columns (attrs.categorical): each category is the most\n"
"                      frequent among the k neighbours\n"
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
"                      (0,1] (default 1: balanced). random, smote and its kin:\n"
"                      each class is raised to R * (largest count); under: each\n"
"                      class is cut to (smallest count) / R, as are nearmiss\n"
"                      and cluster-centroids; smote-tomek, smote-enn: as smote;\n"
"                      tomek and enn take no ratio (they only clean)\n"
"  --k K               neighbours: k_neighbors of smote, borderline1/2 and\n"
"                      smote-nc, smote-tomek and smote-enn, n_neighbors of\n"
"                      adasyn (default 5); of enn and nearmiss (default 3);\n"
"                      tomek and cluster-centroids take none\n"
"  --m M               Borderline's m_neighbors, which find the samples in danger\n"
"                      (default 10)\n"
"  --blend-categorical interpolate one-hot categorical columns as plain numbers\n"
"                      (smote, adasyn, borderline1/2 refuse such frames\n"
"                      otherwise)\n"
"  --frame NAME        re-sample dataset frames with this name (default train)\n"
"  --seed S            random seed (default 0); same input and seed, same bytes\n"
"  -t, --threads N     threads for the neighbour searches (default 0: one per\n"
"                      core); the output does not depend on it\n"
"  -o, --output FILE   write to FILE (atomically) instead of stdout\n"
"  -h, --help          show this help\n"
"  -V, --version       show the version\n"
"\n"
"The over-samplers keep every sample in order and append the new ones; under\n"
"keeps the chosen samples in order, as do the other under-samplers (their\n"
"settings follow imbalanced-learn's defaults; imb-oversample(1) has the\n"
"details); cluster-centroids puts the centroids after the classes it leaves\n"
"whole. SMOTE interpolates u8 images in floating\n"
"point and rounds back to u8; f32 stays f32. attrs.oversample records the\n"
"settings and the counts before.\n"
"\n"
"Example:\n"
"  imb-split --classes 0,6 --train-ratio 0.05 < fm.imb | imb-oversample --method smote\n"
"  imb-import csv t.csv --label y | imb-oversample --method smote-nc --ratio 0.5\n";

enum { O_METHOD = 256, O_RATIO, O_K, O_M, O_BLEND, O_FRAME, O_SEED };

int main(int argc, char **argv)
{
	imb_cli_init("imb-oversample", argc, argv);
	static const struct option lo[] = {
		{"method", 1, 0, O_METHOD}, {"ratio", 1, 0, O_RATIO}, {"k", 1, 0, O_K},
		{"m", 1, 0, O_M}, {"blend-categorical", 0, 0, O_BLEND},
		{"frame", 1, 0, O_FRAME}, {"seed", 1, 0, O_SEED}, {"output", 1, 0, 'o'},
		{"threads", 1, 0, 't'},
		{"help", 0, 0, 'h'}, {"version", 0, 0, 'V'}, {0, 0, 0, 0}};
	imb_rs_opts o = imb_rs_defaults(IMB_RS_SMOTE);
	int set_k = 0, set_m = 0, set_ratio = 0;
	const char *frame = "train", *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "o:t:hV", lo, NULL)) != -1) {
		switch (c) {
		case O_METHOD:
			if (imb_rs_method_parse(optarg, &o.method) < 0)
				imb_usage("--method: '%s' is not one of %s", optarg, imb_rs_method_list(", "));
			break;
		case O_RATIO:
			o.ratio = imb_arg_double("--ratio", optarg, 0.0, 1.0);
			if (o.ratio <= 0)
				imb_usage("--ratio: a ratio must be in (0, 1], got %s", optarg);
			set_ratio = 1;
			break;
		case O_K: o.k = (int)imb_arg_long("--k", optarg, 1, 1000); set_k = 1; break;
		case O_M: o.m = (int)imb_arg_long("--m", optarg, 1, 1000); set_m = 1; break;
		case O_BLEND: o.blend_categorical = 1; break;
		case O_FRAME:
			if (!*optarg)
				imb_usage("--frame: empty name");
			frame = optarg;
			break;
		case O_SEED: o.seed = imb_arg_seed("--seed", optarg); break;
		case 'o': out = optarg; break;
		case 't': imb_knn_set_threads((int)imb_arg_long("--threads", optarg, 0, 256)); break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	unsigned params = imb_rs_method_params(o.method);
	if (set_m && !(params & IMB_RS_P_M))
		imb_usage("--m: --method %s takes no m_neighbors (borderline1 and borderline2 do)",
		          imb_rs_method_name(o.method));
	if (set_k && !(params & IMB_RS_P_K))
		imb_usage("--k: --method %s takes no neighbours", imb_rs_method_name(o.method));
	if (optind < argc - 1)
		imb_usage("too many arguments: one input FILE at most");
	if (set_ratio && !imb_rs_takes_ratio(o.method))
		imb_usage("--ratio: --method %s takes no ratio (it removes the samples it finds "
		          "noisy or overlapping, however many)", imb_rs_method_name(o.method));
	if (!set_k)
		o.k = imb_rs_defaults(o.method).k;

	imb_reader *r = imb_open_input(optind < argc ? argv[optind] : NULL);
	imb_writer *w = imb_open_output(out);
	imb_frame *f;
	long done = 0;
	while ((f = imb_next(r))) {
		if (imb_is_dataset(f) && !strcmp(f->name, frame)) {
			imb_frame *g = imb_resample_opts(f, &o);
			if (!g)
				imb_die(1, "%s", imb_error());
			imb_history_append(g, (int64_t)o.seed);
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
