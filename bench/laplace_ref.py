"""laplace-torch's last-layer KFAC Laplace for bench/laplace.sh: the
network and train samples of an imb stream (tests/torch_nets.py rebuilds
the network from the model frame's params and BN statistics; u8 images
scaled to [0,1], then attrs.normalize), laplace-torch's defaults:

    la = Laplace(model, "classification", subset_of_weights="last_layer",
                 hessian_structure="kron")
    la.fit(train_loader)                      # batch 256, not shuffled
    la.optimize_prior_precision(method="marglik")

usage: laplace_ref.py STREAM [--fit-only] [--frozen]
--frozen: every weight but the last layer's with requires_grad off, so
fit's backward stops at the last layer (laplace-torch's default
backpropagates through the whole network, which a last-layer GGN does
not need). THREADS sets torch's threads; T0 (date +%s.%N before the
interpreter started) makes 'process' the wall time from then until
tuned. Prints one line of key-value pairs: process, cpu (the process's
CPU seconds, all threads, until tuned), fit and tune seconds, the tuned
prior precision, log marginal likelihood, the train log likelihood, and
(unless --fit-only) the NLL of the probit predictive on the test frame.
Runs in the bench's venv (laplace-torch 0.1a2, BackPACK 1.6.0 on
Debian's torch 1.13)."""
import os
import sys
import time

import numpy as np
import torch
import torch.nn.grad

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import hessian_ref  # noqa: E402
import torch_nets  # noqa: E402

# BackPACK 1.6.0 reads Debian's torch version "1.13.0a0" as older than
# 1.13 and so imports torch.nn.grad._grad_input_padding, which torch 1.13
# removed. Only BackPACK's convolution derivatives call it, and a
# last-layer fit extends the last Linear layer alone: a stub that refuses
# lets the import through without changing anything that runs.
if not hasattr(torch.nn.grad, "_grad_input_padding"):
    def _grad_input_padding(*args, **kwargs):
        raise NotImplementedError("BackPACK convolution derivatives are not used here")
    torch.nn.grad._grad_input_padding = _grad_input_padding

from laplace import Laplace  # noqa: E402

EPS = float(np.finfo(np.float64).eps)


def load(model, data):
    """(x float32 NCHW normalised, y int64) of a dataset frame"""
    a = model["attrs"]
    c, h, w = a["input"]
    x = hessian_ref.tensor(data, "x").astype(np.float32)
    if data["tensors"]["x"]["dtype"] == "u8":
        x = x / np.float32(255.0)
    x = x.reshape(len(x), c, h, w)
    mean = np.array(a["normalize"]["mean"], dtype=np.float32).reshape(1, c, 1, 1)
    std = np.array(a["normalize"]["std"], dtype=np.float32).reshape(1, c, 1, 1)
    x = (x - mean) / std
    y = hessian_ref.tensor(data, "y").astype(np.int64)
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)


def main():
    path = sys.argv[1]
    fit_only = "--fit-only" in sys.argv[2:]
    frozen = "--frozen" in sys.argv[2:]
    torch.set_num_threads(int(os.environ.get("THREADS", str(os.cpu_count()))))
    model, train = hessian_ref.read(path, "train")
    a = model["attrs"]
    c, h, w = a["input"]
    net = torch_nets.from_arch(a["arch"], c, h, w, a["n_classes"])
    bufs = hessian_ref.tensor(model, "bufs") if "bufs" in model["tensors"] else None
    torch_nets.load_flat(net, hessian_ref.tensor(model, "params"), bufs)
    net.eval()
    if frozen:
        for p in list(net.parameters())[:-2]:      # the last Linear's weight and bias stay
            p.requires_grad_(False)
    x, y = load(model, train)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),
                                         batch_size=256, shuffle=False)

    t0 = time.time()
    la = Laplace(net, "classification", subset_of_weights="last_layer",
                 hessian_structure="kron")
    la.fit(loader)
    t1 = time.time()
    la.optimize_prior_precision(method="marglik")
    t2 = time.time()
    cpu = time.process_time()      # all threads, from the process's start
    proc = t2 - float(os.environ["T0"]) if "T0" in os.environ else float("nan")
    with torch.no_grad():
        lml = float(la.log_marginal_likelihood())
        ll = float(la.log_likelihood)
    out = "process %.3f cpu %.3f fit %.3f tune %.3f prior_precision %.10g log_marglik %.10g " \
          "log_likelihood %.10g" % (proc, cpu, t1 - t0, t2 - t1, float(la.prior_precision), lml, ll)
    if not fit_only:
        _, test = hessian_ref.read(path, "test")
        xt, yt = load(model, test)
        nll = 0.0
        for at in range(0, len(xt), 256):
            p = la(xt[at:at + 256], link_approx="probit").double()
            # as imb-eval's log_loss: clip to [eps, 1 - eps], eps the double's, renormalise
            p = p.clamp(EPS, 1 - EPS)
            p = p / p.sum(1, keepdim=True)
            nll -= float(torch.log(p[torch.arange(len(p)), yt[at:at + 256]]).sum())
        out += " nll %.10g" % (nll / len(xt))
    print(out)


if __name__ == "__main__":
    main()
