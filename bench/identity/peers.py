#!/usr/bin/python3
"""Peers of identity's bulk linking, on the benchmarks' own event stream.

    go test -run '^TestWriteStream$' ./identity -identity.write /tmp/stream.csv [-identity.events N]
    /usr/bin/python3 bench/identity/peers.py /tmp/stream.csv

Each line of the stream is one event, kind,value,kind,value. Two peers link them into
connected components, the profiles of a resolver without rules:

  scipy:     pandas factorises the identifiers (kind and value) into integer codes and
             SciPy's connected_components labels the graph of the events' pairs, the
             vectorised way a data team would do it;
  unionfind: a dict from identifier to parent, with path halving and union by size, one
             event at a time, as a Python service would.

They do less than identity.LinkSeq: no validation, normalisation, blocked values
("null" links everyone who sent it), limits, history or durability. The time of each is
its linking alone, after the CSV is read (the read is printed too); events/s is the
stream's events over that time. Each peer's count of components must equal the count of
profiles identity makes of the same stream without rules (TestWriteStream writes it
beside the stream): a differential check of both. Debian's python3-pandas and python3-scipy: use
/usr/bin/python3, not a pyenv python.
"""
import sys
import time

import numpy as np
import pandas as pd
import scipy
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def read(path):
    t0 = time.perf_counter()
    df = pd.read_csv(path, header=None, names=["k1", "v1", "k2", "v2"], dtype=str,
                     keep_default_na=False, engine="c")
    return df, time.perf_counter() - t0


def scipy_components(df):
    t0 = time.perf_counter()
    a = df["k1"] + "\x00" + df["v1"]
    b = df["k2"] + "\x00" + df["v2"]
    codes, uniques = pd.factorize(pd.concat([a, b], ignore_index=True))
    n = len(df)
    g = coo_matrix((np.ones(n, dtype=np.int8), (codes[:n], codes[n:])), shape=(len(uniques), len(uniques)))
    k, labels = connected_components(g, directed=False)
    return time.perf_counter() - t0, len(uniques), k


def unionfind(df):
    t0 = time.perf_counter()
    parent, size = {}, {}

    def find(x):
        p = parent.get(x)
        if p is None:
            parent[x], size[x] = x, 1
            return x
        while p != x:
            gp = parent[p]
            parent[x] = gp
            x, p = p, parent[gp]
        return x

    for k1, v1, k2, v2 in zip(df["k1"], df["v1"], df["k2"], df["v2"]):
        ra, rb = find((k1, v1)), find((k2, v2))
        if ra != rb:
            if size[ra] < size[rb]:
                ra, rb = rb, ra
            parent[rb] = ra
            size[ra] += size[rb]
    roots = sum(1 for x, p in parent.items() if x == p)
    return time.perf_counter() - t0, len(parent), roots


def main():
    df, tread = read(sys.argv[1])
    try:
        with open(sys.argv[1] + ".profiles") as f:
            want = int(f.read())  # identity's profiles without rules (TestWriteStream)
    except FileNotFoundError:
        want = None
    n = len(df)
    print(f"{n} events, read in {tread:.2f} s (pandas {pd.__version__}, scipy {scipy.__version__}, numpy {np.__version__})")
    for name, fn in [("scipy", scipy_components), ("unionfind", unionfind)]:
        best = None
        for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 2):
            t, ids, comps = fn(df)
            best = t if best is None else min(best, t)
            print(f"  {name:10s} {t:6.2f} s  {n / t / 1e6:5.2f} M events/s  ({ids} identifiers, {comps} components)")
            if want is not None and comps != want:
                sys.exit(f"{name}: {comps} components, but identity without rules made {want} profiles")
        print(f"{name:10s} best {n / best / 1e6:.2f} M events/s")


if __name__ == "__main__":
    main()
