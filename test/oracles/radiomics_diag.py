#!/usr/bin/env python3
"""Golden for sarc's additionalInfo diagnostics (radiomics/diagnostics.c): runs PyRadiomics 3.0.1
(featureextractor, additionalInfo true, firstorder only) on brain1 of ../shared/data/pyradiomics
and on small synthetic int16 cases that test/radiomics/test_diag.c rebuilds in C, and writes
test/golden/radiomics/diagnostics.txt.

Configurations: plain, normalize, resampledPixelSpacing, resegmentRange (absolute, sigma, after
normalising, after resampling, after preCrop), correctMask with a mask on a shifted grid and on a
finer grid, and with preCrop (where PyRadiomics corrects silently); resampling with a mask on
another grid (PyRadiomics resamples onto a grid built from the mask, without a geometry check;
with the image's spacing already, the mask is resampled onto the image's grid).
Synthetic image: int16 arange*3+7 (z, y, x) 6 x 7 x 8, spacing 0.5 x 0.6 x 2.0, origin (1, 2, 3)
LPS. Masks (uint8):
  "synthetic":       same grid; m[1:3,1:4,2:5] = 1, m[3,4,5] = 1, m[5,6,7] = 1
  "synthetic_shift": same size and spacing, origin (1.2, 1.88, 3.6); m[1:3,1:4,2:5] = 1, m[3,4,5] = 1
  "synthetic_fine":  12 x 14 x 16, spacing 0.25 x 0.3 x 1.0, origin (0.9, 1.88, 2.6);
                     m[2:7,2:9,4:11] = 1, m[8,12,14] = 1, m[0,0,0] = 2

Run from the repository root:  /work/oracle-venv/bin/python test/oracles/radiomics_diag.py
Format: '#' comments, then per case 'case NAME', 'image PATH|synthetic', 'mask PATH|MASKNAME',
'setting NAME VALUE' (sarc --setting syntax, in the order given to PyRadiomics), 'diag KEY VALUE'
(VALUE as PyRadiomics' CSV writer prints it, numpy scalars as plain numbers), in PyRadiomics'
order, then 'feat KEY VALUE' (the 18 firstorder features). Versions_* entries are left out (sarc
writes its own version)."""
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
    paths = {"synthetic": os.path.join(tmp, "img.nii.gz")}
    sitk.WriteImage(img, paths["synthetic"])

    def put(name, m, spacing, origin):
        msk = sitk.GetImageFromArray(m)
        msk.SetSpacing(spacing)
        msk.SetOrigin(origin)
        paths[name] = os.path.join(tmp, name + ".nii.gz")
        sitk.WriteImage(msk, paths[name])

    m = np.zeros((6, 7, 8), np.uint8)
    m[1:3, 1:4, 2:5] = 1
    m[3, 4, 5] = 1
    m[5, 6, 7] = 1
    put("synthetic_mask", m.copy(), (0.5, 0.6, 2.0), (1, 2, 3))
    m[5, 6, 7] = 0
    put("synthetic_shift", m, (0.5, 0.6, 2.0), (1.2, 1.88, 3.6))
    f = np.zeros((12, 14, 16), np.uint8)
    f[2:7, 2:9, 4:11] = 1
    f[8, 12, 14] = 1
    f[0, 0, 0] = 2
    put("synthetic_fine", f, (0.25, 0.3, 1.0), (0.9, 1.88, 2.6))
    return paths


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
    sp = synthetic(tmp)
    b_img = os.path.join(ROOT, "..", "shared", DATA, "brain1_image.nrrd")
    b_msk = os.path.join(ROOT, "..", "shared", DATA, "brain1_label.nrrd")
    BI, BM = DATA + "/brain1_image.nrrd", DATA + "/brain1_label.nrrd"
    cases = [
        ("brain1", BI, BM, {}),
        ("brain1_normalize", BI, BM, {"normalize": True, "normalizeScale": 100}),
        ("brain1_resampled", BI, BM, {"resampledPixelSpacing": [2, 2, 2]}),
        ("brain1_resegmented", BI, BM, {"resegmentRange": [500, 1000]}),
        ("brain1_resampled_resegmented", BI, BM, {"resampledPixelSpacing": [2, 2, 2], "resegmentRange": [600, 1500]}),
        ("brain1_normalize_resegmented", BI, BM, {"normalize": True, "normalizeScale": 100, "resegmentRange": [-100, 200]}),
        ("brain1_precrop_resegmented", BI, BM, {"preCrop": True, "resegmentRange": [500, 1000]}),
        ("synthetic", "synthetic", "synthetic_mask", {}),
        ("synthetic_resampled", "synthetic", "synthetic_mask", {"resampledPixelSpacing": [1, 1, 1]}),
        ("synthetic_sigma", "synthetic", "synthetic_mask", {"resegmentRange": [-1, 1.5], "resegmentMode": "sigma"}),
        ("synthetic_corrected", "synthetic", "synthetic_shift", {"correctMask": True}),
        ("synthetic_corrected_fine", "synthetic", "synthetic_fine",
         {"normalize": True, "resegmentRange": [-1, 1], "correctMask": True}),
        ("synthetic_precrop_corrected", "synthetic", "synthetic_shift",
         {"preCrop": True, "padDistance": 1, "resegmentRange": [100, 800], "correctMask": True}),
        ("synthetic_shift_resampled", "synthetic", "synthetic_shift", {"resampledPixelSpacing": [1, 1, 1]}),
        ("synthetic_fine_resampled", "synthetic", "synthetic_fine",
         {"resampledPixelSpacing": [0.7, 0.7, 1.5], "interpolator": "sitkLinear", "correctMask": True}),
        ("synthetic_shift_same_spacing", "synthetic", "synthetic_shift",
         {"resampledPixelSpacing": [0.5, 0.6, 2], "resegmentRange": [100, 800]}),
    ]
    out = ["# oracle: PyRadiomics %s (featureextractor, additionalInfo true, firstorder), SimpleITK %s, numpy %s"
           % (radiomics.__version__, sitk.Version.VersionString(), np.__version__),
           "# command: /work/oracle-venv/bin/python test/oracles/radiomics_diag.py"]
    for name, ilabel, mlabel, settings in cases:
        ip = b_img if ilabel == BI else sp[ilabel]
        mp = b_msk if mlabel == BM else sp[mlabel]
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
            if k.startswith("diagnostics_") and "Versions" not in k:
                out.append("diag %s %s" % (k, fmt(v)))
        for k, v in res.items():
            if k.startswith("original_"):
                out.append("feat %s %s" % (k, repr(float(v))))
    with open(DST, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
