#!/usr/bin/python3
"""Writes golden.csv: per-group sample sizes for a two-sided two-proportion test
(Fleiss, Levin & Paik 2003, eq. 4.14, no continuity correction), the normal quantiles
from SciPy. Rerun with Debian's python3-scipy:

    /usr/bin/python3 funnel/testdata/samplesize/golden.py > funnel/testdata/samplesize/golden.csv
"""
import math
import sys

import scipy
from scipy.stats import norm

w = sys.stdout
w.write("# SciPy %s norm.ppf; n = ceil((za*sqrt(2 pbar qbar) + zb*sqrt(p1 q1 + p2 q2))^2 / (p2-p1)^2)\n" % scipy.__version__)
w.write("base,lift,alpha,power,n\n")
for base in (0.01, 0.05, 0.1, 0.3, 0.5, 0.8):
    for lift in (-0.2, -0.05, 0.02, 0.05, 0.1, 0.2):
        for alpha in (0.01, 0.05, 0.1):
            for power in (0.8, 0.9):
                p1, p2 = base, base * (1 + lift)
                if not 0 < p2 < 1:
                    continue
                za, zb = norm.ppf(1 - alpha / 2), norm.ppf(power)
                pbar = (p1 + p2) / 2
                num = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
                n = num * num / (p2 - p1) ** 2
                w.write("%r,%r,%r,%r,%d\n" % (base, lift, alpha, power, math.ceil(n - 1e-9)))
