/* export_npy.c: frames' arrays as NumPy files: .npy (format version
 * 1.0) and .npz (a ZIP archive of .npy files, stored uncompressed, as
 * numpy.savez writes it), export.h. */
#include "export.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* NumPy's descr of each dtype: little-endian, bytes without an order */
static const char *const npy_descr[] = {
	[IMB_U8] = "|u1", [IMB_I32] = "<i4", [IMB_I64] = "<i8", [IMB_F32] = "<f4", [IMB_F64] = "<f8",
};
_Static_assert(IMB_LEN(npy_descr) == IMB_NDTYPE, "one npy_descr[] entry per imb_dtype");

size_t imb_npy_header(char *buf, imb_dtype t, int ndim, const uint64_t *shape)
{
	char dict[512];
	int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
	                   npy_descr[t]);
	for (int d = 0; d < ndim; d++)
		len += snprintf(dict + len, sizeof dict - (size_t)len, "%llu,%s",
		                (unsigned long long)shape[d], d + 1 < ndim ? " " : "");
	if (ndim > 1)   /* (3,) for one dimension, (2, 3) for more: Python's tuples */
		len--;
	len += snprintf(dict + len, sizeof dict - (size_t)len, "), }");
	/* magic (6), version (2), header length (2), dict, spaces, '\n' */
	size_t total = 10 + (size_t)len + 1;
	total = (total + 63) / 64 * 64;
	size_t hl = total - 10;
	memcpy(buf, "\x93NUMPY\x01\x00", 8);
	buf[8] = (char)(hl & 0xff);
	buf[9] = (char)(hl >> 8);
	memcpy(buf + 10, dict, (size_t)len);
	memset(buf + 10 + len, ' ', hl - (size_t)len - 1);
	buf[total - 1] = '\n';
	return total;
}

void imb_npy_write(FILE *fp, const imb_tensor *t)
{
	char hdr[4096];
	size_t hl = imb_npy_header(hdr, t->dtype, t->ndim, t->shape);
	fwrite(hdr, 1, hl, fp);
	if (t->nbytes)
		fwrite(t->data, 1, t->nbytes, fp);
}

static void le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, uint32_t v)
{
	le16(p, v & 0xffff);
	le16(p + 2, v >> 16);
}

/* ZIP's date of 1980-01-01, 00:00 (the earliest it can say): a file's
 * bytes then depend on its arrays only */
#define ZIP_DATE 0x21

int imb_npz_write(FILE *fp, const imb_tensor *a, size_t n)
{
	char hdr[4096];
	uint32_t *crc = imb_xmalloc((n ? n : 1) * sizeof *crc), *off = imb_xmalloc((n ? n : 1) * sizeof *off);
	uint32_t *size = imb_xmalloc((n ? n : 1) * sizeof *size);
	uint64_t pos = 0;
	/* sizes and CRCs first: nothing is written when the archive cannot be */
	for (size_t i = 0; i < n; i++) {
		size_t hl = imb_npy_header(hdr, a[i].dtype, a[i].ndim, a[i].shape);
		uint64_t sz = hl + (uint64_t)a[i].nbytes;
		if (sz >= 0xffffffffull || pos + 30 + strlen(a[i].key) + 4 + sz >= 0xffffffffull) {
			free(crc), free(off), free(size);
			return imb_seterr("array '%s': an .npz past 4 GiB needs ZIP64, which imb does not "
			                  "write: use --format npy", a[i].key);
		}
		uLong c = crc32_z(0, (const Bytef *)hdr, hl);
		crc[i] = (uint32_t)crc32_z(c, a[i].data, a[i].nbytes);
		off[i] = (uint32_t)pos;
		size[i] = (uint32_t)sz;
		pos += 30 + strlen(a[i].key) + 4 + sz;
	}
	unsigned char h[46];
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(a[i].key) + 4;
		memset(h, 0, 30);
		le32(h, 0x04034b50);       /* local file header */
		le16(h + 4, 20);           /* version needed: 2.0 */
		le16(h + 12, ZIP_DATE);
		le32(h + 14, crc[i]);
		le32(h + 18, size[i]);     /* stored: compressed size = size */
		le32(h + 22, size[i]);
		le16(h + 26, (unsigned)nl);
		fwrite(h, 1, 30, fp);
		fprintf(fp, "%s.npy", a[i].key);
		imb_npy_write(fp, &a[i]);
	}
	uint64_t cd = pos, cdsize = 0;
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(a[i].key) + 4;
		memset(h, 0, 46);
		le32(h, 0x02014b50);       /* central directory entry */
		le16(h + 4, 20);           /* made by: 2.0, MS-DOS attributes */
		le16(h + 6, 20);
		le16(h + 14, ZIP_DATE);
		le32(h + 16, crc[i]);
		le32(h + 20, size[i]);
		le32(h + 24, size[i]);
		le16(h + 28, (unsigned)nl);
		le32(h + 42, off[i]);
		fwrite(h, 1, 46, fp);
		fprintf(fp, "%s.npy", a[i].key);
		cdsize += 46 + nl;
	}
	memset(h, 0, 22);
	le32(h, 0x06054b50);               /* end of central directory */
	le16(h + 8, (unsigned)n);
	le16(h + 10, (unsigned)n);
	le32(h + 12, (uint32_t)cdsize);
	le32(h + 16, (uint32_t)cd);
	fwrite(h, 1, 22, fp);
	free(crc), free(off), free(size);
	return 0;
}

/* a metrics frame's per-class field as (K) f64, NaN where undefined */
static void per_class_array(imb_frame *out, const imb_val *pc, const char *field)
{
	uint64_t K = pc->n;
	double *d = imb_frame_add_tensor(out, field, IMB_F64, 1, &K)->data;
	for (size_t k = 0; k < pc->n; k++)
		d[k] = imb_val_as_double(imb_val_get(pc->items[k], field), NAN);
}

imb_frame *imb_export_arrays(const imb_frame *f)
{
	imb_frame *out = imb_frame_new(f->kind, f->name);
	if (strcmp(f->kind, "metrics") != 0) {
		for (size_t k = 0; k < f->ntensors; k++) {
			const imb_tensor *t = &f->tensors[k];
			imb_tensor *c = imb_frame_add_tensor(out, t->key, t->dtype, t->ndim, t->shape);
			if (t->nbytes)
				memcpy(c->data, t->data, t->nbytes);
		}
		return out;
	}
	const imb_val *cm = imb_val_get(f->attrs, "confusion");
	if (cm && cm->t == IMB_V_ARR) {
		uint64_t K[2] = {cm->n, cm->n};
		double *d = imb_frame_add_tensor(out, "confusion", IMB_F64, 2, K)->data;
		for (size_t i = 0; i < cm->n; i++) {
			const imb_val *row = cm->items[i];
			for (size_t j = 0; j < cm->n; j++)
				d[i * cm->n + j] = row && row->t == IMB_V_ARR && j < row->n
				                   ? imb_val_as_double(row->items[j], NAN) : NAN;
		}
	}
	const imb_val *pc = imb_val_get(f->attrs, "per_class");
	if (pc && pc->t == IMB_V_ARR) {
		static const char *const fields[] = {"support", "recall", "precision", "f1"};
		for (size_t j = 0; j < IMB_LEN(fields); j++)
			per_class_array(out, pc, fields[j]);
	}
	return out;
}
