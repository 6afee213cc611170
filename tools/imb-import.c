/* imb-import: turn a data source into dataset frames. */
#include "cli.h"
#include "dataset.h"
#include "import.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: imb-import SOURCE [ARG] [OPTIONS]\n"
	"Turn a data source into imb dataset frames on stdout.\n"
	"\n"
	"Sources:\n"
	"  fashion-mnist [--dir D]     IDX .gz files (default /usr/share/datasets/fashion-mnist);\n"
	"                              frames \"train\" (60000) then \"test\" (10000), x u8 (N,1,28,28)\n"
	"  idx --images F --labels F   any IDX pair, gzip or raw [--classes a,b,...] [--name N]\n"
	"  cifar10 [--dir D]           official binary batches (default $IMB_DATA/cifar-10-batches-bin):\n"
	"                              data_batch_1..5.bin and test_batch.bin, x u8 (N,3,32,32)\n"
	"  images PATH [--size S]      class-named folders of JPEG/PNG images, a .tar of CLASS/file\n"
	"                              entries, or a directory of CLASS.tar files (ImageFolder order)\n"
	"  csv FILE [--label COL]      a CSV table (gzip or plain, '-' is stdin); x f32 (N,D);\n"
	"                              without --label no y (data to score with imb-predict)\n"
	"  libsvm FILE                 LIBSVM sparse text [--n-features D]; x f32 (N,D)\n"
	"  adult [--dir D]             UCI Adult (default $IMB_DATA/adult): train and test\n"
	"  covtype [--dir D]           UCI Covertype (default $IMB_DATA/covtype): one \"train\" frame\n"
	"  toy moons|blobs|circles     imbalanced 2-D data [--n N] [--ratio R] [--noise S] [--seed S]\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE           write the frames to FILE (atomically) instead of stdout\n"
	"      --only train|test       emit only that frame (fashion-mnist, cifar10, adult)\n"
	"      --name NAME             frame name (idx, images, csv, libsvm, covtype, toy; default train)\n"
	"      --dataset-name NAME     attrs.source, the data set's name (csv, libsvm, images;\n"
	"                              default: the file's name without extensions, or stdin)\n"
	"      --dir D                 directory of a preset's files\n"
	"      --images F, --labels F  the IDX pair (idx)\n"
	"      --classes a,b,...       class names for idx labels 0,1,... (default \"0\",\"1\",...)\n"
	"      --size S                images: every image must be SxS (default: as the first one)\n"
	"      --label COL             csv: label column, a name or a 0-based index (none: no y)\n"
	"      --id COL                csv: id column, kept out of x as tensor \"id\" (imb-predict\n"
	"                              prints it)\n"
	"      --use COLS              csv: only these columns as features (names or 0-based indices)\n"
	"      --drop COLS             csv: leave these columns out\n"
	"      --impute METHOD         csv: fill missing numbers with the column's mean, median or\n"
	"                              most-frequent value (most-frequent fills categories too);\n"
	"                              a --vocab-from frame's values fill this file's\n"
	"      --header, --no-header   csv: the first record names the columns or not (default: guess)\n"
	"      --categorical LIST      csv: auto (non-numeric columns, default), none, or c1,c2,...\n"
	"      --missing LIST          csv: missing-value markers, a comma list (default\n"
	"                              ?,NA,N/A,n/a,NaN,nan,-nan,-NaN,null,NULL,None,<NA>,#N/A;\n"
	"                              empty fields too); inf, -inf, Infinity read as +-infinity\n"
	"      --sep C                 csv: field separator (default ','; 'tab' for a tab)\n"
	"      --skip N                csv: records to skip before the header or data\n"
	"      --vocab-from FILE       csv: encode like the first dataset frame of stream FILE\n"
	"                              (its features, categorical vocabularies, classes, label\n"
	"                              column and imputation values)\n"
	"      --n-features D          libsvm: number of features (default: the largest index)\n"
	"      --zero-based, --one-based  libsvm: feature indices from 0 or from 1 (default: 0-based\n"
	"                              when an index 0 occurs, else 1-based)\n"
	"      --n N                   toy: number of points (default 1000)\n"
	"      --ratio R               toy: minority/majority (default 0.1)\n"
	"      --noise S               toy: noise sd (default: moons 0.1, circles 0.05, blobs 0.5)\n"
	"      --seed S                toy: random seed (default 1)\n"
	"  -h, --help                  show this help\n"
	"  -V, --version               show the version\n"
	"\n"
	"Environment: IMB_DATA, the directory holding adult/, covtype/, cifar-10-batches-bin/\n"
	"(data/fetch downloads them). IMB_PROGRESS=1|0 forces progress on stderr on or off.\n";

enum {
	S_FMNIST, S_IDX, S_CIFAR, S_IMAGES, S_CSV, S_LIBSVM, S_ADULT, S_COVTYPE, S_TOY, S_N
};
static const char *const src_names[S_N] = {
	"fashion-mnist", "idx", "cifar10", "images", "csv", "libsvm", "adult", "covtype", "toy",
};
_Static_assert(IMB_LEN(src_names) == S_N, "one name per source");

#define B(s) (1u << (s))
#define TWO (B(S_FMNIST) | B(S_CIFAR) | B(S_ADULT))

enum {
	O_ONLY = 256, O_NAME, O_DIR, O_IMAGES, O_LABELS, O_CLASSES, O_SIZE, O_LABEL, O_HEADER,
	O_NOHEADER, O_CATEG, O_MISSING, O_SEP, O_SKIP, O_VOCAB, O_NFEAT, O_N, O_RATIO, O_NOISE,
	O_SEED, O_ID, O_USE, O_DROP, O_IMPUTE, O_DSNAME, O_ZERO, O_ONE, O_LAST
};

static const struct option longopts[] = {
	{"output", required_argument, 0, 'o'},
	{"only", required_argument, 0, O_ONLY},
	{"name", required_argument, 0, O_NAME},
	{"dir", required_argument, 0, O_DIR},
	{"images", required_argument, 0, O_IMAGES},
	{"labels", required_argument, 0, O_LABELS},
	{"classes", required_argument, 0, O_CLASSES},
	{"size", required_argument, 0, O_SIZE},
	{"label", required_argument, 0, O_LABEL},
	{"header", no_argument, 0, O_HEADER},
	{"no-header", no_argument, 0, O_NOHEADER},
	{"categorical", required_argument, 0, O_CATEG},
	{"missing", required_argument, 0, O_MISSING},
	{"sep", required_argument, 0, O_SEP},
	{"skip", required_argument, 0, O_SKIP},
	{"vocab-from", required_argument, 0, O_VOCAB},
	{"n-features", required_argument, 0, O_NFEAT},
	{"n", required_argument, 0, O_N},
	{"ratio", required_argument, 0, O_RATIO},
	{"noise", required_argument, 0, O_NOISE},
	{"seed", required_argument, 0, O_SEED},
	{"id", required_argument, 0, O_ID},
	{"use", required_argument, 0, O_USE},
	{"drop", required_argument, 0, O_DROP},
	{"impute", required_argument, 0, O_IMPUTE},
	{"dataset-name", required_argument, 0, O_DSNAME},
	{"zero-based", no_argument, 0, O_ZERO},
	{"one-based", no_argument, 0, O_ONE},
	{"help", no_argument, 0, 'h'},
	{"version", no_argument, 0, 'V'},
	{0, 0, 0, 0},
};

/* which sources each option applies to */
static unsigned allowed(int opt)
{
	switch (opt) {
	case O_ONLY: return TWO;
	case O_NAME: return B(S_IDX) | B(S_IMAGES) | B(S_CSV) | B(S_LIBSVM) | B(S_COVTYPE) | B(S_TOY);
	case O_DIR: return B(S_FMNIST) | B(S_CIFAR) | B(S_ADULT) | B(S_COVTYPE);
	case O_IMAGES: case O_LABELS: case O_CLASSES: return B(S_IDX);
	case O_SIZE: return B(S_IMAGES);
	case O_LABEL: case O_HEADER: case O_NOHEADER: case O_CATEG: case O_MISSING: case O_SEP:
	case O_SKIP: case O_VOCAB: case O_ID: case O_USE: case O_DROP: case O_IMPUTE:
		return B(S_CSV);
	case O_DSNAME: return B(S_CSV) | B(S_LIBSVM) | B(S_IMAGES);
	case O_NFEAT: case O_ZERO: case O_ONE: return B(S_LIBSVM);
	case O_N: case O_RATIO: case O_NOISE: case O_SEED: return B(S_TOY);
	default: return ~0u;
	}
}

static const char *opt_name(int opt)
{
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

/* $IMB_DATA/sub, or die */
static char *data_dir(const char *sub, const char *src)
{
	const char *d = getenv("IMB_DATA");
	if (!d || !*d)
		imb_die(1, "%s: IMB_DATA is not set; point it at the data directory (data/fetch fills one) "
		        "or pass --dir", src);
	char *p;
	if (asprintf(&p, "%s/%s", d, sub) < 0)
		abort();
	return p;
}

static void die_err(void)
{
	imb_die(1, "%s", imb_error());
}

int main(int argc, char **argv)
{
	imb_cli_init("imb-import", argc, argv);
	const char *out = NULL, *only = NULL, *name = NULL, *dir = NULL, *images = NULL,
	           *labels = NULL, *classes = NULL, *vocab = NULL;
	imb_csv_opts co = {0};
	co.header = -1;
	long size = 0, nfeat = 0, n = 1000;
	double ratio = 0.1, noise = -1;
	uint64_t seed = 1;
	int seen[O_LAST] = {0}, base = -1;
	const char *dsname = NULL;
	const char *pos[3] = {0};
	int npos = 0, c;
	opterr = 0;
	/* '-': positional arguments may come before, between or after options */
	while ((c = getopt_long(argc, argv, "-:o:hV", longopts, NULL)) != -1) {
		if (c >= 256)
			seen[c] = 1;
		switch (c) {
		case 'o': out = optarg; break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		case O_ONLY:
			if (strcmp(optarg, "train") && strcmp(optarg, "test"))
				imb_usage("--only: '%s' is not train or test", optarg);
			only = optarg;
			break;
		case O_NAME:
			if (!*optarg)
				imb_usage("--name: empty name");
			name = optarg;
			break;
		case O_DIR: dir = optarg; break;
		case O_IMAGES: images = optarg; break;
		case O_LABELS: labels = optarg; break;
		case O_CLASSES: classes = optarg; break;
		case O_SIZE: size = imb_arg_long("--size", optarg, 1, 1 << 16); break;
		case O_LABEL: co.label = optarg; break;
		case O_HEADER: co.header = 1; break;
		case O_NOHEADER: co.header = 0; break;
		case O_CATEG: co.categorical = optarg; break;
		case O_MISSING: co.missing = optarg; break;
		case O_SEP:
			if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0)
				co.sep = '\t';
			else if (strlen(optarg) == 1 && optarg[0] != '"')
				co.sep = optarg[0];
			else
				imb_usage("--sep: '%s' is not one character (or 'tab')", optarg);
			break;
		case O_SKIP: co.skip = imb_arg_long("--skip", optarg, 0, 1L << 40); break;
		case O_VOCAB: vocab = optarg; break;
		case O_NFEAT: nfeat = imb_arg_long("--n-features", optarg, 1, 1L << 30); break;
		case O_N: n = imb_arg_long("--n", optarg, 2, 1L << 34); break;
		case O_RATIO: ratio = imb_arg_double("--ratio", optarg, 1e-9, 1e9); break;
		case O_NOISE: noise = imb_arg_double("--noise", optarg, 0, 1e9); break;
		case O_SEED: seed = imb_arg_seed("--seed", optarg); break;
		case O_ID: co.id = optarg; break;
		case O_USE: co.use = optarg; break;
		case O_DROP: co.drop = optarg; break;
		case O_IMPUTE:
			if (strcmp(optarg, "mean") && strcmp(optarg, "median") &&
			    strcmp(optarg, "most-frequent"))
				imb_usage("--impute: '%s' is not mean, median or most-frequent", optarg);
			co.impute = optarg;
			break;
		case O_DSNAME:
			if (!*optarg)
				imb_usage("--dataset-name: empty name");
			dsname = optarg;
			break;
		case O_ZERO: case O_ONE:
			if (base >= 0 && base != (c == O_ONE))
				imb_usage("--zero-based and --one-based: give one");
			base = c == O_ONE;
			break;
		case 1:
			if (npos == 2)
				imb_usage("unexpected argument '%s'", optarg);
			pos[npos++] = optarg;
			break;
		case ':': imb_usage("%s needs an argument", argv[optind - 1]);
		default: imb_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (npos == 0)
		imb_usage("no source given (fashion-mnist, idx, cifar10, images, csv, libsvm, adult, "
		          "covtype, toy)");
	int src = -1;
	for (int k = 0; k < S_N; k++)
		if (strcmp(pos[0], src_names[k]) == 0)
			src = k;
	if (src < 0)
		imb_usage("unknown source '%s' (fashion-mnist, idx, cifar10, images, csv, libsvm, adult, "
		          "covtype, toy)", pos[0]);
	for (int o = 256; o < O_LAST; o++)
		if (seen[o] && !(allowed(o) & B(src)))
			imb_usage("--%s does not apply to source %s", opt_name(o), pos[0]);
	const char *arg = pos[1];
	int wants_arg = src == S_IMAGES || src == S_CSV || src == S_LIBSVM || src == S_TOY;
	if (wants_arg && !arg)
		imb_usage("%s needs %s", pos[0], src == S_TOY ? "a shape (moons, blobs or circles)"
		                                              : src == S_IMAGES ? "a folder or .tar"
		                                                                : "a file ('-' for stdin)");
	if (!wants_arg && arg)
		imb_usage("unexpected argument '%s' for source %s", arg, pos[0]);

	imb_frame *tr = NULL, *te = NULL;
	imb_frame **ptr = (!only || strcmp(only, "train") == 0) ? &tr : NULL;
	imb_frame **pte = (!only || strcmp(only, "test") == 0) ? &te : NULL;
	int64_t hseed = -1;
	char *own = NULL;
	switch (src) {
	case S_FMNIST:
		if (imb_import_fashion_mnist(dir, ptr, pte))
			die_err();
		break;
	case S_IDX: {
		if (!images || !labels)
			imb_usage("idx needs --images FILE and --labels FILE");
		char **names = NULL, *copy = NULL;
		size_t k = 0;
		if (classes) {
			char *save = NULL;
			copy = imb_xstrdup(classes);
			names = imb_xmalloc((strlen(classes) + 1) * sizeof *names);
			for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
				names[k++] = t;
			if (!k)
				imb_usage("--classes: empty list");
		}
		if (imb_import_idx(images, labels, name, (const char *const *)names, k, &tr))
			die_err();
		free(names);
		free(copy);
		break;
	}
	case S_CIFAR:
		if (!dir)
			dir = own = data_dir("cifar-10-batches-bin", "cifar10");
		if (imb_import_cifar10(dir, ptr, pte))
			die_err();
		break;
	case S_IMAGES:
		if (imb_import_images(arg, (int)size, name, &tr))
			die_err();
		break;
	case S_CSV: {
		if (co.use && co.drop)
			imb_usage("--use and --drop: give one");
		co.name = name;
		imb_frame *like = NULL;
		if (vocab) {
			imb_reader *r = imb_open_input(vocab);
			imb_frame *f;
			while ((f = imb_next(r)) && !imb_is_dataset(f))
				imb_frame_free(f);
			imb_reader_close(r);
			if (!f)
				imb_die(1, "%s: no dataset frame to take the vocabulary from", vocab);
			like = f;
			co.like = like->attrs;
		}
		if (imb_import_csv(arg, &co, &tr))
			die_err();
		imb_frame_free(like);
		break;
	}
	case S_LIBSVM:
		if (imb_import_libsvm_base(arg, nfeat, base, name, &tr))
			die_err();
		break;
	case S_ADULT:
		if (!dir)
			dir = own = data_dir("adult", "adult");
		if (imb_import_adult(dir, ptr, pte))
			die_err();
		break;
	case S_COVTYPE:
		if (!dir)
			dir = own = data_dir("covtype", "covtype");
		if (imb_import_covtype(dir, name, &tr))
			die_err();
		break;
	case S_TOY:
		if (imb_import_toy(arg, (size_t)n, ratio, noise, seed, name, &tr)) {
			if (strncmp(imb_error(), "unknown toy", 11) == 0)
				imb_usage("%s", imb_error());
			die_err();
		}
		hseed = (int64_t)seed;
		break;
	}
	free(own);
	if (dsname && tr)
		imb_val_set_str(tr->attrs, "source", dsname);
	/* everything is read before anything is written: a failure leaves no
	 * partial stream */
	imb_writer *w = imb_open_output(out);
	if (tr) {
		imb_history_append(tr, hseed);
		imb_emit(w, tr);
		imb_frame_free(tr);
	}
	if (te) {
		imb_history_append(te, hseed);
		imb_emit(w, te);
		imb_frame_free(te);
	}
	imb_finish(w);
	return 0;
}
