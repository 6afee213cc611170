/* imb-sam: train a network with sharpness-aware minimisation (SAM, ASAM,
 * a larger ascent radius on minority classes) on the train frame of a
 * stream: imb-train --step sam, with SAM's flags first (lib/nn_sam.h). */
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
	"Usage: imb-sam [OPTION...] [FILE]\n"
	"Train a network with SAM on the dataset frame named 'train' and write a\n"
	"model frame (kind 'model', name 'model') in its place, then a log frame;\n"
	"every other frame passes through unchanged and in order. FILE '-' or none\n"
	"reads stdin. Each step: the gradient g of the loss whose class-c terms are\n"
	"scaled by rho_c / rho, e = rho g / ||g||, the plain gradient at w + e (batch\n"
	"norm's running statistics left alone), w restored, the optimiser step.\n"
	"\n"
	"  -m, --model ARCH         linear, mlp:W1,W2,..., resnet8/20/32/44/56/110,\n"
	"                           resnet18/34 (with an optional head +mlp:V1,...)\n";

static const char usage_own[] =
	"  -f, --frame NAME         train on the dataset frame NAME (default train)\n"
	"  -k, --keep-train         forward the train frame too, before the model\n"
	"  -o, --output FILE        write to FILE (atomically) instead of stdout\n"
	"  -q, --quiet              no log lines on stderr\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"Example: imb-import toy moons --n 4000 --ratio 0.1 --noise 0.3 --seed 1 \\\n"
	"    | imb-split --train-ratio 0.1 --test-ratio 1 --seed 1 \\\n"
	"    | imb-sam --model mlp:64,64 --rho 0.05 --rho-minority 0.2 --epochs 50 \\\n"
	"      --seed 1 | imb-eval --format tsv\n";

_Noreturn static void help(void)
{
	char *sam = imb_nn_flags_help_groups(IMB_NN_FLAGS_SAM, 1);
	char *nn = imb_nn_flags_help_groups(IMB_NN_FLAGS_GENERAL | IMB_NN_FLAGS_LABELS, 1);
	size_t n = strlen(usage_head) + strlen(sam) + strlen(nn) + strlen(usage_own) + 64;
	char *text = imb_xmalloc(n);
	snprintf(text, n, "%s%s\nTraining:\n%s%s", usage_head, sam, nn, usage_own);
	imb_help(text);
}

int main(int argc, char **argv)
{
	imb_cli_init("imb-sam", argc, argv);
	static const struct option own[] = {
		{"model", required_argument, 0, 'm'},
		{"frame", required_argument, 0, 'f'},
		{"keep-train", no_argument, 0, 'k'},
		{"output", required_argument, 0, 'o'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
	};
	enum { NOWN = sizeof own / sizeof *own };
	struct option opts[NOWN + IMB_NN_FLAGS_MAX + 1];
	char shortopts[64];
	imb_nn_flags_getopt(opts, own, NOWN, shortopts, sizeof shortopts, "m:f:ko:qhV");
	imb_nn_train_opts o;
	imb_nn_train_opts_init(&o);
	o.step = IMB_NN_STEP_SAM;
	imb_nn_flags fl = {0};
	const char *frame = "train", *output = NULL, *model = NULL;
	int keep = 0, c;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (imb_nn_flags_parse(&fl, &o, c, optarg))
			continue;
		switch (c) {
		case 'm': model = optarg; break;
		case 'f': frame = optarg; break;
		case 'k': keep = 1; break;
		case 'o': output = optarg; break;
		case 'q': imb_quiet(1); o.quiet = 1; break;
		case 'h': help(); /* no return */
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	if (argc - optind > 1)
		imb_usage("one input file at most, got %d", argc - optind);
	if (model && (!strcmp(model, "xgboost") || !strcmp(model, "linear-svm") ||
	              !strcmp(model, "svm")))
		imb_usage("--model %s: imb-sam trains networks only (imb-train trains tabular models)",
		          model);
	if (model && imb_nn_arch_check(model) < 0)
		imb_usage("--model: unknown network '%s' (linear, mlp:W1,W2,..., "
		          "resnet8/20/32/44/56/110, resnet18/34, each but linear with an optional "
		          "head +mlp:V1,V2,...)", model);
	if (!model && !o.init && !o.resume)
		imb_usage("no network: give --model ARCH (or --init, --resume)");
	if (o.step != IMB_NN_STEP_SAM)
		imb_usage("--step plain: imb-sam trains with SAM (imb-train takes a plain step)");
	o.arch = model;
	int code;
	const char *msg = imb_nn_flags_finish(&fl, &o, frame, model != NULL, &code);
	if (msg && code == 1)
		imb_die(1, "%s", msg);
	if (msg)
		imb_usage("%s", msg);
	if (o.resume && o.step != IMB_NN_STEP_SAM)
		imb_usage("--resume %s: made with --step plain; resume it with imb-train", o.resume);

	imb_reader *r = imb_open_input(optind < argc ? argv[optind] : "-");
	imb_writer *w = imb_open_output(output);
	if (imb_nn_tool_train(r, w, frame, keep, &o) < 0)
		imb_die(1, "%s", imb_error());
	imb_reader_close(r);
	imb_finish(w);
	imb_nn_flags_free(&fl);
	return 0;
}
