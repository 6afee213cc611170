/* val.h: a small dynamic value tree (nil, bool, int, float, str, bin,
 * array, map) for frame attrs. Maps keep insertion order, so a frame
 * read and written again keeps its bytes. Every constructor returns a
 * new node the caller owns; every container call that takes a node
 * takes ownership of it. imb_val_free(NULL) is a no-op. */
#ifndef IMB_VAL_H
#define IMB_VAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	IMB_V_NIL, IMB_V_BOOL, IMB_V_INT, IMB_V_FLOAT, IMB_V_STR, IMB_V_BIN,
	IMB_V_ARR, IMB_V_MAP
} imb_vtype;

typedef struct imb_val imb_val;
struct imb_val {
	imb_vtype t;
	int64_t i;       /* IMB_V_BOOL (0/1), IMB_V_INT */
	double f;        /* IMB_V_FLOAT */
	char *s;         /* IMB_V_STR, IMB_V_BIN: bytes, NUL-terminated */
	size_t len;      /* IMB_V_STR, IMB_V_BIN: byte count */
	size_t n, cap;   /* IMB_V_ARR, IMB_V_MAP: item count */
	char **keys;     /* IMB_V_MAP: n keys */
	imb_val **items; /* IMB_V_ARR, IMB_V_MAP: n values */
	size_t *hx;      /* IMB_V_MAP of many keys: hash index (slot: item
	                  * index + 1, 0 empty), hcap slots; private to val.c */
	size_t hcap;
};

imb_val *imb_val_nil(void);
imb_val *imb_val_bool(int b);
imb_val *imb_val_int(int64_t i);
imb_val *imb_val_float(double f);
imb_val *imb_val_str(const char *s);
imb_val *imb_val_strn(const char *s, size_t len);
imb_val *imb_val_bin(const void *p, size_t len);
imb_val *imb_val_arr(void);
imb_val *imb_val_map(void);
void imb_val_free(imb_val *v);
imb_val *imb_val_copy(const imb_val *v);

/* Arrays: push takes ownership of item. */
void imb_val_push(imb_val *arr, imb_val *item);
/* Maps: get returns the value or NULL; set replaces (freeing the old
 * value) or appends; del removes the key if present. */
imb_val *imb_val_get(const imb_val *map, const char *key);
void imb_val_set(imb_val *map, const char *key, imb_val *item);
void imb_val_del(imb_val *map, const char *key);
/* get by a dotted path: "split.train_ratio" */
imb_val *imb_val_path(const imb_val *map, const char *path);

/* Typed reads with a default when missing or of another type; ints and
 * floats convert to each other. */
int64_t imb_val_as_int(const imb_val *v, int64_t def);
double imb_val_as_double(const imb_val *v, double def);
const char *imb_val_as_str(const imb_val *v, const char *def);

/* Convenience setters on a map. */
void imb_val_set_int(imb_val *map, const char *key, int64_t i);
void imb_val_set_float(imb_val *map, const char *key, double f);
void imb_val_set_str(imb_val *map, const char *key, const char *s);
/* arrays of numbers or strings */
imb_val *imb_val_int_array(const int64_t *x, size_t n);
imb_val *imb_val_float_array(const double *x, size_t n);
imb_val *imb_val_str_array(const char *const *s, size_t n);

/* JSON text: strings escaped, floats as %.17g (locale-independent),
 * NaN/Inf as null, bins as their length. indent < 0: one line. */
void imb_val_write_json(FILE *fp, const imb_val *v, int indent);
/* v as one line of JSON in a new string (caller frees); "none" for NULL:
 * for comparing settings and naming them in messages. */
char *imb_val_json_text(const imb_val *v);
/* A scalar as plain text (for TSV): strings escaped by imb_write_tsv_str,
 * numbers %.6g. */
void imb_val_write_text(FILE *fp, const imb_val *v);

#ifdef __cplusplus
}
#endif

#endif
