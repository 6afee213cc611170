/* svm_text.h: the model text of LIBLINEAR and LIBSVM checked whole
 * before the library's loader reads it (the loaders check nothing: a
 * crafted count crashes them or makes them allocate without bound). The
 * rules are at the top of svm_text.c. */
#ifndef IMB_SVM_TEXT_H
#define IMB_SVM_TEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Text p (n bytes) of a LIBLINEAR / LIBSVM model for d features and at
 * most K classes (the frame's attrs): 0, or -1 with imb_error() naming
 * the line and what is wrong. */
int imb_svm_lin_text_check(const char *p, size_t n, size_t d, int K);
int imb_svm_ksvm_text_check(const char *p, size_t n, size_t d, int K);

#ifdef __cplusplus
}
#endif

#endif
