/* imb-plot: PNG and SVG figures through gnuplot: a model's decision
 * boundary on 2-D data, a metric against a ratio (sweep), or any y
 * against x from a TSV (lines). */
#include "cli.h"
#include "plot.h"
#include "plot_boundary.h"
#include "plot_series.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: imb-plot boundary -o FILE.png|FILE.svg [OPTION]... [FILE...]\n"
	"  or:  imb-plot sweep -o FILE [--x COL] [--y COL] [--group COL] [OPTION]... [FILE...]\n"
	"  or:  imb-plot lines -o FILE --x COL --y COL [--group COL] [OPTION]... [FILE...]\n"
	"Draw a figure with gnuplot, as PNG or SVG (by the extension of -o; --svg\n"
	"draws both). FILE '-' or none reads stdin.\n"
	"\n"
	"boundary  the stream's first model frame (any kind) evaluated on a grid over\n"
	"          the 2-D points of a dataset frame: the predicted-class regions,\n"
	"          the decision boundary (the p = 0.5 contour for two classes, the\n"
	"          argmax borders for more) and the points by class, the rarest on top\n"
	"sweep     a metric against a ratio, one line per group, +-1 SE error bars,\n"
	"          ratio axis log-scaled; from imb-eval --aggregate TSV (NAME_mean and\n"
	"          NAME_se columns), any TSV, or metrics frames (aggregated here by\n"
	"          the --x and --group settings of attrs.config)\n"
	"lines     y against x from a TSV, one line per group (imb-hessian's loss\n"
	"          curves and eigenvalue spectra)\n"
	"\n"
	"  -o, --output FILE     the picture: FILE.png or FILE.svg (appears only when\n"
	"                        complete)\n"
	"      --svg             also write the SVG beside the PNG (FILE.svg)\n"
	"  -t, --title TEXT      the title (default: says what is drawn)\n"
	"      --xlabel TEXT     x axis label (default: the column, with its scale)\n"
	"      --ylabel TEXT     y axis label\n"
	"      --size WxH        picture size in pixels (default 900x650)\n"
	"boundary:\n"
	"  -f, --frame NAME      the dataset frame whose points are drawn (default train)\n"
	"                        several FILEs (streams) are drawn as panels side by side\n"
	"      --panel-title T   the title of the next panel (repeatable)\n"
	"  -g, --grid N          grid points per axis (default 200)\n"
	"      --margin M        grid beyond the data's range, as a fraction of it\n"
	"                        (default 0.1)\n"
	"sweep and lines:\n"
	"  -x, --x COL           x column (sweep default train_ratio)\n"
	"  -y, --y COL           y column (sweep default balanced_accuracy); when COL is\n"
	"                        absent COL_mean is used, with COL_se as error bars\n"
	"  -G, --group COLS      one line per value of these columns (comma list)\n"
	"      --se COL          error-bar column (+-1 SE)\n"
	"  -w, --where COL=V     keep rows where COL is V; repeatable\n"
	"      --logx, --linear-x  log or linear x axis (sweep: log; lines: linear)\n"
	"      --logy            log-scaled y axis\n"
	"  -q, --quiet           no log line on stderr\n"
	"  -h, --help            show this help\n"
	"  -V, --version         show the version\n"
	"\n"
	"gnuplot runs as a child process (IMB_GNUPLOT names another program); its\n"
	"absence is an error.\n"
	"\n"
	"Examples:\n"
	"  imb-import toy moons --ratio 0.1 | imb-split --train-ratio 0.1 --seed 1 \\\n"
	"    | imb-train --model mlp:64,64 --epochs 50 | imb-plot boundary -o moons.png --svg\n"
	"  cat runs/*.imb | imb-eval --aggregate model,train_ratio \\\n"
	"    | imb-plot sweep --group model --y balanced_accuracy -o sweep.png\n"
	"  imb-hessian --curve 1d --format tsv < run.imb \\\n"
	"    | imb-plot lines --where measure=loss1d --x x --y value -o curve.png\n";

enum { MODE_BOUNDARY, MODE_SWEEP, MODE_LINES };

typedef struct {
	int mode;
	const char *output, *x, *y, *group, *se;
	char **where;
	size_t nwhere;
	char **panel_titles;
	int svg, logx, logy;
	imb_plot_boundary_opts bo;
	imb_plot_opts po;
} opts;

static void boundary(opts *o, int nfiles, char **files, const char *png, const char *svg)
{
	if (nfiles > IMB_PLOT_MAX_PANELS)
		imb_usage("boundary draws at most %d panels (one per FILE)", IMB_PLOT_MAX_PANELS);
	if (o->bo.ntitles > (size_t)(nfiles ? nfiles : 1))
		imb_usage("--panel-title given %zu times for %d panels", o->bo.ntitles,
		          nfiles ? nfiles : 1);
	const char *dir = imb_plot_tmpdir();
	if (!dir)
		imb_die(1, "%s", imb_error());
	char *in[] = {"-"};
	if (imb_plot_boundary_files(dir, nfiles ? files : in, nfiles ? nfiles : 1, &o->bo, &o->po) ||
	    imb_plot_draw(dir, png, svg))
		imb_die(1, "%s", imb_error());
}

static void series(opts *o, int nfiles, char **files, const char *png, const char *svg)
{
	size_t len;
	char *text = imb_plot_read_input(files, nfiles, &len);
	if (!text)
		imb_die(1, "%s", imb_error());
	const char *dir = imb_plot_tmpdir();
	if (!dir)
		imb_die(1, "%s", imb_error());
	int rc = imb_plot_input_tsv(dir, &text, &len, o->mode == MODE_SWEEP, o->x, o->group);
	if (rc == -2)
		imb_usage("%s", imb_error());
	if (rc)
		imb_die(1, "%s", imb_error());
	imb_table t;
	if (imb_table_parse(text, len, &t))
		imb_die(1, "input: %s", imb_error());
	char *y, *se;
	imb_plot_resolve_y(&t, o->y, o->se, &y, &se);
	imb_plot_select sel = {.x = o->x, .y = y, .se = se, .group = o->group,
	                       .where = o->where, .nwhere = o->nwhere, .positive_x = o->logx};
	imb_plot_series *s;
	size_t ns;
	if (imb_plot_series_select(&t, &sel, &s, &ns))
		imb_die(1, "input: %s", imb_error());
	o->po.logx = o->logx;
	o->po.logy = o->logy;
	imb_plot_labels lab;
	imb_plot_series_labels(&o->po, &lab, o->x, o->y, se != NULL, o->group);
	if (imb_plot_series_files(dir, &o->po, s, ns) || imb_plot_draw(dir, png, svg))
		imb_die(1, "%s", imb_error());
	imb_log("%zu line%s", ns, ns == 1 ? "" : "s");
	imb_plot_series_free(s, ns);
	free(y);
	free(se);
	imb_table_free(&t);
}

int main(int argc, char **argv)
{
	imb_cli_init("imb-plot", argc, argv);
	imb_plot_catch_signals();
	if (argc < 2)
		imb_usage("a mode is needed: boundary, sweep or lines");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		imb_help(usage);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		imb_version();
	opts o = {.bo = {.frame = "train", .grid = 200, .margin = 0.1}, .logx = -1};
	if (!strcmp(argv[1], "boundary"))
		o.mode = MODE_BOUNDARY;
	else if (!strcmp(argv[1], "sweep"))
		o.mode = MODE_SWEEP;
	else if (!strcmp(argv[1], "lines"))
		o.mode = MODE_LINES;
	else
		imb_usage("unknown mode '%s': boundary, sweep or lines", argv[1]);
	enum { O_PTITLE = 300, O_SVG = 256, O_XLABEL, O_YLABEL, O_SIZE, O_MARGIN, O_SE, O_LOGX,
	       O_LINX, O_LOGY };
	static const struct option opts_[] = {
		{"output", required_argument, 0, 'o'},
		{"svg", no_argument, 0, O_SVG},
		{"title", required_argument, 0, 't'},
		{"xlabel", required_argument, 0, O_XLABEL},
		{"ylabel", required_argument, 0, O_YLABEL},
		{"size", required_argument, 0, O_SIZE},
		{"frame", required_argument, 0, 'f'},
		{"panel-title", required_argument, 0, O_PTITLE},
		{"grid", required_argument, 0, 'g'},
		{"margin", required_argument, 0, O_MARGIN},
		{"x", required_argument, 0, 'x'},
		{"y", required_argument, 0, 'y'},
		{"group", required_argument, 0, 'G'},
		{"se", required_argument, 0, O_SE},
		{"where", required_argument, 0, 'w'},
		{"logx", no_argument, 0, O_LOGX},
		{"linear-x", no_argument, 0, O_LINX},
		{"logy", no_argument, 0, O_LOGY},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	int c, boundary_only = 0, series_only = 0;
	argv[1] = argv[0];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "o:t:f:g:x:y:G:w:qhV", opts_, NULL)) != -1) {
		switch (c) {
		case 'o': o.output = optarg; break;
		case O_SVG: o.svg = 1; break;
		case 't': o.po.title = optarg; break;
		case O_XLABEL: o.po.xlabel = optarg; break;
		case O_YLABEL: o.po.ylabel = optarg; break;
		case O_SIZE: {
			char *e;
			long w = strtol(optarg, &e, 10), h = *e == 'x' ? strtol(e + 1, &e, 10) : 0;
			if (*e || w < 100 || h < 100 || w > 10000 || h > 10000)
				imb_usage("--size: '%s' is not WxH (100 to 10000 pixels)", optarg);
			o.po.width = (int)w;
			o.po.height = (int)h;
			break;
		}
		case 'f': o.bo.frame = optarg; boundary_only = 1; break;
		case O_PTITLE:
			o.panel_titles = imb_xrealloc(o.panel_titles,
			                              (o.bo.ntitles + 1) * sizeof *o.panel_titles);
			o.panel_titles[o.bo.ntitles++] = optarg;
			o.bo.titles = o.panel_titles;
			boundary_only = 1;
			break;
		case 'g':
			o.bo.grid = (int)imb_arg_long("--grid", optarg, 2, 2000);
			boundary_only = 1;
			break;
		case O_MARGIN:
			o.bo.margin = imb_arg_double("--margin", optarg, 0, 10);
			boundary_only = 1;
			break;
		case 'x': o.x = optarg; series_only = 1; break;
		case 'y': o.y = optarg; series_only = 1; break;
		case 'G': o.group = optarg; series_only = 1; break;
		case O_SE: o.se = optarg; series_only = 1; break;
		case 'w':
			o.where = imb_xrealloc(o.where, (o.nwhere + 1) * sizeof *o.where);
			o.where[o.nwhere++] = optarg;
			series_only = 1;
			break;
		case O_LOGX: o.logx = 1; series_only = 1; break;
		case O_LINX: o.logx = 0; series_only = 1; break;
		case O_LOGY: o.logy = 1; series_only = 1; break;
		case 'q': imb_quiet(1); break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	if (!o.output)
		imb_usage("--output FILE.png or FILE.svg is needed");
	if (o.mode == MODE_BOUNDARY && series_only)
		imb_usage("boundary takes no --x, --y, --group, --se, --where or log scales");
	if (o.mode != MODE_BOUNDARY && boundary_only)
		imb_usage("--frame, --grid and --margin are for boundary");
	if (o.mode == MODE_SWEEP) {
		if (!o.x)
			o.x = "train_ratio";
		if (!o.y)
			o.y = "balanced_accuracy";
		if (o.logx < 0)
			o.logx = 1;
	} else if (o.mode == MODE_LINES) {
		if (!o.x || !o.y)
			imb_usage("lines needs --x COL and --y COL");
		if (o.logx < 0)
			o.logx = 0;
	}
	char *png, *svg;
	if (imb_plot_targets(o.output, o.svg, &png, &svg))
		imb_usage("--output: %s", imb_error());
	o.po.png = png != NULL;
	o.po.svg = svg != NULL;
	if (o.mode == MODE_BOUNDARY)
		boundary(&o, argc - optind, argv + optind, png, svg);
	else
		series(&o, argc - optind, argv + optind, png, svg);
	imb_plot_tmpdir_remove();
	free(png);
	free(svg);
	free(o.where);
	free(o.panel_titles);
	return 0;
}
