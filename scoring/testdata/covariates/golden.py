"""Golden values for BG/NBD and Pareto/NBD with time-invariant covariates, written with
SciPy from the models' definitions, independently of the Go code.

Covariate form (CLVTools; Bachmann, Meierer & Naf 2021; Fader & Hardie 2007, "Incorporating
time-invariant covariates into the Pareto/NBD and BG/NBD models"):
    BG/NBD:     alpha_i = alpha exp(-gp.zp),  a_i = a exp(gd.zd),  b_i = b exp(gd.zd)
    Pareto/NBD: alpha_i = alpha exp(-gp.zp),  beta_i = beta exp(-gd.zd)
with purchase covariates zp = (z1, z2) and dropout covariates zd = (z1,), z1 ~
Bernoulli(0.5), z2 ~ N(0, 1).

The script
  1. simulates 1,000 customers of each model from its story (exponential purchase gaps
     at rate lambda ~ Gamma(r, alpha_i); BG/NBD: dropout with probability p ~ Beta(a_i,
     b_i) after each repeat purchase; Pareto/NBD: an exponential lifetime at rate mu ~
     Gamma(s, beta_i)) with ages T uniform in [26, 78] weeks, and writes them to
     bgnbd.csv and pareto.csv (x, t_x, T, z1, z2);
  2. evaluates each customer's likelihood in the papers' closed forms (Fader, Hardie &
     Lee 2005, eq. 6, with B(a+1, b+x-1); Fader & Hardie 2005 note, eqs. 22-24, with
     scipy.special.hyp2f1) and checks them on 12 customers against two-dimensional
     numerical integration of the conditional likelihood over (lambda, p) or
     (lambda, mu) with scipy.integrate.dblquad;
  3. writes the total log-likelihood at the true parameters (loglik_true) and the
     maximum-likelihood estimates and log-likelihood found by scipy.optimize.minimize
     (BFGS on the log-parameters and effects, from the truth, then Nelder-Mead polish).

Output rows of golden.csv: model,quantity,value; quantity is a parameter name, loglik
or loglik_true.
"""
import math
import sys

import numpy as np
import scipy
from scipy import integrate, optimize, special

N = 1000
TRUE = {
    "bgnbd": dict(r=0.6, alpha=6.0, a=0.8, b=2.5, gp=(0.6, -0.3), gd=(0.5,)),
    "pareto": dict(r=0.55, alpha=10.0, s=0.6, beta=12.0, gp=(0.6, -0.3), gd=(0.5,)),
}
NAMES = {
    "bgnbd": ["r", "alpha", "a", "b", "purchase0", "purchase1", "dropout0"],
    "pareto": ["r", "alpha", "s", "beta", "purchase0", "purchase1", "dropout0"],
}


def simulate(model, rng):
    t = TRUE[model]
    rows = []
    for _ in range(N):
        z1 = float(rng.random() < 0.5)
        z2 = rng.normal()
        T = 26 + 52 * rng.random()
        alpha_i = t["alpha"] * math.exp(-(t["gp"][0] * z1 + t["gp"][1] * z2))
        lam = rng.gamma(t["r"], 1 / alpha_i)
        x, tx, clock = 0, 0.0, 0.0
        if model == "bgnbd":
            e = math.exp(t["gd"][0] * z1)
            p = rng.beta(t["a"] * e, t["b"] * e)
            while True:
                clock += rng.exponential(1 / lam)
                if clock > T:
                    break
                x, tx = x + 1, clock
                if rng.random() < p:
                    break
        else:
            beta_i = t["beta"] * math.exp(-t["gd"][0] * z1)
            mu = rng.gamma(t["s"], 1 / beta_i)
            end = min(rng.exponential(1 / mu), T)
            while True:
                clock += rng.exponential(1 / lam)
                if clock > end:
                    break
                x, tx = x + 1, clock
        rows.append((x, tx, T, z1, z2))
    return np.array(rows)


def individual(model, params, x, tx, T, z1, z2):
    """Per-customer likelihoods (not logs) from the closed forms."""
    if model == "bgnbd":
        r, alpha, a, b, gp0, gp1, gd0 = params
        al = alpha * np.exp(-(gp0 * z1 + gp1 * z2))
        e = np.exp(gd0 * z1)
        ai, bi = a * e, b * e
        common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(al)
        t1 = special.betaln(ai, bi + x) - special.betaln(ai, bi) + common - (r + x) * np.log(al + T)
        with np.errstate(invalid="ignore", divide="ignore"):
            t2 = special.betaln(ai + 1, bi + x - 1) - special.betaln(ai, bi) + common - (r + x) * np.log(al + tx)
        t2 = np.where(x > 0, t2, -np.inf)
        return np.logaddexp(t1, t2)
    r, alpha, s, beta, gp0, gp1, gd0 = params
    al = alpha * np.exp(-(gp0 * z1 + gp1 * z2))
    be = beta * np.exp(-gd0 * z1)
    rsx = r + s + x
    big = al >= be
    mx = np.where(big, al, be)
    b2 = np.where(big, s + 1, r + x)
    zt = np.where(big, (al - be) / (al + tx), (be - al) / (be + tx))
    zT = np.where(big, (al - be) / (al + T), (be - al) / (be + T))
    a0 = special.hyp2f1(rsx, b2, rsx + 1, zt) / (mx + tx) ** rsx - special.hyp2f1(rsx, b2, rsx + 1, zT) / (mx + T) ** rsx
    lead = special.gammaln(r + x) + r * np.log(al) + s * np.log(be) - special.gammaln(r)
    inner = 1 / ((al + T) ** (r + x) * (be + T) ** s) + s / rsx * a0
    return lead + np.log(inner)


def by_integration(model, params, x, tx, T, z1, z2):
    """One customer's likelihood by integrating the conditional likelihood over the
    latent rate and dropout probability (or rate)."""
    if model == "bgnbd":
        r, alpha, a, b, gp0, gp1, gd0 = params
        al = alpha * math.exp(-(gp0 * z1 + gp1 * z2))
        e = math.exp(gd0 * z1)
        ai, bi = a * e, b * e

        def f(p, lam):
            cond = (1 - p) ** x * lam ** x * math.exp(-lam * T)
            if x > 0:
                cond += p * (1 - p) ** (x - 1) * lam ** x * math.exp(-lam * tx)
            return cond * math.exp((r - 1) * math.log(lam) - al * lam + r * math.log(al) - special.gammaln(r)) * \
                math.exp((ai - 1) * math.log(p) + (bi - 1) * math.log1p(-p) - special.betaln(ai, bi))

        v, _ = integrate.dblquad(f, 0, np.inf, 0, 1, epsabs=1e-300, epsrel=1e-10)
        return math.log(v)
    r, alpha, s, beta, gp0, gp1, gd0 = params
    al = alpha * math.exp(-(gp0 * z1 + gp1 * z2))
    be = beta * math.exp(-gd0 * z1)

    def f(mu, lam):
        cond = lam ** x * math.exp(-(lam + mu) * T) + lam ** x * mu / (lam + mu) * (math.exp(-(lam + mu) * tx) - math.exp(-(lam + mu) * T))
        return cond * math.exp((r - 1) * math.log(lam) - al * lam + r * math.log(al) - special.gammaln(r)) * \
            math.exp((s - 1) * math.log(mu) - be * mu + s * math.log(be) - special.gammaln(s))

    v, _ = integrate.dblquad(f, 0, np.inf, 0, np.inf, epsabs=1e-300, epsrel=1e-10)
    return math.log(v)


def to_vector(model):
    t = TRUE[model]
    base = [t["r"], t["alpha"], t["a"], t["b"]] if model == "bgnbd" else [t["r"], t["alpha"], t["s"], t["beta"]]
    return base + list(t["gp"]) + list(t["gd"])


def main():
    rng = np.random.default_rng(20261203)
    out = ["# scipy %s numpy %s" % (scipy.__version__, np.__version__), "model,quantity,value"]
    for model in ("bgnbd", "pareto"):
        data = simulate(model, rng)
        with open(sys.argv[1] + "/" + model + ".csv", "w") as f:
            f.write("x,tx,T,z1,z2\n")
            for x, tx, T, z1, z2 in data:
                f.write("%d,%.17g,%.17g,%d,%.17g\n" % (x, tx, T, z1, z2))
        x, tx, T, z1, z2 = data.T
        truth = to_vector(model)
        # The closed form against integration, on a few customers of each kind.
        for i in list(np.where(x == 0)[0][:4]) + list(np.where(x > 0)[0][:8]):
            cf = individual(model, truth, x[i:i + 1], tx[i:i + 1], T[i:i + 1], z1[i:i + 1], z2[i:i + 1])[0]
            ig = by_integration(model, truth, x[i], tx[i], T[i], z1[i], z2[i])
            assert abs(cf - ig) < 1e-6 * max(1, abs(cf)), (model, i, cf, ig)

        def nll(u):
            p = list(np.exp(u[:4])) + list(u[4:])
            v = -np.sum(individual(model, p, x, tx, T, z1, z2))
            return v if np.isfinite(v) else 1e300

        u0 = np.array(list(np.log(truth[:4])) + truth[4:])
        res = optimize.minimize(nll, u0, method="BFGS", options={"gtol": 1e-9})
        res = optimize.minimize(nll, res.x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 40000, "maxfev": 40000})
        res = optimize.minimize(nll, res.x, method="BFGS", options={"gtol": 1e-10})
        est = list(np.exp(res.x[:4])) + list(res.x[4:])
        for name, v in zip(NAMES[model], est):
            out.append("%s,%s,%.12g" % (model, name, v))
        out.append("%s,loglik,%.12g" % (model, -res.fun))
        out.append("%s,loglik_true,%.12g" % (model, -nll(u0)))
    with open(sys.argv[1] + "/golden.csv", "w") as f:
        f.write("\n".join(out) + "\n")


main()
