/* test_nn_flags.c: the shared network flags. Parsing fills the options
 * and records what was given; the help names every flag; --resume with
 * no other flag takes every setting from the checkpoint and gives the
 * bytes of an uninterrupted run; a flag given that differs from the
 * checkpoint is named, one that agrees is fine. */
#include "check.h"
#include "dataset.h"
#include "nn_checkpoint.h"
#include "nn_flags.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/test_nn_flags.XXXXXX";

/* parse argv (NULL-terminated) with the table alone */
static void parse(imb_nn_flags *fl, imb_nn_train_opts *o, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	struct option opts[IMB_NN_FLAGS_MAX + 1];
	int n = imb_nn_flags_options(opts);
	opts[n] = (struct option){0, 0, 0, 0};
	memset(fl, 0, sizeof *fl);
	imb_nn_train_opts_init(o);
	o->quiet = 1;
	optind = 0;
	int c;
	while ((c = getopt_long(argc, argv, imb_nn_flags_short(), opts, NULL)) != -1)
		CHECK(imb_nn_flags_parse(fl, o, c, optarg) == 1);
}

static imb_frame *images(int N)
{
	imb_frame *f = imb_frame_new("dataset", "train");
	uint64_t sx[4] = {(uint64_t)N, 1, 8, 8}, sy[1] = {(uint64_t)N};
	uint8_t *x = imb_frame_add_tensor(f, "x", IMB_U8, 4, sx)->data;
	int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, sy)->data;
	imb_rng r;
	imb_rng_seed(&r, 2);
	for (int i = 0; i < N; i++) {
		y[i] = i % 3 == 0;
		for (int j = 0; j < 64; j++)
			x[i * 64 + j] = (uint8_t)(imb_rng_below(&r, 100) + (y[i] && j < 32 ? 120 : 0));
	}
	imb_dataset_update_counts(f);
	return f;
}

static int same(const imb_frame *a, const imb_frame *b, const char *key)
{
	imb_tensor *x = imb_frame_tensor(a, key), *y = imb_frame_tensor(b, key);
	return x && y && x->nbytes == y->nbytes && !memcmp(x->data, y->data, x->nbytes);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	char ck[256], ck2[256];
	snprintf(ck, sizeof ck, "%s/ck.imb", dir);
	snprintf(ck2, sizeof ck2, "%s/ck2.imb", dir);
	imb_nn_flags fl;
	imb_nn_train_opts o;
	char *a1[] = {"t", "-e", "4", "--batch-size", "16", "--lr", "0.05", "--sampler", "balanced",
	              "--optimizer", "adamw", "--weight-decay", "0.001", "--warmup", "1", "-s",
	              "9", "-t", "2", "--augment", "crop-flip", "--val-frame", "test", NULL};
	parse(&fl, &o, a1);
	CHECK_EQ_INT(o.epochs, 4);
	CHECK_EQ_INT(o.batch, 16);
	CHECK(o.lr == 0.05 && o.weight_decay == 0.001 && o.warmup == 1);
	CHECK(o.sampler == IMB_NN_SAMPLER_BALANCED && o.optimizer == IMB_NN_OPT_ADAMW);
	CHECK(o.augment == IMB_NN_AUG_CROP_FLIP);
	CHECK_EQ_INT(o.seed, 9);
	CHECK_EQ_INT(o.threads, 2);
	CHECK_STR(o.val_frame, "test");
	CHECK(imb_nn_flags_given(&fl, "lr") && !imb_nn_flags_given(&fl, "tau"));
	CHECK_STR(imb_nn_flags_first(&fl), "epochs");
	char *a0[] = {"t", "-s", "3", "--threads", "1", NULL};
	parse(&fl, &o, a0);
	CHECK(imb_nn_flags_first(&fl) == NULL);   /* seed and threads are common */
	char *help = imb_nn_flags_help(1);
	const char *names[] = {"epochs", "batch-size", "lr", "schedule", "warmup", "optimizer",
	                       "momentum", "nesterov", "weight-decay", "loss", "focal-gamma", "tau",
	                       "sampler", "augment", "init", "freeze backbone", "checkpoint FILE",
	                       "checkpoint-every", "resume", "stop-after", "val-frame NAME", "seed",
	                       "threads", "step S", "rho R", "adaptive", "rho-minority R",
	                       "rho-class C:R"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char want[64];
		snprintf(want, sizeof want, "--%s", names[i]);
		CHECK_HAS(help, want);
	}
	free(help);
	help = imb_nn_flags_help(0);
	CHECK(strstr(help, "--seed") == NULL && strstr(help, "--epochs") != NULL);
	free(help);
	help = imb_nn_flags_help_groups(IMB_NN_FLAGS_SAM, 1);
	CHECK(strstr(help, "--rho-minority") && strstr(help, "--adaptive"));
	CHECK(strstr(help, "--epochs") == NULL && strstr(help, "--step") == NULL);
	free(help);

	/* SAM's flags; --rho-class repeats into one list, a fresh parse starts it anew */
	char *sam[] = {"t", "--step", "sam", "--rho", "0.1", "--adaptive", "--rho-minority", "0.3",
	               "--rho-class", "1:0.5", "--rho-class", "maj:0.2,2:0", NULL};
	parse(&fl, &o, sam);
	CHECK(o.step == IMB_NN_STEP_SAM && o.rho == 0.1 && o.adaptive == 1);
	CHECK(o.rho_minority == 0.3);
	CHECK_STR(o.rho_class, "1:0.5,maj:0.2,2:0");
	CHECK(imb_nn_train_check(&o) == NULL);
	char *sam2[] = {"t", "--rho-class", "0:1", NULL};
	parse(&fl, &o, sam2);
	CHECK_STR(o.rho_class, "0:1");
	CHECK(o.step == IMB_NN_STEP_PLAIN && o.rho < 0 && o.rho_minority < 0);
	CHECK_HAS(imb_nn_train_check(&o), "--rho-class applies to --step sam");

	/* --resume with no other flag: the settings come from the checkpoint */
	imb_frame *d = images(40), *full, *lf, *part, *lp, *res, *lr;
	char s[256];
	char *base[] = {"t", "-e", "3", "-b", "16", "--lr", "0.05", "--sampler", "balanced",
	                "--nesterov", "--loss", "focal", "--focal-gamma", "1.5", "--schedule",
	                "step", "-s", "4", "-t", "2", NULL};
	parse(&fl, &o, base);
	o.arch = "resnet8";
	CHECK(imb_nn_train(d, NULL, &o, &full, &lf, s, sizeof s) == 0);
	o.checkpoint = ck;
	o.stop_after = 1;
	CHECK(imb_nn_train(d, NULL, &o, &part, &lp, s, sizeof s) == 0);
	char *again[] = {"t", "--resume", ck, NULL};
	parse(&fl, &o, again);
	imb_val *cp;
	int64_t th;
	CHECK(imb_nn_checkpoint_settings(ck, &cp, &th) == 0);
	CHECK_EQ_INT(th, 2);
	CHECK(imb_nn_flags_resume(&fl, &o, cp, th, 0) == NULL);
	CHECK_STR(o.arch, "resnet8");
	CHECK(o.epochs == 3 && o.batch == 16 && o.nesterov == 1 && o.loss == IMB_NN_LOSS_FOCAL);
	CHECK(o.focal_gamma == 1.5 && o.lr == 0.05 && o.seed == 4 && o.threads == 2);
	CHECK_STR(o.schedule, "step");
	CHECK(imb_nn_train(d, NULL, &o, &res, &lr, s, sizeof s) == 0);
	if (full && res) {
		CHECK(same(full, res, "params"));
		CHECK(same(full, res, "bufs"));
		CHECK(!same(full, part, "params"));
		fprintf(stderr, "  --resume alone: the bytes of the uninterrupted run (%s)\n", s);
		imb_frame_free(res);
		imb_frame_free(lr);
	}
	imb_val_free(cp);

	/* given flags: the same value is fine, another is named */
	struct { char *flag, *val; int ok; } cases[] = {
		{"--epochs", "3", 1}, {"--lr", "0.05", 1}, {"--sampler", "balanced", 1},
		{"--epochs", "5", 0}, {"--lr", "0.1", 0}, {"--sampler", "plain", 0},
		{"--loss", "ce", 0}, {"--focal-gamma", "2", 0}, {"--seed", "5", 0},
		{"--optimizer", "adamw", 0}, {"--batch-size", "32", 0}, {"--schedule", "cosine", 0},
		{"--augment", "crop-flip", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *av[] = {"t", "--resume", ck, cases[i].flag, cases[i].val, NULL};
		parse(&fl, &o, av);
		CHECK(imb_nn_checkpoint_settings(ck, &cp, &th) == 0);
		const char *msg = imb_nn_flags_resume(&fl, &o, cp, th, 0);
		if (cases[i].ok) {
			CHECK(msg == NULL);
		} else {
			CHECK(msg != NULL);
			if (msg) {
				CHECK_HAS(msg, cases[i].flag);
				CHECK_HAS(msg, "checkpoint");
			}
		}
		imb_val_free(cp);
	}
	char *nest[] = {"t", "--resume", ck, "--nesterov", NULL};
	parse(&fl, &o, nest);
	CHECK(imb_nn_checkpoint_settings(ck, &cp, &th) == 0);
	CHECK(imb_nn_flags_resume(&fl, &o, cp, th, 0) == NULL);
	o.arch = "resnet20";
	const char *msg = imb_nn_flags_resume(&fl, &o, cp, th, 1);
	CHECK(msg != NULL);
	if (msg)
		CHECK_HAS(msg, "--model resnet20");
	imb_val_free(cp);
	/* SAM: its settings come from the checkpoint too; one that differs is named */
	imb_frame *sfull, *slf, *spart, *slp, *sres, *slr;
	char *sbase[] = {"t", "-e", "3", "-b", "16", "--step", "sam", "--rho", "0.1",
	                 "--rho-class", "1:0.3", "-s", "4", "-t", "2", NULL};
	parse(&fl, &o, sbase);
	o.arch = "resnet8";
	CHECK(imb_nn_train(d, NULL, &o, &sfull, &slf, s, sizeof s) == 0);
	o.checkpoint = ck2;
	o.stop_after = 1;
	CHECK(imb_nn_train(d, NULL, &o, &spart, &slp, s, sizeof s) == 0);
	char *sagain[] = {"t", "--resume", ck2, NULL};
	parse(&fl, &o, sagain);
	CHECK(imb_nn_checkpoint_settings(ck2, &cp, &th) == 0);
	CHECK(imb_nn_flags_resume(&fl, &o, cp, th, 0) == NULL);
	CHECK(o.step == IMB_NN_STEP_SAM && o.rho == 0.1);
	CHECK_STR(o.rho_class, "1:0.3");
	CHECK(imb_nn_train(d, NULL, &o, &sres, &slr, s, sizeof s) == 0);
	if (sfull && sres) {
		CHECK(same(sfull, sres, "params"));
		CHECK(same(sfull, sres, "bufs"));
		CHECK(!same(sfull, full, "params"));
		fprintf(stderr, "  SAM, --resume alone: the bytes of the uninterrupted run\n");
		imb_frame_free(sres);
		imb_frame_free(slr);
	}
	imb_val_free(cp);
	char *sdiff[][3] = {{"--rho", "0.2", "--rho"}, {"--rho-class", "1:0.4", "--rho-class"},
	                    {"--step", "plain", "--step"}, {"--adaptive", NULL, "--adaptive"}};
	for (size_t i = 0; i < sizeof sdiff / sizeof *sdiff; i++) {
		char *av[] = {"t", "--resume", ck2, sdiff[i][0], sdiff[i][1], NULL};
		parse(&fl, &o, av);
		CHECK(imb_nn_checkpoint_settings(ck2, &cp, &th) == 0);
		const char *m = imb_nn_flags_resume(&fl, &o, cp, th, 0);
		CHECK(m != NULL);
		if (m)
			CHECK_HAS(m, sdiff[i][2]);
		imb_val_free(cp);
	}
	imb_frame_free(sfull);
	imb_frame_free(slf);
	imb_frame_free(spart);
	imb_frame_free(slp);
	/* not a checkpoint */
	CHECK(imb_nn_checkpoint_settings("/nonexistent/ck", &cp, &th) == -1);
	CHECK_HAS(imb_error(), "/nonexistent/ck");
	imb_frame_free(full);
	imb_frame_free(lf);
	imb_frame_free(part);
	imb_frame_free(lp);
	imb_frame_free(d);
	unlink(ck);
	unlink(ck2);
	rmdir(dir);
	CHECK_DONE();
}
