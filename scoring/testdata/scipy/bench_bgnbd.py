#!/usr/bin/python3
"""The SciPy peer of BenchmarkFitBGNBDCDNOW and BenchmarkFitBGNBD1M (BENCHMARKS.md).

Fits BG/NBD (Fader, Hardie & Lee 2005, eq. 6) by scipy.optimize.minimize with
L-BFGS-B and the analytic gradient of the log-likelihood in the log-parameters,
vectorised with NumPy over the customers (as lifetimes and most Python users do), on
the CDNOW calibration summary and on one million customers simulated from BG/NBD
(r 0.25, alpha 4, a 0.8, b 2.5, T uniform over a year in weeks, recency rounded down
to the day) like the Go benchmark's base. It prints the estimates and the best of
several timings of the fit alone, and of the fit with standard errors (the inverse of
a central-difference Hessian of the analytic gradient, as the Go fit computes them).

Run from the repository root with Debian's python3-scipy (never by .ci/run):

    /usr/bin/python3 scoring/testdata/scipy/bench_bgnbd.py
"""
import csv
import os
import sys
import time

import numpy as np
import scipy
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln

HERE = os.path.dirname(os.path.abspath(__file__))


def negll(u, x, tx, T):
    r, alpha, a, b = np.exp(u)
    n = len(x)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = betaln(a, b + x) - betaln(a, b)
    lT, lt = np.log(alpha + T), np.log(alpha + tx)
    A3 = -(r + x) * lT
    has = x > 0
    d = np.where(has, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * (lt - lT), -np.inf)
    ll = A1 + A2 + A3 + np.logaddexp(0, d)
    w = np.where(has, 1 / (1 + np.exp(-d)), 0.0)  # sigmoid(d): weight of the second term
    gr = digamma(r + x) - digamma(r) + np.log(alpha) - lT + w * (lT - lt)
    ga = r / alpha - (r + x) / (alpha + T) - w * (r + x) * (1 / (alpha + tx) - 1 / (alpha + T))
    gA = digamma(a + b) - digamma(a + b + x) + w / a
    gB = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x) - np.where(has, w / np.maximum(b + x - 1, 1e-300), 0)
    g = np.array([r * gr.sum(), alpha * ga.sum(), a * gA.sum(), b * gB.sum()])
    return -ll.sum() / n, -g / n


def fit(x, tx, T, rate):
    u0 = np.log([1, 1 / rate, 1, 1])
    res = minimize(negll, u0, args=(x, tx, T), jac=True, method="L-BFGS-B",
                   bounds=[(-18, 18)] * 4, options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 500})
    return res


def stderr(res, x, tx, T):
    u, h = res.x, 1e-5
    H = np.zeros((4, 4))
    for i in range(4):
        e = np.zeros(4)
        e[i] = h
        H[:, i] = (negll(u + e, x, tx, T)[1] - negll(u - e, x, tx, T)[1]) / (2 * h)
    H = (H + H.T) / 2 * len(x)
    return np.exp(u) * np.sqrt(np.diag(np.linalg.inv(H)))


def best(f, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def bench(name, x, tx, T, reps):
    rate = x.sum() / T.sum()
    t_fit, res = best(lambda: fit(x, tx, T, rate), reps)
    t_se, (res2, se) = best(lambda: (lambda r: (r, stderr(r, x, tx, T)))(fit(x, tx, T, rate)), reps)
    r, alpha, a, b = np.exp(res.x)
    print(f"{name}: {len(x)} customers; r {r:.4f} alpha {alpha:.4f} a {a:.4f} b {b:.4f} LL {-res.fun * len(x):.2f}; "
          f"{res.nit} iterations; fit {t_fit * 1e3:.1f} ms, fit with standard errors {t_se * 1e3:.1f} ms "
          f"(se {' '.join(f'{v:.4g}' for v in se)})")


def cdnow():
    x, tx, T = [], [], []
    with open(os.path.join(HERE, "..", "cdnow", "cdnow_customers_summary_with_transactions.csv")) as f:
        for row in csv.DictReader(f):
            x.append(float(row["x"]))
            tx.append(float(row["t_x"]))
            T.append(float(row["T"]))
    return np.array(x), np.array(tx), np.array(T)


def simulated(n, seed=1):
    rng = np.random.default_rng(seed)
    T = rng.integers(0, 365, n) / 7
    lam = rng.gamma(0.25, 1 / 4, n)
    p = rng.beta(0.8, 2.5, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    t = np.zeros(n)
    alive = np.ones(n, bool)
    while alive.any():
        idx = np.nonzero(alive)[0]
        t[idx] += rng.exponential(1, len(idx)) / lam[idx]
        past = t[idx] > T[idx]
        alive[idx[past]] = False
        buy = idx[~past]
        x[buy] += 1
        tx[buy] = t[buy]
        drop = rng.random(len(buy)) < p[buy]
        alive[buy[drop]] = False
    tx = np.floor(tx * 7) / 7
    tx = np.where((x > 0) & (tx == 0), 1 / 7, tx)
    return x, tx, T


if __name__ == "__main__":
    print(f"# SciPy {scipy.__version__}, NumPy {np.__version__}, Python {sys.version.split()[0]}")
    bench("CDNOW", *cdnow(), reps=20)
    bench("simulated 1M", *simulated(1_000_000), reps=3)
