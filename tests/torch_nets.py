"""The networks of lib/nn_model.h in PyTorch (parameters in module order):
the CIFAR ResNet (1x1 conv + BN shortcuts) and the MLP, each with the
optional head of several layers (BACKBONE+mlp:V1,...), shared by
tests/nn_torch_ref.py and bench/nn_ref.py."""
import numpy as np
import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False),
                                          nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


def head(f, widths, k):
    """The head F -> V1 -> ... -> K, ReLU between: one Linear without widths."""
    if not widths:
        return torch.nn.Linear(f, k)
    layers = []
    for w in widths:
        layers += [torch.nn.Linear(f, w), torch.nn.ReLU()]
        f = w
    return torch.nn.Sequential(*layers, torch.nn.Linear(f, k))


class MLP(torch.nn.Module):
    """mlp:W1,...[+mlp:V1,...] on flattened inputs of d features."""

    def __init__(self, d, widths, k, head_widths=()):
        super().__init__()
        layers = []
        for w in widths:
            layers += [torch.nn.Linear(d, w), torch.nn.ReLU()]
            d = w
        self.backbone = torch.nn.Sequential(*layers)
        self.head = head(d, head_widths, k)

    def features(self, x):
        return self.backbone(x.flatten(1))

    def forward(self, x):
        return self.head(self.features(x))


class ResNet(torch.nn.Module):
    def __init__(self, cin, blocks, planes, stem, k, head_widths=()):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(cin, stem, 3, 1, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(stem)
        layers, c = [], stem
        for s, (n, p) in enumerate(zip(blocks, planes)):
            for i in range(n):
                layers.append(Block(c, p, 2 if i == 0 and s > 0 else 1))
                c = p
        self.layers = torch.nn.Sequential(*layers)
        self.linear = head(c, head_widths, k)

    def features(self, x):
        out = self.layers(F.relu(self.bn1(self.conv1(x))))
        return out.mean(dim=(2, 3))

    def forward(self, x):
        return self.linear(self.features(x))


def from_arch(arch, c, h, w, k):
    """The network named arch (nn_model.h's grammar, with an optional
    head +mlp:V1,...) for inputs (c, h, w) and k outputs."""
    arch, _, hd = arch.partition("+mlp:")
    hw = [int(v) for v in hd.split(",")] if hd else []
    if arch.startswith("mlp:"):
        return MLP(c * h * w, [int(v) for v in arch[4:].split(",")], k, hw)
    if arch == "linear":
        return MLP(c * h * w, [], k)
    d = int(arch[6:])
    if d in (18, 34):
        blocks = [2, 2, 2, 2] if d == 18 else [3, 4, 6, 3]
        return ResNet(c, blocks, [64, 128, 256, 512], 64, k, hw)
    n = (d - 2) // 6
    return ResNet(c, [n] * 3, [16, 32, 64], 16, k, hw)


def load_flat(model, params, bufs=None):
    """Parameters (P) in module order and BN running statistics (per BN:
    mean then var) into model: the layout of an imb model frame."""
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(torch.tensor(np.array(params), dtype=torch.float32),
                                            model.parameters())
        if bufs is not None:
            at = 0
            for b in model.buffers():
                if b.dtype == torch.float32:
                    b.copy_(torch.tensor(np.array(bufs[at:at + b.numel()])).view_as(b))
                    at += b.numel()
