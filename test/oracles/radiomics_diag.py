#!/usr/bin/env python3
"""Golden for sarc's additionalInfo diagnostics (radiomics/diagnostics.c): runs PyRadiomics 3.0.1
(featureextractor, additionalInfo true, firstorder only) on brain1 of ../shared/data/pyradiomics
(default, normalize, resampledPixelSpacing [2,2,2]) and on a small synthetic int16 case (origin
(1,2,3) LPS, spacing 0.5 x 0.6 x 2.0, two components; plain and resampled to 1 mm) that
test/radiomics/test_diag.c rebuilds in C, and writes test/golden/radiomics/diagnostics.txt.

Run from the repository root:  /work/oracle-venv/bin/python test/oracles/radiomics_diag.py
Format: '#' comments, then per case 'case NAME', 'image PATH|synthetic', 'mask PATH|synthetic',
'setting NAME VALUE' (sarc --setting syntax), 'diag KEY VALUE' (VALUE as PyRadiomics' CSV writer
prints it, numpy scalars as plain numbers). Versions_* and Configuration_* entries are left out
(sarc writes its own version and settings)."""
import logging, os, tempfile
import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import featureextractor

radiomics.setVerbosity(logging.ERROR)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = "data/pyradiomics"
DST = os.path.join(ROOT, "test", "golden", "radiomics", "diagnostics.txt")


def synthetic(tmp):
    a = np.arange(6 * 7 * 8, dtype=np.int16).reshape(6, 7, 8) * 3 + 7
    img = sitk.GetImageFromArray(a)
    img.SetSpacing((0.5, 0.6, 2.0))
    img.SetOrigin((1, 2, 3))
    m = np.zeros((6, 7, 8), np.uint8)
    m[1:3, 1:4, 2:5] = 1
    m[3, 4, 5] = 1
    m[5, 6, 7] = 1
    msk = sitk.GetImageFromArray(m)
    msk.CopyInformation(img)
    ip, mp = os.path.join(tmp, "img.nii.gz"), os.path.join(tmp, "msk.nii.gz")
    sitk.WriteImage(img, ip)
    sitk.WriteImage(msk, mp)
    return ip, mp


def fmt(v):
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(fmt(x) for x in v) + ")"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return repr(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


def main():
    tmp = tempfile.mkdtemp()
    sip, smp = synthetic(tmp)
    b_img = os.path.join(ROOT, "..", "shared", DATA, "brain1_image.nrrd")
    b_msk = os.path.join(ROOT, "..", "shared", DATA, "brain1_label.nrrd")
    cases = [
        ("brain1", DATA + "/brain1_image.nrrd", DATA + "/brain1_label.nrrd", b_img, b_msk, {}),
        ("brain1_normalize", DATA + "/brain1_image.nrrd", DATA + "/brain1_label.nrrd", b_img, b_msk,
         {"normalize": True, "normalizeScale": 100}),
        ("brain1_resampled", DATA + "/brain1_image.nrrd", DATA + "/brain1_label.nrrd", b_img, b_msk,
         {"resampledPixelSpacing": [2, 2, 2]}),
        ("synthetic", "synthetic", "synthetic", sip, smp, {}),
        ("synthetic_resampled", "synthetic", "synthetic", sip, smp, {"resampledPixelSpacing": [1, 1, 1]}),
    ]
    out = ["# oracle: PyRadiomics %s (featureextractor, additionalInfo true, firstorder), SimpleITK %s, numpy %s"
           % (radiomics.__version__, sitk.Version.VersionString(), np.__version__),
           "# command: /work/oracle-venv/bin/python test/oracles/radiomics_diag.py"]
    for name, ilabel, mlabel, ip, mp, settings in cases:
        ext = featureextractor.RadiomicsFeatureExtractor(additionalInfo=True, **settings)
        ext.disableAllFeatures()
        ext.enableFeatureClassByName("firstorder")
        res = ext.execute(ip, mp)
        out.append("case " + name)
        out.append("image " + ilabel)
        out.append("mask " + mlabel)
        for k, v in settings.items():
            vs = ("[" + ",".join(str(x) for x in v) + "]") if isinstance(v, list) else (
                "true" if v is True else str(v))
            out.append("setting %s %s" % (k, vs))
        for k, v in res.items():
            if not k.startswith("diagnostics_") or "Versions" in k or "Configuration" in k:
                continue
            out.append("diag %s %s" % (k, fmt(v)))
    with open(DST, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
