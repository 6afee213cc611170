#!/usr/bin/python3
"""Reference dumps from torchvision for SimCLR's augmentations
(tests/augment.bats; compared by `test_nn_data DIR`).

Usage: /usr/bin/python3 tests/augment_torch_ref.py DIR

Writes raw little-endian float32 files DIR/CASE.TENSOR.f32, images in
[0, 1] (torchvision's float convention); the engine's ops run on the same
values times 255 with bound 255 and are divided back. The sizes are fixed
here and in tests/unit/test_nn_data.c:

  rc    resized crop: 8 images 3x16x12; boxes (top, left, height, width)
        (8,4): the whole image, corners, edges, a one-pixel box, random;
        out = F.resized_crop(x, t, l, h, w, [16, 12], BILINEAR,
        antialias=True)
  cj    colour jitter: 50 images 3x12x10 (whole multiples of 1/255, gray
        pixels, 0s and 1s, channels tied for the largest); draws (50,6) =
        (apply, order, b, c, s, h) as the engine's color_jitter reads
        them: order k is the k-th permutation of (brightness, contrast,
        saturation, hue) in lexicographic order; out = the four
        adjust_* of torchvision.transforms.functional in that order, or
        x where apply is 0
  hue   the same op on 48 images 3x8x8 of any floats in [0, 1], brightness,
        contrast and saturation factors 1, hue shifts over [-0.5, 0.5]
        (both ends included), so that hue + shift crosses 0 and 1
  gray  grayscale: 6 images 3x7x9, draws (6): out = rgb_to_grayscale(x, 3)
        where the draw is non-zero, else x
"""
import itertools
import os
import sys

import numpy as np
import torch
import torchvision.transforms.functional as TF
from torchvision.transforms import InterpolationMode

torch.set_num_threads(1)
torch.manual_seed(0)
out_dir = sys.argv[1]


def dump(name, t):
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    a.astype("<f4").tofile(os.path.join(out_dir, name + ".f32"))


# ---- resized crop
N, H, W = 8, 16, 12
x = torch.rand(N, 3, H, W)
boxes = [(0, 0, H, W), (0, 0, 5, 4), (H - 7, W - 3, 7, 3), (0, W - 6, H, 6),
         (3, 2, 1, 1), (H - 1, W - 1, 1, 1), (2, 0, 9, W), (4, 5, 10, 7)]
outs = []
for i, (t, l, h, w) in enumerate(boxes):
    outs.append(TF.resized_crop(x[i], t, l, h, w, [H, W], InterpolationMode.BILINEAR,
                                antialias=True))
dump("rc.x", x)
dump("rc.draw", np.array(boxes, dtype=np.float32))
dump("rc.out", torch.stack(outs))

# ---- colour jitter in all 24 orders
ADJUST = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue]
PERMS = list(itertools.permutations(range(4)))      # lexicographic: 0123, 0132, ...


def jitter(img, d):
    if d[0] == 0:
        return img.clone()
    for k in PERMS[int(d[1])]:
        img = ADJUST[k](img, float(d[2 + k]))
    return img


def jitter_case(name, x, draws):
    dump(name + ".x", x)
    dump(name + ".draw", draws)
    dump(name + ".out", torch.stack([jitter(x[i], draws[i]) for i in range(len(x))]))


N, H, W = 50, 12, 10
x = torch.randint(0, 256, (N, 3, H, W)).float()
kind = torch.randint(0, 8, (N, H, W))
x[:, 1][kind == 0] = x[:, 0][kind == 0]            # gray
x[:, 2][kind == 0] = x[:, 0][kind == 0]
x[:, 1][kind == 1] = x[:, 0][kind == 1]            # R and G tied
x[:, 0][kind == 2] = 0
x[:, 1][kind == 2] = 255
x[(kind == 3).unsqueeze(1).expand_as(x)] = 255     # white
x = x / 255
draws = np.zeros((N, 6), dtype=np.float32)
u = np.random.default_rng(1).random((N, 4)).astype(np.float32)
for i in range(N):
    draws[i, 0] = 0 if i % 11 == 5 else 1
    draws[i, 1] = i % 24
    draws[i, 2:5] = (0.2 + 1.6 * u[i, :3]).astype(np.float32)
    draws[i, 5] = np.float32(u[i, 3] - 0.5)
draws[7, 2] = 2.0                                   # brightness clamps at 1
draws[8, 3] = 0.0                                   # contrast 0: the mean
draws[9, 4] = 0.0                                   # saturation 0: gray
jitter_case("cj", x, draws)

N, H, W = 48, 8, 8
x = torch.rand(N, 3, H, W)
x[:, 2, :, :2] = x[:, 1, :, :2]                     # G and B tied
draws = np.zeros((N, 6), dtype=np.float32)
draws[:, 0] = 1
draws[:, 1] = np.arange(N) % 24
draws[:, 2:5] = 1
draws[:, 5] = np.linspace(-0.5, 0.5, N, dtype=np.float32)
jitter_case("hue", x, draws)

# ---- grayscale
N, H, W = 6, 7, 9
x = torch.rand(N, 3, H, W)
draws = np.array([1, 0, 1, 1, 0, 1], dtype=np.float32)
dump("gray.x", x)
dump("gray.draw", draws)
dump("gray.out", torch.stack([TF.rgb_to_grayscale(x[i], 3) if draws[i] else x[i]
                              for i in range(N)]))
