#!/usr/bin/python3
"""Writes contingency.csv: odds ratios, Woolf intervals (exact conditional ones for a
table with a zero cell), Fisher's exact and Yates's
chi-square p-values and Benjamini-Hochberg adjusted p-values of generated 2x2 tables,
computed by SciPy, the peer the Go package is checked against. Rerun with Debian's
python3 and python3-scipy (1.10.1, which predates false_discovery_control, so the
Benjamini-Hochberg step-up is written out below from its definition):

    /usr/bin/python3 internal/stats/testdata/contingency.py > internal/stats/testdata/contingency.csv
"""
import math
import random
import sys

import numpy as np
import scipy
from scipy.stats import chi2_contingency, fisher_exact
from scipy.stats.contingency import odds_ratio

rng = random.Random(20261203)
tables = [
    (0, 0, 0, 0), (1, 0, 0, 1), (3, 1, 1, 3), (1, 2, 2, 1), (2, 2, 2, 2), (0, 5, 5, 0),
    (10, 0, 3, 7), (7, 3, 3, 7), (8, 2, 1, 5), (1, 9, 11, 3), (0, 10, 0, 10),
    (1, 999999, 9, 999991), (2, 500000, 3, 499995), (5000, 5000, 4900, 5100),
    (12, 5, 9, 30), (100, 900, 150, 850), (1, 1, 1, 1), (50, 50, 50, 50),
]
for _ in range(150):
    scale = rng.choice([3, 10, 40, 200, 5000, 10**5, 10**6])
    small = rng.random() < 0.4
    cells = [rng.randint(0, scale) for _ in range(4)]
    if small:
        cells[rng.randint(0, 3)] = rng.randint(0, 4)
    tables.append(tuple(cells))

rows = []
for a, b, c, d in tables:
    t = np.array([[a, b], [c, d]])
    n = a + b + c + d
    r1, r2, c1, c2 = a + b, c + d, a + c, b + d
    minexp = min(r1 * c1, r1 * c2, r2 * c1, r2 * c2) / n if n else 0.0
    pf = fisher_exact(t)[1]
    if minexp > 0:
        chi2, pc, _, _ = chi2_contingency(t, correction=True)
    else:
        chi2, pc = 0.0, 1.0  # SciPy refuses a zero expected count; the Go side defines 0, 1
    if 0 in (r1, r2, c1, c2):
        orv, lo, hi = 1.0, 0.0, math.inf
    elif 0 in (a, b, c, d):
        # A zero cell: the conditional MLE (0 or inf) and Fisher's exact interval.
        res = odds_ratio(t, kind="conditional")
        ci = res.confidence_interval(confidence_level=0.95)
        orv, lo, hi = res.statistic, ci.low, ci.high
    else:
        res = odds_ratio(t, kind="sample")
        ci = res.confidence_interval(confidence_level=0.95)
        orv, lo, hi = res.statistic, ci.low, ci.high
    chosen = pf if minexp < 5 else pc
    rows.append((a, b, c, d, minexp, orv, lo, hi, pf, chi2, pc, chosen))

# Benjamini-Hochberg over the chosen p-values, in file order.
ps = np.array([r[-1] for r in rows])
m = len(ps)
order = np.argsort(ps, kind="stable")
adj = ps[order] * m / np.arange(1, m + 1)
adj = np.minimum.accumulate(adj[::-1])[::-1]
q = np.empty(m)
q[order] = np.minimum(adj, 1)

w = sys.stdout
w.write("# SciPy %s: fisher_exact, chi2_contingency(correction=True), odds_ratio(kind='sample', or 'conditional' with a zero cell) at 0.95; BH written out\n" % scipy.__version__)
w.write("a,b,c,d,minexp,or,lo,hi,fisher_p,chi2,chi2_p,chosen_p,bh_q\n")
for r, qv in zip(rows, q):
    w.write(",".join(str(int(x)) for x in r[:4]) + "," + ",".join(repr(float(x)) for x in r[4:]) + "," + repr(float(qv)) + "\n")
