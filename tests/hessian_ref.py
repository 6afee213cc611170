"""The PyTorch reference of imb-hessian: read a stream's network model
frame and its train frame, rebuild the network (tests/torch_nets.py) with
the same weights and BN running statistics in float64, and print the top
K eigenvalues of the Hessian of the mean cross-entropy (eval-mode BN) on
the first N train samples, from Lanczos with full reorthogonalisation
over double-backward Hessian-vector products (torch.autograd.grad of
grad . v), one per line.

usage: hessian_ref.py STREAM K [N] [STEPS]
       hessian_ref.py STREAM --fd [N]
the second form measures, for one random direction v, how far float32
products are from the float64 one: double backward in float32 (an R-op)
and central finite differences of float32 gradients at several steps."""
import os
import sys

import msgpack
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_nets  # noqa: E402

DT = {"u8": np.uint8, "f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64}


def tensor(f, key):
    t = f["tensors"][key]
    return np.frombuffer(t["data"], dtype=DT[t["dtype"]]).reshape(t["shape"])


def read(path, frame="train"):
    model = data = None
    with open(path, "rb") as fh:
        for f in msgpack.Unpacker(fh, raw=False, max_buffer_size=2**31 - 1):
            if model is None and f["kind"] == "model" and f["attrs"].get("model") in ("nn", f["attrs"].get("arch")):
                model = f
            if data is None and f["kind"] == "dataset" and f["name"] == frame:
                data = f
    return model, data


def setup(path, n=None, dtype=torch.float64):
    """(network in eval mode, x, y) for the first n samples"""
    model, data = read(path)
    a = model["attrs"]
    c, h, w = a["input"]
    k = a["n_classes"]
    net = torch_nets.from_arch(a["arch"], c, h, w, k)
    bufs = tensor(model, "bufs") if "bufs" in model["tensors"] else None
    torch_nets.load_flat(net, tensor(model, "params"), bufs)
    net = net.to(dtype).eval()
    x = tensor(data, "x")
    y = tensor(data, "y").astype(np.int64)
    if n:
        x, y = x[:n], y[:n]
    x = x.astype(np.float64)
    if data["tensors"]["x"]["dtype"] == "u8":
        x = x / 255.0
    x = x.reshape(len(x), c, h, w)
    mean = np.array(a["normalize"]["mean"]).reshape(1, c, 1, 1)
    std = np.array(a["normalize"]["std"]).reshape(1, c, 1, 1)
    x = (x - mean) / std
    return net, torch.tensor(x, dtype=dtype), torch.tensor(y)


def hvp_fn(net, x, y, batch=250):
    params = [p for p in net.parameters()]
    n = len(x)

    def hvp(v):
        out = torch.zeros_like(v)
        for at in range(0, n, batch):
            xb, yb = x[at:at + batch], y[at:at + batch]
            loss = F.cross_entropy(net(xb), yb) * len(xb) / n
            g = torch.autograd.grad(loss, params, create_graph=True)
            g = torch.cat([t.reshape(-1) for t in g])
            hv = torch.autograd.grad(g @ v, params)
            out += torch.cat([t.reshape(-1) for t in hv]).detach()
        return out
    return hvp, sum(p.numel() for p in params)


def lanczos_top(hvp, P, k, steps, dtype=torch.float64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(P, generator=gen, dtype=dtype)
    q /= q.norm()
    Q, alpha, beta = [q], [], []
    for j in range(steps):
        w = hvp(Q[j])
        if j > 0:
            w = w - beta[-1] * Q[j - 1]
        a = float(w @ Q[j])
        w = w - a * Q[j]
        for _ in range(2):
            for qi in Q:
                w = w - (w @ qi) * qi
        alpha.append(a)
        b = float(w.norm())
        if j + 1 == steps or b < 1e-12:
            break
        beta.append(b)
        Q.append(w / b)
    T = np.diag(alpha) + np.diag(beta[:len(alpha) - 1], 1) + np.diag(beta[:len(alpha) - 1], -1)
    return sorted(np.linalg.eigvalsh(T), reverse=True)[:k]


def fd_report(path, n):
    """max |Hv - Hv_64| / max |Hv_64| and |Hv - Hv_64| / |Hv_64| of float32
    products along one unit v; then the same finite differences in float64
    (their error there is the ReLU kinks', not rounding)"""
    net64, x64, y = setup(path, n)
    hvp64, P = hvp_fn(net64, x64, y)
    v = torch.randn(P, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    v /= v.norm()      # a unit vector, as Lanczos's
    ref = hvp64(v)
    scale = float(ref.abs().max())
    net, x, y = setup(path, n, torch.float32)
    hvp, _ = hvp_fn(net, x, y)
    v32 = v.float()
    nref = float(ref.norm())

    def err(h):
        d = h.double() - ref
        return "max %.3g  norm %.3g" % (float(d.abs().max()) / scale, float(d.norm()) / nref)
    print("float32 double backward (R-op)   " + err(hvp(v32)))
    params = list(net.parameters())
    flat = torch.nn.utils.parameters_to_vector(params).detach().clone()

    def grad_at(t):
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(flat + t * v32, params)
        loss = F.cross_entropy(net(x), y)
        g = torch.autograd.grad(loss, params)
        return torch.cat([u.reshape(-1) for u in g])
    for eps in (1e-1, 1e-2, 1e-3, 1e-4, 1e-5):
        fd = (grad_at(eps) - grad_at(-eps)) / (2 * eps)
        print("float32 FD of gradients eps %.0e  %s" % (eps, err(fd)))
    params64 = list(net64.parameters())
    flat64 = torch.nn.utils.parameters_to_vector(params64).detach().clone()

    def grad64(t):
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(flat64 + t * v, params64)
        loss = F.cross_entropy(net64(x64), y)
        g = torch.autograd.grad(loss, params64)
        return torch.cat([u.reshape(-1) for u in g])
    for eps in (1e-2, 1e-4, 1e-6):
        fd = (grad64(eps) - grad64(-eps)) / (2 * eps)
        print("float64 FD of gradients eps %.0e  %s" % (eps, err(fd)))


def main():
    if sys.argv[2] == "--fd":
        torch.set_num_threads(int(os.environ.get("THREADS", "2")))
        fd_report(sys.argv[1], int(sys.argv[3]) if len(sys.argv) > 3 else 100)
        return
    path, k = sys.argv[1], int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else None
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))
    net, x, y = setup(path, n)
    hvp, P = hvp_fn(net, x, y)
    for e in lanczos_top(hvp, P, k, min(steps, P)):
        print("%.12g" % e)


if __name__ == "__main__":
    main()
