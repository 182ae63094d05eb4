#!/usr/bin/env python3
"""image_n4.py - SimpleITK N4 goldens for test/image/test_n4.c.

Oracle: SimpleITK's N4BiasFieldCorrectionImageFilter (defaults: 4 levels x 50 iterations,
convergence 0.001, FWHM 0.15, Wiener 0.01, 200 bins, 4 control points, order 3), given the same
mask as sarc. Cases:
  phantom  48 x 44 x 20 phantom-like leg (muscle, fat, tumour, air) times a known smooth bias;
           inputs from the integer hash of image_basic.py, recomputed by the test.
  sts032   the real T1 MRI ../shared/data/sts/STS_032 (already N4-corrected by the IBSI) as is,
           mask = Otsu foreground (skimage, 256 bins = sarc's default mask), 3 levels x 20 its.
  sts032b  the same image times a known smooth bias, same mask and settings.
Stored: log-bias values on the subgrid i % 4 == 0, j % 4 == 0, k % 2 == 0 (phantom) or
i % 8 == 0, j % 8 == 0, k % 6 == 0 (sts032, sts032b), x fastest, and
coefficients of variation inside homogeneous muscle (phantom) before and after correction.
Run (scikit-image via pip install --target /tmp/image-pylib scikit-image lazy_loader):
  PYTHONPATH=/tmp/image-pylib /work/oracle-venv/bin/python test/oracles/image_n4.py > test/golden/image/n4.txt
"""
import os, sys
import numpy as np
import SimpleITK as sitk
import nibabel as nib
import skimage, skimage.filters

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from image_basic_inputs import hash01  # noqa: E402


def phantom():
    nx, ny, nz = 48, 44, 20
    sp = (0.2, 0.2, 0.6)
    k, j, i = np.indices((nz, ny, nx)).astype(float)
    u = hash01(nx * ny * nz, 21).reshape(nz, ny, nx)
    x = (i - 23.5) * sp[0]; y = (j - 21.5) * sp[1]; z = (k - 9.5) * sp[2]
    body = (x / 4.4) ** 2 + (y / 3.9) ** 2 < 1.0
    fat = body & ((x / 4.4) ** 2 + (y / 3.9) ** 2 > 0.72)
    tumour = ((x - 1.0) ** 2 + (y + 0.5) ** 2 + (z / 1.5) ** 2) < 1.6 ** 2
    tissue = np.where(body, np.where(fat, 160.0, np.where(tumour, 130.0, 100.0)), 3.0)
    tissue = tissue + 8.0 * (u - 0.5)
    bias = np.exp(0.35 * (i / nx - 0.5) - 0.25 * (k / nz - 0.5) + 0.15 * np.sin(j / 9.0))
    obs = (tissue * bias).astype(np.float32)
    muscle = body & ~fat & ~tumour
    return obs, body, bias, muscle, sp


def run_n4(arr, mask, sp, iters=None):
    im = sitk.GetImageFromArray(arr); im.SetSpacing(sp)
    mk = sitk.GetImageFromArray(mask.astype(np.uint8)); mk.SetSpacing(sp)
    f = sitk.N4BiasFieldCorrectionImageFilter()
    if iters:
        f.SetMaximumNumberOfIterations(iters)
    cor = f.Execute(im, mk)
    lb = sitk.GetArrayFromImage(f.GetLogBiasFieldAsImage(im))
    return sitk.GetArrayFromImage(cor), lb


def out(name, a, fmt="%.7g"):
    a = np.asarray(a).ravel()
    print(name, a.size)
    print(" ".join(fmt % v for v in a))


def cv(a):
    return a.std(ddof=1) / a.mean()


print("# oracle: test/oracles/image_n4.py; SimpleITK %s, numpy %s, scikit-image %s" %
      (sitk.Version_VersionString(), np.__version__, skimage.__version__))
print("# command: PYTHONPATH=/tmp/image-pylib /work/oracle-venv/bin/python test/oracles/image_n4.py > test/golden/image/n4.txt")
obs, body, bias, muscle, sp = phantom()
cor, lb = run_n4(obs, body, sp)
out("phantom_logbias", lb[::2, ::4, ::4])
print("phantom_cv 2")
print("%.9g %.9g" % (cv(obs[muscle]), cv(cor[muscle])))
print("phantom_r_true 1")
print("%.9g" % np.corrcoef(lb[body], np.log(bias)[body])[0, 1])

p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data/sts/STS_032/MR_T1_image.nii.gz")
img = np.asarray(nib.load(p).dataobj).astype(np.float32)        # (x, y, z)
arr = np.ascontiguousarray(img.transpose(2, 1, 0))               # (z, y, x) for SimpleITK
zooms = tuple(float(z) for z in nib.load(p).header.get_zooms()[:3])
thr = skimage.filters.threshold_otsu(img.astype(np.float64), nbins=256)
mask = arr > thr
print("sts032_otsu 1")
print("%.17g" % thr)
_, lb = run_n4(arr, mask, zooms, [20, 20, 20])
out("sts032_logbias", lb[::6, ::8, ::8])
nz, ny, nx = arr.shape
k, j, i = np.indices(arr.shape).astype(float)
tb = 0.3 * (i / nx - 0.5) + 0.2 * np.cos(3.0 * j / ny) - 0.25 * (k / nz - 0.5)
arrb = (arr * np.exp(tb)).astype(np.float32)
_, lb = run_n4(arrb, mask, zooms, [20, 20, 20])
out("sts032b_logbias", lb[::6, ::8, ::8])
print("sts032b_r_true 1")
print("%.9g" % np.corrcoef(lb[mask], tb[mask])[0, 1])
