"""Golden values for the shifted-beta-geometric (sBG) model, computed with SciPy from
the definitions in Fader & Hardie (2007), "How to project customer retention", Journal
of Interactive Marketing 21(1), and Fader & Hardie (2010), "Customer-base valuation in a
contractual setting: the perils of ignoring heterogeneity", Marketing Science 29(1).

Deliberately not the closed forms the Go code evaluates (beta functions, 2F1):

  * P(T = t) by the paper's forward recursion (eq. 3):
        P(T=1) = gamma/(gamma+delta),
        P(T=t) = (delta+t-2)/(gamma+delta+t-1) * P(T=t-1);
  * S(t) = 1 - sum_{i<=t} P(T=i);
  * the log-likelihood of a cohort's survivor counts n_0..n_k (eq. 5):
        sum_t (n_{t-1} - n_t) log P(T=t) + n_k log S(k),
    maximised with scipy.optimize.minimize (Nelder-Mead, then BFGS polish);
  * the retention rate r(t) = S(t)/S(t-1);
  * DERL(d, n renewals) = sum_{t >= n+1} S(t)/S(n) / (1+d)^(t-n-1), summed directly
    until the terms fall below 1e-17.

Output rows (CSV): cohort,quantity,index,value
  quantity: gamma, delta, loglik (index 0), survival (index t), retention (index t),
  derl_d10 (index = renewals; d = 0.10). Published estimates (Fader & Hardie 2007,
  p. 80): regular gamma = 0.704, delta = 1.182; high end gamma = 0.668, delta = 3.806.
"""
import math
import sys

import numpy as np
import scipy
from scipy.optimize import minimize

COHORTS = {
    "regular": [1000, 631, 468, 382, 326, 289, 262, 241],
    "highend": [1000, 869, 743, 653, 593, 551, 517, 491],
}


def churn_probs(g, d, k):
    p = [g / (g + d)]
    for t in range(2, k + 1):
        p.append(p[-1] * (d + t - 2) / (g + d + t - 1))
    return p


def survival(g, d, k):
    p = churn_probs(g, d, k)
    s = [1.0]
    for t in range(1, k + 1):
        s.append(s[-1] - p[t - 1])
    return s


def loglik(g, d, n):
    k = len(n) - 1
    p = churn_probs(g, d, k)
    s = survival(g, d, k)
    ll = sum((n[t - 1] - n[t]) * math.log(p[t - 1]) for t in range(1, k + 1))
    return ll + n[k] * math.log(s[k])


def fit(n):
    f = lambda u: -loglik(math.exp(u[0]), math.exp(u[1]), n)
    r = minimize(f, [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-13, "maxiter": 20000})
    r = minimize(f, r.x, method="BFGS", options={"gtol": 1e-10})
    return math.exp(r.x[0]), math.exp(r.x[1]), -r.fun


def derl(g, d, renewals, disc):
    # S(t)/S(n) for t = n+1, n+2, ... by the retention rates, which avoid the
    # cancellation of 1 - sum P at large t: S(t)/S(t-1) = (d+t-1)/(g+d+t-1).
    n = renewals
    total, cond, t = 0.0, 1.0, n
    while True:
        t += 1
        cond *= (d + t - 1) / (g + d + t - 1)
        term = cond / (1 + disc) ** (t - n - 1)
        total += term
        if term < 1e-17:
            return total


def main():
    w = sys.stdout.write
    w("# scipy %s numpy %s\n" % (scipy.__version__, np.__version__))
    w("cohort,quantity,index,value\n")
    for name, n in COHORTS.items():
        g, d, ll = fit(n)
        w("%s,gamma,0,%.12g\n" % (name, g))
        w("%s,delta,0,%.12g\n" % (name, d))
        w("%s,loglik,0,%.12g\n" % (name, ll))
        s = survival(g, d, 12)
        for t in range(1, 13):
            w("%s,survival,%d,%.12g\n" % (name, t, s[t]))
            w("%s,retention,%d,%.12g\n" % (name, t, s[t] / s[t - 1]))
        for r in range(0, 5):
            w("%s,derl_d10,%d,%.12g\n" % (name, r, derl(g, d, r, 0.10)))


main()
