#!/usr/bin/env python3
"""n4_shrink.py - SimpleITK goldens for N4 with a shrink factor (test/image/test_n4.c,
image_n4_shrink_sitk): the way the study runs N4 (`sarc n4 --preset paper`).

Oracle: SimpleITK's N4BiasFieldCorrectionImageFilter given sitk.Shrink(image, [s]*3) and
sitk.Shrink(mask, [s]*3), the log-bias read back on the full-resolution grid with
GetLogBiasFieldAsImage(full image), as SimpleITK's N4 example does. Input: a 50 x 46 x 21 leg-like
volume (header spacing 0.25 x 0.25 x 0.5 mm; muscle, fat rim, tumour, air) times a known smooth bias, from the integer
hash of image_basic_inputs.py (recomputed by the test); the sizes leave remainders for shrink 3 and 4,
which exercises ITK's centred sampling. Cases:
  paper4  the study's settings: shrink 4, 3 x 100 iterations, threshold 0.005, FWHM 0.3, Wiener
          0.01, 200 bins, 4 control points, order 3
  s3      shrink 3, 3 x 50 iterations, threshold 0 (every iteration runs), FWHM 0.15
  first1  no shrink, 3 x 20 iterations, threshold 0, FWHM 0.15, with the first body voxel in ITK's
          scan order (x fastest) made the darkest (30 instead of ~100): ITK's histogram range then
          leaves it out of the minimum (see image/n4.c)
Stored per case: the full-grid log-bias at i % 4 == 0, j % 4 == 0, k % 3 == 0 (x fastest).
Run: /work/oracle-venv/bin/python test/oracles/n4_shrink.py > test/golden/image/n4_shrink.txt
"""
import os, sys
import numpy as np
import SimpleITK as sitk

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from image_basic_inputs import hash01  # noqa: E402

nx, ny, nz = 50, 46, 21
sp = (0.25, 0.25, 0.5)  # binary-exact: ITK picks shrink samples by rounding physical points (see the test)
k, j, i = np.indices((nz, ny, nx)).astype(float)
u = hash01(nx * ny * nz, 33).reshape(nz, ny, nx)
x = (i - 24.5) * 0.2; y = (j - 22.5) * 0.2; z = (k - 10.0) * 0.6  # anatomy in "index mm"
r2 = (x / 4.6) ** 2 + (y / 4.1) ** 2
body = r2 < 1.0
fat = body & (r2 > 0.7)
tum = ((x - 1.2) ** 2 + (y + 0.4) ** 2 + (z / 1.8) ** 2) < 1.7 ** 2
t = np.where(body, np.where(fat, 170.0, np.where(tum, 140.0, 100.0)), 3.0) + 8.0 * (u - 0.5)
lb = 0.4 * (i / nx - 0.5) - 0.3 * (k / nz - 0.5) + 0.2 * np.sin(j / 11.0)
obs = (t * np.exp(lb)).astype(np.float32)

im = sitk.GetImageFromArray(obs); im.SetSpacing(sp)
mk = sitk.GetImageFromArray(body.astype(np.uint8)); mk.SetSpacing(sp)
print("# oracle: test/oracles/n4_shrink.py; SimpleITK %s, numpy %s" % (sitk.Version_VersionString(), np.__version__))
print("# command: /work/oracle-venv/bin/python test/oracles/n4_shrink.py > test/golden/image/n4_shrink.txt")
for name, s, iters, conv, fwhm in (("paper4", 4, [100] * 3, 0.005, 0.3), ("s3", 3, [50] * 3, 0.0, 0.15)):
    f = sitk.N4BiasFieldCorrectionImageFilter()
    f.SetMaximumNumberOfIterations(iters)
    f.SetConvergenceThreshold(conv)
    f.SetBiasFieldFullWidthAtHalfMaximum(fwhm)
    f.SetWienerFilterNoise(0.01)
    f.SetNumberOfHistogramBins(200)
    f.SetNumberOfControlPoints([4, 4, 4])
    f.SetSplineOrder(3)
    f.Execute(sitk.Shrink(im, [s] * 3), sitk.Shrink(mk, [s] * 3))
    got = sitk.GetArrayFromImage(f.GetLogBiasFieldAsImage(im))
    sub = got[::3, ::4, ::4].ravel()
    print("%s_logbias %d" % (name, sub.size))
    print(" ".join("%.7g" % v for v in sub))
    print("%s_r_true 1" % name)
    print("%.9g" % np.corrcoef(got[body], lb[body])[0, 1])
# first1: the first body voxel (x fastest, then y, z) the darkest
kf, jf, if_ = np.argwhere(body)[0]
obs1 = obs.copy()
obs1[kf, jf, if_] = np.float32(30.0 * np.exp(lb[kf, jf, if_]))
im1 = sitk.GetImageFromArray(obs1); im1.SetSpacing(sp)
f = sitk.N4BiasFieldCorrectionImageFilter()
f.SetMaximumNumberOfIterations([20] * 3)
f.SetConvergenceThreshold(0.0)
f.Execute(im1, mk)
got = sitk.GetArrayFromImage(f.GetLogBiasFieldAsImage(im1))
sub = got[::3, ::4, ::4].ravel()
print("first1_logbias %d" % sub.size)
print(" ".join("%.7g" % v for v in sub))
print("first1_r_true 1")
print("%.9g" % np.corrcoef(got[body], lb[body])[0, 1])
