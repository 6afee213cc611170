/* imb-laplace: a Laplace approximation of a trained network's posterior
 * (lib/laplace.h), written as a posterior frame that every evaluating
 * tool predicts with. */
#include "cli.h"
#include "laplace.h"
#include "nn_backend.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: imb-laplace [OPTION]... [FILE]\n"
	"Fit a Laplace approximation around the stream's network model frame, on\n"
	"its training samples: a Gaussian posterior whose precision is the\n"
	"generalised Gauss-Newton matrix of the summed cross-entropy (batch norm in\n"
	"eval mode) plus the prior precision. The model frame is replaced by a\n"
	"posterior frame (kind 'posterior'), which imb-eval and every other tool\n"
	"that predicts evaluates like any model: the linearised network's\n"
	"predictive, by the probit approximation or by sampling its logits. Every\n"
	"other frame passes through unchanged. FILE '-' or none reads stdin.\n"
	"\n"
	"  -n, --frame NAME         the dataset frame of training samples (default\n"
	"                           train; imb-train --keep-train forwards it)\n"
	"  -S, --subset SUBSET      last-layer (default: the last linear layer) or all\n"
	"                           (every weight; diag only)\n"
	"  -H, --hessian STRUCT     kfac (default), full or diag\n"
	"  -p, --prior-precision P  the prior precision to start the tuning from, or\n"
	"                           the one used with --tune none (default 1)\n"
	"  -T, --tune HOW           marglik (default: maximise the marginal\n"
	"                           likelihood), val (the lowest NLL on --val-frame\n"
	"                           over a grid) or none\n"
	"  -v, --val-frame NAME     the labelled dataset frame of --tune val (given\n"
	"                           alone, it implies --tune val)\n"
	"  -g, --grid LO:HI:N       --tune val's grid: N prior precisions from 10^LO\n"
	"                           to 10^HI, evenly in log (default -4:4:21)\n"
	"  -m, --samples S          predict by the mean softmax of S draws of the\n"
	"                           logits instead of the probit (default 0: probit)\n"
	"  -b, --batch B            samples per batch (default 256)\n"
	"  -s, --seed N             seed of the draws (default 1)\n"
	"  -t, --threads N          threads (default 0: one per core)\n"
	"      --device D           cpu (default), cuda or cuda:N\n"
	"  -o, --output FILE        write to FILE (appears only when complete)\n"
	"  -q, --quiet              no progress on stderr\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"Example:\n"
	"  imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.05 \\\n"
	"      --n-train 2000 --n-test 1000 --seed 2 \\\n"
	"    | imb-train --model resnet8 --epochs 5 --sampler balanced --seed 1 --keep-train \\\n"
	"    | imb-laplace | imb-eval --format tsv\n";

static int word(const char *flag, const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	imb_usage("%s: unknown value '%s'", flag, s);
}

int main(int argc, char **argv)
{
	imb_cli_init("imb-laplace", argc, argv);
	static const struct option opts[] = {
		{"frame", required_argument, 0, 'n'},
		{"subset", required_argument, 0, 'S'},
		{"hessian", required_argument, 0, 'H'},
		{"prior-precision", required_argument, 0, 'p'},
		{"tune", required_argument, 0, 'T'},
		{"val-frame", required_argument, 0, 'v'},
		{"grid", required_argument, 0, 'g'},
		{"samples", required_argument, 0, 'm'},
		{"batch", required_argument, 0, 'b'},
		{"seed", required_argument, 0, 's'},
		{"threads", required_argument, 0, 't'},
		{"device", required_argument, 0, 'D'},
		{"output", required_argument, 0, 'o'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	static const char *const subsets[] = {"last-layer", "all"};
	static const char *const hessians[] = {"full", "kfac", "diag"};
	static const char *const tunes[] = {"marglik", "val", "none"};
	imb_la_opts o;
	imb_la_opts_init(&o);
	const char *frame = "train", *val = NULL, *output = NULL, *device = NULL;
	int threads = 0, tune_given = 0, hessian_given = 0, c;
	while ((c = getopt_long(argc, argv, "n:S:H:p:T:v:g:m:b:s:t:o:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'n': frame = optarg; break;
		case 'S': o.subset = (imb_la_subset)word("--subset", optarg, subsets, 2); break;
		case 'H':
			o.hessian = (imb_la_hessian)word("--hessian", optarg, hessians, 3);
			hessian_given = 1;
			break;
		case 'p': o.prior_precision = imb_arg_double("--prior-precision", optarg, 1e-300, 1e300); break;
		case 'T':
			o.tune = (imb_la_tune)word("--tune", optarg, tunes, 3);
			tune_given = 1;
			break;
		case 'v': val = optarg; break;
		case 'g': {
			double lo, hi;
			int n, end = 0;
			if (sscanf(optarg, "%lf:%lf:%d%n", &lo, &hi, &n, &end) != 3 || optarg[end])
				imb_usage("--grid: expected LO:HI:N, got '%s'", optarg);
			o.grid_lo = lo;
			o.grid_hi = hi;
			o.grid_n = n;
			break;
		}
		case 'm': o.samples = (int)imb_arg_long("--samples", optarg, 0, 1000000); break;
		case 'b': o.batch = (int)imb_arg_long("--batch", optarg, 1, 1 << 20); break;
		case 's': o.seed = imb_arg_seed("--seed", optarg); break;
		case 't': threads = (int)imb_arg_long("--threads", optarg, 0, 4096); break;
		case 'D': device = optarg; break;
		case 'o': output = optarg; break;
		case 'q': imb_quiet(1); break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	if (argc - optind > 1)
		imb_usage("one input file at most, got %d", argc - optind);
	if (val && !tune_given)
		o.tune = IMB_LA_TUNE_VAL;
	if (o.tune == IMB_LA_TUNE_VAL && !val)
		imb_usage("--tune val needs --val-frame NAME");
	if (val && o.tune != IMB_LA_TUNE_VAL)
		imb_usage("--val-frame is for --tune val");
	if (o.subset == IMB_LA_ALL && !hessian_given)
		o.hessian = IMB_LA_DIAG;
	const char *msg = imb_la_opts_check(&o);
	if (msg)
		imb_usage("%s", msg);
	if (device && imb_nn_set_backend(device) < 0)
		imb_die(1, "%s", imb_error());
	imb_nn_be()->set_threads(threads);

	imb_reader *r = imb_open_input(optind < argc ? argv[optind] : "-");
	imb_writer *w = imb_open_output(output);
	if (imb_la_tool(r, w, frame, val, &o) < 0)
		imb_die(1, "%s", imb_error());
	imb_reader_close(r);
	imb_finish(w);
	return 0;
}
