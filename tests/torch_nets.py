"""The CIFAR ResNet of lib/nn_model.h in PyTorch (1x1 conv + BN shortcuts,
parameters in module order), shared by tests/nn_torch_ref.py and
bench/nn_ref.py."""
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


class ResNet(torch.nn.Module):
    def __init__(self, cin, blocks, planes, stem, k):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(cin, stem, 3, 1, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(stem)
        layers, c = [], stem
        for s, (n, p) in enumerate(zip(blocks, planes)):
            for i in range(n):
                layers.append(Block(c, p, 2 if i == 0 and s > 0 else 1))
                c = p
        self.layers = torch.nn.Sequential(*layers)
        self.linear = torch.nn.Linear(c, k)

    def forward(self, x):
        out = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.linear(out.mean(dim=(2, 3)))
