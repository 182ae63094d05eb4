#!/usr/bin/env /work/oracle-venv/bin/python
"""Small NIfTI files of every datatype sarc reads, written by nibabel (the oracle), with nibabel's
reading of them (scaled float64 values) in test/golden/nifti/dtypes.txt. Covers int8, uint8, int16,
uint16, int32, uint32, int64, uint64, float32, float64, both byte orders, scl_slope/scl_inter,
a 2-D image, a 5-D image (dims 4..5 folded into frames), NIfTI-2 and a qform with qfac -1.
Run from the repository root:  /work/oracle-venv/bin/python test/oracles/nifti_dtypes_golden.py
Line format: "file NAME DTYPE D0 D1 D2 D3 MIN MAX MEAN V0 VLAST" then "affine a00 .. a23".
"""
import os

import nibabel as nib
import numpy as np

OUT = "test/golden/nifti"
lines = ["# oracle: nibabel %s, numpy %s; command: /work/oracle-venv/bin/python test/oracles/nifti_dtypes_golden.py"
         % (nib.__version__, np.__version__)]
aff = np.array([[0.0, -0.5, 0, 10], [0.75, 0, 0, -20], [0, 0, 1.25, 30], [0, 0, 0, 1]])
cases = []
for dt in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64, np.float32, np.float64):
    info = np.iinfo(dt) if np.issubdtype(dt, np.integer) else None
    n = 3 * 4 * 2
    if info is not None:
        vals = np.linspace(float(info.min) if info.min >= -2**52 else -2**52, min(float(info.max), 2**52), n)
        a = np.round(vals).astype(dt).reshape(3, 4, 2, order="F")
    else:
        a = (np.arange(n, dtype=np.float64) * 1.25e3 - 7.0).astype(dt).reshape(3, 4, 2, order="F")
    cases.append(("dt_%s.nii" % np.dtype(dt).name, nib.Nifti1Image(a, aff, dtype=dt), "<"))
# big-endian int16 with scaling
h = nib.Nifti1Header()
h.set_data_dtype(np.int16)
img = nib.Nifti1Image((np.arange(24, dtype=np.int16) - 12).reshape(2, 3, 4), aff, h.as_byteswapped(">"))
img.header.set_slope_inter(0.5, -3.0)
cases.append(("be_scaled.nii", img, ">"))
cases.append(("two_d.nii", nib.Nifti1Image(np.arange(12, dtype=np.uint8).reshape(4, 3), np.eye(4)), "<"))
cases.append(("five_d.nii", nib.Nifti1Image(np.arange(2 * 2 * 2 * 1 * 3, dtype=np.float32).reshape(2, 2, 2, 1, 3), aff), "<"))
cases.append(("nifti2_f64.nii", nib.Nifti2Image(np.linspace(-1, 1, 30).reshape(5, 3, 2), aff), "<"))
q = nib.Nifti1Image(np.arange(8, dtype=np.uint8).reshape(2, 2, 2), None)
flip = np.diag([2.0, 3.0, -4.0, 1.0])
flip[:3, 3] = [1, 2, 3]
q.set_qform(flip, code=1)
q.set_sform(None, code=0)
cases.append(("qfac_neg.nii", q, "<"))
for name, img, _ in cases:
    path = os.path.join(OUT, name)
    nib.save(img, path)
    back = nib.load(path)
    d = np.asarray(back.get_fdata(dtype=np.float64))
    shape = list(d.shape) + [1] * (3 - d.ndim)
    frames = int(np.prod(shape[3:])) if len(shape) > 3 else 1
    flat = d.reshape(-1, order="F")
    lines.append("file %s %s %d %d %d %d %r %r %r %r %r" % (name, back.get_data_dtype().name, shape[0], shape[1], shape[2], frames,
                                                          float(flat.min()), float(flat.max()), float(flat.mean()), float(flat[0]), float(flat[-1])))
    A = back.affine
    lines.append("affine %s" % " ".join(repr(float(A[r][c])) for r in range(3) for c in range(4)))
open(os.path.join(OUT, "dtypes.txt"), "w").write("\n".join(lines) + "\n")
print(len(cases), "files")
