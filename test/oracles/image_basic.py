#!/usr/bin/env python3
"""image_basic.py - goldens for test/image/test_morph.c, test_components.c, test_resample.c.

Oracles: scipy.ndimage (distance_transform_edt with sampling, label, binary_fill_holes),
skimage.filters.threshold_otsu, SimpleITK.Resample (nearest, linear, sitkBSpline).
Inputs are made from an integer hash that the C tests recompute bit for bit (hash01 in
image_basic_inputs.py and img_hash01 in test/image/image_testutil.h), so no input array is stored.
Run (scikit-image via pip install --target /tmp/image-pylib scikit-image lazy_loader):
  PYTHONPATH=/tmp/image-pylib /work/oracle-venv/bin/python test/oracles/image_basic.py > test/golden/image/basic.txt
Output: '# ...' header lines, then sections 'name count' followed by the count values on one line
(space-separated numbers, or one token of 0/1 characters for a mask).
"""
import os
import sys
import numpy as np
import scipy, scipy.ndimage as ndi
import skimage, skimage.filters
import SimpleITK as sitk

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from image_basic_inputs import hash01  # noqa: E402  (the hash img_hash01 recomputes in C)


def vol(shape_xyz, seed):
    nx, ny, nz = shape_xyz
    return hash01(nx * ny * nz, seed).reshape(nz, ny, nx)  # C order = x fastest


def out(name, arr, fmt="%.17g"):
    a = np.asarray(arr).ravel()
    print(name, a.size)
    print(" ".join(fmt % v for v in a))


def bits(name, mask):
    a = np.asarray(mask).ravel().astype(np.uint8)
    print(name, a.size)
    print("".join("%d" % v for v in a))


print("# oracle: test/oracles/image_basic.py; numpy %s, scipy %s, scikit-image %s, SimpleITK %s" %
      (np.__version__, scipy.__version__, skimage.__version__, sitk.Version_VersionString()))
print("# command: PYTHONPATH=/tmp/image-pylib /work/oracle-venv/bin/python test/oracles/image_basic.py > test/golden/image/basic.txt")

# --- EDT: 13 x 11 x 7, spacing (0.7, 1.1, 2.3), sparse features
sp = (0.7, 1.1, 2.3)
feat = vol((13, 11, 7), 11) < 0.04
d = ndi.distance_transform_edt(~feat, sampling=sp[::-1])
out("edt_sq", d ** 2, "%.15g")

# --- morphology: 30 x 28 x 12, spacing (0.3, 0.3, 0.9): a blob plus speckle, radius 1.0 mm
spm = (0.3, 0.3, 0.9)
g = np.indices((12, 28, 30)).astype(float)
r = np.sqrt(((g[2] - 14) * 0.3) ** 2 + ((g[1] - 13) * 0.3) ** 2 + ((g[0] - 6) * 0.9) ** 2)
m = (r < 2.6) | (vol((30, 28, 12), 12) < 0.03)
m[5, 3:9, 20:27] = False  # a notch
R = 1.0
dil = ndi.distance_transform_edt(~m, sampling=spm[::-1]) <= R
ero = ndi.distance_transform_edt(m, sampling=spm[::-1]) > R
opn = ndi.distance_transform_edt(~ero, sampling=spm[::-1]) <= R
cls = ndi.distance_transform_edt(dil, sampling=spm[::-1]) > R
bits("morph_in", m)
bits("morph_dilate", dil)
bits("morph_erode", ero)
bits("morph_open", opn)
bits("morph_close", cls)

# --- labelling: 20 x 18 x 9 random mask p = 0.3
lm = vol((20, 18, 9), 13) < 0.3
bits("label_in", lm)
for conn, rank in ((6, 1), (18, 2), (26, 3)):
    lab, n = ndi.label(lm, structure=ndi.generate_binary_structure(3, rank))
    out("label_%d" % conn, lab, "%d")

# --- hole filling: shells with holes
hm = np.zeros((10, 16, 16), bool)
hm[2:8, 3:13, 3:13] = True
hm[3:7, 5:11, 5:11] = False          # enclosed cavity
hm[4, 0:4, 7] = False                # a dent open to the border, not reaching the cavity
hm |= vol((16, 16, 10), 14) < 0.05
bits("fill_in", hm)
bits("fill_out", ndi.binary_fill_holes(hm))

# --- Otsu (256 bins): bimodal values and a skewed one
a1 = np.where(hash01(5000, 15) < 0.3, 20 + 10 * hash01(5000, 16), 70 + 25 * hash01(5000, 17))
a2 = hash01(777, 18) ** 3 * 1000 - 5
print("otsu 2")
print("%.17g" % skimage.filters.threshold_otsu(a1, nbins=256))
print("%.17g" % skimage.filters.threshold_otsu(a2, nbins=256))

# --- resampling: 9 x 8 x 6 float32, spacing (0.8, 0.9, 2.0), origin (1.5, -2.0, 3.0) -> (0.5, 0.6, 1.3)
nx, ny, nz = 9, 8, 6
gi = np.indices((nz, ny, nx)).astype(float)
img = (100 + 30 * np.sin(gi[2] / 2.0) * np.cos(gi[1] / 3.0) + 10 * gi[0] + 20 * vol((nx, ny, nz), 19)).astype(np.float32)
out("resample_in", img, "%.9g")
im = sitk.GetImageFromArray(img)
im.SetSpacing((0.8, 0.9, 2.0))
im.SetOrigin((1.5, -2.0, 3.0))
newsp = (0.5, 0.6, 1.3)
size = [int(np.floor(s * o / n + 0.5)) for s, o, n in zip((nx, ny, nz), (0.8, 0.9, 2.0), newsp)]
for name, mode in (("nearest", sitk.sitkNearestNeighbor), ("linear", sitk.sitkLinear), ("bspline", sitk.sitkBSpline)):
    res = sitk.Resample(im, size, sitk.Transform(), mode, im.GetOrigin(), newsp, im.GetDirection(), 0.0, sitk.sitkFloat64)
    out("resample_%s" % name, sitk.GetArrayFromImage(res), "%.12g")
