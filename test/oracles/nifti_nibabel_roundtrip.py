#!/usr/bin/env /work/oracle-venv/bin/python
"""Oracle for NIfTI writing: sarc converts each reference file of ../shared/data/nifti/ to .nii
(keeping the type, and a few --type conversions), nibabel reads the outputs back, and this script
checks that nibabel sees the source's shape, affine (1e-4 mm; the affine is stored as float32),
zooms and data (exact for kept types, within scl_slope/2 for integer conversions). The facts and
the SHA-256 of each output file go to test/golden/nifti/nibabel_roundtrip.txt; test_nifti.c
rewrites the same files and requires the same bytes, so what nibabel read is what sarc writes.
Run from the repository root after building:  /work/oracle-venv/bin/python \
    test/oracles/nifti_nibabel_roundtrip.py build-foundation/sarc
"""
import hashlib
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np

sarc = sys.argv[1] if len(sys.argv) > 1 else "./sarc"
base = os.environ.get("SARC_SHARED", "../shared") + "/data"
cases = [
    ("nifti/301_ASL_MultiPhase_classic.nii", "keep"), ("nifti/301_ASL_MultiPhase_classic.nii", "int16"),
    ("nifti/EPI_asc_CLEAR_201.nii", "keep"), ("nifti/anatomical.nii", "keep"), ("nifti/anatomical.nii", "uint8"),
    ("nifti/example4d.nii.gz", "keep"), ("nifti/example_nifti2.nii.gz", "keep"), ("nifti/minimal.nii.gz", "keep"),
    ("nifti/ras.hdr", "keep"), ("nifti/someones_anatomy.nii.gz", "keep"), ("nifti/someones_anatomy.nii.gz", "float32"),
    ("nifti/standard.nii.gz", "keep"),
]
lines = ["# oracle: nibabel %s, numpy %s; command: /work/oracle-venv/bin/python test/oracles/nifti_nibabel_roundtrip.py SARC"
         % (nib.__version__, np.__version__),
         "# out SOURCE TYPE SHA256_OF_NII | nibabel: dtype shape max|affine diff| max|data diff| bound"]
tmp = tempfile.mkdtemp()
bad = 0
for rel, typ in cases:
    src = os.path.join(base, rel)
    out = os.path.join(tmp, "out.nii")
    cmd = [sarc, "convert", src, out, "--audit", "none", "-q"] + ([] if typ == "keep" else ["--type", typ])
    subprocess.run(cmd, check=True)
    a = nib.load(src)
    b = nib.load(out)
    da = np.asarray(a.get_fdata(), dtype=np.float64)
    db = np.asarray(b.get_fdata(), dtype=np.float64)
    aff = float(np.max(np.abs(a.affine - b.affine)))
    if db.shape != da.shape:
        # sarc drops trailing singleton dims beyond 3
        db = db.reshape(da.shape)
    diff = float(np.max(np.abs(da - db)))
    slope = getattr(b.dataobj, "slope", 1.0)  # nibabel moves scl_slope to the array proxy
    bound = 0.0 if typ in ("keep", "float32") else 0.5 * float(slope or 1.0) * 1.0001
    if typ == "float32":
        bound = float(np.max(np.abs(da))) * 2 ** -24
    ok = aff < 1e-4 and diff <= bound and np.allclose(a.header.get_zooms()[:3], b.header.get_zooms()[:3], rtol=1e-6)
    if not ok:
        bad += 1
        print("MISMATCH", rel, typ, aff, diff, bound, file=sys.stderr)
    h = hashlib.sha256(open(out, "rb").read()).hexdigest()
    lines.append("out %s %s %s | %s %s %.3g %.3g %.3g" % (rel, typ, h, b.get_data_dtype(), "x".join(map(str, db.shape)), aff, diff, bound))
open("test/golden/nifti/nibabel_roundtrip.txt", "w").write("\n".join(lines) + "\n")
print("%d cases, %d mismatches" % (len(cases), bad))
sys.exit(1 if bad else 0)
