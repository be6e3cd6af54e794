#!/usr/bin/env python3
"""The NB201 network's forward+backward (batch 64, 3x32x32, cross-entropy) in PyTorch, for
the comparison with nash's burn network in docs/performance.md. The network is written here from the
NB201 paper's definition (the same one nash builds), not taken from NB201's code.

    python3 -m venv venv && venv/bin/pip install torch && venv/bin/python pytorch_nb201.py
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]


class ReLUConvBN(nn.Sequential):
    def __init__(self, cin, cout, k, stride):
        super().__init__(nn.ReLU(), nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout))


class Cell(nn.Module):
    def __init__(self, ops, c):
        super().__init__()
        self.ops = ops
        self.edges = nn.ModuleList()
        for op in ops:
            if op == 2:
                self.edges.append(ReLUConvBN(c, c, 1, 1))
            elif op == 3:
                self.edges.append(ReLUConvBN(c, c, 3, 1))
            else:
                self.edges.append(nn.Identity())

    def forward(self, x):
        nodes = [x]
        for node in (1, 2, 3):
            total = torch.zeros_like(x)
            for e, (to, frm) in enumerate(EDGES):
                if to != node or self.ops[e] == 0:
                    continue
                inp = nodes[frm]
                if self.ops[e] == 4:
                    total = total + F.avg_pool2d(inp, 3, 1, 1, count_include_pad=False)
                else:
                    total = total + self.edges[e](inp)
            nodes.append(total)
        return nodes[3]


class Reduction(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.a = ReLUConvBN(cin, cout, 3, 2)
        self.b = ReLUConvBN(cout, cout, 3, 1)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x):
        return self.b(self.a(x)) + self.shortcut(x)


def network(ops, c=16, n=5, classes=10):
    layers = [nn.Conv2d(3, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c)]
    for stage in range(3):
        width = c << stage
        if stage:
            layers.append(Reduction(width // 2, width))
        layers += [Cell(ops, width) for _ in range(n)]
    layers += [nn.BatchNorm2d(4 * c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * c, classes)]
    return nn.Sequential(*layers)


def time_fwd_bwd(ops, threads, repeats=5):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = network(ops).train()
    x = torch.randn(64, 3, 32, 32)
    y = torch.randint(0, 10, (64,))
    F.cross_entropy(net(x), y).backward()  # warm-up
    times = []
    for _ in range(repeats):
        net.zero_grad()
        t = time.perf_counter()
        F.cross_entropy(net(x), y).backward()
        times.append(time.perf_counter() - t)
    return min(times)


if __name__ == "__main__":
    params = sum(p.numel() for p in network([3] * 6).parameters())
    print(f"torch {torch.__version__}; all-conv3x3 cell network: {params} parameters")
    for ops in ([3, 3, 3, 3, 3, 3], [1, 2, 3, 4, 2, 3]):
        for threads in (1, 2):
            print(f"{ops} threads={threads}: {time_fwd_bwd(ops, threads):.3f} s", flush=True)
    sys.exit(0)
