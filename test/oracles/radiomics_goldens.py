#!/usr/bin/env python3
"""Extra PyRadiomics goldens for test/radiomics/test_features.c and test_featuremap.c: small
mouse-sized phantoms (0.1 x 0.1 x 0.3 mm voxels) with the inputs written into the golden, so the
test needs neither Python nor the readers. Oracle: PyRadiomics (version printed into each file).

Run from the repository root with the oracle venv:
    /work/oracle-venv/bin/python test/oracles/radiomics_goldens.py
Golden format (test/golden/radiomics/pr_<case>.txt): '#' provenance lines, 'dims NX NY NZ',
'spacing SX SY SZ', 'type int16|float64', 'image v...' and 'mask v...' (x fastest), 'setting NAME
VALUE' (YAML flow syntax), 'class NAME', then 'feature NAME VALUE' lines, or 'error TEXT' when
PyRadiomics refuses the case, or 'voxel NAME INDEX VALUE' for voxel-based maps."""
import logging, math, os, sys
import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import featureextractor

logging.getLogger("radiomics").setLevel(logging.ERROR)
DST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "radiomics")
SP = (0.1, 0.1, 0.3)


def phantom(seed, nx=14, ny=12, nz=8, flat=False):
    rs = np.random.RandomState(seed)
    z, y, x = np.mgrid[0:nz, 0:ny, 0:nx]
    cx, cy, cz = (nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2
    r2 = ((x - cx) * 0.1 / 0.55) ** 2 + ((y - cy) * 0.1 / 0.45) ** 2 + ((z - cz) * 0.3 / 0.9) ** 2
    mask = (r2 <= 1.0).astype(np.uint8)
    img = 300 + 120 * np.exp(-r2) + rs.normal(0, 40, size=mask.shape)
    img = np.round(img).astype(np.int16)
    if flat:
        img[mask > 0] = 500
    return img, mask


def flow(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(flow(x) for x in v) + "]"
    return str(v)


def write(name, img, mask, settings, classes, desc, voxel=False):
    lines = [f"# oracle: PyRadiomics {radiomics.__version__} (featureextractor, Original image type), case {name}: {desc}",
             "# made by test/oracles/radiomics_goldens.py (/work/oracle-venv/bin/python test/oracles/radiomics_goldens.py)",
             f"dims {img.shape[2]} {img.shape[1]} {img.shape[0]}", "spacing %r %r %r" % SP,
             "type " + ("int16" if img.dtype == np.int16 else "float64"),
             "image " + " ".join(str(int(v)) if img.dtype == np.int16 else repr(float(v)) for v in img.ravel()),
             "mask " + " ".join(str(int(v)) for v in mask.ravel())]
    for k, v in settings.items():
        lines.append(f"setting {k} {flow(v)}")
    for c in classes:
        lines.append(f"class {c}")
    ext = featureextractor.RadiomicsFeatureExtractor(**settings)
    ext.disableAllFeatures()
    for c in classes:
        ext.enableFeatureClassByName(c)
    im = sitk.GetImageFromArray(img)
    im.SetSpacing(SP)
    mk = sitk.GetImageFromArray(mask)
    mk.SetSpacing(SP)
    try:
        res = ext.execute(im, mk, voxelBased=voxel)
        n = 0
        for k, v in res.items():
            if k.startswith("diagnostics"):
                continue
            if voxel:
                arr = sitk.GetArrayFromImage(v)
                # the map is on the grid cropped to the ROI box + kernelRadius: locate it by origin
                off = np.round((np.array(v.GetOrigin()) - np.array(im.GetOrigin())) / np.array(SP)).astype(int)
                bb = np.argwhere(mask == settings.get("label", 1))
                bb = bb[::max(1, len(bb) // 10)]  # about 10 voxels per map keep the golden small
                for (kz, jy, ix) in bb:
                    val = float(arr[kz - off[2], jy - off[1], ix - off[0]])
                    lines.append(f"voxel {k} {int(ix + img.shape[2] * (jy + img.shape[1] * kz))} {val!r}")
            else:
                lines.append(f"feature {k} {float(v)!r}")
            n += 1
        print(name, n, "features")
    except Exception as ex:
        msg = str(ex).splitlines()[0] if str(ex) else ex.__class__.__name__
        lines.append("error " + msg)
        print(name, "error:", msg)
    with open(os.path.join(DST, f"pr_{name}.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


ALL = ["shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"]
TEX = ["firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"]
img, mask = phantom(1)
write("phantom", img, mask, {"binWidth": 25, "minimumROIDimensions": 1}, ALL,
      "ellipsoid tumour 1.1 x 0.9 x 1.8 mm on 0.1 x 0.1 x 0.3 mm voxels, defaults")
write("phantom_paper", img, mask, {"normalize": True, "normalizeScale": 100, "binWidth": 25,
      "resegmentRange": [-300, 300]}, TEX, "the --preset paper settings (z-score x 100, binWidth 25, +-3 sigma excluded)")
write("phantom_exotic", img, mask, {"binCount": 16, "weightingNorm": "euclidean", "distances": [1, 2], "gldm_a": 1,
      "symmetricalGLCM": False, "voxelArrayShift": 100}, TEX, "binCount 16, euclidean weighting, distances [1, 2], gldm_a 1, asymmetric GLCM")
write("phantom_sigma", img, mask, {"resegmentRange": [-1.5, 1.5], "resegmentMode": "sigma", "binWidth": 10,
      "removeOutliers": 2, "normalize": True, "normalizeScale": 50}, ALL, "removeOutliers clipping, sigma resegmentation (shape on the resegmented box)")
write("phantom_resampled", img, mask, {"resampledPixelSpacing": [0.15, 0.15, 0.15], "interpolator": "sitkBSpline",
      "padDistance": 2}, ALL, "B-spline resampling to 0.15 mm isotropic")
write("phantom_resampled_linear", img, mask, {"resampledPixelSpacing": [0.2, 0.2, 0.2], "interpolator": "sitkLinear",
      "padDistance": 1}, ["firstorder", "glcm"], "linear resampling to 0.2 mm isotropic")
flat, fmask = phantom(2, flat=True)
write("flat", flat, fmask, {"binWidth": 25}, ALL, "constant intensity inside the ROI")
one = np.zeros_like(mask)
one[3, 5, 6] = 1
write("onevoxel", img, one, {}, ALL, "a one-voxel mask (PyRadiomics refuses it)")
border = np.zeros_like(mask)
border[0:3, 0:5, 0:6] = 1
border[0, 0, 0] = 0
write("border", img, border, {"minimumROIDimensions": 1}, ALL, "a box ROI touching three image faces")
twod = np.zeros_like(mask)
twod[4] = mask[4]
write("force2d", img, twod, {"force2D": True, "force2Ddimension": 0}, ["shape2D"] + TEX, "one-slice ROI with force2D and shape2D")
write("force2d_3d", img, mask, {"force2D": True, "force2Ddimension": 0}, TEX, "3-D ROI with force2D (in-plane textures)")
line = np.zeros_like(mask)
line[4, 6, 2:10] = 1
write("line", img, line, {"minimumROIDimensions": 1}, ALL, "a 1-D ROI (8 voxels on a line)")
small, smask = phantom(3, nx=8, ny=7, nz=5)
write("voxel_r1", small, smask, {"kernelRadius": 1, "binWidth": 25}, TEX, "voxel-based maps, kernelRadius 1", voxel=True)
write("voxel_r2", small, smask, {"kernelRadius": 2, "binCount": 8, "force2D": True}, ["glrlm", "glszm", "gldm", "ngtdm"],
      "voxel-based maps, kernelRadius 2, binCount 8, force2D", voxel=True)
write("voxel_unmasked", small, smask, {"kernelRadius": 1, "maskedKernel": False, "binWidth": 20},
      ["firstorder", "glcm", "glszm", "ngtdm"], "voxel-based maps, maskedKernel false", voxel=True)
