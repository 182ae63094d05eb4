#!/usr/bin/env python3
"""phantom_check.py - independent check of a cohort written by `sarc phantom` (issue 5), with
nibabel + scipy (developer tool; `make test` never runs it).

Reads DIR/cohort.csv and DIR/truth.json, then for every scan: the label volume (mm^3) against
truth.json, the T2 tumour / muscle-like body ratio, growth pre -> post, and the peritumoral
3 mm shell (Euclidean distance in mm, scipy.ndimage.distance_transform_edt with the voxel
spacing) first-order statistics of bias-corrected T2 (img / bias, so the coil does not mask
them). Prints the Pearson correlation of each statistic with the recurrence latents z_shape and
z_peri, and of a simple shape statistic (surface voxels / volume^(2/3)) with z_shape.

Usage: /work/oracle-venv/bin/python test/oracles/phantom_check.py DIR
       /work/oracle-venv/bin/python test/oracles/phantom_check.py --n4 DIR SARC
The --n4 form checks N4 on every scan and contrast instead (issue 8): the body mask is rebuilt from
the data (T2 above 6 noise sigmas, sigma from the air at the image border; opened, holes filled,
largest component), written as NIfTI, and given both to SimpleITK's
N4BiasFieldCorrectionImageFilter (defaults: 4 x 50 iterations, 4 control points, FWHM 0.15) and to
`SARC n4 --mask`; prints, per scan, the correlation of each recovered log-bias with the true one
inside the mask. test/oracles/n4_phantom.py extends it: other settings (the study's --preset paper,
ANTs' defaults, the tumour left out of the fit), both tools, and the muscle CV (the figures quoted
in test/image/test_on_phantom.c).
"""
import csv, json, os, sys
import numpy as np, nibabel as nib
from scipy import ndimage


def n4_check(d, sarc):
    import subprocess, tempfile
    import SimpleITK as sitk
    rows = list(csv.DictReader(open(os.path.join(d, "cohort.csv"))))
    tmp = tempfile.mkdtemp(prefix="n4check")
    print("# SimpleITK %s; sarc %s" % (sitk.Version_VersionString(), sarc))
    for r in rows:
        ref = nib.load(os.path.join(d, r["T2"]))
        t2 = np.asarray(ref.dataobj, float)
        sigma = t2[:4].mean() / np.sqrt(np.pi / 2)  # Rayleigh air at the image border
        body = ndimage.binary_fill_holes(ndimage.binary_opening(t2 > 6 * sigma))
        lab, n = ndimage.label(body)
        body = lab == (1 + np.argmax(ndimage.sum(body, lab, range(1, n + 1))))
        mpath = os.path.join(tmp, "mask.nii.gz")
        nib.save(nib.Nifti1Image(body.astype(np.uint8), ref.affine), mpath)
        line = f"{r['mouse']} {r['timepoint']:4s}"
        for c in ("T1", "T1C", "T2"):
            img = np.asarray(nib.load(os.path.join(d, r[c])).dataobj, np.float32)
            tb = np.log(np.asarray(nib.load(os.path.join(d, r["bias_" + c])).dataobj, float))
            sp = tuple(float(z) for z in ref.header.get_zooms()[:3])
            im = sitk.GetImageFromArray(np.ascontiguousarray(img.transpose(2, 1, 0))); im.SetSpacing(sp)
            mk = sitk.GetImageFromArray(np.ascontiguousarray(body.astype(np.uint8).transpose(2, 1, 0))); mk.SetSpacing(sp)
            f = sitk.N4BiasFieldCorrectionImageFilter()
            f.Execute(im, mk)
            lb = sitk.GetArrayFromImage(f.GetLogBiasFieldAsImage(im)).transpose(2, 1, 0)
            bpath = os.path.join(tmp, "bias.nii.gz")
            subprocess.run([sarc, "n4", os.path.join(d, r[c]), "-o", os.path.join(tmp, "cor.nii.gz"), "--mask", mpath,
                            "--bias-out", bpath], check=True, capture_output=True)
            ours = np.log(np.asarray(nib.load(bpath).dataobj, float))
            rs = np.corrcoef(lb[body], tb[body])[0, 1]
            ro = np.corrcoef(ours[body], tb[body])[0, 1]
            line += f"  {c} sitk {rs:.4f} sarc {ro:.4f}"
        line += f"  (mask {body.sum()} voxels, label {int((np.asarray(nib.load(os.path.join(d, r['label'])).dataobj) > 0).sum())})"
        print(line, flush=True)


if sys.argv[1] == "--n4":
    n4_check(sys.argv[2], sys.argv[3])
    sys.exit(0)
d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "cohort.csv"))))
truth = json.load(open(os.path.join(d, "truth.json")))
mice = {m["mouse"]: m for m in truth["mice"]}
out = {}
for r in rows:
    lab = nib.load(os.path.join(d, r["label"]))
    m = np.asarray(lab.dataobj) > 0
    sp = lab.header.get_zooms()[:3]
    t2 = np.asarray(nib.load(os.path.join(d, r["T2"])).dataobj, float)
    b2 = np.asarray(nib.load(os.path.join(d, r["bias_T2"])).dataobj, float)
    c2 = t2 / b2
    vol = m.sum() * float(np.prod(sp))
    dist = ndimage.distance_transform_edt(~m, sampling=sp)
    inside = ndimage.binary_fill_holes(c2 > 0.3 * np.median(c2[m]))  # the limb, not the air
    shell = (dist > 0) & (dist <= 3.0) & inside
    body = inside & ~m
    surf = m & ~ndimage.binary_erosion(m)
    key = (r["mouse"], r["timepoint"])
    out[key] = dict(vol=vol, ratio=c2[m].mean() / c2[body].mean(), shell_mean=c2[shell].mean() / np.median(c2[body]),
                    shell_cv=c2[shell].std() / c2[shell].mean(), surf=surf.sum() / m.sum() ** (2 / 3),
                    shell_p10=np.percentile(c2[shell], 10) / np.median(c2[body]),
                    shell_t2_over_tumour=c2[shell].mean() / c2[m].mean())
    tv = mice[r["mouse"]]["volume_%s_mm3" % r["timepoint"]]
    print(f"{r['mouse']} {r['timepoint']:4s} label {vol:8.1f} mm3 (truth.json {tv:8.1f}) T2 ratio {out[key]['ratio']:.2f} "
          f"shell mean {out[key]['shell_mean']:.3f} cv {out[key]['shell_cv']:.3f} surf {out[key]['surf']:.3f}")
names = sorted(mice)
grew = sum(out[(n, "post")]["vol"] > out[(n, "pre")]["vol"] for n in names)
print(f"grew {grew}/{len(names)}; label volumes {min(o['vol'] for o in out.values()):.0f}..{max(o['vol'] for o in out.values()):.0f} mm3")
for tp in ("pre", "post"):
    for stat in ("shell_mean", "shell_cv", "shell_p10", "shell_t2_over_tumour", "surf"):
        x = [out[(n, tp)][stat] for n in names]
        for lat in ("z_shape", "z_peri"):
            z = [mice[n][lat] for n in names]
            print(f"{tp:4s} corr({stat}, {lat}) = {np.corrcoef(x, z)[0, 1]: .2f}")
