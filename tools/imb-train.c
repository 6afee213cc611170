/* imb-train: train a tabular model (XGBoost, linear SVM, kernel SVM) or a
 * network (lib/nn_train.h) on the train frame of a stream; the model frame
 * takes its place (a network's training log follows it). */
#include "cli.h"
#include "nn_model.h"
#include "nn_loss.h"
#include "nn_frame.h"
#include "nn_train.h"
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
	"  -m, --model KIND         xgboost (default), linear-svm, svm, or a network:\n"
	"                           mlp:W1,W2,... (hidden widths), resnet8, resnet20,\n"
	"                           resnet32, resnet44, resnet56, resnet110 (CIFAR\n"
	"                           ResNets), resnet18, resnet34 (their CIFAR variant)\n"
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
	"  -s, --seed N             seed for the library's sampling, or a network's\n"
	"                           initialisation and loader (default 0)\n"
	"  -t, --threads N          threads (default 0: one per core)\n"
	"  -f, --frame NAME         train on the dataset frame NAME (default train)\n"
	"  -k, --keep-train         forward the train frame too, before the model\n"
	"  -o, --output FILE        write to FILE (atomically) instead of stdout\n"
	"  -q, --quiet              no log line on stderr\n"
	"  -v, --verbose            let LIBLINEAR/LIBSVM print their progress (stderr)\n"
	"\n"
	"Networks (--model ARCH; x (N,C,H,W) or (N,H,W) u8 images, or (N,D) vectors):\n"
	"  -e, --epochs N           epochs (default 10)\n"
	"  -b, --batch-size N       batch size (default 128)\n"
	"  -l, --lr X               learning rate (default 0.1 sgd, 0.001 adamw)\n"
	"      --schedule S         cosine (default), cosine:MIN_LR, step (x0.1 every\n"
	"                           third of the epochs), step:EPOCHS:GAMMA, none;\n"
	"                           set per step\n"
	"      --warmup EPOCHS      linear warm-up from lr/10 (default 0)\n"
	"      --optimizer O        sgd (default) or adamw\n"
	"      --momentum X         SGD momentum (default 0.9)\n"
	"      --nesterov           Nesterov momentum\n"
	"      --weight-decay X     default 5e-4 (sgd), 0.01 (adamw, decoupled)\n"
	"      --loss L             ce (default), weighted-ce (inverse class\n"
	"                           frequency), focal, logit-adjusted, ldam\n"
	"      --focal-gamma X      focal loss exponent (default 2)\n"
	"      --tau X              logit adjustment strength (default 1)\n"
	"      --sampler S          plain (default) or balanced (every class drawn\n"
	"                           equally often: oversampling in the loader)\n"
	"      --augment A          crop-flip (pad 4, random crop, horizontal flip) or\n"
	"                           none; default crop-flip for images of at least\n"
	"                           16x16, none otherwise\n"
	"      --init               start from the first network model frame in the\n"
	"                           stream (fine-tuning); it is consumed\n"
	"      --freeze backbone    train only the last linear layer (linear probe)\n"
	"      --checkpoint FILE    write a checkpoint (atomically) every N epochs\n"
	"      --checkpoint-every N (default 1) and after the last epoch\n"
	"      --resume FILE        continue from a checkpoint: the same seed, data\n"
	"                           and threads give the same model bytes\n"
	"      --stop-after N       stop after epoch N (resume later)\n"
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

enum {
	O_SCHEDULE = 256, O_WARMUP, O_OPTIMIZER, O_MOMENTUM, O_NESTEROV, O_WD, O_LOSS, O_GAMMA,
	O_TAU, O_SAMPLER, O_AUGMENT, O_INIT, O_FREEZE, O_CKPT, O_CKPT_EVERY, O_RESUME, O_STOP,
};

static int is_tabular(const char *m)
{
	return !strcmp(m, "xgboost") || !strcmp(m, "linear-svm") || !strcmp(m, "svm");
}

static int pick(const char *flag, const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return i;
	char known[256] = "";
	for (int i = 0; i < n; i++) {
		strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
		strncat(known, names[i], sizeof known - strlen(known) - 1);
	}
	imb_usage("%s: unknown value '%s' (known: %s)", flag, v, known);
}

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
		{"epochs", required_argument, 0, 'e'},
		{"batch-size", required_argument, 0, 'b'},
		{"lr", required_argument, 0, 'l'},
		{"schedule", required_argument, 0, O_SCHEDULE},
		{"warmup", required_argument, 0, O_WARMUP},
		{"optimizer", required_argument, 0, O_OPTIMIZER},
		{"momentum", required_argument, 0, O_MOMENTUM},
		{"nesterov", no_argument, 0, O_NESTEROV},
		{"weight-decay", required_argument, 0, O_WD},
		{"loss", required_argument, 0, O_LOSS},
		{"focal-gamma", required_argument, 0, O_GAMMA},
		{"tau", required_argument, 0, O_TAU},
		{"sampler", required_argument, 0, O_SAMPLER},
		{"augment", required_argument, 0, O_AUGMENT},
		{"init", no_argument, 0, O_INIT},
		{"freeze", required_argument, 0, O_FREEZE},
		{"checkpoint", required_argument, 0, O_CKPT},
		{"checkpoint-every", required_argument, 0, O_CKPT_EVERY},
		{"resume", required_argument, 0, O_RESUME},
		{"stop-after", required_argument, 0, O_STOP},
		{0, 0, 0, 0},
	};
	static const char *const optimizers[] = {"sgd", "adamw"};
	static const char *const samplers[] = {"plain", "balanced"};
	static const char *const augments[] = {"none", "crop-flip"};
	static const char *const freezes[] = {"none", "backbone"};
	imb_tabular_opts o;
	imb_tabular_opts_init(&o);
	imb_nn_train_opts no;
	imb_nn_train_opts_init(&no);
	const char *frame = "train", *output = NULL, *model = NULL;
	const char *nn_flag = NULL, *tab_flag = NULL;  /* one flag of each family, for errors */
	int keep = 0, init = 0, c;
	double *cw = NULL;
	o.keys = imb_xmalloc((size_t)argc * sizeof *o.keys);
	o.vals = imb_xmalloc((size_t)argc * sizeof *o.vals);
	while ((c = getopt_long(argc, argv, "m:p:r:w:s:t:f:ko:qvhVe:b:l:", opts, NULL)) != -1) {
		for (const struct option *q = opts; q->name; q++)
			if (q->val == c) {
				if (c >= O_SCHEDULE || c == 'e' || c == 'b' || c == 'l')
					nn_flag = q->name;
				if (c == 'p' || c == 'r' || c == 'w' || c == 'v')
					tab_flag = q->name;
			}
		switch (c) {
		case 'm': model = optarg; break;
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
		case 's': o.seed = no.seed = imb_arg_seed("--seed", optarg); break;
		case 't': o.threads = no.threads = (int)imb_arg_long("--threads", optarg, 0, 4096); break;
		case 'f': frame = optarg; break;
		case 'k': keep = 1; break;
		case 'o': output = optarg; break;
		case 'q': imb_quiet(1); no.quiet = 1; break;
		case 'v': o.verbose = 1; break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		case 'e': no.epochs = (int)imb_arg_long("--epochs", optarg, 1, 1000000); break;
		case 'b': no.batch = (int)imb_arg_long("--batch-size", optarg, 2, 1 << 20); break;
		case 'l': no.lr = imb_arg_double("--lr", optarg, 0, 1e6); break;
		case O_SCHEDULE: no.schedule = optarg; break;
		case O_WARMUP: no.warmup = imb_arg_double("--warmup", optarg, 0, 1e6); break;
		case O_OPTIMIZER: no.optimizer = pick("--optimizer", optarg, optimizers, 2) ?
		                                 IMB_NN_OPT_ADAMW : IMB_NN_OPT_SGD; break;
		case O_MOMENTUM: no.momentum = imb_arg_double("--momentum", optarg, 0, 0.999999); break;
		case O_NESTEROV: no.nesterov = 1; break;
		case O_WD: no.weight_decay = imb_arg_double("--weight-decay", optarg, 0, 1e3); break;
		case O_LOSS:
			if ((no.loss = imb_nn_loss_kind_parse(optarg)) < 0)
				imb_usage("--loss: unknown loss '%s' (known: ce, weighted-ce, focal, "
				          "logit-adjusted, ldam)", optarg);
			break;
		case O_GAMMA: no.focal_gamma = imb_arg_double("--focal-gamma", optarg, 0, 100); break;
		case O_TAU: no.tau = imb_arg_double("--tau", optarg, 0, 100); break;
		case O_SAMPLER: no.sampler = pick("--sampler", optarg, samplers, 2) ?
		                             IMB_NN_SAMPLER_BALANCED : IMB_NN_SAMPLER_PLAIN; break;
		case O_AUGMENT: no.augment = pick("--augment", optarg, augments, 2) ?
		                             IMB_NN_AUG_CROP_FLIP : IMB_NN_AUG_NONE; break;
		case O_INIT: init = 1; break;
		case O_FREEZE: no.freeze_backbone = pick("--freeze", optarg, freezes, 2); break;
		case O_CKPT: no.checkpoint = optarg; break;
		case O_CKPT_EVERY:
			no.checkpoint_every = (int)imb_arg_long("--checkpoint-every", optarg, 1, 1000000);
			break;
		case O_RESUME: no.resume = optarg; break;
		case O_STOP: no.stop_after = (int)imb_arg_long("--stop-after", optarg, 1, 1000000); break;
		default: imb_usage("unknown option");
		}
	}
	if (argc - optind > 1)
		imb_usage("one input file at most, got %d", argc - optind);
	/* tabular or network: by --model (networks by name), or --init */
	int nn = init || (model && !is_tabular(model));
	if (nn) {
		if (model && imb_nn_arch_check(model) < 0)
			imb_usage("--model: unknown model '%s' (tabular: xgboost, linear-svm, svm; "
			          "networks: mlp:W1,W2,..., resnet8/20/32/44/56/110, resnet18/34)", model);
		if (tab_flag)
			imb_usage("--%s applies to tabular models, not to --model %s", tab_flag,
			          model ? model : "(--init)");
		no.arch = model;
		const char *msg = imb_nn_train_check(&no);
		if (msg)
			imb_usage("%s", msg);
	} else {
		if (nn_flag)
			imb_usage("--%s applies to networks, not to --model %s", nn_flag,
			          model ? model : "xgboost");
		if (model)
			o.model = model;
		const char *msg = imb_tabular_check(&o);
		if (msg)
			imb_usage("%s", msg);
	}

	imb_reader *r = imb_open_input(optind < argc ? argv[optind] : "-");
	imb_writer *w = imb_open_output(output);
	imb_frame *f, *train = NULL, *initf = NULL;
	imb_frame **held = NULL;   /* frames after train, held while waiting for --init's */
	size_t nheld = 0;
	int found = 0;
	long nframes = 0;
	while ((f = imb_next(r))) {
		nframes++;
		if (nn && init && !initf && imb_nn_is_model_frame(f)) {
			initf = f;
		} else if (!found && !strcmp(f->kind, "dataset") && !strcmp(f->name, frame)) {
			found = 1;
			train = f;
		} else if (train && init && !initf) {
			held = imb_xrealloc(held, (nheld + 1) * sizeof *held);
			held[nheld++] = f;
			continue;
		} else {
			imb_emit(w, f);
			imb_frame_free(f);
			continue;
		}
		if (!train || (init && !initf))
			continue;
		/* train (and the init model) in hand */
		if (nn) {
			imb_frame *m, *log;
			char summary[256] = "";
			if (imb_nn_train(train, initf, &no, &m, &log, summary, sizeof summary) < 0)
				imb_die(1, "%s", imb_error());
			imb_history_append(m, (int64_t)no.seed);
			imb_history_append(log, (int64_t)no.seed);
			imb_log("%s", summary);
			if (keep)
				imb_emit(w, train);
			imb_emit(w, m);
			imb_emit(w, log);
			imb_frame_free(m);
			imb_frame_free(log);
		} else {
			imb_frame *m;
			char summary[256] = "";
			int rc = imb_tabular_train(train, &o, &m, summary, sizeof summary);
			if (rc == -2)
				imb_usage("%s", imb_error());
			if (rc < 0)
				imb_die(1, "%s", imb_error());
			imb_history_append(m, (int64_t)o.seed);
			imb_log("%s", summary);
			if (keep)
				imb_emit(w, train);
			imb_emit(w, m);
			imb_frame_free(m);
		}
		imb_frame_free(train);
		imb_frame_free(initf);
		train = NULL;
		initf = NULL;
		init = 0;        /* done: every later frame passes through */
		for (size_t i = 0; i < nheld; i++) {
			imb_emit(w, held[i]);
			imb_frame_free(held[i]);
		}
		nheld = 0;
	}
	if (!found)
		imb_die(1, "no dataset frame named '%s' in the input (%ld frame%s read)", frame,
		        nframes, nframes == 1 ? "" : "s");
	if (train)
		imb_die(1, "--init: no network model frame (kind 'model', attrs.model 'nn') in the "
		        "input (%ld frame%s read)", nframes, nframes == 1 ? "" : "s");
	imb_reader_close(r);
	imb_finish(w);
	free(held);
	free(cw);
	for (size_t i = 0; i < o.nparams; i++)
		free((char *)o.keys[i]);
	free(o.keys);
	free(o.vals);
	return 0;
}
