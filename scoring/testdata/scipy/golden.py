#!/usr/bin/python3
"""Writes golden.csv: values the Go package is checked against, computed with SciPy
from the models' definitions rather than from the closed forms the Go code uses.

    /usr/bin/python3 scoring/testdata/scipy/golden.py > scoring/testdata/scipy/golden.csv

Rows are kind,a,b,c,d,e,f,value; the columns' meaning depends on kind:

hyp2f1      a b c z - -          scipy.special.hyp2f1(a, b, c, z) at the arguments the
                                 Pareto/NBD likelihood uses on CDNOW (both branches)
pnbd_ll     set x t_x T - -      Pareto/NBD log-likelihood of one customer by quadrature
                                 over the lifetime tau (no 2F1)
bgnbd_exp   x t_x T t -          BG/NBD E[X(T,T+t) | x,t_x,T] by quadrature over p
bgnbd_alive x t_x T - -          BG/NBD P(alive | x,t_x,T) by quadrature over p
bgnbd_pmf   t n - - -            BG/NBD P(X(t)=n) for a new customer by quadrature over p
pnbd_exp    set x t_x T t        Pareto/NBD E[X(T,T+t) | x,t_x,T] by quadrature over tau
pnbd_alive  set x t_x T -        Pareto/NBD P(alive | x,t_x,T) by quadrature over tau
pnbd_pmf    set t n - -          Pareto/NBD P(X(t)=n) for a new customer by quadrature
mle         model i - - -        maximum-likelihood estimate of parameter i on CDNOW
                                 (scipy.optimize, log-parameters, Nelder-Mead then BFGS)
se          model i - - -        its standard error from a central-difference Hessian
loglik      model - - - -        the maximised log-likelihood
track       t - - - - -          BG/NBD (published CDNOW estimates) expected cumulative repeat
                                 purchases of the CDNOW base by week t in calendar time,
                                 births at 38.86 - T: the sum of E[X(t - birth)], each by
                                 quadrature over p of (1/p)(1 - (alpha/(alpha+pt))^r)
penmle      model c i - -        estimate of parameter i maximising LL/n - c·Σθ², the
                                 objective of lifetimes' penalizer_coef (same optimiser)
penll       model c - - -        the unpenalised log-likelihood at that estimate

Parameter sets: BG/NBD at the published CDNOW estimates (r, alpha, a, b) =
(0.243, 4.414, 0.793, 2.426); Pareto/NBD set 0 at the published (0.55, 10.58, 0.61,
11.67) (alpha < beta) and set 1 at (0.55, 15.0, 0.61, 11.67) (alpha >= beta).
"""
import csv
import math
import os
import sys

import numpy as np
import scipy
from scipy import integrate, optimize, special, stats

HERE = os.path.dirname(os.path.abspath(__file__))
BG = (0.243, 4.414, 0.793, 2.426)
PNBD = [(0.55, 10.58, 0.61, 11.67), (0.55, 15.0, 0.61, 11.67)]


def load_cdnow():
    rows = []
    with open(os.path.join(HERE, "..", "cdnow", "cdnow_customers_summary_with_transactions.csv")) as f:
        for rec in csv.DictReader(f):
            rows.append((int(rec["x"]), float(rec["t_x"]), float(rec["T"])))
    return rows


def quad(f, lo, hi):
    v, _ = integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-12, limit=500)
    return v


def beta_quad(f, a, b):
    """E[f(p)] for p ~ Beta(a, b), splitting at 1/2 so quad sees one endpoint each."""
    dens = lambda p: math.exp((a - 1) * math.log(p) + (b - 1) * math.log1p(-p) - special.betaln(a, b))
    g = lambda p: f(p) * dens(p)
    return quad(g, 0, 0.5) + quad(g, 0.5, 1)


def gamma_moment(r, alpha, x, y):
    """E[lambda^x exp(-lambda y)] for lambda ~ Gamma(r, alpha)."""
    return math.exp(special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha) - (r + x) * math.log(alpha + y))


def bgnbd_conditional(x, tx, T, t):
    r, alpha, a, b = BG
    GT, Gtx = gamma_moment(r, alpha, x, T), gamma_moment(r, alpha, x, tx)
    alive = beta_quad(lambda p: (1 - p) ** x * GT, a, b)
    dead = beta_quad(lambda p: p * (1 - p) ** (x - 1) * Gtx, a, b) if x > 0 else 0.0
    # Alive at T, a customer with (lambda, p) makes (1 - exp(-lambda p t))/p purchases
    # on average in the next t (Fader, Hardie & Lee 2005, eq. 7).
    future = beta_quad(lambda p: (1 - p) ** x * (GT - gamma_moment(r, alpha, x, T + p * t)) / p, a, b)
    return future / (alive + dead), alive / (alive + dead)


def nbd_pmf(r, alpha, t, n):
    return math.exp(special.gammaln(r + n) - special.gammaln(r) - special.gammaln(n + 1)
                    + r * math.log(alpha / (alpha + t)) + n * math.log(t / (alpha + t)))


def bgnbd_pmf(t, n):
    r, alpha, a, b = BG
    nb = nbd_pmf(r, alpha, t, n)
    tail = 1 - sum(nbd_pmf(r, alpha, t, j) for j in range(n))
    if n == 0:
        return beta_quad(lambda p: nb, a, b)
    return beta_quad(lambda p: (1 - p) ** n * nb + p * (1 - p) ** (n - 1) * tail, a, b)


def lifetime(s, beta):
    surv = lambda tau: (beta / (beta + tau)) ** s
    dens = lambda tau: s / beta * (beta / (beta + tau)) ** (s + 1)
    return surv, dens


def pnbd_parts(params, x, tx, T):
    r, alpha, s, beta = params
    surv, dens = lifetime(s, beta)
    alive = gamma_moment(r, alpha, x, T) * surv(T)
    dead = quad(lambda tau: gamma_moment(r, alpha, x, tau) * dens(tau), tx, T) if T > tx else 0.0
    return alive, dead


def pnbd_conditional(params, x, tx, T, t):
    r, alpha, s, beta = params
    surv, _ = lifetime(s, beta)
    alive, dead = pnbd_parts(params, x, tx, T)
    # Alive at T, expected future purchases are lambda times the expected time alive in
    # (T, T+t], which is the integral of the survival function.
    future = gamma_moment(r, alpha, x + 1, T) * quad(surv, T, T + t)
    return future / (alive + dead), alive / (alive + dead)


def pnbd_pmf(params, t, n):
    r, alpha, s, beta = params
    surv, dens = lifetime(s, beta)
    nb = lambda tau: nbd_pmf(r, alpha, tau, n) if tau > 0 else float(n == 0)
    return surv(t) * nb(t) + quad(lambda tau: nb(tau) * dens(tau), 0, t)


def bgnbd_loglik(theta, data):
    r, alpha, a, b = theta
    x, tx, T = data
    ll = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
          + special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T))
    second = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx) + (r + x) * np.log(alpha + T), -np.inf)
    return np.sum(ll + np.logaddexp(0, second))


def pnbd_loglik(theta, data):
    r, alpha, s, beta = theta
    x, tx, T = data
    rsx = r + s + x
    if alpha >= beta:
        f = lambda y: np.log(special.hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + y))) - rsx * np.log(alpha + y)
    else:
        f = lambda y: np.log(special.hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + y))) - rsx * np.log(beta + y)
    u, v = f(tx), f(T)
    with np.errstate(divide="ignore"):
        logA0 = u + np.log1p(-np.exp(v - u))
    first = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    second = np.log(s / rsx) + logA0
    return np.sum(special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(first, second))


def fit(loglik, data, start):
    nll = lambda u: -loglik(np.exp(u), data)
    u = optimize.minimize(nll, np.log(start), method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000, "maxfev": 40000}).x
    u = optimize.minimize(nll, u, method="BFGS", options={"gtol": 1e-9}).x
    # Central-difference Hessian of log L in the log-parameters, then the delta method.
    h, k = 1e-4, len(u)
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            H[i, j] = -(nll(u + ei + ej) - nll(u + ei - ej) - nll(u - ei + ej) + nll(u - ei - ej)) / (4 * h * h)
    cov = np.linalg.inv(-H)
    theta = np.exp(u)
    return theta, theta * np.sqrt(np.diag(cov)), loglik(theta, data)


def bgnbd_expected_new(t):
    r, alpha, a, b = BG
    return beta_quad(lambda p: (1 - (alpha / (alpha + p * t)) ** r) / p, a, b)


def fit_penalised(loglik, data, start, c):
    n = len(data[0])
    obj = lambda u: -loglik(np.exp(u), data) / n + c * np.sum(np.exp(2 * u))
    u = optimize.minimize(obj, np.log(start), method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000}).x
    u = optimize.minimize(obj, u, method="BFGS", options={"gtol": 1e-10}).x
    theta = np.exp(u)
    return theta, loglik(theta, data)


def main():
    cdnow = load_cdnow()
    w = sys.stdout
    w.write("# SciPy %s, NumPy %s: see golden.py for what each kind means\n" % (scipy.__version__, np.__version__))
    w.write("kind,a,b,c,d,e,f,value\n")

    def out(kind, args, value):
        cols = [repr(float(v)) for v in args] + [""] * (6 - len(args))
        w.write("%s,%s,%r\n" % (kind, ",".join(cols), float(value)))

    # The 2F1 values of the Pareto/NBD likelihood at every distinct (x, y) of CDNOW.
    points = sorted({(x, y) for x, tx, T in cdnow for y in (tx, T)})
    for params in PNBD:
        r, alpha, s, beta = params
        for x, y in points:
            rsx = r + s + x
            if alpha >= beta:
                a, b, c, z = rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + y)
            else:
                a, b, c, z = rsx, r + x, rsx + 1, (beta - alpha) / (beta + y)
            out("hyp2f1", (a, b, c, z), special.hyp2f1(a, b, c, z))

    sample = cdnow[:12] + [max(cdnow)] + [(1, 0.14, 38.86), (0, 0.0, 27.0), (15, 37.0, 38.0), (4, 2.0, 36.0)]
    for si, params in enumerate(PNBD):
        for x, tx, T in sample:
            alive, dead = pnbd_parts(params, x, tx, T)
            out("pnbd_ll", (si, x, tx, T), math.log(alive + dead))
            for t in (13.0, 39.0):
                e, pa = pnbd_conditional(params, x, tx, T, t)
                out("pnbd_exp", (si, x, tx, T, t), e)
            out("pnbd_alive", (si, x, tx, T), pa)
        for t in (1.0, 39.0, 200.0):
            for n in range(0, 8):
                out("pnbd_pmf", (si, t, n), pnbd_pmf(params, t, n))
    for x, tx, T in sample:
        for t in (13.0, 39.0):
            e, pa = bgnbd_conditional(x, tx, T, t)
            out("bgnbd_exp", (x, tx, T, t), e)
        out("bgnbd_alive", (x, tx, T), pa)
    for t in (1.0, 39.0, 200.0):
        for n in range(0, 8):
            out("bgnbd_pmf", (t, n), bgnbd_pmf(t, n))

    data = tuple(np.array(col, dtype=float) for col in zip(*cdnow))
    for name, loglik, start in (("bgnbd", bgnbd_loglik, [0.5, 5, 1, 2]), ("pnbd", pnbd_loglik, [0.5, 10, 0.5, 10])):
        theta, se, ll = fit(loglik, data, start)
        for i in range(4):
            out("mle", (0 if name == "bgnbd" else 1, i), theta[i])
            out("se", (0 if name == "bgnbd" else 1, i), se[i])
        out("loglik", (0 if name == "bgnbd" else 1,), ll)
    births = {}
    for x, tx, T in cdnow:
        b = round(38.86 - T, 10)
        births[b] = births.get(b, 0) + 1
    for t in (13.0, 26.0, 39.0, 52.0, 65.0, 78.0):
        out("track", (t,), sum(w * bgnbd_expected_new(t - b) for b, w in births.items() if t > b))
    for c in (0.01, 0.1):
        theta, ll = fit_penalised(bgnbd_loglik, data, [0.5, 5, 1, 2], c)
        for i in range(4):
            out("penmle", (0, c, i), theta[i])
        out("penll", (0, c), ll)


if __name__ == "__main__":
    main()
