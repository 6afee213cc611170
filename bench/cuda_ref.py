"""PyTorch's side of bench/cuda.sh: eager training throughput on the GPU,
and the FLOPs that the model FLOP utilisation is counted from.

  cuda_ref.py info
      "torch VERSION cuda V cudnn V cudnn_benchmark 1 cudnn_tf32 B
      matmul_tf32 B device NAME": the settings the train cells run with
  cuda_ref.py flops ARCH
      "flops ARCH per_image F": one training image's FLOPs on 3x32x32,
      10 classes: the multiply-adds of every Conv2d and Linear (counted
      by forward hooks), times 2, times 3 for forward + backward (the
      usual convention; the stem's input gradient, which no one
      computes, is counted too)
  cuda_ref.py train ARCH BATCH PRECISION [--steps S] [--reps R]
      "train ARCH images_per_s MEDIAN precision P steps S cudnn_tf32 B
      matmul_tf32 B": a step is zero_grad, forward, cross-entropy,
      backward and torch.optim.SGD(lr 0.01, momentum 0.9, weight_decay
      5e-4).step(), on random data (normal) and labels made on the
      device once. torch.backends.cudnn.benchmark on, model and data
      channels_last. PRECISION fp32: float32 with PyTorch's defaults
      (cuDNN convolutions may use TF32, cudnn.allow_tf32 is True;
      matmuls do not, cuda.matmul.allow_tf32 is False: both reported);
      tf32: both allowed; bf16: torch.autocast(bfloat16) around forward
      and loss. 5 warm-up steps (cudnn.benchmark's search is in the
      first), the last 3 timed to size the blocks when S is 0 (the
      default: about a second each), then R (default 5) blocks of S
      steps, each timed between two torch.cuda.synchronize(); the
      median block over S.
  cuda_ref.py simclr ARCH BATCH PRECISION [--steps S] [--reps R]
      "simclr ARCH images_per_s MEDIAN precision P steps S": a SimCLR step
      on BATCH images, two views each (2 x BATCH rows): ARCH with the
      projection head +mlp:4F and 128 outputs, the NT-Xent loss
      (temperature 0.5: normalise, similarities over the temperature,
      diagonal masked, cross-entropy with each row's other view),
      backward, SGD(lr 0.01, momentum 0.9); on random views made on the
      device once (no augmentation: the step alone). Images per second
      count images, not views, as imb-simclr's epoch lines do
  cuda_ref.py smoke
      flops of resnet18 and resnet34, then one tiny train cell in each
      precision (batch 4, 1 step, 1 block): a check that the script runs

--device cpu runs any mode on the CPU (autocast on the CPU for bf16;
no synchronisation needed): `python3 bench/cuda_ref.py --device cpu
smoke` with Debian's torch checks the script without a GPU.
"""
import argparse
import os
import sys
import time
import warnings

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../tests"))
from torch_nets import from_arch  # noqa: E402

C, H, W, K = 3, 32, 32, 10
WARMUP = 5


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def tf32_flags():
    """(cudnn.allow_tf32, cuda.matmul.allow_tf32) as 0/1, -1 if unreadable
    (PyTorch 2.9 and later warn about these flags: silenced here)."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for get in (lambda: torch.backends.cudnn.allow_tf32,
                    lambda: torch.backends.cuda.matmul.allow_tf32):
            try:
                out.append(int(bool(get())))
            except Exception:
                out.append(-1)
    return out


def allow_tf32():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.backends.cudnn.allow_tf32 = True
            torch.backends.cuda.matmul.allow_tf32 = True
        except Exception:   # only the fp32_precision settings left
            torch.backends.cudnn.conv.fp32_precision = "tf32"
            torch.backends.cuda.matmul.fp32_precision = "tf32"


def flops_per_image(arch):
    """Training FLOPs of one image: 3 * 2 * (conv + linear multiply-adds)."""
    model = from_arch(arch, C, H, W, K)
    macs = [0]

    def conv(m, inp, out):
        k = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        macs[0] += out[0].numel() * k

    def linear(m, inp, out):
        macs[0] += out[0].numel() * m.in_features

    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.register_forward_hook(conv)
        elif isinstance(m, torch.nn.Linear):
            m.register_forward_hook(linear)
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, C, H, W))
    return 3 * 2 * macs[0]


def train(arch, n, precision, steps, reps, dev):
    torch.manual_seed(1)
    if precision == "tf32":
        allow_tf32()
    cl = torch.channels_last
    model = from_arch(arch, C, H, W, K).to(dev, memory_format=cl)
    model.train()
    x = torch.randn(n, C, H, W, device=dev).contiguous(memory_format=cl)
    y = torch.randint(0, K, (n,), device=dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    bf16 = precision == "bf16"

    def step():
        opt.zero_grad()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    med, steps = timed(step, steps, reps, dev)
    print("train %s images_per_s %.1f precision %s steps %d cudnn_tf32 %d matmul_tf32 %d"
          % ((arch, n / med, precision, steps) + tuple(tf32_flags())), flush=True)


def simclr(arch, n, precision, steps, reps, dev):
    torch.manual_seed(1)
    if precision == "tf32":
        allow_tf32()
    cl = torch.channels_last
    feat = {"resnet18": 512, "resnet34": 512}.get(arch, 64)
    model = from_arch("%s+mlp:%d" % (arch, 4 * feat), C, H, W, 128).to(dev, memory_format=cl)
    model.train()
    x = torch.randn(2 * n, C, H, W, device=dev).contiguous(memory_format=cl)
    pos = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(dev)
    eye = torch.eye(2 * n, dtype=torch.bool, device=dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    bf16 = precision == "bf16"

    def step():
        opt.zero_grad()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            z = model(x)
        z = F.normalize(z.float(), dim=1)
        sim = (z @ z.T / 0.5).masked_fill(eye, float("-inf"))
        loss = F.cross_entropy(sim, pos)
        loss.backward()
        opt.step()

    med, steps = timed(step, steps, reps, dev)
    print("simclr %s images_per_s %.1f precision %s steps %d" % (arch, n / med, precision, steps),
          flush=True)


def timed(step, steps, reps, dev):
    """the median seconds of a step over reps blocks of steps (0: about 1 s)"""
    t0 = 0.0
    for s in range(WARMUP):
        if s == 2:
            sync(dev)
            t0 = time.perf_counter()
        step()
    sync(dev)
    est = (time.perf_counter() - t0) / (WARMUP - 2)
    if steps <= 0:
        steps = max(3, min(1000, int(1.0 / est) if est > 0 else 1000))
    times = []
    for _ in range(max(1, reps)):
        sync(dev)
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        sync(dev)
        times.append((time.perf_counter() - t0) / steps)
    times.sort()
    return times[(len(times) - 1) // 2], steps


def info(dev):
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    print("torch %s cuda %s cudnn %s cudnn_benchmark %d cudnn_tf32 %d matmul_tf32 %d device %s"
          % ((torch.__version__, torch.version.cuda, torch.backends.cudnn.version(),
              torch.backends.cudnn.benchmark) + tuple(tf32_flags()) + (name.replace(" ", "_"),)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["info", "flops", "train", "simclr", "smoke"])
    ap.add_argument("args", nargs="*", help="flops: ARCH; train: ARCH BATCH PRECISION")
    ap.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    ap.add_argument("--steps", type=int, default=0, help="steps per block, 0: about 1 s")
    ap.add_argument("--reps", type=int, default=5, help="timed blocks")
    o = ap.parse_args()
    dev = torch.device(o.device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        sys.exit("cuda_ref.py: no CUDA device for PyTorch here (--device cpu to check the script)")
    torch.backends.cudnn.benchmark = True
    if o.mode == "info":
        info(dev)
    elif o.mode == "flops" and len(o.args) == 1:
        print("flops %s per_image %d" % (o.args[0], flops_per_image(o.args[0])))
    elif o.mode == "train" and len(o.args) == 3 and o.args[2] in ("fp32", "tf32", "bf16"):
        train(o.args[0], int(o.args[1]), o.args[2], o.steps, o.reps, dev)
    elif o.mode == "simclr" and len(o.args) == 3 and o.args[2] in ("fp32", "tf32", "bf16"):
        simclr(o.args[0], int(o.args[1]), o.args[2], o.steps, o.reps, dev)
    elif o.mode == "smoke":
        info(dev)
        for arch in ("resnet18", "resnet34"):
            print("flops %s per_image %d" % (arch, flops_per_image(arch)))
        for p in ("fp32", "bf16", "tf32"):   # tf32 last: it changes the flags
            train("resnet18", 4, p, 1, 1, dev)
        simclr("resnet8", 4, "fp32", 1, 1, dev)
    else:
        ap.error("bad arguments for %s" % o.mode)


if __name__ == "__main__":
    main()
