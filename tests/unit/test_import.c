/* test_import.c: every importer on tiny fixtures written here (IDX raw
 * and gzip, CIFAR-10 batches, PNG and JPEG folders and a tar, CSV,
 * LIBSVM), its values checked one by one, and each bad input an error
 * that names the file and where. */
#include "check.h"
#include "dataset.h"
#include "import.h"
#include "util.h"

#include <jpeglib.h>
#include <png.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/imb-test-import-XXXXXX";

static char *P(const char *name)
{
	static char buf[8][512];
	static int k;
	char *b = buf[k++ & 7];
	snprintf(b, 512, "%s/%s", dir, name);
	return b;
}

static void put(const char *name, const void *p, size_t n)
{
	FILE *fp = fopen(P(name), "wb");
	if (!fp || fwrite(p, 1, n, fp) != n || fclose(fp))
		abort();
}

static void put_gz(const char *name, const void *p, size_t n)
{
	gzFile g = gzopen(P(name), "wb");
	if (!g || gzwrite(g, p, (unsigned)n) != (int)n || gzclose(g) != Z_OK)
		abort();
}

static void puts_(const char *name, const char *s) { put(name, s, strlen(s)); }

static const char *err_of(int rc)
{
	return rc ? imb_error() : "(no error)";
}

static const char *cls(const imb_frame *f, int k) { return imb_dataset_class_name(f, k); }

static int64_t count(const imb_frame *f, int k)
{
	imb_val *c = imb_val_get(f->attrs, "counts");
	return c && (size_t)k < c->n ? imb_val_as_int(c->items[k], -1) : -1;
}

/* ---- IDX ---- */

static size_t idx_bytes(unsigned char *b, int type, int nd, const uint32_t *dims, const uint8_t *data)
{
	b[0] = b[1] = 0;
	b[2] = (unsigned char)type;
	b[3] = (unsigned char)nd;
	size_t n = 4, total = 1;
	for (int k = 0; k < nd; k++) {
		b[n++] = dims[k] >> 24;
		b[n++] = dims[k] >> 16;
		b[n++] = dims[k] >> 8;
		b[n++] = dims[k];
		total *= dims[k];
	}
	memcpy(b + n, data, total);
	return n + total;
}

static void test_idx(void)
{
	unsigned char ib[256], lb[64];
	uint8_t px[3 * 2 * 3], lab[3] = {2, 0, 2};
	for (int k = 0; k < 18; k++)
		px[k] = (uint8_t)(k * 10);
	uint32_t idims[3] = {3, 2, 3}, ldims[1] = {3};
	size_t in = idx_bytes(ib, 8, 3, idims, px), ln = idx_bytes(lb, 8, 1, ldims, lab);
	put("i.idx", ib, in);
	put_gz("i.idx.gz", ib, in);
	put("l.idx", lb, ln);
	put_gz("l.idx.gz", lb, ln);
	imb_frame *f = NULL;
	int rc = imb_import_idx(P("i.idx.gz"), P("l.idx"), "val", NULL, 0, &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		imb_tensor *x = imb_frame_tensor(f, "x"), *y = imb_frame_tensor(f, "y");
		CHECK_EQ_INT(x->dtype, IMB_U8);
		CHECK_EQ_INT(x->ndim, 4);
		CHECK_EQ_INT(x->shape[0], 3);
		CHECK_EQ_INT(x->shape[1], 1);
		CHECK_EQ_INT(x->shape[2], 2);
		CHECK_EQ_INT(x->shape[3], 3);
		CHECK(memcmp(x->data, px, 18) == 0);
		CHECK_EQ_INT(((int32_t *)y->data)[0], 2);
		CHECK_EQ_INT(((int32_t *)y->data)[1], 0);
		CHECK_STR(f->name, "val");
		CHECK_EQ_INT(imb_dataset_nclasses(f), 3);
		CHECK_STR(cls(f, 2), "2");
		CHECK_EQ_INT(count(f, 0), 1);
		CHECK_EQ_INT(count(f, 1), 0);
		CHECK_EQ_INT(count(f, 2), 2);
		CHECK_EQ_INT(imb_dataset_check(f), 0);
		imb_frame_free(f);
	}
	const char *names[] = {"a", "b", "c"};
	rc = imb_import_idx(P("i.idx"), P("l.idx.gz"), NULL, names, 3, &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		CHECK_STR(cls(f, 1), "b");
		CHECK_STR(f->name, "train");
		imb_frame_free(f);
	}
	/* two names for label 2 */
	rc = imb_import_idx(P("i.idx"), P("l.idx"), NULL, names, 2, &f);
	CHECK(rc < 0);
	CHECK_HAS(imb_error(), "label 2");
	/* bad magic */
	unsigned char bad[64];
	memcpy(bad, ib, in);
	bad[0] = 1;
	put("bad.idx", bad, in);
	CHECK(imb_import_idx(P("bad.idx"), P("l.idx"), NULL, NULL, 0, &f) < 0);
	CHECK_HAS(imb_error(), "bad magic");
	CHECK_HAS(imb_error(), "bad.idx");
	/* truncated data and header */
	put("trunc.idx", ib, in - 1);
	CHECK(imb_import_idx(P("trunc.idx"), P("l.idx"), NULL, NULL, 0, &f) < 0);
	CHECK_HAS(imb_error(), "truncated");
	put("trunc2.idx", ib, 9);
	CHECK(imb_import_idx(P("trunc2.idx"), P("l.idx"), NULL, NULL, 0, &f) < 0);
	CHECK_HAS(imb_error(), "truncated IDX header");
	/* a truncated gzip stream */
	FILE *fp = fopen(P("i.idx.gz"), "rb");
	unsigned char gz[512];
	size_t gn = fread(gz, 1, sizeof gz, fp);
	fclose(fp);
	put("cut.idx.gz", gz, gn / 2);
	CHECK(imb_import_idx(P("cut.idx.gz"), P("l.idx"), NULL, NULL, 0, &f) < 0);
	CHECK_HAS(imb_error(), "cut.idx.gz");
	/* count mismatch */
	uint32_t l2[1] = {2};
	ln = idx_bytes(lb, 8, 1, l2, lab);
	put("l2.idx", lb, ln);
	CHECK(imb_import_idx(P("i.idx"), P("l2.idx"), NULL, NULL, 0, &f) < 0);
	CHECK_HAS(imb_error(), "3 images");
	CHECK_HAS(imb_error(), "2 labels");
	/* missing file */
	CHECK(imb_import_idx(P("nope.idx"), P("l.idx"), NULL, NULL, 0, &f) < 0);
	CHECK_HAS(imb_error(), "nope.idx: No such file");
	/* not u8 */
	ln = idx_bytes(lb, 0x0d, 1, ldims, lab);
	put("f.idx", lb, ln);
	CHECK(imb_import_idx(P("i.idx"), P("f.idx"), NULL, NULL, 0, &f) < 0);
	CHECK_HAS(imb_error(), "not supported");
}

/* ---- CIFAR-10 ---- */

static void cifar_file(const char *name, int nrec, int label0)
{
	size_t n = (size_t)nrec * 3073;
	unsigned char *b = imb_xmalloc(n);
	for (int r = 0; r < nrec; r++) {
		b[r * 3073] = (unsigned char)((label0 + r) % 10);
		for (int k = 0; k < 3072; k++)
			b[r * 3073 + 1 + k] = (unsigned char)(k / 1024 * 100 + r); /* R, G, B planes */
	}
	put(name, b, n);
	free(b);
}

static void test_cifar(void)
{
	mkdir(P("cifar"), 0755);
	char name[64];
	for (int k = 1; k <= 5; k++) {
		snprintf(name, sizeof name, "cifar/data_batch_%d.bin", k);
		cifar_file(name, 2, k);
	}
	cifar_file("cifar/test_batch.bin", 3, 7);
	imb_frame *tr = NULL, *te = NULL;
	int rc = imb_import_cifar10(P("cifar"), &tr, &te);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		imb_tensor *x = imb_frame_tensor(tr, "x");
		CHECK_EQ_INT(x->shape[0], 10);
		CHECK_EQ_INT(x->shape[1], 3);
		CHECK_EQ_INT(x->shape[2], 32);
		CHECK_EQ_INT(x->shape[3], 32);
		uint8_t *px = x->data;
		/* record 3 (batch 2, record 1): G plane value 100 + 1 */
		CHECK_EQ_INT(px[3 * 3072 + 1024 + 5], 101);
		CHECK_EQ_INT(px[3 * 3072 + 2048], 201);
		CHECK_EQ_INT(((int32_t *)imb_frame_tensor(tr, "y")->data)[3], 3);
		CHECK_EQ_INT(imb_dataset_n(te), 3);
		CHECK_EQ_INT(((int32_t *)imb_frame_tensor(te, "y")->data)[2], 9);
		CHECK_STR(cls(tr, 9), "truck");
		CHECK_STR(te->name, "test");
		imb_frame_free(tr);
		imb_frame_free(te);
	}
	/* only the test part */
	te = NULL;
	CHECK_EQ_INT(imb_import_cifar10(P("cifar"), NULL, &te), 0);
	imb_frame_free(te);
	/* a truncated batch */
	unsigned char junk[100] = {0};
	put("cifar/data_batch_4.bin", junk, sizeof junk);
	CHECK(imb_import_cifar10(P("cifar"), &tr, NULL) < 0);
	CHECK_HAS(imb_error(), "data_batch_4.bin");
	CHECK_HAS(imb_error(), "truncated");
	/* a bad label */
	cifar_file("cifar/data_batch_4.bin", 1, 0);
	FILE *fp = fopen(P("cifar/data_batch_4.bin"), "r+b");
	fputc(12, fp);
	fclose(fp);
	CHECK(imb_import_cifar10(P("cifar"), &tr, NULL) < 0);
	CHECK_HAS(imb_error(), "label 12");
	CHECK(imb_import_cifar10(P("nocifar"), &tr, NULL) < 0);
	CHECK_HAS(imb_error(), "nocifar/data_batch_1.bin");
}

/* ---- images ---- */

static void write_png(const char *name, int w, int h, int color, uint8_t seed)
{
	png_image im;
	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	im.width = (png_uint_32)w;
	im.height = (png_uint_32)h;
	im.format = color ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
	int c = color ? 3 : 1;
	uint8_t *px = imb_xmalloc((size_t)w * h * c);
	for (int k = 0; k < w * h * c; k++)
		px[k] = (uint8_t)(seed + k);
	if (!png_image_write_to_file(&im, P(name), 0, px, 0, NULL))
		abort();
	free(px);
}

static void write_jpeg(const char *name, int w, int h, uint8_t v)
{
	struct jpeg_compress_struct ci;
	struct jpeg_error_mgr je;
	ci.err = jpeg_std_error(&je);
	jpeg_create_compress(&ci);
	FILE *fp = fopen(P(name), "wb");
	jpeg_stdio_dest(&ci, fp);
	ci.image_width = (JDIMENSION)w;
	ci.image_height = (JDIMENSION)h;
	ci.input_components = 3;
	ci.in_color_space = JCS_RGB;
	jpeg_set_defaults(&ci);
	jpeg_set_quality(&ci, 100, TRUE);
	jpeg_start_compress(&ci, TRUE);
	uint8_t *row = imb_xmalloc((size_t)w * 3);
	for (int k = 0; k < w; k++) {
		row[3 * k] = v;
		row[3 * k + 1] = 0;
		row[3 * k + 2] = 255;
	}
	while (ci.next_scanline < ci.image_height)
		jpeg_write_scanlines(&ci, &row, 1);
	jpeg_finish_compress(&ci);
	jpeg_destroy_compress(&ci);
	fclose(fp);
	free(row);
}

static void test_images(void)
{
	mkdir(P("img"), 0755);
	mkdir(P("img/zebra"), 0755);
	mkdir(P("img/ant"), 0755);
	mkdir(P("img/ant/sub"), 0755);
	write_png("img/zebra/b.png", 4, 3, 0, 10);
	write_png("img/zebra/a.png", 4, 3, 0, 20);
	write_png("img/ant/sub/c.png", 4, 3, 0, 30);
	puts_("img/README", "ignored");
	puts_("img/zebra/.hidden", "skipped");
	imb_frame *f = NULL;
	int rc = imb_import_images(P("img"), 0, "test", &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		imb_tensor *x = imb_frame_tensor(f, "x");
		CHECK_EQ_INT(x->shape[0], 3);
		CHECK_EQ_INT(x->shape[1], 1); /* all grey */
		CHECK_EQ_INT(x->shape[2], 3);
		CHECK_EQ_INT(x->shape[3], 4);
		CHECK_STR(cls(f, 0), "ant");
		CHECK_STR(cls(f, 1), "zebra");
		int32_t *y = imb_frame_tensor(f, "y")->data;
		CHECK_EQ_INT(y[0], 0);
		CHECK_EQ_INT(y[1], 1);
		uint8_t *px = x->data;
		CHECK_EQ_INT(px[0], 30);       /* ant/sub/c.png */
		CHECK_EQ_INT(px[12], 20);      /* zebra/a.png sorts first */
		CHECK_EQ_INT(px[24 + 11], 21); /* zebra/b.png, last pixel */
		CHECK_STR(f->name, "test");
		imb_frame_free(f);
	}
	/* a colour image: everything becomes RGB, planes in order */
	write_png("img/ant/d.png", 4, 3, 1, 0);
	rc = imb_import_images(P("img"), 0, NULL, &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		imb_tensor *x = imb_frame_tensor(f, "x");
		CHECK_EQ_INT(x->shape[1], 3);
		uint8_t *px = x->data;
		/* ant/d.png is first (d < sub): R at pixel 1 is 3, G plane pixel 0 is 1 */
		CHECK_EQ_INT(px[1], 3);
		CHECK_EQ_INT(px[12], 1);
		/* grey image expanded: ant/sub/c.png in all three planes */
		CHECK_EQ_INT(px[36 + 0], 30);
		CHECK_EQ_INT(px[36 + 12], 30);
		CHECK_EQ_INT(px[36 + 24], 30);
		imb_frame_free(f);
	}
	/* --size mismatch */
	CHECK(imb_import_images(P("img"), 32, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "expected 32x32");
	/* an odd size names the file */
	write_png("img/zebra/c.png", 5, 3, 0, 0);
	CHECK(imb_import_images(P("img"), 0, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "zebra/c.png");
	CHECK_HAS(imb_error(), "5x3");
	unlink(P("img/zebra/c.png"));
	/* a non-image file names it */
	puts_("img/zebra/notes.txt", "hello");
	CHECK(imb_import_images(P("img"), 0, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "zebra/notes.txt: not a JPEG or PNG");
	unlink(P("img/zebra/notes.txt"));
	/* a broken PNG */
	puts_("img/zebra/broken.png", "\x89PNG\r\n\x1a\nxxxxxxxx");
	CHECK(imb_import_images(P("img"), 0, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "broken.png: bad PNG");
	unlink(P("img/zebra/broken.png"));

	/* JPEGs in a tar, and a directory of CLASS.tar files */
	mkdir(P("jp"), 0755);
	mkdir(P("jp/cat"), 0755);
	mkdir(P("jp/dog"), 0755);
	write_jpeg("jp/cat/1.jpg", 8, 8, 200);
	write_jpeg("jp/cat/0.jpg", 8, 8, 100);
	write_jpeg("jp/dog/0.jpg", 8, 8, 50);
	mkdir(P("tars"), 0755);
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
	         "cd %s/jp && tar -cf ../all.tar cat dog && tar -cf ../tars/cat.tar cat && "
	         "tar -cf ../tars/dog.tar dog && cd dog && tar -cf ../../tars/bird.tar 0.jpg",
	         dir);
	CHECK_EQ_INT(system(cmd), 0);
	rc = imb_import_images(P("all.tar"), 8, NULL, &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		imb_tensor *x = imb_frame_tensor(f, "x");
		CHECK_EQ_INT(x->shape[0], 3);
		CHECK_EQ_INT(x->shape[1], 3);
		uint8_t *px = x->data;
		CHECK_NEAR(px[0], 100, 3);            /* cat/0.jpg red */
		CHECK_NEAR(px[64 * 2], 255, 3);       /* blue plane */
		CHECK_NEAR(px[192], 200, 3);          /* cat/1.jpg red */
		CHECK_EQ_INT(((int32_t *)imb_frame_tensor(f, "y")->data)[2], 1);
		CHECK_STR(cls(f, 1), "dog");
		imb_frame_free(f);
	}
	/* tars/: cat.tar and dog.tar hold CLASS/ entries, bird.tar bare ones */
	rc = imb_import_images(P("tars"), 0, NULL, &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		CHECK_EQ_INT(imb_dataset_n(f), 4);
		CHECK_STR(cls(f, 0), "bird");
		CHECK_STR(cls(f, 2), "dog");
		CHECK_EQ_INT(count(f, 1), 2);
		imb_frame_free(f);
	}
	/* a bare entry in a tar given directly is an error */
	CHECK(imb_import_images(P("tars/bird.tar"), 0, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "not inside a class folder");
	/* not a tar */
	CHECK(imb_import_images(P("i.idx"), 0, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "i.idx");
	CHECK(imb_import_images(P("none"), 0, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "none: No such file");
}

/* ---- CSV ---- */

static float xat(const imb_frame *f, size_t r, size_t c)
{
	imb_tensor *x = imb_frame_tensor(f, "x");
	return ((float *)x->data)[r * x->shape[1] + c];
}

static int yat(const imb_frame *f, size_t r)
{
	return ((int32_t *)imb_frame_tensor(f, "y")->data)[r];
}

static const char *feat(const imb_frame *f, size_t k)
{
	imb_val *v = imb_val_get(f->attrs, "features");
	return v && k < v->n ? v->items[k]->s : NULL;
}

static void test_csv(void)
{
	puts_("a.csv", "num,colour,y,z\n"
	               "1.5,red,yes,3\n"
	               "2,\"bl,ue\",no,?\n"
	               "-3e2, red ,yes,4\n"
	               "4,?,no,5\n");
	imb_csv_opts o = {0};
	o.label = "y";
	o.header = -1;
	imb_frame *f = NULL;
	int rc = imb_import_csv(P("a.csv"), &o, &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		imb_tensor *x = imb_frame_tensor(f, "x");
		CHECK_EQ_INT(x->dtype, IMB_F32);
		CHECK_EQ_INT(x->shape[0], 4);
		CHECK_EQ_INT(x->shape[1], 5); /* num, colour=?, colour=bl,ue, colour=red, z */
		CHECK_STR(feat(f, 0), "num");
		CHECK_STR(feat(f, 1), "colour=?");
		CHECK_STR(feat(f, 2), "colour=bl,ue");
		CHECK_STR(feat(f, 3), "colour=red");
		CHECK_STR(feat(f, 4), "z");
		CHECK_NEAR(xat(f, 2, 0), -300, 0);
		CHECK_NEAR(xat(f, 1, 2), 1, 0);
		CHECK_NEAR(xat(f, 2, 3), 1, 0); /* " red " trimmed */
		CHECK_NEAR(xat(f, 3, 1), 1, 0);
		CHECK(isnan(xat(f, 1, 4)));     /* '?' in a numeric column */
		CHECK_STR(cls(f, 0), "no");
		CHECK_STR(cls(f, 1), "yes");
		CHECK_EQ_INT(yat(f, 0), 1);
		CHECK_EQ_INT(yat(f, 1), 0);
		imb_val *voc = imb_val_path(f->attrs, "categorical.colour");
		CHECK(voc && voc->n == 3);
		CHECK_STR(imb_val_as_str(imb_val_get(f->attrs, "label"), ""), "y");
		CHECK_STR(imb_val_as_str(imb_val_get(f->attrs, "source"), ""), "a");
		/* a test file encoded like it: an unseen colour is all zeros */
		puts_("b.csv", "num,colour,y,z\n7,green,yes,1\n8,red,no,2\n");
		imb_csv_opts t = o;
		t.like = f->attrs;
		t.name = "test";
		imb_frame *g = NULL;
		rc = imb_import_csv(P("b.csv"), &t, &g);
		CHECK_STR(err_of(rc), "(no error)");
		if (!rc) {
			CHECK_EQ_INT(imb_frame_tensor(g, "x")->shape[1], 5);
			CHECK_NEAR(xat(g, 0, 1) + xat(g, 0, 2) + xat(g, 0, 3), 0, 0);
			CHECK_NEAR(xat(g, 1, 3), 1, 0);
			CHECK_EQ_INT(yat(g, 0), 1);
			CHECK_STR(g->name, "test");
			imb_frame_free(g);
		}
		/* a label the reference does not know */
		puts_("c.csv", "num,colour,y,z\n7,red,maybe,1\n");
		CHECK(imb_import_csv(P("c.csv"), &t, &g) < 0);
		CHECK_HAS(imb_error(), "c.csv: line 2");
		CHECK_HAS(imb_error(), "'maybe'");
		/* another column set */
		puts_("d.csv", "num,y,z\n7,yes,1\n");
		CHECK(imb_import_csv(P("d.csv"), &t, &g) < 0);
		CHECK_HAS(imb_error(), "colour");
		imb_frame_free(f);
	}
	/* by index, no header (guessed), numeric labels sorted numerically */
	puts_("n.csv", "1,10\n2,9\n3,10\n4,2\n");
	o = (imb_csv_opts){0};
	o.label = "1";
	o.header = -1;
	rc = imb_import_csv(P("n.csv"), &o, &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		CHECK_EQ_INT(imb_dataset_n(f), 4);
		CHECK_STR(cls(f, 0), "2");
		CHECK_STR(cls(f, 2), "10");
		CHECK_EQ_INT(yat(f, 0), 2);
		CHECK_STR(feat(f, 0), "col0");
		imb_frame_free(f);
	}
	/* header guessed from a text first row over numbers */
	puts_("h.csv", "a,b\n1,0\n2,1\n");
	rc = imb_import_csv(P("h.csv"), &o, &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		CHECK_EQ_INT(imb_dataset_n(f), 2);
		CHECK_STR(feat(f, 0), "a");
		imb_frame_free(f);
	}
	/* skip, label suffix, tab separator, fixed label values */
	puts_("s.tsv", "|junk line\n1\tx\tA.\n2\ty\tB.\n");
	const char *vals[] = {"B", "A"}, *names[] = {"bee", "ay"};
	o = (imb_csv_opts){0};
	o.label = "2";
	o.header = 0;
	o.skip = 1;
	o.sep = '\t';
	o.label_strip = ".";
	o.label_values = vals;
	o.class_names = names;
	o.nclasses = 2;
	rc = imb_import_csv(P("s.tsv"), &o, &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		CHECK_EQ_INT(yat(f, 0), 1);
		CHECK_STR(cls(f, 0), "bee");
		CHECK_EQ_INT(imb_frame_tensor(f, "x")->shape[1], 3);
		imb_frame_free(f);
	}
	/* gzip-compressed CSV */
	const char *gzs = "a,y\n1,p\n2,q\n";
	put_gz("g.csv.gz", gzs, strlen(gzs));
	o = (imb_csv_opts){0};
	o.label = "y";
	o.header = -1;
	rc = imb_import_csv(P("g.csv.gz"), &o, &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		CHECK_NEAR(xat(f, 1, 0), 2, 0);
		imb_frame_free(f);
	}
	/* CRLF line ends and a UTF-8 byte order mark */
	puts_("bom.csv", "\xef\xbb\xbf" "a,y\r\n1,p\r\n2,q\r\n");
	rc = imb_import_csv(P("bom.csv"), &o, &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		CHECK_STR(feat(f, 0), "a");
		CHECK_EQ_INT(imb_dataset_n(f), 2);
		CHECK_STR(cls(f, 1), "q");
		imb_frame_free(f);
	}

	/* numbers: the fast decimal path must agree with strtod to the bit */
	{
		FILE *fp = fopen(P("nums.csv"), "w");
		char texts[2000][40];
		uint64_t r = 88172645463325252ull;
		for (int k = 0; k < 2000; k++) {
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			int dec = (int)(r % 9), digits = 1 + (int)((r >> 8) % 16);
			char m[20];
			for (int j = 0; j < digits; j++)
				m[j] = (char)('0' + (r >> (12 + 3 * j)) % 10);
			m[digits] = 0;
			if (dec && dec < digits)
				snprintf(texts[k], 40, "%s%.*s.%s", k & 1 ? "-" : "", digits - dec, m, m + digits - dec);
			else
				snprintf(texts[k], 40, "%s%s", k & 1 ? "-" : "", m);
			if (k % 7 == 0)
				snprintf(texts[k], 40, "%.17g", (double)(r >> 11) * 0x1p-53 * 1e6);
			fprintf(fp, "%s,%d\n", texts[k], k & 1);
		}
		fclose(fp);
		o = (imb_csv_opts){0};
		o.label = "1";
		o.header = 0;
		rc = imb_import_csv(P("nums.csv"), &o, &f);
		CHECK_STR(err_of(rc), "(no error)");
		if (!rc) {
			int bad = 0;
			CHECK_EQ_INT(imb_frame_tensor(f, "x")->shape[1], 1);
			for (int k = 0; k < 2000; k++)
				if (xat(f, (size_t)k, 0) != (float)strtod(texts[k], NULL) && bad++ < 3)
					fprintf(stderr, "'%s': %.9g, strtod %.9g\n", texts[k], xat(f, (size_t)k, 0),
					        (float)strtod(texts[k], NULL));
			CHECK_EQ_INT(bad, 0);
			imb_frame_free(f);
		}
		o.label = "y";
		o.header = -1;
	}

	/* errors: ragged, malformed quoting, empty, header only, numeric */
	puts_("r.csv", "a,b,y\n1,2,x\n3,4\n");
	CHECK(imb_import_csv(P("r.csv"), &o, &f) < 0);
	CHECK_HAS(imb_error(), "r.csv: line 3: 2 fields, expected 3");
	puts_("r2.csv", "a,b,y\n1,2,x\n3,4,5,6\n7,8,9\n");
	CHECK(imb_import_csv(P("r2.csv"), &o, &f) < 0);
	CHECK_HAS(imb_error(), "line 3: 4 fields");
	puts_("q.csv", "a,y\n1,x\n\"2\"z,y\n");
	CHECK(imb_import_csv(P("q.csv"), &o, &f) < 0);
	CHECK_HAS(imb_error(), "q.csv: line 3: malformed CSV");
	puts_("u.csv", "a,y\n1,x\n\"2,y\n");
	CHECK(imb_import_csv(P("u.csv"), &o, &f) < 0);
	CHECK_HAS(imb_error(), "u.csv: line 3: malformed CSV");
	puts_("e.csv", "");
	CHECK(imb_import_csv(P("e.csv"), &o, &f) < 0);
	CHECK_HAS(imb_error(), "e.csv: empty file");
	puts_("ho.csv", "a,y\n");
	CHECK(imb_import_csv(P("ho.csv"), &o, &f) < 0);
	CHECK_HAS(imb_error(), "no data rows");
	puts_("nm.csv", "a,b,y\n1,2,x\n3,abc,y\n");
	o.categorical = "none";
	CHECK(imb_import_csv(P("nm.csv"), &o, &f) < 0);
	CHECK_HAS(imb_error(), "nm.csv: line 3: column 1 (b): 'abc' is not a number");
	o.categorical = "b";
	CHECK_EQ_INT(imb_import_csv(P("nm.csv"), &o, &f), 0);
	imb_frame_free(f);
	o.categorical = "nosuch";
	CHECK(imb_import_csv(P("nm.csv"), &o, &f) < 0);
	CHECK_HAS(imb_error(), "no column 'nosuch'");
	o.categorical = NULL;
	o.label = "target";
	CHECK(imb_import_csv(P("nm.csv"), &o, &f) < 0);
	CHECK_HAS(imb_error(), "no column 'target'");
	o.label = "y";
	puts_("ml.csv", "a,y\n1,x\n2,?\n");
	CHECK(imb_import_csv(P("ml.csv"), &o, &f) < 0);
	CHECK_HAS(imb_error(), "ml.csv: line 3: column 1 (y): missing label");
	CHECK(imb_import_csv(P("missing.csv"), &o, &f) < 0);
	CHECK_HAS(imb_error(), "missing.csv: No such file");
}

/* ---- Adult preset on a tiny copy of the release's format ---- */

static void test_adult(void)
{
	mkdir(P("adult"), 0755);
	puts_("adult/adult.data",
	      "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K\n"
	      "50, ?, 83311, Bachelors, 13, Married-civ-spouse, Exec-managerial, Husband, White, Male, 0, 0, 13, Cuba, >50K\n"
	      "\n");
	puts_("adult/adult.test",
	      "|1x3 Cross validator\n"
	      "25, Private, 226802, 11th, 7, Never-married, Machine-op-inspct, Own-child, Black, Male, 0, 0, 40, United-States, <=50K.\n"
	      "38, State-gov, 89814, HS-grad, 9, Married-civ-spouse, Farming-fishing, Husband, White, Male, 0, 0, 50, United-States, >50K.\n");
	imb_frame *tr = NULL, *te = NULL;
	int rc = imb_import_adult(P("adult"), &tr, &te);
	CHECK_STR(err_of(rc), "(no error)");
	if (rc)
		return;
	CHECK_EQ_INT(imb_dataset_n(tr), 2);
	CHECK_EQ_INT(imb_dataset_n(te), 2);
	CHECK_STR(cls(tr, 1), ">50K");
	CHECK_EQ_INT(yat(te, 0), 0);
	CHECK_EQ_INT(yat(te, 1), 1);
	/* 6 numeric + workclass 2, education 1, marital 2, occupation 2,
	 * relationship 2, race 1, sex 1, country 2, all from train */
	CHECK_EQ_INT(imb_frame_tensor(tr, "x")->shape[1], 19);
	CHECK_EQ_INT(imb_frame_tensor(te, "x")->shape[1], 19);
	CHECK_STR(feat(tr, 0), "age");
	CHECK_STR(feat(tr, 1), "workclass=?");
	CHECK_STR(feat(tr, 2), "workclass=State-gov");
	CHECK_STR(feat(tr, 3), "fnlwgt");
	CHECK_NEAR(xat(tr, 1, 1), 1, 0);
	CHECK_NEAR(xat(te, 1, 2), 1, 0);
	CHECK_NEAR(xat(te, 0, 3), 226802, 0);
	imb_val *v1 = imb_val_get(tr->attrs, "categorical"), *v2 = imb_val_get(te->attrs, "categorical");
	CHECK(v1 && v2 && v1->n == 8 && v2->n == 8);
	CHECK_STR(imb_val_as_str(imb_val_get(te->attrs, "source"), ""), "adult");
	imb_frame_free(tr);
	imb_frame_free(te);
	/* the test part alone still uses the train vocabulary */
	te = NULL;
	CHECK_EQ_INT(imb_import_adult(P("adult"), NULL, &te), 0);
	if (te)
		CHECK_EQ_INT(imb_frame_tensor(te, "x")->shape[1], 19);
	imb_frame_free(te);
	CHECK(imb_import_adult(P("noadult"), &tr, &te) < 0);
	CHECK_HAS(imb_error(), "noadult/adult.data: No such file");
}

/* ---- LIBSVM ---- */

static void test_libsvm(void)
{
	puts_("s.svm", "# a comment\n+1 1:0.5 3:-2\n-1 qid:7 2:1.25\n\n2 3:1 # tail\n");
	imb_frame *f = NULL;
	int rc = imb_import_libsvm(P("s.svm"), 0, "val", &f);
	CHECK_STR(err_of(rc), "(no error)");
	if (!rc) {
		imb_tensor *x = imb_frame_tensor(f, "x");
		CHECK_EQ_INT(x->shape[0], 3);
		CHECK_EQ_INT(x->shape[1], 3);
		CHECK_NEAR(xat(f, 0, 2), -2, 0);
		CHECK_NEAR(xat(f, 1, 1), 1.25, 0);
		CHECK_NEAR(xat(f, 1, 0), 0, 0);
		CHECK_STR(cls(f, 0), "-1");
		CHECK_STR(cls(f, 1), "1");
		CHECK_STR(cls(f, 2), "2");
		CHECK_EQ_INT(yat(f, 0), 1);
		CHECK_EQ_INT(yat(f, 2), 2);
		CHECK_STR(f->name, "val");
		imb_frame_free(f);
	}
	rc = imb_import_libsvm(P("s.svm"), 10, NULL, &f);
	CHECK_EQ_INT(rc, 0);
	if (!rc) {
		CHECK_EQ_INT(imb_frame_tensor(f, "x")->shape[1], 10);
		imb_frame_free(f);
	}
	CHECK(imb_import_libsvm(P("s.svm"), 2, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "line 2: feature index 3 exceeds");
	puts_("b.svm", "1 1:2\n0 0:1\n");
	CHECK(imb_import_libsvm_base(P("b.svm"), 0, 1, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "b.svm: line 2: feature index 0 in a file read as 1-based");
	/* an index 0: the file is 0-based */
	rc = imb_import_libsvm(P("b.svm"), 0, NULL, &f);
	CHECK_EQ_INT(rc, 0);
	if (!rc) {
		CHECK_EQ_INT(imb_frame_tensor(f, "x")->shape[1], 2);
		CHECK_NEAR(xat(f, 0, 1), 2, 0);
		CHECK_NEAR(xat(f, 1, 0), 1, 0);
		CHECK_STR(imb_val_as_str(imb_val_get(f->attrs, "source"), ""), "b");
		imb_frame_free(f);
	}
	puts_("b2.svm", "1 3:2 2:1\n");
	CHECK(imb_import_libsvm(P("b2.svm"), 0, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "ascend");
	puts_("b3.svm", "x 1:2\n");
	CHECK(imb_import_libsvm(P("b3.svm"), 0, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "line 1: the label is not a number");
	puts_("b4.svm", "1 1:abc\n");
	CHECK(imb_import_libsvm(P("b4.svm"), 0, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "value is not a number");
	puts_("b5.svm", "# nothing\n\n");
	CHECK(imb_import_libsvm(P("b5.svm"), 0, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "empty");
}

/* ---- toy ---- */

static void test_toy(void)
{
	const char *shapes[] = {"moons", "circles", "blobs"};
	for (int s = 0; s < 3; s++) {
		imb_frame *a = NULL, *b = NULL, *c = NULL;
		CHECK_EQ_INT(imb_import_toy(shapes[s], 1100, 0.1, -1, 5, NULL, &a), 0);
		CHECK_EQ_INT(imb_import_toy(shapes[s], 1100, 0.1, -1, 5, NULL, &b), 0);
		CHECK_EQ_INT(imb_import_toy(shapes[s], 1100, 0.1, -1, 6, NULL, &c), 0);
		if (!a || !b || !c)
			continue;
		CHECK_EQ_INT(count(a, 0), 1000);
		CHECK_EQ_INT(count(a, 1), 100);
		imb_tensor *xa = imb_frame_tensor(a, "x"), *xb = imb_frame_tensor(b, "x"),
		           *xc = imb_frame_tensor(c, "x");
		CHECK_EQ_INT(xa->shape[1], 2);
		CHECK(memcmp(xa->data, xb->data, xa->nbytes) == 0);
		CHECK(memcmp(xa->data, xc->data, xa->nbytes) != 0);
		/* class means: the classes sit apart where the shape says */
		double m[2][2] = {{0}}, n[2] = {0};
		const float *x = xa->data;
		for (size_t r = 0; r < 1100; r++) {
			int y = yat(a, r);
			m[y][0] += x[2 * r];
			m[y][1] += x[2 * r + 1];
			n[y]++;
		}
		for (int k = 0; k < 2; k++)
			m[k][0] /= n[k], m[k][1] /= n[k];
		if (s == 2) {
			CHECK_NEAR(m[0][0], -1, 0.1);
			CHECK_NEAR(m[1][0], 1, 0.2);
		} else if (s == 1) {
			/* mean radius: 1 and 0.5 */
			double r0 = 0, r1 = 0;
			for (size_t r = 0; r < 1100; r++) {
				double rad = hypot(x[2 * r], x[2 * r + 1]);
				if (yat(a, r))
					r1 += rad;
				else
					r0 += rad;
			}
			CHECK_NEAR(r0 / n[0], 1.0, 0.02);
			CHECK_NEAR(r1 / n[1], 0.5, 0.03);
		} else {
			CHECK_NEAR(m[0][0], 0, 0.1);       /* cos over [0, pi] */
			CHECK_NEAR(m[0][1], 2 / M_PI, 0.05);
			CHECK_NEAR(m[1][0], 1, 0.15);
		}
		imb_frame_free(a);
		imb_frame_free(b);
		imb_frame_free(c);
	}
	imb_frame *f;
	CHECK(imb_import_toy("squares", 10, 0.1, -1, 1, NULL, &f) < 0);
	CHECK_HAS(imb_error(), "unknown toy shape");
	CHECK_EQ_INT(imb_import_toy("moons", 10, 1e-6, 0, 1, NULL, &f), 0);
	CHECK_EQ_INT(count(f, 1), 1); /* at least one minority point */
	imb_frame_free(f);
}

/* imb_import_path: the .gz first, then the plain file, else the .gz */
static void test_path(void)
{
	char *p = imb_import_path(dir, "pathtest");
	CHECK_STR(p, P("pathtest.gz"));
	free(p);
	puts_("pathtest", "plain");
	p = imb_import_path(dir, "pathtest");
	CHECK_STR(p, P("pathtest"));
	free(p);
	put_gz("pathtest.gz", "gz", 2);
	p = imb_import_path(dir, "pathtest");
	CHECK_STR(p, P("pathtest.gz"));
	size_t n;
	char *b = imb_import_slurp(p, &n);
	CHECK(b && n == 2 && !memcmp(b, "gz", 2));
	free(b);
	free(p);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 2;
	test_idx();
	test_cifar();
	test_images();
	test_csv();
	test_adult();
	test_libsvm();
	test_toy();
	test_path();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	CHECK_DONE();
}
