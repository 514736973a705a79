#!/usr/bin/python3
"""Expected spend-uplift curves and figures for scoring/uplift's TestSpendGolden.

Reads testdata/spend.csv (score, treated, spend; written by
`go test -run TestSpendGolden -update ./scoring/uplift/`) and writes
testdata/spend_golden.json. The curves sum the outcome at each cut of the ranking as
sklift's uplift_curve and qini_curve do (they sum y_true, so spend works unchanged) and
as causalml's get_qini / get_cumgain do, so the curves, their normalisation and
uplift@k are golden.py's, imported. The Qini coefficient is sklift's qini_auc_score,
whose perfect curve is that of the score y*t - y*(1-t), defined for any outcome. AUUC
is normalised by the uplift curve of that same perfect score (sklift's
perfect_uplift_curve counts binary categories only). uplift@k and the bins are
differences of mean spend; a bin's standard error is sqrt(var_t/n_t + var_c/n_c) with
NumPy's population variance. NumPy 1.24.2; run from the package directory:
/usr/bin/python3 testdata/spend_golden.py
"""
import json
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in testdata
from golden import normalised, num, qini_curve, uplift_at_k, uplift_curve  # noqa: E402

np.seterr(all="ignore")


def bins(y, score, t, parts=10):
    order = np.argsort(score, kind="mergesort")[::-1]
    out = []
    for yb, tb, sb in zip(*(np.array_split(a[order], parts) for a in (y, t, score))):
        a, b = yb[tb == 1], yb[tb == 0]
        both = len(a) and len(b)
        out.append({"Rows": len(yb), "Treated": len(a), "Control": len(b), "Predicted": num(sb.mean()),
                    "Observed": num(a.mean() - b.mean()) if both else None,
                    "StdErr": num(np.sqrt(a.var() / len(a) + b.var() / len(b))) if both else None})
    return out


d = np.genfromtxt("testdata/spend.csv", delimiter=",", skip_header=1)
score, t, y = d[:, 0], d[:, 1].astype(np.int64), d[:, 2]
perfect = y * t - y * (1 - t)
ux, uy = uplift_curve(y, score, t)
qx, qy = qini_curve(y, score, t)
golden = {
    "UpliftX": ux.tolist(), "UpliftY": uy.tolist(), "QiniX": qx.tolist(), "QiniY": qy.tolist(),
    "QiniAUC": normalised((qx, qy), qini_curve(y, perfect, t)),
    "UpliftAUC": normalised((ux, uy), uplift_curve(y, perfect, t)),
    "UpliftAtK": {str(k): uplift_at_k(y, score, t, k) for k in (0.1, 0.3, 0.5)},
    "Bins": bins(y, score, t),
}
with open("testdata/spend_golden.json", "w") as f:
    json.dump(golden, f, indent=1)
    f.write("\n")
