/* imb-plot: PNG and SVG figures through gnuplot: a model's decision
 * boundary on 2-D data, a metric against a ratio (sweep), any y against
 * x from a TSV (lines), per-class training curves from log frames
 * (curves), grouped bars (bars) and heatmaps (heatmap) from a TSV. */
#include "cli.h"
#include "plot.h"
#include "plot_boundary.h"
#include "plot_curves.h"
#include "plot_grid.h"
#include "plot_series.h"
#include "stream.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: imb-plot boundary -o FILE.png|FILE.svg [OPTION]... [FILE...]\n"
	"  or:  imb-plot sweep -o FILE [--x COL] [--y COL] [--group COL] [OPTION]... [FILE...]\n"
	"  or:  imb-plot lines -o FILE --x COL --y COL [--group COL] [OPTION]... [FILE...]\n"
	"  or:  imb-plot curves -o FILE [--metric M] [--group KEYS] [--tsv T] [OPTION]... [FILE...]\n"
	"  or:  imb-plot bars -o FILE --x COL --y COL [--group COLS] [OPTION]... [FILE...]\n"
	"  or:  imb-plot heatmap -o FILE --x COL --y COL --z COL [--mark max] [OPTION]... [FILE...]\n"
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
	"curves    per-class training curves by epoch from the log frames of network\n"
	"          runs (streams of imb-train, imb-sam, ...): runs with equal attrs.split\n"
	"          --group keys averaged, one line per group and class with +-1 SE;\n"
	"          the legend names the minority and majority classes (per_class_n)\n"
	"bars      grouped bars from a TSV: a cluster per --x value (in order of first\n"
	"          appearance), a bar colour per --group value, +-1 SE error bars\n"
	"heatmap   --z over the categories of --x and --y from a long TSV (a row per\n"
	"          cell), numeric axes sorted by value, a colour bar; missing cells blank\n"
	"\n"
	"  -o, --output FILE     the picture: FILE.png or FILE.svg (appears only when\n"
	"                        complete); curves: FILE.tsv writes the table alone\n"
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
	"sweep, lines, bars and heatmap (columns of the TSV):\n"
	"  -x, --x COL           x column (sweep default train_ratio; bars: the clusters)\n"
	"  -y, --y COL           y column (sweep default balanced_accuracy); when COL is\n"
	"                        absent COL_mean is used, with COL_se as error bars\n"
	"      --z COL           heatmap: the cells' value (COL, else COL_mean)\n"
	"  -G, --group COLS      one line (bars: bar colour) per value of these columns\n"
	"      --se COL          error-bar column (+-1 SE)\n"
	"  -w, --where COL=V     keep rows where COL is V (as numbers when both are);\n"
	"                        repeatable\n"
	"      --logx, --linear-x  log or linear x axis (sweep: log; lines: linear)\n"
	"      --logy            log-scaled y axis (sweep, lines)\n"
	"      --labels          heatmap: each cell's value (3 decimals) in the cell\n"
	"      --mark max|min    heatmap: a frame on the cell of the largest (smallest) z\n"
	"                        in each x column (ties: the first in y order)\n"
	"      --tsv FILE        curves: the averaged numbers drawn; heatmap: the cells,\n"
	"                        with a 'marked' column under --mark ('-': stdout)\n"
	"curves (keys of the logs' attrs.split: train_ratio, seed, ...):\n"
	"      --metric M        error (1 - per-class accuracy; default), acc or loss\n"
	"  -G, --group KEYS      average runs with equal values of these keys (comma\n"
	"                        list); default: all runs together\n"
	"  -w, --where KEY=V     keep runs whose KEY is V (numbers as numbers);\n"
	"                        repeatable\n"
	"  -q, --quiet           no log line on stderr\n"
	"  -h, --help            show this help\n"
	"  -V, --version         show the version\n"
	"\n"
	"curves --tsv columns: the group keys, epoch, class, class_name, n_runs,\n"
	"METRIC_mean, METRIC_se (SE: sample std / sqrt(n), NA for one run).\n"
	"gnuplot runs as a child process (IMB_GNUPLOT names another program); its\n"
	"absence is an error.\n"
	"\n"
	"Examples:\n"
	"  imb-import toy moons --ratio 0.1 | imb-split --train-ratio 0.1 --seed 1 \\\n"
	"    | imb-train --model mlp:64,64 --epochs 50 | imb-plot boundary -o moons.png --svg\n"
	"  cat runs/*.imb | imb-eval --aggregate model,train_ratio \\\n"
	"    | imb-plot sweep --group model --y balanced_accuracy -o sweep.png\n"
	"  imb-hessian --curve 1d --format tsv < run.imb \\\n"
	"    | imb-plot lines --where measure=loss1d --x x --y value -o curve.png\n"
	"  imb-plot curves --group train_ratio --tsv curves.tsv -o curves.png runs/*.imb\n"
	"  imb-plot bars --x method --y balanced_accuracy --group train_ratio -o bars.png < agg.tsv\n"
	"  imb-plot heatmap --x test_ratio --y train_ratio --z balanced_accuracy --mark max \\\n"
	"    --labels -o heat.png < grid.tsv\n";

enum { MODE_BOUNDARY, MODE_SWEEP, MODE_LINES, MODE_CURVES, MODE_BARS, MODE_HEATMAP };
static const char *const mode_names[] = {"boundary", "sweep", "lines", "curves", "bars", "heatmap"};

/* the mode-specific flags, by bit, and which modes take them */
enum { F_FRAME, F_PTITLE, F_GRID, F_MARGIN, F_X, F_Y, F_Z, F_GROUP, F_SE, F_WHERE, F_LOGX,
       F_LINX, F_LOGY, F_METRIC, F_TSV, F_LABELS, F_MARK, F_COUNT };
static const char *const flag_names[F_COUNT] = {
	"--frame", "--panel-title", "--grid", "--margin", "--x", "--y", "--z", "--group", "--se",
	"--where", "--logx", "--linear-x", "--logy", "--metric", "--tsv", "--labels", "--mark",
};
#define B(f) (1u << (f))
static const unsigned mode_flags[] = {
	[MODE_BOUNDARY] = B(F_FRAME) | B(F_PTITLE) | B(F_GRID) | B(F_MARGIN),
	[MODE_SWEEP] = B(F_X) | B(F_Y) | B(F_GROUP) | B(F_SE) | B(F_WHERE) | B(F_LOGX) | B(F_LINX) |
	               B(F_LOGY),
	[MODE_LINES] = B(F_X) | B(F_Y) | B(F_GROUP) | B(F_SE) | B(F_WHERE) | B(F_LOGX) | B(F_LINX) |
	               B(F_LOGY),
	[MODE_CURVES] = B(F_METRIC) | B(F_GROUP) | B(F_WHERE) | B(F_TSV),
	[MODE_BARS] = B(F_X) | B(F_Y) | B(F_GROUP) | B(F_SE) | B(F_WHERE),
	[MODE_HEATMAP] = B(F_X) | B(F_Y) | B(F_Z) | B(F_WHERE) | B(F_LABELS) | B(F_MARK) | B(F_TSV),
};
_Static_assert(sizeof mode_flags / sizeof *mode_flags == sizeof mode_names / sizeof *mode_names,
               "a mode without its flags");

typedef struct {
	int mode;
	const char *output, *x, *y, *z, *group, *se, *tsv;
	char **where;
	size_t nwhere;
	char **panel_titles;
	int svg, logx, logy, metric, mark, labels;
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

/* the input as a table (sweep: metrics frames aggregated), and the
 * temporary directory */
static const char *read_table(opts *o, int nfiles, char **files, imb_table *t)
{
	size_t len;
	char *text = imb_plot_read_input(files, nfiles, &len);
	if (!text)
		imb_die(1, "%s", imb_error());
	const char *dir = imb_plot_tmpdir();
	if (!dir)
		imb_die(1, "%s", imb_error());
	if (o->mode != MODE_SWEEP && imb_plot_input_is_table(mode_names[o->mode], text, len))
		imb_die(1, "%s", imb_error());
	int rc = imb_plot_input_tsv(dir, &text, &len, o->mode == MODE_SWEEP, o->x, o->group);
	if (rc == -2)
		imb_usage("%s", imb_error());
	if (rc)
		imb_die(1, "%s", imb_error());
	if (imb_table_parse(text, len, t))
		imb_die(1, "input: %s", imb_error());
	return dir;
}

static void series(opts *o, int nfiles, char **files, const char *png, const char *svg)
{
	imb_table t;
	const char *dir = read_table(o, nfiles, files, &t);
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

/* --tsv: a text output that appears when closed (imb_die removes it) */
static FILE *tsv_open(const char *path)
{
	FILE *fp = imb_text_open(path);
	if (!fp)
		imb_die(1, "%s", imb_error());
	return fp;
}

static void tsv_close(FILE *fp, const char *path)
{
	if (imb_text_close(fp))
		imb_die(1, "%s", imb_error());
	if (strcmp(path, "-"))
		imb_log("wrote %s", path);
}

static void curves(opts *o, int nfiles, char **files, const char *png, const char *svg)
{
	imb_plot_curves_opts c = {.metric = o->metric, .group = o->group, .where = o->where,
	                          .nwhere = o->nwhere};
	imb_plot_curves cv;
	int rc = imb_plot_curves_read(files, nfiles, &c, &cv);
	if (rc == -2)
		imb_usage("%s", imb_error());
	if (rc)
		imb_die(1, "%s", imb_error());
	FILE *tsv = o->tsv ? tsv_open(o->tsv) : NULL;
	if (tsv && imb_plot_curves_write_tsv(tsv, &cv))
		imb_die(1, "%s: %s", o->tsv, imb_error());
	if (png || svg) {
		const char *dir = imb_plot_tmpdir();
		if (!dir || imb_plot_curves_files(dir, &o->po, &cv) || imb_plot_draw(dir, png, svg))
			imb_die(1, "%s", imb_error());
	}
	if (tsv)
		tsv_close(tsv, o->tsv);
	size_t lines = 0;
	for (size_t q = 0; q < cv.ng; q++)
		lines += (size_t)cv.g[q].K;
	imb_log("%zu run%s of %zu log frame%s, %zu group%s, %zu line%s", cv.nruns,
	        cv.nruns == 1 ? "" : "s", cv.nread, cv.nread == 1 ? "" : "s", cv.ng,
	        cv.ng == 1 ? "" : "s", lines, lines == 1 ? "" : "s");
	imb_plot_curves_free(&cv);
}

static void bars(opts *o, int nfiles, char **files, const char *png, const char *svg)
{
	imb_table t;
	const char *dir = read_table(o, nfiles, files, &t);
	char *y, *se;
	imb_plot_resolve_y(&t, o->y, o->se, &y, &se);
	imb_plot_select sel = {.x = o->x, .y = y, .se = se, .group = o->group,
	                       .where = o->where, .nwhere = o->nwhere};
	imb_plot_bars b;
	if (imb_plot_bars_select(&t, &sel, &b))
		imb_die(1, "input: %s", imb_error());
	if (imb_plot_bars_files(dir, &o->po, &sel, &b) || imb_plot_draw(dir, png, svg))
		imb_die(1, "%s", imb_error());
	imb_log("%zu cluster%s of %zu bar%s", b.nx, b.nx == 1 ? "" : "s", b.ng, b.ng == 1 ? "" : "s");
	imb_plot_bars_free(&b);
	free(y);
	free(se);
	imb_table_free(&t);
}

static void heatmap(opts *o, int nfiles, char **files, const char *png, const char *svg)
{
	imb_table t;
	const char *dir = read_table(o, nfiles, files, &t);
	imb_plot_heat_opts ho = {.x = o->x, .y = o->y, .z = o->z, .where = o->where,
	                         .nwhere = o->nwhere, .mark = o->mark, .labels = o->labels};
	imb_plot_heat h;
	if (imb_plot_heat_select(&t, &ho, &h))
		imb_die(1, "input: %s", imb_error());
	FILE *tsv = o->tsv ? tsv_open(o->tsv) : NULL;
	if (tsv && imb_plot_heat_write_tsv(tsv, &ho, &h))
		imb_die(1, "%s: %s", o->tsv, imb_error());
	if (imb_plot_heat_files(dir, &o->po, &ho, &h) || imb_plot_draw(dir, png, svg))
		imb_die(1, "%s", imb_error());
	if (tsv)
		tsv_close(tsv, o->tsv);
	imb_log("%zu x %zu cells", h.nx, h.ny);
	for (size_t i = 0; h.marked && i < h.nx; i++)
		if (h.marked[i] >= 0)
			imb_log("%s %s at %s = %s: %s = %s", o->mark > 0 ? "largest" : "smallest", h.zcol,
			        o->x, h.xcat[i], o->y, h.ycat[h.marked[i]]);
	imb_plot_heat_free(&h);
	imb_table_free(&t);
}

int main(int argc, char **argv)
{
	imb_cli_init("imb-plot", argc, argv);
	imb_plot_catch_signals();
	if (argc < 2)
		imb_usage("a mode is needed: boundary, sweep, lines, curves, bars or heatmap");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		imb_help(usage);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		imb_version();
	opts o = {.bo = {.frame = "train", .grid = 200, .margin = 0.1}, .logx = -1,
	          .mode = -1, .metric = IMB_PLOT_CURVE_ERROR};
	for (int m = 0; m < (int)IMB_LEN(mode_names); m++)
		if (!strcmp(argv[1], mode_names[m]))
			o.mode = m;
	if (o.mode < 0)
		imb_usage("unknown mode '%s': boundary, sweep, lines, curves, bars or heatmap", argv[1]);
	enum { O_PTITLE = 300, O_SVG = 256, O_XLABEL, O_YLABEL, O_SIZE, O_MARGIN, O_SE, O_LOGX,
	       O_LINX, O_LOGY, O_Z, O_METRIC, O_TSV, O_LABELS, O_MARK };
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
		{"z", required_argument, 0, O_Z},
		{"group", required_argument, 0, 'G'},
		{"se", required_argument, 0, O_SE},
		{"where", required_argument, 0, 'w'},
		{"logx", no_argument, 0, O_LOGX},
		{"linear-x", no_argument, 0, O_LINX},
		{"logy", no_argument, 0, O_LOGY},
		{"metric", required_argument, 0, O_METRIC},
		{"tsv", required_argument, 0, O_TSV},
		{"labels", no_argument, 0, O_LABELS},
		{"mark", required_argument, 0, O_MARK},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	int c;
	unsigned seen = 0;
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
		case 'f': o.bo.frame = optarg; seen |= B(F_FRAME); break;
		case O_PTITLE:
			o.panel_titles = imb_xrealloc(o.panel_titles,
			                              (o.bo.ntitles + 1) * sizeof *o.panel_titles);
			o.panel_titles[o.bo.ntitles++] = optarg;
			o.bo.titles = o.panel_titles;
			seen |= B(F_PTITLE);
			break;
		case 'g':
			o.bo.grid = (int)imb_arg_long("--grid", optarg, 2, 2000);
			seen |= B(F_GRID);
			break;
		case O_MARGIN:
			o.bo.margin = imb_arg_double("--margin", optarg, 0, 10);
			seen |= B(F_MARGIN);
			break;
		case 'x': o.x = optarg; seen |= B(F_X); break;
		case 'y': o.y = optarg; seen |= B(F_Y); break;
		case O_Z: o.z = optarg; seen |= B(F_Z); break;
		case 'G': o.group = optarg; seen |= B(F_GROUP); break;
		case O_SE: o.se = optarg; seen |= B(F_SE); break;
		case 'w':
			o.where = imb_xrealloc(o.where, (o.nwhere + 1) * sizeof *o.where);
			o.where[o.nwhere++] = optarg;
			seen |= B(F_WHERE);
			break;
		case O_LOGX: o.logx = 1; seen |= B(F_LOGX); break;
		case O_LINX: o.logx = 0; seen |= B(F_LINX); break;
		case O_LOGY: o.logy = 1; seen |= B(F_LOGY); break;
		case O_METRIC:
			if ((o.metric = imb_plot_curve_metric(optarg)) < 0)
				imb_usage("--metric: '%s' is not error, acc or loss", optarg);
			seen |= B(F_METRIC);
			break;
		case O_TSV: o.tsv = optarg; seen |= B(F_TSV); break;
		case O_LABELS: o.labels = 1; seen |= B(F_LABELS); break;
		case O_MARK:
			if (strcmp(optarg, "max") && strcmp(optarg, "min"))
				imb_usage("--mark: '%s' is not max or min", optarg);
			o.mark = optarg[1] == 'a' ? 1 : -1;
			seen |= B(F_MARK);
			break;
		case 'q': imb_quiet(1); break;
		case 'h': imb_help(usage);
		case 'V': imb_version();
		default: imb_usage("unknown option");
		}
	}
	for (int f = 0; f < F_COUNT; f++)
		if ((seen & B(f)) && !(mode_flags[o.mode] & B(f)))
			imb_usage("%s takes no %s", mode_names[o.mode], flag_names[f]);
	if (!o.output)
		imb_usage("--output FILE.png or FILE.svg is needed");
	if (o.mode == MODE_SWEEP) {
		if (!o.x)
			o.x = "train_ratio";
		if (!o.y)
			o.y = "balanced_accuracy";
		if (o.logx < 0)
			o.logx = 1;
	} else if (o.mode == MODE_LINES || o.mode == MODE_BARS) {
		if (!o.x || !o.y)
			imb_usage("%s needs --x COL and --y COL", mode_names[o.mode]);
		if (o.logx < 0)
			o.logx = 0;
	} else if (o.mode == MODE_HEATMAP && (!o.x || !o.y || !o.z)) {
		imb_usage("heatmap needs --x COL, --y COL and --z COL");
	}
	char *png = NULL, *svg = NULL;
	const char *dot = strrchr(o.output, '.');
	if (o.mode == MODE_CURVES && dot && !strcmp(dot, ".tsv")) {
		/* the table alone */
		if (o.svg || o.tsv)
			imb_usage("-o FILE.tsv writes the table alone: no --svg or --tsv with it");
		o.tsv = o.output;
	} else if (imb_plot_targets(o.output, o.svg, &png, &svg)) {
		imb_usage("--output: %s%s", imb_error(),
		          o.mode == MODE_CURVES ? " (or .tsv for the table alone)" : "");
	}
	o.po.png = png != NULL;
	o.po.svg = svg != NULL;
	int nfiles = argc - optind;
	char **files = argv + optind;
	switch (o.mode) {
	case MODE_BOUNDARY: boundary(&o, nfiles, files, png, svg); break;
	case MODE_CURVES: curves(&o, nfiles, files, png, svg); break;
	case MODE_BARS: bars(&o, nfiles, files, png, svg); break;
	case MODE_HEATMAP: heatmap(&o, nfiles, files, png, svg); break;
	default: series(&o, nfiles, files, png, svg); break;
	}
	imb_plot_tmpdir_remove();
	free(png);
	free(svg);
	free(o.where);
	free(o.panel_titles);
	return 0;
}
