/* svm.h: linear SVMs through LIBLINEAR (--model linear-svm) and kernel
 * SVMs through LIBSVM (--model svm), one adapter behind tabular.h. The
 * model frame's "bytes" is the library's own model file; it is checked
 * before the library reads it (LIBLINEAR's complete last line, LIBSVM's
 * SV section), the library's own complaints are muted, and the loaded
 * model is checked against the frame's features and classes. Features
 * must be finite (the SVMs take no missing values). Both libraries print
 * to stderr only when asked (verbose), never to stdout. */
#ifndef IMB_SVM_H
#define IMB_SVM_H

#include "tabular.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A --param for model ("linear-svm" or "svm"): NULL when fine, else a
 * message (static storage) naming an unknown parameter and the known
 * ones, or a value that is not valid. */
const char *imb_svm_check_param(const char *model, const char *key, const char *val);

/* Train on t with the library o->model names, as imb_tabular_train
 * describes: LIBLINEAR's l2r_l2loss_svc with C 1 and a bias feature of 1,
 * or LIBSVM's C-SVC with an RBF kernel, C 1 and gamma "scale"
 * (scikit-learn's), then o's parameters. On success *params (every
 * effective parameter), *bytes and *nbytes (the model file, aligned
 * malloc) are the caller's. 0, -1 or -2 with imb_error() as
 * imb_tabular_train. */
int imb_svm_train(const imb_tabular_data *t, const imb_tabular_opts *o, imb_val **params,
                  void **bytes, size_t *nbytes, char *summary, size_t summary_size);

/* predict.c's entries (see tabular.h): a loader per library; predict and
 * free serve the models of both. */
void *imb_linsvm_load(const imb_frame *f, size_t d, int K);
void *imb_svm_load(const imb_frame *f, size_t d, int K);
int imb_svm_predict(void *m, const float *x, size_t n, size_t d, int K, float *probs);
void imb_svm_free(void *m);

#ifdef __cplusplus
}
#endif

#endif
