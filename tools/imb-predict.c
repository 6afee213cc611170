/* imb-predict: the stream's model applied to its dataset frames, row by
 * row: class probabilities and the predicted class, as predictions
 * frames or TSV/CSV (lib/scoring.h). */
#include "cli.h"
#include "nn_backend.h"
#include "nn_ensemble.h"
#include "predict.h"
#include "scoring.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: imb-predict [OPTION]... [FILE...]\n"
	"Apply every model frame of the stream (any kind: XGBoost, SVMs, networks,\n"
	"a Laplace posterior, an SGHMC ensemble), or the one --model picks, to\n"
	"every dataset frame, labelled or not, and give for each row the predicted\n"
	"class and the probability of each class. By default the output is the\n"
	"input stream unchanged, then one predictions frame per model and dataset\n"
	"frame (attrs.model_index: the model's place, from 1); --format tsv or\n"
	"csv writes the rows instead: columns id (when the dataset frame has an\n"
	"'id' tensor), pred (the class name) and p_CLASS for each class (and a\n"
	"first column set when several frames are predicted), of one model: with\n"
	"several, choose it with --model. A model and a set that both name their\n"
	"features (attrs.features) must name the same ones, in the same order.\n"
	"FILE '-' or none reads stdin; several FILEs are read one after another.\n"
	"\n"
	"  -n, --frame NAME         predict the dataset frame NAME only\n"
	"  -f, --format FMT         frames (default), tsv or csv\n"
	"  -t, --threshold T        two classes: predict the positive class when its\n"
	"                           probability is >= T (default: the larger one)\n"
	"  -T, --threshold-for M    two classes: the threshold that maximises M on\n"
	"                           --val-frame: balanced_accuracy, f1 (of the\n"
	"                           positive class) or gmean\n"
	"  -v, --val-frame NAME     the labelled frame of --threshold-for (default val)\n"
	"  -p, --positive K         the positive class of a threshold (default 1)\n"
	"      --model N|NAME       predict with one model only: the Nth model frame\n"
	"                           (from 1), or those whose name, attrs.model or arch\n"
	"                           is NAME (default: every model frame)\n"
	"  -o, --output FILE        write to FILE (appears only when complete)\n"
	"      --device D           where networks run: cpu (default), cuda or cuda:N\n"
	"  -q, --quiet              no progress on stderr\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"Examples:\n"
	"  imb-import adult | imb-split --train-ratio 0.1 --test-ratio 1 --seed 1 \\\n"
	"    | imb-train --model xgboost | imb-predict --frame test --format csv\n"
	"  ... | imb-split --train-ratio 0.05 --n-val 500 --seed 1 | imb-train --model mlp:64 \\\n"
	"    | imb-predict --threshold-for balanced_accuracy --frame test --format tsv\n";

enum { FMT_FRAMES, FMT_TSV, FMT_CSV };

int main(int argc, char **argv)
{
	imb_cli_init("imb-predict", argc, argv);
	static const struct option opts[] = {
		{"frame", required_argument, 0, 'n'},
		{"format", required_argument, 0, 'f'},
		{"threshold", required_argument, 0, 't'},
		{"threshold-for", required_argument, 0, 'T'},
		{"val-frame", required_argument, 0, 'v'},
		{"positive", required_argument, 0, 'p'},
		{"output", required_argument, 0, 'o'},
		{"device", required_argument, 0, 'D'},
		{"model", required_argument, 0, 'M'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	imb_score_opts so = {.threshold = -1, .val_frame = "val", .positive = 1};
	const char *output = NULL, *device = NULL, *model_arg = NULL;
	imb_model_sel sel = {0};
	int fmt = FMT_FRAMES, thr_given = 0, val_given = 0, c;
	while ((c = getopt_long(argc, argv, "n:f:t:T:v:p:o:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'n': so.frame = optarg; break;
		case 'f':
			if (!strcmp(optarg, "frames"))
				fmt = FMT_FRAMES;
			else if (!strcmp(optarg, "tsv"))
				fmt = FMT_TSV;
			else if (!strcmp(optarg, "csv"))
				fmt = FMT_CSV;
			else
				imb_usage("--format: '%s': frames, tsv or csv", optarg);
			break;
		case 't':
			so.threshold = imb_arg_double("--threshold", optarg, 0, 1);
			thr_given = 1;
			break;
		case 'T':
			if (imb_thr_metric_parse(optarg, &so.metric) < 0)
				imb_usage("--threshold-for: '%s': balanced_accuracy, f1 or gmean", optarg);
			so.by_metric = 1;
			break;
		case 'v':
			so.val_frame = optarg;
			val_given = 1;
			break;
		case 'p': so.positive = (int)imb_arg_long("--positive", optarg, 0, 1); break;
		case 'o': output = optarg; break;
		case 'D': device = optarg; break;
		case 'M':
			if (imb_model_sel_parse(optarg, &sel) < 0)
				imb_usage("--model: '%s' is not an index (from 1) or a name", optarg);
			model_arg = optarg;
			break;
		case 'q': imb_quiet(1); break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	if (thr_given && so.by_metric)
		imb_usage("--threshold and --threshold-for: give one");
	if (val_given && !so.by_metric)
		imb_usage("--val-frame is for --threshold-for");
	if (device && imb_nn_set_backend(device) < 0)
		imb_die(1, "%s", imb_error());
	int nfiles = argc - optind;
	char **files = argv + optind;

	/* every frame forwarded as it comes (frames output); the selected
	 * models and the dataset frames kept */
	imb_writer *w = fmt == FMT_FRAMES ? imb_open_output(output) : NULL;
	imb_frame *model = NULL, **models = NULL, **ds = NULL, *f;
	size_t nds = 0, nmodels = 0, nsel = 0, *msel = NULL;
	imb_nn_ensemble_gather_state parts = {0};
	for (int k = 0; k < (nfiles ? nfiles : 1); k++) {
		imb_reader *r = imb_open_input(nfiles ? files[k] : "-");
		while ((f = imb_next(r))) {
			if (w)
				imb_emit(w, f);
			if (parts.n || imb_frame_is_model(f)) {
				if (imb_nn_ensemble_gather(&parts, f, &model) < 0)
					imb_die(1, "%s", imb_error());
				if (!model)
					continue;
				if (imb_model_sel_match(&sel, model, ++nmodels)) {
					models = imb_xrealloc(models, (nsel + 1) * sizeof *models);
					msel = imb_xrealloc(msel, (nsel + 1) * sizeof *msel);
					models[nsel] = model;
					msel[nsel++] = nmodels;
				} else {
					imb_frame_free(model);
				}
				model = NULL;
			} else if (!strcmp(f->kind, "dataset")) {
				ds = imb_xrealloc(ds, (nds + 1) * sizeof *ds);
				ds[nds++] = f;
			} else {
				imb_frame_free(f);
			}
		}
		imb_reader_close(r);
	}
	if (parts.n)
		imb_die(1, "the input ends inside an ensemble in parts (%zu read)", parts.n);
	if (!nmodels)
		imb_die(1, "no model frame (kind 'model', 'posterior' or 'ensemble') in the input: "
		        "imb-train makes one");
	if (!nsel)
		imb_die(1, "--model %s: no such model among the input's %zu model frame%s", model_arg,
		        nmodels, nmodels == 1 ? "" : "s");
	if (nsel > 1 && !w)
		imb_die(1, "%zu model frames in the input%s: --format %s writes the rows of one "
		        "model; choose it with --model N (from 1) or NAME, or write frames",
		        nsel, model_arg ? " match --model" : "", fmt == FMT_CSV ? "csv" : "tsv");
	if (nsel > 1)
		imb_log("%zu model frames in the input: predictions of each one (attrs.model_index; "
		        "--model N takes one)", nsel);
	imb_frame **out = NULL;
	size_t nout = 0;
	for (size_t j = 0; j < nsel; j++) {
		size_t n0 = nout;
		if (imb_score_frames(models[j], ds, nds, &so, &out, &nout) < 0)
			imb_die(1, "%s", imb_error());
		for (size_t i = n0; i < nout; i++)
			imb_val_set_int(out[i]->attrs, "model_index", (int64_t)msel[j]);
	}
	if (w) {
		for (size_t i = 0; i < nout; i++) {
			imb_history_append(out[i], -1);
			imb_emit(w, out[i]);
		}
		imb_finish(w);
	} else {
		FILE *fp = imb_text_open(output);
		if (!fp)
			imb_die(1, "%s", imb_error());
		imb_predictions_write(fp, fmt == FMT_CSV ? ',' : '\t', out, nout);
		if (imb_text_close(fp))
			imb_die(1, "%s", imb_error());
	}
	for (size_t i = 0; i < nout; i++)
		imb_frame_free(out[i]);
	for (size_t i = 0; i < nds; i++)
		imb_frame_free(ds[i]);
	free(out);
	free(ds);
	imb_nn_ensemble_gather_free(&parts);
	for (size_t j = 0; j < nsel; j++)
		imb_frame_free(models[j]);
	free(models);
	free(msel);
	return 0;
}
