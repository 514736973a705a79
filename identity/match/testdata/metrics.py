#!/usr/bin/python3
"""Writes metrics.golden.json: pairwise precision/recall/F1, B-cubed and the adjusted
Rand index of fake_1000_predicted.csv against fake_1000.csv's true clusters, computed
independently of the Go code with pandas and scikit-learn.

Run from identity/match/testdata with Debian's python3-pandas and python3-sklearn:
    /usr/bin/python3 metrics.py > metrics.golden.json
"""
import json

import pandas as pd
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.cluster import pair_confusion_matrix

truth = pd.read_csv("fake_1000.csv")["cluster"]
pred = pd.read_csv("fake_1000_predicted.csv").sort_values("unique_id")["predicted"]
df = pd.DataFrame({"t": truth.values, "p": pred.values})

# Pairwise, from the contingency table: sum over cells of C(n, 2).
c2 = lambda s: int((s * (s - 1) // 2).sum())
correct = c2(df.groupby(["t", "p"]).size())
true_pairs = c2(df.groupby("t").size())
pred_pairs = c2(df.groupby("p").size())
# scikit-learn's pair confusion matrix counts ordered pairs: a cross-check.
pcm = pair_confusion_matrix(df.t, df.p)
assert pcm[1, 1] == 2 * correct and pcm[1, 1] + pcm[1, 0] == 2 * true_pairs

precision, recall = correct / pred_pairs, correct / true_pairs

# B-cubed (Bagga & Baldwin 1998), record by record.
bp = br = 0.0
for t, p in zip(df.t, df.p):
    same_p = df.p == p
    same_t = df.t == t
    both = (same_p & same_t).sum()
    bp += both / same_p.sum()
    br += both / same_t.sum()
bp, br = bp / len(df), br / len(df)

print(json.dumps({
    "true_pairs": true_pairs, "predicted_pairs": pred_pairs, "correct_pairs": correct,
    "precision": precision, "recall": recall, "f1": 2 * precision * recall / (precision + recall),
    "bcubed_precision": bp, "bcubed_recall": br, "bcubed_f1": 2 * bp * br / (bp + br),
    "adjusted_rand": adjusted_rand_score(df.t, df.p),
}, indent=1))
