#!/usr/bin/env python3
"""torch_nn_golden.py - PyTorch CPU goldens for sarc's tensor engine (issue 4).

Writes two binary goldens into the folder given as argument (default test/golden/nn):
  ops.bin   every op's forward and backward on fixed small inputs: loss = sum(out * R)
  graph.bin a small U-Net-shaped graph (conv -> pool -> conv -> transposed conv -> upsample ->
            concat -> conv -> sigmoid -> BCE + soft Dice): loss and all parameter gradients at
            step 0, then the losses and parameters after 3 torch.optim.Adam steps.
Format (version 1): a text line "SARC-GOLDEN nn 1", a text line "# oracle: ...", then records
"T <name> <ndim> <d0> ... <dn-1>\n" followed by prod(d) little-endian float32 values, then "END\n".
Inputs are drawn from numpy's PCG64 with fixed seeds and stored in the golden.
Run: /work/oracle-venv/bin/python test/oracles/torch_nn_golden.py test/golden/nn
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
OUT = sys.argv[1] if len(sys.argv) > 1 else "test/golden/nn"
HEADER = ("# oracle: torch %s (CPU, float32), numpy %s; script test/oracles/torch_nn_golden.py; "
          "command: /work/oracle-venv/bin/python test/oracles/torch_nn_golden.py test/golden/nn"
          % (torch.__version__, np.__version__))


class Golden:
    def __init__(self):
        self.recs = []

    def put(self, name, t):
        a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        a = np.array(a, dtype="<f4", copy=True, order="C")  # copy now: tensors change later
        if a.ndim == 0:
            a = a.reshape(1)
        self.recs.append((name, a))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(b"SARC-GOLDEN nn 1\n")
            f.write((HEADER + "\n").encode())
            for name, a in self.recs:
                f.write(("T %s %d %s\n" % (name, a.ndim, " ".join(str(d) for d in a.shape))).encode())
                f.write(a.tobytes())
            f.write(b"END\n")


rng = np.random.default_rng(20261204)


def rand(shape, lo=-1.0, hi=1.0):
    return torch.tensor(rng.uniform(lo, hi, shape).astype(np.float32))


def distinct(shape):
    n = int(np.prod(shape))
    v = (np.arange(n) * 0.02 - 0.01 * n)
    rng.shuffle(v)
    return torch.tensor(v.reshape(shape).astype(np.float32))


def binary(shape):
    return torch.tensor((rng.uniform(0, 1, shape) < 0.4).astype(np.float32))


def soft_dice(p, y, eps):
    return 1 - (2 * (p * y).sum() + eps) / (p.sum() + y.sum() + eps)


def bce(x, y):
    return F.binary_cross_entropy_with_logits(x, y, reduction="mean")


def op_case(g, name, fn, inputs, grads):
    """inputs: list of tensors; grads: which get a gradient. Stores in<i>, out, R, d<i>."""
    ts = [t.clone().requires_grad_(bool(gr)) for t, gr in zip(inputs, grads)]
    out = fn(*ts)
    R = rand(out.shape)
    (out * R).sum().backward()
    for i, t in enumerate(ts):
        g.put("%s.in%d" % (name, i), t)
    g.put(name + ".R", R)
    g.put(name + ".out", out)
    for i, t in enumerate(ts):
        if grads[i]:
            g.put("%s.d%d" % (name, i), t.grad)


def ops_golden():
    g = Golden()
    op_case(g, "conv3d_valid", lambda x, w, b: F.conv3d(x, w, b),
            [rand((2, 3, 5, 6, 7)), rand((4, 3, 3, 3, 3), -0.3, 0.3), rand((4,))], [1, 1, 1])
    op_case(g, "conv3d_same", lambda x, w, b: F.conv3d(x, w, b, padding=1),
            [rand((1, 2, 4, 5, 3)), rand((5, 2, 3, 3, 3), -0.3, 0.3), rand((5,))], [1, 1, 1])
    op_case(g, "conv_transpose3d", lambda x, w, b: F.conv_transpose3d(x, w, b),
            [rand((2, 3, 3, 4, 2)), rand((3, 4, 3, 3, 3), -0.3, 0.3), rand((4,))], [1, 1, 1])
    op_case(g, "maxpool3d", lambda x: F.max_pool3d(x, 2), [distinct((2, 3, 5, 6, 7))], [1])
    op_case(g, "upsample2x", lambda x: F.interpolate(x, scale_factor=2, mode="nearest"),
            [rand((2, 3, 2, 3, 4))], [1])
    op_case(g, "concat", lambda a, b: torch.cat([a, b], 1),
            [rand((2, 2, 3, 3, 3)), rand((2, 3, 3, 3, 3))], [1, 1])
    op_case(g, "relu", F.relu, [rand((2, 3, 4, 4, 4))], [1])
    op_case(g, "sigmoid", torch.sigmoid, [rand((2, 3, 4, 4, 4), -6, 6)], [1])
    op_case(g, "add", torch.add, [rand((2, 3, 3, 3, 3)), rand((2, 3, 3, 3, 3))], [1, 1])
    op_case(g, "mul", torch.mul, [rand((2, 3, 3, 3, 3)), rand((2, 3, 3, 3, 3))], [1, 1])
    op_case(g, "scale", lambda x: x * -1.75, [rand((2, 3, 3, 3, 3))], [1])
    op_case(g, "sum", lambda x: x.sum().reshape(1), [rand((2, 3, 4, 4, 4))], [1])
    op_case(g, "mean", lambda x: x.mean().reshape(1), [rand((2, 3, 4, 4, 4))], [1])
    op_case(g, "bce_logits", lambda x, y: bce(x, y).reshape(1),
            [rand((2, 1, 4, 5, 6), -8, 8), binary((2, 1, 4, 5, 6))], [1, 0])
    op_case(g, "soft_dice", lambda p, y: soft_dice(p, y, 1e-6).reshape(1),
            [rand((2, 1, 4, 5, 6), 0.01, 0.99), binary((2, 1, 4, 5, 6))], [1, 0])
    g.write(os.path.join(OUT, "ops.bin"))


def graph_golden():
    """x (2,2,8,8,8) -> c1 = relu(conv same 2->4) -> pool -> c2 = relu(conv valid 4->6)
    -> t = relu(convT 6->4) -> up -> cat(c1, up) -> logits = conv same 8->1
    loss = bce(logits, y) + 0.5 * soft_dice(sigmoid(logits), y, 1e-6)"""
    g = Golden()
    shapes = [("w1", (4, 2, 3, 3, 3)), ("b1", (4,)), ("w2", (6, 4, 3, 3, 3)), ("b2", (6,)),
              ("w3", (6, 4, 3, 3, 3)), ("b3", (4,)), ("w4", (1, 8, 3, 3, 3)), ("b4", (1,))]
    params = {}
    for name, shp in shapes:
        fan = shp[1] * 27 if len(shp) == 5 else 10
        lim = (1.0 / fan) ** 0.5 * 1.5
        params[name] = rand(shp, -lim, lim).requires_grad_(True)
        g.put("init." + name, params[name])
    x = rand((2, 2, 8, 8, 8))
    y = binary((2, 1, 8, 8, 8))
    g.put("x", x)
    g.put("y", y)

    def forward():
        p = params
        c1 = F.relu(F.conv3d(x, p["w1"], p["b1"], padding=1))
        c2 = F.relu(F.conv3d(F.max_pool3d(c1, 2), p["w2"], p["b2"]))
        t = F.relu(F.conv_transpose3d(c2, p["w3"], p["b3"]))
        u = F.interpolate(t, scale_factor=2, mode="nearest")
        logits = F.conv3d(torch.cat([c1, u], 1), p["w4"], p["b4"], padding=1)
        return bce(logits, y) + 0.5 * soft_dice(torch.sigmoid(logits), y, 1e-6)

    opt = torch.optim.Adam(list(params.values()), lr=1e-2, betas=(0.9, 0.999), eps=1e-7)
    losses = []
    for step in range(3):
        opt.zero_grad()
        loss = forward()
        loss.backward()
        losses.append(loss.item())
        if step == 0:
            for name, _ in shapes:
                g.put("grad0." + name, params[name].grad)
        opt.step()
    with torch.no_grad():
        losses.append(forward().item())
    g.put("losses", torch.tensor(losses, dtype=torch.float32))
    for name, _ in shapes:
        g.put("step3." + name, params[name])
    g.write(os.path.join(OUT, "graph.bin"))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    ops_golden()
    graph_golden()
