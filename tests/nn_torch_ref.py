#!/usr/bin/python3
"""Reference dumps from PyTorch for the engine's layers, losses and one
training step (tests/nn_ref.bats; compared by `test_nn_layers DIR`).

Usage: /usr/bin/python3 tests/nn_torch_ref.py DIR

Writes raw little-endian float32 (.f32) and int32 (.i32) files into DIR,
named CASE.TENSOR, for these cases (the sizes are fixed here and in
tests/unit/test_nn_layers.c, which reads them back):

  conv1  conv2d N=4 C=3 9x9 OC=5 k=3 stride=1 pad=1, bias
  conv2  conv2d N=3 C=4 9x8 OC=6 k=3 stride=2 pad=1, bias
  conv3  conv2d N=5 C=6 4x4 OC=4 k=1 stride=1 pad=0, no bias
  lin    linear N=8 C=20 OC=7
  bn     BatchNorm2d(4), N=6 5x5, train then eval (momentum 0.1, eps 1e-5)
  pool   max pool k=3 s=2 p=1 and global average pool, N=2 C=3 7x7
  loss   cross-entropy, weighted CE, focal (gamma 2), N=16 K=5
  net    a small residual net, its CE loss, every parameter gradient, and
         one SGD step (lr 0.1, momentum 0.9, weight decay 5e-4)
  resnet20, mlp
         networks by name (lib/nn_model.h): resnet20 on 8 3x32x32 images,
         mlp:64,64 on 64 2-D points; logits, loss, every parameter
         gradient, BN running statistics, one SGD step
  rn8head, mlphead, linear
         the same for resnet8+mlp:32 (4 3x16x16 images, 5 outputs),
         mlp:16,16+mlp:8,6 (32 3-D points, 3 classes) and linear (10
         2x4x4 images, 4 classes), and also the features (the head's
         input) and the last linear layer's input; compared by
         `test_nn_model DIR`

For each case: the inputs, a random upstream gradient dout where there is
one, and torch's outputs and gradients (autograd, float32, one thread).
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
out_dir = sys.argv[1]


def dump(name, t):
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    if a.dtype.kind in "iu":
        a.astype("<i4").tofile(os.path.join(out_dir, name + ".i32"))
    else:
        a.astype("<f4").tofile(os.path.join(out_dir, name + ".f32"))


def leaf(*shape):
    return torch.randn(*shape, requires_grad=True)


def conv_case(name, N, C, H, W, OC, K, S, P, bias):
    x, w = leaf(N, C, H, W), leaf(OC, C, K, K)
    b = leaf(OC) if bias else None
    out = F.conv2d(x, w, b, stride=S, padding=P)
    dout = torch.randn_like(out)
    out.backward(dout)
    for k, v in [("x", x), ("w", w), ("out", out), ("dout", dout), ("dx", x.grad),
                 ("dw", w.grad)]:
        dump(name + "." + k, v)
    if bias:
        dump(name + ".b", b)
        dump(name + ".db", b.grad)


conv_case("conv1", 4, 3, 9, 9, 5, 3, 1, 1, True)
conv_case("conv2", 3, 4, 9, 8, 6, 3, 2, 1, True)
conv_case("conv3", 5, 6, 4, 4, 4, 1, 1, 0, False)

# linear
x, w, b = leaf(8, 20), leaf(7, 20), leaf(7)
out = F.linear(x, w, b)
dout = torch.randn_like(out)
out.backward(dout)
for k, v in [("x", x), ("w", w), ("b", b), ("out", out), ("dout", dout), ("dx", x.grad),
             ("dw", w.grad), ("db", b.grad)]:
    dump("lin." + k, v)

# batch norm, train mode then eval mode
bn = torch.nn.BatchNorm2d(4, momentum=0.1, eps=1e-5)
with torch.no_grad():
    bn.weight.copy_(torch.rand(4) + 0.5)
    bn.bias.copy_(torch.randn(4))
    bn.running_mean.copy_(torch.randn(4) * 0.1)
    bn.running_var.copy_(torch.rand(4) + 0.5)
dump("bn.gamma", bn.weight)
dump("bn.beta", bn.bias)
dump("bn.rm0", bn.running_mean)
dump("bn.rv0", bn.running_var)
x = (torch.randn(6, 4, 5, 5) * 2 + 1).requires_grad_()
bn.train()
out = bn(x)
dout = torch.randn_like(out)
out.backward(dout)
for k, v in [("x", x), ("out", out), ("dout", dout), ("dx", x.grad), ("dgamma", bn.weight.grad),
             ("dbeta", bn.bias.grad), ("rm", bn.running_mean), ("rv", bn.running_var)]:
    dump("bn." + k, v)
bn.eval()
with torch.no_grad():
    dump("bn.eval_out", bn(x))

# pools
x = leaf(2, 3, 7, 7)
mp = F.max_pool2d(x, 3, 2, 1)
ap = x.mean(dim=(2, 3))
dmp, dap = torch.randn_like(mp), torch.randn_like(ap)
(mp * dmp).sum().add((ap * dap).sum()).backward()
for k, v in [("x", x), ("max", mp), ("avg", ap), ("dmax", dmp), ("davg", dap), ("dx", x.grad)]:
    dump("pool." + k, v)

# losses
z = (torch.randn(16, 5) * 2).requires_grad_()
y = torch.randint(0, 5, (16,))
wcls = torch.tensor([0.5, 2.0, 1.0, 3.0, 0.25])
dump("loss.z", z)
dump("loss.y", y.int())
dump("loss.w", wcls)
for name, fn in [("ce", lambda z: F.cross_entropy(z, y)),
                 ("wce", lambda z: F.cross_entropy(z, y, weight=wcls)),
                 ("focal", lambda z: (-(1 - F.softmax(z, 1).gather(1, y[:, None])) ** 2
                                      * F.log_softmax(z, 1).gather(1, y[:, None])).mean())]:
    zz = z.detach().clone().requires_grad_()
    loss = fn(zz)
    loss.backward()
    dump("loss." + name, loss.reshape(1))
    dump("loss.d" + name, zz.grad)

# a small residual network: conv-bn-relu, conv-bn + skip, relu, maxpool,
# global average pool, linear, cross-entropy; then one SGD step
N, C, H, W, K = 4, 3, 8, 8, 5
params = {
    "w1": torch.randn(8, 3, 3, 3) * 0.3, "g1": torch.rand(8) + 0.5, "be1": torch.randn(8) * 0.1,
    "w2": torch.randn(8, 8, 3, 3) * 0.2, "g2": torch.rand(8) + 0.5, "be2": torch.randn(8) * 0.1,
    "wf": torch.randn(K, 8) * 0.5, "bf": torch.randn(K) * 0.1,
}
for k in params:
    params[k].requires_grad_()
x = torch.randn(N, C, H, W)
y = torch.randint(0, K, (N,))
p = params
r1 = F.relu(F.batch_norm(F.conv2d(x, p["w1"], padding=1), torch.zeros(8), torch.ones(8),
                         p["g1"], p["be1"], training=True))
b2 = F.batch_norm(F.conv2d(r1, p["w2"], padding=1), torch.zeros(8), torch.ones(8), p["g2"],
                  p["be2"], training=True)
r2 = F.relu(b2 + r1)
a = F.max_pool2d(r2, 2, 2).mean(dim=(2, 3))
z = F.linear(a, p["wf"], p["bf"])
loss = F.cross_entropy(z, y)
loss.backward()
dump("net.x", x)
dump("net.y", y.int())
dump("net.z", z)
dump("net.loss", loss.reshape(1))
order = ["w1", "g1", "be1", "w2", "g2", "be2", "wf", "bf"]
dump("net.params", torch.cat([p[k].detach().flatten() for k in order]))
dump("net.grads", torch.cat([p[k].grad.flatten() for k in order]))
opt = torch.optim.SGD([p[k] for k in order], lr=0.1, momentum=0.9, weight_decay=5e-4)
opt.step()
dump("net.params1", torch.cat([p[k].detach().flatten() for k in order]))


# networks by name (lib/nn_model.h): resnet20 on 3x32x32 and mlp:64,64 on
# 2-D points, train-mode forward, CE loss, every parameter gradient, the
# BN running statistics, and one SGD step; parameters in module order
from torch_nets import MLP, Block, ResNet  # noqa: E402  (tests/ is on sys.path)


def model_case(name, model, x, k, head=None):
    """head: the model's head module; then the features (its input) and
    the last linear layer's input are dumped too"""
    with torch.no_grad():   # BN affine parameters away from (1, 0)
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.copy_(torch.rand_like(mod.weight) + 0.5)
                mod.bias.copy_(torch.randn_like(mod.bias) * 0.1)
    y = torch.randint(0, k, (x.shape[0],))
    ps = list(model.parameters())
    dump(name + ".sizes", np.array([p.numel() for p in ps], dtype=np.int32))
    dump(name + ".params", torch.cat([p.detach().flatten() for p in ps]))
    dump(name + ".x", x)
    dump(name + ".y", y.int())
    model.train()
    if head is None:
        z = model(x)
    else:
        feat = model.features(x)
        seq = isinstance(head, torch.nn.Sequential)
        last = head[:-1](feat) if seq else feat
        z = (head[-1] if seq else head)(last)
        dump(name + ".feat", feat)
        dump(name + ".last", last)
    loss = F.cross_entropy(z, y)
    loss.backward()
    dump(name + ".z", z)
    dump(name + ".loss", loss.reshape(1))
    dump(name + ".grads", torch.cat([p.grad.flatten() for p in ps]))
    bufs = [b.flatten() for n, b in model.named_buffers() if b.dtype == torch.float32]
    if bufs:
        dump(name + ".bufs", torch.cat(bufs))
    opt = torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=5e-4)
    opt.step()
    dump(name + ".params1", torch.cat([p.detach().flatten() for p in ps]))


model_case("resnet20", ResNet(3, [3, 3, 3], [16, 32, 64], 16, 10), torch.randn(8, 3, 32, 32), 10)
mlp = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                          torch.nn.ReLU(), torch.nn.Linear(64, 2))
model_case("mlp", mlp, torch.randn(64, 2) * 2, 2)
rn8 = ResNet(3, [1, 1, 1], [16, 32, 64], 16, 5, (32,))
model_case("rn8head", rn8, torch.randn(4, 3, 16, 16), 5, rn8.linear)
mh = MLP(3, [16, 16], 3, (8, 6))
model_case("mlphead", mh, torch.randn(32, 3) * 2, 3, mh.head)
lin = MLP(32, [], 4)
model_case("linear", lin, torch.randn(10, 2, 4, 4), 4, lin.head)
