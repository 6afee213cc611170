/* imb-info: print a readable summary of an imb stream. */
#include "cli.h"
#include "info.h"

#include <getopt.h>
#include <stdlib.h>

static const char usage[] =
	"Usage: imb-info [--json] [FILE...]\n"
	"Print a summary of each frame of an imb stream: kind, name, tensors\n"
	"(dtype, shape, size), class counts and imbalance ratio (rarest/most\n"
	"frequent) of datasets, the features of tables (numeric or categorical\n"
	"with its levels, missing and infinite counts), model and metrics\n"
	"headlines, and the history of tools that made it. FILE '-' or none\n"
	"reads stdin.\n"
	"\n"
	"  -j, --json     one JSON array of frames instead of text\n"
	"  -h, --help     show this help\n"
	"  -V, --version  show the version\n"
	"\n"
	"Example: imb-import adult | imb-info\n";

int main(int argc, char **argv)
{
	imb_cli_init("imb-info", argc, argv);
	static const struct option opts[] = {
		{"json", no_argument, 0, 'j'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	int json = 0, c;
	while ((c = getopt_long(argc, argv, "jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	int nfiles = argc - optind;
	imb_val *all = json ? imb_val_arr() : NULL;
	long nframes = 0;
	for (int k = 0; k < (nfiles ? nfiles : 1); k++) {
		imb_reader *r = imb_open_input(nfiles ? argv[optind + k] : "-");
		imb_frame *f;
		while ((f = imb_next(r))) {
			f->index = ++nframes; /* number frames across all files */
			if (json)
				imb_val_push(all, imb_info_json(f));
			else
				imb_info_text(stdout, f);
			imb_frame_free(f);
		}
		imb_reader_close(r);
	}
	if (json) {
		imb_val_write_json(stdout, all, 2);
		fputc('\n', stdout);
		imb_val_free(all);
	} else if (!nframes) {
		puts("empty stream: no frames");
	}
	imb_finish_text();
	return 0;
}
