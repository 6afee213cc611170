/* imb-export: a dataset, predictions or metrics frame of the stream as
 * CSV, TSV, NumPy .npy/.npz or LIBSVM text (lib/export.h). */
#include "cli.h"
#include "export.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"Usage: imb-export [OPTION]... [FILE...]\n"
	"Write frames of the stream out of imb: a dataset (x, and y and id when it\n"
	"has them), a predictions frame (imb-predict's) or metrics frames\n"
	"(imb-eval's), as CSV, TSV, NumPy or LIBSVM text. The kind is --kind, else\n"
	"the most derived the stream holds: metrics, else predictions, else\n"
	"dataset. FILE '-' or none reads stdin; several FILEs are read one after\n"
	"another.\n"
	"\n"
	"  -f, --format FMT     csv (default), tsv, npy, npz or libsvm\n"
	"  -k, --kind KIND      dataset, predictions or metrics\n"
	"  -n, --frame NAME     the frames named NAME only (train, test, ...)\n"
	"  -i, --index I        the frame at position I of the input only (from 1,\n"
	"                       every frame counted, as imb-info numbers them)\n"
	"  -t, --tensor NAME    npy: write this array only, to -o FILE or stdout\n"
	"  -o, --output FILE    write to FILE (appears only when complete); npy\n"
	"                       without --tensor: a prefix, PREFIX.NAME.npy for\n"
	"                       each array\n"
	"      --zero-based     libsvm: feature indices from 0 (default from 1)\n"
	"      --labels L       libsvm: labels as class index (default) or name\n"
	"  -h, --help           show this help\n"
	"  -V, --version        show the version\n"
	"\n"
	"csv, tsv: a header row, then a row per sample: a dataset's columns are id\n"
	"(when it has one), its features (attrs.features' names, else x_J for\n"
	"column J, x_C_H_W for an image) and label (the class name); a\n"
	"predictions frame's are imb-predict --format's; metrics frames give\n"
	"imb-eval's TSV columns, then one per attrs.config key, a row a frame.\n"
	"Several frames of the kind (train and test) go in one table with a first\n"
	"column set, the frame's name. Numbers read back exactly.\n"
	"npy, npz: NumPy's files, arrays as the stream holds them (dtype, shape):\n"
	"a dataset's or predictions frame's tensors; a metrics frame's confusion\n"
	"(K,K) and per-class support, recall, precision and f1 (K), float64.\n"
	"npz is one file of them all (numpy.load gives a dict). npy, npz and\n"
	"libsvm write one frame: with several, choose it with --frame or --index.\n"
	"libsvm: 'label index:value ...', zeros left out; a predictions frame\n"
	"gives pred as the label and probs as the features.\n"
	"\n"
	"Examples:\n"
	"  imb-train --model xgboost < split.imb | imb-predict --frame test \\\n"
	"    | imb-export --kind predictions --format csv -o test-scores.csv\n"
	"  imb-export --frame train --format npy -o fmnist-train < split.imb\n"
	"  imb-export --frame train --format npz -o train.npz < split.imb\n"
	"  imb-import adult | imb-export --frame test --format libsvm > adult.t\n";

enum { O_ZERO = 256, O_LABELS };

int main(int argc, char **argv)
{
	imb_cli_init("imb-export", argc, argv);
	static const struct option opts[] = {
		{"format", required_argument, 0, 'f'},
		{"kind", required_argument, 0, 'k'},
		{"frame", required_argument, 0, 'n'},
		{"index", required_argument, 0, 'i'},
		{"tensor", required_argument, 0, 't'},
		{"output", required_argument, 0, 'o'},
		{"zero-based", no_argument, 0, O_ZERO},
		{"labels", required_argument, 0, O_LABELS},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	imb_export_opts o = {.format = IMB_EXPORT_CSV};
	int labels_given = 0, c;
	while ((c = getopt_long(argc, argv, "f:k:n:i:t:o:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (imb_export_format_parse(optarg, &o.format) < 0)
				imb_usage("--format: '%s': csv, tsv, npy, npz or libsvm", optarg);
			break;
		case 'k':
			if (!imb_export_kind_ok(optarg))
				imb_usage("--kind: '%s': dataset, predictions or metrics", optarg);
			o.kind = optarg;
			break;
		case 'n': o.frame = optarg; break;
		case 'i': o.index = imb_arg_long("--index", optarg, 1, 0x7fffffffL); break;
		case 't': o.tensor = optarg; break;
		case 'o': o.output = optarg; break;
		case O_ZERO: o.zero_based = 1; break;
		case O_LABELS:
			if (!strcmp(optarg, "name"))
				o.label_names = 1;
			else if (strcmp(optarg, "index"))
				imb_usage("--labels: '%s': index or name", optarg);
			labels_given = 1;
			break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	if (o.tensor && o.format != IMB_EXPORT_NPY)
		imb_usage("--tensor is for --format npy");
	if ((o.zero_based || labels_given) && o.format != IMB_EXPORT_LIBSVM)
		imb_usage("%s is for --format libsvm", o.zero_based ? "--zero-based" : "--labels");
	if (o.output && !strcmp(o.output, "-"))
		o.output = NULL;
	if (o.format == IMB_EXPORT_NPY && !o.tensor && !o.output)
		imb_usage("--format npy writes a file per array: give -o PREFIX (PREFIX.x.npy, ...), "
		          "or --tensor NAME for one array");
	if ((o.format == IMB_EXPORT_NPY || o.format == IMB_EXPORT_NPZ) && !o.output && isatty(1))
		imb_usage("--format %s is binary: redirect stdout or give -o FILE",
		          o.format == IMB_EXPORT_NPY ? "npy" : "npz");
	int nfiles = argc - optind;
	char **files = argv + optind;

	/* the frames export can write, kept; the others dropped as they come */
	imb_frame **fr = NULL, *f;
	size_t n = 0;
	long pos = 0;   /* every frame of the input, counted from 1 */
	for (int k = 0; k < (nfiles ? nfiles : 1); k++) {
		imb_reader *r = imb_open_input(nfiles ? files[k] : "-");
		while ((f = imb_next(r))) {
			f->index = ++pos;
			if (imb_export_kind_ok(f->kind) && (!o.kind || !strcmp(f->kind, o.kind))) {
				/* another name or place: kept for messages, its data dropped */
				if ((o.frame && strcmp(f->name, o.frame)) || (o.index && f->index != o.index))
					while (f->ntensors)
						imb_frame_del_tensor(f, f->tensors[0].key);
				fr = imb_xrealloc(fr, (n + 1) * sizeof *fr);
				fr[n++] = f;
			} else {
				imb_frame_free(f);
			}
		}
		imb_reader_close(r);
	}
	size_t *sel, ns;
	const char *kind;
	if (imb_export_select(fr, n, &o, &sel, &ns, &kind) < 0)
		imb_die(1, "%s", imb_error());
	imb_frame **s = imb_xmalloc(ns * sizeof *s);
	for (size_t i = 0; i < ns; i++)
		s[i] = fr[sel[i]];
	if (imb_export_write(s, ns, &o) < 0)
		imb_die(1, "%s", imb_error());
	for (size_t i = 0; i < n; i++)
		imb_frame_free(fr[i]);
	free(fr);
	free(s);
	free(sel);
	return 0;
}
