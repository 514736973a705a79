#!/usr/bin/python3
"""Golden connected components for identity's differential test.

Writes components.golden: random events (each a list of identifiers seen together) and
the connected components networkx finds in the graph they make, where an event links
each of its identifiers to its first. With no rules (identity.Rules{}), the resolver's
profiles must be exactly these components.

Rerun from this directory with Debian's Python, which has networkx:

    /usr/bin/python3 components.py > components.golden
"""
import random
import sys

import networkx as nx


def case(rng, nodes, events, max_size):
    kinds = ["user_id", "email", "device_id", "x"]
    names = {n: "%s:v%d" % (rng.choice(kinds), n) for n in range(nodes)}
    g = nx.Graph()
    evs = []
    for _ in range(events):
        size = rng.choice([1, 2, 2, 2, 3, max_size])
        ev = [names[rng.randrange(nodes)] for _ in range(size)]
        evs.append(ev)
        g.add_nodes_from(ev)
        for other in ev[1:]:
            g.add_edge(ev[0], other)
    comps = sorted(sorted(c) for c in nx.connected_components(g))
    return evs, comps


def main():
    rng = random.Random(20261123)
    out = sys.stdout
    out.write("# identity/testdata/components.golden: written by components.py with networkx %s\n" % nx.__version__)
    sizes = [(5, 4, 2), (20, 15, 3), (50, 60, 4), (200, 150, 5), (200, 400, 3), (1000, 700, 6), (3000, 2500, 3)]
    sizes += [(rng.randrange(2, 300), rng.randrange(1, 300), rng.randrange(2, 6)) for _ in range(20)]
    for i, (nodes, events, max_size) in enumerate(sizes):
        evs, comps = case(rng, nodes, events, max_size)
        out.write("case %d nodes=%d events=%d\n" % (i, nodes, events))
        for ev in evs:
            out.write("event %s\n" % " ".join(ev))
        for c in comps:
            out.write("component %s\n" % " ".join(c))
        out.write("end\n")


if __name__ == "__main__":
    main()
