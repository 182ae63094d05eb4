#!/usr/bin/env python3
"""readers_jcamp_brkraw.py - oracle for the JCAMP-DX parser on real ParaVision parameter files:
brkraw's independent parser (brkraw 0.3.11, brkraw.lib.parser.Parameter) reads every acqp,
method, reco, visu_pars, d3proc and subject file of ../shared/data/bruker*, and we record per file
the number of parameters, and over the parameters whose values are all numbers (scalars, arrays,
lists and structs of numbers): their count, the number of values and the sum and absolute sum of
the values. Two brkraw deviations are left out on both sides (see excluded()).
test/io/test_jcamp.c recomputes the same figures with io/jcamp.c.
Run: pip install --target /tmp/brk brkraw==0.3.11 --no-deps;
     PYTHONPATH=/tmp/brk /work/oracle-venv/bin/python test/oracles/readers_jcamp_brkraw.py ../shared \
         > test/golden/readers/jcamp_brkraw.txt
"""
import glob, os, sys
import numpy as np
import brkraw
from brkraw.lib.parser import Parameter

def flatten(v):
    """Leaves of a value: numbers, strings, ... (lists, tuples and arrays are descended into)."""
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        for x in v:
            yield from flatten(x)
    else:
        yield v


root = sys.argv[1]
names = ("acqp", "method", "reco", "visu_pars", "d3proc", "subject")
files = sorted(p for p in glob.glob(os.path.join(root, "data", "bruker*", "**", "*"), recursive=True)
               if os.path.basename(p) in names)
print(f"# oracle: brkraw {brkraw.__version__} brkraw.lib.parser.Parameter; numpy {np.__version__}; command: "
      "PYTHONPATH=/tmp/brk python test/oracles/readers_jcamp_brkraw.py ../shared > test/golden/readers/jcamp_brkraw.txt")
print("# file <path under shared> params <n> numeric <k> values <n> sum <s> abssum <a>")
def excluded(text):
    """brkraw deviations we leave out (both sides apply this rule to the raw value text):
    a value holding a <string> (brkraw turns "<20251013>" into a number), a number with a positive
    exponent ("-2.14748e+09" stays a string in brkraw) and a struct that starts on the record's
    line and continues on the next (brkraw keeps only its last line)."""
    first = text.split("\n")[0].strip()
    return "<" in text or "e+" in text or (first.startswith("(") and first.count("(") != first.count(")"))


def raw_values(path):
    """name -> value text (the record's line after '=' and its continuation lines, no $$ lines)."""
    out, name = {}, None
    for line in open(path, encoding="latin-1").read().split("\n"):
        if line.startswith("##"):
            name = line[3:].split("=", 1)[0] if line.startswith("##$") else None
            if name is not None:
                out[name] = line.split("=", 1)[1]
        elif name is not None and not line.lstrip().startswith("$$"):
            out[name] += "\n" + line
    return out


for f in files:
    P = Parameter(open(f, encoding="latin-1").read().split("\n"))
    raw = raw_values(f)
    k = nv = 0
    s = a = 0.0
    for key, v in P.parameters.items():
        if excluded(raw.get(key, "")):
            continue
        leaves = list(flatten(v))
        # brkraw appends a None for a blank line after an array's values: not a value
        while leaves and leaves[-1] is None and raw.get(key, "").rstrip(" \t").endswith("\n"):
            leaves.pop()
        if not leaves or not all(isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) for x in leaves):
            continue
        arr = np.array([float(x) for x in leaves])
        if arr.size == 0 or not np.all(np.isfinite(arr)):
            continue
        k += 1
        nv += arr.size
        s += float(arr.sum())
        a += float(np.abs(arr).sum())
    rel = os.path.relpath(f, root)
    print(f"file {rel} params {len(P.parameters)} numeric {k} values {nv} sum {s!r} abssum {a!r}")
