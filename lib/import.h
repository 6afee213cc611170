/* import.h: turn data sources into dataset frames.
 *
 * Every importer returns 0 and stores new dataset frames (kind
 * "dataset", tensors x and y, attrs.classes, attrs.source, attrs.counts
 * via imb_dataset_update_counts) in its out pointers, which the caller
 * owns and frees with imb_frame_free; or returns -1 with imb_error()
 * naming the file (and line, column or entry) that is wrong. Where an
 * importer fills a train and a test frame, either pointer may be NULL to
 * skip reading that part. attrs.history is left to the caller (the tool
 * appends its provenance).
 *
 * Files are read through zlib, so every file may be gzip-compressed or
 * plain. Images come out as u8 (N,C,H,W), tables as f32 (N,D), labels
 * as i32 (N) in [0, K). */
#ifndef IMB_IMPORT_H
#define IMB_IMPORT_H

#include "stream.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Shared by the importers (import.c). */

/* Read a whole file (gzip or plain; "-" is stdin) into a malloc'd
 * buffer with a NUL after its *len bytes. NULL with imb_error() set
 * ("PATH: No such file or directory"). */
char *imb_import_slurp(const char *path, size_t *len);

/* attrs[key] = path as a msgpack str: a path that is not UTF-8 (a file
 * named with a 0xff byte) has each invalid byte written as \xHH. */
void imb_import_set_path(imb_frame *f, const char *key, const char *path);
/* Finish a dataset frame made by an importer: attrs.source, attrs.classes
 * (n names; none when n is 0) and the counts (attrs.n only for a frame
 * without y). Shared by the import*.c files. */
void imb_import_finish(imb_frame *f, const char *source, const char *const *classes,
                       size_t nclasses);

/* The name of the data set in a file: path's base name without its
 * extensions (adult.csv.gz -> adult; a folder's own name), "stdin" for
 * NULL or "-". Bytes that are not UTF-8 are written \xHH. A new string;
 * the caller frees it. */
char *imb_import_dataset_name(const char *path);

/* dir/base.gz when that file exists, else dir/base when that one does,
 * else dir/base.gz (so the error of opening it names the .gz). A new
 * string; the caller frees it. */
char *imb_import_path(const char *dir, const char *base);

/* ---- IDX (MNIST family) ---- */

/* An IDX pair: images (magic 0x0803, u8, (N,H,W) or (N,D)) and labels
 * (0x0801, u8, (N)). x is u8 (N,1,H,W) for 3-d images, (N,D) for 2-d
 * ones, the IDX shape otherwise. classes: the K class names, or NULL for
 * "0".."K-1" with K = max label + 1; a label >= nclasses is an error. */
int imb_import_idx(const char *images, const char *labels, const char *name,
                   const char *const *classes, size_t nclasses, imb_frame **out);
/* Fashion-MNIST from dir (NULL: /usr/share/datasets/fashion-mnist):
 * train-images-idx3-ubyte[.gz] etc.; train 60000 and test 10000 images,
 * x u8 (N,1,28,28). */
int imb_import_fashion_mnist(const char *dir, imb_frame **train, imb_frame **test);
extern const char *const imb_fashion_mnist_classes[10];

/* ---- CIFAR-10, official binary version ---- */

/* dir holds data_batch_1.bin .. data_batch_5.bin and test_batch.bin:
 * records of 1 label byte + 3072 pixel bytes (R, G, B planes, each
 * 32x32 row-major). x u8 (N,3,32,32). */
int imb_import_cifar10(const char *dir, imb_frame **train, imb_frame **test);
extern const char *const imb_cifar10_classes[10];

/* ---- image folders (torchvision ImageFolder semantics) ---- */

/* path: a directory of class-named subfolders of JPEG/PNG images
 * (searched recursively), a .tar (optionally compressed) of
 * CLASS/.../file entries, or a directory holding such tars (CLASS.tar
 * files; an entry outside any folder then belongs to the tar's stem).
 * Classes are sorted by name (byte order), samples by class then path.
 * Every image must be size x size (size 0: the first image's size
 * decides) or it is an error naming the file; a file that is neither
 * JPEG nor PNG is an error naming it. Hidden files (".*") are skipped.
 * Colour: C = 1 if every image is greyscale, else 3 (grey expanded);
 * alpha is dropped (composited on black). x u8 (N,C,H,W). */
int imb_import_images(const char *path, int size, const char *name, imb_frame **out);

/* ---- CSV (through libcsv) ---- */

typedef struct {
	const char *name;          /* frame name; NULL: "train" */
	const char *source;        /* attrs.source; NULL: the file's name (imb_import_dataset_name) */
	const char *label;         /* label column: a name, or a 0-based index; NULL: no
	                            * label (x without y), or with like the reference
	                            * frame's label column when the file has it */
	const char *id;            /* id column kept out of x as tensor "id", or NULL */
	const char *use;           /* comma list: only these columns (and label, id), or NULL */
	const char *drop;          /* comma list: columns left out, or NULL */
	const char *impute;        /* "mean", "median", "most-frequent", or NULL */
	int header;                /* 1: first record names the columns; 0: no; -1: auto */
	const char *categorical;   /* NULL or "auto": non-numeric columns; "none"; or a
	                            * comma list of names/indices */
	const char *missing;       /* comma list of missing-value markers (the empty
	                            * field is always one); NULL: IMB_CSV_MISSING */
	char sep;                  /* field separator; 0: ',' */
	long skip;                 /* records skipped before the header or data */
	const char *const *names;  /* column names of a file without header, or NULL */
	size_t nnames;
	/* label text (after label_strip) of each class, in class order, and
	 * their names (NULL: the texts). NULL label_values: the classes are
	 * the distinct labels, sorted (numerically when all are numbers). */
	const char *const *label_values;
	const char *const *class_names;
	size_t nclasses;
	const char *label_strip;   /* suffix removed from each label ("."), or NULL */
	/* attrs of a frame to encode like (its categorical vocabularies,
	 * features and classes), so a test file matches its train file; NULL */
	const imb_val *like;
} imb_csv_opts;

/* A CSV file (gzip or plain, "-" is stdin) into a table frame: x f32
 * (N,D): numeric columns as they are, a missing numeric value as NaN,
 * inf/-inf/Infinity as +-inf; each categorical column one-hot over its
 * vocabulary (sorted; missing values are a category of their own, named
 * by the first marker, unless most-frequent imputation fills them; with
 * opts->like, a value outside the given vocabulary is all zeros and
 * counted in a warning). attrs.features names the D columns ("col" or
 * "col=value"), attrs.categorical maps each one-hot column to its
 * vocabulary, attrs.label the label column, attrs.id the id column (its
 * tensor "id": i64 for integer ids, else u8 (N,W) NUL-padded UTF-8),
 * attrs.impute {method, values} the imputation (values by feature name,
 * a categorical column's by its name). Without a label the frame has no
 * y. A pandas index column (header "", distinct integers) is left out
 * with a warning. With opts->like, columns that are not its features are
 * left out, and its attrs.impute values fill the missing values. Ragged
 * rows, bad quoting, an empty file, a missing label, a number that does
 * not fit a float, or text in a numeric column (named by --categorical
 * or like) are errors naming the file, line and column. */
int imb_import_csv(const char *path, const imb_csv_opts *opts, imb_frame **out);

/* ---- LIBSVM sparse text ---- */

/* "label idx:value ..." lines, ascending indices, '#' comments, "qid:"
 * ignored. base: 1 for 1-based indices, 0 for 0-based, -1 to detect (a
 * file with an index 0 is 0-based, with a warning, as scikit-learn's
 * load_svmlight_file(zero_based="auto") reads it). x f32 (N,D) dense
 * with D = nfeatures or, when 0, the largest feature (index + 1 when
 * 0-based); classes are the distinct labels sorted numerically, named by
 * their %g text. attrs.source: the file's name (imb_import_dataset_name);
 * attrs.base: the index base read. imb_import_libsvm detects the base. */
int imb_import_libsvm_base(const char *path, long nfeatures, int base, const char *name,
                           imb_frame **out);
int imb_import_libsvm(const char *path, long nfeatures, const char *name, imb_frame **out);

/* ---- presets ---- */

/* UCI Adult: dir/adult.data (train) and dir/adult.test (test; its first
 * line "|1x3 Cross validator" skipped and the labels' trailing '.'
 * removed). Six numeric columns as f32, eight categorical ones one-hot
 * with the train vocabulary ('?' is a category of its own), classes
 * ["<=50K", ">50K"]. */
int imb_import_adult(const char *dir, imb_frame **train, imb_frame **test);
/* UCI Covertype: dir/covtype.data.gz (or covtype.data): 54 features,
 * 7 classes (labels 1..7 become 0..6), one frame. */
int imb_import_covtype(const char *dir, const char *name, imb_frame **out);

/* ---- toy 2-D data ---- */

/* shape "moons", "blobs" or "circles": n points, class 0 (majority) and
 * class 1 (minority) with minority/majority = ratio (n1 = round(n *
 * ratio / (1 + ratio)), at least one of each), Gaussian noise of sd
 * noise (< 0: the shape's default: moons 0.1, circles 0.05, blobs 0.5),
 * rows shuffled. x f32 (N,2). Deterministic in seed. */
int imb_import_toy(const char *shape, size_t n, double ratio, double noise,
                   uint64_t seed, const char *name, imb_frame **out);

#ifdef __cplusplus
}
#endif

#endif
