#!/usr/bin/env python3
"""Peer of test/bench/radiomics.c: times PyRadiomics (C extensions on, single thread) on the same
case and settings, and prints its feature values so the benchmark can check them first.

Usage: pyradiomics_peer.py IMAGE MASK PARAMS.yaml REPEAT [voxel]
Prints 'feature NAME VALUE' lines (for voxel mode: 'voxelsum NAME SUM' over the ROI) and then
'time MEDIAN_S MIN_S' (CPU seconds, time.process_time)."""
import logging, os, sys, time
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import featureextractor

logging.getLogger("radiomics").setLevel(logging.ERROR)
sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
image, mask, params, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
voxel = len(sys.argv) > 5 and sys.argv[5] == "voxel"
radiomics.setVerbosity(logging.ERROR)
ext = featureextractor.RadiomicsFeatureExtractor(params)
img = sitk.ReadImage(image)
msk = sitk.ReadImage(mask)
times = []
res = None
for _ in range(repeat):
    # files are read once, outside the timing (sarc's side times rad_extract on read volumes too)
    t0 = time.process_time()
    res = ext.execute(img, msk, voxelBased=voxel)
    times.append(time.process_time() - t0)
m = sitk.GetArrayFromImage(sitk.ReadImage(mask)) != 0
for k, v in res.items():
    if k.startswith("diagnostics"):
        continue
    if voxel:
        a = sitk.GetArrayFromImage(v)
        print(f"voxelsum {k} {float(np.nansum(a))!r}")
    else:
        print(f"feature {k} {float(v)!r}")
times.sort()
print(f"time {times[len(times) // 2]!r} {times[0]!r}")
