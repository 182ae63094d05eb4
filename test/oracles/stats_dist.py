#!/usr/bin/env python3
"""Goldens for stats/dist.c: Student t tail probabilities and the regularised incomplete beta.
Reference values from mpmath at 60 digits (exact to double precision); SciPy's t.sf is printed
beside them (it is the practical oracle, but scipy.special.stdtr is off by ~1e-9 near t = 0 for
df = 1). Usage: stats_dist.py > test/golden/stats/dist.txt"""
import mpmath
import scipy
from scipy import special, stats

mpmath.mp.dps = 60
print(f"# oracle: mpmath {mpmath.__version__} (60 digits) and SciPy {scipy.__version__} "
      "(scipy.stats.t.sf, scipy.special.betainc); command: test/oracles/stats_dist.py > test/golden/stats/dist.txt")
print("# t lines: t df sf_mpmath p_two_sided_mpmath sf_scipy ; b lines: a b x I_x(a,b)_mpmath I_x(a,b)_scipy")


def t_sf_mp(t, df):
    t = mpmath.mpf(t); df = mpmath.mpf(df)
    if t == 0:
        return mpmath.mpf(0.5), mpmath.mpf(1)
    x = df / (df + t * t)
    p2 = mpmath.betainc(df / 2, mpmath.mpf(0.5), 0, x, regularized=True)
    return (p2 / 2 if t > 0 else 1 - p2 / 2), p2


dfs = [1, 2, 3, 4, 5, 7, 10, 15, 24, 30, 50, 99, 100, 250, 500, 999, 1000, 0.5, 2.5, 5000]
ts = [0.0, 1e-8, 1e-4, 0.01, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7, 10, 20, 50, 100, 1e3, 1e5, 1e8,
      -1e-6, -0.7, -2, -9, -300]
for df in dfs:
    for t in ts:
        sf, p2 = t_sf_mp(t, df)
        print(f"t {t!r} {float(df)!r} {float(sf)!r} {float(p2)!r} {float(stats.t.sf(t, df))!r}")
for a in [0.1, 0.5, 1, 2.5, 10, 33.3, 200, 1500]:
    for b in [0.2, 0.5, 1, 3, 12, 80, 900]:
        for x in [1e-6, 0.01, 0.2, 0.5, 0.77, 0.95, 0.999999]:
            ref = mpmath.betainc(mpmath.mpf(a), mpmath.mpf(b), 0, mpmath.mpf(x), regularized=True)
            print(f"b {a!r} {b!r} {x!r} {float(ref)!r} {float(special.betainc(a, b, x))!r}")
