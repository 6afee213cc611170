/* imb-train: train a tabular model (XGBoost, linear SVM, kernel SVM) or a
 * network (lib/nn_train.h) on the train frame of a stream; the model frame
 * takes its place (a network's training log follows it). */
#include "cli.h"
#include "nn_flags.h"
#include "nn_model.h"
#include "nn_tool.h"
#include "nn_train.h"
#include "route.h"
#include "tabular.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_head[] =
	"Usage: imb-train [OPTION...] [FILE]\n"
	"Train a model on the dataset frame named 'train' and write a model frame\n"
	"(kind 'model', name 'model') in its place; every other frame passes\n"
	"through unchanged and in order. FILE '-' or none reads stdin.\n"
	"\n"
	"  -m, --model KIND         xgboost (default), linear-svm, svm, or a network:\n"
	"                           linear (softmax regression), mlp:W1,W2,... (hidden\n"
	"                           widths), resnet8, resnet20, resnet32, resnet44,\n"
	"                           resnet56, resnet110 (CIFAR ResNets), resnet18,\n"
	"                           resnet34 (their CIFAR variant); all but linear take\n"
	"                           a head of several layers: resnet18+mlp:512\n"
	"  -p, --param K=V          a model parameter; repeatable, later ones win.\n"
	"                           xgboost: eta, max_depth, subsample, lambda, ...\n"
	"                             (the CPU tree booster's; imb-train(1) lists\n"
	"                             them), num_boost_round;\n"
	"                           linear-svm: C, eps, bias,\n"
	"                             solver=primal|dual|l1loss-dual|crammer-singer|l1r;\n"
	"                           svm: C, eps, kernel=rbf|linear|poly|sigmoid,\n"
	"                             gamma=scale|auto|NUM, degree, coef0,\n"
	"                             probability=0|1, shrinking=0|1, cache_size\n"
	"  -r, --rounds N           xgboost boosting rounds (default 100)\n"
	"  -w, --class-weight W     none (default), balanced (n / (K n_k)), or one\n"
	"                           weight per class: 1,9\n"
	"  -s, --seed N             seed for the library's sampling, or a network's\n"
	"                           initialisation and loader (default 0)\n"
	"  -t, --threads N          threads (default 0: one per core)\n"
	"  -f, --frame NAME         train on the dataset frame NAME (default train)\n"
	"  -k, --keep-train         forward the train frame too, before the model\n"
	"  -o, --output FILE        write to FILE (atomically) instead of stdout\n"
	"  -q, --quiet              no log line on stderr\n"
	"  -v, --verbose            let LIBLINEAR/LIBSVM print their progress (stderr)\n"
	"      --scale S            linear-svm, svm: standard (zero mean, unit\n"
	"                           variance) or minmax ([0, 1]) per feature, from\n"
	"                           the train frame; the model keeps the statistics\n"
	"                           and prediction applies them\n"
	"      --val-frame NAME, --early-stopping N, --early-metric M\n"
	"                           xgboost as networks (below): stop once the\n"
	"                           metric on the dataset frame NAME has not improved\n"
	"                           for N rounds, keep the best round's trees\n"
	"\n"
	"Networks (--model ARCH; x (N,C,H,W) or (N,H,W) u8 images, or (N,D) vectors):\n";

static const char usage_tail[] =
"A network's model frame is followed by a log frame (kind 'log', name\n"
	"'train') with the loss and accuracy of each epoch, overall and per class;\n"
	"unless --quiet each epoch also prints a line on stderr.\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"xgboost defaults are the paper's: 100 rounds, eta 0.3, max_depth 6,\n"
	"subsample 0.5, tree_method hist (--param tree_method=exact for exact).\n"
	"linear-svm is LIBLINEAR's L2-regularised squared hinge, primal (what\n"
	"scikit-learn's LinearSVC solves), C 1, bias 1. svm is LIBSVM's C-SVC,\n"
	"RBF kernel, C 1, gamma 1/(D var(x)).\n"
	"\n"
	"Examples: imb-import adult | imb-split --train-ratio 0.1 --seed 1 \\\n"
	"            | imb-train --model xgboost | imb-eval\n"
	"  imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.05 \\\n"
	"    --n-train 2000 --n-test 1000 --seed 2 | imb-train --model resnet8 \\\n"
	"    --epochs 3 --batch-size 128 --lr 0.05 --seed 1 | imb-eval --format tsv\n";

static int is_tabular(const char *m)
{
	return !strcmp(m, "xgboost") || !strcmp(m, "linear-svm") || !strcmp(m, "svm");
}

_Noreturn static void help(void)
{
	char *nn = imb_nn_flags_help(0);
	size_t n = strlen(usage_head) + strlen(nn) + strlen(usage_tail) + 1;
	char *text = imb_xmalloc(n);
	snprintf(text, n, "%s%s%s", usage_head, nn, usage_tail);
	imb_help(text);
}

/* what the router hands a tabular training */
typedef struct {
	int keep;
	imb_tabular_opts *o;
} job;

static int run(void *ctx, imb_route_want *want, int nwant, imb_frame **out, int *nout)
{
	job *j = ctx;
	imb_frame *train = want[0].f, *m;
	char summary[256] = "";
	if (nwant > 1)
		j->o->val = want[1].f;
	int rc = imb_tabular_train(train, j->o, &m, summary, sizeof summary);
	if (rc == -2)
		imb_usage("%s", imb_error());
	if (rc < 0)
		imb_die(1, "%s", imb_error());
	imb_history_append(m, (int64_t)j->o->seed);
	imb_log("%s", summary);
	*nout = 0;
	if (j->keep)
		out[(*nout)++] = train;
	out[(*nout)++] = m;
	return 0;
}

int main(int argc, char **argv)
{
	imb_cli_init("imb-train", argc, argv);
	static const struct option own[] = {
		{"model", required_argument, 0, 'm'},
		{"param", required_argument, 0, 'p'},
		{"rounds", required_argument, 0, 'r'},
		{"class-weight", required_argument, 0, 'w'},
		{"frame", required_argument, 0, 'f'},
		{"keep-train", no_argument, 0, 'k'},
		{"output", required_argument, 0, 'o'},
		{"quiet", no_argument, 0, 'q'},
		{"verbose", no_argument, 0, 'v'},
		{"scale", required_argument, 0, 'S'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
	};
	enum { NOWN = sizeof own / sizeof *own };
	struct option opts[NOWN + IMB_NN_FLAGS_MAX + 1];
	char shortopts[64];
	imb_nn_flags_getopt(opts, own, NOWN, shortopts, sizeof shortopts, "m:p:r:w:f:ko:qvhV");
	imb_tabular_opts o;
	imb_tabular_opts_init(&o);
	imb_nn_train_opts no;
	imb_nn_train_opts_init(&no);
	imb_nn_flags fl = {0};
	const char *frame = "train", *output = NULL, *model = NULL;
	const char *tab_flag = NULL;  /* one tabular flag, for errors */
	int keep = 0, c;
	double *cw = NULL;
	o.keys = imb_xmalloc((size_t)argc * sizeof *o.keys);
	o.vals = imb_xmalloc((size_t)argc * sizeof *o.vals);
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (imb_nn_flags_parse(&fl, &no, c, optarg))
			continue;
		switch (c) {
		case 'm': model = optarg; break;
		case 'p': {
			tab_flag = "param";
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				imb_usage("--param: '%s' is not KEY=VALUE", optarg);
			/* copies: argv itself goes into attrs.history */
			o.keys[o.nparams] = imb_xstrdup(optarg);
			((char *)o.keys[o.nparams])[eq - optarg] = 0;
			o.vals[o.nparams++] = eq + 1;
			break;
		}
		case 'r':
			tab_flag = "rounds";
			o.rounds = (int)imb_arg_long("--rounds", optarg, 1, 10000000);
			break;
		case 'w':
			tab_flag = "class-weight";
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
		case 'f': frame = optarg; break;
		case 'k': keep = 1; break;
		case 'o': output = optarg; break;
		case 'q': imb_quiet(1); no.quiet = 1; break;
		case 'v': tab_flag = "verbose"; o.verbose = 1; break;
		case 'S': tab_flag = "scale"; o.scale = optarg; break;
		case 'h': help(); /* no return */
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	if (argc - optind > 1)
		imb_usage("one input file at most, got %d", argc - optind);
	o.seed = no.seed;
	o.threads = no.threads;
	/* tabular or network: by --model (networks by name), --init or --resume */
	int nn = no.init || (model ? !is_tabular(model) : no.resume != NULL);
	if (nn) {
		if (model && imb_nn_arch_check(model) < 0)
			imb_usage("--model: unknown model '%s' (tabular: xgboost, linear-svm, svm; "
			          "networks: linear, mlp:W1,W2,..., resnet8/20/32/44/56/110, resnet18/34, "
			          "each but linear with an optional head +mlp:V1,V2,...)", model);
		if (tab_flag)
			imb_usage("--%s applies to tabular models, not to --model %s", tab_flag,
			          model ? model : no.init ? "(--init)" : "(--resume)");
		no.arch = model;
		int code;
		const char *msg = imb_nn_flags_finish(&fl, &no, frame, model != NULL, &code);
		if (msg && code == 1)
			imb_die(1, "%s", msg);
		if (msg)
			imb_usage("%s", msg);
	} else {
		/* the network flags a tabular model takes too: XGBoost's early stopping */
		static const char *const shared[] = {"val-frame", "early-stopping", "early-metric"};
		const char *nn_flag = imb_nn_flags_first_except(&fl, shared, IMB_LEN(shared));
		if (nn_flag)
			imb_usage("--%s applies to networks, not to --model %s", nn_flag,
			          model ? model : "xgboost");
		if (model)
			o.model = model;
		o.val_frame = no.val_frame;
		o.early_stopping = no.early_stopping;
		o.early_metric = no.early_metric;
		if (o.val_frame && !strcmp(o.val_frame, frame))
			imb_usage("--val-frame %s: the train frame itself", o.val_frame);
		const char *msg = imb_tabular_check(&o);
		if (msg)
			imb_usage("%s", msg);
	}

	/* a network: the train frame, --init's and --val-frame's; a tabular
	 * model: the train frame; the model takes the train frame's place */
	imb_reader *r = imb_open_input(optind < argc ? argv[optind] : "-");
	imb_writer *w = imb_open_output(output);
	if (nn) {
		if (imb_nn_tool_train(r, w, frame, keep, &no) < 0)
			imb_die(1, "%s", imb_error());
	} else {
		imb_route_want want[2] = {{"dataset", frame, NULL, 0, NULL},
		                          {"dataset", o.val_frame, NULL, 1, NULL}};
		job j = {keep, &o};
		long nframes;
		int rc = imb_route(r, w, want, o.val_frame ? 2 : 1, run, &j, &nframes);
		if (rc == 1)
			imb_die(1, "no dataset frame named '%s' in the input (%ld frame%s read)", frame,
			        nframes, nframes == 1 ? "" : "s");
		if (rc == 2)
			imb_die(1, "--val-frame: no dataset frame named '%s' in the input (%ld frame%s "
			        "read)", o.val_frame, nframes, nframes == 1 ? "" : "s");
	}
	imb_reader_close(r);
	imb_finish(w);
	imb_nn_flags_free(&fl);
	free(cw);
	for (size_t i = 0; i < o.nparams; i++)
		free((char *)o.keys[i]);
	free(o.keys);
	free(o.vals);
	return 0;
}
