/* ubjson.h: a checker and a small reader for Universal Binary JSON, the
 * format of XGBoost's saved models.
 *
 * XGBoost 1.7's UBJSON reader trusts lengths and reads past the end of a
 * truncated buffer, and trusts the trees it loads; xgboost.c checks a
 * model with these before handing it over. imb_ubj_ok checks any bytes;
 * the readers after it are for bytes it accepted. A position (v, obj)
 * points at a value's type marker ('{', '[', 'S', 'i', ...). */
#ifndef IMB_UBJSON_H
#define IMB_UBJSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A cursor over the bytes [p, end). */
typedef struct { const unsigned char *p, *end; } imb_ubj;

/* 1 when p (n bytes) is one complete object ('{' ... '}') that ends
 * exactly at the end of the bytes, nested at most 64 deep; else 0. */
int imb_ubj_ok(const void *p, size_t n);

/* A length or count at the cursor: an integer marker and its value,
 * 0..2^40. 0 with the cursor past it, or -1. */
int imb_ubj_len(imb_ubj *u, int64_t *n);
/* Skip the value whose marker m was just read (the cursor is at its
 * payload), depth levels deep (at most 64). 0, or -1 when malformed. */
int imb_ubj_value(imb_ubj *u, int m, int depth);

/* The value of key in the plain object at obj, or NULL (no such key,
 * not an object, or a typed/counted object). */
const unsigned char *imb_ubj_get(const unsigned char *obj, const unsigned char *end,
                                 const char *key);
/* imb_ubj_get along a NULL-terminated path of keys ("learner",
 * "gradient_booster", ..., NULL); NULL when any step is missing. */
const unsigned char *imb_ubj_path(const unsigned char *v, const unsigned char *end, ...);
/* A string value holding a decimal integer ("5"), as XGBoost keeps its
 * parameters. 0 with *out set, or -1. */
int imb_ubj_strint(const unsigned char *v, const unsigned char *end, int64_t *out);
/* An array of integers or numbers: its count, and with vals its integer
 * values (malloc'd, the caller frees; 0 for floats). 0, or -1 when v is
 * not such an array (*vals is then NULL). */
int imb_ubj_array(const unsigned char *v, const unsigned char *end, int64_t *count,
                  int64_t **vals);

#ifdef __cplusplus
}
#endif

#endif
