#!/usr/bin/env python3
"""Recomputes nash's zero-cost proxies in PyTorch on the very networks nash built, to check
that nash's burn implementations compute the reference definitions (Abdelfattah et al., ICLR
2021, zero-cost-nas; NASWOT; GradSign). The formulas are written here from those papers'
definitions; GraSP uses PyTorch's exact double backward, nash a finite difference with frozen
ReLUs.

    NASH_PROXY_DUMP=/tmp/dump.json cargo test --workspace -p methods --lib proxy_dump -- --ignored
    python3 -m venv venv && venv/bin/pip install torch
    venv/bin/python harness/bench/pytorch_proxies.py /tmp/dump.json
"""
import copy
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from pytorch_nb201 import network

torch.set_default_dtype(torch.float32)


def build(spec, dump, prefix=""):
    net = network(spec["ops"], c=dump["channels"], n=dump["cells_per_stage"], classes=dump["classes"])
    layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    weights = spec[prefix + "weights"]
    assert len(layers) == len(weights), (len(layers), len(weights))
    with torch.no_grad():
        for layer, values in zip(layers, weights):
            assert layer.weight.numel() == len(values)
            w = torch.tensor(values)
            if isinstance(layer, nn.Linear):
                # burn stores a linear layer's weight as [inputs, outputs]
                w = w.view(layer.in_features, layer.out_features).t()
            layer.weight.copy_(w.reshape(layer.weight.shape))
        layers[-1].bias.copy_(torch.tensor(spec[prefix + "fc_bias"]))
    return net.train(), layers


def loss_of(net, x, y):
    return F.cross_entropy(net(x), y)


def grad(p):
    """A weight's gradient, zeros when it took no part (as zero-cost-nas does)."""
    return p.grad if p.grad is not None else torch.zeros_like(p)


def gradient_proxies(net, layers, x, y):
    net.zero_grad()
    loss_of(net, x, y).backward()
    w = [l.weight for l in layers]
    return {
        "snip": sum((p * grad(p)).abs().sum().item() for p in w),
        "grad_norm": sum(grad(p).norm().item() for p in w),
        "plain": sum((p * grad(p)).sum().item() for p in w),
        "l2_norm": sum(p.norm().item() for p in w),
    }


def grasp(net, layers, x, y):
    w = [l.weight for l in layers]
    g = torch.autograd.grad(loss_of(net, x, y), w, allow_unused=True)
    grad_f = torch.autograd.grad(loss_of(net, x, y), w, create_graph=True, allow_unused=True)
    z = sum((gi * fi).sum() for gi, fi in zip(g, grad_f) if gi is not None)
    hg = torch.autograd.grad(z, w, allow_unused=True)
    return sum((-p * h).sum().item() for p, h in zip(w, hg) if h is not None)


def fisher(net, layers, x, y):
    outputs = []

    def keep(_module, _inp, out):
        out.retain_grad()
        outputs.append(out)

    handles = [l.register_forward_hook(keep) for l in layers]
    net.zero_grad()
    loss_of(net, x, y).backward()
    for h in handles:
        h.remove()
    total = 0.0
    for layer, act in zip(layers, outputs):
        if act.grad is None:
            continue
        prod = act * act.grad
        g_nk = prod.sum([2, 3]) if prod.dim() == 4 else prod
        per_channel = layer.weight.numel() / layer.weight.shape[0]
        total += (0.5 * g_nk.pow(2).mean(0)).sum().item() * per_channel
    return total


def synflow(net):
    net = copy.deepcopy(net).double()
    for name, module in net.named_modules():
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.BatchNorm2d):
                setattr(module, child_name, nn.Identity())
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    net.zero_grad()
    out = net(torch.ones(1, 3, 32, 32, dtype=torch.float64))
    out.sum().backward()
    layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    return sum((l.weight * grad(l.weight)).abs().sum().item() for l in layers)


def input_jacobian(net, x):
    x = x.clone().requires_grad_(True)
    net.zero_grad()
    net(x).sum().backward()
    return x.grad.reshape(x.shape[0], -1).double()


def jacob_cov(net, x):
    jac = input_jacobian(net, x)
    v = torch.linalg.eigvalsh(torch.corrcoef(jac))
    k = 1e-5
    return -(torch.log(v + k) + 1.0 / (v + k)).sum().item()


def epe_nas(net, x, y, classes):
    """NASLib's per-class version (n_classes <= 100 here)."""
    assert classes <= 100
    jac = input_jacobian(net, x)
    k = 1e-5
    total = 0.0
    for c in sorted(set(y.tolist())):
        rows = jac[y == c]
        if rows.shape[0] == 1:
            s = math.log(1.0 + k)  # np.corrcoef of a single row is 1
        else:
            s = torch.log(torch.corrcoef(rows).abs() + k).sum().item()
        total += abs(s)
    return total


def zen(spec, dump):
    """NASLib's Zen-score: Gaussian weights and two Gaussian batches (both dumped by nash), BN
    in training mode with fresh running statistics, features before global average pooling."""
    net, _ = build(spec, dump, prefix="zen_")
    size = dump["size"]
    x = torch.tensor(spec["zen_x"], dtype=torch.float32).view(-1, 3, size, size)
    noise = torch.tensor(spec["zen_noise"], dtype=torch.float32).view_as(x)
    features = net[:-3]  # up to the last ReLU
    with torch.no_grad():
        delta = (features(x) - features(x + 0.01 * noise)).abs().sum().item() / x.shape[0]
    log_bn = sum(
        math.log(math.sqrt(m.running_var.double().mean().item()))
        for m in net.modules()
        if isinstance(m, nn.BatchNorm2d)
    )
    return math.log(delta) + log_bn


def nwot(net, x):
    n = x.shape[0]
    kernel = torch.zeros(n, n, dtype=torch.float64)

    def code(_module, inp):
        c = (inp[0].reshape(n, -1) > 0).double()
        kernel.add_(c @ c.t() + (1 - c) @ (1 - c).t())

    handles = [m.register_forward_pre_hook(code) for m in net.modules() if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        net(x)
    for h in handles:
        h.remove()
    return torch.linalg.slogdet(kernel)[1].item()


def gradsign(net, layers, x, y):
    total = None
    for i in range(x.shape[0]):
        net.zero_grad()
        loss_of(net, x[i : i + 1], y[i : i + 1]).backward()
        signs = torch.cat([torch.sign(grad(l.weight)).flatten() for l in layers])
        total = signs if total is None else total + signs
    return total.abs().sum().item()


def main(path):
    dump = json.load(open(path))
    size = dump["size"]
    x = torch.tensor(dump["images"], dtype=torch.float32).view(-1, 3, size, size)
    y = torch.tensor(dump["labels"])
    worst = {}
    for spec in dump["networks"]:
        net, layers = build(spec, dump)
        ref = gradient_proxies(net, layers, x, y)
        ref["grasp"] = grasp(net, layers, x, y)
        ref["fisher"] = fisher(net, layers, x, y)
        ref["synflow"] = synflow(net)
        ref["jacob_cov"] = jacob_cov(net, x)
        ref["nwot"] = nwot(net, x)
        ref["gradsign"] = gradsign(net, layers, x, y)
        ref["epe_nas"] = epe_nas(net, x, y, dump["classes"])
        ref["zen"] = zen(spec, dump)
        print(f"cell {spec['ops']}:")
        for name, mine in spec["scores"].items():
            theirs = ref[name]
            rel = abs(mine - theirs) / max(abs(theirs), 1e-300)
            worst[name] = max(worst.get(name, 0.0), rel)
            print(f"  {name:10s} nash {mine: .6e}  pytorch {theirs: .6e}  relative difference {rel:.1e}")
    print("largest relative difference per proxy:")
    for name, rel in worst.items():
        print(f"  {name:10s} {rel:.1e}")


if __name__ == "__main__":
    main(sys.argv[1])
