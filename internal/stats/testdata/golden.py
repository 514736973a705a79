#!/usr/bin/python3
"""Writes golden.csv: interval bounds and p-values computed by SciPy, the peer the Go
package is checked against. Rerun with Debian's python3 and python3-scipy:

    /usr/bin/python3 internal/stats/testdata/golden.py > internal/stats/testdata/golden.csv
"""
import random
import sys

import scipy
from scipy.stats import binomtest, chi2_contingency

rng = random.Random(20261123)
cases = [(0, 1), (1, 1), (0, 20), (1, 29), (15, 148), (81, 263), (5, 5), (999, 1000), (2, 100000)]
for _ in range(60):
    n = rng.choice([1, 2, 3, 7, 10, 50, 200, 5000, 10**6])
    cases.append((rng.randint(0, n), n))

w = sys.stdout
w.write("# SciPy %s: binomtest(k, n).proportion_ci(level, method) and chi2_contingency(correction=False)\n" % scipy.__version__)
w.write("kind,k1,n1,k2,n2,level,a,b\n")
for k, n in cases:
    for level in (0.9, 0.95, 0.99):
        for method, kind in (("wilson", "wilson"), ("exact", "clopper")):
            ci = binomtest(k, n).proportion_ci(confidence_level=level, method=method)
            w.write("%s,%d,%d,0,0,%g,%.12g,%.12g\n" % (kind, k, n, level, ci.low, ci.high))
for _ in range(60):
    n1 = rng.choice([5, 20, 100, 1000, 100000])
    n2 = rng.choice([5, 20, 100, 1000, 100000])
    k1, k2 = rng.randint(0, n1), rng.randint(0, n2)
    if k1 + k2 in (0, n1 + n2):
        continue  # the table has a zero margin; the test is undefined there
    chi2, p, _, _ = chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False)
    w.write("ztest,%d,%d,%d,%d,0,%.12g,%.12g\n" % (k1, n1, k2, n2, chi2, p))
