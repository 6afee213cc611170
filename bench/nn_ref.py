"""PyTorch's side of bench/nn.sh, on the same shapes as bench/nn_bench.c.

  nn_ref.py train ARCH C H W K BATCH STEPS THREADS
      "train ARCH images_per_s MEDIAN maxrss_kb KB", after one warm-up
      step; a step is zero_grad, forward, cross-entropy, backward and
      torch.optim.SGD(momentum 0.9, weight_decay 5e-4).step()
  nn_ref.py sgemm SIZE THREADS
      torch.mm of SIZE^3 float32 (the same OpenBLAS on Debian), best of 5
"""
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../tests"))
from torch_nets import Block, ResNet  # noqa: E402


def build(arch, c, h, w, k):
    if arch.startswith("mlp:"):
        widths = [int(v) for v in arch[4:].split(",")]
        mods, d = [torch.nn.Flatten()], c * h * w
        for v in widths:
            mods += [torch.nn.Linear(d, v), torch.nn.ReLU()]
            d = v
        mods.append(torch.nn.Linear(d, k))
        return torch.nn.Sequential(*mods)
    cifar = {"resnet8": 1, "resnet20": 3, "resnet32": 5, "resnet56": 9}
    if arch in cifar:
        return ResNet(c, [cifar[arch]] * 3, [16, 32, 64], 16, k)
    big = {"resnet18": [2, 2, 2, 2], "resnet34": [3, 4, 6, 3]}
    return ResNet(c, big[arch], [64, 128, 256, 512], 64, k)


def train(arch, c, h, w, k, n, steps):
    torch.manual_seed(1)
    model = build(arch, c, h, w, k)
    model.train()
    x = torch.randn(n, c, h, w)
    y = torch.randint(0, k, (n,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    times = []
    for s in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    times = sorted(times[1:])
    med = times[(len(times) - 1) // 2]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("train %s images_per_s %.1f maxrss_kb %d" % (arch, n / med, rss))


def sgemm(n):
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = 1e30
    for i in range(6):
        t0 = time.perf_counter()
        torch.mm(a, b)
        dt = time.perf_counter() - t0
        if i > 0:
            best = min(best, dt)
    print("sgemm %d gflops %.1f" % (n, 2.0 * n ** 3 / best / 1e9))


def main():
    a = sys.argv[1:]
    if len(a) >= 9 and a[0] == "train":
        torch.set_num_threads(int(a[8]))
        train(a[1], *[int(v) for v in a[2:8]])
    elif len(a) >= 3 and a[0] == "sgemm":
        torch.set_num_threads(int(a[2]))
        sgemm(int(a[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
