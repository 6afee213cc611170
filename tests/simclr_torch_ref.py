#!/usr/bin/python3
"""PyTorch reference for the NT-Xent objective (test_nn_ntxent DIR,
tests/simclr.bats).

Usage: /usr/bin/python3 tests/simclr_torch_ref.py DIR

Writes raw little-endian files into DIR: ntxent.shape.i32 (R, D),
ntxent.t.f32, ntxent.out.f32 (R, D) the network outputs of two views of
R/2 samples (row i and row i + R/2 are one sample's), and torch's loss,
per-row losses and gradient with respect to the outputs, computed the
way SimCLR implementations do (solo-learn's simclr_loss_func, the
SupContrast NT-Xent): normalise, similarities over the temperature, the
diagonal masked out, cross-entropy with each row's positive as target.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
out_dir = sys.argv[1]


def dump(name, t, kind="<f4"):
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    ext = ".i32" if kind == "<i4" else ".f32"
    a.astype(kind).tofile(os.path.join(out_dir, name + ext))


n, D, t = 24, 32, 0.5
out = torch.randn(2 * n, D, dtype=torch.float64, requires_grad=True)
# views of one sample close together, so the loss is far from log(2n - 1)
with torch.no_grad():
    out[n:] = out[:n] + 0.3 * torch.randn(n, D, dtype=torch.float64)
z = F.normalize(out, dim=1)
sim = z @ z.T / t
sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
pos = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
losses = F.cross_entropy(sim, pos, reduction="none")
loss = losses.mean()
loss.backward()
dump("ntxent.shape", np.array([2 * n, D]), "<i4")
dump("ntxent.t", np.array([t]))
dump("ntxent.out", out)
dump("ntxent.loss", loss.reshape(1))
dump("ntxent.losses", losses)
dump("ntxent.grad", out.grad)
