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
"""
import csv, json, os, sys
import numpy as np, nibabel as nib
from scipy import ndimage

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
