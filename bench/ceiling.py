#!/usr/bin/env python3
"""The default of `concurrency`, run by bench/ceiling.sh.

For each schema (rl, zero, twenty: the default, no concurrency option; rlN,
zeroN, twentyN: concurrency 'N' for N in --ceilings), same build, same
cluster, same fakes: only the option differs.
  - 300 ms under the limit: requests per second against the limit's, 429s;
  - 0 ms full scan and count(*), conversation_parts at 0 and 20 ms: runs
    alternated between the default and every N (the order reversed every
    other round), each compared with the default (within 5%, best and median).

Environment: PGHOST, PGPORT, PGUSER (scripts/lib.sh start_cluster).
"""

import argparse
import os
import statistics
import time

from adaptive import log, measure, psql, requests_by, timed


def name(v):
    return "default" if v == "" else f"concurrency {v}"


def alternated(sql, values, runs):
    """{value: [wall seconds]}, runs alternated across the values."""
    for v in values:
        psql(sql.format(v))         # warm the fake's cache for each
    walls = {v: [] for v in values}
    for i in range(runs):
        for v in (values if i % 2 == 0 else values[::-1]):
            walls[v].append(timed(sql.format(v)))
    return walls


def compare_row(what, walls, values):
    base = walls[""]
    cells, ok = [], True
    for v in values:
        w = walls[v]
        cells.append(f"{name(v)}: best {min(w):.2f} s, median {statistics.median(w):.2f} s "
                     f"({', '.join(f'{x:.2f}' for x in w)})")
        if v != "":
            fine = min(w) <= min(base) * 1.05 and statistics.median(w) <= statistics.median(base) * 1.05
            cells[-1] += " within 5%" if fine else " **slower**"
    log(f"{what}: " + "; ".join(cells))
    return (what, "no slower than the default (5%, best and median)", "; ".join(cells), None)


def rate_limited(a, v, per_page):
    """The 300 ms scan under the limit at concurrency v ('' = the default)."""
    limit_rate = a.limit / 10.0
    server = f"rl{v}"
    sql = f"COPY (SELECT * FROM {server}.contacts) TO '/dev/null'"
    if per_page:
        psql(f"ALTER SERVER {server} OPTIONS (ADD per_page '{per_page}')")
    psql(sql)                               # warm, as adaptive.py does
    time.sleep(10 - time.time() % 10)       # a fresh window
    wall, t0, samples, s = measure(a.rl_url, sql)
    if per_page:
        psql(f"ALTER SERVER {server} OPTIONS (DROP per_page)")
    req, r429, peak = s["api_requests"], s["by_status"].get("429", 0), s["max_in_flight"]
    span = min(30.0, wall) if per_page else wall
    rate = (requests_by(samples, t0 + span) if per_page else req) / span
    target = 0.85 if per_page else 0.90
    what = (f"100,000 contacts, 300 ms, limit {a.limit}/10 s, {name(v)}" +
            (f", per_page 50 (first {span:.0f} s)" if per_page else ""))
    log(f"{what}: {rate:.1f} req/s, {r429} x 429")
    return (what, f">= {target:.0%} of {limit_rate:.0f} req/s, <= 2 x 429",
            f"{rate:.1f} req/s = {rate / limit_rate:.0%}; {r429} x 429; {req} requests in {wall:.1f} s; "
            f"max {peak} in flight", rate >= target * limit_rate and r429 <= 2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rl-url", required=True)
    p.add_argument("--limit", type=int, required=True)
    p.add_argument("--conversations", type=int, required=True)
    p.add_argument("--ceilings", required=True)      # "16 32 64"
    p.add_argument("--out", required=True)
    a = p.parse_args()
    runs = int(os.environ.get("BENCH_RUNS", "7"))
    values = [""] + a.ceilings.split()
    rows = []
    for v in values:
        for per_page in (None, 50):
            rows.append(rate_limited(a, v, per_page))
    for what, sql in (("100,000 contacts, 0 ms, full scan", "COPY (SELECT * FROM zero{}.contacts) TO '/dev/null'"),
                      ("100,000 contacts, 0 ms, count(*)", "SELECT count(*) FROM zero{}.contacts"),
                      (f"conversation_parts of {a.conversations:,} conversations, 0 ms",
                       "SELECT count(*) FROM zero{}.conversation_parts"),
                      (f"conversation_parts of {a.conversations:,} conversations, 20 ms",
                       "SELECT count(*) FROM twenty{}.conversation_parts")):
        rows.append(compare_row(what, alternated(sql, values, runs), values))

    with open(a.out, "w") as f:
        f.write("# The default of `concurrency` (issue 22)\n\n")
        f.write(f"bash bench/ceiling.sh, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; "
                "one run on a shared 2-core machine (other test runs at the same time). "
                "The default: no concurrency option; concurrency N: `concurrency 'N'` on a server of "
                "the same fake (same build and cluster; runs alternated, the order reversed every "
                f"other round, {runs} each).\n\n")
        f.write("| scan | target | measured | met |\n|---|---|---|---|\n")
        for what, target, got, ok in rows:
            f.write(f"| {what} | {target} | {got} | {'-' if ok is None else ('yes' if ok else 'NO')} |\n")
    print(open(a.out).read())


if __name__ == "__main__":
    main()
