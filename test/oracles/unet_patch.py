#!/usr/bin/env python3
"""Oracle for nn/patch.c (issue 6): the paper's patch starts, np.linspace(0, size - P, n, dtype=int)
with n = int(size * oversample / (P - 2)) + 1, for several sizes. Writes test/golden/unet/patch_starts.txt:
one line per case `size patch oversample n_formula k s0 s1 ...` (k distinct starts, in order).
Run: /work/oracle-venv/bin/python test/oracles/unet_patch.py > test/golden/unet/patch_starts.txt"""
import numpy as np

cases = [(280, 142, 1.0), (60, 18, 1.0), (280, 62, 1.0), (60, 22, 1.0), (150, 142, 1.0), (147, 142, 1.0),
         (21, 18, 1.0), (142, 142, 1.0), (18, 18, 1.0), (100, 142, 1.0), (513, 46, 1.0), (280, 142, 1.5),
         (60, 18, 2.0), (77, 30, 0.5), (1000, 18, 1.0), (143, 142, 1.0), (31, 26, 1.25)]
print(f"# oracle: test/oracles/unet_patch.py, numpy {np.__version__}; "
      "command: /work/oracle-venv/bin/python test/oracles/unet_patch.py")
for size, p, os_ in cases:
    s = max(size, p)
    n = int(s * os_ / (p - 2)) + 1
    starts = np.linspace(0, s - p, n, dtype=int)
    uniq = []
    for v in starts.tolist():
        if not uniq or uniq[-1] != v:
            uniq.append(v)
    print(size, p, os_, n, len(uniq), *uniq)
