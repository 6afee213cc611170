/* laplace_impl.h: the fitted posterior's layout, shared by laplace.c (the
 * fit and the predictive) and laplace_frame.c (its frame). Private. */
#ifndef IMB_LAPLACE_IMPL_H
#define IMB_LAPLACE_IMPL_H

#include "laplace.h"

struct imb_la {
	imb_nn_loaded net;
	imb_la_subset subset;
	imb_la_hessian hessian;
	int K;
	size_t F;              /* the last linear layer's input width */
	size_t F1;             /* F + 1 */
	size_t np;             /* weights under the posterior: K(F+1) or P */
	size_t off;            /* params[off..P): the last layer's W (K,F), b (K) */
	double *W;             /* (K,F+1) host: W and b in the augmented order */
	double delta, delta0, lml0, val_nll;
	int samples;
	uint64_t seed;
	int batch;
	/* the GGN */
	size_t nlam;
	double *lam;           /* its eigenvalues (diag: the diagonal), nlam */
	double *V;             /* full: (np,np) eigenvectors as columns */
	double *UA, *a;        /* kfac: (F1,F1) columns, (F1) */
	double *UG, *g;        /* kfac: (K,K) columns, (K) */
	double log_lik, theta_sq;
	size_t n;
	double seconds;
	/* backend scratch of the predictive */
	float *Vd;             /* full: V (np,np); kfac: UA (F1,F1) */
	float *phid;           /* (batch,F1) */
	float *outd;           /* (batch,np) full; (batch,F1) kfac */
	float *J, *tmp;        /* all: (K,P), (P) */
	float *ek;             /* all: (K) */
};

/* The eigenvalue list from the factors (kfac: g_j a_i, j-major). */
void imb_la_make_lam(imb_la *la);
/* The last layer's weights from the network into la->W, and ||theta||^2
 * of the weights under the posterior. */
void imb_la_read_weights(imb_la *la);

#endif
