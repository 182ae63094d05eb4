#!/usr/bin/env python3
"""readers_expected.py - turns ../shared/data/EXPECTED.json (facts from independent Python
readers) into test/golden/readers/expected.txt, a small line format test/io/test_bruker.c and
test/io/test_nrrd.c read without a JSON parser.

For every decodable Bruker and NRRD dataset: dims in sarc's layout (x, y, z-or-FG_SLICE, other
frame groups flattened, first listed group fastest; NRRD: spatial axes first), spacing, word type,
frame count, scaled-value statistics, RAS affine, and the reference voxels mapped to that layout.
Run: /work/oracle-venv/bin/python test/oracles/readers_expected.py ../shared/data/EXPECTED.json \
         > test/golden/readers/expected.txt
"""
import hashlib, json, sys, platform

path = sys.argv[1]
raw = open(path, "rb").read()
d = json.loads(raw)["datasets"]
print(f"# oracle: EXPECTED.json sha256 {hashlib.sha256(raw).hexdigest()[:16]} ({json.loads(raw).get('generated_by','')})")
print(f"# made by test/oracles/readers_expected.py with Python {platform.python_version()}; "
      "command: python test/oracles/readers_expected.py ../shared/data/EXPECTED.json > test/golden/readers/expected.txt")
for key, e in d.items():
    if e["kind"] not in ("bruker", "nrrd") or not e.get("decodable", True):
        continue
    print(f"dataset {e['path']}")
    print(f"kind {e['kind']}")
    if e["kind"] == "bruker":
        fgs = e.get("frame_groups") or []
        core = list(e["core_size"])
        slice_len = [g["len"] for g in fgs if g["id"] == "FG_SLICE"]
        if e["core_dim"] == 2:
            core.append(slice_len[0] if slice_len else 1)
        others = [g for g in fgs if e["core_dim"] == 3 or g["id"] != "FG_SLICE"]
        nother = 1
        for g in others:
            nother *= g["len"]
        if not fgs:
            nother = e.get("frame_count", 1)
        dims = core + ([nother] if nother > 1 else [])
        print("dims " + " ".join(str(x) for x in dims))
        print("word " + e["word_type"])
        print(f"frames {e['frame_count']}")
        if len(e.get("spacing") or []) == 3:
            print("spacing " + " ".join(repr(float(x)) for x in e["spacing"]))
        else:
            print("spacing_xy " + " ".join(repr(float(x)) for x in e["spacing_core"][:2]))
        st = e["scaled_stats"]
        if e.get("affine_ras"):
            print("affine " + " ".join(repr(float(x)) for row in e["affine_ras"] for x in row))
        for v in e["voxels"]:
            idx = list(v["core_index_xyz"])
            if len(idx) == 2:
                idx.append(v.get("fg_index", {}).get("FG_SLICE", 0))
            f, mul = 0, 1
            for g in others:
                f += v["fg_index"][g["id"]] * mul
                mul *= g["len"]
            if not fgs:
                f = v["frame"]
            idx.append(f)
            print("voxel " + " ".join(str(i) for i in idx) + " " + repr(float(v["scaled"])))
    else:
        fl = e["fields"]
        sizes = [int(x) for x in fl["sizes"].split()]
        sa = e.get("spatial_axes") or list(range(len(sizes)))
        perm = sa + [a for a in range(len(sizes)) if a not in sa]
        print("dims " + " ".join(str(sizes[a]) for a in perm))
        print("word " + fl["type"].replace(" ", "_"))
        st = e["stats"]
        if e.get("affine_ras"):
            print("affine " + " ".join(repr(float(x)) for row in e["affine_ras"] for x in row))
        for s in (e.get("segments") or []):
            print(f"segment {s['LabelValue']} {s['Name']}")
        for v in e.get("voxels", []):
            idx = [v["index"][a] for a in perm] + [0] * (4 - len(perm))
            print("voxel " + " ".join(str(i) for i in idx[:4]) + " " + repr(float(v["value"])))
    print(f"stats {st['count']} {float(st['min'])!r} {float(st['max'])!r} {float(st['mean'])!r}")
    print("end")
