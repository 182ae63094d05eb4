#!/usr/bin/env python3
"""Oracle for nn/unet.c (issue 6): PyTorch CPU forward pass of a tiny instance of the paper's U-Net (skip and
no-skip) with weights and input from a fixed integer formula, in the documented conventions (N, C, D, H, W;
Conv3d weights (Cout, Cin, 3, 3, 3); ConvTranspose3d weights (Cin, Cout, 3, 3, 3), stride 1, padding 0;
skip concatenation = [encoder, upsampled decoder]). Writes test/golden/unet/forward.txt: per variant the
sum of the logits and the logits at 64 fixed positions. Run:
  /work/oracle-venv/bin/python test/oracles/unet_forward.py > test/golden/unet/forward.txt"""
import numpy as np, torch
import torch.nn.functional as F

CIN, FS, PATCH = 2, (2, 3, 4), (18, 18, 22)

def val(i, salt):  # the same float32 values as test/nn/test_unet.c computes
    return np.float32((((i * 7919 + salt * 104729) % 2001) - 1000) / 4000.0)

def layer_dims(skip):
    f1, f2, f3 = FS
    return [("conv1", 0, CIN, f1), ("conv2", 0, f1, f2), ("conv3", 0, f2, f3), ("dconv1", 1, f3, f3),
            ("dconv2", 1, f2 + f3 if skip else f3, f2), ("dconv3", 1, f1 + f2 if skip else f2, f1), ("out", 0, f1, 1)]

def params(skip):
    p = {}
    for l, (name, tr, ci, co) in enumerate(layer_dims(skip)):
        shape = (ci, co, 3, 3, 3) if tr else (co, ci, 3, 3, 3)
        n = int(np.prod(shape))
        w = np.array([val(i, 2 * l + 1) for i in range(n)], np.float32).reshape(shape)
        b = np.array([val(i, 2 * l + 2) * 0.25 for i in range(co)], np.float32)
        p[name] = (torch.from_numpy(w), torch.from_numpy(b))
    return p

def forward(x, p, skip):
    r = F.relu
    c1 = r(F.conv3d(x, *p["conv1"]))
    c2 = r(F.conv3d(F.max_pool3d(c1, 2), *p["conv2"]))
    c3 = r(F.conv3d(F.max_pool3d(c2, 2), *p["conv3"]))
    d1 = F.interpolate(r(F.conv_transpose3d(c3, *p["dconv1"])), scale_factor=2, mode="nearest")
    if skip: d1 = torch.cat([c2, d1], 1)
    d2 = F.interpolate(r(F.conv_transpose3d(d1, *p["dconv2"])), scale_factor=2, mode="nearest")
    if skip: d2 = torch.cat([c1, d2], 1)
    d3 = r(F.conv_transpose3d(d2, *p["dconv3"]))
    return F.conv3d(d3, *p["out"])  # logits

n = CIN * int(np.prod(PATCH))
x = torch.from_numpy(np.array([val(i, 99) * 4 for i in range(n)], np.float32).reshape(1, CIN, *PATCH))
print(f"# oracle: test/oracles/unet_forward.py, torch {torch.__version__}, numpy {np.__version__}; "
      "command: /work/oracle-venv/bin/python test/oracles/unet_forward.py")
with torch.no_grad():
    for skip in (1, 0):
        o = forward(x.double(), {k: (w.double(), b.double()) for k, (w, b) in params(skip).items()}, skip)[0, 0].numpy()
        idx = [(i * 37) % o.size for i in range(64)]
        print("skip", skip, "sum", repr(float(o.sum())), "values", *[repr(float(o.flat[i])) for i in idx])
