#!/usr/bin/env /work/oracle-venv/bin/python
"""Writes the seed corpus of test/fuzz/fuzz_nifti.c into test/fuzz/corpus/nifti/ with nibabel (an
independent writer): tiny NIfTI-1 files (uint8, int16 big-endian, float32 with scaling, 4-D,
oblique qform only), a NIfTI-2 file, a gzipped one, and a few malformed variants (truncated header,
bad magic, dims beyond the data, unknown datatype). Run from the repository root:
    /work/oracle-venv/bin/python test/oracles/nifti_make_corpus.py
"""
import gzip
import io
import os

import nibabel as nib
import numpy as np

OUT = "test/fuzz/corpus/nifti"
os.makedirs(OUT, exist_ok=True)


def nii_bytes(img):
    bio = io.BytesIO()
    fm = img.make_file_map({"image": bio, "header": bio})
    img.to_file_map(fm)
    return bio.getvalue()


aff = np.diag([0.5, 0.25, 1.0, 1.0])
aff[:3, 3] = [1, -2, 3]
files = {}
files["u8.nii"] = nii_bytes(nib.Nifti1Image(np.arange(24, dtype=np.uint8).reshape(2, 3, 4), aff))
h = nib.Nifti1Header()
h.set_data_dtype(np.int16)
be = nib.Nifti1Image((np.arange(30, dtype=np.int16) - 7).reshape(5, 3, 2), aff, h.as_byteswapped(">"))
files["i16_be.nii"] = nii_bytes(be)
f = nib.Nifti1Image(np.linspace(-1, 1, 27, dtype=np.float32).reshape(3, 3, 3), aff)
f.header.set_slope_inter(2.0, 5.0)
files["f32_scaled.nii"] = nii_bytes(f)
files["4d.nii"] = nii_bytes(nib.Nifti1Image(np.arange(48, dtype=np.uint16).reshape(2, 2, 3, 4), aff))
q = nib.Nifti1Image(np.ones((2, 2, 2), dtype=np.float64), None)
rot = np.array([[0, -1, 0, 4], [1, 0, 0, 5], [0, 0, 1, 6], [0, 0, 0, 1]], dtype=float)
q.set_qform(rot, code=1)
q.set_sform(None, code=0)
files["qform_only.nii"] = nii_bytes(q)
files["nifti2.nii"] = nii_bytes(nib.Nifti2Image(np.arange(12, dtype=np.int32).reshape(3, 2, 2), aff))
files["u8.nii.gz"] = gzip.compress(files["u8.nii"], mtime=0)
files["trunc_header.nii"] = files["u8.nii"][:200]
files["bad_magic.nii"] = files["u8.nii"][:344] + b"xx1\0" + files["u8.nii"][348:]
d = bytearray(files["u8.nii"])
d[42:44] = (300).to_bytes(2, "little")
files["dims_beyond_data.nii"] = bytes(d)
d = bytearray(files["u8.nii"])
d[70:72] = (3).to_bytes(2, "little")
files["unknown_dtype.nii"] = bytes(d)
for name, b in files.items():
    open(os.path.join(OUT, name), "wb").write(b)
open(os.path.join(OUT, "README"), "w").write(
    "# seed corpus of test/fuzz/fuzz_nifti.c; made by nibabel %s with test/oracles/nifti_make_corpus.py;\n"
    "# crash reproducers found by `make fuzz` are added here as crash-*\n" % nib.__version__)
print(len(files), "files")
