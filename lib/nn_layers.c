/* nn_layers.c: layers as thin, backend-neutral calls into the table. */
#include "nn_layers.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

static void bad_sizes(const char *layer)
{
	fprintf(stderr, "imb: %s: %s\n", layer, imb_error());
	abort();
}

int imb_nn_conv2d_out(int in, int k, int stride, int pad)
{
	if (in < 1 || k < 1 || stride < 1 || pad < 0 || in + 2 * pad < k)
		return -1;
	return (in + 2 * pad - k) / stride + 1;
}

void imb_nn_linear_forward(float *out, const float *inp, const float *w,
                           const float *b, int N, int C, int OC)
{
	const imb_nn_backend *be = imb_nn_be();
	// out (N,OC) = b + inp (N,C) @ w^T (C,OC): the bias rows first, so
	// the gemm accumulates onto them (one pass over out, not two)
	if (b)
		be->add_bias(out, NULL, b, N, OC);
	be->gemm(0, 1, N, OC, C, 1, inp, C, w, C, b ? 1 : 0, out, OC);
}

void imb_nn_linear_backward(float *dinp, float *dw, float *db, const float *dout,
                            const float *inp, const float *w, int N, int C, int OC)
{
	const imb_nn_backend *be = imb_nn_be();
	if (dinp)   // dinp (N,C) += dout (N,OC) @ w (OC,C)
		be->gemm(0, 0, N, C, OC, 1, dout, OC, w, C, 1, dinp, C);
	if (dw)     // dw (OC,C) += dout^T (OC,N) @ inp (N,C)
		be->gemm(1, 0, OC, C, N, 1, dout, OC, inp, C, 1, dw, C);
	if (db)     // db (OC) += sum over N of dout
		be->sum_rows(db, dout, N, OC);
}

static void conv_shape(imb_nn_conv2d_shape *s, int N, int C, int H, int W, int OC,
                       int KH, int KW, int stride, int pad)
{
	if (imb_nn_conv2d_shape_init(s, N, C, H, W, OC, KH, KW, stride, pad))
		bad_sizes("conv2d");
}

void imb_nn_conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                           int N, int C, int H, int W, int OC, int KH, int KW,
                           int stride, int pad)
{
	imb_nn_conv2d_shape s;
	conv_shape(&s, N, C, H, W, OC, KH, KW, stride, pad);
	imb_nn_be()->conv2d_forward(out, inp, w, b, &s);
}

void imb_nn_conv2d_backward(float *dinp, float *dw, float *db, const float *dout,
                            const float *inp, const float *w, int N, int C, int H,
                            int W, int OC, int KH, int KW, int stride, int pad, int set)
{
	imb_nn_conv2d_shape s;
	conv_shape(&s, N, C, H, W, OC, KH, KW, stride, pad);
	imb_nn_be()->conv2d_backward(dinp, dw, db, dout, inp, w, &s, set);
}

void imb_nn_batchnorm_forward_train(float *out, float *mean, float *rstd,
                                    float *run_mean, float *run_var, const float *inp,
                                    const float *gamma, const float *beta, int N,
                                    int C, int HW, float momentum, float eps,
                                    const float *res, int relu)
{
	imb_nn_be()->batchnorm_forward_train(out, mean, rstd, run_mean, run_var, inp,
	                                     gamma, beta, N, C, HW, momentum, eps, res, relu);
}

void imb_nn_batchnorm_forward_eval(float *out, const float *inp, const float *gamma,
                                   const float *beta, const float *run_mean,
                                   const float *run_var, int N, int C, int HW, float eps,
                                   const float *res, int relu)
{
	imb_nn_be()->batchnorm_forward_eval(out, inp, gamma, beta, run_mean, run_var,
	                                    N, C, HW, eps, res, relu);
}

void imb_nn_batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                               const float *dout, const float *inp, const float *gamma,
                               const float *beta, const float *mean, const float *rstd,
                               int N, int C, int HW, const float *relu_out, float *dres,
                               int set)
{
	imb_nn_be()->batchnorm_backward(dinp, dgamma, dbeta, dout, inp, gamma, beta, mean, rstd,
	                                N, C, HW, relu_out, dres, set);
}

void imb_nn_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta,
                                    const float *dout, const float *inp,
                                    const float *gamma, const float *run_mean,
                                    const float *run_var, int N, int C, int HW, float eps,
                                    const float *relu_out, float *dres, int set)
{
	imb_nn_be()->batchnorm_backward_eval(dinp, dgamma, dbeta, dout, inp, gamma, run_mean,
	                                     run_var, N, C, HW, eps, relu_out, dres, set);
}

void imb_nn_relu_forward(float *out, const float *inp, size_t n)
{
	imb_nn_be()->relu_forward(out, inp, n);
}

void imb_nn_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
	imb_nn_be()->relu_backward(dinp, dout, out, n);
}

void imb_nn_maxpool_forward(float *out, int32_t *argmax, const float *inp, int N, int C,
                            int H, int W, int K, int stride, int pad)
{
	if (imb_nn_conv2d_out(H, K, stride, pad) < 1 || imb_nn_conv2d_out(W, K, stride, pad) < 1
	    || N < 1 || C < 1) {
		imb_seterr("window %d, stride %d, pad %d does not fit %dx%d", K, stride, pad, H, W);
		bad_sizes("maxpool");
	}
	imb_nn_be()->maxpool_forward(out, argmax, inp, N, C, H, W, K, stride, pad);
}

void imb_nn_maxpool_backward(float *dinp, const float *dout, const int32_t *argmax,
                             int N, int C, int H, int W, int K, int stride, int pad)
{
	int OH = imb_nn_conv2d_out(H, K, stride, pad), OW = imb_nn_conv2d_out(W, K, stride, pad);
	if (OH < 1 || OW < 1 || N < 1 || C < 1) {
		imb_seterr("window %d, stride %d, pad %d does not fit %dx%d", K, stride, pad, H, W);
		bad_sizes("maxpool");
	}
	imb_nn_be()->maxpool_backward(dinp, dout, argmax, N, C, H, W, OH, OW);
}

void imb_nn_images_in(float *out, const float *inp, int N, int C, int HW)
{
	imb_nn_be()->images_in(out, inp, N, C, HW);
}

void imb_nn_avgpool_forward(float *out, const float *inp, int N, int C, int HW)
{
	imb_nn_be()->avgpool_forward(out, inp, N, C, HW);
}

void imb_nn_avgpool_backward(float *dinp, const float *dout, int N, int C, int HW)
{
	imb_nn_be()->avgpool_backward(dinp, dout, N, C, HW);
}

void imb_nn_residual_forward(float *out, const float *a, const float *b, size_t n)
{
	imb_nn_be()->add(out, a, b, n);
}

void imb_nn_residual_backward(float *da, float *db, const float *dout, size_t n)
{
	const imb_nn_backend *be = imb_nn_be();
	if (da)
		be->axpy(da, 1, dout, n);
	if (db)
		be->axpy(db, 1, dout, n);
}

void imb_nn_dropout_forward(float *out, float *mask, const float *inp, size_t n,
                            float p, imb_rng *r)
{
	const imb_nn_backend *be = imb_nn_be();
	/* the mask is drawn on the host, in order, and uploaded a chunk at a
	 * time, so every backend sees the same mask for the same generator
	 * state */
	float m[4096];
	float keep = 1 / (1 - p);
	for (size_t i0 = 0; i0 < n; i0 += IMB_LEN(m)) {
		size_t k = n - i0 < IMB_LEN(m) ? n - i0 : IMB_LEN(m);
		for (size_t i = 0; i < k; i++)
			m[i] = imb_rng_uniform(r) < p ? 0 : keep;
		be->upload(mask + i0, m, k * sizeof(float));
	}
	be->mul(out, inp, mask, n);
}

void imb_nn_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n)
{
	imb_nn_be()->mul_acc(dinp, dout, mask, n);
}
