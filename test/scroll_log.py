#!/usr/bin/env python3
"""Summarize the company scroll requests of a fake log (fakectl.py log on
stdin) for sql/fault_matrix.sql: pages lost (no response), scrolls opened,
what followed the first lost page, and whether its scroll_param was sent
again after it."""
import sys

reqs = [line.split() for line in sys.stdin if line.startswith("GET /companies/scroll")]
lost = [i for i, r in enumerate(reqs) if r[2] == "0"]
print("pages lost:", len(lost))
print("scrolls opened:", sum(1 for r in reqs if r[1] == "/companies/scroll" and r[2] == "200"))
if lost:
    after = reqs[lost[0] + 1] if lost[0] + 1 < len(reqs) else None
    print("next request opens a scroll:", after is not None and after[1] == "/companies/scroll")
    print("lost scroll's param sent again:", any(r[1] == reqs[lost[0]][1] for r in reqs[lost[0] + 1:]))
