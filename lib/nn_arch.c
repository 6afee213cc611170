/* nn_arch.c: architecture names (linear, mlp:W1,W2,..., the CIFAR
 * resnets, resnet18/34, heads +mlp:V1,V2,...): parsed, compared, and
 * their parameter and buffer counts, all without building a network
 * (imb_nn_model_new builds from the parsed layout). */
#include "nn_model.h"
#include "nn_net.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* the widths "W1,W2,..." at *pp, up to the end or a '+'; 0 with *pp past
 * them, or -1 */
static int widths(const char *arch, const char **pp, int *w, int *n, const char *form)
{
	const char *p = *pp;
	if (!*p || *p == '+')
		return imb_seterr("model %s: %s wants at least one width", arch, form);
	for (*n = 0;;) {
		char *e = (char *)p;
		long v = 0;
		errno = 0;
		if (is_digit(*p))
			v = strtol(p, &e, 10);
		if (e == p || errno || v < 1 || v > 1 << 20 || (*e && *e != ',' && *e != '+') ||
		    *n == 64)
			return imb_seterr("model %s: %s wants up to 64 widths, each a positive "
			                  "integer", arch, form);
		w[(*n)++] = (int)v;
		if (*e != ',') {
			*pp = e;
			return 0;
		}
		p = e + 1;
		if (!*p || *p == '+')
			return imb_seterr("model %s: trailing comma", arch);
	}
}

int imb_nn_arch_parse(const char *arch, imb_nn_layout *L)
{
	memset(L, 0, sizeof *L);
	const char *p = arch;
	if (!strncmp(arch, "linear", 6) && (!arch[6] || arch[6] == '+')) {
		L->bb.kind = IMB_NN_ARCH_LINEAR;
		p = arch + 6;
		if (*p)
			return imb_seterr("model %s: linear has no backbone to put a head on "
			                  "(mlp:W1,W2,... is the network with hidden layers)", arch);
		return 0;
	} else if (!strncmp(arch, "mlp:", 4)) {
		L->bb.kind = IMB_NN_ARCH_MLP;
		p = arch + 4;
		if (widths(arch, &p, L->bb.width, &L->bb.nwidth, "mlp:W1,W2,..."))
			return -1;
	} else if (!strncmp(arch, "resnet", 6) && is_digit(arch[6])) {
		char *e;
		errno = 0;
		long d = strtol(arch + 6, &e, 10);
		p = e;
		if (errno || (*e && *e != '+'))
			d = 0;
		if (d == 18 || d == 34) {
			static const int b18[4] = { 2, 2, 2, 2 }, b34[4] = { 3, 4, 6, 3 };
			L->bb.kind = IMB_NN_ARCH_RESNET;
			L->bb.nstage = 4;
			L->bb.stem = 64;
			for (int k = 0; k < 4; k++) {
				L->bb.blocks[k] = d == 18 ? b18[k] : b34[k];
				L->bb.planes[k] = 64 << k;
			}
		} else if (d >= 8 && d <= 1202 && (d - 2) % 6 == 0) {
			L->bb.kind = IMB_NN_ARCH_RESNET;
			L->bb.nstage = 3;
			L->bb.stem = 16;
			for (int k = 0; k < 3; k++) {
				L->bb.blocks[k] = (int)(d - 2) / 6;
				L->bb.planes[k] = 16 << k;
			}
		}
	}
	if (!L->bb.kind)
		return imb_seterr("model %s: unknown (linear, mlp:W1,W2,..., "
		                  "resnet8/20/32/44/56/110 (depth 6n+2), resnet18, resnet34; "
		                  "all but linear with an optional head +mlp:V1,V2,...)", arch);
	if (!*p)
		return 0;
	if (strncmp(p, "+mlp:", 5))
		return imb_seterr("model %s: a head is +mlp:V1,V2,... at the end of the name",
		                  arch);
	p += 5;
	if (widths(arch, &p, L->hwidth, &L->nhead, "the head +mlp:V1,V2,..."))
		return -1;
	if (*p)
		return imb_seterr("model %s: one head, +mlp:V1,V2,..., at the end of the name",
		                  arch);
	return 0;
}

int imb_nn_arch_same_backbone(const char *a, const char *b)
{
	imb_nn_layout A, B;
	return !imb_nn_arch_parse(a, &A) && !imb_nn_arch_parse(b, &B) &&
	       !memcmp(&A.bb, &B.bb, sizeof A.bb);
}

int imb_nn_arch_flat(const char *arch)
{
	imb_nn_layout L;
	if (imb_nn_arch_parse(arch, &L))
		return -1;
	return L.bb.kind != IMB_NN_ARCH_RESNET;
}

int imb_nn_arch_check(const char *arch)
{
	imb_nn_layout L;
	return imb_nn_arch_parse(arch, &L);
}

/* P and B as the builder counts them, with every sum and product
 * checked: a linear layer is in*out + out, a conv OC*IC*k*k, a BN 2C of
 * each */
static int size_add(uint64_t *acc, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t t;
	if (__builtin_mul_overflow(a, b, &t) || __builtin_mul_overflow(t, c, &t) ||
	    __builtin_add_overflow(*acc, t, acc) || *acc > (1ull << 62))
		return -1;
	return 0;
}

/* counts of arch's layers for input (C,H,W): the backbone's into *p,
 * *b and its output width *in; with heads, every head layer and the last
 * (K outputs) added; non-zero on overflow */
static int count(const imb_nn_layout *Lp, int C, int H, int W, int K, int heads, uint64_t *pp,
                 uint64_t *bp, uint64_t *inp)
{
	imb_nn_layout L = *Lp;
	uint64_t p = 0, b = 0, in;
	int bad = 0;
	if (L.bb.kind == IMB_NN_ARCH_RESNET) {
		int ch = L.bb.stem;
		bad |= size_add(&p, (uint64_t)ch * C, 9, 1) | size_add(&p, 2, ch, 1) |
		       size_add(&b, 2, ch, 1);
		for (int s = 0; s < L.bb.nstage; s++)
			for (int k = 0; k < L.bb.blocks[s]; k++) {
				int pl = L.bb.planes[s], stride = k == 0 && s > 0 ? 2 : 1;
				bad |= size_add(&p, (uint64_t)pl * ch, 9, 1) | size_add(&p, (uint64_t)pl * pl, 9, 1) |
				       size_add(&p, 4, pl, 1) | size_add(&b, 4, pl, 1);
				if (stride != 1 || ch != pl)
					bad |= size_add(&p, (uint64_t)pl * ch, 1, 1) | size_add(&p, 2, pl, 1) |
					       size_add(&b, 2, pl, 1);
				ch = pl;
			}
		in = (uint64_t)ch;
	} else {
		in = (uint64_t)C * H * W;
		for (int k = 0; k < L.bb.nwidth; k++) {
			bad |= size_add(&p, in + 1, L.bb.width[k], 1);
			in = (uint64_t)L.bb.width[k];
		}
	}
	for (int k = 0; heads && k < L.nhead; k++) {
		bad |= size_add(&p, in + 1, L.hwidth[k], 1);
		in = (uint64_t)L.hwidth[k];
	}
	if (heads)
		bad |= size_add(&p, in + 1, (uint64_t)K, 1);
	*pp = p;
	*bp = b;
	*inp = in;
	return bad || p > SIZE_MAX || b > SIZE_MAX;
}

int imb_nn_arch_size(const char *arch, int C, int H, int W, int K, size_t *P, size_t *B)
{
	imb_nn_layout L;
	if (imb_nn_arch_parse(arch, &L))
		return -1;
	if (C < 1 || H < 1 || W < 1 || K < 1)
		return imb_seterr("model %s: input %dx%dx%d with %d classes is not a shape", arch, C,
		                  H, W, K);
	uint64_t p, b, in;
	if (count(&L, C, H, W, K, 1, &p, &b, &in))
		return imb_seterr("model %s: input %dx%dx%d with %d classes has over 2^62 parameters",
		                  arch, C, H, W, K);
	*P = (size_t)p;
	*B = (size_t)b;
	return 0;
}

int imb_nn_arch_backbone_size(const char *arch, int C, int H, int W, size_t *F, size_t *P,
                              size_t *B)
{
	imb_nn_layout L;
	if (imb_nn_arch_parse(arch, &L))
		return -1;
	if (C < 1 || H < 1 || W < 1)
		return imb_seterr("model %s: input %dx%dx%d is not a shape", arch, C, H, W);
	uint64_t p, b, in;
	if (count(&L, C, H, W, 1, 0, &p, &b, &in))
		return imb_seterr("model %s: input %dx%dx%d has over 2^62 parameters", arch, C, H, W);
	*F = (size_t)in;
	*P = (size_t)p;
	*B = (size_t)b;
	return 0;
}
