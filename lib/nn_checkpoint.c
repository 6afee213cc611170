/* nn_checkpoint.c: the training loop's checkpoints (nn_checkpoint.h). */
#include "nn_checkpoint.h"
#include "cli.h"
#include "nn_backend.h"
#include "nn_frame.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int imb_nn_checkpoint_write(const imb_nn_loop *L, const char *path)
{
	int64_t seed = imb_val_as_int(imb_val_get(L->params, "seed"), 0);
	/* the class counts only when the outputs are the classes (not a
	 * projection head's) */
	imb_frame *mf = imb_nn_frame_make(L->m, L->mean, L->std, imb_val_copy(L->params),
	                                  L->data.f, L->m->K == L->data.K ? L->data.counts : NULL,
	                                  L->epoch);
	imb_frame *cf = imb_frame_new("checkpoint", "train");
	imb_history_append(mf, seed);
	imb_history_append(cf, seed);
	imb_val_set_int(cf->attrs, "epoch", L->epoch);
	if (L->stop)
		imb_val_set_int(cf->attrs, "stopped", 1);   /* early stopping ended it */
	if (L->o->val_frame)
		imb_val_set_str(cf->attrs, "val_frame", L->o->val_frame);
	int r = L->opt.save(&L->opt, cf);
	char hex[32];
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)L->fingerprint);
	imb_val_set_str(cf->attrs, "data", hex);
	imb_val_set_int(cf->attrs, "threads", imb_nn_threads());
	imb_val_set(cf->attrs, "params", imb_val_copy(L->params));
	imb_val_set(cf->attrs, "epochs", imb_val_copy(L->log));
	uint64_t four[1] = {4};
	imb_tensor *t = imb_frame_add_tensor(cf, "rng", IMB_I64, 1, four);
	memcpy(t->data, L->rl.s, sizeof L->rl.s);
	for (int i = 0; i < L->nhooks && r == 0; i++)
		if (L->hooks[i].save)
			r = L->hooks[i].save(&L->hooks[i], cf);
	if (r < 0) {
		imb_preferr("--checkpoint %s: ", path);
	} else {
		imb_writer *w = imb_writer_open(path);
		if (!w || imb_write_frame(w, mf) < 0 || imb_write_frame(w, cf) < 0) {
			r = imb_preferr("--checkpoint %s: ", path);
			imb_writer_abort(w);
		} else if (imb_writer_close(w) < 0) {
			r = imb_preferr("--checkpoint %s: ", path);
		}
	}
	imb_frame_free(mf);
	imb_frame_free(cf);
	return r;
}

/* the two frames of a checkpoint file; -1 with imb_error() */
static int read_frames(const char *path, imb_frame **mf, imb_frame **cf)
{
	*mf = *cf = NULL;
	imb_reader *r = imb_reader_open(path);
	if (!r)
		return imb_preferr("--resume: ");
	int rc = imb_read_frame(r, mf);
	if (rc == 1)
		rc = imb_read_frame(r, cf);
	imb_reader_close(r);
	if (rc < 0)
		return imb_preferr("--resume %s: ", path);
	if (!*mf || !*cf || strcmp((*cf)->kind, "checkpoint"))
		return imb_seterr("--resume %s: not a checkpoint (a network model frame, then a frame "
		                  "of kind 'checkpoint')", path);
	return 0;
}

int imb_nn_checkpoint_settings(const char *path, imb_val **params, int64_t *threads)
{
	*params = NULL;
	*threads = 0;
	imb_frame *mf, *cf;
	int r = read_frames(path, &mf, &cf);
	const imb_val *cp = r == 0 ? imb_val_get(cf->attrs, "params") : NULL;
	if (r == 0 && (!cp || cp->t != IMB_V_MAP)) {
		char lb[128];
		r = imb_seterr("--resume %s: %s: attrs.params is missing", path,
		               imb_frame_label(cf, lb, sizeof lb));
	}
	if (r == 0) {
		*params = imb_val_copy(cp);
		const char *arch = imb_val_as_str(imb_val_get(mf->attrs, "arch"), NULL);
		if (arch && !imb_val_get(*params, "arch"))
			imb_val_set_str(*params, "arch", arch);
		*threads = imb_val_as_int(imb_val_get(cf->attrs, "threads"), 0);
		/* not training settings, but what a resumed run needs the same */
		const char *vf = imb_val_as_str(imb_val_get(cf->attrs, "val_frame"), NULL);
		if (vf)
			imb_val_set_str(*params, "val_frame", vf);
	}
	imb_frame_free(mf);
	imb_frame_free(cf);
	return r;
}

int imb_nn_checkpoint_read(imb_nn_loop *L, const char *path)
{
	imb_frame *mf, *cf;
	int ret = -1;
	imb_nn_loaded l = {0};
	char lb[128];
	if (read_frames(path, &mf, &cf) < 0)
		goto done;
	if (imb_nn_frame_read(mf, &l) < 0) {
		imb_preferr("--resume %s: %s: ", path, imb_frame_label(mf, lb, sizeof lb));
		goto done;
	}
	imb_nn_model *m = L->m;
	if (strcmp(l.m->arch, m->arch) || l.m->C != m->C || l.m->H != m->H || l.m->W != m->W ||
	    l.m->K != m->K) {
		imb_seterr("--resume %s: the checkpoint holds %s on [%d, %d, %d] with %d classes; "
		           "this run trains %s on [%d, %d, %d] with %d classes", path, l.m->arch, l.m->C,
		           l.m->H, l.m->W, l.m->K, m->arch, m->C, m->H, m->W, m->K);
		goto done;
	}
	imb_frame_label(cf, lb, sizeof lb);
	/* the same settings, key by key */
	const imb_val *cp = imb_val_get(cf->attrs, "params");
	if (!cp || cp->t != IMB_V_MAP) {
		imb_seterr("--resume %s: %s: attrs.params is missing", path, lb);
		goto done;
	}
	/* a sampler's checkpoint (attrs.params.method) is its own tool's */
	const char *cm = imb_val_as_str(imb_val_get(cp, "method"), NULL);
	const char *lm = imb_val_as_str(imb_val_get(L->params, "method"), NULL);
	if (cm && (!lm || strcmp(cm, lm))) {
		imb_seterr("--resume %s: made by imb-%s (method %s): resume it with imb-%s", path, cm,
		           cm, cm);
		goto done;
	}
	if (lm && !cm) {
		imb_seterr("--resume %s: made without a sampler (imb-train, imb-sam or imb-simclr): "
		           "resume it with the tool that made it", path);
		goto done;
	}
	for (size_t i = 0; i < L->params->n; i++) {
		const char *k = L->params->keys[i];
		if (!strcmp(k, "init"))
			continue;  /* the checkpoint's weights replace the init's */
		const imb_val *had = imb_val_get(cp, k);
		char *a = imb_val_json_text(L->params->items[i]);
		char *b = had ? imb_val_json_text(had) : NULL;
		int same = b && !strcmp(a, b);
		if (!same && b)
			imb_seterr("--resume %s: made with %s %s, this run has %s", path, k, b, a);
		else if (!same)
			imb_seterr("--resume %s: made with no %s setting, this run has %s %s",
			           path, k, k, a);
		free(a);
		free(b);
		if (!same)
			goto done;
	}
	char hex[32];
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)L->fingerprint);
	if (strcmp(imb_val_as_str(imb_val_get(cf->attrs, "data"), ""), hex)) {
		imb_seterr("--resume %s: the checkpoint was made on other training data", path);
		goto done;
	}
	int64_t epoch = imb_val_as_int(imb_val_get(cf->attrs, "epoch"), -1);
	const imb_val *ep = imb_val_get(cf->attrs, "epochs");
	if (epoch < 1 || epoch > L->o->epochs || !ep || ep->t != IMB_V_ARR ||
	    ep->n != (size_t)epoch) {
		imb_seterr("--resume %s: %s: attrs.epoch or epochs are missing or out of range", path,
		           lb);
		goto done;
	}
	imb_tensor *rt = imb_frame_tensor(cf, "rng");
	if (!rt || rt->dtype != IMB_I64 || rt->ndim != 1 || rt->shape[0] != 4) {
		imb_seterr("--resume %s: %s: tensor 'rng' must be (4) i64", path, lb);
		goto done;
	}
	if (L->opt.load(&L->opt, cf) < 0) {
		imb_preferr("--resume %s: %s: ", path, lb);
		goto done;
	}
	for (int i = 0; i < L->nhooks; i++)
		if (L->hooks[i].load && L->hooks[i].load(&L->hooks[i], cf) < 0) {
			imb_preferr("--resume %s: %s: ", path, lb);
			goto done;
		}
	const imb_nn_backend *be = imb_nn_be();
	be->copy(m->params, l.m->params, m->P * sizeof(float));
	if (m->B)
		be->copy(m->bufs, l.m->bufs, m->B * sizeof(float));
	memcpy(L->mean, l.mean, (size_t)m->C * sizeof *L->mean);
	memcpy(L->std, l.std, (size_t)m->C * sizeof *L->std);
	memcpy(L->rl.s, rt->data, sizeof L->rl.s);
	L->step_n = L->opt.steps(&L->opt);
	imb_val_free(L->log);
	L->log = imb_val_copy(ep);
	ret = (int)epoch;
	L->stop = imb_val_as_int(imb_val_get(cf->attrs, "stopped"), 0) != 0;
	int64_t th = imb_val_as_int(imb_val_get(cf->attrs, "threads"), 0);
	if (th != imb_nn_threads())
		imb_warn("--resume: the checkpoint ran on %lld threads, this run on %d: the result "
		         "agrees to rounding, not bit for bit", (long long)th, imb_nn_threads());
done:
	imb_nn_loaded_free(&l);
	imb_frame_free(mf);
	imb_frame_free(cf);
	return ret;
}
