#!/usr/bin/python3
"""Golden removal effects and credits for attribution.Markov, computed independently.

For random sets of journeys this script builds the absorbing Markov chain with
ChannelAttribution's conventions (start state, conversion and null states, weights from
journey counts, sliding windows of k touches for order k, a journey shorter than k as one
state, consecutive repeated states collapsed) and solves it with the dense fundamental
matrix N = (I - Q)^-1 (Kemeny & Snell): P(conversion) = start . N . r. A channel's removal
effect is 1 - P'(conversion)/P(conversion), where P' deletes every state holding the
channel (rows and columns), which redirects their inflow to null. Value uses r scaled by
the mean conversion value of journeys ending in each state.

This shares no code with the Go solver (which condenses strongly connected components
and factorises each), so agreement to 1e-9 is a real check.

Run from the repository root:  /usr/bin/python3 referral/attribution/testdata/markov_golden.py
(Debian's python3 with numpy; it writes referral/attribution/testdata/markov_golden.json).
"""
import json
import os
import random

import numpy as np


def states_of(path, k):
    """The collapsed state sequence of one journey, states as tuples."""
    if len(path) <= k:
        seq = [tuple(path)]
    else:
        seq = [tuple(path[w:w + k]) for w in range(len(path) - k + 1)]
    out = []
    for s in seq:
        if not out or out[-1] != s:
            out.append(s)
    return out


def solve(paths, k):
    index = {}
    trans = {}
    start = {}
    conv = {}
    null = {}
    val = {}
    for p in paths:
        w = p["conversions"] + p["nulls"]
        if w == 0:
            continue
        seq = states_of(p["touches"], k)
        for s in seq:
            index.setdefault(s, len(index))
        start[seq[0]] = start.get(seq[0], 0.0) + w
        for a, b in zip(seq, seq[1:]):
            trans[(a, b)] = trans.get((a, b), 0.0) + w
        e = seq[-1]
        conv[e] = conv.get(e, 0.0) + p["conversions"]
        null[e] = null.get(e, 0.0) + p["nulls"]
        val[e] = val.get(e, 0.0) + p["value"]
    n = len(index)
    Q = np.zeros((n, n))
    r = np.zeros(n)
    rv = np.zeros(n)
    s0 = np.zeros(n)
    for (a, b), w in trans.items():
        Q[index[a], index[b]] += w
    for s, i in index.items():
        r[i] = conv.get(s, 0.0)
        rv[i] = val.get(s, 0.0)
    total = Q.sum(axis=1) + r + np.array([null.get(s, 0.0) for s in sorted(index, key=index.get)])
    Q = Q / total[:, None]
    r = r / total
    rv = rv / total
    tot0 = sum(start.values())
    for s, w in start.items():
        s0[index[s]] = w / tot0

    def absorb(keep):
        idx = [i for s, i in index.items() if keep(s)]
        if not idx:
            return 0.0, 0.0
        Qk = Q[np.ix_(idx, idx)]
        N = np.linalg.inv(np.eye(len(idx)) - Qk)
        return float(s0[idx] @ N @ r[idx]), float(s0[idx] @ N @ rv[idx])

    base_c, base_v = absorb(lambda s: True)
    channels = sorted({c for p in paths for c in p["touches"]})
    re = {}
    for c in channels:
        pc, pv = absorb(lambda s: c not in s)
        re[c] = [
            1 - pc / base_c if base_c > 0 else 0.0,
            1 - pv / base_v if base_v > 0 else 0.0,
        ]
        if not any(c in s for s in index):
            re[c] = [0.0, 0.0]
    sc = sum(x[0] for x in re.values())
    sv = sum(x[1] for x in re.values())
    total_c = sum(p["conversions"] for p in paths)
    total_v = sum(p["value"] for p in paths)
    credit = {c: [total_c * x[0] / sc if sc > 0 else 0.0, total_v * x[1] / sv if sv > 0 else 0.0]
              for c, x in re.items()}
    return re, credit, n


def random_paths(rng, nchan, npaths, maxlen, repeats):
    chans = ["c%d" % i for i in range(nchan)]
    paths = []
    seen = set()
    tries = 0
    while len(paths) < npaths and tries < 50 * npaths:
        tries += 1
        ln = rng.randint(1, maxlen)
        t = []
        for _ in range(ln):
            if repeats and t and rng.random() < 0.3:
                t.append(t[-1])
            else:
                t.append(rng.choice(chans))
        key = tuple(t)
        if key in seen:
            continue
        seen.add(key)
        conv = rng.choice([0, 0, 1, 2, 5])
        nulls = rng.choice([0, 1, 3, 10])
        if conv + nulls == 0:
            nulls = 1
        value = round(conv * rng.uniform(5, 100), 2) if conv else 0.0
        paths.append({"touches": t, "conversions": conv, "nulls": nulls, "value": value})
    return paths


def main():
    rng = random.Random(20261123)
    cases = []
    # The hand-worked example of the Go test comment, then random sets of every order.
    hand = [
        {"touches": ["C1", "C2", "C3"], "conversions": 1, "nulls": 0, "value": 10.0},
        {"touches": ["C1"], "conversions": 0, "nulls": 1, "value": 0.0},
        {"touches": ["C2", "C3"], "conversions": 0, "nulls": 1, "value": 0.0},
    ]
    specs = [(hand, 1)]
    for order in (1, 2, 3, 4):
        for _ in range(6):
            nchan = rng.randint(2, 7)
            paths = random_paths(rng, nchan, rng.randint(3, 40), rng.randint(1, 7), rng.random() < 0.6)
            specs.append((paths, order))
    for paths, order in specs:
        re, credit, nstates = solve(paths, order)
        cases.append({"order": order, "states": nstates, "paths": paths,
                      "removal_effects": re, "credits": credit})
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "markov_golden.json")
    with open(out, "w") as f:
        json.dump({"generator": "markov_golden.py", "numpy": np.__version__, "cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %d cases to %s" % (len(cases), out))


if __name__ == "__main__":
    main()
