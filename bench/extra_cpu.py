#!/usr/bin/env python3
"""CPU of a full-column contacts scan with and without _extra (bench/extra_cpu.sh).

Each measurement is `COPY (SELECT <columns> FROM lat0.contacts) TO '/dev/null'`
in a fresh backend, against the fake at latency 0; CPU is the backend's
user+system time (bench.py's measure).  The two variants alternate, so that
drift of the machine (another job on its two cores) hits both alike; the
median of each is reported.
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--url", required=True)
ap.add_argument("--runs", type=int, default=5)
a = ap.parse_args()

bench.REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
subprocess.run(["psql", "-X", "-q", "-d", "postgres", "-c", f"CREATE DATABASE {bench.DB}"], check=True)
subprocess.run(["psql", "-X", "-q", "-d", bench.DB, "-v", "ON_ERROR_STOP=1", "-c",
                "SET client_min_messages = warning; CREATE EXTENSION intercom_fdw; "
                f"CREATE SERVER lat0 FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url '{a.url}', max_retries '3'); "
                "CREATE USER MAPPING FOR CURRENT_USER SERVER lat0 OPTIONS (token 'tok_test_1'); "
                "CREATE SCHEMA lat0; IMPORT FOREIGN SCHEMA intercom FROM SERVER lat0 INTO lat0;"],
               check=True)
s = bench.Session()
cols = s.run("SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
             "WHERE attrelid = 'lat0.contacts'::regclass AND attnum > 0 AND attname <> '_extra'")[0]
has_extra = s.run("SELECT count(*) FROM pg_attribute WHERE attrelid = 'lat0.contacts'::regclass "
                  "AND attname = '_extra'")[0] == "1"
s.close()
# the 45 columns contacts had before issue 21 added 13 (and _extra): the
# same work as the earlier "SELECT *" bench, for a comparison across releases
NEW_IN_21 = {"enabled_push_messaging", "formatted_phone", "merge_history", "opted_in_subscription_types",
             "opted_out_subscription_types", "referrer", "sms_consent", "unsubscribed_from_sms",
             "utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term"}
old_cols = ", ".join(c for c in cols.split(", ") if c not in NEW_IN_21)
variants = {"without _extra": f"COPY (SELECT {cols} FROM lat0.contacts) TO '/dev/null'",
            "the 45 columns before issue 21": f"COPY (SELECT {old_cols} FROM lat0.contacts) TO '/dev/null'"}
if has_extra:
    variants["with _extra"] = f"COPY (SELECT {cols}, _extra FROM lat0.contacts) TO '/dev/null'"
    variants["_extra only"] = "COPY (SELECT _extra FROM lat0.contacts) TO '/dev/null'"
cpu = {k: [] for k in variants}
bench.measure("warm-up", variants["without _extra"], a.url)
for _ in range(a.runs):
    for name, sql in variants.items():
        cpu[name].append(bench.measure(name, sql, a.url)["cpu"])
for name, v in cpu.items():
    print(f"{name}: median {statistics.median(v):.3f} s CPU, min {min(v):.3f}, "
          f"runs {', '.join(f'{x:.3f}' for x in v)}")
