#!/usr/bin/python3
"""Writes jaro_winkler.golden: jellyfish's Jaro-Winkler similarity of name pairs from
fake_1000.csv, the peer the Go comparator is checked against.

Run from identity/match/testdata with Debian's python3-jellyfish:
    /usr/bin/python3 jaro_winkler.py > jaro_winkler.golden
"""
import csv
import random

import jellyfish

names = set()
with open("fake_1000.csv", newline="") as f:
    for row in csv.DictReader(f):
        for col in ("first_name", "surname", "email"):
            v = " ".join(row[col].lower().split())
            if v:
                names.add(v)
names = sorted(names)
rng = random.Random(18)
pairs = [(a, a[:1] + a[2:3] + a[1:2] + a[3:]) for a in names[:100]]  # transpositions
pairs += [tuple(rng.sample(names, 2)) for _ in range(400)]
for a, b in pairs:
    print(f"{a}\t{b}\t{jellyfish.jaro_winkler_similarity(a, b)!r}")
