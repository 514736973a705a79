#!/usr/bin/python3
"""Golden values for loyalty's breakage estimator (TestBreakageGolden).

For each line of lots (points of known fate, of which expired), the ratio estimator
b = sum(expired) / sum(known), its linearised variance clustered by lot, Cochran (1977)
Sampling Techniques eq. 6.9 without the fpc: var(b) = n/(n-1) * sum((expired -
b*known)^2) / sum(known)^2, and its 95% Korn & Graubard (1998) interval: Clopper-Pearson
at the effective sample size n* = b(1-b)/var(b), capped at the points of known fate, or
n* = the number of lots when var(b) is 0 or b is 0 or 1, with x = b*n* "successes"
(SciPy's beta.ppf). Run: /usr/bin/python3 testdata/breakage.py > testdata/breakage.golden
"""
import numpy as np
from scipy.stats import beta

rng = np.random.default_rng(20)
cases = [
    [(100, 0), (100, 100)],
    [(50, 10), (80, 0), (120, 60), (30, 30)],
    [(10, 1), (10, 2), (10, 3), (10, 4), (10, 5)],
    [(10, 10), (11, 11)],  # every lot expired: no point interval
    [(73, 73)],            # a single lot
    [(40, 0), (60, 0), (5, 0)],  # every lot redeemed
]
for _ in range(5):
    n = int(rng.integers(2, 40))
    known = rng.integers(1, 500, n)
    expired = np.array([int(rng.integers(0, k + 1)) if rng.random() < 0.5 else 0 for k in known])
    cases.append(list(zip(known.tolist(), expired.tolist())))

print("# known:expired per lot | breakage lo hi (NumPy and SciPy; see breakage.py)")
for c in cases:
    k = np.array([x[0] for x in c], dtype=float)
    e = np.array([x[1] for x in c], dtype=float)
    b = e.sum() / k.sum()
    n = len(k)
    v = n / (n - 1) * np.sum((e - b * k) ** 2) / k.sum() ** 2 if n > 1 else 0.0
    ne = min(b * (1 - b) / v, k.sum()) if v > 0 and 0 < b < 1 else float(n)
    x = b * ne
    lo = beta.ppf(0.025, x, ne - x + 1) if x > 0 else 0.0
    hi = beta.ppf(0.975, x + 1, ne - x) if x < ne else 1.0
    lo, hi = min(lo, b), max(hi, b)
    print(",".join(f"{a}:{x}" for a, x in c), "|", repr(float(b)), repr(float(lo)), repr(float(hi)))
