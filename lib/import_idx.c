/* import_idx.c: the IDX format (Fashion-MNIST) and CIFAR-10's binary
 * batches. */
#include "import.h"
#include "cli.h"
#include "dataset.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const imb_fashion_mnist_classes[10] = {
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

const char *const imb_cifar10_classes[10] = {
	"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck",
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parse an IDX file of u8 data: ndim and dims out, payload pointer. */
static int idx_parse(const char *path, const unsigned char *b, size_t len, int *ndim,
                     uint64_t *dims, const unsigned char **data)
{
	if (len < 4 || b[0] || b[1])
		return imb_seterr("%s: not an IDX file (bad magic)", path);
	if (b[2] != 0x08)
		return imb_seterr("%s: IDX data type 0x%02x is not supported (only unsigned byte, 0x08)",
		                  path, b[2]);
	int nd = b[3];
	if (nd < 1 || nd > IMB_MAXDIM)
		return imb_seterr("%s: IDX file with %d dimensions", path, nd);
	if (len < 4 + 4 * (size_t)nd)
		return imb_seterr("%s: truncated IDX header", path);
	uint64_t total = 1;
	for (int k = 0; k < nd; k++) {
		dims[k] = be32(b + 4 + 4 * k);
		total *= dims[k];
		if (total > ((uint64_t)1 << 40))
			return imb_seterr("%s: IDX dimensions too large", path);
	}
	size_t have = len - 4 - 4 * (size_t)nd;
	if (have < total)
		return imb_seterr("%s: truncated IDX data: %llu bytes, the header says %llu", path,
		                  (unsigned long long)have, (unsigned long long)total);
	if (have > total)
		return imb_seterr("%s: %llu bytes after the IDX data", path,
		                  (unsigned long long)(have - total));
	*ndim = nd;
	*data = b + 4 + 4 * nd;
	return 0;
}

int imb_import_idx(const char *images, const char *labels, const char *name,
                   const char *const *classes, size_t nclasses, imb_frame **out)
{
	size_t ilen, llen;
	unsigned char *ib = (unsigned char *)imb_import_slurp(images, &ilen);
	if (!ib)
		return -1;
	unsigned char *lb = (unsigned char *)imb_import_slurp(labels, &llen);
	if (!lb) {
		free(ib);
		return -1;
	}
	int ind, lnd, rc = -1;
	uint64_t idims[IMB_MAXDIM], ldims[IMB_MAXDIM];
	const unsigned char *ip, *lp;
	char **names = NULL;
	size_t k = 0;
	imb_frame *f = NULL;
	if (idx_parse(images, ib, ilen, &ind, idims, &ip) || idx_parse(labels, lb, llen, &lnd, ldims, &lp))
		goto out;
	if (lnd != 1) {
		imb_seterr("%s: labels must be 1-dimensional, found %d dimensions", labels, lnd);
		goto out;
	}
	if (ind < 2) {
		imb_seterr("%s: images must have at least 2 dimensions, found %d", images, ind);
		goto out;
	}
	if (idims[0] != ldims[0]) {
		imb_seterr("%s has %llu images but %s has %llu labels", images,
		           (unsigned long long)idims[0], labels, (unsigned long long)ldims[0]);
		goto out;
	}
	uint64_t n = idims[0];
	int maxl = -1;
	for (uint64_t j = 0; j < n; j++)
		if (lp[j] > maxl)
			maxl = lp[j];
	if (classes) {
		if (maxl >= (int)nclasses) {
			imb_seterr("%s: label %d, but only %zu classes are named", labels, maxl, nclasses);
			goto out;
		}
	} else {
		nclasses = (size_t)(maxl + 1);
		names = imb_xmalloc((nclasses ? nclasses : 1) * sizeof *names);
		for (k = 0; k < nclasses; k++) {
			char b[16];
			snprintf(b, sizeof b, "%zu", k);
			names[k] = imb_xstrdup(b);
		}
		classes = (const char *const *)names;
	}
	f = imb_frame_new("dataset", name ? name : "train");
	uint64_t shape[IMB_MAXDIM];
	int nd = 0;
	shape[nd++] = n;
	if (ind == 3)
		shape[nd++] = 1;
	for (int j = 1; j < ind; j++)
		shape[nd++] = idims[j];
	imb_tensor *x = imb_frame_add_tensor(f, "x", IMB_U8, nd, shape);
	memcpy(x->data, ip, x->nbytes);
	imb_tensor *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, &n);
	int32_t *yy = y->data;
	for (uint64_t j = 0; j < n; j++)
		yy[j] = lp[j];
	imb_import_finish(f, "idx", classes, nclasses);
	imb_import_set_path(f, "images", images);
	imb_import_set_path(f, "labels", labels);
	*out = f;
	rc = 0;
out:
	if (names)
		for (k = 0; k < nclasses; k++)
			free(names[k]);
	free(names);
	free(ib);
	free(lb);
	return rc;
}

static int fmnist_part(const char *dir, const char *prefix, const char *name,
                       uint64_t want, imb_frame **out)
{
	char ib[64], lbn[64];
	snprintf(ib, sizeof ib, "%s-images-idx3-ubyte", prefix);
	snprintf(lbn, sizeof lbn, "%s-labels-idx1-ubyte", prefix);
	char *ip = imb_import_path(dir, ib), *lp = imb_import_path(dir, lbn);
	int rc = imb_import_idx(ip, lp, name, imb_fashion_mnist_classes, 10, out);
	if (rc == 0) {
		imb_tensor *x = imb_frame_tensor(*out, "x");
		if (x->ndim != 4 || x->shape[2] != 28 || x->shape[3] != 28) {
			imb_seterr("%s: Fashion-MNIST images must be 28x28", ip);
			imb_frame_free(*out);
			*out = NULL;
			rc = -1;
		} else {
			imb_val_set_str((*out)->attrs, "source", "fashion-mnist");
			imb_val_del((*out)->attrs, "images");
			imb_val_del((*out)->attrs, "labels");
			if (x->shape[0] != want)
				imb_warn("%s: %llu images, Fashion-MNIST has %llu", ip,
				         (unsigned long long)x->shape[0], (unsigned long long)want);
		}
	}
	free(ip);
	free(lp);
	return rc;
}

int imb_import_fashion_mnist(const char *dir, imb_frame **train, imb_frame **test)
{
	if (!dir)
		dir = "/usr/share/datasets/fashion-mnist";
	if (train) {
		*train = NULL;
		if (fmnist_part(dir, "train", "train", 60000, train))
			return -1;
	}
	if (test) {
		*test = NULL;
		if (fmnist_part(dir, "t10k", "test", 10000, test)) {
			if (train) {
				imb_frame_free(*train);
				*train = NULL;
			}
			return -1;
		}
	}
	return 0;
}

#define CIFAR_REC 3073

/* Append the records of one batch file to x/y (grown as needed). */
static int cifar_batch(const char *path, uint8_t **x, int32_t **y, uint64_t *n, uint64_t *cap)
{
	size_t len;
	unsigned char *b = (unsigned char *)imb_import_slurp(path, &len);
	if (!b)
		return -1;
	if (len == 0 || len % CIFAR_REC) {
		imb_seterr("%s: %zu bytes, not a whole number of %d-byte CIFAR-10 records%s", path, len,
		           CIFAR_REC, len % CIFAR_REC ? " (truncated?)" : "");
		free(b);
		return -1;
	}
	uint64_t m = len / CIFAR_REC;
	if (*n + m > *cap) {
		while (*n + m > *cap)
			*cap = *cap ? *cap * 2 : 16384;
		uint8_t *nx = imb_xmalloc_aligned(*cap * 3072);
		if (*x)
			memcpy(nx, *x, *n * 3072);
		free(*x);
		*x = nx;
		*y = imb_xrealloc(*y, *cap * sizeof **y);
	}
	for (uint64_t j = 0; j < m; j++) {
		const unsigned char *r = b + j * CIFAR_REC;
		if (r[0] > 9) {
			imb_seterr("%s: record %llu: label %d is not in 0..9", path,
			           (unsigned long long)j + 1, r[0]);
			free(b);
			return -1;
		}
		(*y)[*n + j] = r[0];
		memcpy(*x + (*n + j) * 3072, r + 1, 3072);
	}
	*n += m;
	free(b);
	return 0;
}

static int cifar_part(const char *dir, int train, imb_frame **out)
{
	uint8_t *x = NULL;
	int32_t *y = NULL;
	uint64_t n = 0, cap = 0;
	int nb = train ? 5 : 1;
	for (int k = 1; k <= nb; k++) {
		char *p;
		if (asprintf(&p, train ? "%s/data_batch_%d.bin" : "%s/test_batch.bin", dir, k) < 0)
			abort();
		imb_progress(train ? "cifar10 train" : "cifar10 test", (uint64_t)k - 1, nb);
		int rc = cifar_batch(p, &x, &y, &n, &cap);
		free(p);
		if (rc) {
			free(x);
			free(y);
			return -1;
		}
	}
	imb_progress(train ? "cifar10 train" : "cifar10 test", nb, nb);
	imb_progress_done();
	imb_frame *f = imb_frame_new("dataset", train ? "train" : "test");
	uint64_t xs[4] = {n, 3, 32, 32};
	if (n < cap) {
		/* exact-size buffer for the frame */
		uint8_t *nx = imb_xmalloc_aligned(n * 3072);
		memcpy(nx, x, n * 3072);
		free(x);
		x = nx;
	}
	imb_frame_put_tensor(f, "x", IMB_U8, 4, xs, x);
	imb_tensor *yt = imb_frame_add_tensor(f, "y", IMB_I32, 1, &n);
	memcpy(yt->data, y, n * sizeof *y);
	free(y);
	imb_import_finish(f, "cifar10", imb_cifar10_classes, 10);
	*out = f;
	return 0;
}

int imb_import_cifar10(const char *dir, imb_frame **train, imb_frame **test)
{
	if (train) {
		*train = NULL;
		if (cifar_part(dir, 1, train))
			return -1;
	}
	if (test) {
		*test = NULL;
		if (cifar_part(dir, 0, test)) {
			if (train) {
				imb_frame_free(*train);
				*train = NULL;
			}
			return -1;
		}
	}
	return 0;
}
