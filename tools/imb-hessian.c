/* imb-hessian: the curvature of a trained network's loss on its training
 * samples (lib/hessian.h): top Hessian eigenvalues, the trace, the
 * spectral density, loss curves; over all samples or per class. */
#include "cli.h"
#include "dataset.h"
#include "model_frame.h"
#include "hessian.h"
#include "nn_backend.h"
#include "nn_data.h"
#include "nn_frame.h"
#include "util.h"
#include "val.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: imb-hessian [OPTION]... [FILE]\n"
	"Measure the curvature of the loss of the stream's network model frame on\n"
	"its training samples: the top Hessian eigenvalues (Lanczos on exact\n"
	"Hessian-vector products), and on request the trace (Hutchinson), the\n"
	"spectral density (stochastic Lanczos quadrature) and the loss along\n"
	"filter-normalised random directions. The loss is the mean cross-entropy\n"
	"with batch norm in eval mode. The output is the input stream unchanged,\n"
	"then one metrics frame named 'hessian'. FILE '-' or none reads stdin.\n"
	"\n"
	"  -n, --frame NAME         the dataset frame of samples (default train)\n"
	"  -N, --samples N          a random subset of N of its samples, drawn with\n"
	"                           --seed (default: all)\n"
	"  -k, --top K              the K largest eigenvalues (default 10; 0: none)\n"
	"  -l, --lanczos-steps M    the most Lanczos steps (default max(10K, 100), at\n"
	"                           most the parameter count)\n"
	"  -e, --tol E              stop once the top K residual bounds are below E\n"
	"                           times the largest eigenvalue (default 1e-3; 0: run\n"
	"                           every step)\n"
	"  -T, --trace              Hutchinson's trace estimate and its standard error\n"
	"  -p, --probes M           Rademacher probes of the trace (default 100)\n"
	"  -d, --density            the spectral density (SLQ: 10 runs of 80 steps,\n"
	"                           500 grid points)\n"
	"  -c, --curve 1d|2d        the loss along one or two random directions,\n"
	"                           filter-normalised, fixed by --seed\n"
	"  -S, --steps S            points along a direction (default 21)\n"
	"  -R, --range R            the directions run over [-R, R] (default 1)\n"
	"  -C, --class C            measure on class C's samples only (index or name);\n"
	"                           repeatable\n"
	"  -P, --per-class          measure on all samples and on each class's\n"
	"  -b, --batch B            samples per batch of a product (default 128)\n"
	"  -s, --seed N             seed of the subset, start vectors, probes and\n"
	"                           directions (default 1)\n"
	"  -t, --threads N          threads (default 0: one per core)\n"
	"      --device D           cpu (default), cuda or cuda:N\n"
	"  -f, --format FMT         frames (default), tsv or json: text on stdout\n"
	"  -o, --output FILE        write to FILE (appears only when complete)\n"
	"  -q, --quiet              no progress on stderr\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"TSV: one row per number, columns measure, class, k, x, y, value, se;\n"
	"measure is eigenvalue (k = 1..K, largest first), trace (value, se),\n"
	"density (x, value), loss1d (x, value) or loss2d (x, y, value); class is\n"
	"'all' or the class name; unused cells are NA.\n"
	"\n"
	"Examples:\n"
	"  imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.1 \\\n"
	"    --n-train 2000 --n-test 1000 --seed 1 | imb-train --model resnet8 \\\n"
	"    --epochs 3 --seed 1 --keep-train | imb-hessian --top 10 --samples 1000 \\\n"
	"    --format tsv\n"
	"  ... | imb-hessian --per-class --trace --curve 1d --format tsv\n";

static void report(const char *what, int step, int total)
{
	imb_progress(what, (uint64_t)step, (uint64_t)total);
}

int main(int argc, char **argv)
{
	imb_cli_init("imb-hessian", argc, argv);
	static const struct option opts[] = {
		{"frame", required_argument, 0, 'n'},
		{"samples", required_argument, 0, 'N'},
		{"top", required_argument, 0, 'k'},
		{"lanczos-steps", required_argument, 0, 'l'},
		{"tol", required_argument, 0, 'e'},
		{"trace", no_argument, 0, 'T'},
		{"probes", required_argument, 0, 'p'},
		{"density", no_argument, 0, 'd'},
		{"curve", required_argument, 0, 'c'},
		{"steps", required_argument, 0, 'S'},
		{"range", required_argument, 0, 'R'},
		{"class", required_argument, 0, 'C'},
		{"per-class", no_argument, 0, 'P'},
		{"batch", required_argument, 0, 'b'},
		{"seed", required_argument, 0, 's'},
		{"threads", required_argument, 0, 't'},
		{"device", required_argument, 0, 'D'},
		{"format", required_argument, 0, 'f'},
		{"output", required_argument, 0, 'o'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	imb_hessian_opts o;
	imb_hessian_defaults(&o);
	o.seed = 1;
	const char *frame = "train", *output = NULL, *device = NULL;
	const char **cls = NULL;
	int ncls = 0, per_class = 0, fmt = IMB_FMT_FRAMES, threads = 0, c, probes_given = 0,
	    curve_given = 0;
	long samples = 0;
	while ((c = getopt_long(argc, argv, "n:N:k:l:e:Tp:dc:S:R:C:Pb:s:t:f:o:qhV", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'n': frame = optarg; break;
		case 'N': samples = imb_arg_long("--samples", optarg, 1, 1L << 40); break;
		case 'k': o.top = (int)imb_arg_long("--top", optarg, 0, 100000); break;
		case 'l': o.iters = (int)imb_arg_long("--lanczos-steps", optarg, 1, 100000); break;
		case 'e': o.tol = imb_arg_double("--tol", optarg, 0, 1); break;
		case 'T': o.trace = 1; break;
		case 'p':
			o.probes = (int)imb_arg_long("--probes", optarg, 1, 1000000);
			probes_given = 1;
			break;
		case 'd': o.density = 1; break;
		case 'c':
			if (!strcmp(optarg, "1d"))
				o.curve = 1;
			else if (!strcmp(optarg, "2d"))
				o.curve = 2;
			else
				imb_usage("--curve: '%s' is not 1d or 2d", optarg);
			break;
		case 'S':
			o.steps = (int)imb_arg_long("--steps", optarg, 1, 10001);
			curve_given = 1;
			break;
		case 'R':
			o.range = imb_arg_double("--range", optarg, 0, 1e6);
			if (!(o.range > 0))
				imb_usage("--range: %s: must be > 0", optarg);
			curve_given = 1;
			break;
		case 'C':
			cls = imb_xrealloc(cls, (ncls + 1) * sizeof *cls);
			cls[ncls++] = optarg;
			break;
		case 'P': per_class = 1; break;
		case 'b': o.batch = (int)imb_arg_long("--batch", optarg, 1, 1 << 20); break;
		case 's': o.seed = imb_arg_seed("--seed", optarg); break;
		case 't': threads = (int)imb_arg_long("--threads", optarg, 0, 4096); break;
		case 'D': device = optarg; break;
		case 'f':
			fmt = imb_arg_format("--format", optarg);
			break;
		case 'o': output = optarg; break;
		case 'q': imb_quiet(1); break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	if (argc - optind > 1)
		imb_usage("one input file at most, got %d", argc - optind);
	if (probes_given && !o.trace)
		imb_usage("--probes applies to --trace");
	if (curve_given && !o.curve)
		imb_usage("--steps and --range apply to --curve");
	if (per_class && ncls)
		imb_usage("--per-class measures every class: it takes no --class");
	if (!o.top && !o.trace && !o.density && !o.curve)
		imb_usage("--top 0 and nothing else to measure (--trace, --density, --curve)");
	if (o.iters && o.top && o.iters < o.top)
		imb_usage("--lanczos-steps %d: fewer than --top %d", o.iters, o.top);
	o.report = report;
	if (device && imb_nn_set_backend(device) < 0)
		imb_die(1, "%s", imb_error());
	imb_nn_be()->set_threads(threads);

	/* every frame forwarded as it comes; the model and the samples kept */
	imb_reader *r = imb_open_input(optind < argc ? argv[optind] : "-");
	imb_writer *w = fmt == IMB_FMT_FRAMES ? imb_open_output(output) : NULL;
	imb_frame *f, *model = NULL, *data = NULL, *tabular = NULL;
	long nframes = 0;
	while ((f = imb_next(r))) {
		nframes++;
		if (w)
			imb_emit(w, f);
		if (!model && !strcmp(f->kind, "model") && imb_nn_is_model_frame(f))
			model = f;
		else if (!model && !tabular && !strcmp(f->kind, "model"))
			tabular = f;
		else if (!data && !strcmp(f->kind, "dataset") && !strcmp(f->name, frame))
			data = f;
		else
			imb_frame_free(f);
	}
	imb_reader_close(r);
	const char *s = nframes == 1 ? "" : "s";
	if (!model && tabular)
		imb_die(1, "the model frame is a tabular model (attrs.model '%s'): imb-hessian needs a "
		        "network (imb-train --model resnet8, mlp:W1,W2,..., linear)",
		        imb_val_as_str(imb_val_get(tabular->attrs, "model"), "?"));
	if (!model)
		imb_die(1, "no network model frame (kind 'model', attrs.model an architecture) in the input (%ld "
		        "frame%s read): imb-train --model resnet8 makes one", nframes, s);
	if (!data)
		imb_die(1, "no dataset frame named '%s' in the input (%ld frame%s read; imb-train "
		        "--keep-train forwards the train frame)", frame, nframes, s);

	imb_nn_loaded l;
	if (imb_nn_frame_read(model, &l))
		imb_die(1, "model frame: %s", imb_error());
	imb_nn_model *m = l.m;
	imb_nn_data d;
	char mlb[128];
	imb_frame_label(model, mlb, sizeof mlb);
	if (imb_model_features_check(model->attrs, mlb, data) ||
	    imb_dataset_relabel(data, imb_val_get(model->attrs, "classes"), m->K, "the model") ||
	    imb_nn_data_init(&d, data, 1) || imb_hessian_check(m, &d))
		imb_die(1, "%s", imb_error());
	const char **names = imb_hessian_class_names(model, m->K);
	int *ci = imb_xcalloc((size_t)m->K + (size_t)ncls + 1, sizeof *ci);
	int nci = imb_hessian_classes(cls, ncls, per_class, names, m->K, ci);
	if (nci < 0)
		imb_usage("%s", imb_error());
	size_t n, *idx = imb_hessian_samples(d.N, (size_t)samples, o.seed, &n);
	if (per_class)  /* only the classes present among the samples */
		nci = imb_hessian_present(&d, idx, n, ci, nci, names);
	int with_all = ncls == 0;
	int nres = nci + with_all;
	imb_hessian_result *res = imb_xcalloc((size_t)nres, sizeof *res);
	if (imb_hessian_run(m, &d, l.mean, l.std, idx, n, ci, nci, with_all, &o, res))
		imb_die(1, "%s", imb_error());
	imb_progress_done();

	imb_frame *out = imb_hessian_frame(model, &o, res, nres, names, frame, n);
	imb_history_append(out, (int64_t)o.seed);
	if (fmt == IMB_FMT_FRAMES) {
		imb_emit(w, out);
		imb_finish(w);
	} else {
		FILE *fp = imb_text_open(output);
		if (!fp)
			imb_die(1, "%s", imb_error());
		if (fmt == IMB_FMT_TSV) {
			imb_hessian_write_tsv(fp, res, nres, names, o.curve);
		} else {
			imb_val_write_json(fp, out->attrs, 2);
			fputc('\n', fp);
		}
		if (imb_text_close(fp))
			imb_die(1, "%s", imb_error());
	}
	for (int i = 0; i < nres; i++)
		imb_hessian_result_free(&res[i]);
	free(res);
	imb_frame_free(out);
	free(idx);
	free(ci);
	free(names);
	free(cls);
	imb_nn_data_free(&d);
	imb_nn_loaded_free(&l);
	imb_frame_free(model);
	imb_frame_free(data);
	imb_frame_free(tabular);
	return 0;
}
