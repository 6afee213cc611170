/* imb-cat: concatenate imb streams, checking every frame; optionally keep
 * or drop frames by kind and name. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: imb-cat [OPTION]... [FILE...]\n"
	"Read imb streams (FILE '-' or none is stdin), check every frame, and\n"
	"write them to stdout as one stream: the way to join the results of\n"
	"several runs (cat works too, but does not check).\n"
	"\n"
	"  -k, --kind KIND    keep only frames of this kind (dataset, model, metrics...)\n"
	"  -n, --name NAME    keep only frames of this name (train, test, ...)\n"
	"  -v, --invert       drop the selected frames, keep the rest\n"
	"  -o, --output FILE  write to FILE (appears only when complete)\n"
	"  -h, --help         show this help\n"
	"  -V, --version      show the version\n"
	"\n"
	"Examples:\n"
	"  imb-cat run1.imb run2.imb | imb-eval --aggregate train_ratio\n"
	"  imb-import fashion-mnist | imb-cat --name test > fmnist-test.imb\n";

int main(int argc, char **argv)
{
	imb_cli_init("imb-cat", argc, argv);
	static const struct option opts[] = {
		{"kind", required_argument, 0, 'k'},
		{"name", required_argument, 0, 'n'},
		{"invert", no_argument, 0, 'v'},
		{"output", required_argument, 0, 'o'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	const char *kind = NULL, *name = NULL, *out = "-";
	int invert = 0, c;
	while ((c = getopt_long(argc, argv, "k:n:vo:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kind = optarg; break;
		case 'n': name = optarg; break;
		case 'v': invert = 1; break;
		case 'o': out = optarg; break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	imb_writer *w = imb_open_output(out);
	int nfiles = argc - optind;
	for (int k = 0; k < (nfiles ? nfiles : 1); k++) {
		imb_reader *r = imb_open_input(nfiles ? argv[optind + k] : "-");
		imb_frame *f;
		while ((f = imb_next(r))) {
			int sel = (!kind || strcmp(f->kind, kind) == 0) &&
			          (!name || strcmp(f->name, name) == 0);
			if (sel != invert)
				imb_emit(w, f);
			imb_frame_free(f);
		}
		imb_reader_close(r);
	}
	imb_finish(w);
	return 0;
}
