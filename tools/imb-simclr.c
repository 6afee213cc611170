/* imb-simclr: self-supervised pre-training (SimCLR) of a network's
 * backbone on the train frame of a stream, its labels unread: the shared
 * training loop (lib/nn_train.h) with the NT-Xent objective, two views of
 * each image through SimCLR's augmentation, a projection head, LARS. The
 * encoder frame (the backbone; the head dropped) follows the train frame,
 * for imb-train --init. */
#include "cli.h"
#include "nn_flags.h"
#include "nn_model.h"
#include "nn_tool.h"
#include "nn_train.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_head[] =
	"Usage: imb-simclr [OPTION...] [FILE]\n"
	"Pre-train a network's backbone with SimCLR on the dataset frame named\n"
	"'train', without reading its labels, and write an encoder frame (kind\n"
	"'model', attrs.encoder) after it, then a log frame; the train frame and\n"
	"every other frame pass through unchanged and in order. Fine-tune the\n"
	"encoder with imb-train --init (--freeze backbone: a linear probe).\n"
	"FILE '-' or none reads stdin. Each batch holds two views of each image\n"
	"(random resized crop 0.08-1, flip, colour jitter 0.4/0.4/0.4/0.1 with p\n"
	"0.8 and grayscale with p 0.2 for colour images); the NT-Xent loss pulls\n"
	"a sample's two views together against every other view in the batch.\n"
	"\n"
	"  -m, --model ARCH         the backbone: mlp:W1,..., resnet8/20/32/44/56/110,\n"
	"                           resnet18/34 (u8 images (N,C,H,W) or (N,H,W))\n"
	"      --temperature T      NT-Xent's temperature (default 0.5)\n"
	"      --proj-hidden W      the projection head's hidden width (default 4 x\n"
	"                           the backbone's features: 512-2048-128 for\n"
	"                           resnet18); 0: no hidden layer\n"
	"      --proj-dim N         the projection's output width (default 128)\n"
	"      --monitor-frame NAME\n"
	"                           after each epoch (and before the first), the\n"
	"                           weighted k-NN accuracy, overall and per class, of\n"
	"                           the dataset frame NAME (forwarded unchanged; it\n"
	"                           needs labels) with the train set's labelled\n"
	"                           features as neighbours: on the epoch line and in\n"
	"                           the log frame (knn_acc, knn_per_class_acc, ...)\n"
	"      --knn-k K            the monitor's neighbours (default 200)\n"
	"      --knn-t T            its temperature: weights exp(cos / T) (default 0.1)\n"
	"      --monitor-every N    the monitor after every N epochs and the last\n"
	"                           (default 1)\n";

static const char usage_own[] =
	"  -f, --frame NAME         train on the dataset frame NAME (default train)\n"
	"  -o, --output FILE        write to FILE (atomically) instead of stdout\n"
	"  -q, --quiet              no log lines on stderr\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"Defaults that differ from imb-train's (SimCLR's CIFAR recipe): --batch-size\n"
	"512, --optimizer lars with --lr 0.3 x batch / 256 and --weight-decay 1e-6\n"
	"(sgd: --lr 0.06 x batch / 256, --weight-decay 5e-4), --warmup 10 epochs\n"
	"(a tenth of --epochs when fewer than 100), cosine schedule, --augment\n"
	"simclr. The log frame holds each epoch's NT-Xent loss.\n"
	"\n"
	"Example: imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.05 \\\n"
	"    --n-train 2000 --n-test 1000 --seed 2 | imb-simclr --model resnet8 \\\n"
	"    --epochs 5 --batch-size 256 --seed 1 | imb-train --init --freeze backbone \\\n"
	"    --epochs 5 --seed 1 | imb-eval --format tsv\n";

_Noreturn static void help(void)
{
	char *nn = imb_nn_flags_help_groups(IMB_NN_FLAGS_GENERAL, 1);
	size_t n = strlen(usage_head) + strlen(nn) + strlen(usage_own) + 64;
	char *text = imb_xmalloc(n);
	snprintf(text, n, "%s\nTraining:\n%s%s", usage_head, nn, usage_own);
	imb_help(text);
}

/* a setting of the checkpoint's params (key) into *v unless given;
 * NULL, or a message when a given one differs */
static const char *resume_own(const imb_val *ck, const char *key, const char *flag, double *v,
                              int given)
{
	static char msg[256];
	const imb_val *x = imb_val_get(ck, key);
	if (!x)
		return NULL;
	double c = imb_val_as_double(x, *v);
	if (!given) {
		*v = c;
		return NULL;
	}
	if (c == *v)
		return NULL;
	snprintf(msg, sizeof msg, "%s %g: the checkpoint was made with %s %g; leave %s out to take "
	         "the checkpoint's", flag, *v, flag, c, flag);
	return msg;
}

/* flags of the shared table that only supervised training reads */
static const char *const supervised[] = { "loss", "focal-gamma", "tau", "sampler", "freeze",
                                          "val-frame", "step" };

int main(int argc, char **argv)
{
	imb_cli_init("imb-simclr", argc, argv);
	enum { O_TEMP = 0x100, O_HID, O_DIM, O_MON, O_KNNK, O_KNNT, O_EVERY };
	static const struct option own[] = {
		{"model", required_argument, 0, 'm'},
		{"temperature", required_argument, 0, O_TEMP},
		{"proj-hidden", required_argument, 0, O_HID},
		{"proj-dim", required_argument, 0, O_DIM},
		{"monitor-frame", required_argument, 0, O_MON},
		{"knn-k", required_argument, 0, O_KNNK},
		{"knn-t", required_argument, 0, O_KNNT},
		{"monitor-every", required_argument, 0, O_EVERY},
		{"frame", required_argument, 0, 'f'},
		{"output", required_argument, 0, 'o'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
	};
	enum { NOWN = sizeof own / sizeof *own };
	struct option opts[NOWN + IMB_NN_FLAGS_MAX + 1];
	char shortopts[64];
	imb_nn_flags_getopt(opts, own, NOWN, shortopts, sizeof shortopts, "m:f:o:qhV");
	imb_nn_train_opts o;
	imb_nn_train_opts_init(&o);
	o.objective = IMB_NN_OBJ_NTXENT;
	o.encoder = 1;
	o.augment = IMB_NN_AUG_SIMCLR;
	o.batch = 512;
	o.weight_decay = -1;
	o.outputs = 128;
	imb_nn_flags fl = {0};
	const char *frame = "train", *output = NULL, *model = NULL;
	int c, temp_given = 0, dim_given = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (imb_nn_flags_parse(&fl, &o, c, optarg))
			continue;
		switch (c) {
		case 'm': model = optarg; break;
		case O_TEMP:
			o.temperature = imb_arg_double("--temperature", optarg, -1e300, 1e6);
			if (!(o.temperature > 0))
				imb_usage("--temperature %s: must be > 0 (the similarities are divided by it)",
				          optarg);
			temp_given = 1;
			break;
		case O_HID: {
			long w = imb_arg_long("--proj-hidden", optarg, 0, 1 << 20);
			o.proj_hidden = w == 0 ? -1 : (int)w;
			break;
		}
		case O_DIM:
			o.outputs = (int)imb_arg_long("--proj-dim", optarg, 1, 1 << 20);
			dim_given = 1;
			break;
		case O_MON: o.monitor_frame = optarg; break;
		case O_KNNK: o.knn_k = (int)imb_arg_long("--knn-k", optarg, 1, 1 << 30); break;
		case O_KNNT: o.knn_t = imb_arg_double("--knn-t", optarg, 1e-6, 1e6); break;
		case O_EVERY:
			o.knn_every = (int)imb_arg_long("--monitor-every", optarg, 1, 1000000);
			break;
		case 'f': frame = optarg; break;
		case 'o': output = optarg; break;
		case 'q': imb_quiet(1); o.quiet = 1; break;
		case 'h': help(); /* no return */
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	if (argc - optind > 1)
		imb_usage("one input file at most, got %d", argc - optind);
	for (size_t i = 0; i < IMB_LEN(supervised); i++)
		if (imb_nn_flags_given(&fl, supervised[i]))
			imb_usage("--%s: imb-simclr reads no labels (it minimises NT-Xent); --%s is "
			          "imb-train's", supervised[i], supervised[i]);
	if (model && (!strcmp(model, "xgboost") || !strcmp(model, "linear-svm") ||
	              !strcmp(model, "svm")))
		imb_usage("--model %s: imb-simclr pre-trains networks", model);
	if (model && imb_nn_arch_check(model) < 0)
		imb_usage("--model: unknown network '%s' (mlp:W1,W2,..., resnet8/20/32/44/56/110, "
		          "resnet18/34)", model);
	if (model && (strchr(model, '+') || !strcmp(model, "linear")))
		imb_usage("--model %s: give a backbone alone (imb-simclr adds the projection head)",
		          model);
	if ((o.knn_k || o.knn_t || o.knn_every) && !o.monitor_frame)
		imb_usage("--knn-k, --knn-t and --monitor-every set the monitor: give "
		          "--monitor-frame NAME");
	if (o.monitor_frame && !strcmp(o.monitor_frame, frame))
		imb_usage("--monitor-frame %s: the train frame itself (the monitor's neighbours)",
		          frame);
	if (!model && !o.init && !o.resume)
		imb_usage("no network: give --model ARCH (or --init, --resume)");
	if (!imb_nn_flags_given(&fl, "optimizer"))
		o.optimizer = IMB_NN_OPT_LARS;
	if (o.optimizer == IMB_NN_OPT_ADAMW)
		imb_usage("--optimizer adamw: imb-simclr takes lars (SimCLR's) or sgd");
	int lars = o.optimizer == IMB_NN_OPT_LARS;
	if (imb_nn_flags_given(&fl, "trust") && !lars)
		imb_usage("--trust applies to --optimizer lars");
	if (!imb_nn_flags_given(&fl, "lr"))
		o.lr = (lars ? 0.3 : 0.06) * o.batch / 256;
	if (!imb_nn_flags_given(&fl, "weight-decay"))
		o.weight_decay = lars ? 1e-6 : 5e-4;
	if (!imb_nn_flags_given(&fl, "warmup"))
		o.warmup = o.epochs >= 100 ? 10 : o.epochs / 10.0;
	o.arch = model;
	int code;
	const char *msg = imb_nn_flags_finish(&fl, &o, frame, model != NULL, &code);
	if (msg && code == 1)
		imb_die(1, "%s", msg);
	if (msg)
		imb_usage("%s", msg);
	if (o.resume) {
		/* NT-Xent's own settings, as the shared ones: the checkpoint's
		 * unless given, and a given one must agree */
		msg = resume_own(fl.ck, "temperature", "--temperature", &o.temperature, temp_given);
		if (!msg) {
			double d = o.outputs;
			msg = resume_own(fl.ck, "outputs", "--proj-dim", &d, dim_given);
			o.outputs = (int)d;
		}
		if (msg)
			imb_usage("%s (--resume %s)", msg, o.resume);
	}

	imb_reader *r = imb_open_input(optind < argc ? argv[optind] : "-");
	imb_writer *w = imb_open_output(output);
	if (imb_nn_tool_train(r, w, frame, 1, &o) < 0)
		imb_die(1, "%s", imb_error());
	imb_reader_close(r);
	imb_finish(w);
	imb_nn_flags_free(&fl);
	return 0;
}
