/* nn_cuda_graph.h: a training step recorded once and replayed as a CUDA
 * graph (C++, private to the CUDA backend's files; the state machine is
 * nn_cuda_graph.cu).
 *
 * The loop marks each step (the table's mark_step hook). Every op of the
 * table goes through imb_cuda_recorded<OP>::call, which, inside a marked
 * step, gives the op's signature (its id and arguments: device pointers,
 * sizes, scalars and the contents of the shape and loss structs; not the
 * uploaded bytes, nor the optimisers' lr and step count, nor axpy's
 * alpha, fill_normal's draw and lars_scale's lr, which are staged data) to
 * imb_cuda_graph_op and then, by the mode of the step:
 *   WARM     runs the op as it comes (the signatures are kept, so that a
 *            step can be compared with the one before it)
 *   CAPTURE  runs it under stream capture (its launches join the graph)
 *   REPLAY   does not run it: the graph launched at the step's end does,
 *            but for the ops that stage data (upload, sgd_step,
 *            adamw_step, axpy, fill_normal, lars_scale), which are run to
 *            stage their bytes and return before launching
 * In CAPTURE and REPLAY the call is also kept (its arguments copied, the
 * structs by value), so that a step which departs from its record (an op
 * with other arguments, an op that waits for the GPU or allocates) can
 * run the ops kept so far as they come and go on without a graph.
 * Outside marked steps (mode EAGER) an op costs one comparison more. */
#ifndef IMB_NN_CUDA_GRAPH_H
#define IMB_NN_CUDA_GRAPH_H

#include "nn_cuda.h"

#include <stdint.h>
#include <tuple>
#include <type_traits>

/* an op call kept for running later as it comes */
struct imb_cuda_call {
	virtual void run() = 0;
	virtual ~imb_cuda_call() {}
};

/* Inside a marked step (mode not EAGER): 1 when the op with signature sig,
 * staging up to `staged` bytes, belongs to the step's record (the caller
 * then runs it as the mode says), 0 when the step departs from its record
 * here (the ops kept so far have run, the mode is now EAGER: run it). */
int imb_cuda_graph_op(int op, uint64_t sig, size_t staged);
/* an op that cannot be recorded (it waits for the GPU or allocates) comes
 * inside a marked step: the step departs from its record */
void imb_cuda_graph_leave(int op);
/* keeps a call of the step (CAPTURE, REPLAY), for running it if the step
 * departs; takes ownership */
void imb_cuda_graph_keep(imb_cuda_call *c);

namespace imb_graph {

/* FNV-1a over bytes */
inline uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = (const unsigned char *)p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* an argument's part of the signature: scalars and pointers by value,
 * the structs field by field (no padding bytes), the optimisers' lr and
 * step left out (staged, see above) */
template <typename T> inline uint64_t sig(uint64_t h, T v)
{
	static_assert(std::is_arithmetic<T>::value || std::is_pointer<T>::value,
	              "an op argument of a type the signature does not know");
	return mix(h, &v, sizeof v);
}
inline uint64_t sig(uint64_t h, const imb_nn_conv2d_shape *s)
{
	return mix(h, s, sizeof *s);      /* ints only */
}
inline uint64_t sig(uint64_t h, const imb_nn_xent *c)
{
	h = sig(h, c->K), h = sig(h, c->scale), h = sig(h, c->gamma);
	return sig(sig(sig(h, c->weight), c->adjust), c->margin);
}
inline uint64_t sig(uint64_t h, const imb_nn_sgd_hp *p)
{
	h = sig(h, p->momentum), h = sig(h, p->dampening), h = sig(h, p->weight_decay);
	return sig(h, p->nesterov);
}
inline uint64_t sig(uint64_t h, const imb_nn_adamw_hp *p)
{
	h = sig(h, p->beta1), h = sig(h, p->beta2), h = sig(h, p->eps);
	return sig(h, p->weight_decay);
}

/* an op's signature: every argument (sig above), but for those an op
 * stages (below): axpy's alpha (SGHMC's -lr), fill_normal's mean, std,
 * seed and counter (SGHMC's noise: its spread and its step), lars_scale's
 * lr (LARS's, from the schedule) */
template <int OP> struct signature {
	template <typename... A> static uint64_t of(uint64_t h, A... a)
	{
		((h = sig(h, a)), ...);
		return h;
	}
};
template <> struct signature<IMB_NN_OP_axpy> {
	static uint64_t of(uint64_t h, float *y, float, const float *x, size_t n)
	{
		return sig(sig(sig(h, y), x), n);
	}
};
template <> struct signature<IMB_NN_OP_fill_normal> {
	static uint64_t of(uint64_t h, float *x, size_t n, float, float, uint64_t, uint64_t)
	{
		return sig(sig(h, x), n);
	}
};
template <> struct signature<IMB_NN_OP_lars_scale> {
	static uint64_t of(uint64_t h, float *g, const float *p, const float *q, size_t n, float wd,
	                   float eta, float, int clip)
	{
		h = sig(sig(sig(sig(h, g), p), q), n);
		return sig(sig(sig(h, wd), eta), clip);
	}
};

/* an argument kept in a call: by value; the structs copied */
template <typename T> struct kept {
	T v;
	kept(T x) : v(x) {}
	T get() { return v; }
};
#define IMB_GRAPH_KEPT_(S) template <> struct kept<const S *> { \
	S v; \
	kept(const S *p) : v(*p) {} \
	const S *get() { return &v; } \
};
IMB_GRAPH_KEPT_(imb_nn_conv2d_shape)
IMB_GRAPH_KEPT_(imb_nn_xent)
IMB_GRAPH_KEPT_(imb_nn_sgd_hp)
IMB_GRAPH_KEPT_(imb_nn_adamw_hp)
#undef IMB_GRAPH_KEPT_

template <typename... A> struct call : imb_cuda_call {
	void (*f)(A...);
	std::tuple<kept<A>...> a;
	call(void (*fn)(A...), A... x) : f(fn), a(kept<A>(x)...) {}
	void run() override
	{
		std::apply([this](auto &...k) { f(k.get()...); }, a);
	}
};

/* ops that wait for the GPU or allocate: never in a record */
constexpr bool unrecordable(int op)
{
	return op == IMB_NN_OP_alloc || op == IMB_NN_OP_free || op == IMB_NN_OP_download ||
	       op == IMB_NN_OP_dot || op == IMB_NN_OP_sqnorm || op == IMB_NN_OP_hold ||
	       op == IMB_NN_OP_release;
}

/* ops that stage per-step values (imb_cuda_staged) and run in REPLAY to
 * do so; upload records itself (nn_cuda_graph.cu) */
constexpr bool stages(int op)
{
	return op == IMB_NN_OP_sgd_step || op == IMB_NN_OP_adamw_step ||
	       op == IMB_NN_OP_axpy || op == IMB_NN_OP_fill_normal ||
	       op == IMB_NN_OP_lars_scale;
}

} /* namespace imb_graph */

template <int OP, typename Sig, Sig *F> struct imb_cuda_recorded;
template <int OP, typename R, typename... A, R (*F)(A...)>
struct imb_cuda_recorded<OP, R(A...), F> {
	static R call(A... a)
	{
		if constexpr (OP != IMB_NN_OP_upload) {
			if (imb_cuda_graph_mode != IMB_CUDA_EAGER) {
				if constexpr (std::is_void<R>::value && !imb_graph::unrecordable(OP)) {
					uint64_t h = imb_graph::sig(0xcbf29ce484222325ull, OP);
					h = imb_graph::signature<OP>::of(h, a...);
					constexpr bool st = imb_graph::stages(OP);
					if (imb_cuda_graph_op(OP, h, st ? IMB_CUDA_STAGE_MAX : 0)) {
						int mode = imb_cuda_graph_mode;
						if (mode != IMB_CUDA_WARM)
							imb_cuda_graph_keep(new imb_graph::call<A...>(F, a...));
						if (mode == IMB_CUDA_REPLAY && !st)
							return;
					}
				} else {
					imb_cuda_graph_leave(OP);
				}
			}
		}
		return F(a...);
	}
};

#endif
