/* test_nn_model.c: networks by name. Parameter counts against the known
 * PyTorch figures, the parameter gradient of small networks against
 * central finite differences of the model's own forward (float, so a
 * loose tolerance; the 1e-4 comparison with PyTorch is in nn_ref.bats),
 * the linear probe, eval mode, determinism, and bad names. */
#include "check.h"
#include "nn_model.h"
#include "nn_backend.h"
#include "nn_loss.h"
#include "util.h"

#include <stdint.h>

static float loss_of(imb_nn_model *m, const imb_nn_loss *L, const float *x,
                     const int32_t *y, int N, float *dz)
{
	const float *z = imb_nn_model_forward(m, x, N, 1);
	return imb_nn_loss_forward(L, dz, NULL, z, y, N);
}

/* analytic gradient vs central differences over up to 60 parameters */
static void gradcheck(const char *arch, int C, int H, int W, int K, int N)
{
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, K);
	CHECK(m != NULL);
	if (!m)
		return;
	imb_rng r;
	imb_rng_seed(&r, 9);
	imb_nn_model_init(m, &r);
	size_t D = (size_t)C * H * W;
	float *x = malloc(N * D * sizeof(float)), *dz = malloc((size_t)N * K * sizeof(float));
	int32_t *y = malloc(N * sizeof(int32_t));
	for (size_t i = 0; i < N * D; i++)
		x[i] = (float)imb_rng_normal(&r);
	for (int i = 0; i < N; i++)
		y[i] = i % K;
	imb_nn_loss L;
	imb_nn_loss_ce(&L, K);
	imb_nn_model_zero_grad(m);
	loss_of(m, &L, x, y, N, dz);
	imb_nn_model_backward(m, dz, 0);
	const float h = 1e-3f;
	double md = 0, mx = 0;
	size_t step = m->P > 60 ? m->P / 60 : 1;
	for (size_t k = 0; k < m->P; k += step) {
		float save = m->params[k];
		m->params[k] = save + h;
		double fp = loss_of(m, &L, x, y, N, NULL);
		m->params[k] = save - h;
		double fm = loss_of(m, &L, x, y, N, NULL);
		m->params[k] = save;
		double g = (fp - fm) / (2 * h);
		md = fabs(g - m->grads[k]) > md ? fabs(g - m->grads[k]) : md;
		mx = fabs(g) > mx ? fabs(g) : mx;
	}
	printf("%-14s %dx%dx%d K=%d N=%d: P=%zu, grads vs finite differences max diff %.3g "
	       "(max |fd| %.3g)\n", arch, C, H, W, K, N, m->P, md, mx);
	CHECK(mx > 0);
	CHECK(md <= 1e-2 * mx);
	imb_nn_loss_free(&L);
	imb_nn_model_free(m);
	free(x);
	free(dz);
	free(y);
}

static size_t nparams(const char *arch, int C, int H, int W, int K)
{
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, K);
	size_t P = m ? m->P : 0;
	imb_nn_model_free(m);
	return P;
}

int main(void)
{
	imb_nn_set_threads(2);
	/* the figures torchsummary gives for kuangliu's CIFAR ResNet18/34 and
	 * for nn.Sequential MLPs */
	CHECK_EQ_INT(nparams("resnet18", 3, 32, 32, 10), 11173962);
	CHECK_EQ_INT(nparams("resnet34", 3, 32, 32, 10), 21282122);
	CHECK_EQ_INT(nparams("mlp:64,64", 2, 1, 1, 2), (2 * 64 + 64) + (64 * 64 + 64) + (64 * 2 + 2));
	CHECK_EQ_INT(nparams("mlp:10", 1, 28, 28, 10), 784 * 10 + 10 + 10 * 10 + 10);
	/* resnet20: He et al.'s 0.27M (269,722 with identity/zero-pad "option A"
	 * shortcuts) plus our two 1x1 projections with their BN:
	 * 16*32 + 2*32 + 32*64 + 2*64 */
	CHECK_EQ_INT(nparams("resnet20", 3, 32, 32, 10), 269722 + 512 + 64 + 2048 + 128);
	/* depth 6n+2 grows by 2 * 3 blocks' worth per step of n */
	CHECK(nparams("resnet32", 3, 32, 32, 10) > nparams("resnet20", 3, 32, 32, 10));
	CHECK_EQ_INT(nparams("resnet8", 1, 28, 28, 2), nparams("resnet8", 1, 32, 32, 2));

	CHECK(imb_nn_model_new("resnet19", 3, 32, 32, 10) == NULL);
	CHECK_HAS(imb_error(), "unknown");
	CHECK(imb_nn_model_new("mlp:", 2, 1, 1, 2) == NULL);
	CHECK(imb_nn_model_new("mlp:4,", 2, 1, 1, 2) == NULL);
	CHECK(imb_nn_model_new("mlp:4,x", 2, 1, 1, 2) == NULL);
	CHECK(imb_nn_model_new("mlp:0", 2, 1, 1, 2) == NULL);
	CHECK(imb_nn_model_new("resnet8", 0, 32, 32, 2) == NULL);
	CHECK(imb_nn_arch_check("resnet56") == 0);
	CHECK(imb_nn_arch_check("vgg16") == -1);
	imb_nn_model_free(NULL);

	gradcheck("mlp:5,4", 3, 1, 1, 3, 6);
	gradcheck("resnet8", 2, 6, 6, 3, 4);
	/* every 3x3 stride-1 convolution on the Winograd path (16 channels
	 * included), then none */
	setenv("IMB_NN_WINOGRAD", "2", 1);
	printf("Winograd forced (IMB_NN_WINOGRAD=2):\n");
	gradcheck("resnet8", 2, 6, 6, 3, 4);
	setenv("IMB_NN_WINOGRAD", "0", 1);
	printf("Winograd off (IMB_NN_WINOGRAD=0):\n");
	gradcheck("resnet8", 2, 6, 6, 3, 4);
	unsetenv("IMB_NN_WINOGRAD");
	gradcheck("resnet8", 1, 5, 7, 2, 3);        /* odd sizes, stride 2 rounding */

	/* determinism, eval mode, linear probe */
	imb_nn_model *a = imb_nn_model_new("resnet8", 3, 8, 8, 4);
	imb_nn_model *b = imb_nn_model_new("resnet8", 3, 8, 8, 4);
	imb_rng r;
	imb_rng_seed(&r, 1);
	imb_nn_model_init(a, &r);
	imb_rng_seed(&r, 1);
	imb_nn_model_init(b, &r);
	CHECK(memcmp(a->params, b->params, a->P * sizeof(float)) == 0);
	CHECK(memcmp(a->bufs, b->bufs, a->B * sizeof(float)) == 0);
	int N = 6, K = 4;
	float x[6 * 3 * 8 * 8], dz[6 * 4], z1[6 * 4];
	int32_t y[6];
	for (size_t i = 0; i < IMB_LEN(x); i++)
		x[i] = (float)imb_rng_normal(&r);
	for (int i = 0; i < N; i++)
		y[i] = i % K;
	memcpy(z1, imb_nn_model_forward(a, x, N, 1), sizeof z1);
	CHECK(memcmp(z1, imb_nn_model_forward(b, x, N, 1), sizeof z1) == 0);
	CHECK(memcmp(a->bufs, b->bufs, a->B * sizeof(float)) == 0);
	/* running statistics moved away from (0, 1) */
	int moved = 0;
	for (size_t i = 0; i < a->B; i++)
		moved += a->bufs[i] != 0 && a->bufs[i] != 1;
	CHECK(moved > (int)a->B / 2);
	float bufs[4096];
	CHECK(a->B <= IMB_LEN(bufs));
	memcpy(bufs, a->bufs, a->B * sizeof(float));
	const float *ze = imb_nn_model_forward(a, x, N, 0);
	CHECK(memcmp(bufs, a->bufs, a->B * sizeof(float)) == 0);   /* eval: no update */
	double d = 0;
	for (int i = 0; i < N * K; i++)
		d += fabs(ze[i] - z1[i]);
	CHECK(d > 0);   /* running stats differ from batch stats */

	imb_nn_loss L;
	imb_nn_loss_ce(&L, K);
	imb_nn_model_zero_grad(a);
	imb_nn_model_zero_grad(b);
	imb_nn_loss_forward(&L, dz, NULL, imb_nn_model_forward(a, x, N, 1), y, N);
	imb_nn_model_backward(a, dz, 0);
	imb_nn_loss_forward(&L, dz, NULL, imb_nn_model_forward(b, x, N, 1), y, N);
	imb_nn_model_backward(b, dz, 1);
	int backbone = 0, head_differs = 0;
	for (size_t i = 0; i < b->head; i++)
		backbone += b->grads[i] != 0;
	for (size_t i = b->head; i < b->P; i++)
		head_differs += b->grads[i] != a->grads[i];
	printf("linear probe: %zu head parameters, %d backbone gradients touched, "
	       "%d head gradients differ from full backward\n", b->P - b->head, backbone,
	       head_differs);
	CHECK_EQ_INT(backbone, 0);
	CHECK_EQ_INT(head_differs, 0);
	CHECK_EQ_INT(b->P - b->head, 64 * 4 + 4);
	/* backward accumulates */
	float g0 = a->grads[0];
	imb_nn_model_backward(a, dz, 0);
	CHECK(g0 != 0 && fabsf(a->grads[0] - 2 * g0) <= 1e-5f * fabsf(g0));
	imb_nn_loss_free(&L);

	/* predict: softmax of the eval logits, the same in any chunking */
	float pr1[6 * 4], pr2[6 * 4];
	imb_nn_model_predict(a, pr1, x, N, 0);
	imb_nn_model_predict(a, pr2, x, N, 4);   /* chunks of 4 and 2 */
	ze = imb_nn_model_forward(a, x, N, 0);
	double pd = 0;
	for (int i = 0; i < N; i++) {
		double s = 0, mx = ze[i * K];
		for (int j = 1; j < K; j++)
			mx = ze[i * K + j] > mx ? ze[i * K + j] : mx;
		for (int j = 0; j < K; j++)
			s += exp(ze[i * K + j] - mx);
		for (int j = 0; j < K; j++) {
			double w = exp(ze[i * K + j] - mx) / s;
			pd = fabs(pr1[i * K + j] - w) > pd ? fabs(pr1[i * K + j] - w) : pd;
		}
	}
	printf("predict: max diff %.3g from softmax of the eval logits\n", pd);
	CHECK(pd < 1e-6);
	double cd = 0;
	for (int i = 0; i < N * K; i++)
		cd = fabs(pr1[i] - pr2[i]) > cd ? fabs(pr1[i] - pr2[i]) : cd;
	CHECK(cd < 1e-6);
	imb_nn_model_free(a);
	imb_nn_model_free(b);
	CHECK_DONE();
}
