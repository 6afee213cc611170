/* imb-sghmc: sample a network's weights with SGHMC (cyclical, as Zhang et
 * al.'s cSG-MCMC, or plain) on the train frame of a stream and write the
 * ensemble of samples kept in its place (lib/nn_sghmc.h, nn_ensemble.h). */
#include "cli.h"
#include "nn_flags.h"
#include "nn_model.h"
#include "nn_sghmc.h"
#include "nn_tool.h"
#include "nn_train.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_head[] =
	"Usage: imb-sghmc [OPTION...] [FILE]\n"
	"Sample a network's weights with SGHMC (stochastic-gradient Hamiltonian Monte\n"
	"Carlo) on the dataset frame named 'train' and write an ensemble frame (kind\n"
	"'ensemble', name 'model': the samples kept) in its place, then a log frame;\n"
	"every other frame passes through unchanged and in order. imb-eval averages\n"
	"the members' probabilities. FILE '-' or none reads stdin. Each step, with g\n"
	"the gradient of the batch's mean loss and N the train set's size:\n"
	"  v = (1 - A) v - lr (g + wd w), + sqrt(2 A lr T / N) z in a sampling phase\n"
	"  (z standard normal from the seed and the step), then w += v.\n"
	"\n"
	"  -m, --model ARCH         linear, mlp:W1,W2,..., resnet8/20/32/44/56/110,\n"
	"                           resnet18/34 (with an optional head +mlp:V1,...)\n"
	"      --friction A         in (0, 1]: the momentum is 1 - A (default 0.9;\n"
	"                           1 is SGLD)\n"
	"      --temperature T      of the posterior (default 1; 0: no noise)\n"
	"      --cycles M           M cycles of --epochs / M epochs, the step size\n"
	"                           lr (cos(pi u) + 1) / 2 at the fraction u of a\n"
	"                           cycle (default 4); 0: plain SGHMC, a constant\n"
	"                           step size and noise throughout\n"
	"      --explore B          the fraction of each cycle without noise, the\n"
	"                           rest its sampling phase (default 0.9)\n"
	"      --samples-per-cycle K\n"
	"                           members a cycle: the weights after each of its\n"
	"                           last K epochs, which must lie in its sampling\n"
	"                           phase (default 3)\n"
	"      --burn-in E          --cycles 0: epochs before the first member\n"
	"                           (default half of --epochs)\n"
	"      --sample-every E     --cycles 0: epochs between members (default 1)\n"
	"      --split-frames       one ensemble frame a member (parts, for networks\n"
	"                           whose members pass 4 GiB together)\n";

static const char usage_own[] =
	"  -f, --frame NAME         train on the dataset frame NAME (default train)\n"
	"  -k, --keep-train         forward the train frame too, before the ensemble\n"
	"  -o, --output FILE        write to FILE (atomically) instead of stdout\n"
	"  -q, --quiet              no log lines on stderr\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"Defaults that differ from imb-train's (Zhang et al.'s cSG-MCMC on CIFAR-10):\n"
	"--epochs 200, --batch-size 64, --lr 0.5, --weight-decay 5e-4 (the Gaussian\n"
	"prior). Their runs use --temperature 1/N (a cold posterior).\n"
	"\n"
	"Example: imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.05 \\\n"
	"    --n-train 2000 --n-test 1000 --seed 2 | imb-sghmc --model resnet8 \\\n"
	"    --epochs 4 --cycles 2 --explore 0.5 --samples-per-cycle 1 --lr 0.1 \\\n"
	"    --seed 1 | imb-eval --format tsv\n";

/* shared flags that SGHMC's own update and schedule replace */
static const char *const refused[] = { "optimizer", "trust", "momentum", "nesterov", "schedule",
                                       "warmup", "step", "rho", "adaptive", "rho-minority",
                                       "rho-class", "early-stopping", "early-metric" };

_Noreturn static void help(void)
{
	char *nn = imb_nn_flags_help_without(IMB_NN_FLAGS_GENERAL | IMB_NN_FLAGS_LABELS, 1, refused,
	                                     IMB_LEN(refused));
	size_t n = strlen(usage_head) + strlen(nn) + strlen(usage_own) + 64;
	char *text = imb_xmalloc(n);
	snprintf(text, n, "%s\nTraining:\n%s%s", usage_head, nn, usage_own);
	imb_help(text);
}

enum { O_FRIC = 0x100, O_TEMP, O_CYC, O_EXPL, O_SPC, O_BURN, O_EVERY, O_SPLIT, NOWNF };

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

/* SGHMC's settings from the --resume checkpoint's params */
static const char *resume_sghmc(const imb_val *ck, imb_nn_sghmc_opts *s, const int *given)
{
	if (strcmp(imb_val_as_str(imb_val_get(ck, "method"), ""), "sghmc"))
		return "the checkpoint is not an SGHMC run's (imb-train or imb-sam made it)";
	double v[] = { s->friction, s->temperature, s->cycles, s->explore, s->samples_per_cycle,
	               s->burn_in, s->sample_every };
	static const char *const key[] = { "friction", "temperature", "cycles", "explore",
	                                   "samples_per_cycle", "burn_in", "sample_every" };
	static const char *const flag[] = { "--friction", "--temperature", "--cycles", "--explore",
	                                    "--samples-per-cycle", "--burn-in", "--sample-every" };
	for (int i = 0; i < 7; i++) {
		const char *msg = resume_own(ck, key[i], flag[i], &v[i], given[O_FRIC + i - 0x100]);
		if (msg)
			return msg;
	}
	s->friction = v[0];
	s->temperature = v[1];
	s->cycles = (int)v[2];
	s->explore = v[3];
	s->samples_per_cycle = (int)v[4];
	s->burn_in = (int)v[5];
	s->sample_every = (int)v[6];
	return NULL;
}

int main(int argc, char **argv)
{
	imb_cli_init("imb-sghmc", argc, argv);
	static const struct option own[] = {
		{"model", required_argument, 0, 'm'},
		{"friction", required_argument, 0, O_FRIC},
		{"temperature", required_argument, 0, O_TEMP},
		{"cycles", required_argument, 0, O_CYC},
		{"explore", required_argument, 0, O_EXPL},
		{"samples-per-cycle", required_argument, 0, O_SPC},
		{"burn-in", required_argument, 0, O_BURN},
		{"sample-every", required_argument, 0, O_EVERY},
		{"split-frames", no_argument, 0, O_SPLIT},
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
	o.epochs = 200;
	o.batch = 64;
	o.lr = IMB_NN_SGHMC_LR;
	o.weight_decay = IMB_NN_SGHMC_WD;
	imb_nn_sghmc_opts s;
	imb_nn_sghmc_opts_init(&s);
	imb_nn_flags fl = {0};
	const char *frame = "train", *output = NULL, *model = NULL;
	int keep = 0, c, given[NOWNF - 0x100] = {0};
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (imb_nn_flags_parse(&fl, &o, c, optarg))
			continue;
		if (c >= O_FRIC && c < NOWNF)
			given[c - 0x100] = 1;
		switch (c) {
		case 'm': model = optarg; break;
		case O_FRIC: s.friction = imb_arg_double("--friction", optarg, -1e300, 1e300); break;
		case O_TEMP: s.temperature = imb_arg_double("--temperature", optarg, -1e300, 1e300); break;
		case O_CYC: s.cycles = (int)imb_arg_long("--cycles", optarg, -1000000, 1000000); break;
		case O_EXPL: s.explore = imb_arg_double("--explore", optarg, -1e300, 1e300); break;
		case O_SPC:
			s.samples_per_cycle = (int)imb_arg_long("--samples-per-cycle", optarg, 1, 1000000);
			break;
		case O_BURN: s.burn_in = (int)imb_arg_long("--burn-in", optarg, 0, 1000000); break;
		case O_EVERY:
			s.sample_every = (int)imb_arg_long("--sample-every", optarg, 1, 1000000);
			break;
		case O_SPLIT: s.split = 1; break;
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
	for (size_t i = 0; i < IMB_LEN(refused); i++)
		if (imb_nn_flags_given(&fl, refused[i]))
			imb_usage("--%s: imb-sghmc takes plain steps of its own update (--friction, "
			          "--temperature; a cyclical or constant step size by --cycles); --%s is "
			          "imb-train's", refused[i], refused[i]);
	if (model && (!strcmp(model, "xgboost") || !strcmp(model, "linear-svm") ||
	              !strcmp(model, "svm")))
		imb_usage("--model %s: imb-sghmc samples networks' weights (imb-train trains tabular "
		          "models)", model);
	if (model && imb_nn_arch_check(model) < 0)
		imb_usage("--model: unknown network '%s' (linear, mlp:W1,W2,..., "
		          "resnet8/20/32/44/56/110, resnet18/34, each but linear with an optional "
		          "head +mlp:V1,V2,...)", model);
	if (!model && !o.init && !o.resume)
		imb_usage("no network: give --model ARCH (or --init, --resume)");
	o.arch = model;
	int code;
	const char *msg = imb_nn_flags_finish(&fl, &o, frame, model != NULL, &code);
	if (msg && code == 1)
		imb_die(1, "%s", msg);
	if (msg)
		imb_usage("%s", msg);
	if (o.resume && (msg = resume_sghmc(fl.ck, &s, given)))
		imb_usage("--resume %s: %s", o.resume, msg);
	if ((msg = imb_nn_sghmc_check(&s, o.epochs)))
		imb_usage("%s", msg);

	imb_reader *r = imb_open_input(optind < argc ? argv[optind] : "-");
	imb_writer *w = imb_open_output(output);
	if (imb_nn_tool_train_with(r, w, frame, keep, &o, imb_nn_sghmc_trainer, &s) < 0)
		imb_die(1, "%s", imb_error());
	imb_reader_close(r);
	imb_finish(w);
	imb_nn_flags_free(&fl);
	return 0;
}
