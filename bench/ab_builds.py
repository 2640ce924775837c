#!/usr/bin/env python3
"""Two builds, alternated (bench/ab_builds.sh): backend CPU and wall time of
the 0 ms full-column scan, count(*) at 0 ms, and the 20 ms full-column scan,
each in a fresh backend (bench.py's measure).  Prints the median and minimum
of each, and after/before."""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--url0", required=True)
ap.add_argument("--url20", required=True)
ap.add_argument("--before", required=True, help="host:port")
ap.add_argument("--after", required=True, help="host:port")
ap.add_argument("--runs", type=int, default=3)
a = ap.parse_args()
bench.REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
builds = {"before": a.before.rsplit(":", 1), "after": a.after.rsplit(":", 1)}


def use(build):
    os.environ["PGHOST"], os.environ["PGPORT"] = builds[build]


for build in builds:
    use(build)
    subprocess.run(["psql", "-X", "-q", "-d", "postgres", "-c", f"CREATE DATABASE {bench.DB}"], check=True)
    setup = "SET client_min_messages = warning; CREATE EXTENSION intercom_fdw; "
    for name, url in (("lat0", a.url0), ("lat20", a.url20)):
        setup += (f"CREATE SERVER {name} FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url '{url}', max_retries '3'); "
                  f"CREATE USER MAPPING FOR CURRENT_USER SERVER {name} OPTIONS (token 'tok_test_1'); "
                  f"CREATE SCHEMA {name}; IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts) "
                  f"FROM SERVER {name} INTO {name}; ")
    subprocess.run(["psql", "-X", "-q", "-d", bench.DB, "-v", "ON_ERROR_STOP=1", "-c", setup], check=True)

cases = {"0 ms full-column scan": ("COPY (SELECT * FROM lat0.contacts) TO '/dev/null'", a.url0),
         "0 ms count(*)": ("SELECT count(*) FROM lat0.contacts", a.url0),
         "20 ms full-column scan": ("COPY (SELECT * FROM lat20.contacts) TO '/dev/null'", a.url20)}
res = {(c, b): [] for c in cases for b in builds}
for b in builds:
    use(b)
    bench.measure(f"{b} warm-up", cases["0 ms full-column scan"][0], a.url0)
for _ in range(a.runs):
    for c, (sql, url) in cases.items():
        for b in builds:
            use(b)
            res[(c, b)].append(bench.measure(f"{b}: {c}", sql, url))
print("| measurement | before CPU s (median, min) | after CPU s (median, min) | after/before CPU | "
      "before wall s | after wall s | after/before wall |")
print("|---|---:|---:|---:|---:|---:|---:|")
for c in cases:
    bc = [r["cpu"] for r in res[(c, "before")]]
    ac = [r["cpu"] for r in res[(c, "after")]]
    bw = [r["wall"] for r in res[(c, "before")]]
    aw = [r["wall"] for r in res[(c, "after")]]
    print(f"| {c} | {statistics.median(bc):.3f}, {min(bc):.3f} | {statistics.median(ac):.3f}, {min(ac):.3f} | "
          f"{statistics.median(ac) / statistics.median(bc):.3f} | {statistics.median(bw):.2f} | "
          f"{statistics.median(aw):.2f} | {statistics.median(aw) / statistics.median(bw):.3f} |")
