/* imb-train: train a tabular model (XGBoost, linear SVM, kernel SVM) on
 * the train frame of a stream; the model frame takes its place. */
#include "cli.h"
#include "tabular.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: imb-train [OPTION...] [FILE]\n"
	"Train a model on the dataset frame named 'train' and write a model frame\n"
	"(kind 'model', name 'model') in its place; every other frame passes\n"
	"through unchanged and in order. FILE '-' or none reads stdin.\n"
	"\n"
	"  -m, --model KIND         xgboost (default), linear-svm or svm\n"
	"  -p, --param K=V          a model parameter; repeatable, later ones win.\n"
	"                           xgboost: any XGBoost parameter (eta, max_depth,\n"
	"                           subsample, tree_method, ...; num_boost_round);\n"
	"                           linear-svm: C, eps, bias,\n"
	"                             solver=primal|dual|l1loss-dual|crammer-singer|l1r;\n"
	"                           svm: C, eps, kernel=rbf|linear|poly|sigmoid,\n"
	"                             gamma=scale|auto|NUM, degree, coef0,\n"
	"                             probability=0|1, shrinking=0|1, cache_size\n"
	"  -r, --rounds N           xgboost boosting rounds (default 100)\n"
	"  -w, --class-weight W     none (default), balanced (n / (K n_k)), or one\n"
	"                           weight per class: 1,9\n"
	"  -s, --seed N             seed for the library's sampling (default 0)\n"
	"  -t, --threads N          xgboost threads (default 0: all cores)\n"
	"  -f, --frame NAME         train on the dataset frame NAME (default train)\n"
	"  -k, --keep-train         forward the train frame too, before the model\n"
	"  -o, --output FILE        write to FILE (atomically) instead of stdout\n"
	"  -q, --quiet              no log line on stderr\n"
	"  -v, --verbose            let LIBLINEAR/LIBSVM print their progress (stderr)\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"xgboost defaults are the paper's: 100 rounds, eta 0.3, max_depth 6,\n"
	"subsample 0.5, tree_method hist (--param tree_method=exact for exact).\n"
	"linear-svm is LIBLINEAR's L2-regularised squared hinge, primal (what\n"
	"scikit-learn's LinearSVC solves), C 1, bias 1. svm is LIBSVM's C-SVC,\n"
	"RBF kernel, C 1, gamma 1/(D var(x)).\n"
	"\n"
	"Example: imb-import adult | imb-split --train-ratio 0.1 --seed 1 \\\n"
	"           | imb-train --model xgboost | imb-eval\n";

int main(int argc, char **argv)
{
	imb_cli_init("imb-train", argc, argv);
	static const struct option opts[] = {
		{"model", required_argument, 0, 'm'},
		{"param", required_argument, 0, 'p'},
		{"rounds", required_argument, 0, 'r'},
		{"class-weight", required_argument, 0, 'w'},
		{"seed", required_argument, 0, 's'},
		{"threads", required_argument, 0, 't'},
		{"frame", required_argument, 0, 'f'},
		{"keep-train", no_argument, 0, 'k'},
		{"output", required_argument, 0, 'o'},
		{"quiet", no_argument, 0, 'q'},
		{"verbose", no_argument, 0, 'v'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	imb_tabular_opts o;
	imb_tabular_opts_init(&o);
	const char *frame = "train", *output = NULL;
	int keep = 0, c;
	double *cw = NULL;
	o.keys = imb_xmalloc((size_t)argc * sizeof *o.keys);
	o.vals = imb_xmalloc((size_t)argc * sizeof *o.vals);
	while ((c = getopt_long(argc, argv, "m:p:r:w:s:t:f:ko:qvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'm': o.model = optarg; break;
		case 'p': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				imb_usage("--param: '%s' is not KEY=VALUE", optarg);
			/* copies: argv itself goes into attrs.history */
			o.keys[o.nparams] = imb_xstrdup(optarg);
			((char *)o.keys[o.nparams])[eq - optarg] = 0;
			o.vals[o.nparams++] = eq + 1;
			break;
		}
		case 'r': o.rounds = (int)imb_arg_long("--rounds", optarg, 1, 10000000); break;
		case 'w':
			if (!strcmp(optarg, "none"))
				o.cw = IMB_CW_NONE;
			else if (!strcmp(optarg, "balanced"))
				o.cw = IMB_CW_BALANCED;
			else {
				free(cw);
				o.cw_n = imb_arg_doubles("--class-weight", optarg, &cw);
				o.cw_list = cw;
				o.cw = IMB_CW_LIST;
			}
			break;
		case 's': o.seed = imb_arg_seed("--seed", optarg); break;
		case 't': o.threads = (int)imb_arg_long("--threads", optarg, 0, 4096); break;
		case 'f': frame = optarg; break;
		case 'k': keep = 1; break;
		case 'o': output = optarg; break;
		case 'q': imb_quiet(1); break;
		case 'v': o.verbose = 1; break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	if (argc - optind > 1)
		imb_usage("one input file at most, got %d", argc - optind);
	const char *msg = imb_tabular_check(&o);
	if (msg)
		imb_usage("%s", msg);

	imb_reader *r = imb_open_input(optind < argc ? argv[optind] : "-");
	imb_writer *w = imb_open_output(output);
	imb_frame *f;
	int found = 0;
	long nframes = 0;
	while ((f = imb_next(r))) {
		nframes++;
		if (found || strcmp(f->kind, "dataset") || strcmp(f->name, frame)) {
			imb_emit(w, f);
			imb_frame_free(f);
			continue;
		}
		found = 1;
		imb_frame *m;
		char summary[256] = "";
		int rc = imb_tabular_train(f, &o, &m, summary, sizeof summary);
		if (rc == -2)
			imb_usage("%s", imb_error());
		if (rc < 0)
			imb_die(1, "%s", imb_error());
		imb_history_append(m, (int64_t)o.seed);
		imb_log("%s", summary);
		if (keep)
			imb_emit(w, f);
		imb_emit(w, m);
		imb_frame_free(m);
		imb_frame_free(f);
	}
	if (!found)
		imb_die(1, "no dataset frame named '%s' in the input (%ld frame%s read)", frame,
		        nframes, nframes == 1 ? "" : "s");
	imb_reader_close(r);
	imb_finish(w);
	free(cw);
	for (size_t i = 0; i < o.nparams; i++)
		free((char *)o.keys[i]);
	free(o.keys);
	free(o.vals);
	return 0;
}
