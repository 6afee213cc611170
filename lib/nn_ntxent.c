/* nn_ntxent.c: the NT-Xent objective (nn_objective.h), SimCLR's
 * contrastive loss, as backend ops: unit rows, one product for the
 * similarities, the cross-entropy op over them, two products back.
 *
 * The output holds R = 2n rows, two views of n samples: row i and row
 * (i + n) mod R are views of one sample. With z_i the row scaled to unit
 * length and s_ij = z_i . z_j / t (t the temperature):
 *
 *   l_i = -log( exp(s_i,p(i)) / sum_{j != i} exp(s_ij) ),  loss = mean_i l_i
 *
 * (Chen et al. 2020, eq. 1, averaged over all 2n rows.) The diagonal is
 * masked by adding -1e9 before the softmax (exp of it is 0 in float and
 * double alike), so the xent op computes l_i and d loss / d s exactly as
 * for any logits with label p(i). Then
 *
 *   d loss / d z = (dS + dS^T) z / t,   d loss / d out = the unit rows' backward.
 */
#include "nn_objective.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define MASK -1e9f      /* added to s_ii */

typedef struct {
	float t;                /* temperature */
	int D;                  /* values per row */
	int R;                  /* rows the buffers below hold */
	float *z, *norm;        /* (R,D), (R): unit rows and the norms */
	float *S, *dS, *mask;   /* (R,R) similarities, their gradient, the mask */
	float *dz;              /* (R,D) */
	int32_t *pos;           /* (R) the positive of each row */
	imb_nn_xent cfg;
} ntxent;

static void release(ntxent *s)
{
	const imb_nn_backend *be = imb_nn_be();
	void *p[] = { s->z, s->norm, s->S, s->dS, s->mask, s->dz, s->pos };
	for (size_t k = 0; k < IMB_LEN(p); k++)
		if (p[k])
			be->free(p[k]);
	s->z = s->norm = s->S = s->dS = s->mask = s->dz = NULL;
	s->pos = NULL;
	s->R = 0;
}

/* buffers for R rows: the mask and the positives depend on R alone */
static void reserve(ntxent *s, int R)
{
	if (s->R == R)
		return;
	release(s);
	const imb_nn_backend *be = imb_nn_be();
	size_t RR = (size_t)R * R, RD = (size_t)R * s->D;
	s->z = be->alloc(RD * sizeof(float));
	s->dz = be->alloc(RD * sizeof(float));
	s->norm = be->alloc((size_t)R * sizeof(float));
	s->S = be->alloc(RR * sizeof(float));
	s->dS = be->alloc(RR * sizeof(float));
	s->mask = be->alloc(RR * sizeof(float));
	s->pos = be->alloc((size_t)R * sizeof(int32_t));
	float *m = imb_xcalloc(RR, sizeof *m);
	int32_t *p = imb_xmalloc((size_t)R * sizeof *p);
	for (int i = 0; i < R; i++) {
		m[(size_t)i * R + i] = MASK;
		p[i] = (i + R / 2) % R;
	}
	be->upload(s->mask, m, RR * sizeof *m);
	be->upload(s->pos, p, (size_t)R * sizeof *p);
	free(m);
	free(p);
	s->R = R;
	s->cfg = (imb_nn_xent){ .K = R, .scale = 1 };
}

static void forward(const imb_nn_objective *ob, float *dout, float *losses, float *loss,
                    const float *out, const int32_t *y, int R)
{
	(void)y;
	ntxent *s = ob->state;
	const imb_nn_backend *be = imb_nn_be();
	int D = s->D;
	reserve(s, R);
	float it = 1.0f / s->t;
	be->l2norm_rows(s->z, s->norm, out, R, D);
	be->gemm(0, 1, R, R, D, it, s->z, D, s->z, D, 0, s->S, R);
	be->axpy(s->S, 1, s->mask, (size_t)R * R);
	be->xent(dout ? s->dS : NULL, losses, loss, s->S, s->pos, R, &s->cfg);
	if (!dout)
		return;
	be->gemm(0, 0, R, D, R, it, s->dS, R, s->z, D, 0, s->dz, D);
	be->gemm(1, 0, R, D, R, it, s->dS, R, s->z, D, 1, s->dz, D);
	be->zero(dout, (size_t)R * D);
	be->l2norm_rows_backward(dout, s->dz, s->z, s->norm, R, D);
}

static void ob_free(imb_nn_objective *ob)
{
	ntxent *s = ob->state;
	if (s)
		release(s);
	free(s);
	ob->state = NULL;
}

int imb_nn_objective_ntxent(imb_nn_objective *ob, int D, float temperature)
{
	memset(ob, 0, sizeof *ob);
	if (!(temperature > 0) || temperature > 1e6f)
		return imb_seterr("temperature %g: must be > 0", (double)temperature);
	if (D < 1)
		return imb_seterr("NT-Xent: %d values a row", D);
	ntxent *s = imb_xcalloc(1, sizeof *s);
	s->t = temperature;
	s->D = D;
	ob->name = "nt-xent";
	ob->K = D;
	ob->needs_labels = 0;
	ob->forward = forward;
	ob->free = ob_free;
	ob->state = s;
	return 0;
}
