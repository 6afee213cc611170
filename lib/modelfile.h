/* modelfile.h: a model library that saves and loads its models only
 * through named files (LIBLINEAR, LIBSVM; svm.c) gets them from and to
 * memory through temp files in $TMPDIR (else /tmp), removed again. */
#ifndef IMB_MODELFILE_H
#define IMB_MODELFILE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Save model with save (0 on success) to a temp file and read the bytes
 * back: *bytes (aligned malloc, the caller frees) and *len. 0, or -1
 * with imb_error() ("LIB: cannot save the model to PATH", or the temp
 * file's trouble). */
int imb_modelfile_save(int (*save)(const char *path, const void *model), const void *model,
                       const char *lib, void **bytes, size_t *len);

/* Write the model text (p, n) to a temp file and hand its name to load,
 * with stderr muted meanwhile (loaders print their complaints there);
 * *out is what load returned, NULL when it refused the text. 0, or -1
 * with imb_error() when the temp file cannot be written. */
int imb_modelfile_load(const void *p, size_t n, void *(*load)(const char *path), void **out);

#ifdef __cplusplus
}
#endif

#endif
