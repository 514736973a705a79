#!/usr/bin/python3
"""Golden values for loyalty's breakage estimator (TestBreakageGolden).

For each line of lots (points of known fate, of which expired), the ratio estimator
b = sum(expired) / sum(known) and its normal interval with the linearised variance
clustered by lot, Cochran (1977) Sampling Techniques eq. 6.9 without the fpc:
var(b) = n/(n-1) * sum((expired - b*known)^2) / sum(known)^2, clipped to [0, 1], at 95%
(z from the standard library's NormalDist). Run: /usr/bin/python3 testdata/breakage.py > testdata/breakage.golden
"""
import numpy as np
from statistics import NormalDist

rng = np.random.default_rng(20)
cases = [
    [(100, 0), (100, 100)],
    [(50, 10), (80, 0), (120, 60), (30, 30)],
    [(10, 1), (10, 2), (10, 3), (10, 4), (10, 5)],
]
for _ in range(5):
    n = int(rng.integers(2, 40))
    known = rng.integers(1, 500, n)
    expired = np.array([int(rng.integers(0, k + 1)) if rng.random() < 0.5 else 0 for k in known])
    cases.append(list(zip(known.tolist(), expired.tolist())))

z = NormalDist().inv_cdf(0.975)
print("# known:expired per lot | breakage lo hi (NumPy; see breakage.py)")
for c in cases:
    k = np.array([x[0] for x in c], dtype=float)
    e = np.array([x[1] for x in c], dtype=float)
    b = e.sum() / k.sum()
    n = len(k)
    se = np.sqrt(n / (n - 1) * np.sum((e - b * k) ** 2)) / k.sum()
    lo, hi = max(0.0, b - z * se), min(1.0, b + z * se)
    print(",".join(f"{a}:{x}" for a, x in c), "|", repr(b), repr(lo), repr(hi))
