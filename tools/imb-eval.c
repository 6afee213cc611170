/* imb-eval: apply the stream's model frame to its dataset frames and
 * write metrics frames (or TSV/JSON); or aggregate metrics frames over
 * runs (--aggregate). */
#include "cli.h"
#include "curves.h"
#include "eval_agg.h"
#include "evaluate.h"
#include "nn_backend.h"
#include "nn_ensemble.h"
#include "predict.h"
#include "split.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: imb-eval [OPTION]... [FILE...]\n"
	"  or:  imb-eval --aggregate KEY[,KEY...] [--allow-pool KEY,...] [--format tsv|json]\n"
	"                [-o FILE] [FILE...]\n"
	"Apply every model frame of the stream (a model; a Laplace posterior or an\n"
	"SGHMC ensemble, whose predictions average over the posterior), or the one\n"
	"--model picks, to its dataset frames named 'test' (see --on) and write one\n"
	"metrics frame per model and evaluated set (config.model_index says which\n"
	"model, from 1): accuracy, balanced accuracy, macro-F1, G-mean, minority and\n"
	"majority error, AUROC and AUPRC (two classes), the calibration of the\n"
	"probabilities: NLL (log_loss, TSV column nll), Brier score and ECE (15\n"
	"confidence bins), per-class recall/precision/F1 and the confusion matrix.\n"
	"Dataset frames may come before or after the models. The output is the\n"
	"input stream unchanged, then the metrics frames. A model and a set that\n"
	"both name their features (attrs.features) must name the same ones, in\n"
	"the same order.\n"
	"FILE '-' or none reads stdin; several FILEs are read one after another.\n"
	"\n"
	"  -n, --on LIST            dataset frames to evaluate, by name: test,val,train\n"
	"                           or all (default test)\n"
	"  -f, --format FMT         frames (default), tsv or json: text on stdout\n"
	"  -m, --metrics-only       write only the metrics frames\n"
	"  -r, --target-ratio LIST  re-weight each set so every minority class holds\n"
	"                           R times a majority class's weight (no resampling),\n"
	"                           one result per R; repeatable: -r 0.01,0.1 -r 1\n"
	"      --target-profile P   exp or step: re-weight each set to imb-split's class\n"
	"                           sizes at each R instead, by class index (exp:\n"
	"                           class k of K weighs R^(k/(K-1)); step: the first\n"
	"                           K/2 classes 1, the rest R); two classes: the same\n"
	"  -p, --positive K         positive class for AUROC/AUPRC (default 1)\n"
	"      --model N|NAME       evaluate one model only: the Nth model frame (from\n"
	"                           1), or those whose name, attrs.model or arch is\n"
	"                           NAME (default: every model frame)\n"
	"      --curves FILE        also write ROC and precision-recall points (the\n"
	"                           positive class; one-vs-rest for more classes) and\n"
	"                           reliability bins (the ECE's 15) as TSV: set, model,\n"
	"                           model_index, curve, class, x, y, threshold, n\n"
	"  -a, --aggregate KEYS     read metrics frames and print, per group of equal\n"
	"                           attrs.config KEYS, the run count and the mean and\n"
	"                           standard error of each metric (tsv by default);\n"
	"                           runs of a group must not differ in another config\n"
	"                           key, seeds, fold, model_index and drawn counts aside\n"
	"      --allow-pool KEYS    with --aggregate: pool runs that differ in these\n"
	"                           config keys (comma list) on purpose\n"
	"  -o, --output FILE        write to FILE (appears only when complete): the\n"
	"                           frames, or --aggregate's table\n"
	"      --device D           where networks run: cpu (default), cuda or cuda:N\n"
	"  -q, --quiet              no progress on stderr\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"The majority class is the one with the most training samples (from the\n"
	"model's attrs.train), else class 0; the others are minority classes.\n"
	"\n"
	"Examples:\n"
	"  imb-import adult | imb-split --train-ratio 0.1 --test-ratio 1 --seed 1 \\\n"
	"    | imb-train --model xgboost | imb-eval --format tsv\n"
	"  ... | imb-eval --on test,val --target-ratio 0.01,0.1,1 --format tsv\n"
	"  cat xgb.imb mlp.imb | imb-eval --format tsv --curves curves.tsv\n"
	"  cat run*.imb | imb-eval --aggregate model,train_ratio\n";

/* split a comma list into malloc'd strings; empty items are a usage error */
static size_t split_names(const char *flag, const char *s, char ***out)
{
	size_t n = 0;
	char **v = NULL;
	const char *p = s;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (!len)
			imb_usage("%s: empty name in '%s'", flag, s);
		v = imb_xrealloc(v, (n + 1) * sizeof *v);
		v[n] = imb_xmalloc(len + 1);
		memcpy(v[n], p, len);
		v[n++][len] = 0;
		if (!e)
			break;
		p = e + 1;
	}
	*out = v;
	return n;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int aggregate(char **by, size_t nby, char **allow, size_t nallow, int fmt, int nfiles,
                     char **files, const char *output)
{
	imb_agg *a = imb_agg_new(by, nby);
	imb_agg_allow(a, allow, nallow);
	size_t nmetrics = 0;
	for (int k = 0; k < (nfiles ? nfiles : 1); k++) {
		imb_reader *r = imb_open_input(nfiles ? files[k] : "-");
		imb_frame *f;
		while ((f = imb_next(r))) {
			if (strcmp(f->kind, "metrics") == 0) {
				if (imb_agg_add(a, f))
					imb_die(1, "%s", imb_error());
				nmetrics++;
			}
			imb_frame_free(f);
		}
		imb_reader_close(r);
	}
	if (!nmetrics)
		imb_die(1, "--aggregate: no metrics frames in the input (imb-eval makes them)");
	if (imb_agg_check(a))
		imb_die(1, "%s", imb_error());
	FILE *fp = imb_text_open(output);
	if (!fp)
		imb_die(1, "%s", imb_error());
	if (fmt == IMB_FMT_JSON) {
		imb_val *j = imb_agg_json(a);
		imb_val_write_json(fp, j, 2);
		fputc('\n', fp);
		imb_val_free(j);
	} else {
		imb_agg_write_tsv(fp, a);
	}
	imb_agg_free(a);
	if (imb_text_close(fp))
		imb_die(1, "%s", imb_error());
	return 0;
}

int main(int argc, char **argv)
{
	imb_cli_init("imb-eval", argc, argv);
	static const struct option opts[] = {
		{"on", required_argument, 0, 'n'},
		{"format", required_argument, 0, 'f'},
		{"metrics-only", no_argument, 0, 'm'},
		{"target-ratio", required_argument, 0, 'r'},
		{"target-profile", required_argument, 0, 'P'},
		{"positive", required_argument, 0, 'p'},
		{"aggregate", required_argument, 0, 'a'},
		{"allow-pool", required_argument, 0, 'A'},
		{"output", required_argument, 0, 'o'},
		{"quiet", no_argument, 0, 'q'},
		{"device", required_argument, 0, 'D'},
		{"model", required_argument, 0, 'M'},
		{"curves", required_argument, 0, 'C'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	const char *on = NULL, *output = NULL, *agg = NULL, *allow_pool = NULL, *device = NULL;
	const char *model_arg = NULL, *curves = NULL;
	imb_model_sel sel = {0};
	int fmt = -1, metrics_only = 0, c;
	imb_eval_opts eo = {.positive = 1};
	double *ratios = NULL;
	size_t nratios = 0;
	while ((c = getopt_long(argc, argv, "n:f:mr:p:a:o:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'n': on = optarg; break;
		case 'f':
			fmt = imb_arg_format("--format", optarg);
			break;
		case 'm': metrics_only = 1; break;
		case 'r': {
			double *v;
			size_t n = imb_arg_doubles("--target-ratio", optarg, &v);
			for (size_t i = 0; i < n; i++)
				if (!(v[i] > 0))
					imb_usage("--target-ratio: %s: each ratio must be > 0", optarg);
			ratios = imb_xrealloc(ratios, (nratios + n) * sizeof *ratios);
			memcpy(ratios + nratios, v, n * sizeof *v);
			nratios += n;
			free(v);
			break;
		}
		case 'P': {
			imb_profile pr;
			if (imb_profile_parse(optarg, &pr) < 0)
				imb_usage("--target-profile: '%s' is not exp or step", optarg);
			eo.profile = 1 + (int)pr;
			break;
		}
		case 'p': eo.positive = (int)imb_arg_long("--positive", optarg, 0, 1000000); break;
		case 'a': agg = optarg; break;
		case 'A': allow_pool = optarg; break;
		case 'o': output = optarg; break;
		case 'q': imb_quiet(1); break;
		case 'D': device = optarg; break;
		case 'C': curves = optarg; break;
		case 'M':
			if (imb_model_sel_parse(optarg, &sel) < 0)
				imb_usage("--model: '%s' is not an index (from 1) or a name", optarg);
			model_arg = optarg;
			break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	int nfiles = argc - optind;
	char **files = argv + optind;

	if (agg) {
		if (on || metrics_only || nratios || eo.profile || model_arg || curves)
			imb_usage("--aggregate reads metrics frames: it takes no --on, --metrics-only, "
			          "--target-ratio, --model or --curves");
		if (fmt == IMB_FMT_FRAMES)
			imb_usage("--aggregate writes text: --format tsv or json");
		char **by, **allow = NULL;
		size_t nby = split_names("--aggregate", agg, &by), nallow = 0;
		if (allow_pool)
			nallow = split_names("--allow-pool", allow_pool, &allow);
		int rc = aggregate(by, nby, allow, nallow, fmt < 0 ? IMB_FMT_TSV : fmt, nfiles, files,
		                   output);
		free_names(by, nby);
		free_names(allow, nallow);
		return rc;
	}
	if (allow_pool)
		imb_usage("--allow-pool is for --aggregate");
	if (device && imb_nn_set_backend(device) < 0)
		imb_die(1, "%s", imb_error());
	if (fmt < 0)
		fmt = IMB_FMT_FRAMES;
	if (fmt != IMB_FMT_FRAMES && (output || metrics_only))
		imb_usage("--format %s writes text on stdout: --output and --metrics-only are for "
		          "frames", fmt == IMB_FMT_TSV ? "tsv" : "json");
	if (eo.profile && !nratios)
		imb_usage("--target-profile shapes the --target-ratio re-weighting: give --target-ratio");
	eo.ratios = ratios;
	eo.nratios = nratios;
	eo.curves = curves != NULL;
	if (curves && !strcmp(curves, "-") && (fmt != IMB_FMT_FRAMES || !output))
		imb_usage("--curves -: stdout carries the %s; give --curves a file name",
		          fmt == IMB_FMT_FRAMES ? "frames (unless --output names a file)" : "metrics");

	char **sets;
	size_t nsets = split_names("--on", on ? on : "test", &sets);
	int all = nsets == 1 && strcmp(sets[0], "all") == 0;
	size_t *seen = imb_xcalloc(nsets, sizeof *seen);
	size_t ndatasets = 0;

	/* every selected model meets every picked dataset frame, whichever
	 * comes first; the metrics frames come out by model, then by set */
	imb_writer *w = fmt == IMB_FMT_FRAMES ? imb_open_output(output) : NULL;
	imb_eval_run *run = imb_eval_run_new(&eo);
	imb_frame *model = NULL;
	size_t nmodels = 0;
	imb_nn_ensemble_gather_state parts = {0};
	for (int k = 0; k < (nfiles ? nfiles : 1); k++) {
		imb_reader *r = imb_open_input(nfiles ? files[k] : "-");
		imb_frame *f;
		while ((f = imb_next(r))) {
			if (w && !metrics_only)
				imb_emit(w, f);
			if (parts.n || imb_frame_is_model(f)) {
				if (imb_nn_ensemble_gather(&parts, f, &model) < 0)
					imb_die(1, "%s", imb_error());
				if (!model)
					continue;
				nmodels++;
				if (imb_model_sel_match(&sel, model, nmodels) &&
				    imb_eval_run_model(run, model, nmodels))
					imb_die(1, "%s", imb_error());
				imb_frame_free(model);
				model = NULL;
				continue;
			}
			int pick = 0;
			if (strcmp(f->kind, "dataset") == 0) {
				ndatasets++;
				for (size_t i = 0; i < nsets; i++)
					if (all || strcmp(sets[i], f->name) == 0) {
						seen[i]++;
						pick = 1;
					}
			}
			if (!pick) {
				imb_frame_free(f);
				continue;
			}
			if (imb_eval_run_set(run, f))
				imb_die(1, "%s", imb_error());
		}
		imb_reader_close(r);
	}
	if (parts.n)
		imb_die(1, "the input ends inside an ensemble in parts (%zu read)", parts.n);
	if (!nmodels)
		imb_die(1, "no model frame (kind 'model', 'posterior' or 'ensemble') in the input: "
		        "imb-train makes one");
	if (!imb_eval_run_models(run))
		imb_die(1, "--model %s: no such model among the input's %zu model frame%s", model_arg,
		        nmodels, nmodels == 1 ? "" : "s");
	if (all && !ndatasets)
		imb_die(1, "--on all: no dataset frames in the input");
	for (size_t i = 0; i < nsets && !all; i++)
		if (!seen[i])
			imb_die(1, "no dataset frame named '%s' in the input (--on %s)", sets[i],
			        on ? on : "test");
	if (nmodels > 1 && !model_arg)
		imb_log("%zu model frames in the input: each one evaluated (config.model_index; "
		        "--model N takes one)", nmodels);

	imb_frame **all_out;
	size_t nall = imb_eval_run_finish(run, &all_out), nout = 0, ncurves = 0;
	imb_frame **out = imb_xmalloc((nall ? nall : 1) * sizeof *out);
	imb_frame **cv = imb_xmalloc((nall ? nall : 1) * sizeof *cv);
	for (size_t i = 0; i < nall; i++) {
		if (!strcmp(all_out[i]->kind, "curves"))
			cv[ncurves++] = all_out[i];
		else
			out[nout++] = all_out[i];
	}
	free(all_out);
	if (curves) {
		FILE *fp = imb_text_open(curves);
		if (!fp)
			imb_die(1, "%s", imb_error());
		imb_curves_write_tsv(fp, cv, ncurves);
		if (imb_text_close(fp))
			imb_die(1, "%s", imb_error());
	}
	for (size_t i = 0; i < ncurves; i++)
		imb_frame_free(cv[i]);
	free(cv);
	for (size_t i = 0; i < nout; i++)
		imb_history_append(out[i], -1);
	if (fmt == IMB_FMT_FRAMES) {
		for (size_t i = 0; i < nout; i++)
			imb_emit(w, out[i]);
		imb_finish(w);
	} else if (fmt == IMB_FMT_TSV) {
		imb_eval_write_tsv(stdout, out, nout);
		imb_finish_text();
	} else {
		imb_val *j = imb_eval_json(out, nout);
		imb_val_write_json(stdout, j, 2);
		fputc('\n', stdout);
		imb_val_free(j);
		imb_finish_text();
	}
	for (size_t i = 0; i < nout; i++)
		imb_frame_free(out[i]);
	free(out);
	imb_eval_run_free(run);
	imb_nn_ensemble_gather_free(&parts);
	free_names(sets, nsets);
	free(seen);
	free(ratios);
	return 0;
}
