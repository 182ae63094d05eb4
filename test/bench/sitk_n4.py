#!/usr/bin/env python3
"""sitk_n4.py - the SimpleITK peer of test/bench/n4.c: the same 280 x 280 x 60 volume (from the
integer hash of test/oracles/image_basic_inputs.py), the same mask and N4 settings (SimpleITK's
defaults), the given thread count. Prints 'sitk_seconds S' (wall), 'sitk_cpu_seconds C' (process CPU time, all threads) and
'sitk_r_true R'.
Usage: /work/oracle-venv/bin/python test/bench/sitk_n4.py THREADS [default|paper]
'paper' = the study's ANTs settings: shrink 4 (image and mask shrunk with sitk.Shrink), 3 x 100
iterations, threshold 0.005, FWHM 0.3, Wiener 0.01, 200 bins, 4 control points; the log-bias is
read back on the full-resolution grid, as the SimpleITK N4 example does."""
import os, sys, time
import numpy as np
import SimpleITK as sitk

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracles"))
from image_basic_inputs import hash01  # noqa: E402

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
paper = len(sys.argv) > 2 and sys.argv[2] == "paper"
nx, ny, nz = 280, 280, 60
k, j, i = np.indices((nz, ny, nx)).astype(float)
u = hash01(nx * ny * nz, 41).reshape(nz, ny, nx)
x = (i - 139.5) * 0.1; y = (j - 139.5) * 0.1; z = (k - 29.5) * 0.5
rb = (x / 12.0) ** 2 + (y / 11.0) ** 2
body = rb < 1.0
tum = ((x - 2.0) / 4.0) ** 2 + ((y + 1.0) / 3.5) ** 2 + (z / 8.0) ** 2 < 1.0
t = np.where(body, np.where(rb > 0.8, 160.0, np.where(tum, 130.0, 100.0)), 4.0) + 10.0 * (u - 0.5)
lb = 0.3 * (i / nx - 0.5) - 0.2 * (k / nz - 0.5) + 0.1 * np.sin(j / 60.0)
obs = (t * np.exp(lb)).astype(np.float32)
im = sitk.GetImageFromArray(obs); im.SetSpacing((0.1, 0.1, 0.5))
mk = sitk.GetImageFromArray(body.astype(np.uint8)); mk.SetSpacing((0.1, 0.1, 0.5))
f = sitk.N4BiasFieldCorrectionImageFilter()
f.SetNumberOfThreads(threads)
t0 = time.perf_counter()
c0 = time.process_time()
if paper:
    f.SetMaximumNumberOfIterations([100, 100, 100])
    f.SetConvergenceThreshold(0.005)
    f.SetBiasFieldFullWidthAtHalfMaximum(0.3)
    f.SetWienerFilterNoise(0.01)
    f.SetNumberOfHistogramBins(200)
    f.SetNumberOfControlPoints([4, 4, 4])
    f.SetSplineOrder(3)
    f.Execute(sitk.Shrink(im, [4, 4, 4]), sitk.Shrink(mk, [4, 4, 4]))
else:
    f.Execute(im, mk)
dt = time.perf_counter() - t0
dc = time.process_time() - c0
got = sitk.GetArrayFromImage(f.GetLogBiasFieldAsImage(im))
print("sitk_seconds %.3f" % dt)
print("sitk_cpu_seconds %.3f" % dc)
print("sitk_r_true %.5f" % np.corrcoef(got[body], lb[body])[0, 1])
