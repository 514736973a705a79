#!/usr/bin/python3
"""Golden cohort retention tables from a live ClickHouse, for funnel's Cohorts.

Draws a few hundred users active over sixteen weeks, loads their events into ClickHouse
and computes, in ClickHouse SQL with its own calendar functions (toRelativeDayNum,
toRelativeWeekNum, toRelativeMonthNum, toMonday, toStartOfMonth, in UTC or in
America/New_York) and its retention() aggregate, the cohort table of several
descriptions: for each cohort (the period of a user's first start event) its size and,
for each column after the cohort's own, how many members returned in that period offset
("on"), in it or any later one ("on or after"), or within a bracket of offsets. Writes cohort_events.tsv and
cohort_answers.tsv beside this script. Needs clickhouse-client talking to a running
server; see ../README.md.

Run: /usr/bin/python3 funnel/testdata/clickhouse/cohorts.py
"""
import datetime
import os
import random
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261123
USERS = 300
WEEKS = 16
# A Wednesday, so that days, weeks (from Monday) and months all start apart; the span
# crosses America/New_York's change to daylight saving time on 9 March 2025.
BASE = int(datetime.datetime(2025, 2, 5, tzinfo=datetime.timezone.utc).timestamp())
DAY = 86400

# name: period, zone, start event ("" any), return event ("" any), rule, columns
# (a number of periods 0..N, or brackets "from-to,...").
CONFIGS = [
    ("week_any_on", "week", "UTC", "", "", "on", "12"),
    ("week_any_onorafter", "week", "UTC", "", "", "on_or_after", "12"),
    ("week_ny_signup_visit_on", "week", "America/New_York", "signup", "visit", "on", "12"),
    ("day_signup_any_on", "day", "UTC", "signup", "", "on", "14"),
    ("day_ny_signup_any_onorafter", "day", "America/New_York", "signup", "", "on_or_after", "14"),
    ("month_ny_any_purchase_on", "month", "America/New_York", "", "purchase", "on", "3"),
    ("month_any_purchase_onorafter", "month", "UTC", "", "purchase", "on_or_after", "3"),
    ("week_signup_visit_brackets", "week", "UTC", "signup", "visit", "on", "1-1,2-4,5-8"),
]

RELATIVE = {"day": "toRelativeDayNum", "week": "toRelativeWeekNum", "month": "toRelativeMonthNum"}
LABEL = {"day": "toDate", "week": "toMonday", "month": "toStartOfMonth"}


def client(query, data=None):
    out = subprocess.run(["clickhouse-client", "--query", query], input=data, capture_output=True, text=True, check=True)
    return out.stdout


def instant(rng, t):
    """t, or, three times in ten, t moved to within half an hour of a midnight in UTC or
    in New York (04:00 or 05:00 UTC), where the two calendars disagree."""
    if rng.random() < 0.3:
        midnight = t - t % DAY + rng.choice([0, 4, 5]) * 3600
        t = midnight + rng.randint(-1800, 1800)
    return max(t, BASE)


def draw():
    rng = random.Random(SEED)
    end = BASE + WEEKS * 7 * DAY
    rows = []
    for uid in range(1, USERS + 1):
        first = BASE + rng.randint(3 * DAY, 45 * DAY)
        evs = []
        # Some users browse before they sign up: their cohort is their signup's for the
        # signup-started tables, their first event's for the others.
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            evs.append((first - rng.randint(3600, 3 * DAY), "visit"))
        evs.append((first, "signup" if rng.random() < 0.85 else "visit"))
        keep = rng.uniform(0.3, 0.95)
        for w in range(WEEKS):
            if rng.random() > keep ** (w + 1):
                continue
            for _ in range(rng.randint(1, 3)):
                t = instant(rng, first + w * 7 * DAY + rng.randint(0, 7 * DAY))
                if t < end:
                    evs.append((t, "purchase" if rng.random() < 0.2 else "visit"))
        for t, e in sorted(evs):
            rows.append((uid, t, e))
    return rows


def condition(name):
    return "1" if name == "" else f"ev = '{name}'"


def table(by, tz, start, ret, rule, columns):
    rel = RELATIVE[by]
    # ClickHouse 18.16's retention() lets a row serve only the first condition it meets
    # (retention(x >= 0, x >= 1) over x = 0, 1 gives [1, 0]), so it gets conditions no
    # row can meet twice: the start event, then one period offset or one bracket of
    # offsets each. "On or after k" overlaps for every k, so it is the user's latest
    # return offset, maxIf(off, isret), compared with each k instead.
    if rule == "on_or_after":
        per_user = "maxIf(off, isret) AS last"
        columns_sql = "[" + ", ".join(f"countIf(last >= {k})" for k in range(1, int(columns) + 1)) + "]"
    else:
        if "-" in columns:
            conds = []
            for b in columns.split(","):
                lo, hi = b.split("-")
                conds.append(f"isret AND off >= {lo} AND off <= {hi}")
        else:
            conds = [f"isret AND off = {k}" for k in range(1, int(columns) + 1)]
        # retention(c1, c2, ...): r[0] = some row meets c1; r[k] = some row meets c1 and
        # some row meets c[k+1]. c1 is the start event, so r[0] = 1 for every member and
        # r[k] = 1 for those who returned in column k.
        per_user = f"retention(ts = start, {', '.join(conds)}) AS r"
        columns_sql = "arraySlice(sumForEach(r), 2)"
    q = f"""
    SELECT toString(cohort), count(), {columns_sql} FROM (
        SELECT uid, any(cohort) AS cohort, {per_user}
        FROM (
            SELECT uid, ts, start, cohort, {condition(ret)} AS isret,
                   {rel}(toDateTime(ts), '{tz}') - {rel}(toDateTime(start), '{tz}') AS off
            FROM cohort_golden ALL INNER JOIN (
                SELECT uid, min(ts) AS start, {LABEL[by]}(toDateTime(min(ts)), '{tz}') AS cohort
                FROM cohort_golden WHERE {condition(start)} GROUP BY uid
            ) USING uid
        )
        GROUP BY uid
    ) GROUP BY cohort ORDER BY cohort FORMAT TabSeparated"""
    out = []
    for line in client(q).splitlines():
        cohort, size, retained = line.split("\t")
        out.append((cohort, size, retained.strip("[]")))
    return out


def main():
    rows = draw()
    version = client("SELECT version()").strip()
    client("DROP TABLE IF EXISTS cohort_golden")
    client("CREATE TABLE cohort_golden (uid UInt32, ts UInt32, ev String) ENGINE = Memory")
    client("INSERT INTO cohort_golden FORMAT TabSeparated", "".join(f"{u}\t{t}\t{e}\n" for u, t, e in rows))
    with open(os.path.join(HERE, "cohort_events.tsv"), "w") as f:
        f.write(f"# uid\tts (Unix seconds)\tevent; {USERS} users over {WEEKS} weeks, seed {SEED}\n")
        for u, t, e in rows:
            f.write(f"{u}\t{t}\t{e}\n")
    with open(os.path.join(HERE, "cohort_answers.tsv"), "w") as f:
        f.write(f"# ClickHouse {version}: name\tperiod\tzone\tstart\treturn\trule\tcolumns\tcohort\tsize\tretained in columns 1..\n")
        for name, by, tz, start, ret, rule, columns in CONFIGS:
            for cohort, size, retained in table(by, tz, start, ret, rule, columns):
                f.write(f"{name}\t{by}\t{tz}\t{start}\t{ret}\t{rule}\t{columns}\t{cohort}\t{size}\t{retained}\n")
    client("DROP TABLE cohort_golden")


if __name__ == "__main__":
    main()
