#!/usr/bin/env python3
"""Converts the PyRadiomics reference cases in ../shared/data/pyradiomics/*.json (PyRadiomics'
own baselines, see the README there) into the small text goldens of test/golden/radiomics/
(ref_<case>.txt) that test/radiomics/test_features.c reads without Python.

Run from the repository root:  python3 test/oracles/radiomics_reference.py
Format: '#' comment lines (provenance), then 'image FILE', 'mask FILE', 'setting NAME VALUE'
(PyRadiomics names, YAML flow syntax), 'class NAME' (classes with reference values), and
'feature NAME VALUE' (17 significant digits)."""
import glob, json, os, sys

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "pyradiomics")
DST = os.path.join(os.path.dirname(__file__), "..", "golden", "radiomics")
SKIP = {"resampling_active", "additionalInfo"}


def flow(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(flow(x) for x in v) + "]"
    return str(v)


for path in sorted(glob.glob(os.path.join(SRC, "*.json"))):
    if path.endswith("_matrices.json"):
        continue
    case = json.load(open(path))
    name = case["case"]
    lines = [f"# oracle: PyRadiomics baseline values, case {name} (../shared/data/pyradiomics/{os.path.basename(path)},",
             f"#   PyRadiomics commit {case['source'].get('commit', '?')}); made by test/oracles/radiomics_reference.py",
             f"image {case['image']}", f"mask {case['mask']}"]
    for k, v in case["effective_settings"].items():
        if v is None or k in SKIP:
            continue
        lines.append(f"setting {k} {flow(v)}")
    classes = []
    for k in case["features"]:
        c = k.split("_")[1]
        if c not in classes:
            classes.append(c)
    lines += [f"class {c}" for c in classes]
    for k, v in case["features"].items():
        lines.append(f"feature {k} {v!r}")
    with open(os.path.join(DST, f"ref_{name}.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(name, len(case["features"]))

# The IBSI digital phantom values PyRadiomics submitted to the IBSI (../shared/data/ibsi/*.json,
# October 2018 development version) -> test/golden/radiomics/ibsi_<case>.txt, same format.
ISRC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "ibsi")
for path in sorted(glob.glob(os.path.join(ISRC, "pyradiomics_digital_phantom_*.json"))):
    case = json.load(open(path))
    name = case["case"]
    lines = [f"# oracle: PyRadiomics values submitted to the IBSI for the digital phantom, case {name}",
             f"#   (../shared/data/ibsi/{os.path.basename(path)}); made by test/oracles/radiomics_reference.py",
             f"image {case['image']}", f"mask {case['mask']}"]
    for k, v in case["settings"].items():
        if v is None:
            continue
        lines.append(f"setting {k} {flow(v)}")
    classes = []
    for k in case["features"]:
        c = k.split("_")[1]
        if c not in classes:
            classes.append(c)
    lines += [f"class {c}" for c in classes]
    for k, v in case["features"].items():
        lines.append(f"feature {k} {v!r}")
    with open(os.path.join(DST, f"ibsi_{name}.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(name, len(case["features"]))

# IBSI consensus values of the digital phantom for the PyRadiomics-mapped rows
# (../shared/data/ibsi/reference_digital_phantom.csv) -> test/golden/radiomics/ibsi_consensus_<config>.txt
# lines 'ibsi NAME VALUE TOLERANCE' (the CSV's suggested_abs_tolerance: the manual's tolerance, or
# half a unit of the printed digits where the manual gives 0)
import csv
rows = list(csv.DictReader(open(os.path.join(ISRC, "reference_digital_phantom.csv"))))
for cfg in ["3D", "2D", "3D_combined", "2D_combined"]:
    case = json.load(open(os.path.join(ISRC, f"pyradiomics_digital_phantom_{cfg}.json")))
    lines = [f"# oracle: IBSI-1 consensus values of the digital phantom, rows mapped to PyRadiomics configuration {cfg}",
             "#   (../shared/data/ibsi/reference_digital_phantom.csv); made by test/oracles/radiomics_reference.py",
             f"image {case['image']}", f"mask {case['mask']}"]
    for k, v in case["settings"].items():
        if v is not None:
            lines.append(f"setting {k} {flow(v)}")
    # deprecated PyRadiomics features are never computed (FACTS.md section 18)
    DEPRECATED = {"Compactness1", "Compactness2", "SphericalDisproportion", "StandardDeviation", "Dissimilarity",
                  "Homogeneity1", "Homogeneity2", "SumVariance", "DependencePercentage"}
    sel = [r for r in rows if r["pyradiomics_config"] == cfg and r["pyradiomics_feature"]
           and r["pyradiomics_feature"].split("_", 2)[2] not in DEPRECATED]
    classes = []
    for r in sel:
        c = r["pyradiomics_feature"].split("_")[1]
        if c not in classes:
            classes.append(c)
    lines += [f"class {c}" for c in classes]
    for r in sel:
        tol = float(r["suggested_abs_tolerance"])
        lines.append(f"ibsi {r['pyradiomics_feature']} {float(r['value'])!r} {tol!r}")
    with open(os.path.join(DST, f"ibsi_consensus_{cfg}.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("consensus", cfg, len(sel))
