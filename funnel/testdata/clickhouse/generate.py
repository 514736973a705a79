#!/usr/bin/python3
"""Golden answers from a live ClickHouse for funnel's Level and Retention.

Draws random small per-user event sets, loads them into ClickHouse, and records what
windowFunnel(window)(ts, cond...) (default mode, the only one ClickHouse 18.16 has) and
retention(cond...) return for each user. Writes events.tsv and answers.tsv beside this
script. Needs clickhouse-client talking to a running server; see README.md.

Run: /usr/bin/python3 funnel/testdata/clickhouse/generate.py
"""
import os
import random
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261123
USERS = 400
NAMES = "abcd"
# ClickHouse 18.16 predates two changes that the current windowFunnel (and the Go
# package) make: it breaks ties between equal timestamps by row order, not by condition
# index, and lets a row serve only its first matching condition. The draws avoid both
# (distinct timestamps within a user, conditions that no event satisfies twice), so
# that 18.16 and the current semantics agree and the answers test the shared core. For
# the same reason retention's conditions are distinct: 18.16 reports 0 for a condition
# repeating an earlier one.
FUNNELS = ["a,b", "a,b,c", "b,a", "a,b,c,d", "c,d,b", "d,a", "b,c,a,d"]
WINDOWS = [1, 2, 5, 20]
RETENTIONS = ["a,b", "a,b,c", "b,a,d", "c,a,b,d"]


def client(query, data=None):
    out = subprocess.run(["clickhouse-client", "--query", query], input=data, capture_output=True, text=True, check=True)
    return out.stdout


def main():
    rng = random.Random(SEED)
    rows = []
    for uid in range(1, USERS + 1):
        for ts in sorted(rng.sample(range(30), rng.randint(1, 8))):
            rows.append((uid, ts, rng.choice(NAMES)))
    version = client("SELECT version()").strip()
    client("DROP TABLE IF EXISTS funnel_golden")
    client("CREATE TABLE funnel_golden (uid UInt32, ts UInt32, ev String) ENGINE = Memory")
    client("INSERT INTO funnel_golden FORMAT TabSeparated", "".join(f"{u}\t{t}\t{e}\n" for u, t, e in rows))
    with open(os.path.join(HERE, "events.tsv"), "w") as f:
        f.write(f"# uid\tts\tevent; drawn with seed {SEED}\n")
        for u, t, e in rows:
            f.write(f"{u}\t{t}\t{e}\n")
    with open(os.path.join(HERE, "answers.tsv"), "w") as f:
        f.write(f"# ClickHouse {version}: kind\twindow\tconditions\tuid\tresult\n")
        for conds in FUNNELS:
            args = ", ".join(f"ev = '{c}'" for c in conds.split(","))
            for w in WINDOWS:
                q = f"SELECT uid, windowFunnel({w})(ts, {args}) FROM funnel_golden GROUP BY uid ORDER BY uid FORMAT TabSeparated"
                for line in client(q).splitlines():
                    uid, level = line.split("\t")
                    f.write(f"funnel\t{w}\t{conds}\t{uid}\t{level}\n")
        for conds in RETENTIONS:
            args = ", ".join(f"ev = '{c}'" for c in conds.split(","))
            q = f"SELECT uid, retention({args}) FROM funnel_golden GROUP BY uid ORDER BY uid FORMAT TabSeparated"
            for line in client(q).splitlines():
                uid, flags = line.split("\t")
                f.write(f"retention\t0\t{conds}\t{uid}\t{flags}\n")
    client("DROP TABLE funnel_golden")


if __name__ == "__main__":
    main()
