#!/usr/bin/env python3
"""Derives test/golden/nifti/expected.txt from ../shared/data/EXPECTED.json (reference data made
by nibabel 5.0.0 and numpy, see its "generated_by"), keeping the NIfTI facts test_nifti.c checks,
in a line format C can read without a JSON parser. Run from the repository root:
    python3 test/oracles/nifti_expected_golden.py
Lines: "file PATH VERSION DTYPE" then "shape N d0 d1 ...", "zooms z0 z1 z2", "scale SLOPE INTER
APPLIED", "codes QFORM SFORM", "affine a00 .. a23" (best affine, 12 values), "qform ..." (when qform_code > 0), "stats MIN MAX MEAN
COUNT" (scaled), "voxel i j k t VALUE" (scaled), or "refuse REASON" for files sarc refuses; "end".
"""
import json
import os
import sys

src = os.environ.get("SARC_SHARED", "../shared") + "/data/EXPECTED.json"
d = json.load(open(src))
out = ["# from %s (generated_by: %s); command: python3 test/oracles/nifti_expected_golden.py"
       % ("../shared/data/EXPECTED.json", d["generated_by"])]
for key, e in sorted(d["datasets"].items()):
    if e["kind"] != "nifti":
        continue
    dtype = e["dtype"].lstrip("<>|=")
    dtype = {"i2": "int16", "u1": "uint8", "f4": "float32"}.get(dtype, dtype)
    out.append("file %s %d %s" % (e["path"], e["nifti_version"], dtype))
    if "complex" in e["dtype"]:
        out.append("refuse complex")
        out.append("end")
        continue
    out.append("shape %d %s" % (len(e["shape"]), " ".join(str(x) for x in e["shape"])))
    out.append("zooms %s" % " ".join(repr(float(z)) for z in e["zooms"][:3]))
    out.append("scale %r %r %d" % (e["scl_slope_raw"], e["scl_inter_raw"], 1 if e["scaling_applied"] else 0))
    out.append("codes %d %d" % (e["qform_code"], e["sform_code"]))
    a = e["nibabel_best_affine"]
    out.append("affine %s" % " ".join(repr(float(a[r][c])) for r in range(3) for c in range(4)))
    if e["qform_code"] > 0:
        q = e["qform_affine"]
        out.append("qform %s" % " ".join(repr(float(q[r][c])) for r in range(3) for c in range(4)))
    st = e["scaled_stats"]
    out.append("stats %r %r %r %d" % (st["min"], st["max"], st["mean"], st["count"]))
    for v in e["voxels"]:
        idx = list(v["index"]) + [0] * (4 - len(v["index"]))
        out.append("voxel %d %d %d %d %r" % (idx[0], idx[1], idx[2], idx[3], v["scaled"]))
    out.append("end")
open("test/golden/nifti/expected.txt", "w").write("\n".join(out) + "\n")
print("wrote test/golden/nifti/expected.txt", file=sys.stderr)
