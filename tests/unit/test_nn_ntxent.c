/* test_nn_ntxent.c: the NT-Xent objective on every linked backend that
 * starts (the CUDA one on a GPU machine) against a double-precision
 * reference written from SimCLR's definition (Chen et al. 2020, eq. 1),
 * its gradient against central finite differences of that reference,
 * and, given a directory of tests/simclr_torch_ref.py's dumps, against
 * PyTorch on the same batch. Prints the max differences; exits non-zero
 * on a failure.
 *
 *   test_nn_ntxent [DIR] */
#include "check.h"
#include "nn_check.h"
#include "nn_backend.h"
#include "nn_objective.h"
#include "util.h"

#include <string.h>

/* l_i = -log(exp(sim(z_i, z_p(i)) / t) / sum_{k != i} exp(sim(z_i, z_k) / t)),
 * sim the cosine similarity, p(i) = (i + R/2) mod R; the mean over rows;
 * per-row losses into l (R) when given */
static double ref_loss(const double *x, int R, int D, double t, double *l)
{
	double *z = malloc((size_t)R * D * sizeof *z), total = 0;
	for (int i = 0; i < R; i++) {
		double q = 0;
		for (int j = 0; j < D; j++)
			q += x[(size_t)i * D + j] * x[(size_t)i * D + j];
		double n = sqrt(q) > 1e-12 ? sqrt(q) : 1e-12;
		for (int j = 0; j < D; j++)
			z[(size_t)i * D + j] = x[(size_t)i * D + j] / n;
	}
	for (int i = 0; i < R; i++) {
		int p = (i + R / 2) % R;
		double den = 0, num = 0;
		for (int k = 0; k < R; k++) {
			if (k == i)
				continue;
			double s = 0;
			for (int j = 0; j < D; j++)
				s += z[(size_t)i * D + j] * z[(size_t)k * D + j];
			den += exp(s / t);
			if (k == p)
				num = s / t;
		}
		double li = -(num - log(den));
		if (l)
			l[i] = li;
		total += li;
	}
	free(z);
	return total / R;
}

/* the objective on backend be: loss, per-row losses, d loss / d out */
static void run(const imb_nn_backend *be, const float *out, int R, int D, float t, float *loss,
                float *losses, float *dout)
{
	imb_nn_objective ob;
	CHECK(imb_nn_objective_ntxent(&ob, D, t) == 0);
	CHECK(ob.K == D && !ob.needs_labels);
	size_t n = (size_t)R * D;
	float *dx = be->alloc(n * sizeof *dx), *dd = be->alloc(n * sizeof *dd);
	float *dl = be->alloc((size_t)R * sizeof *dl), *dL = be->alloc(sizeof *dL);
	be->upload(dx, out, n * sizeof *dx);
	/* twice, the second after a different size: the buffers follow R */
	ob.forward(&ob, dd, dl, dL, dx, NULL, R);
	if (R > 2)
		ob.forward(&ob, dd, dl, dL, dx, NULL, 2);
	ob.forward(&ob, dd, dl, dL, dx, NULL, R);
	be->download(loss, dL, sizeof *loss);
	be->download(losses, dl, (size_t)R * sizeof *losses);
	be->download(dout, dd, n * sizeof *dout);
	be->free(dx); be->free(dd); be->free(dl); be->free(dL);
	imb_nn_objective_free(&ob);
}

static void against_reference(const imb_nn_backend *be, int R, int D, double t)
{
	size_t n = (size_t)R * D;
	float *x = frand(n, -2, 2), loss, *l = malloc((size_t)R * sizeof *l);
	float *g = malloc(n * sizeof *g);
	double *xd = todouble(x, n), *lw = malloc((size_t)R * sizeof *lw), *gw = malloc(n * sizeof *gw);
	double lref = ref_loss(xd, R, D, t, lw);
	/* central differences of the double reference */
	for (size_t i = 0; i < n; i++) {
		double save = xd[i], h = 1e-6;
		xd[i] = save + h;
		double up = ref_loss(xd, R, D, t, NULL);
		xd[i] = save - h;
		double dn = ref_loss(xd, R, D, t, NULL);
		xd[i] = save;
		gw[i] = (up - dn) / (2 * h);
	}
	run(be, x, R, D, (float)t, &loss, l, g);
	char what[128];
	snprintf(what, sizeof what, "%s R=%d D=%d t=%g loss", be->name, R, D, t);
	double lw1[1] = { lref };
	compare(what, &loss, lw1, 1, 1e-5);
	snprintf(what, sizeof what, "%s R=%d D=%d t=%g per-row losses", be->name, R, D, t);
	compare(what, l, lw, (size_t)R, 1e-5);
	snprintf(what, sizeof what, "%s R=%d D=%d t=%g gradient vs differences", be->name, R, D, t);
	compare(what, g, gw, n, 1e-5);
	free(x); free(l); free(g); free(xd); free(lw); free(gw);
}

/* the loss of two identical views is lower than of unrelated ones, and
 * scaling a row leaves everything unchanged (cosine similarity) */
static void properties(const imb_nn_backend *be)
{
	int R = 8, D = 5;
	size_t n = (size_t)R * D;
	float *x = frand(n, -1, 1), *y = malloc(n * sizeof *y), l1, l2, *ls = malloc(R * sizeof *ls);
	float *g1 = malloc(n * sizeof *g1), *g2 = malloc(n * sizeof *g2);
	memcpy(y, x, n * sizeof *y);
	memcpy(y + n / 2, y, n / 2 * sizeof *y);      /* views equal */
	run(be, x, R, D, 0.5f, &l1, ls, g1);
	run(be, y, R, D, 0.5f, &l2, ls, g2);
	CHECK(l2 < l1);
	for (int j = 0; j < D; j++)
		y[j] = x[j] * 7;
	memcpy(y + D, x + D, (n - D) * sizeof *y);
	run(be, y, R, D, 0.5f, &l2, ls, g2);
	CHECK_NEAR(l2, l1, 1e-5);
	/* the gradient of a scaled row shrinks by the scale */
	for (int j = 0; j < D; j++)
		CHECK_NEAR(g2[j] * 7, g1[j], 1e-5);
	free(x); free(y); free(ls); free(g1); free(g2);
	imb_nn_objective ob;
	CHECK(imb_nn_objective_ntxent(&ob, D, 0) == -1);
	CHECK_HAS(imb_error(), "temperature");
	CHECK(imb_nn_objective_ntxent(&ob, D, -1) == -1);
	imb_nn_objective_free(&ob);
}

/* tests/simclr_torch_ref.py's batch: ntxent.out (R,D), t in ntxent.t */
static void against_torch(const imb_nn_backend *be)
{
	int32_t *shape = ref_read("ntxent.shape", "i32", 2);
	int R = shape[0], D = shape[1];
	float *t = rf("ntxent.t", 1), *x = rf("ntxent.out", (size_t)R * D), loss;
	float *l = malloc((size_t)R * sizeof *l), *g = malloc((size_t)R * D * sizeof *g);
	run(be, x, R, D, t[0], &loss, l, g);
	printf("%s: NT-Xent on %d rows of %d, temperature %g\n", be->name, R, D, (double)t[0]);
	ref_compare_who(be->name, "loss", &loss, "ntxent.loss", 1);
	ref_compare_who(be->name, "per-row losses", l, "ntxent.losses", (size_t)R);
	ref_compare_who(be->name, "d loss / d out", g, "ntxent.grad", (size_t)R * D);
	free(shape); free(t); free(x); free(l); free(g);
}

int main(int argc, char **argv)
{
	imb_rng_seed(&rng, 3);
	ref_dir = argc > 1 ? argv[1] : NULL;
	const imb_nn_backend *be;
	for (int i = 0; (be = imb_nn_backend_at(i)); i++) {
		if (imb_nn_set_backend(be->name) < 0) {
			printf("%s: %s: skipped\n", be->name, imb_error());
			continue;
		}
		static const int SIZES[][2] = { { 4, 3 }, { 6, 2 }, { 8, 6 }, { 16, 16 }, { 64, 9 } };
		for (size_t k = 0; k < IMB_LEN(SIZES); k++)
			against_reference(be, SIZES[k][0], SIZES[k][1], k % 2 ? 0.1 : 0.5);
		properties(be);
		if (ref_dir)
			against_torch(be);
	}
	CHECK_DONE();
}
