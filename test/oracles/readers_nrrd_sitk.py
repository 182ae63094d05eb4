#!/usr/bin/env python3
"""readers_nrrd_sitk.py - oracle for NRRD geometry: SimpleITK (ITK's NrrdImageIO) writes a small
oblique int16 image (raw encoding) and we record the RAS affine ITK means by it, so that
test/io/test_nrrd.c checks our direction/origin convention against an independent writer.
ITK geometry is LPS: x_lps = D * diag(spacing) * index + origin; RAS = diag(-1, -1, 1) * LPS.
Run: /work/oracle-venv/bin/python test/oracles/readers_nrrd_sitk.py test/golden/readers
Also, given a .nrrd written by sarc (second argument), prints what SimpleITK reads from it.
"""
import sys, os
import numpy as np
import SimpleITK as sitk

out = sys.argv[1]
if len(sys.argv) > 2:
    img = sitk.ReadImage(sys.argv[2])
    a = sitk.GetArrayFromImage(img)
    print("size", img.GetSize(), "spacing", img.GetSpacing(), "origin", img.GetOrigin(), "direction", img.GetDirection())
    print("pixel", img.GetPixelIDTypeAsString(), "sum", float(a.astype(np.float64).sum()), "first", a.ravel()[:5].tolist())
    sys.exit(0)
nx, ny, nz = 3, 4, 5
vals = (np.arange(nx * ny * nz, dtype=np.int64) * 37 % 1001 - 500).astype(np.int16)
img = sitk.GetImageFromArray(vals.reshape(nz, ny, nx))  # numpy (z, y, x): x fastest in the file
c, s = np.cos(0.3), np.sin(0.3)
D = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0.0]])
img.SetDirection(tuple(D.ravel()))
img.SetSpacing((0.5, 0.75, 2.0))
img.SetOrigin((10.0, -20.0, 30.5))
w = sitk.ImageFileWriter()
w.SetFileName(os.path.join(out, "sitk_oblique.nrrd"))
w.SetUseCompression(False)
w.Execute(img)
A = np.eye(4)
A[:3, :3] = D @ np.diag(img.GetSpacing())
A[:3, 3] = img.GetOrigin()
A = np.diag([-1, -1, 1, 1]) @ A
with open(os.path.join(out, "sitk_oblique.txt"), "w") as f:
    f.write(f"# oracle: SimpleITK {sitk.Version_VersionString()} (ITK NrrdImageIO) wrote sitk_oblique.nrrd; "
            "command: python test/oracles/readers_nrrd_sitk.py test/golden/readers\n")
    f.write(f"dims {nx} {ny} {nz}\n")
    f.write("affine " + " ".join(repr(float(x)) for x in A.ravel()) + "\n")
    f.write("values " + " ".join(str(int(v)) for v in vals) + "\n")
