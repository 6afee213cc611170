/* test_stream.c: frames round-trip through the writer and reader, and
 * every malformed stream is an error that names what is wrong. */
#include "check.h"
#include "stream.h"
#include "util.h"

#include <msgpack.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpl[] = "/tmp/imb-test-stream-XXXXXX";

/* write bytes to a temp file and open a reader on it */
static imb_reader *reader_on(const void *p, size_t n)
{
	char path[64];
	strcpy(path, tmpl);
	int fd = mkstemp(path);
	if (write(fd, p, n) != (ssize_t)n)
		abort();
	lseek(fd, 0, SEEK_SET);
	unlink(path);
	return imb_reader_fd(fd, "test");
}

static imb_frame *sample_frame(void)
{
	imb_frame *f = imb_frame_new("dataset", "train");
	imb_val_set_str(f->attrs, "source", "unit");
	uint64_t xs[] = {3, 2};
	imb_tensor *x = imb_frame_add_tensor(f, "x", IMB_F32, 2, xs);
	float *xv = x->data;
	for (int k = 0; k < 6; k++)
		xv[k] = (float)k * 0.5f;
	uint64_t ys[] = {3};
	imb_tensor *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, ys);
	((int32_t *)y->data)[2] = 1;
	return f;
}

/* pack a hand-made frame: dtype/shape/data as given */
static void pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

static msgpack_sbuffer bad_frame(int version, const char *dtype, uint64_t rows, size_t datalen)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	pack_str(&pk, "imb");
	msgpack_pack_int(&pk, version);
	pack_str(&pk, "kind");
	pack_str(&pk, "dataset");
	pack_str(&pk, "name");
	pack_str(&pk, "test");
	pack_str(&pk, "tensors");
	msgpack_pack_map(&pk, 1);
	pack_str(&pk, "x");
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "dtype");
	pack_str(&pk, dtype);
	pack_str(&pk, "shape");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, rows);
	msgpack_pack_uint64(&pk, 4);
	pack_str(&pk, "data");
	char zeros[256] = {0};
	msgpack_pack_bin(&pk, datalen);
	msgpack_pack_bin_body(&pk, zeros, datalen);
	return sb;
}

static int read_err(const void *p, size_t n, const char *want)
{
	imb_reader *r = reader_on(p, n);
	imb_frame *f;
	int rc = imb_read_frame(r, &f);
	CHECK_EQ_INT(rc, -1);
	CHECK(f == NULL);
	CHECK_HAS(imb_error(), want);
	imb_reader_close(r);
	return rc;
}

int main(void)
{
	/* round trip of two frames, with an unknown top-level key kept */
	imb_frame *f = sample_frame();
	f->extra = imb_val_map();
	imb_val_set_int(f->extra, "future", 7);
	char *b1, *b2;
	size_t n1, n2;
	CHECK(imb_frame_pack(f, &b1, &n1) == 0);
	imb_frame *g = imb_frame_new("metrics", "test");
	CHECK(imb_frame_pack(g, &b2, &n2) == 0);
	char *both = imb_xmalloc(n1 + n2);
	memcpy(both, b1, n1);
	memcpy(both + n1, b2, n2);
	imb_reader *r = reader_on(both, n1 + n2);
	imb_frame *a, *b, *c;
	CHECK_EQ_INT(imb_read_frame(r, &a), 1);
	CHECK_EQ_INT(imb_read_frame(r, &b), 1);
	CHECK_EQ_INT(imb_read_frame(r, &c), 0);
	CHECK_STR(a->kind, "dataset");
	CHECK_STR(a->name, "train");
	CHECK_EQ_INT(a->index, 1);
	CHECK_EQ_INT(b->index, 2);
	CHECK_STR(imb_val_as_str(imb_val_get(a->attrs, "source"), ""), "unit");
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(a->extra, "future"), 0), 7);
	imb_tensor *x = imb_frame_tensor(a, "x");
	CHECK(x && x->dtype == IMB_F32 && x->ndim == 2 && x->shape[0] == 3 && x->shape[1] == 2);
	CHECK(x && ((float *)x->data)[5] == 2.5f);
	CHECK(x && ((uintptr_t)x->data % 64) == 0);
	CHECK_EQ_INT(((int32_t *)imb_frame_tensor(a, "y")->data)[2], 1);
	/* re-packing what was read gives the same bytes */
	char *b3;
	size_t n3;
	CHECK(imb_frame_pack(a, &b3, &n3) == 0);
	CHECK(n3 == n1 && memcmp(b1, b3, n1) == 0);
	free(b3);
	imb_reader_close(r);
	imb_frame_free(a);
	imb_frame_free(b);

	/* truncation anywhere inside the first frame is an error, at its
	 * end it is a clean end of stream */
	for (size_t cut = 1; cut < n1; cut++) {
		imb_reader *t = reader_on(both, cut);
		imb_frame *tf;
		int rc = imb_read_frame(t, &tf);
		CHECK_EQ_INT(rc, -1);
		if (rc == -1 && cut > 1)
			CHECK_HAS(imb_error(), "truncated");
		imb_reader_close(t);
	}
	{
		/* a cut inside the second frame names frame 2 */
		imb_reader *t = reader_on(both, n1 + 3);
		imb_frame *tf;
		CHECK_EQ_INT(imb_read_frame(t, &tf), 1);
		imb_frame_free(tf);
		CHECK_EQ_INT(imb_read_frame(t, &tf), -1);
		CHECK_HAS(imb_error(), "frame 2");
		imb_reader_close(t);
	}

	/* wrong version, unknown dtype, data length mismatch */
	msgpack_sbuffer sb = bad_frame(2, "f32", 2, 32);
	read_err(sb.data, sb.size, "format version 2");
	msgpack_sbuffer_destroy(&sb);
	sb = bad_frame(1, "f16", 2, 32);
	read_err(sb.data, sb.size, "unknown dtype 'f16'");
	msgpack_sbuffer_destroy(&sb);
	sb = bad_frame(1, "f32", 2, 31);
	read_err(sb.data, sb.size, "tensor 'x': data holds 31 bytes but dtype f32 and its shape need 32");
	msgpack_sbuffer_destroy(&sb);
	sb = bad_frame(1, "f32", 1ull << 62, 32);
	read_err(sb.data, sb.size, "tensor 'x'");
	msgpack_sbuffer_destroy(&sb);
	sb = bad_frame(1, "u8", 2, 8);
	{
		imb_reader *t = reader_on(sb.data, sb.size);
		imb_frame *tf;
		CHECK_EQ_INT(imb_read_frame(t, &tf), 1);
		imb_frame_free(tf);
		imb_reader_close(t);
	}
	msgpack_sbuffer_destroy(&sb);

	/* a payload declared far beyond the end of a file: an error found
	 * before allocating 4 GiB */
	{
		msgpack_sbuffer hb;
		msgpack_sbuffer_init(&hb);
		msgpack_packer pk;
		msgpack_packer_init(&pk, &hb, msgpack_sbuffer_write);
		msgpack_pack_map(&pk, 3);
		pack_str(&pk, "imb");
		msgpack_pack_int(&pk, 1);
		pack_str(&pk, "kind");
		pack_str(&pk, "dataset");
		pack_str(&pk, "tensors");
		msgpack_pack_map(&pk, 1);
		pack_str(&pk, "x");
		msgpack_pack_map(&pk, 1);
		pack_str(&pk, "data");
		msgpack_pack_bin(&pk, 0xfffffff0u);
		read_err(hb.data, hb.size, "declares 4294967280 bytes but only 0 remain");
		msgpack_sbuffer_destroy(&hb);
	}

	/* not msgpack map at all */
	read_err("hello", 5, "not a frame");

	/* the writer: a file appears only on close, and abort leaves nothing */
	char path[] = "/tmp/imb-test-out-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	imb_writer *w = imb_writer_open(path);
	CHECK(w != NULL);
	CHECK(imb_write_frame(w, f) == 0);
	CHECK(access(path, F_OK) != 0);
	CHECK(imb_writer_close(w) == 0);
	CHECK(access(path, F_OK) == 0);
	r = imb_reader_open(path);
	CHECK_EQ_INT(imb_read_frame(r, &a), 1);
	CHECK_STR(a->name, "train");
	imb_frame_free(a);
	imb_reader_close(r);
	unlink(path);
	w = imb_writer_open(path);
	CHECK(imb_write_frame(w, f) == 0);
	imb_writers_abort();
	CHECK(access(path, F_OK) != 0);

	/* writing to a full device is an error at close */
	int full = open("/dev/full", O_WRONLY);
	if (full >= 0) {
		w = imb_writer_fd(full);
		int rc = imb_write_frame(w, f);
		rc |= imb_writer_close(w);
		CHECK(rc != 0);
		CHECK_HAS(imb_error(), "write error");
		close(full);
	}

	/* text output: the file appears only on close, under a temp name no
	 * one can guess; a write error or an abort leaves nothing */
	char dir[] = "/tmp/imb-test-text-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char tpath[64], tlink[80], victim[64];
	snprintf(tpath, sizeof tpath, "%s/out.tsv", dir);
	FILE *tf = imb_text_open(tpath);
	CHECK(tf != NULL && tf != stdout);
	fputs("a\tb\n", tf);
	CHECK(access(tpath, F_OK) != 0);
	CHECK(imb_text_close(tf) == 0);
	char got[16] = "";
	FILE *rf = fopen(tpath, "r");
	CHECK(rf && fgets(got, sizeof got, rf));
	if (rf)
		fclose(rf);
	CHECK_STR(got, "a\tb\n");
	struct stat tst;
	mode_t um = umask(0);
	umask(um);
	CHECK(stat(tpath, &tst) == 0 && (tst.st_mode & 0777) == (0666 & ~um));
	/* the old predictable name planted as a link is neither followed nor
	 * replaced */
	snprintf(victim, sizeof victim, "%s/victim", dir);
	snprintf(tlink, sizeof tlink, "%s.tmp%ld", tpath, (long)getpid());
	CHECK(symlink(victim, tlink) == 0);
	tf = imb_text_open(tpath);
	fputs("b\n", tf);
	imb_writers_abort();
	CHECK(access(victim, F_OK) != 0);
	rf = fopen(tpath, "r");
	CHECK(rf && fgets(got, sizeof got, rf));
	if (rf)
		fclose(rf);
	CHECK_STR(got, "a\tb\n");
	unlink(tlink);
	/* imb_text_abort, and a directory is refused at open: nothing left */
	tf = imb_text_open(tpath);
	imb_text_abort(tf);
	char sub[64];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	CHECK(mkdir(sub, 0755) == 0);
	CHECK(imb_text_open(sub) == NULL);
	CHECK_HAS(imb_error(), "sub: Is a directory");
	CHECK(imb_writer_open(sub) == NULL);
	CHECK_HAS(imb_error(), "sub: Is a directory");
	CHECK(rmdir(sub) == 0);   /* nothing was made in it */
	unlink(tpath);

	/* the frame writer: a temp file beside the target, ".out.imb.tmp.XXXXXX",
	 * never the old predictable "out.imb.tmp.PID" (a link planted there is
	 * not followed), mode 0666 less the umask */
	char wpath[64], wlink[96];
	snprintf(wpath, sizeof wpath, "%s/out.imb", dir);
	snprintf(wlink, sizeof wlink, "%s.tmp.%ld", wpath, (long)getpid());
	CHECK(symlink(victim, wlink) == 0);
	mode_t um2 = umask(002);
	w = imb_writer_open(wpath);
	umask(um2);
	CHECK(w != NULL);
	CHECK(imb_write_frame(w, f) == 0);
	char tname[128];
	snprintf(tname, sizeof tname, "%s/.out.imb.tmp.", dir);
	DIR *dd = opendir(dir);
	int ntmp = 0;
	struct dirent *de;
	while (dd && (de = readdir(dd)))
		if (!strncmp(de->d_name, ".out.imb.tmp.", 13) && strlen(de->d_name) == 19)
			ntmp++;
	if (dd)
		closedir(dd);
	CHECK_EQ_INT(ntmp, 1);
	CHECK(imb_writer_close(w) == 0);
	CHECK(access(victim, F_OK) != 0);
	CHECK(stat(wpath, &tst) == 0 && S_ISREG(tst.st_mode));
	CHECK((tst.st_mode & 0777) == (0666 & ~um));
	unlink(wlink);
	unlink(wpath);

	/* imb_tmp_create: the name, the mode; imb_tmp_unlink_all (what the
	 * signal handlers and exit call) removes what is listed, and only that */
	char *t1, *t2;
	int fd1 = imb_tmp_create(wpath, &t1);
	int fd2 = imb_tmp_create(tpath, &t2);
	CHECK(fd1 >= 0 && fd2 >= 0);
	CHECK(!strncmp(t1, tname, strlen(tname)) && strlen(t1) == strlen(tname) + 6);
	CHECK(fstat(fd1, &tst) == 0 && (tst.st_mode & 0777) == (0666 & ~um));
	CHECK(fcntl(fd1, F_GETFD) & FD_CLOEXEC);
	close(fd1);
	close(fd2);
	CHECK(rename(t2, tpath) == 0);
	imb_tmp_done(t2);
	imb_tmp_unlink_all();
	CHECK(access(t1, F_OK) != 0);
	CHECK(access(tpath, F_OK) == 0);
	imb_tmp_done(t1);
	free(t1);
	free(t2);
	unlink(tpath);
	/* a name at the longest a directory entry can hold still gets a temp file */
	char longp[400];
	int lp = snprintf(longp, sizeof longp, "%s/", dir);
	memset(longp + lp, 'n', 255);
	longp[lp + 255] = 0;
	fd1 = imb_tmp_create(longp, &t1);
	CHECK(fd1 >= 0);
	if (fd1 >= 0) {
		close(fd1);
		imb_tmp_remove(t1);
		free(t1);
	}
	char slashp[80];
	snprintf(slashp, sizeof slashp, "%s/", dir);
	CHECK(imb_tmp_create(slashp, &t1) < 0 && errno == EISDIR);
	CHECK(rmdir(dir) == 0);   /* empty: no temp file anywhere */
	/* a missing directory names the path; a full device is a write error */
	snprintf(tpath, sizeof tpath, "%s/no/such.tsv", dir);
	CHECK(imb_text_open(tpath) == NULL);
	CHECK_HAS(imb_error(), "no/such.tsv: No such file");
	if (access("/dev/full", W_OK) == 0) {
		tf = imb_text_open("/dev/full");
		CHECK(tf != NULL);
		fputs("x\n", tf);
		CHECK(imb_text_close(tf) != 0);
		CHECK_HAS(imb_error(), "/dev/full: No space left");
	}
	CHECK(imb_text_open("-") == stdout);
	CHECK(imb_text_close(stdout) == 0);
	CHECK(imb_text_close(NULL) != 0);

	free(b1);
	free(b2);
	free(both);
	imb_frame_free(f);
	imb_frame_free(g);
	CHECK_DONE();
}
