/* imb-plot: PNG and SVG figures through gnuplot: a model's decision
 * boundary on 2-D data, a metric against a ratio (sweep), or any y
 * against x from a TSV (lines). */
#include "cli.h"
#include "dataset.h"
#include "eval_agg.h"
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
	const char *output, *frame, *x, *y, *group, *se;
	char **where;
	size_t nwhere;
	char **panel_titles;
	size_t npanel_titles;
	int svg, grid, logx, logy, width, height;
	double margin;
	imb_plot_opts po;
} opts;

/* close a memstream and write its text into the temp directory */
static void put(const char *dir, const char *name, FILE *fp, char **buf, size_t *len)
{
	if (fclose(fp))
		imb_die(1, "%s:", name);
	if (imb_plot_put(dir, name, *buf, *len))
		imb_die(1, "%s", imb_error());
	free(*buf);
	*buf = NULL;
	*len = 0;
}

/* what one boundary panel holds, until the script is written */
typedef struct {
	int K;
	char **names;
	size_t *counts;
	int *order;
	char *title;
} panel_data;

/* the first history entry's tool: who made the model */
static const char *made_by(const imb_frame *model)
{
	const imb_val *h = imb_val_get(model->attrs, "history");
	if (h && h->t == IMB_V_ARR && h->n)
		for (size_t i = 0; i < h->n; i++) {
			const char *t = imb_val_as_str(imb_val_get(h->items[i], "tool"), NULL);
			if (t && strcmp(t, "imb-import") && strcmp(t, "imb-split") &&
			    strcmp(t, "imb-oversample") && strcmp(t, "imb-cat"))
				return t;
		}
	return NULL;
}

/* one stream: its model on a grid over its dataset frame's points; the
 * panel's data files go to dir as gridQ.dat, pointsQ.dat, bordersQ.dat */
static void boundary_panel(opts *o, const char *path, const char *dir, int q, panel_data *pd,
                           char *xl, char *yl, size_t lsize)
{
	imb_reader *r = imb_open_input(path);
	imb_frame *f, *model = NULL, *data = NULL;
	while ((f = imb_next(r))) {
		if (!model && !strcmp(f->kind, "model"))
			model = f;
		else if (!data && !strcmp(f->kind, "dataset") && !strcmp(f->name, o->frame))
			data = f;
		else
			imb_frame_free(f);
	}
	imb_reader_close(r);
	const char *where = strcmp(path, "-") ? path : "the input";
	if (!model)
		imb_die(1, "%s: no model frame (kind 'model'): imb-train makes one", where);
	if (!data)
		imb_die(1, "%s: no dataset frame named '%s' (--frame; imb-train --keep-train "
		           "keeps the train set)", where, o->frame);
	if (imb_dataset_check(data))
		imb_die(1, "%s: %s", where, imb_error());
	size_t n = imb_dataset_n(data), d = imb_dataset_dim(data);
	if (d != 2)
		imb_die(1, "%s: dataset '%s': x has %zu features per sample; a boundary plot needs "
		           "2-D feature vectors", where, data->name, d);
	imb_predictor *p = imb_predictor_load(model);
	if (!p)
		imb_die(1, "%s: %s", where, imb_error());
	if (imb_predictor_nfeatures(p) != 2)
		imb_die(1, "%s: the model takes %zu features; dataset '%s' has 2", where,
		        imb_predictor_nfeatures(p), data->name);
	float *x = imb_dataset_features(data);
	const int32_t *y32 = imb_frame_tensor(data, "y")->data;
	int K = imb_predictor_nclasses(p);
	if (imb_dataset_nclasses(data) > K)
		imb_die(1, "%s: dataset '%s' has %d classes, the model %d", where, data->name,
		        imb_dataset_nclasses(data), K);
	int *y = imb_xmalloc((n ? n : 1) * sizeof *y);
	size_t *counts = imb_xcalloc((size_t)K, sizeof *counts);
	for (size_t i = 0; i < n; i++) {
		y[i] = y32[i];
		counts[y[i]]++;
	}
	/* majority first, the rarest class last (drawn on top) */
	int *order = imb_xmalloc((size_t)K * sizeof *order);
	imb_plot_class_order(counts, K, order);
	char **names = imb_xmalloc((size_t)K * sizeof *names);
	for (int k = 0; k < K; k++) {
		const char *nm = imb_dataset_class_name(data, k);
		char num[32];
		snprintf(num, sizeof num, "%d", k);
		names[k] = imb_xstrdup(nm ? nm : num);
	}

	imb_plot_box box;
	imb_plot_grid g;
	if (imb_plot_data_box(x, n, o->margin, &box))
		imb_die(1, "%s: dataset '%s': %s", where, data->name, imb_error());
	double t0 = imb_now();
	if (imb_plot_grid_eval(p, &box, o->grid, &g))
		imb_die(1, "%s: %s", where, imb_error());
	imb_log("%s: %s model on a %dx%d grid in %.2f s", where, imb_predictor_kind(p), o->grid,
	        o->grid, imb_now() - t0);

	if (imb_plot_panel_files(dir, q, &g, x, y, n, order))
		imb_die(1, "%s", imb_error());

	/* labels: the feature names when the data has them */
	const imb_val *feat = imb_val_get(data->attrs, "features");
	const char *f0 = feat && feat->t == IMB_V_ARR && feat->n == 2
	                 ? imb_val_as_str(feat->items[0], NULL) : NULL;
	const char *f1 = feat && feat->t == IMB_V_ARR && feat->n == 2
	                 ? imb_val_as_str(feat->items[1], NULL) : NULL;
	if (q == 0) {
		snprintf(xl, lsize, "%s (feature 1, data units)", f0 ? f0 : "x1");
		snprintf(yl, lsize, "%s (feature 2, data units)", f1 ? f1 : "x2");
	}
	const char *arch = imb_val_as_str(imb_val_get(model->attrs, "arch"), NULL);
	const char *kind = imb_val_as_str(imb_val_get(model->attrs, "model"), "model");
	const char *tool = made_by(model);
	char title[600];
	if (q < (int)o->npanel_titles)
		snprintf(title, sizeof title, "%s", o->panel_titles[q]);
	else
		snprintf(title, sizeof title, "%s%s%s on the %s set (%zu points)", arch ? arch : kind,
		         tool ? " by " : "", tool ? tool : "", data->name, n);
	pd->K = K;
	pd->names = names;
	pd->counts = counts;
	pd->order = order;
	pd->title = imb_xstrdup(title);
	free(y);
	free(x);
	imb_plot_grid_free(&g);
	imb_predictor_free(p);
	imb_frame_free(model);
	imb_frame_free(data);
}

static void boundary(opts *o, int nfiles, char **files, char *png, char *svg)
{
	if (nfiles > IMB_PLOT_MAX_PANELS)
		imb_usage("boundary draws at most %d panels (one per FILE)", IMB_PLOT_MAX_PANELS);
	if (o->npanel_titles > (size_t)(nfiles ? nfiles : 1))
		imb_usage("--panel-title given %zu times for %d panels", o->npanel_titles,
		          nfiles ? nfiles : 1);
	const char *dir = imb_plot_tmpdir();
	if (!dir)
		imb_die(1, "%s", imb_error());
	int np = nfiles ? nfiles : 1;
	panel_data pd[IMB_PLOT_MAX_PANELS];
	imb_plot_panel panel[IMB_PLOT_MAX_PANELS];
	char xl[300], yl[300];
	for (int q = 0; q < np; q++) {
		boundary_panel(o, nfiles ? files[q] : "-", dir, q, &pd[q], xl, yl, sizeof xl);
		panel[q] = (imb_plot_panel){.K = pd[q].K, .names = pd[q].names,
		                            .counts = pd[q].counts, .order = pd[q].order,
		                            .title = pd[q].title};
	}
	char one[1300];
	if (np == 1 && o->po.title && o->npanel_titles) {
		/* one panel: its title joins the figure's */
		snprintf(one, sizeof one, "%s: %s", o->po.title, pd[0].title);
		o->po.title = one;
	} else if (!o->po.title && np == 1) {
		o->po.title = pd[0].title;
	} else if (!o->po.title) {
		o->po.title = "Decision regions";
	}
	if (!o->po.xlabel)
		o->po.xlabel = xl;
	if (!o->po.ylabel)
		o->po.ylabel = yl;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	imb_plot_script_boundary(fp, &o->po, panel, np);
	put(dir, "plot.gp", fp, &buf, &len);
	if (imb_plot_draw(dir, png, svg))
		imb_die(1, "%s", imb_error());
	for (int q = 0; q < np; q++) {
		for (int k = 0; k < pd[q].K; k++)
			free(pd[q].names[k]);
		free(pd[q].names);
		free(pd[q].counts);
		free(pd[q].order);
		free(pd[q].title);
	}
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
	opts o = {.frame = "train", .grid = 200, .margin = 0.1, .logx = -1};
	if (!strcmp(argv[1], "boundary"))
		o.mode = MODE_BOUNDARY;
	else if (!strcmp(argv[1], "sweep"))
		o.mode = MODE_SWEEP;
	else if (!strcmp(argv[1], "lines"))
		o.mode = MODE_LINES;
	else
		imb_usage("unknown mode '%s': boundary, sweep or lines", argv[1]);
	enum { O_PTITLE = 300, O_SVG = 256, O_XLABEL, O_YLABEL, O_SIZE, O_MARGIN, O_SE, O_LOGX, O_LINX, O_LOGY };
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
		case 'f': o.frame = optarg; boundary_only = 1; break;
		case O_PTITLE:
			o.panel_titles = imb_xrealloc(o.panel_titles,
			                              (o.npanel_titles + 1) * sizeof *o.panel_titles);
			o.panel_titles[o.npanel_titles++] = optarg;
			boundary_only = 1;
			break;
		case 'g': o.grid = (int)imb_arg_long("--grid", optarg, 2, 2000); boundary_only = 1; break;
		case O_MARGIN:
			o.margin = imb_arg_double("--margin", optarg, 0, 10);
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
