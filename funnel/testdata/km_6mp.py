#!/usr/bin/python3
"""Recompute the Kaplan-Meier figures of TestKaplanMeierPublished with NumPy and SciPy.

The 6-MP arm of Freireich et al. (1963), weeks in remission (Gehan 1965): survival,
Greenwood's standard error and the log-log 95% band, rounded to four places as
survival texts print them. Run: /usr/bin/python3 funnel/testdata/km_6mp.py
"""
import numpy as np
from scipy.stats import norm

times = np.array([6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35])
event = np.array([1] * 9 + [0] * 12)
z = norm.ppf(0.975)
s, green = 1.0, 0.0
print("week at_risk events S SE lo hi")
for u in sorted(set(times[event == 1])):
    n = int((times >= u).sum())
    d = int(((times == u) & (event == 1)).sum())
    s *= 1 - d / n
    green += d / (n * (n - d))
    sigma = np.sqrt(green) / abs(np.log(s))
    ll = np.log(-np.log(s))
    lo, hi = np.exp(-np.exp(ll + z * sigma)), np.exp(-np.exp(ll - z * sigma))
    print(u, n, d, *(f"{v:.4f}" for v in (s, s * np.sqrt(green), lo, hi)))
