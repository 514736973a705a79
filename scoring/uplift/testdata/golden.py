#!/usr/bin/python3
"""Expected uplift curves and figures for scoring/uplift's TestGolden.

Reads the campaigns testdata/{ties,distinct,small}.csv (written by
`go test -run TestGolden -update ./scoring/uplift/`) and writes testdata/golden.json.
The definitions are scikit-uplift's (sklift.metrics, version 0.5.1: uplift_curve,
qini_curve, perfect_uplift_curve, perfect_qini_curve, uplift_auc_score,
qini_auc_score, uplift_at_k, uplift_by_percentile), written here independently in
NumPy from their documented formulas (sklift itself is not installed); sklearn's auc
is the trapezoidal rule, np.trapz. Run with /usr/bin/python3 (NumPy) from the
package directory: python3 testdata/golden.py. spend_golden.py imports its curves.
"""
import json
import math

import numpy as np

np.seterr(all="ignore")  # an empty arm gives NaN, written as null


def num(v):
    v = float(v)
    return None if math.isnan(v) else v


def stable_cumsum(a):
    return np.cumsum(a, dtype=np.float64)


def ranked(y, score, t):
    order = np.argsort(score, kind="mergesort")[::-1]
    return y[order], score[order], t[order]


def cut_tallies(y, score, t):
    y, score, t = ranked(y, score, t)
    y_ctrl, y_trmnt = y.copy(), y.copy()
    y_ctrl[t == 1] = 0
    y_trmnt[t == 0] = 0
    distinct = np.where(np.diff(score))[0]
    thresholds = np.r_[distinct, score.size - 1]
    num_trmnt = stable_cumsum(t)[thresholds]
    y_trmnt = stable_cumsum(y_trmnt)[thresholds]
    num_all = thresholds + 1
    num_ctrl = num_all - num_trmnt
    y_ctrl = stable_cumsum(y_ctrl)[thresholds]
    return num_all.astype(np.float64), num_trmnt, num_ctrl, y_trmnt, y_ctrl


def start_at_zero(x, v):
    if x.size == 0 or v[0] != 0 or x[0] != 0:
        x, v = np.r_[0, x], np.r_[0, v]
    return x.astype(np.float64), v.astype(np.float64)


def div(a, b):
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b != 0)


def uplift_curve(y, score, t):
    n, nt, nc, yt, yc = cut_tallies(y, score, t)
    return start_at_zero(n, (div(yt, nt) - div(yc, nc)) * n)


def qini_curve(y, score, t):
    n, nt, nc, yt, yc = cut_tallies(y, score, t)
    return start_at_zero(n, yt - yc * div(nt, nc))


def auc(x, v):
    return float(np.sum(np.diff(x) * (v[1:] + v[:-1]) / 2.0))


def normalised(actual, perfect):
    xp, vp = perfect
    base = auc(np.array([0, xp[-1]]), np.array([0, vp[-1]]))
    return (auc(*actual) - base) / (auc(*perfect) - base)


def qini_auc_score(y, score, t):
    perfect = qini_curve(y, y * t - y * (1 - t), t)
    return normalised(qini_curve(y, score, t), perfect)


def uplift_auc_score(y, score, t):
    cr = np.sum((y == 1) & (t == 0))
    tn = np.sum((y == 0) & (t == 1))
    summand = y if cr > tn else t
    perfect = uplift_curve(y, 2 * (y == t) + summand, t)
    return normalised(uplift_curve(y, score, t), perfect)


def uplift_at_k(y, score, t, k):
    order = np.argsort(score, kind="mergesort")[::-1]
    n_size = int(len(y) * k)
    top_y, top_t = y[order][:n_size], t[order][:n_size]
    if not (top_t == 1).any() or not (top_t == 0).any():
        return None
    return num(top_y[top_t == 1].mean() - top_y[top_t == 0].mean())


def by_percentile(y, score, t, bins=10):
    order = np.argsort(score, kind="mergesort")[::-1]
    out = []
    for yb, tb, sb in zip(np.array_split(y[order], bins), np.array_split(t[order], bins),
                          np.array_split(score[order], bins)):
        nt, nc = int(np.sum(tb == 1)), int(np.sum(tb == 0))
        rt = yb[tb == 1].mean() if nt else math.nan
        rc = yb[tb == 0].mean() if nc else math.nan
        out.append({"Rows": len(yb), "Treated": nt, "Control": nc,
                    "Predicted": num(sb.mean()), "Observed": num(rt - rc),
                    "StdErr": num(np.sqrt(rt * (1 - rt) / nt + rc * (1 - rc) / nc)) if nt and nc else None})
    return out


def main():
    golden = {}
    for name in ["ties", "distinct", "small"]:
        d = np.genfromtxt(f"testdata/{name}.csv", delimiter=",", skip_header=1)
        score, t, y = d[:, 0], d[:, 1].astype(np.int64), d[:, 2].astype(np.int64)
        ux, uy = uplift_curve(y, score, t)
        qx, qy = qini_curve(y, score, t)
        golden[name] = {
            "UpliftX": ux.tolist(), "UpliftY": uy.tolist(), "QiniX": qx.tolist(), "QiniY": qy.tolist(),
            "QiniAUC": qini_auc_score(y, score, t), "UpliftAUC": uplift_auc_score(y, score, t),
            "UpliftAtK": {str(k): uplift_at_k(y, score, t, k) for k in (0.1, 0.3, 0.5)},
            "Bins": by_percentile(y, score, t),
        }
    with open("testdata/golden.json", "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
