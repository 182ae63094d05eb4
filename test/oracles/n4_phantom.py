#!/usr/bin/env python3
"""n4_phantom.py - N4 on the phantom cohort (issue 8): how well the recovered log-bias follows the
true one, for `sarc n4` and for SimpleITK's N4BiasFieldCorrectionImageFilter run with the same
settings and the same mask (developer tool; `make test` never runs it).

For every scan of DIR/cohort.csv (written by `sarc phantom`) and every contrast: the body mask is
rebuilt from the data as in phantom_check.py --n4 (T2 above 6 noise sigmas, opened, holes filled,
largest component); both tools correct the image; printed: Pearson r of the recovered log-bias
with the true log-bias (log of DIR/.../bias_*.nii.gz) inside the body mask, and the coefficient
of variation of the true-tissue-homogeneous region (muscle far from the tumour: body voxels
>= 2 mm from the tumour label, eroded 1 voxel, intensity of bias-free T2 within the muscle mode
+-25%) before and after correction.

Configurations (--configs a,b,...):
  default  SimpleITK's defaults (4 x 50 iterations, threshold 0.001, 4 control points, FWHM 0.15)
  paper    the study's ANTs settings = `sarc n4 --preset paper`: shrink 4 (SimpleITK: sitk.Shrink of
           image and mask, log-bias read back on the full grid), 3 x 100 iterations, threshold
           0.005, 4 control points (mesh 1), order 3, FWHM 0.3, Wiener 0.01, 200 bins
  paper2   paper with 2 fitting levels (final mesh 2 spans instead of 4)
  paper1   paper with 1 fitting level (final mesh 1 span: one cubic per axis)
  paperx   paper with the tumour label removed from the mask (the fit sees only normal tissue)
  paperc0  paper run to its iteration limits (convergence threshold 0: ANTs' documented default;
           with 0.005 the first two levels stop after one iteration each)
  ants     ANTs N4BiasFieldCorrection's documented defaults: shrink 4, 50x50x50x50 iterations,
           threshold 0, spline distance 200 mm (= mesh 1 on a mouse field of view), order 3,
           FWHM 0.15, Wiener 0.01, 200 bins
  antsx    ants with the tumour label removed from the mask
  antsx1, antsx2  ants with the tumour label dilated by 1 / 2 mm removed (tumour + peritumoral oedema)
  paperc0x1 paperc0 with the tumour label dilated by 1 mm removed
  paperx1  paper with the tumour label dilated by 1 mm removed
  paperc0x paperc0 with the tumour label removed
  p1x15    the paper's preset with ONE fitting level of 300 iterations (one cubic span per axis,
           threshold 0) and the tumour label dilated by 1.5 mm removed
  paperotsu paper with no --mask for sarc (its default: Otsu foreground, 256 bins) and SimpleITK
           given sitk.OtsuThreshold(image, 0, 1, 256) (r still over the body mask)

Usage: /work/oracle-venv/bin/python test/oracles/n4_phantom.py DIR SARC [--configs paper,default]
       [--scans m01/pre,m02/post] [--threads 2] [--no-sitk]
The figures in test/image/test_on_phantom.c (2026-12-04, SimpleITK 2.5.7):
  sarc phantom --mice 4 -o FULL;  sarc phantom --mice 4 --size 112,112,30 --spacing 0.25,0.25,0.6 -o SMALL
  n4_phantom.py FULL sarc --configs paper,paper2,paper1,paperx,paperotsu,paperc0,ants,antsx,antsx1,antsx2,
                                    paperc0x1,paperx1,paperc0x --threads 1
  n4_phantom.py FULL sarc --configs default --no-sitk   (SimpleITK's defaults take ~15 min a scan there)
  n4_phantom.py SMALL sarc --configs paper,paper2,paper1,paperx,paperotsu,default
"""
import argparse, csv, os, subprocess, tempfile, time
import numpy as np, nibabel as nib
import SimpleITK as sitk
from scipy import ndimage

CONFIGS = {
    "default": dict(sarc=[], iters=None, shrink=1),
    "paper": dict(sarc=["--preset", "paper"], iters=[100, 100, 100], shrink=4, conv=0.005, fwhm=0.3),
    "paper2": dict(sarc=["--preset", "paper", "--iterations", "100,100"], iters=[100, 100], shrink=4, conv=0.005, fwhm=0.3),
    "paper1": dict(sarc=["--preset", "paper", "--iterations", "100"], iters=[100], shrink=4, conv=0.005, fwhm=0.3),
    "paperx": dict(sarc=["--preset", "paper"], iters=[100, 100, 100], shrink=4, conv=0.005, fwhm=0.3, exclude=True),
    "paperc0": dict(sarc=["--preset", "paper", "--convergence", "0"], iters=[100, 100, 100], shrink=4, conv=0.0, fwhm=0.3),
    "ants": dict(sarc=["--shrink", "4", "--convergence", "0"], iters=[50, 50, 50, 50], shrink=4, conv=0.0, fwhm=0.15),
    "antsx": dict(sarc=["--shrink", "4", "--convergence", "0"], iters=[50, 50, 50, 50], shrink=4, conv=0.0, fwhm=0.15,
                  exclude=True),
    "antsx1": dict(sarc=["--shrink", "4", "--convergence", "0"], iters=[50, 50, 50, 50], shrink=4, conv=0.0, fwhm=0.15,
                   exclude=True, margin=1.0),
    "antsx2": dict(sarc=["--shrink", "4", "--convergence", "0"], iters=[50, 50, 50, 50], shrink=4, conv=0.0, fwhm=0.15,
                   exclude=True, margin=2.0),
    "paperc0x1": dict(sarc=["--preset", "paper", "--convergence", "0"], iters=[100, 100, 100], shrink=4, conv=0.0, fwhm=0.3,
                      exclude=True, margin=1.0),
    "paperx1": dict(sarc=["--preset", "paper"], iters=[100, 100, 100], shrink=4, conv=0.005, fwhm=0.3, exclude=True,
                    margin=1.0),
    "paperc0x": dict(sarc=["--preset", "paper", "--convergence", "0"], iters=[100, 100, 100], shrink=4, conv=0.0, fwhm=0.3,
                     exclude=True),
    "p1x15": dict(sarc=["--preset", "paper", "--convergence", "0", "--iterations", "300"], iters=[300], shrink=4, conv=0.0,
                  fwhm=0.3, exclude=True, margin=1.5),
    "paperotsu": dict(sarc=["--preset", "paper"], iters=[100, 100, 100], shrink=4, conv=0.005, fwhm=0.3, otsu=True),
}


def body_mask(t2):
    sigma = t2[:4].mean() / np.sqrt(np.pi / 2)  # Rayleigh air at the image border
    body = ndimage.binary_fill_holes(ndimage.binary_opening(t2 > 6 * sigma))
    lab, n = ndimage.label(body)
    return lab == (1 + np.argmax(ndimage.sum(body, lab, range(1, n + 1))))


def to_sitk(a, sp, dtype):
    im = sitk.GetImageFromArray(np.ascontiguousarray(a.astype(dtype).transpose(2, 1, 0)))
    im.SetSpacing(sp)
    return im


def sitk_n4(img, mask, sp, cfg, threads):
    im = to_sitk(img, sp, np.float32)
    mk = to_sitk(mask, sp, np.uint8)
    f = sitk.N4BiasFieldCorrectionImageFilter()
    f.SetNumberOfThreads(threads)
    if cfg["iters"]:
        f.SetMaximumNumberOfIterations(cfg["iters"])
        f.SetConvergenceThreshold(cfg["conv"])
        f.SetBiasFieldFullWidthAtHalfMaximum(cfg["fwhm"])
        f.SetWienerFilterNoise(0.01)  # SimpleITK's default too
        f.SetNumberOfHistogramBins(200)
        f.SetNumberOfControlPoints([4, 4, 4])
        f.SetSplineOrder(3)
    if cfg.get("otsu"):
        mk = sitk.OtsuThreshold(im, 0, 1, 256)
    s = cfg["shrink"]
    if s > 1:
        f.Execute(sitk.Shrink(im, [s] * 3), sitk.Shrink(mk, [s] * 3))
    else:
        f.Execute(im, mk)
    return sitk.GetArrayFromImage(f.GetLogBiasFieldAsImage(im)).transpose(2, 1, 0).astype(float)


def cv(a):
    return a.std(ddof=1) / a.mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir"); ap.add_argument("sarc")
    ap.add_argument("--configs", default="paper,default")
    ap.add_argument("--scans", default="")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-sitk", action="store_true")
    a = ap.parse_args()
    d = a.dir
    rows = list(csv.DictReader(open(os.path.join(d, "cohort.csv"))))
    want = set(s for s in a.scans.split(",") if s)
    tmp = tempfile.mkdtemp(prefix="n4phantom")
    print("# test/oracles/n4_phantom.py; SimpleITK %s, numpy %s; sarc %s; %s" %
          (sitk.Version_VersionString(), np.__version__, a.sarc, d))
    for r in rows:
        tag = "m%02d/%s" % (int(r["mouse"]), r["timepoint"]) if r["mouse"].isdigit() else f"{r['mouse']}/{r['timepoint']}"
        if want and tag not in want:
            continue
        ref = nib.load(os.path.join(d, r["T2"]))
        sp = tuple(float(z) for z in ref.header.get_zooms()[:3])
        t2 = np.asarray(ref.dataobj, float)
        body = body_mask(t2)
        lab = np.asarray(nib.load(os.path.join(d, r["label"])).dataobj) > 0
        mpath = os.path.join(tmp, "mask.nii.gz")
        nib.save(nib.Nifti1Image(body.astype(np.uint8), ref.affine), mpath)
        dist = ndimage.distance_transform_edt(~lab, sampling=sp)
        xpaths = {}
        for mm in (0.0, 1.0, 1.5, 2.0):
            xpaths[mm] = os.path.join(tmp, "maskx%g.nii.gz" % mm)
            nib.save(nib.Nifti1Image((body & (dist > mm)).astype(np.uint8), ref.affine), xpaths[mm])
        for c in ("T1", "T1C", "T2"):
            img = np.asarray(nib.load(os.path.join(d, r[c])).dataobj, float)
            btrue = np.asarray(nib.load(os.path.join(d, r["bias_" + c])).dataobj, float)
            tb = np.log(btrue)
            # homogeneous muscle: far from the tumour, eroded, within +-25% of the bias-free mode
            clean = img / btrue
            region = ndimage.binary_erosion(body & (dist >= 2.0))
            vals = clean[region]
            hist, edges = np.histogram(vals, bins=200)
            mode = 0.5 * (edges[np.argmax(hist)] + edges[np.argmax(hist) + 1])
            musc = region & (np.abs(clean - mode) < 0.25 * mode)
            for name in a.configs.split(","):
                cfg = CONFIGS[name]
                mm = cfg.get("margin", 0.0)
                m = (body & (dist > mm)) if cfg.get("exclude") else body
                t0 = time.perf_counter()
                bpath = os.path.join(tmp, "bias.nii.gz")
                cmd = [a.sarc, "n4", os.path.join(d, r[c]), "-o", os.path.join(tmp, "cor.nii.gz"), "--bias-out", bpath,
                       "--threads", str(a.threads), "--audit", "none", "-q"] + cfg["sarc"]
                if not cfg.get("otsu"):
                    cmd += ["--mask", xpaths[mm] if cfg.get("exclude") else mpath]
                subprocess.run(cmd, check=True, capture_output=True)
                ts = time.perf_counter() - t0
                ours = np.log(np.asarray(nib.load(bpath).dataobj, float))
                ro = np.corrcoef(ours[body], tb[body])[0, 1]
                cvo = cv((img / np.exp(ours))[musc])
                line = f"{tag} {c:3s} {name:9s} sarc r {ro:.4f} ({ts:5.1f} s)"
                if not a.no_sitk:
                    t0 = time.perf_counter()
                    lb = sitk_n4(img, m, sp, cfg, a.threads)
                    tsk = time.perf_counter() - t0
                    rs = np.corrcoef(lb[body], tb[body])[0, 1]
                    rx = np.corrcoef(lb[body], ours[body])[0, 1]
                    cvs = cv((img / np.exp(lb))[musc])
                    line += f" sitk r {rs:.4f} ({tsk:5.1f} s) r(sarc,sitk) {rx:.6f}"
                    line += f" muscle cv {cv(img[musc]):.4f} -> sarc {cvo:.4f} sitk {cvs:.4f}"
                else:
                    line += f" muscle cv {cv(img[musc]):.4f} -> sarc {cvo:.4f}"
                print(line, flush=True)


main()
