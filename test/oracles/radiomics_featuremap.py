#!/usr/bin/env python3
"""Goldens of the voxel-based feature maps WITH their geometry, for test/radiomics/test_featuremap.c:
PyRadiomics' voxel-based extraction (featureextractor.execute(..., voxelBased=True)) writes each map
on the image cropped to the ROI's box padded by kernelRadius (after resampling when
resampledPixelSpacing is set), with that crop's origin, spacing and direction. Inputs are small
phantoms with a non-trivial origin and direction, written into the golden, so the test needs no
Python and no file readers. Oracle: PyRadiomics (version printed into each file) + SimpleITK.

Run from the repository root with the oracle venv:
    /work/oracle-venv/bin/python test/oracles/radiomics_featuremap.py
Golden format (test/golden/radiomics/featuremap_<case>.txt): '#' provenance lines, 'dims NX NY NZ',
'spacing SX SY SZ', 'origin OX OY OZ', 'direction D00 D01 ... D22' (SimpleITK's row-major direction
matrix), 'type int16', 'image v...' and 'mask v...' (x fastest), 'setting NAME VALUE', 'class NAME',
then 'map_dims', 'map_spacing', 'map_origin', 'map_direction' (of every map, all equal), 'roi N'
(ROI voxels on the map grid = voxels that are not initValue by construction), and
'failed NAME' for each map PyRadiomics could not compute (it logged FAILED and left initValue on
every voxel; no values are written for it), and 'voxel NAME INDEX VALUE' lines with INDEX on the
map grid (x fastest)."""
import logging, os, re
import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import featureextractor

logging.getLogger("radiomics").setLevel(logging.ERROR)
DST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "radiomics")


def phantom(seed, nx, ny, nz, centre, radii, sp):
    rs = np.random.RandomState(seed)
    z, y, x = np.mgrid[0:nz, 0:ny, 0:nx]
    r2 = (((x - centre[0]) * sp[0] / radii[0]) ** 2 + ((y - centre[1]) * sp[1] / radii[1]) ** 2 +
          ((z - centre[2]) * sp[2] / radii[2]) ** 2)
    mask = (r2 <= 1.0).astype(np.uint8)
    img = 300 + 120 * np.exp(-r2) + rs.normal(0, 40, size=mask.shape) + 15 * np.sin(x * 0.9)
    return np.round(img).astype(np.int16), mask


def flow(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(flow(x) for x in v) + "]"
    return str(v)


class Failures(logging.Handler):
    """Collects PyRadiomics' 'FAILED' errors: a feature whose computation raised keeps initValue on
    every voxel of the batch (base.py _calculateVoxels), so its map is no reference value."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.names = []

    def emit(self, record):
        msg = record.getMessage()
        if "FAILED" in msg:
            m = re.findall(r"get(\w+)FeatureValue", msg)
            cls = record.name.split(".")[-1]
            if m:
                self.names.append(f"original_{cls}_{m[-1]}")


def write(name, img, mask, sp, origin, direction, settings, classes, desc, per_map=8):
    im = sitk.GetImageFromArray(img)
    mk = sitk.GetImageFromArray(mask)
    for o in (im, mk):
        o.SetSpacing(sp)
        o.SetOrigin(origin)
        o.SetDirection(direction)
    lines = [f"# oracle: PyRadiomics {radiomics.__version__} voxel-based extraction + SimpleITK {sitk.Version.VersionString()}, case {name}: {desc}",
             "# made by test/oracles/radiomics_featuremap.py (/work/oracle-venv/bin/python test/oracles/radiomics_featuremap.py)",
             f"dims {img.shape[2]} {img.shape[1]} {img.shape[0]}", "spacing %r %r %r" % tuple(sp),
             "origin %r %r %r" % tuple(origin), "direction " + " ".join(repr(float(d)) for d in direction),
             "type int16",
             "image " + " ".join(str(int(v)) for v in img.ravel()),
             "mask " + " ".join(str(int(v)) for v in mask.ravel())]
    for k, v in settings.items():
        lines.append(f"setting {k} {flow(v)}")
    for c in classes:
        lines.append(f"class {c}")
    ext = featureextractor.RadiomicsFeatureExtractor(**settings)
    ext.disableAllFeatures()
    for c in classes:
        ext.enableFeatureClassByName(c)
    fails = Failures()
    logging.getLogger("radiomics").addHandler(fails)
    res = ext.execute(im, mk, voxelBased=True)
    logging.getLogger("radiomics").removeHandler(fails)
    maps = [(k, v) for k, v in res.items() if not k.startswith("diagnostics")]
    g = maps[0][1]
    for k, v in maps:
        assert v.GetSize() == g.GetSize() and v.GetOrigin() == g.GetOrigin() and v.GetSpacing() == g.GetSpacing()
    lines.append("map_dims %d %d %d" % g.GetSize())
    lines.append("map_spacing %r %r %r" % tuple(g.GetSpacing()))
    lines.append("map_origin %r %r %r" % tuple(g.GetOrigin()))
    lines.append("map_direction " + " ".join(repr(float(d)) for d in g.GetDirection()))
    # the ROI on the map grid: PyRadiomics' (resampled) mask cropped the same way; voxels where
    # every map differs from initValue are ROI voxels (used for sampling only)
    init = settings.get("initValue", 0)
    arrs = [(k, sitk.GetArrayFromImage(v)) for k, v in maps]
    nx, ny = g.GetSize()[0], g.GetSize()[1]
    mean = [a for k, a in arrs if k.endswith("firstorder_Mean")]
    roi = np.argwhere(mean[0] != init) if mean else np.argwhere(arrs[0][1] != init)
    lines.append(f"roi {len(roi)}")
    for k in sorted(set(fails.names)):
        lines.append(f"failed {k}")
    rs = np.random.RandomState(7)
    for k, a in arrs:
        if k in fails.names:
            continue
        # per_map None: every ROI voxel
        pick = roi if per_map is None else roi[rs.choice(len(roi), size=min(per_map, len(roi)), replace=False)]
        # plus one voxel outside the ROI (initValue) when the grid has one
        out = np.argwhere(mean[0] == init) if mean else np.zeros((0, 3), int)
        if len(out):
            pick = np.vstack([pick, out[:1]])
        for (kz, jy, ix) in pick:
            lines.append(f"voxel {k} {int(ix + nx * (jy + ny * kz))} {float(a[kz, jy, ix])!r}")
    path = os.path.join(DST, f"featuremap_{name}.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(path, len(maps), "maps", g.GetSize(), "roi", len(roi))


FLIP = (1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0)
SP = (0.1, 0.1, 0.3)
ORIGIN = (-3.2, 12.5, 40.0)
TEX = ["firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"]

# (1) the default grid: an ellipsoid away from the borders in x and y, touching z = 0
img, mask = phantom(11, 16, 14, 7, (7.0, 6.5, 1.0), (0.45, 0.4, 0.95), SP)
write("crop", img, mask, SP, ORIGIN, FLIP, {"kernelRadius": 1, "binWidth": 25}, TEX,
      "maps on the ROI box +- kernelRadius, clipped at z = 0; flipped y direction, non-zero origin")
# (2) resampledPixelSpacing (B-spline, padDistance 5) then the crop +- kernelRadius
img, mask = phantom(12, 18, 16, 8, (8.5, 7.0, 3.5), (0.5, 0.45, 0.9), SP)
write("resampled", img, mask, SP, ORIGIN, FLIP,
      {"kernelRadius": 1, "binWidth": 25, "resampledPixelSpacing": [0.15, 0.15, 0.3]}, ["firstorder", "glcm"],
      "resampledPixelSpacing [0.15, 0.15, 0.3] (sitkBSpline), kernelRadius 1")
# (3) kernelRadius 2 with a mask at the x border and initValue -1
img, mask = phantom(13, 12, 12, 6, (1.0, 5.5, 2.5), (0.4, 0.4, 0.7), SP)
write("border_r2", img, mask, SP, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0),
      {"kernelRadius": 2, "binWidth": 20, "initValue": -1}, ["firstorder", "glcm", "ngtdm"],
      "kernelRadius 2, mask touching x = 0, initValue -1")
# (4) preCrop with padDistance 1 < kernelRadius 2, maskedKernel false: the pre-cropped image
# bounds both the map grid and the unmasked kernels
img, mask = phantom(14, 16, 15, 9, (7.5, 7.0, 4.0), (0.35, 0.35, 0.7), SP)
write("precrop", img, mask, SP, ORIGIN, FLIP,
      {"kernelRadius": 2, "binWidth": 25, "preCrop": True, "padDistance": 1, "maskedKernel": False},
      ["firstorder", "glcm"], "preCrop, padDistance 1, kernelRadius 2, maskedKernel false")
# (5) a ragged ROI (about half the voxels of an ellipsoid, at random) and a two-level image: kernels
# with one ROI voxel (every GLCM / GLRLM feature NaN), two voxels (RobustMeanAbsoluteDeviation NaN:
# nothing lies in [P10, P90]), directions empty for some voxels but not for all (PyRadiomics' voxel
# mode marks them NaN: the features average the others with nanmean, JointAverage takes a plain
# mean and is NaN; MCC's eigvals raises on the NaN, so PyRadiomics leaves the whole MCC map at
# initValue: a 'failed' line), and one-level kernels. Every ROI voxel is written.
rs = np.random.RandomState(21)
z, y, x = np.mgrid[0:5, 0:11, 0:12]
ell = ((x - 5.5) / 5.0) ** 2 + ((y - 5.0) / 4.5) ** 2 + ((z - 2.0) / 2.2) ** 2 <= 1.0
mask = (ell & (rs.uniform(size=ell.shape) < 0.5)).astype(np.uint8)
img = np.round(300 + 100 * (x >= 6) + rs.normal(0, 9, size=ell.shape)).astype(np.int16)
write("ragged", img, mask, SP, ORIGIN, FLIP, {"kernelRadius": 1, "binWidth": 25}, TEX,
      "ragged ROI (random half of an ellipsoid), two-level image: one- and two-voxel kernels, partly empty directions",
      per_map=None)
# (6) a box ROI (every voxel's kernel has pairs in all 13 directions, so PyRadiomics computes MCC)
# on a piecewise-constant image with noise in one corner: kernels of one grey level in an ROI of
# several (voxel mode keeps the ROI's levels: MCC 0 there, not the one-level ROI's 1). Every ROI
# voxel is written.
z, y, x = np.mgrid[0:6, 0:11, 0:12]
mask = ((x >= 2) & (x <= 6) & (y >= 2) & (y <= 5) & (z >= 1) & (z <= 3)).astype(np.uint8)
img = 300 + 60 * (x >= 4) + np.where((x >= 5) & (y >= 4), rs.normal(0, 30, size=x.shape), 0)
write("flat_kernels", np.round(img).astype(np.int16), mask, SP, ORIGIN, FLIP, {"kernelRadius": 1, "binWidth": 25}, TEX,
      "box ROI on a piecewise-constant image: one-level kernels in a multi-level ROI", per_map=None)
# (7) the ragged ROI with weightingNorm (PyRadiomics merges the directions into one weighted
# matrix: nothing is dropped, a kernel without pairs is NaN) and (8) kernelRadius 2 with
# distances [1, 2] on a sparser ragged ROI: every ROI voxel is written.
rs = np.random.RandomState(23)
z, y, x = np.mgrid[0:5, 0:10, 0:10]
ell = ((x - 4.5) / 4.5) ** 2 + ((y - 4.5) / 4.2) ** 2 + ((z - 2.0) / 2.2) ** 2 <= 1.0
mask = (ell & (rs.uniform(size=ell.shape) < 0.45)).astype(np.uint8)
img = np.round(300 + 100 * (x >= 5) + rs.normal(0, 9, size=ell.shape)).astype(np.int16)
write("ragged_weighted", img, mask, SP, ORIGIN, FLIP, {"kernelRadius": 1, "binWidth": 25, "weightingNorm": "euclidean"},
      ["glcm", "glrlm"], "ragged ROI, weightingNorm euclidean", per_map=None)
write("ragged_r2", img, mask, SP, ORIGIN, FLIP, {"kernelRadius": 2, "binWidth": 25, "distances": [1, 2]},
      ["firstorder", "glcm", "glrlm", "gldm"], "ragged ROI, kernelRadius 2, distances [1, 2]", per_map=None)
