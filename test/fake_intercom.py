#!/usr/bin/env python3
"""Fake Intercom REST API 2.x server for testing intercom_fdw.

Standard library only.  Faithful to the contract in
shared/reference/intercom-api.md for the eleven streams plus /me:
envelopes, list keys, the five paging styles, the search query language
(including the contacts "dates compare by local day" rule), scroll
semantics, rate limiting per 10-second window, version differences
(2.16 vs <= 2.15) and error bodies.

Deletions: fakectl delete (contacts, companies, conversations, tickets, ...)
and merge (contacts: 404 up to 2.15, 410 contact_merged with a Link on
2.16); deleted conversations feed GET /conversations/deleted (2.16, newest
first); config search_lag_seconds hides new records from search for a while.

Latency and rate limit (config latency_ms, search_latency_ms, rate_limit,
rate_window_seconds): a request is answered latency_ms after it arrived,
whatever the work in between, so a search costs the same whether its query
is new or cached (as on a search index); X-RateLimit-Limit, -Remaining and
-Reset (epoch seconds) count every API request in the current window, 429
past the limit.  /_fake/stats tells in_flight and max_in_flight (requests
received and not yet answered), /_fake/stats/clear starts them again.

Faults (/_fake/faults, fakectl fault KIND) come in two sorts.  Those in
front of the API (429, 500, 502_html, 503_json, 404, scroll_500) answer
instead of the route.  Those that lose or damage a response on the way
(drop, slow, truncated, empty, html_200, bad_json, bad_gzip, gzip_bomb) let the route produce
it first, as a real server would have: a company scroll page they hit has
advanced the scroll, so resending its scroll_param reads the next page.
stall is neither: no answer (the connection closed after delay_ms) and
the route never runs, a write that timed out before the server acted.

Data is generated lazily and deterministically: record i of a stream is a
pure function of (seed, stream, i), so a million contacts cost nothing at
start-up.  Mutations made through the control API (/_fake/...) live in an
overlay (per-index record overrides, a deleted set, and a count of created
records) that /_fake/reset discards.

Exotic records (opt-in: --exotic, POST /_fake/exotic, `fakectl exotic on`)
add fixed-id contacts, companies and one conversation whose JSON holds
what json.dumps cannot write (RawJSON bytes spliced in by encode_json):
2^64+1, 1.0e400, 123.4500, \u0000, lone surrogates, invalid UTF-8,
duplicate keys; "hostile" adds deep nesting, a 10 MiB string and 1,000
keys.  See EXOTIC_* below; sql/decode.sql is their test.

Performance (so that benchmarks measure the client, not the fake): the
state lock is held only to count/log a request, apply rate limits and
faults, take a snapshot of the store (copy-on-write overlay) and change
scroll/search state; records are rendered, JSON-encoded and gzipped (level
1) after it is released.  Rendered records (contacts, companies,
conversations, GET /conversations/{id}) and whole gzipped GET /contacts and
/conversations pages are cached (--render-cache-mb, default 512), never
served for a record that was mutated since; POST /_fake/prewarm (fakectl
prewarm) fills the cache before a benchmark.  Responses go out in one write
on a TCP_NODELAY socket.  None of this changes a response body.

Run:  python3 test/fake_intercom.py --port 18765 [--seed 42] ...
"""

import argparse
import base64
import copy
import functools
from array import array
import gzip
import zlib
import hashlib
import json
import math
import os
import random
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_more  # noqa: E402  (the streams beyond the first eleven)
import fake_contact_lists  # noqa: E402  (a contact's notes and subscriptions)
import fake_writes  # noqa: E402  (INSERT, UPDATE, DELETE through intercom_fdw)

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

T_2019 = 1546300800          # 2019-01-01T00:00:00Z
T_2026 = 1780000000          # 2026-05-28 -- "roughly 2019..2026"
DAY = 86400

SEARCH_CACHE_QUERIES = 100         # ordered search results kept (see Handler.search)
SEARCH_CACHE_ITEMS = 2_000_000

DATASETS = {
    # small: the default for regression tests; sizes are part of the contract
    # with the test suites, do not change them casually.
    "small": dict(admins=7, teams=5, tags=12, segments=6, company_segments=3,
                  companies=37, contacts=123, conversations=42),
    # demo: no updated_at after T_2026 (newest), so that none is in the future
    "demo": dict(admins=15, teams=6, tags=30, segments=10, company_segments=4,
                 companies=300, contacts=2500, conversations=600, newest=T_2026),
    "bench": dict(admins=20, teams=8, tags=50, segments=12, company_segments=5,
                  companies=10000, contacts=100000, conversations=10000),
}

# Index of the one conversation with more than 500 parts (exercises the cap).
BIG_CONVERSATION_INDEX = 7
BIG_CONVERSATION_PARTS = 612
PARTS_CAP = 500

STREAMS = ["admins", "companies", "company_attributes", "company_segments",
           "contact_attributes", "contacts", "conversation_parts",
           "conversations", "segments", "tags", "teams"] + list(fake_more.STREAMS) + list(fake_contact_lists.STREAMS)

# Nasty strings: unicode (emoji, CJK, combining marks, RTL), quotes,
# backslashes, newlines, tabs, leading/trailing spaces, SQL-ish words.
# No NUL: PostgreSQL text/jsonb cannot hold it, and Intercom strips it.
NASTY = [
    "Zoë Ångström", "李小龍", "👩‍💻 Dev Ops 🚀", "O'Brien", 'Quote "Q" Man',
    "Back\\slash \\n not a newline", "Line\nBreak", "Tab\tSeparated",
    "e\u0301te\u0301 (combining)", "مرحبا بالعالم", "NULL", "null",
    "  padded  ", "Semi;colon, comma", "Ελληνικά", "日本語テキスト",
    "C:\\Users\\x", "100% \"sure\" 'really'", "\u00a0nbsp\u00a0", "{json:\"like\"}",
]
FIRST = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances",
         "Guido", "Radia", "Edsger", "Sophie", "Yukihiro", "Anita", "Bjarne", "Hedy",
         "José", "Søren", "Chloé", "Nguyễn", "Zhang", "Olusegun", "Priya", "Mikhail"]
LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie",
        "Allen", "van Rossum", "Perlman", "Dijkstra", "Wilson", "Matsumoto", "Borg",
        "Stroustrup", "Lamarr", "García", "Kierkegaard", "Dupont", "Văn An", "Wei",
        "Obasanjo", "Raman", "Ivanov"]
COMPANY_WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne",
                 "Tyrell", "Cyberdyne", "Soylent", "Wonka", "Vandelay", "Massive",
                 "Dynamic", "北京科技", "Ünïcødé", "O'Reilly", "\"Quoted\"", "Back\\slash"]
INDUSTRIES = ["Software", "Retail", "Finance", "Healthcare", "", None, "Éducation", "游戏"]
COUNTRIES = [("United States", "California", "San Francisco", "US", "NA"),
             ("Ireland", "Dublin", "Dublin", "IE", "EU"),
             ("Japan", "Tokyo", "東京", "JP", "AS"),
             ("Brazil", "São Paulo", "São Paulo", "BR", "SA"),
             ("Germany", "Bayern", "München", "DE", "EU"),
             (None, None, None, None, None)]
# gzip level of response bodies: 1 is ~4x faster than the default 9 on a
# 150-contact page; bodies decompress to the same bytes whatever the level.
GZIP_LEVEL = 1

PART_TYPES = ["comment", "note", "assignment", "open", "close", "snoozed", "away_mode_assignment"]

KNOWN_VERSIONS = {f"1.{i}" for i in range(5)} | {f"2.{i}" for i in range(18)} | {"Preview", "Unstable"}


def vkey(version):
    """Comparable key for an Intercom-Version value ('Preview' sorts last)."""
    if version in ("Preview", "Unstable"):
        return (99, 0)
    a, b = version.split(".")
    return (int(a), int(b))


M64 = (1 << 64) - 1
_GOLDEN, _MIX1, _MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_blake2b = hashlib.blake2b


class Rng:
    """SplitMix64 seeded from blake2b of a string key.  Deterministic across
    runs and platforms (no PYTHONHASHSEED dependence) and ~10x cheaper to
    create than random.Random(str), which matters when a search over a
    million lazily generated contacts creates one per record.

    The SplitMix64 step is written out in every method (rather than each
    calling _next) because record generation is dominated by these calls;
    the sequence of values is exactly that of _next."""
    __slots__ = ("s",)

    def __init__(self, key):
        self.s = int.from_bytes(_blake2b(key.encode(), digest_size=8).digest(), "little")

    def _next(self):
        self.s = z = (self.s + _GOLDEN) & M64
        z = ((z ^ (z >> 30)) * _MIX1) & M64
        z = ((z ^ (z >> 27)) * _MIX2) & M64
        return z ^ (z >> 31)

    def random(self):
        self.s = z = (self.s + _GOLDEN) & M64
        z = ((z ^ (z >> 30)) * _MIX1) & M64
        z = ((z ^ (z >> 27)) * _MIX2) & M64
        return ((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992)

    def randrange(self, n):
        if n <= 0:
            raise ValueError("empty range")
        self.s = z = (self.s + _GOLDEN) & M64
        z = ((z ^ (z >> 30)) * _MIX1) & M64
        z = ((z ^ (z >> 27)) * _MIX2) & M64
        return (z ^ (z >> 31)) % n

    def randint(self, a, b):
        n = b - a + 1
        if n <= 0:
            raise ValueError("empty range")
        self.s = z = (self.s + _GOLDEN) & M64
        z = ((z ^ (z >> 30)) * _MIX1) & M64
        z = ((z ^ (z >> 27)) * _MIX2) & M64
        return a + (z ^ (z >> 31)) % n

    def choice(self, seq):
        n = len(seq)
        if n <= 0:
            raise ValueError("empty range")
        self.s = z = (self.s + _GOLDEN) & M64
        z = ((z ^ (z >> 30)) * _MIX1) & M64
        z = ((z ^ (z >> 27)) * _MIX2) & M64
        return seq[(z ^ (z >> 31)) % n]

    def uniform(self, a, b):
        return a + (b - a) * self.random()


def rng_for(seed, stream, i):
    return Rng(f"{seed}:{stream}:{i}")


@functools.lru_cache(maxsize=None)
def _id_prefix(seed, kind):
    return f"{Rng(f'{seed}:idprefix:{kind}')._next() >> 8:014x}"


def hex24(seed, kind, i):
    """24-hex Intercom-style id that encodes the index in its last 10 digits,
    so id -> index lookup is O(1) even for lazily generated millions."""
    return f"{_id_prefix(seed, kind)}{i:010x}"


def hex24_index(seed, kind, s):
    if not isinstance(s, str) or len(s) != 24:
        return None
    try:
        i = int(s[14:], 16)
    except ValueError:
        return None
    return i if hex24(seed, kind, i) == s else None


def nasty_or(rng, normal, p=0.25):
    return rng.choice(NASTY) if rng.random() < p else normal


def ts(rng, lo=T_2019, hi=T_2026):
    return rng.randint(lo, hi)


def local_midnight(t, tzname):
    tz = ZoneInfo(tzname)
    d = datetime.fromtimestamp(t, tz).date()
    return int(datetime(d.year, d.month, d.day, tzinfo=tz).timestamp())


def utc_midnight(t):
    return t - (t % DAY)


# ---------------------------------------------------------------------------
# Data generation (pure functions of seed + index; version-neutral "canonical"
# records which render() adapts per Intercom-Version)
# ---------------------------------------------------------------------------

class Generator:
    def __init__(self, seed, counts, tzname):
        self.seed = seed
        self.counts = counts
        self.tz = tzname   # tz at generation time: used to place records near local midnight
        # a dataset may cap updated_at (demo); the test datasets keep their data
        self.newest = counts.get("newest")
        self.long_lists = {}   # contact index -> (tags, companies) when one has more than 10 (fake_more)

    def capped(self, updated_at):
        """updated_at, no later than the dataset's newest (when it has one)."""
        return updated_at if self.newest is None else min(updated_at, self.newest)

    # --- small streams ----------------------------------------------------
    def admin_id(self, i):
        return str(991267400 + i)

    def team_id(self, i):
        return 5017690 + i          # integer in admins.team_ids; string as team.id

    def admin(self, i):
        r = rng_for(self.seed, "admin", i)
        nt = self.counts["teams"]
        team_ids = sorted({self.team_id(r.randrange(nt)) for _ in range(r.randint(0, 2))}) if nt else []
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}"
        if i == 2:
            name = "Ciarán \"Admin\" O'Lee 🛠"
        return {
            "type": "admin", "id": self.admin_id(i), "name": name,
            "email": f"admin{i}@example.com", "email_verified": i % 3 != 0,
            "job_title": r.choice(["Associate", "Support Lead", "", None, "Ingénieur\tsupport"]),
            "away_mode_enabled": r.random() < 0.2, "away_mode_reassign": r.random() < 0.1,
            "away_status_reason_id": 4000 + i if i % 4 == 1 else None, "has_inbox_seat": r.random() < 0.8,
            "team_ids": team_ids,
            "avatar": {"type": "avatar", "image_url": None if i % 2 else f"https://static.example.com/avatars/{i}.png"},
            "team_priority_level": {"primary_team_ids": team_ids[:1], "secondary_team_ids": team_ids[1:]} if team_ids else None,
        }

    def team(self, i):
        r = rng_for(self.seed, "team", i)
        na = self.counts["admins"]
        admin_ids = sorted({int(self.admin_id(r.randrange(na))) for _ in range(r.randint(0, 4))}) if na else []
        return {
            "type": "team", "id": str(self.team_id(i)),
            "name": ["Support", "Sales 💰", "Tier \"2\"", "Billing\\Finance", "サポート", "Ops"][i % 6] + ("" if i < 6 else f" {i}"),
            "admin_ids": admin_ids,
            "admin_priority_level": {"primary_admin_ids": admin_ids[:1], "secondary_admin_ids": admin_ids[1:]},
            "assignment_limit": None if i % 2 else 10 + i,
            "distribution_method": None if i % 3 == 2 else r.choice(["round_robin", "balanced"]),
        }

    def tag(self, i):
        names = ["VIP", "churn-risk", "Beta 🧪", "needs \"follow-up\"", "back\\slash", "日本",
                 "", "line\nbreak", "tab\there", "café", "NULL", "Plan Tier"]
        name = names[i] if i < len(names) else f"tag-{i}"
        return {"type": "tag", "id": str(100 + i), "name": name}

    def segment(self, i, company=False):
        kind = "company_segment" if company else "segment"
        r = rng_for(self.seed, kind, i)
        c = ts(r, T_2019, T_2026 - 400 * DAY)
        names = (["Big spenders", "Trial ✨ companies", "Dormant \"orgs\""] if company else
                 ["Active users", "New leads 🌱", "Churned", "Café owners", "Müller's list", "Empty segment"])
        return {
            "type": "segment", "id": hex24(self.seed, kind, i),
            "name": names[i] if i < len(names) else f"{kind} {i}",
            "created_at": c, "updated_at": c + r.randint(0, 300 * DAY),
            "person_type": "user" if company or i % 2 == 0 else "contact",
            "count": None if (not company and i == 5) else r.randint(0, 500),
        }

    # --- data attributes ------------------------------------------------------
    def attributes(self, model):
        """Standard attributes (no id/admin_id/created_at/updated_at) followed by
        custom ones (integer id, admin_id, created_at, updated_at).  Names are
        deliberately awkward for SQL identifiers."""
        std = {
            "contact": [("name", "string"), ("email", "string"), ("created_at", "date"),
                        ("updated_at", "date"), ("signed_up_at", "date"), ("last_seen_at", "date"),
                        ("owner_id", "integer"), ("unsubscribed_from_emails", "boolean"),
                        ("location.city", "string")],
            "company": [("name", "string"), ("company_id", "string"), ("monthly_spend", "float"),
                        ("size", "integer"), ("created_at", "date"), ("plan.name", "string")],
            "conversation": [("state", "string"), ("priority", "string"), ("created_at", "date")],
        }[model]
        custom = {
            "contact": [("Plan Tier", "string"), ("plan-tier", "string"), ("name", "string"),
                        ("weird \"quote\"", "string"), ("seats", "integer"), ("score", "float"),
                        ("is_vip", "boolean"), ("trial_ends", "date"), ("ünïcode_ключ", "string"),
                        ("back\\slash", "string")],
            "company": [("Plan Tier", "string"), ("paid_subscriber", "boolean"), ("monthly_spend", "float"),
                        ("team_mates", "integer"), ("renewal_date", "date"), ("weird \"quote\"", "string")],
            "conversation": [("Ticket Ref", "string"), ("escalated", "boolean"), ("csat", "integer")],
        }[model]
        out = []
        for n, dt in std:
            out.append({
                "type": "data_attribute", "name": n.split(".")[-1], "full_name": n,
                "label": n.replace("_", " ").title(), "description": f"Standard {model} attribute {n}",
                "data_type": dt, "api_writable": n not in ("created_at", "updated_at"),
                "ui_writable": False, "messenger_writable": False, "custom": False,
                "archived": False, "model": model,
            })
        base = {"contact": 30, "company": 60, "conversation": 90}[model]
        for k, (n, dt) in enumerate(custom):
            c = T_2019 + 1000 * DAY + 3517 * k + base
            rec = {
                "id": base + k, "type": "data_attribute", "name": n,
                "full_name": f"custom_attributes.{n}", "label": n,
                "description": "" if k == 1 else (None if k == 2 else f"Custom «{n}»\nsecond line"),
                "data_type": dt, "api_writable": True, "ui_writable": k % 2 == 0,
                "messenger_writable": k % 3 == 0, "custom": True, "archived": False,
                "admin_id": self.admin_id(k % max(1, self.counts["admins"])),
                "created_at": c, "updated_at": c + k * 777, "model": model,
            }
            if n == "Plan Tier":
                rec["options"] = [{"value": "free"}, {"value": "pro"}, {"value": "enterprise ✨"}]
            out.append(rec)
        return out

    # --- companies ----------------------------------------------------------------
    def company(self, i):
        r = rng_for(self.seed, "company", i)
        cid = hex24(self.seed, "company", i)
        c = ts(r, T_2019, T_2026 - 30 * DAY)
        if i % 5 == 1:                      # shared second with the previous company
            c = ts(rng_for(self.seed, "company", i - 1), T_2019, T_2026 - 30 * DAY)
        u = self.capped(c + (0 if i % 4 == 0 else r.randint(1, 200 * DAY)))
        name = f"{COMPANY_WORDS[i % len(COMPANY_WORDS)]} {['Inc', 'Ltd', 'GmbH', 'KK', 'S.A.'][i % 5]}"
        if i % 9 == 4:
            name = nasty_or(r, name, 1.0)
        ntags = self.counts["tags"]
        nsegs = self.counts["company_segments"]
        tags = [self.tag(r.randrange(ntags)) for _ in range(r.randint(0, 3))] if ntags else []
        seg_idx = sorted({r.randrange(nsegs) for _ in range(r.randint(0, 2))}) if nsegs else []
        return {
            "type": "company", "id": cid,
            "company_id": ["", f"ext-{i}", f"remote/{i}+plus", f"ÉXT {i}", f"{i}"][i % 5] if i else "",
            "app_id": "fakeapp1",
            "name": name,
            "remote_created_at": (-315619200 + i * 1000) if i % 11 == 3 else (c - r.randint(0, 500 * DAY)),
            "created_at": c, "updated_at": u,
            "last_request_at": None if i % 7 == 6 else u - r.randint(0, 1000),
            "monthly_spend": [0, 49.99, 1e6, 0.1, 1234.5678, -5.0][i % 6],
            "session_count": r.randint(0, 5000), "user_count": 0 if i % 6 == 5 else r.randint(1, 40),
            "size": None if i % 8 == 7 else r.choice([1, 10, 100, 5000]),
            "website": None if i % 3 == 2 else ("" if i % 10 == 0 else f"https://company{i}.example.com/?q=a&b=\"c\""),
            "industry": INDUSTRIES[i % len(INDUSTRIES)],
            "plan": {} if i % 3 == 0 else {"type": "plan", "id": str(269315 + i % 3), "name": ["Pro", "Essential ✔", "Premium \"Plus\""][i % 3]},
            "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": t["id"], "name": t["name"]} for t in tags]},
            "segments": {"type": "segment.list", "segments": [{"type": "segment", "id": hex24(self.seed, "company_segment", s)} for s in seg_idx]},
            "notes": {"type": "note.list", "notes": []},
            "custom_attributes": self._custom(r, "company", i),
        }

    def company_segment_indexes(self, company):
        return [hex24_index(self.seed, "company_segment", s["id"]) for s in company["segments"]["segments"]]

    def _custom(self, r, model, i):
        if i % 10 == 9:
            return {}
        if model == "company":
            return {"Plan Tier": r.choice(["free", "pro", "enterprise ✨", None]),
                    "paid_subscriber": r.random() < 0.5, "monthly_spend": round(r.uniform(0, 999), 2),
                    "team_mates": r.randint(0, 50),
                    "renewal_date": r.choice([None, -86400 * 400, ts(r)]),
                    "weird \"quote\"": "va\"lue\\"}
        d = {"Plan Tier": r.choice(["free", "pro", "enterprise ✨", "", None]),
             "plan-tier": r.choice(["a", "b", None]), "name": nasty_or(r, "custom-name"),
             "weird \"quote\"": "x\"y'z", "seats": r.choice([0, 1, 42, -7, None, 2 ** 40]),
             "score": r.choice([0.5, 3.14159, -0.0, 1e-9, 12345.678, None]),
             "is_vip": r.choice([True, False, None]),
             "trial_ends": r.choice([None, -86400 * 1000, ts(r)]),
             "ünïcode_ключ": r.choice(["значение", "🙂", ""]), "back\\slash": "C:\\tmp\\new"}
        if i % 4 == 1:     # not every record has every key (missing vs null)
            for k in ("plan-tier", "score", "back\\slash"):
                d.pop(k)
        return d

    # --- contacts ---------------------------------------------------------------
    def contact_times(self, i):
        """(created_at, updated_at, signed_up_at, last_seen_at) with the edge cases:
        groups sharing one second, values within a minute of UTC midnight and of
        local midnight, a pre-1970 contact."""
        r = rng_for(self.seed, "contact-t", i)
        block = i // 3
        rb = rng_for(self.seed, "contact-block", block)
        if block % 2 == 0:                  # 3 contacts share created_at (and updated_at)
            c = ts(rb, T_2019, T_2026 - 60 * DAY)
            u = c + rb.choice([0, rb.randint(1, 400 * DAY)])
        else:
            c = ts(r, T_2019, T_2026 - 60 * DAY)
            u = c + r.choice([0, r.randint(1, 400 * DAY)])
        if 3 <= i <= 11 and i != 4:
            c, u = self._special_times(i, c, u)
        u = self.capped(u)
        signed = None if i % 5 == 4 else (c - 86400 * 365 * 60 if i == 12 else c + r.randint(0, 3600))
        last_seen = None if i % 4 == 2 else min(u, c + r.randint(0, 300 * DAY))
        return c, u, signed, last_seen

    def _special_times(self, i, c, u):
        base_day = T_2019 + 800 * DAY      # all the midnight cases on one day (2021-03-11)
        special = {
            3: (-157766400 + 4321, None),                      # 1965, pre-epoch
            5: (utc_midnight(base_day) - 20, 0),               # 20 s before UTC midnight
            6: (utc_midnight(base_day) + 15, 0),               # 15 s after UTC midnight
            7: (local_midnight(base_day, self.tz) - 30, 0),    # before local midnight
            8: (local_midnight(base_day, self.tz) + 10, 0),    # after local midnight
            9: (utc_midnight(base_day), 0),                    # exactly UTC midnight
            10: (local_midnight(base_day, self.tz), 0),        # exactly local midnight
            11: (local_midnight(base_day, self.tz) - 1, 1),    # 23:59:59 local; updated exactly at midnight
        }
        c, du = special[i]
        return c, c + (du if du is not None else 50 * 365 * DAY)

    def contact(self, i):
        r = rng_for(self.seed, "contact", i)
        cid = hex24(self.seed, "contact", i)
        c, u, signed, last_seen = self.contact_times(i)
        first, last = FIRST[r.randrange(len(FIRST))], LAST[r.randrange(len(LAST))]
        name = f"{first} {last}"
        if i % 7 == 3:
            name = nasty_or(r, name, 1.0)
        elif i % 13 == 0:
            name = None if i % 2 else ""
        email = None if i % 17 == 16 else f"{first.lower()}.{i}@{['example.com', 'mail.example.org', 'bücher.de'][i % 3]}"
        if i == 1:
            email = "o'brien+tag\"quote@example.com"
        na, nt, nc = self.counts["admins"], self.counts["tags"], self.counts["companies"]
        loc = COUNTRIES[i % len(COUNTRIES)]
        tag_refs = [{"type": "tag", "id": str(100 + t), "url": f"/tags/{100 + t}"}
                    for t in sorted({r.randrange(nt) for _ in range(r.randint(0, 3))})] if nt else []
        ncomp = 12 if i == 2 else r.randint(0, 2)           # contact 2: has_more=true list
        comp_refs = []
        if nc:
            for k in sorted({(i * 5 + k * 3) % nc for k in range(ncomp)}):
                comp_id = hex24(self.seed, "company", k)
                comp_refs.append({"type": "company", "id": comp_id, "url": f"/companies/{comp_id}"})
        notes = [{"type": "note", "id": str(5000 + i * 10 + k), "url": f"/notes/{5000 + i * 10 + k}"}
                 for k in range(r.randint(0, 2))]

        if len(tag_refs) > 10 or len(comp_refs) > 10:
            self.long_lists[i] = (tag_refs, comp_refs)   # GET /contacts/{id}/tags|companies serve them

        def alist(items, url):
            return {"type": "list", "data": items[:10], "url": url,
                    "total_count": len(items), "has_more": len(items) > 10}

        ios = i % 6 == 1
        android = i % 6 == 2
        return {
            "type": "contact", "id": cid, "workspace_id": "fakeapp1",
            "external_id": None if i % 3 == 0 else (f"ext-{i}" if i % 3 == 1 else str(i)),
            "role": "lead" if i % 4 == 3 else "user",
            "email": email, "email_domain": email.split("@")[1] if email else None,
            "phone": None if i % 2 else f"+1 555 01{i % 100:02d}",
            "formatted_phone": None if i % 2 else f"+1555010{i % 100:02d}",
            "name": name,
            "avatar": None if i % 3 else f"https://static.example.com/c/{i}.png",
            "owner_id": None if i % 4 == 0 or not na else int(self.admin_id(r.randrange(na))),
            "social_profiles": {"type": "list", "data": [] if i % 5 else [
                {"type": "social_profile", "name": "Twitter", "url": f"https://twitter.com/user{i}"}]},
            "has_hard_bounced": i % 19 == 0, "marked_email_as_spam": i % 23 == 0,
            "unsubscribed_from_emails": i % 3 == 0,
            "created_at": c, "updated_at": u, "signed_up_at": signed, "last_seen_at": last_seen,
            "last_replied_at": None if i % 2 else min(u, c + 3600),
            "last_contacted_at": None if i % 3 else min(u, c + 7200),
            "last_email_opened_at": None, "last_email_clicked_at": None if i % 5 else c,
            "language_override": None if i % 4 else r.choice(["fr", "ja", "pt-BR"]),
            "browser": None if i % 3 == 0 else r.choice(["chrome", "firefox", "safari"]),
            "browser_version": None if i % 3 == 0 else f"{r.randint(60, 130)}.0",
            "browser_language": None if i % 3 == 0 else r.choice(["en", "de", "zh-CN"]),
            "os": None if i % 3 == 0 else r.choice(["OS X 14.1", "Windows 11", "Linux"]),
            "location": {"type": "location", "country": loc[0], "region": loc[1], "city": loc[2],
                         "country_code": loc[3], "continent_code": loc[4]},
            "android_app_name": "FakeApp" if android else None,
            "android_app_version": "3.2.1" if android else None,
            "android_device": "Pixel 8" if android else None,
            "android_os_version": "14" if android else None,
            "android_sdk_version": "34" if android else None,
            "android_last_seen_at": last_seen if android else None,
            "ios_app_name": "FakeApp" if ios else None,
            "ios_app_version": "3.2.0" if ios else None,
            "ios_device": "iPhone15,2" if ios else None,
            "ios_os_version": "17.2" if ios else None,
            "ios_sdk_version": "16.1.0" if ios else None,
            "ios_last_seen_at": last_seen if ios else None,
            "custom_attributes": self._custom(r, "contact", i),
            "tags": alist(tag_refs, f"/contacts/{cid}/tags"),
            "notes": alist(notes, f"/contacts/{cid}/notes"),
            "companies": alist(comp_refs, f"/contacts/{cid}/companies"),
            "opted_out_subscription_types": alist([], f"/contacts/{cid}/subscriptions"),
            "opted_in_subscription_types": alist([], f"/contacts/{cid}/subscriptions"),
            "utm_campaign": None, "utm_content": None, "utm_medium": None,
            "utm_source": None if i % 8 else "newsletter", "utm_term": None,
            "referrer": None if i % 9 else "https://example.com/ref?x=1&y=\"2\"",
            "sms_consent": i % 7 == 0, "unsubscribed_from_sms": i % 11 == 5,
            "enabled_push_messaging": (i % 4 != 0) if ios or android else None,
        }

    # --- conversations and parts ---------------------------------------------
    def conv_id(self, i):
        return str(100000 + i)

    def n_parts(self, i):
        if i == BIG_CONVERSATION_INDEX:
            return BIG_CONVERSATION_PARTS
        return rng_for(self.seed, "nparts", i).randint(0, 30)

    def conv_created(self, i):
        r = rng_for(self.seed, "conv-t", i)
        if i % 6 == 2 and i > 0:       # shares its created_at second with the previous one
            return self.conv_created(i - 1)
        if i == 4:
            return utc_midnight(T_2019 + 500 * DAY) - 1
        if i == 5:
            return local_midnight(T_2019 + 600 * DAY, self.tz)
        return ts(r, T_2019, T_2026 - 90 * DAY)

    def part(self, ci, j, conv_created):
        r = rng_for(self.seed, f"part{ci}", j)
        # parts are chronological; several parts share one second
        pc = conv_created + 60 + (j // 2) * 37 + (j % 2) * r.choice([0, 0, 1])
        pu = pc + r.choice([0, 0, 5, 60])
        na = self.counts["admins"]
        is_admin = j % 3 != 1
        author = ({"type": "admin", "id": self.admin_id(j % na) if na else "1", "name": f"Admin {j % max(na, 1)}",
                   "email": f"admin{j % max(na, 1)}@example.com"} if is_admin else
                  {"type": "user", "id": hex24(self.seed, "contact", (ci * 7 + j) % max(self.counts["contacts"], 1)),
                   "name": nasty_or(r, "Customer"), "email": None})
        pt = "comment" if j == 0 else PART_TYPES[r.randrange(len(PART_TYPES))]
        body = None if pt in ("open", "close", "assignment") and r.random() < 0.6 else \
            r.choice(["<p>Okay!</p>", "<p>Line one<br>line two</p>", "plain\ttext\nwith newline",
                      "<p>Ünïcødé 🎉 日本語 \"quoted\" back\\slash</p>", ""])
        return {
            "type": "conversation_part", "id": str(700000000 + ci * 1000 + j), "part_type": pt,
            "body": body, "created_at": pc, "updated_at": pu, "notified_at": pu,
            "assigned_to": self.part_assignee(r, ci, j, pt),
            "author": author, "attachments": [] if j % 9 else [
                {"type": "upload", "name": "screen shot.png", "url": "https://example.com/a.png",
                 "content_type": "image/png", "filesize": 1024, "width": 10, "height": 10}],
            "external_id": None if j % 4 else f"ext-part-{ci}-{j}", "redacted": j % 50 == 49,
            "email_message_metadata": None if j % 11 != 5 else {
                "subject": "Re: your order «42»", "email_address_headers": [
                    {"type": "from", "email_address": "customer@example.com", "name": "Customer"},
                    {"type": "to", "email_address": "support@example.com", "name": None}]},
            "state": {"close": "closed", "snoozed": "snoozed"}.get(pt, "open"),
            "tags": [] if j % 6 != 4 or not self.counts["tags"] else [
                {"type": "tag", "id": str(100 + ci % self.counts["tags"]),
                 "name": self.tag(ci % self.counts["tags"])["name"]}],
            "event_details": None if j % 8 != 6 else {"action": {"name": "Jira Create Issue"}},
            "app_package_code": None if j % 10 != 7 else "jira-for-intercom",
        }

    def part_assignee(self, r, ci, j, pt):
        """An assignment part's {"type","id"}: an admin, or every third one a
        team (the API's assigned_to names either).  Takes the same one draw
        from r either way, so no other value of the part moves."""
        na, nt = self.counts["admins"], self.counts["teams"]
        if pt != "assignment" or not na:
            return None
        k = r.randrange(na)
        if (ci + j) % 3 == 0 and nt:
            return {"type": "team", "id": str(self.team_id(k % nt))}
        return {"type": "admin", "id": self.admin_id(k)}

    def conversation(self, i):
        """Canonical conversation (with '_parts' and version-neutral fields).
        updated_at >= the newest part's updated_at, always."""
        r = rng_for(self.seed, "conv", i)
        c = self.conv_created(i)
        n = self.n_parts(i)
        # Parts are generated lazily (conversation_parts()).  Part j is created at
        # c + 60 + (j//2)*37 (+1) and updated at most 60 s later, so only the
        # last few parts can hold the newest updated_at (6 is a safe margin).
        last_part_u = max((self.part(i, j, c)["updated_at"] for j in range(max(0, n - 6), n)), default=c)
        u = last_part_u + r.choice([0, 0, 1, 30, 86400])
        na, nt, nc = self.counts["admins"], self.counts["teams"], self.counts["contacts"]
        state = ["open", "closed", "snoozed"][i % 3]
        assignee = None if i % 4 == 0 or not na else int(self.admin_id(r.randrange(na)))
        team = None if i % 3 == 0 or not nt else self.team_id(r.randrange(nt))
        contact_idx = (i * 3) % nc if nc else 0
        contact_id = hex24(self.seed, "contact", contact_idx)
        author = {"type": "user", "id": contact_id, "name": nasty_or(r, "Customer"), "email": f"c{contact_idx}@example.com"}
        src = {"type": ["conversation", "email", "push", "twitter", "sms"][i % 5], "id": str(403918300 + i),
               "delivered_as": ["customer_initiated", "admin_initiated"][i % 2],
               "subject": "" if i % 2 else f"Subject {i}: Ünïcødé \"q\"",
               "body": f"<p>Help! conversation {i} needs support 🙏\nline2\ttab</p>",
               "author": author, "attachments": [], "url": None, "redacted": False}
        tags = [{"type": "tag", "id": str(100 + t), "name": self.tag(t)["name"], "applied_at": c + 10,
                 "applied_by": {"type": "admin", "id": self.admin_id(0)}}
                for t in sorted({r.randrange(nt) for _ in range(r.randint(0, 2))})] if self.counts["tags"] else []
        stats = None if i % 5 == 4 else {
            "type": "conversation_statistics", "time_to_assignment": 0, "time_to_admin_reply": r.randint(1, 9999),
            "time_to_first_close": None if state == "open" else 5000, "time_to_last_close": None if state == "open" else 6000,
            "median_time_to_reply": r.randint(1, 500),
            "first_contact_reply_at": c + 1, "first_assignment_at": c + 2, "first_admin_reply_at": c + 3,
            "first_close_at": None if state == "open" else c + 5000, "last_assignment_at": c + 2,
            "last_assignment_admin_reply_at": c + 3, "last_contact_reply_at": c + 4,
            "last_admin_reply_at": c + 3, "last_close_at": None if state == "open" else c + 6000,
            "last_closed_by_id": None if state == "open" else self.admin_id(0),
            "count_reopens": r.randint(0, 3), "count_assignments": r.randint(0, 5),
            "count_conversation_parts": n,
        }
        return {
            "type": "conversation", "id": self.conv_id(i),
            "title": None if i % 3 else f"Title {i} «ünï» \"quoted\"",
            "created_at": c, "updated_at": u,
            "waiting_since": None if state != "open" else u, "snoozed_until": (u + 3600) if state == "snoozed" else None,
            "open": state == "open", "state": state, "read": i % 2 == 0,
            "_priority_level": ["none", "low", "medium", "high", "urgent"][i % 5],
            "admin_assignee_id": assignee, "team_assignee_id": team,
            "source": src,
            "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": contact_id,
                                                                "external_id": None if contact_idx % 3 == 0 else f"ext-{contact_idx}"}]},
            "teammates": {"type": "admin.list", "teammates": [{"type": "admin", "id": str(assignee)}] if assignee else []},
            "first_contact_reply": {"type": "conversation", "url": None, "created_at": c + 1},
            "tags": {"type": "tag.list", "tags": tags},
            "sla_applied": None if i % 4 else {"type": "conversation_sla_summary", "sla_name": "Gold ⭐", "sla_status": "hit"},
            "statistics": stats,
            "conversation_rating": None if i % 3 else {"rating": r.randint(1, 5), "remark": nasty_or(r, "good"),
                                                       "created_at": u, "contact": {"type": "contact", "id": contact_id},
                                                       "teammate": {"type": "admin", "id": assignee}},
            "custom_attributes": {} if i % 2 else {"Ticket Ref": f"T-{i}", "escalated": i % 4 == 0, "csat": None},
            "topics": {}, "ticket": None,
            "linked_objects": {"type": "list", "total_count": 0, "has_more": False, "data": []} if i % 6 != 2 else
                              {"type": "list", "total_count": 1, "has_more": False,
                               "data": [{"type": "ticket", "id": str(630 + i % 5), "category": "Customer"}]},
            "ai_agent": None if i % 5 != 1 else {
                "source_type": "workflow", "source_title": "Fin ✨ triage", "last_answer_type": "ai_answer",
                "resolution_state": "assumed_resolution", "rating": 4, "rating_remark": "Very helpful!",
                "created_at": c + 5, "updated_at": c + 65,
                "content_sources": {"type": "content_source.list", "total_count": 1, "content_sources": [
                    {"content_type": "article", "url": "/articles/39", "title": "How to do thing 0",
                     "locale": "en"}]}},
            "ai_agent_participated": i % 5 == 1,
            # legacy (tap-intercom / Stitch v1) fields
            "user": {"type": "user", "id": contact_id},
            "customers": [{"type": "user", "id": contact_id}],
            "assignee": {"type": "admin" if assignee else "nobody_admin", "id": str(assignee) if assignee else None},
            "conversation_message": dict(src),
            "customer_first_reply": {"type": "conversation", "url": None, "created_at": c + 1},
            "sent_at": c,
            "_index": i, "_nparts": n, "_shift": 0,
        }

    def conversation_parts(self, conv):
        """All parts of a canonical conversation, chronological (oldest first)."""
        i, n, shift = conv["_index"], conv["_nparts"], conv["_shift"]
        c = conv["created_at"] - shift
        parts = [self.part(i, j, c) for j in range(n)]
        if shift:
            for p in parts:
                for k in ("created_at", "updated_at", "notified_at"):
                    p[k] += shift
        # parts added by mutate --add-parts: the newest, written at mutation time
        added = conv.get("_added_parts_at", [])
        for p, at in zip(parts[len(parts) - len(added):], added):
            p["created_at"] = p["updated_at"] = p["notified_at"] = at
        # parts written through the API (fake_writes): their own kind
        kinds = conv.get("_added_part_types", [])
        for p, kind in zip(parts[len(parts) - len(kinds):], kinds):
            p["part_type"] = kind
            p["body"] = None
        return parts


# ---------------------------------------------------------------------------
# Exotic records (opt-in: --exotic, POST /_fake/exotic, `fakectl exotic`)
#
# Valid JSON that json.dumps cannot write, spliced in as RawJSON bytes: big
# and extreme numbers spelled exactly, \u0000, lone surrogates, invalid
# UTF-8 inside strings, duplicate keys.  Added to contacts and companies
# AFTER the generated records, with fixed ids (below); served everywhere a
# record is served (GET /contacts pages, contacts search, GET /contacts/{id},
# the company scroll, GET /companies?page=, GET /companies/{id} and the
# filtered/listed company endpoints) and counted in total_count.  Not in
# `fakectl dump` (python's json cannot carry these bytes).  Sets:
#   "on"      : the EXOTIC_* cases below (small, fast)
#   "hostile" : EXOTIC_HOSTILE (10,000 levels of nesting, a 10 MiB string,
#               1,000 keys) -- slow, so separate
#   "all"     : both; "off": none (the default; /_fake/reset restores --exotic)
# Each case's id, raw JSON and what PostgreSQL should read are the contract
# with sql/decode.sql.
# ---------------------------------------------------------------------------

EXOTIC_BASE = 1 << 40        # store index of a stream's first exotic record
EXOTIC_SETS = ("off", "on", "hostile", "all")

# contacts: custom_attributes.seats holds the number exactly as written here
EXOTIC_NUMBERS = [
    ("exotic-c-n01", b"18446744073709551617"),        # 2^64 + 1
    ("exotic-c-n02", b"9223372036854775807"),         # max bigint
    ("exotic-c-n03", b"9223372036854775808"),         # max bigint + 1
    ("exotic-c-n04", b"-9223372036854775808"),        # min bigint
    ("exotic-c-n05", b"-9223372036854775809"),        # min bigint - 1
    ("exotic-c-n06", b"2147483648"),                  # max integer + 1
    ("exotic-c-n07", b"0.30000000000000004"),         # needs 17 significant digits
    ("exotic-c-n08", b"1.7976931348623157e308"),      # max double
    ("exotic-c-n09", b"1.0e400"),                     # beyond double
    ("exotic-c-n10", b"1e-400"),                      # below the smallest double
    ("exotic-c-n11", b"123.4500"),                    # trailing zeros (numeric scale)
    ("exotic-c-n12", b"123456789012345678901234567890123456789012345678901234567890"),
    ("exotic-c-n13", b"-0.0"),
    ("exotic-c-n14", b"1E+2"),
]
# contacts: custom_attributes.name is this JSON string (bytes between the quotes)
EXOTIC_STRINGS = [
    ("exotic-c-s01", b"a\\u0000b"),                   # NUL            -> a U+FFFD b
    ("exotic-c-s02", b"a\\ud800b"),                   # lone high      -> a U+FFFD b
    ("exotic-c-s03", b"a\\udc00b"),                   # lone low       -> a U+FFFD b
    ("exotic-c-s04", b"a\\ud800\\u0041b"),            # high + non-surrogate -> a U+FFFD A b
    ("exotic-c-s05", b"a\\ud800"),                    # high at the end -> a U+FFFD
    ("exotic-c-s06", b"\\ud800\\ud83d\\ude00"),       # lone high, then a pair -> U+FFFD U+1F600
    ("exotic-c-s07", b"a\xffb"),                      # byte FF        -> a U+FFFD b
    ("exotic-c-s08", b"a\xe2\x82b"),                  # truncated 3-byte sequence -> a U+FFFD b
    ("exotic-c-s09", b"a\xe2\x82"),                   # truncated at the end -> a U+FFFD
    ("exotic-c-s10", b"a\xc0\xafb"),                  # overlong '/'   -> a U+FFFD U+FFFD b
    ("exotic-c-s11", b"a\xed\xa0\x80b"),              # UTF-8 of U+D800 -> a U+FFFD x3 b
    ("exotic-c-s12", b'\\" \\\\ \\/ \\b \\f \\n \\r \\t'),   # every escape
    ("exotic-c-s13", b"\\u00e9 \\u4e2d \\ud83d\\ude00 \\u2028 \\u2029"),
    ("exotic-c-s14", "😀 👩\u200d💻 \u2028\u2029".encode()),   # raw (unescaped) UTF-8
    ("exotic-c-s15", "مرحبا بالعالم \u200fשלום עולם".encode()),  # right-to-left
]
# contacts: raw custom_attributes objects (s16: keys needing U+FFFD; d01: duplicates)
EXOTIC_RAW_CUSTOM = [
    ("exotic-c-s16", b'{"n\\u0000ul":"v1","f\xfff":"v2","name":"keys"}'),
    ("exotic-c-d01", b'{"seats":1,"name":"first","obj":{"x":1},"seats":2,'
                     b'"nested":{"k":"a","k":"b"},"obj":{"y":2},"name":"last"}'),
]
# exotic-c-d01 also has two top-level "name" members ("Dup first", then "Dup last")
# and x_dup = {"a":1,"a":[2]}
EXOTIC_DUP_PREFIX = b'"name":"Dup first",'

EXOTIC_HOSTILE_DEPTH = 10000
EXOTIC_HOSTILE_STRING = 10 * 1024 * 1024     # characters before the final \u00e9
EXOTIC_HOSTILE_KEYS = 1000


def _exotic_contact(gen, k, eid, custom=None, raw_custom=None, extra=None, name=None, prefix=b""):
    rec = copy.deepcopy(gen.contact(0))
    t = 1700000000 + 60 * k
    rec.update({"id": eid, "external_id": eid, "email": f"{eid}@example.com", "email_domain": "example.com",
                "name": name or f"Exotic {eid[9:]}", "created_at": t, "updated_at": t + 30,
                "signed_up_at": t, "last_seen_at": t + 10})
    for key, url in (("tags", "tags"), ("notes", "notes"), ("companies", "companies"),
                     ("opted_out_subscription_types", "subscriptions"), ("opted_in_subscription_types", "subscriptions")):
        rec[key] = {"type": "list", "data": [], "url": f"/contacts/{eid}/{url}", "total_count": 0, "has_more": False}
    if raw_custom is not None:
        rec["custom_attributes"] = RawJSON(raw_custom, {})
    else:
        d = {"Plan Tier": "free", "plan-tier": "a", "name": "exotic", "weird \"quote\"": "x\"y'z",
             "seats": 1, "score": 0.5, "is_vip": False, "trial_ends": None, "ünïcode_ключ": "", "back\\slash": ""}
        d.update(custom or {})
        rec["custom_attributes"] = d
    rec.update(extra or {})
    return eid, rec, prefix


def _exotic_company(gen, k, eid, custom=None, raw_custom=None, extra=None):
    rec = copy.deepcopy(gen.company(1))
    t = 1700000000 + 60 * k
    rec.update({"id": eid, "company_id": eid, "name": f"Exotic {eid[7:]}", "created_at": t, "updated_at": t + 30,
                "last_request_at": t + 20, "user_count": 3})
    if raw_custom is not None:
        rec["custom_attributes"] = RawJSON(raw_custom, {})
    else:
        d = {"Plan Tier": "pro", "paid_subscriber": True, "monthly_spend": 1.5, "team_mates": 2,
             "renewal_date": None, "weird \"quote\"": "q"}
        d.update(custom or {})
        rec["custom_attributes"] = d
    rec.update(extra or {})
    return eid, rec, b""


EXOTIC_CONVERSATION_ID = "999000001"     # numeric like every conversation id


def _exotic_conversation(gen):
    rec = copy.deepcopy(gen.conversation(1))
    t = 1700000000
    part = copy.deepcopy(gen.part(1, 0, t))
    part.update({"id": "999000001001", "body": RawJSON(b'"<p>a\\u0000b</p>"', "<p>a?b</p>"),
                 "created_at": t + 60, "updated_at": t + 60, "notified_at": t + 60})
    rec.update({"id": EXOTIC_CONVERSATION_ID, "title": RawJSON(b'"T\\ud800itle"', "T?itle"),
                "created_at": t, "updated_at": t + 120, "waiting_since": None, "snoozed_until": None,
                "custom_attributes": {"Ticket Ref": RawJSON(b'"T-\xff"', "T-?"), "escalated": True,
                                      "csat": RawJSON(b"18446744073709551617")},
                "_nparts": 0, "_exotic_parts": [part]})
    if rec.get("statistics"):
        rec["statistics"]["count_conversation_parts"] = 1
    return EXOTIC_CONVERSATION_ID, rec, b""


def exotic_records(gen, which):
    """{stream: [(id, record with RawJSON values, raw members put first)]}"""
    out = {"contacts": [], "companies": [], "conversations": []}
    if which in ("on", "all"):
        c = out["contacts"]
        for eid, raw in EXOTIC_NUMBERS:
            c.append(_exotic_contact(gen, len(c), eid, custom={"seats": RawJSON(raw)}))
        for eid, raw in EXOTIC_STRINGS:
            c.append(_exotic_contact(gen, len(c), eid, custom={"name": RawJSON(b'"' + raw + b'"')}))
        for eid, raw in EXOTIC_RAW_CUSTOM:
            dup = eid == "exotic-c-d01"
            c.append(_exotic_contact(gen, len(c), eid, raw_custom=raw, name="Dup last" if dup else None,
                                     extra={"x_dup": RawJSON(b'{"a":1,"a":[2]}')} if dup else None,
                                     prefix=EXOTIC_DUP_PREFIX if dup else b""))
        co = out["companies"]
        co.append(_exotic_company(gen, 0, "exotic-co-01",
                                  custom={"team_mates": RawJSON(b"18446744073709551617"),
                                          "monthly_spend": RawJSON(b"1.0e400")},
                                  extra={"monthly_spend": RawJSON(b"0.30000000000000004", 0.3)}))
        co.append(_exotic_company(gen, 1, "exotic-co-02",
                                  custom={"Plan Tier": RawJSON(b'"a\\u0000b"'),
                                          "weird \"quote\"": RawJSON(b'"x\xffy"')},
                                  extra={"name": RawJSON(b'"co\\ud800name"', "co?name")}))
        co.append(_exotic_company(gen, 2, "exotic-co-03",
                                  raw_custom=b'{"team_mates":1,"Plan Tier":"first","team_mates":3,"Plan Tier":"last"}'))
        out["conversations"].append(_exotic_conversation(gen))
    if which in ("hostile", "all"):
        c = out["contacts"]
        n = EXOTIC_HOSTILE_DEPTH
        c.append(_exotic_contact(gen, 100, "exotic-c-h01",
                                 custom={"deep": RawJSON(b"[" * n + b"]" * n)},
                                 extra={"x_deep": RawJSON(b'{"a":' * n + b"1" + b"}" * n)}))
        c.append(_exotic_contact(gen, 101, "exotic-c-h02",
                                 custom={"name": RawJSON(b'"' + b"x" * EXOTIC_HOSTILE_STRING + b'\\u00e9"')}))
        c.append(_exotic_contact(gen, 102, "exotic-c-h03",
                                 raw_custom=encode_json({f"k{j:04d}": j for j in range(EXOTIC_HOSTILE_KEYS)})))
    return out


# ---------------------------------------------------------------------------
# Store: generator + mutation overlay, and version-specific rendering
# ---------------------------------------------------------------------------

class RenderCache:
    """Rendered JSON (bytes) of records, so that paging through a big stream a
    second time costs neither generation nor json.dumps.

    Key (kind, index, version) -> (source, bytes), where source is the
    overlay record the bytes were rendered from, or None for the generated
    (base) record.  A lookup hits only if the record's current source is
    that same object: base records are pure functions of (seed, stream, i)
    and overlay records are never modified in place (mutate/create store a
    fresh copy), so a mutation can never be answered from the cache, even
    when a render that started before the mutation stores its result after
    it.  Entries of mutated records are also dropped eagerly (forget).

    Also holds whole gzipped GET /contacts and /conversations pages (pages),
    keyed by everything the page depends on including the store's data
    generation; every mutation clears them.

    Bounded by --render-cache-mb: once full, new renders are simply not
    stored (a sequential scan bigger than the cache then keeps hitting the
    first part instead of thrashing an LRU)."""

    OVERHEAD = 120      # approximate bytes per entry beyond the JSON itself

    def __init__(self, budget_bytes):
        self.d = {}
        self.pages = {}     # gzipped list pages: key (incl. data generation) -> bytes
        self.budget = budget_bytes
        self.used = 0       # bytes of records and pages
        self.page_bytes = 0
        self.hits = self.misses = 0

    def get(self, key, src):
        e = self.d.get(key)
        if e is not None and e[0] is src:
            self.hits += 1
            return e[1]
        self.misses += 1
        return None

    def put(self, key, src, data):
        old = self.d.get(key)
        if old is None:
            if self.used + len(data) + self.OVERHEAD > self.budget:
                return
            self.used += len(data) + self.OVERHEAD
        else:
            self.used += len(data) - len(old[1])
        self.d[key] = (src, data)

    def get_page(self, key):
        data = self.pages.get(key)
        if data is not None:
            self.hits += 1
        else:
            self.misses += 1
        return data

    def put_page(self, key, data):
        if key not in self.pages and self.used + len(data) + self.OVERHEAD <= self.budget:
            self.used += len(data) + self.OVERHEAD
            self.page_bytes += len(data) + self.OVERHEAD
            self.pages[key] = data

    def clear_pages(self):
        """Every mutation: cached pages of older generations are dead weight.
        (Counters may drift by a page if a put races this; only the budget's
        accuracy depends on them.)"""
        self.pages = {}
        self.used -= self.page_bytes
        self.page_bytes = 0

    def forget(self, stream, i):
        for kind in KINDS_OF.get(stream, ()):
            for v in KNOWN_VERSIONS:
                e = self.d.pop((kind, i, v), None)
                if e is not None:
                    self.used -= len(e[1]) + self.OVERHEAD

    def stats(self):
        return {"entries": len(self.d), "pages": len(self.pages), "bytes": self.used, "budget": self.budget,
                "hits": self.hits, "misses": self.misses}


# render-cache kinds: kind -> stream; "conversation_full" is GET /conversations/{id}
# (the conversation plus its conversation_parts block)
KIND_STREAM = {"contacts": "contacts", "companies": "companies", "conversations": "conversations",
               "conversation_full": "conversations"}
KINDS_OF = {"contacts": ("contacts",), "companies": ("companies",),
            "conversations": ("conversations", "conversation_full")}


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


# Faults that damage or lose a response the server has produced: the route
# runs first, so a scroll page they hit has advanced the scroll (as on a real
# server, where the page was served and got lost on the way).
LOST_RESPONSE_FAULTS = {"drop", "slow", "empty", "html_200", "truncated", "bad_json", "bad_gzip",
                        "gzip_bomb"}


def _make_dumps():
    """json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(),
    reusing one C encoder instead of building one per call (json.dumps does
    exactly this internally; saves ~15% on a cold contacts page).  Falls back
    to the public API where the C accelerator is missing or differs."""
    try:
        from json.encoder import c_make_encoder, encode_basestring
        if c_make_encoder is None:
            raise ImportError
        c_enc = c_make_encoder(None, _ENCODER.default, encode_basestring, None, ":", ",", False, False, True)
        sample = {"a": [1, 2.5, None, True, "é\"\n🚀"], "b": {}, "c": -0.0, "d": 2 ** 70}
        if "".join(c_enc(sample, 0)) != json.dumps(sample, ensure_ascii=False, separators=(",", ":")):
            raise ValueError
    except Exception:
        return lambda obj: _ENCODER.encode(obj).encode()
    join = "".join
    return lambda obj: join(c_enc(obj, 0)).encode()


_GZIP_BOMB = []


def gzip_bomb():
    """{"type":"list","data":[],"pad":"<300 MiB of spaces>"} gzipped, built once."""
    if not _GZIP_BOMB:
        z = zlib.compressobj(1, zlib.DEFLATED, 31)      # 31: the gzip wrapper
        parts = [z.compress(b'{"type":"list","data":[],"pad":"')]
        chunk = b" " * (1 << 20)
        parts += [z.compress(chunk) for _ in range(300)]
        parts.append(z.compress(b'"}') + z.flush())
        _GZIP_BOMB.append(b"".join(parts))
    return _GZIP_BOMB[0]


# The one JSON encoding of every response body and cached record.
dumps = _make_dumps()


class RawJSON:
    """JSON text that encode_json splices into a response verbatim, as bytes:
    what json.dumps cannot write -- duplicate keys, lone surrogate escapes,
    invalid UTF-8 inside a string, numbers spelled exactly (1.0e400,
    123.4500, 18446744073709551617).  shadow is the Python value the fake's
    own logic (search filters, sorting, cursors) sees in its place."""
    __slots__ = ("data", "shadow")

    def __init__(self, data, shadow=None):
        self.data = data if isinstance(data, bytes) else data.encode()
        self.shadow = shadow

    def json(self):
        return self.data


def unraw(obj):
    """obj with every RawJSON replaced by its shadow (deeply)."""
    if isinstance(obj, RawJSON):
        return obj.shadow
    if isinstance(obj, dict):
        return {k: unraw(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [unraw(v) for v in obj]
    return obj


class RecRef:
    """A record in a response body, rendered to JSON only when the body is
    encoded (encode_json), i.e. after the state lock has been released."""
    __slots__ = ("store", "kind", "i", "src", "ver")

    def __init__(self, store, kind, i, src, ver):
        self.store, self.kind, self.i, self.src, self.ver = store, kind, i, src, ver

    def json(self):
        return self.store.render_json(self.kind, self.i, self.src, self.ver)


# A placeholder no record can contain: NUL plus a per-process random nonce.
_PLACEHOLDER = f"\x00{uuid.uuid4().hex}\x00"
_PLACEHOLDER_JSON = json.dumps(_PLACEHOLDER, ensure_ascii=False)


def encode_json(body):
    """dumps(body), where RecRef (and RawJSON) values anywhere in body are
    replaced by their cached (or freshly rendered, or verbatim) JSON.  Byte-identical to dumps() of the
    fully rendered body: compact JSON encoding is context-free, so an object
    encodes to the same bytes wherever it is nested."""
    refs = []

    def hook(o):
        if isinstance(o, (RecRef, RawJSON)):
            refs.append(o)
            return _PLACEHOLDER
        raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")

    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=hook)
    if not refs:
        return text.encode()
    pieces = text.split(_PLACEHOLDER_JSON)
    assert len(pieces) == len(refs) + 1
    out = [pieces[0].encode()]
    for ref, piece in zip(refs, pieces[1:]):
        out.append(ref.json())
        out.append(piece.encode())
    return b"".join(out)


class Store:
    """Lazily generated streams with an overlay of overrides/deletes/creates.

    Requests work on a snapshot() taken under the state lock; the overlay
    containers (overrides[stream], deleted[stream], deleted_conversations)
    are copy-on-write -- a mutation installs fresh containers (cow()) before
    changing them -- so a snapshot stays consistent while it is rendered
    outside the lock.  Caches (search, render, columns) are shared by a
    store and its snapshots and die with it on /_fake/reset."""

    INDEXED = ("admins", "teams", "tags", "segments", "company_segments",
               "companies", "contacts", "conversations")

    def __init__(self, seed, counts, tzname, cache_bytes=0):
        self.gen = Generator(seed, counts, tzname)
        self.base = dict(counts)
        self.created = {s: 0 for s in self.INDEXED}
        self.overrides = {s: {} for s in self.INDEXED}   # index -> canonical record
        self.deleted = {s: set() for s in self.INDEXED + ("company_attributes", "contact_attributes")}
        self.deleted_conversations = []                    # for GET /conversations/deleted
        self.merged = {}                                   # contact index -> surviving contact id
        self.tickets_deleted = frozenset()                 # ticket indexes (fake_more)
        self.attr_overrides = {}                           # (model, name) -> record
        self.generation = 0                                # bumped by every mutation (search cache key)
        self._colcache = {}
        self.search_cache = {}                             # see Handler.search
        self.search_base = {}                              # see Handler.search_by_segments
        self.rcache = RenderCache(cache_bytes)
        self.exotic_set = "off"
        self.ticket_changes = {}                           # ticket index -> fake_more.mutate_ticket's overlay
        self.exotic = {}                                   # stream -> [(id, record, prefix)]
        self.exotic_ids = {}                               # stream -> {id: index}

    def set_exotic(self, which):
        """Replace the exotic records (see exotic_records); caller holds the
        state lock.  Fresh containers, so snapshots keep what they saw."""
        if which not in EXOTIC_SETS:
            raise ValueError(f"exotic set must be one of {', '.join(EXOTIC_SETS)}")
        self.generation += 1
        self.rcache.clear_pages()
        self.exotic_set = which
        self.exotic = exotic_records(self.gen, which)
        self.exotic_ids = {st: {rid: EXOTIC_BASE + k for k, (rid, _, _) in enumerate(recs)}
                           for st, recs in self.exotic.items()}

    def exotic_json(self, kind, i, ver):
        """The exotic record i, rendered for ver, as bytes (raw parts verbatim)."""
        stream = KIND_STREAM[kind]
        _, rec, prefix = self.exotic[stream][i - EXOTIC_BASE]
        out = render(stream, rec, ver)
        if kind == "conversation_full":
            parts = rec.get("_exotic_parts", [])
            out["conversation_parts"] = {"type": "conversation_part.list", "total_count": len(parts),
                                         "conversation_parts": parts}
        data = encode_json(out)
        return data[:1] + prefix + data[1:] if prefix else data

    def live_count(self, stream):
        """Records a listing returns (total_count): generated, created and exotic, not deleted."""
        return self.size(stream) + len(self.exotic.get(stream, ())) - len(self.deleted[stream])

    def snapshot(self):
        """Consistent read-only view; caller holds the state lock."""
        snap = Store.__new__(Store)
        snap.__dict__.update(self.__dict__)
        snap.created = dict(self.created)
        snap.overrides = dict(self.overrides)
        snap.deleted = dict(self.deleted)
        snap.attr_overrides = dict(self.attr_overrides)
        snap.merged = dict(self.merged)
        return snap

    def cow(self, stream):
        """Give stream fresh overlay containers before a mutation changes them
        in place (snapshots keep the old ones).  Caller holds the state lock."""
        if stream in self.overrides:
            self.overrides[stream] = dict(self.overrides[stream])
        if stream in self.deleted:
            self.deleted[stream] = set(self.deleted[stream])
        if stream == "conversations":
            self.deleted_conversations = list(self.deleted_conversations)
        self.rcache.clear_pages()

    def ref(self, kind, i, ver):
        """RecRef for record i of KIND_STREAM[kind] as it is in this store."""
        return RecRef(self, kind, i, self.overrides[KIND_STREAM[kind]].get(i), ver)

    def render_json(self, kind, i, src, ver):
        if i >= EXOTIC_BASE and src is None:
            return self.exotic_json(kind, i, ver)
        key = (kind, i, ver)
        rc = self.rcache
        data = rc.get(key, src)
        if data is None:
            stream = KIND_STREAM[kind]
            rec = src if src is not None else self.base_record(stream, i)
            out = render(stream, rec, ver)
            if kind == "conversation_full":
                out["conversation_parts"] = parts_block(self.gen, rec)
            data = dumps(out)
            rc.put(key, src, data)
        return data

    # --- column cache for fast search over big datasets -------------------------
    # Searching a million lazily generated contacts by building each full
    # record per page would take minutes.  Searches that only touch these
    # fields instead read compact arrays built once from the generator (the
    # base data never changes; overrides are consulted separately).
    FAST = {"contacts": ("created_at", "updated_at", "signed_up_at", "last_seen_at"),
            "conversations": ("created_at", "updated_at")}
    NULL = -(2 ** 63)

    def _columns(self, stream):
        cache = self._colcache
        if stream not in cache:
            names = self.FAST[stream]
            cols = {f: array("q") for f in names}
            for i in range(self.base[stream]):
                if stream == "contacts":
                    vals = self.gen.contact_times(i)
                else:
                    c = self.gen.conversation(i)
                    vals = (c["created_at"], c["updated_at"])
                for f, v in zip(names, vals):
                    cols[f].append(self.NULL if v is None else v)
            cache[stream] = cols
        return cache[stream]

    def light_records(self, stream):
        """(index, {"id", fast fields...}) for every live record."""
        names = self.FAST[stream]
        cols = self._columns(stream)
        ov, base, NULL = self.overrides[stream], self.base[stream], self.NULL
        for i in self.indexes(stream):
            if i in ov or i >= base:
                r = self.get(stream, i)
                yield i, {"id": r["id"], **{f: r[f] for f in names}}
            else:
                d = {"id": self.id_of(stream, i)}
                for f in names:
                    v = cols[f][i]
                    d[f] = None if v == NULL else v
                yield i, d

    # --- id <-> index -----------------------------------------------------
    def id_of(self, stream, i):
        g = self.gen
        if i >= EXOTIC_BASE:
            return self.exotic[stream][i - EXOTIC_BASE][0]
        return {"admins": lambda: g.admin_id(i), "teams": lambda: str(g.team_id(i)),
                "tags": lambda: str(100 + i), "segments": lambda: hex24(g.seed, "segment", i),
                "company_segments": lambda: hex24(g.seed, "company_segment", i),
                "companies": lambda: hex24(g.seed, "company", i),
                "contacts": lambda: hex24(g.seed, "contact", i),
                "conversations": lambda: g.conv_id(i)}[stream]()

    def index_of(self, stream, id_):
        id_ = str(id_)
        ex = self.exotic_ids.get(stream, {}).get(id_)
        if ex is not None:
            return None if ex in self.deleted[stream] else ex
        kinds = {"segments": "segment", "company_segments": "company_segment",
                 "companies": "company", "contacts": "contact"}
        if stream in kinds:
            i = hex24_index(self.gen.seed, kinds[stream], id_)
        else:
            base = {"admins": 991267400, "teams": 5017690, "tags": 100, "conversations": 100000}[stream]
            try:
                i = int(id_) - base
            except ValueError:
                return None
            if self.id_of(stream, i) != id_ if i >= 0 else True:
                return None
        if i is None or i < 0 or i >= self.size(stream) or i in self.deleted[stream]:
            return None
        return i

    def size(self, stream):
        return self.base[stream] + self.created[stream]

    def get(self, stream, i):
        """Canonical record (deep copy safe to render)."""
        if i in self.overrides[stream]:
            return self.overrides[stream][i]
        if i >= EXOTIC_BASE:
            return unraw(self.exotic[stream][i - EXOTIC_BASE][1])
        return self.base_record(stream, i)

    def base_record(self, stream, i):
        """The generated record i, ignoring the overlay."""
        g = self.gen
        if stream == "admins": return g.admin(i)
        if stream == "teams": return g.team(i)
        if stream == "tags": return g.tag(i)
        if stream == "segments": return g.segment(i)
        if stream == "company_segments": return g.segment(i, company=True)
        if stream == "companies": return g.company(i)
        if stream == "contacts": return g.contact(i)
        if stream == "conversations": return g.conversation(i)
        raise KeyError(stream)

    def indexes(self, stream, start=0, exotic=True):
        """Live record indexes from start: generated and created ones, then
        (unless exotic=False) the exotic ones, which sort after them all."""
        dele = self.deleted[stream]
        for i in range(start, self.size(stream)):
            if i not in dele:
                yield i
        n = len(self.exotic.get(stream, ())) if exotic else 0
        for i in range(max(start, EXOTIC_BASE), EXOTIC_BASE + n):
            if i not in dele:
                yield i

    def records(self, stream, exotic=True):
        for i in self.indexes(stream, exotic=exotic):
            yield self.get(stream, i)

    def attributes(self, model):
        stream = f"{model}_attributes"
        out = []
        for a in self.gen.attributes(model) + [a for a, _ in NEW_ATTRIBUTES.get(model, ())]:
            key = (model, a["name"], a.get("id"))
            a = self.attr_overrides.get(key, a)
            if a["full_name"] in self.deleted.get(stream, ()) or a["name"] in self.deleted.get(stream, ()):
                continue
            out.append(a)
        return out


# Fields Intercom started sending after this fake was written (POST
# /_fake/new_fields, fakectl new-field / new-attribute): stream -> {name: value}
# added to every record render() returns, and model -> [(data attribute,
# value)] custom attributes newly defined.  Replaced, never changed in place,
# so a render that is running keeps the dict it started with; reset clears them.
NEW_FIELDS = {}
NEW_ATTRIBUTES = {}


def render(stream, rec, ver, include_count=True):
    """Adapt a canonical record to what the API returns for version `ver`,
    with the fields and custom attributes Intercom has "added" since."""
    r = _render_version(stream, rec, ver, include_count)
    new = NEW_FIELDS.get(stream)
    attrs = NEW_ATTRIBUTES.get(MODEL_OF.get(stream))
    if not new and not attrs:
        return r
    r = dict(r)
    if attrs and isinstance(r.get("custom_attributes"), dict):
        r["custom_attributes"] = dict(r["custom_attributes"], **{a["name"]: v for a, v in attrs})
    r.update(new or {})
    return r


MODEL_OF = {"contacts": "contact", "companies": "company"}


def _render_version(stream, rec, ver, include_count=True):
    """Adapt a canonical record to what the API returns for version `ver`."""
    v16 = vkey(ver) >= (2, 16)
    if stream == "contacts":
        r = dict(rec)
        if v16 and r["owner_id"] is not None:
            r["owner_id"] = str(r["owner_id"])
        return r
    if stream == "conversations":
        r = {k: v for k, v in rec.items() if not k.startswith("_")}
        if v16:
            r["priority"] = rec["_priority_level"]
            r["admin_assignee_id"] = r["admin_assignee_id"] or 0
            r["team_assignee_id"] = r["team_assignee_id"] or 0
        else:
            r["priority"] = "priority" if rec["_priority_level"] in ("high", "urgent") else "not_priority"
        return r
    if stream in ("segments", "company_segments"):
        r = dict(rec)
        if not include_count:
            r.pop("count", None)
        return r
    if stream == "companies" and not v16:
        r = dict(rec)
        r.pop("notes", None)
        return r
    return rec


def parts_block(gen, conv):
    """conversation_parts object: the 500 MOST RECENT parts, chronological;
    total_count = the number returned (as the API does)."""
    parts = gen.conversation_parts(conv)[-PARTS_CAP:]
    return {"type": "conversation_part.list", "total_count": len(parts), "conversation_parts": parts}


# ---------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------

class ApiError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def bad(code, msg, status=400):
    return ApiError(status, code, msg)


CONTACT_DATE = {"created_at", "updated_at", "signed_up_at", "last_seen_at", "last_contacted_at",
                "last_replied_at", "last_email_opened_at", "last_email_clicked_at",
                "ios_last_seen_at", "android_last_seen_at"}
CONTACT_STRING = {"id", "role", "name", "avatar", "email", "email_domain", "phone", "formatted_phone",
                  "external_id", "language_override", "browser", "browser_language", "os",
                  "location.country", "location.region", "location.city", "ios_app_version",
                  "ios_device", "ios_app_device", "ios_os_version", "ios_app_name", "ios_sdk_version",
                  "android_app_version", "android_device", "android_app_name", "andoid_sdk_version",
                  "android_sdk_version"}
CONTACT_BOOL = {"unsubscribed_from_emails", "marked_email_as_spam", "has_hard_bounced"}
CONTACT_INT = {"owner_id"}
CONTACT_REF = {"tag_id", "segment_id"}

CONV_DATE = {"created_at", "updated_at", "waiting_since", "snoozed_until"}
CONV_STRING = {"id", "state", "source.type", "source.id", "source.delivered_as", "source.subject",
               "source.author.id", "source.author.type", "source.author.name", "source.author.email",
               "source.url", "priority", "contact_ids", "teammate_ids", "tag_ids", "channel_initiated"}
CONV_BOOL = {"open", "read", "ai_agent_participated"}
CONV_INT = {"admin_assignee_id", "team_assignee_id", "statistics.count_conversation_parts",
            "statistics.count_reopens", "statistics.count_assignments"}

OPS = {"=", "!=", "IN", "NIN", "<", ">", "<=", ">=", "~", "!~", "^", "$"}


def _num(v, field):
    if isinstance(v, bool):
        raise bad("parameter_invalid", f"Invalid value for {field}")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                pass
    raise bad("parameter_invalid", f"Invalid value {v!r} for {field}")


def _bool(v, field):
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise bad("parameter_invalid", f"Invalid value {v!r} for {field}")


def dig(rec, path):
    cur = rec
    for p in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


class Search:
    """Compiles a search query into a predicate.  Depth: a top-level compound
    is level 1, a compound inside it level 2; a third level is rejected
    ("max 2 levels of nesting").  More than 15 items in one group -> 400."""

    def __init__(self, model, tzname, custom_types, slop_seconds=0):
        self.model, self.tz, self.custom_types = model, ZoneInfo(tzname), custom_types
        self.fields = set()          # every field the query references (for the fast path)
        # config search_slop_seconds: a server that applies date comparisons
        # approximately (a superset: each bound widened by this much), to test
        # that clients recheck; 0, exact to the second, is Intercom's contract
        self.slop = slop_seconds

    def compile(self, q, depth=0):
        if not isinstance(q, dict):
            raise bad("parameter_invalid", "query must be an object")
        op = q.get("operator")
        if op in ("AND", "OR"):
            if depth >= 2:
                raise bad("parameter_invalid", "Query nesting too deep: at most 2 levels of nested AND/OR are allowed")
            items = q.get("value")
            if not isinstance(items, list) or not items:
                raise bad("parameter_invalid", f"{op} requires a non-empty array value")
            if len(items) > 15:
                raise bad("parameter_invalid", "A group may contain at most 15 filters")
            subs = [self.compile(x, depth + 1) for x in items]
            return (lambda r: all(s(r) for s in subs)) if op == "AND" else (lambda r: any(s(r) for s in subs))
        if "field" not in q:
            raise bad("parameter_invalid", "filter requires field, operator and value")
        return self.filter(q["field"], op, q.get("value"))

    def ftype(self, field):
        self.fields.add(field)
        if self.model == "contact":
            if field in CONTACT_DATE: return "date"
            if field in CONTACT_STRING: return "string"
            if field in CONTACT_BOOL: return "boolean"
            if field in CONTACT_INT: return "integer"
            if field in CONTACT_REF: return "ref"
            if field.startswith("custom_attributes."):
                t = self.custom_types.get(field[len("custom_attributes."):])
                if t is None:
                    raise bad("parameter_invalid", f"Custom attribute {field} does not exist")
                return {"float": "integer"}.get(t, t)
        else:
            if field in CONV_DATE: return "date"
            if field in CONV_STRING: return "string"
            if field in CONV_BOOL: return "boolean"
            if field in CONV_INT: return "integer"
            if field.startswith("custom_attributes."): return "any"
        raise bad("parameter_invalid", f"{field} is not a searchable field")

    def getter(self, field):
        if self.model == "conversation":
            if field == "contact_ids":
                return lambda r: [c["id"] for c in r["contacts"]["contacts"]]
            if field == "teammate_ids":
                return lambda r: [t["id"] for t in r["teammates"]["teammates"]]
            if field == "tag_ids":
                return lambda r: [t["id"] for t in r["tags"]["tags"]]
        else:
            if field == "tag_id":
                return lambda r: [t["id"] for t in r["tags"]["data"]]
            if field == "segment_id":
                return lambda r: []
            if field.startswith("custom_attributes."):
                key = field[len("custom_attributes."):]
                return lambda r: (r.get("custom_attributes") or {}).get(key)
        return lambda r: dig(r, field)

    def day_bounds(self, t):
        d = datetime.fromtimestamp(t, self.tz).date()
        start = int(datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp())
        nd = d + timedelta(days=1)
        end = int(datetime(nd.year, nd.month, nd.day, tzinfo=self.tz).timestamp())
        return start, end

    def filter(self, field, op, value):
        if op not in OPS:
            raise bad("parameter_invalid", f"Unsupported operator {op!r}")
        ft = self.ftype(field)
        get = self.getter(field)
        if op in ("IN", "NIN"):
            if not isinstance(value, list):
                raise bad("parameter_invalid", f"{op} requires an array value")
        elif isinstance(value, (list, dict)):
            raise bad("parameter_invalid", f"Operator {op} requires a scalar value")

        if ft == "date" and self.model == "contact":
            # The documented contact-search caveat: day granularity in the
            # workspace timezone, and only = < > allowed.
            if op not in ("=", "<", ">"):
                raise bad("parameter_invalid", f"Operator {op} is not supported for date field {field}")
            start, end = self.day_bounds(_num(value, field))

            def pred(r):
                v = get(r)
                if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
                    return False
                return start <= v < end if op == "=" else (v >= end if op == ">" else v < start)
            return pred

        if ft in ("date", "integer", "any") and op in ("<", ">", "<=", ">="):
            x = _num(value, field)
            if ft == "date" and self.slop:
                x = x + self.slop if op in ("<", "<=") else x - self.slop

            def pred(r):
                v = get(r)
                if v is None or isinstance(v, bool):
                    return False
                try:
                    v = _num(v, field)
                except ApiError:
                    return False
                return {"<": v < x, ">": v > x, "<=": v <= x, ">=": v >= x}[op]
            return pred
        if op in ("<", ">", "<=", ">="):
            if field == "id":      # conversation/contact ids: numeric compare where possible
                x = _num(value, field)
                return lambda r: _cmp_id(get(r), op, x)
            raise bad("parameter_invalid", f"Operator {op} is not supported for field {field}")
        if op in ("~", "!~", "^", "$"):
            if ft not in ("string", "any"):
                raise bad("parameter_invalid", f"Operator {op} is only supported for string fields")
            s = str(value).lower()

            def pred(r):
                v = get(r)
                if v is None:
                    return op == "!~"
                v = str(v).lower()
                return {"~": s in v, "!~": s not in v, "^": v.startswith(s), "$": v.endswith(s)}[op]
            return pred
        if ft == "ref" and op not in ("=", "!="):
            raise bad("parameter_invalid", f"Operator {op} is not supported for {field}")

        def norm(x):
            if ft == "boolean":
                return _bool(x, field)
            if ft in ("integer", "date"):
                return None if x is None else _num(x, field)
            return None if x is None else str(x)
        vals = [norm(x) for x in (value if op in ("IN", "NIN") else [value])]

        def eq(r):
            v = get(r)
            if isinstance(v, list):
                return any(str(x) in [str(y) for y in vals] for x in v)
            if v is not None and ft in ("integer", "date") and not isinstance(v, bool):
                try:
                    v = _num(v, field)
                except ApiError:
                    pass
            elif v is not None and ft in ("string", "ref", "any"):
                v = str(v) if not isinstance(v, bool) else v
                if ft == "any":
                    return any(v == x or str(v) == str(x) for x in vals)
            return v in vals
        return eq if op in ("=", "IN") else (lambda r: not eq(r))


def _cmp_id(v, op, x):
    try:
        v = int(v)
    except (TypeError, ValueError):
        return False
    return {"<": v < x, ">": v > x, "<=": v <= x, ">=": v >= x}[op]


# ---------------------------------------------------------------------------
# Cursors: opaque base64 that always contains '+', '/' and '=' so clients
# must URL-encode them (the real ones can contain all three).
# ---------------------------------------------------------------------------

_CUR_PREFIX = b"\xfb\xef\xbe\xff\xff\xff"      # base64 -> "++++////"


def make_cursor(payload):
    raw = _CUR_PREFIX + json.dumps(payload, separators=(",", ":")).encode()
    if len(raw) % 3 == 0:
        raw += b" "                 # force '=' padding
    return base64.b64encode(raw).decode()


def read_cursor(s):
    try:
        raw = base64.b64decode(s.encode(), validate=True)
        if not raw.startswith(_CUR_PREFIX):
            raise ValueError
        p = json.loads(raw[len(_CUR_PREFIX):].decode())
        if not isinstance(p, list):
            raise ValueError
        return p
    except Exception:
        bad_cursor()


def bad_cursor():
    raise ApiError(400, "client_error", "Invalid starting_after param. Please try again using a "
                                            "starting_after value from a paginated response")


# ---------------------------------------------------------------------------
# Server state
# ---------------------------------------------------------------------------

class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        a = self.args
        counts = dict(DATASETS[a.dataset])
        for k in ("contacts", "companies", "conversations"):
            if getattr(a, k) is not None:
                counts[k] = getattr(a, k)
        self.counts = counts
        self.config = {"rate_limit": a.rate_limit, "rate_window_seconds": 10, "latency_ms": a.latency_ms, "timezone": a.timezone,
                       "scroll_idle_seconds": a.scroll_idle_seconds, "scroll_page_size": a.scroll_page_size,
                       "api_version_default": a.api_version_default, "search_slop_seconds": 0,
                       "search_lag_seconds": 0, "search_latency_ms": -1}
        self.store = Store(a.seed, counts, a.timezone, int(a.render_cache_mb * 1024 * 1024))
        if getattr(a, "exotic", "off") != "off":
            self.store.set_exotic(a.exotic)
        if counts["contacts"] + counts["conversations"] > 20000:
            # Big datasets: build the search columns in the background so the
            # first date-range search does not pay for it.  Pure functions of
            # the seed, so racing with a search that builds them too is harmless.
            store = self.store
            threading.Thread(target=lambda: [store._columns(x) for x in Store.FAST], daemon=True).start()
        global NEW_FIELDS, NEW_ATTRIBUTES
        NEW_FIELDS, NEW_ATTRIBUTES = {}, {}
        self.faults = []
        self.log = []
        self.window = None
        self.window_count = 0
        self.scroll = None          # {"param","pos","last"}
        self.scroll_hold_until = 0.0
        self.stats = {"requests": 0, "api_requests": 0, "by_status": {}, "by_path": {}}
        self.in_flight = 0          # API requests received and not yet answered
        self.max_in_flight = 0      # the most at once since the last stats/clear
        self.req_counter = 0

    def request_id(self):
        self.req_counter += 1
        return str(uuid.UUID(int=(0xfa4e << 112) | (0x4 << 76) | (0x8 << 60) | self.req_counter))


# ---------------------------------------------------------------------------
# HTTP handler
# ---------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeIntercom/1.0"
    # TCP_NODELAY, and every response goes out in one write (send()): with
    # headers and body in separate small writes, Nagle + the client's delayed
    # ACK stalled keep-alive requests by ~40 ms.
    disable_nagle_algorithm = True
    state: State = None

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            sys.stderr.write("fake_intercom: " + (fmt % args) + "\n")

    # one entry point for every method; routing decides what's allowed
    def do_GET(self): self.handle_any("GET")
    def do_POST(self): self.handle_any("POST")
    def do_PUT(self): self.handle_any("PUT")
    def do_DELETE(self): self.handle_any("DELETE")
    def do_PATCH(self): self.handle_any("PATCH")
    def do_HEAD(self): self.handle_any("HEAD")

    # --- response helpers ----------------------------------------------------
    def accepts_gzip(self):
        return "gzip" in (self.headers.get("Accept-Encoding") or "").lower()

    def send(self, status, body, headers=None, ctype="application/json; charset=utf-8", truncate=False,
             gz_key=None, gzipped=False):
        """Encode, gzip if accepted, and write status line + headers + body
        with ONE write (no lock held: callers release the state lock first).
        gz_key: keep the gzipped body in the render cache under this key;
        gzipped: body is such a cached gzipped body."""
        if isinstance(body, (dict, list)):
            data = encode_json(body)
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body or b""
        if truncate:
            data = data[: len(data) // 2]
        if gzipped:
            headers = dict(headers or {}, **{"Content-Encoding": "gzip"})
        elif data and self.accepts_gzip():
            data = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
            headers = dict(headers or {}, **{"Content-Encoding": "gzip"})
            if gz_key is not None:
                self.snap.rcache.put_page(gz_key, data)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        if self.request_version != "HTTP/0.9":
            buf = self._headers_buffer  # what send_response/send_header collected
            buf.append(b"\r\n")
        else:
            buf = []
        if self.command != "HEAD" and data:
            buf.append(data)
        self._headers_buffer = []
        if getattr(self, "deadline", None):
            time.sleep(max(0.0, self.deadline - time.time()))
            self.deadline = None
        self.wfile.write(b"".join(buf))
        self.status_sent = status

    def err_body(self, rid, code, message):
        return {"type": "error.list", "request_id": rid, "errors": [{"code": code, "message": message}]}

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # --- dispatch ----------------------------------------------------------------
    def handle_any(self, method):
        st = self.state
        u = urlsplit(self.path)
        path = u.path.rstrip("/") or "/"
        qpairs = parse_qsl(u.query, keep_blank_values=True)
        query = dict(qpairs)
        raw = self.read_body()
        self.status_sent = None
        with st.lock:
            st.stats["requests"] += 1
        if path.startswith("/_fake"):
            return self.control(method, path, query, raw)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        # target and raw_body: the request exactly as sent (fakectl log --raw)
        entry = {"method": method, "path": path, "query": query, "body": body, "status": None,
                 "target": self.path, "raw_body": raw.decode("utf-8", "replace") if raw else None}
        with st.lock:
            st.log.append(entry)
            st.stats["api_requests"] += 1
            st.stats["by_path"][path] = st.stats["by_path"].get(path, 0) + 1
            rid = st.request_id()
            st.in_flight += 1
            st.max_in_flight = max(st.max_in_flight, st.in_flight)
        self.deadline = None
        try:
            self.api(method, path, query, raw, body, rid, entry)
        finally:
            self.snap = None          # do not keep a (possibly reset) store alive
            self.deadline = None
            entry["status"] = self.status_sent if self.status_sent is not None else 0
            with st.lock:
                st.in_flight -= 1
                k = str(entry["status"])
                st.stats["by_status"][k] = st.stats["by_status"].get(k, 0) + 1

    def api(self, method, path, query, raw, body, rid, entry):
        st = self.state
        base = {"X-Request-Id": rid}
        auth = self.headers.get("Authorization") or ""
        if not (auth.startswith("Bearer ") and auth[7:].strip() in self.server.tokens):
            return self.send(401, self.err_body(rid, "unauthorized", "Access Token Invalid"), base)
        with st.lock:
            latency = st.config["latency_ms"]
            if path.endswith("/search") and st.config["search_latency_ms"] >= 0:
                latency = st.config["search_latency_ms"]
            now = time.time()
            span = st.config["rate_window_seconds"]    # Intercom: 10; shorter for quick tests
            win = int(now // span) * span
            if st.window != win:
                st.window, st.window_count = win, 0
            st.window_count += 1
            limit = st.config["rate_limit"]
            rl = {"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": max(0, limit - st.window_count),
                  "X-RateLimit-Reset": win + span}
            over = st.window_count > limit
            fault = None if over else self.take_fault(method, path)
        hdrs = dict(base, **rl)
        # The latency is the time from the request's arrival to its answer,
        # whatever the work in between (send() waits for the rest): a new
        # search costs what a cached one does, as on a search index, as
        # long as its filter and sort take less than the latency.
        if latency:
            self.deadline = now + latency / 1000.0
        if over:
            return self.send(429, self.err_body(rid, "rate_limit_exceeded",
                                                f"Exceeded rate limit of {limit} in 10_seconds"), hdrs)
        post = None
        if fault:
            kind = fault["kind"]
            if kind == "429":
                hdrs["X-RateLimit-Remaining"] = 0
                return self.send(429, self.err_body(rid, "rate_limit_exceeded",
                                                    f"Exceeded rate limit of {limit} in 10_seconds"), hdrs)
            if kind == "500":
                return self.send(500, self.err_body(rid, "server_error", "Server Error"), hdrs)
            if kind == "502_html":
                return self.send(502, "<html><head><title>502 Bad Gateway</title></head><body><center>"
                                      "<h1>502 Bad Gateway</h1></center></body></html>\n", hdrs, ctype="text/html")
            if kind == "503_json":
                return self.send(503, self.err_body(rid, "service_unavailable", "Service Unavailable"), hdrs)
            if kind == "404":
                return self.send(404, self.err_body(rid, "not_found", "Resource Not Found"), hdrs)
            if kind == "stall":
                # no answer, and the request never reaches the route: a
                # write that times out before the server acted
                time.sleep(fault.get("delay_ms", 5000) / 1000.0)
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass
                return None
            if kind == "scroll_500":
                with st.lock:
                    st.scroll = None          # a 500 mid-scroll kills the scroll
                return self.send(500, self.err_body(rid, "server_error", "Request failed due to an internal network "
                                                    "error. Please restart the scroll operation."), hdrs)
            if kind == "scroll_expire":
                with st.lock:
                    if st.scroll:
                        st.scroll["last"] = -1e12    # idle for ever -> expired
            if kind in LOST_RESPONSE_FAULTS:
                # the server produces the response (a scroll page advances the
                # scroll), then it is lost or damaged on the way
                post = kind
        ver = self.headers.get("Intercom-Version") or st.config["api_version_default"]
        try:
            if ver not in KNOWN_VERSIONS:
                raise ApiError(400, "intercom_version_invalid", f"The requested version {ver!r} is not valid")
            self.gz_key = None
            status, out = self.route(method, path, query, raw, body, ver)
            gz_key = self.gz_key if post is None and self.accepts_gzip() else None
            if gz_key is not None:
                cached = self.snap.rcache.get_page(gz_key)
                if cached is not None:
                    return self.send(status, cached, hdrs, gzipped=True)
            out = encode_json(out)        # renders RecRefs: outside the lock, inside the 500 net
        except ApiError as e:
            hdrs.update(e.headers)
            if post in ("truncated", None):
                return self.send(e.status, self.err_body(rid, e.code, e.message), hdrs)
            status, out, gz_key = e.status, self.err_body(rid, e.code, e.message), None
        except Exception as e:            # a bug in the fake: make it loud but well-formed
            import traceback
            traceback.print_exc()
            return self.send(500, self.err_body(rid, "server_error", f"fake server bug: {e}"), hdrs)
        if post is not None and post != "truncated":
            return self.send_lost(post, fault, status, out, hdrs)
        return self.send(status, out, hdrs, truncate=(post == "truncated"), gz_key=gz_key)

    def send_lost(self, kind, fault, status, out, hdrs):
        """A response the server produced, lost or damaged on the way."""
        if kind == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return None
        if kind == "slow":
            time.sleep(fault.get("delay_ms", 5000) / 1000.0)
            return self.send(status, out, hdrs)
        if kind == "html_200":
            return self.send(200, "<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>", hdrs,
                             ctype="text/html; charset=utf-8")
        if kind == "bad_json":
            # syntactically invalid, but complete (not a truncation)
            return self.send(200, '{"type":"list","data":[}', hdrs)
        if kind == "bad_gzip":
            # a gzip stream cut short by something on the way: the HTTP body
            # is complete (Content-Length matches) but does not decompress
            data = out if isinstance(out, bytes) else encode_json(out)
            gz = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
            return self.send(status, gz[: len(gz) // 2], hdrs, gzipped=True)
        if kind == "gzip_bomb":
            # valid gzip of valid JSON that inflates to 300 MiB, past the
            # client's 256 MiB limit on a body: about 300 kB on the wire
            return self.send(200, gzip_bomb(), hdrs, gzipped=True)
        return self.send(200, b"", hdrs)    # empty

    def take_fault(self, method, path):
        """First queued fault matching path prefix/method; 'after' lets that
        many matching requests through first.  Caller holds the lock."""
        st = self.state
        for f in st.faults:
            if not path.startswith(f["path"]):
                continue
            if f.get("method") and f["method"].upper() != method:
                continue
            if f["after"] > 0:
                f["after"] -= 1
                return None
            f["count"] -= 1
            if f["count"] <= 0:
                st.faults.remove(f)
            return f
        return None

    # --- API routes ------------------------------------------------------------------
    def route(self, method, path, q, raw, body, ver):
        """Routes read a snapshot of the store taken under the lock, and build
        the body without it (big records as RecRefs, rendered when the body
        is encoded).  Only state changes (scroll, search cache) lock again."""
        st = self.state
        parts = path.strip("/").split("/")
        n = len(parts)
        v16 = vkey(ver) >= (2, 16)
        with st.lock:
            s = self.snap = st.store.snapshot()
            self.cfg = dict(st.config)

        def need(m):
            if method != m:
                raise ApiError(404, "not_found", "Resource Not Found")

        if parts == ["me"]:
            need("GET")
            return 200, {"type": "admin", "id": s.gen.admin_id(0), "email": "admin0@example.com",
                         "name": s.gen.admin(0)["name"], "email_verified": True,
                         "app": {"type": "app", "id_code": "fakeapp1", "name": "Fake App ✨",
                                 "created_at": T_2019, "secure": False, "identity_verification": False,
                                 "timezone": self.cfg["timezone"], "region": "US"},
                         "avatar": {"type": "avatar", "image_url": None}, "has_inbox_seat": True}
        self.ver = ver
        written = fake_writes.route(self, sys.modules[__name__], method, parts, body)
        if written is not None:
            return written
        more = fake_more.route(self, sys.modules[__name__], s.gen, method, parts, q, ver, need, body)
        if more is not None:
            return more
        if parts == ["admins"]:
            need("GET")
            # the avatar is sent only when asked for (display_avatar=true)
            avatar = q.get("display_avatar", "false").lower() == "true"
            return 200, {"type": "admin.list", "admins": [
                r if avatar else {k: v for k, v in r.items() if k != "avatar"} for r in s.records("admins")]}
        if n == 2 and parts[0] == "admins":
            need("GET")
            i = s.index_of("admins", parts[1])
            if i is None:
                raise ApiError(404, "admin_not_found", "Admin not found")
            return 200, s.get("admins", i)
        if parts == ["tags"]:
            need("GET")
            return 200, {"type": "list", "data": list(s.records("tags"))}
        if parts == ["teams"]:
            need("GET")
            return 200, {"type": "team.list", "teams": list(s.records("teams"))}
        if parts == ["segments"]:
            need("GET")
            stream = "company_segments" if q.get("type") == "company" else "segments"
            inc = q.get("include_count", "false").lower() == "true"
            return 200, {"type": "segment.list",
                         "segments": [render(stream, r, ver, inc) for r in s.records(stream)]}
        if parts == ["data_attributes"]:
            need("GET")
            model = q.get("model")
            if model == "conversation" and v16:
                raise ApiError(422, "data_invalid", "Conversation data attributes are not available in this "
                                                    "version; use /conversations/attributes")
            if model not in (None, "contact", "company", "conversation"):
                raise bad("parameter_invalid", f"model must be one of contact, company, conversation")
            models = [model] if model else (["contact", "company"] + ([] if v16 else ["conversation"]))
            data = [a for m in models for a in s.attributes(m)]
            if q.get("include_archived", "false").lower() != "true":
                data = [a for a in data if not a["archived"]]
            return 200, {"type": "list", "data": data}
        if parts[0] == "companies":
            return self.companies(method, parts, q, ver, need)
        if parts[0] == "contacts":
            return self.contacts(method, parts, q, body, ver, need)
        if parts[0] == "conversations":
            return self.conversations(method, parts, q, body, ver, need)
        raise ApiError(404, "not_found", "Resource Not Found")

    def host_url(self):
        return "http://" + (self.headers.get("Host") or f"127.0.0.1:{self.server.server_port}")

    def page_params(self, q, default, maximum):
        try:
            page = int(q.get("page", 1))
            per_page = int(q.get("per_page", default))
        except ValueError:
            raise bad("parameter_invalid", "page and per_page must be integers")
        if page < 1 or per_page < 1:
            raise bad("parameter_invalid", "page and per_page must be positive")
        if per_page > maximum:
            raise bad("parameter_invalid", f"per_page must be at most {maximum}")
        return page, per_page

    def page_envelope(self, items, page, per_page, next_path, extra_q=""):
        total = len(items)
        pages = math.ceil(total / per_page) if total else 0
        chunk = items[(page - 1) * per_page: page * per_page]
        nxt = f"{self.host_url()}{next_path}?{extra_q}per_page={per_page}&page={page + 1}" if page < pages else None
        return {"type": "list", "data": chunk, "total_count": total,
                "pages": {"type": "pages", "next": nxt, "page": page, "per_page": per_page, "total_pages": pages}}

    # --- companies -------------------------------------------------------------------------
    def companies(self, method, parts, q, ver, need):
        s = self.snap
        n = len(parts)
        if n == 1:
            need("GET")
            page, per_page = self.page_params(q, 15, 150)
            if not any(k in q for k in ("company_id", "name", "tag_id", "segment_id")):
                # unfiltered: render only the page
                env = self.page_envelope(list(s.indexes("companies")), page, per_page, "/companies")
                env["data"] = [s.ref("companies", i, ver) for i in env["data"]]
                return 200, env
            recs = [(i, render("companies", s.get("companies", i), ver)) for i in s.indexes("companies")]
            if "company_id" in q or "name" in q:
                key = "company_id" if "company_id" in q else "name"
                recs = [(i, r) for i, r in recs if r[key] == q[key]]
                if not recs:
                    raise ApiError(404, "company_not_found", "Company Not Found")
            if "tag_id" in q:
                recs = [(i, r) for i, r in recs if any(t["id"] == q["tag_id"] for t in r["tags"]["tags"])]
            if "segment_id" in q:
                recs = [(i, r) for i, r in recs
                        if any(t["id"] == q["segment_id"] for t in r["segments"]["segments"])]
            extra = "".join(f"{k}={q[k]}&" for k in ("company_id", "name", "tag_id", "segment_id") if k in q)
            env = self.page_envelope(recs, page, per_page, "/companies", extra)
            env["data"] = [s.ref("companies", i, ver) for i, _ in env["data"]]
            return 200, env
        if parts[1] == "list" and n == 2:
            need("POST")
            page, per_page = self.page_params(q, 15, 60)
            order = q.get("order", "desc")
            if order not in ("asc", "desc"):
                raise bad("parameter_invalid", "order must be asc or desc")
            if (page - 1) * per_page >= 10000:
                raise bad("bad_request", "Pagination is limited to the first 10,000 companies")
            recs = [(i, render("companies", r, ver)) for i, r in
                    ((i, s.get("companies", i)) for i in s.indexes("companies")) if r["user_count"] > 0]
            recs.sort(key=lambda p: (p[1]["last_request_at"] or 0, p[1]["id"]), reverse=(order == "desc"))
            recs = recs[:10000]
            env = self.page_envelope(recs, page, per_page, "/companies/list", f"order={order}&")
            env["data"] = [s.ref("companies", i, ver) for i, _ in env["data"]]
            return 200, env
        if parts[1] == "scroll" and n == 2:
            need("GET")
            return 200, self.scroll(q, ver)
        if n == 2:
            need("GET")
            i = s.index_of("companies", parts[1])
            if i is None:
                raise ApiError(404, "company_not_found", "Company Not Found")
            return 200, s.ref("companies", i, ver)
        if n == 3 and parts[2] == "segments":
            need("GET")
            i = s.index_of("companies", parts[1])
            if i is None:
                raise ApiError(404, "company_not_found", "Company Not Found")
            segs = []
            for sid in [x["id"] for x in s.get("companies", i)["segments"]["segments"]]:
                j = s.index_of("company_segments", sid)
                if j is not None:
                    segs.append(render("company_segments", s.get("company_segments", j), ver, False))
            return 200, {"type": "list", "data": segs}
        raise ApiError(404, "not_found", "Resource Not Found")

    def scroll(self, q, ver):
        """One open scroll per workspace; idle > scroll_idle_seconds expires it
        (404 on its param, and it no longer blocks); end = empty page, then
        the scroll is closed.  Takes the lock for the scroll state; the page
        itself is rendered after it is released."""
        st = self.state
        s = self.snap
        with st.lock:
            now = time.time()
            idle = st.config["scroll_idle_seconds"]
            sc = st.scroll
            if sc and now - sc["last"] > idle:
                st.scroll = sc = None
            param = q.get("scroll_param")
            if not param:
                if sc or now < st.scroll_hold_until:
                    raise bad("scroll_exists", "scroll already exists for this app")
                sc = st.scroll = {"param": str(uuid.UUID(int=random.getrandbits(128), version=4)), "pos": 0, "last": now}
            elif not sc or sc["param"] != param:
                raise ApiError(404, "not_found", "Resource Not Found")
            size = st.config["scroll_page_size"]
            data, pos = [], sc["pos"]
            for i in s.indexes("companies", pos):
                if len(data) == size:
                    break
                data.append(s.ref("companies", i, ver))
                pos = i + 1
            sc["pos"], sc["last"] = pos, now
            out = {"type": "list", "data": data, "pages": None, "total_count": None, "scroll_param": sc["param"]}
            if not data:
                st.scroll = None
        return out

    # --- cursor paging ---------------------------------------------------------------------
    def list_by_index(self, stream, q, default, ver, wrap):
        """GET /contacts and GET /conversations: index order, cursor in the
        query string holds [index, page]; next absent on the last page."""
        s = self.snap
        try:
            per_page = int(q.get("per_page", default))
        except ValueError:
            raise bad("parameter_invalid", "per_page must be an integer")
        if per_page < 1 or per_page > 150:
            raise bad("parameter_invalid", "per_page must be between 1 and 150")
        start, page = 0, 1
        if q.get("starting_after"):
            c = read_cursor(q["starting_after"])
            if len(c) != 3 or c[0] != stream:
                bad_cursor()
            start, page = int(c[1]) + 1, int(c[2]) + 1
        data, last_i = [], None
        it = s.indexes(stream, start)
        more = False
        for i in it:
            if len(data) == per_page:
                more = True
                break
            data.append(s.ref(stream, i, ver))
            last_i = i
        total = s.live_count(stream)
        pages = {"type": "pages", "page": page, "per_page": per_page,
                 "total_pages": math.ceil(total / per_page) if total else 0}
        if more:
            pages["next"] = {"page": page + 1, "starting_after": make_cursor([stream, last_i, page])}
        # the whole gzipped page can be cached: it depends only on these and
        # the snapshot's data (generation changes with every mutation)
        self.gz_key = ("page:" + stream, start, page, per_page, ver, s.generation)
        return wrap(data, pages, total)

    def search(self, model, stream, q, body, ver, default_pp, default_sort):
        st = self.state
        s = self.snap
        if not isinstance(body, dict) or "query" not in body:
            raise bad("parameter_invalid", "query is required")
        pag = body.get("pagination") or {}
        try:
            per_page = int(pag.get("per_page", default_pp))
        except (TypeError, ValueError):
            raise bad("parameter_invalid", "per_page must be an integer")
        if per_page < 1 or per_page > 150:
            raise bad("parameter_invalid", "per_page must be between 1 and 150")
        sort = body.get("sort") or {}
        field = sort.get("field", default_sort[0])
        order = sort.get("order", default_sort[1])
        if order not in ("ascending", "descending"):
            if model == "contact":
                raise bad("invalid_sort_order", f"Invalid sort order '{order}'. Must be one of: ascending, descending")
            order = "descending" if order in ("desc",) else "ascending"
        custom_types = {a["name"]: a["data_type"] for a in s.attributes("contact") if a.get("custom")}
        srch = Search(model, self.cfg["timezone"], custom_types, self.cfg["search_slop_seconds"])
        srch.ftype(field)                       # unknown sort field -> 400
        pred = srch.compile(body["query"])
        get = srch.getter(field)
        desc = order == "descending"
        # starting_after is read ONLY from the body: a query-string cursor is
        # ignored, like the real API (which silently returns page 1).
        after = read_cursor(pag["starting_after"]) if pag.get("starting_after") else None
        if after is not None and (len(after) != 3 or after[0] != [field, order]):
            bad_cursor()

        def key(r):
            return sort_key(get(r), r["id"])

        # Paging through one query repeats the same filter+sort; cache the
        # ordered (key, index) list per query, timezone, version and data
        # generation so that page N of a big search costs O(page).
        # The cache lives on the store (a reset discards it); the filter+sort runs
        # without the lock, on the snapshot.
        visible = SearchVisible(self.cfg)
        ckey = (stream, json.dumps(body["query"], sort_keys=True), field, order,
                self.cfg["timezone"], self.cfg["search_slop_seconds"], ver, s.generation,
                visible.cutoff)
        with st.lock:
            items = s.search_cache.get(ckey)
        if items is None and srch.fields == {field} and field in Store.FAST[stream] \
                and not srch.slop and visible.cutoff is None:
            items = self.search_by_segments(s, srch, pred, body["query"], stream, field, desc, ver)
        if items is None:
            if (srch.fields | {field}) <= set(Store.FAST[stream]) | {"id"}:
                pairs = s.light_records(stream)            # full records only for the page
            else:
                pairs = ((i, render(stream, s.get(stream, i), ver)) for i in s.indexes(stream))
            items = [(key(r), i) for i, r in pairs if pred(r) and visible(r)]
            items.sort()
            # nulls last in both directions; ties broken by id in the sort direction
            nonnull = [t for t in items if not t[0][0]]
            nulls = [t for t in items if t[0][0]]
            if desc:
                nonnull.reverse()
                nulls.reverse()
            items = nonnull + nulls
        with st.lock:
            # a partitioned scan probes dozens of queries and pages
            # through many at once: keep them all, within a bound on
            # the items held (oldest first out)
            cache = s.search_cache
            while cache and ckey not in cache and (
                    len(cache) >= SEARCH_CACHE_QUERIES or
                    sum(len(v) for v in cache.values()) + len(items) > SEARCH_CACHE_ITEMS):
                cache.pop(next(iter(cache)))
            cache[ckey] = items
        total = len(items)
        page = 1
        start = 0
        if after is not None:
            page = int(after[2]) + 1
            lk = sort_key(after[1][0], after[1][1])
            lo, hi = 0, len(items)                # first item after the cursor (monotone predicate)
            while lo < hi:
                mid = (lo + hi) // 2
                if key_after(items[mid][0], lk, desc):
                    hi = mid
                else:
                    lo = mid + 1
            start = lo
        items = items[start:start + per_page + 1]
        chunk = items[:per_page]
        pages = {"type": "pages", "page": page, "per_page": per_page,
                 "total_pages": math.ceil(total / per_page) if total else 0}
        if len(items) > per_page:
            last = s.get(stream, chunk[-1][1])
            pages["next"] = {"page": page + 1,
                             "starting_after": make_cursor([[field, order], [_cursor_value(get(render(stream, last, ver))), last["id"]], page])}
        # like a listing's, the gzipped page can be cached: it depends only on
        # the query (ckey: sort, version, timezone, generation) and the position
        self.gz_key = ("search:" + stream, ckey, start, page, per_page)
        return [s.ref(stream, i, ver) for _, i in chunk], pages, total

    def search_by_segments(self, s, srch, pred, query, stream, field, desc, ver):
        """A search whose query and order read only `field` (a partitioned
        scan's probes and partitions: created_at bounds), answered in
        O(leaves x log n) from the stream's records sorted by it, as a search
        index would, instead of filtering and sorting them all (0.7 s for
        100,000 contacts).  Each leaf "< b" or "> b" is true on one side of
        one position in that order, and "=", "!=", "<=", ">=" change only
        where those do, so the query is constant between those positions:
        one evaluation per segment says whether it is in.  None (the slow
        path) for a query of another shape."""
        leaves = search_leaves(query)
        if not leaves or any(l.get("field") != field or l.get("operator") not in ("=", "!=", "<", ">", "<=", ">=")
                             or isinstance(l.get("value"), (list, dict, bool)) for l in leaves):
            return None
        base_key = (stream, field, srch.tz.key, ver, s.generation)
        base = s.search_base.get(base_key)
        if base is None:
            allk = sorted((sort_key(r[field], r["id"]), i) for i, r in s.light_records(stream))
            nonnull = [t for t in allk if not t[0][0]]
            base = (nonnull, [t for t in allk if t[0][0]], [t[0][1][1] for t in nonnull])
            while len(s.search_base) >= 2:          # older generations: dead weight
                s.search_base.pop(next(iter(s.search_base)))
            s.search_base[base_key] = base
        nonnull, nulls, vals = base
        cuts = {0, len(vals)}
        for leaf in leaves:
            for op in ("<", ">"):
                test = srch.filter(field, op, leaf["value"])
                if not vals:
                    continue
                first = test({field: vals[0]})
                lo, hi = 0, len(vals)
                while lo < hi:
                    mid = (lo + hi) // 2
                    if test({field: vals[mid]}) != first:
                        hi = mid
                    else:
                        lo = mid + 1
                cuts.add(lo)
        cuts = sorted(cuts)
        ranges = [(nonnull, a, b) for a, b in zip(cuts, cuts[1:]) if a < b and pred({field: vals[a]})]
        if nulls and pred({field: None}):
            ranges.append((nulls, 0, len(nulls)))
        return Ranges(ranges, desc)

    # --- contacts ------------------------------------------------------------------------
    def contacts(self, method, parts, q, body, ver, need):
        s = self.snap
        n = len(parts)
        if n == 1:
            need("GET")
            return 200, self.list_by_index("contacts", q, 10, ver, lambda d, p, t: {
                "type": "list", "data": d, "total_count": t, "pages": p})
        if n == 2 and parts[1] == "search":
            need("POST")
            # Default sort: created_at descending (the docs say the default order
            # is descending); ties broken by id in the same direction.
            d, p, t = self.search("contact", "contacts", q, body, ver, 50, ("created_at", "descending"))
            return 200, {"type": "list", "data": d, "total_count": t, "pages": p}
        if n == 2:
            need("GET")
            i = s.index_of("contacts", parts[1])
            if i is None:
                self.merged_or_404(parts[1], ver)
            return 200, s.ref("contacts", i, ver)
        raise ApiError(404, "not_found", "Resource Not Found")

    def merged_or_404(self, cid, ver):
        """A contact that is not there: merged away on 2.16 and later answers
        410 contact_merged with a Link to the survivor; else (deleted, never
        existed, or merged on 2.15 and earlier) 404."""
        s = self.snap
        i = hex24_index(s.gen.seed, "contact", str(cid))
        into = s.merged.get(i) if i is not None else None
        if into is not None and vkey(ver) >= (2, 16):
            raise ApiError(410, "contact_merged", "Contact has been merged",
                           headers={"Link": f'</contacts/{into}>; rel="canonical"'})
        raise ApiError(404, "not_found", "Resource Not Found")

    # --- conversations ---------------------------------------------------------------------
    def conversations(self, method, parts, q, body, ver, need):
        s = self.snap
        n = len(parts)
        v16 = vkey(ver) >= (2, 16)
        if n == 1:
            need("GET")
            return 200, self.list_by_index("conversations", q, 20, ver, lambda d, p, t: {
                "type": "conversation.list", "conversations": d, "total_count": t, "pages": p})
        if n == 2 and parts[1] == "search":
            need("POST")
            # Default sort: updated_at descending, ties by id.
            d, p, t = self.search("conversation", "conversations", q, body, ver, 20, ("updated_at", "descending"))
            return 200, {"type": "conversation.list", "conversations": d, "total_count": t, "pages": p}
        if n == 2 and parts[1] == "deleted":
            need("GET")
            if not v16:
                raise ApiError(400, "intercom_version_invalid",
                               "Requested resource is not available in current API version.")
            page, per_page = self.page_params(q, 20, 60)
            order = q.get("order", "desc")
            if order not in ("asc", "desc"):
                raise bad("parameter_invalid", "order must be asc or desc")
            # newest deletion first (desc, the default), ties by id
            items = sorted(s.deleted_conversations, key=lambda d: (d["deleted_at"], int(d["id"])),
                           reverse=order == "desc")
            env = self.page_envelope(items, page, per_page, "/conversations/deleted", f"order={order}&")
            return 200, {"type": "conversations.list", "conversations": env["data"],
                         "total_count": env["total_count"], "pages": env["pages"]}
        if n == 2:
            need("GET")
            i = s.index_of("conversations", parts[1])
            if i is None:
                raise ApiError(404, "not_found", "Resource Not Found")
            return 200, s.ref("conversation_full", i, ver)
        raise ApiError(404, "not_found", "Resource Not Found")

    # --- control API ---------------------------------------------------------------------------
    def control(self, method, path, q, raw):
        st = self.state
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return self.send(400, {"error": "body is not JSON"})
        try:
            status, out = self.control_route(method, path, q, body)
        except (KeyError, ValueError, TypeError) as e:
            return self.send(400, {"error": f"{type(e).__name__}: {e}"})
        return self.send(status, out)

    def control_route(self, method, path, q, body):
        st = self.state
        if path.startswith("/_fake/data/") and method == "GET":
            with st.lock:                     # snapshot under the lock, render without it
                snap = st.store.snapshot()
                ver = q.get("version") or st.config["api_version_default"]
            return 200, self.dump(snap, path[len("/_fake/data/"):], ver)
        if path == "/_fake/prewarm" and method == "POST":
            return 200, self.prewarm(body)
        with st.lock:
            if path == "/_fake/reset" and method == "POST":
                st.reset()
                return 200, {"ok": True}
            if path == "/_fake/tag_all" and method == "POST":
                return 200, fake_more.tag_all(st.store, body["contact_id"])
            if path == "/_fake/many_notes" and method == "POST":
                return 200, fake_contact_lists.many_notes(st.store, body["contact_id"], int(body["count"]))
            if path == "/_fake/log" and method == "GET":
                return 200, [dict(e) for e in st.log]
            if path == "/_fake/log/clear" and method == "POST":
                st.log.clear()
                return 200, {"ok": True}
            if path == "/_fake/stats" and method == "GET":
                return 200, dict(st.stats, by_status=dict(st.stats["by_status"]),
                                 by_path=dict(st.stats["by_path"]), faults_pending=len(st.faults),
                                 in_flight=st.in_flight, max_in_flight=st.max_in_flight,
                                 config=dict(st.config), render_cache=st.store.rcache.stats())
            if path == "/_fake/stats/clear" and method == "POST":
                # counters and the in-flight peak start again (the data stays)
                st.stats = {"requests": 0, "api_requests": 0, "by_status": {}, "by_path": {}}
                st.max_in_flight = st.in_flight
                return 200, {"ok": True}
            if path == "/_fake/config" and method == "POST":
                for k, v in body.items():
                    if k not in st.config:
                        raise KeyError(f"unknown config key {k}")
                    if k == "timezone":
                        ZoneInfo(v)
                        st.config[k] = str(v)
                    elif k == "api_version_default":
                        st.config[k] = str(v)
                    else:
                        st.config[k] = float(v) if k == "scroll_idle_seconds" else int(v)
                return 200, dict(st.config)
            if path == "/_fake/faults" and method == "POST":
                kinds = {"429", "500", "502_html", "503_json", "drop", "slow", "truncated", "empty",
                         "html_200", "bad_json", "bad_gzip", "gzip_bomb", "scroll_500", "scroll_expire", "404",
                         "stall"}
                kind = str(body["kind"])
                if kind not in kinds:
                    raise ValueError(f"unknown fault kind {kind}")
                default_path = "/companies/scroll" if kind.startswith("scroll_") else "/"
                f = {"kind": kind, "path": body.get("path") or default_path, "method": body.get("method"),
                     "count": int(body.get("count", 1)), "after": int(body.get("after", 0)),
                     "delay_ms": int(body.get("delay_ms", 5000))}
                st.faults.append(f)
                return 200, {"ok": True, "faults": [dict(x) for x in st.faults]}
            if path == "/_fake/faults" and method == "DELETE":
                st.faults.clear()
                return 200, {"ok": True}
            if path == "/_fake/faults" and method == "GET":
                return 200, [dict(x) for x in st.faults]
            if path == "/_fake/exotic" and method == "POST":
                st.store.set_exotic(str(body.get("set", "on")))
                return 200, {"ok": True, "set": st.store.exotic_set,
                             "ids": {k: [r[0] for r in v] for k, v in st.store.exotic.items()}}
            if path == "/_fake/exotic" and method == "GET":
                return 200, {"set": st.store.exotic_set,
                             "ids": {k: [r[0] for r in v] for k, v in st.store.exotic.items()}}
            if path == "/_fake/scroll_hold" and method == "POST":
                st.scroll_hold_until = time.time() + float(body.get("seconds", 60))
                return 200, {"ok": True}
            if path == "/_fake/new_fields" and method == "POST":
                return 200, self.new_fields(body)
            if path == "/_fake/mutate" and method == "POST":
                return 200, self.mutate(body)
            if path == "/_fake/delete" and method == "POST":
                return 200, self.delete(body)
            if path == "/_fake/merge" and method == "POST":
                return 200, self.merge(body)
            if path == "/_fake/create" and method == "POST":
                return 200, self.create(body)
            if path == "/_fake/attribute" and method == "POST":
                return 200, fake_writes.set_attribute(st.store, body)
        return 404, {"error": f"no control route {method} {path}"}

    def new_fields(self, body):
        """Make the API send fields no table knows, as Intercom does when it
        adds one: {"stream", "fields": {name: value}} adds top-level fields
        to every record of stream ({} removes them); {"model", "attribute":
        name, "data_type", "value"} defines a custom data attribute and gives
        every record of the model that value.  Records keep their updated_at
        (Intercom does not touch it either).  Caller holds the state lock."""
        global NEW_FIELDS, NEW_ATTRIBUTES
        st = self.state
        if "stream" in body:
            if body["stream"] not in ("contacts", "companies", "conversations", "segments",
                                      "company_segments"):
                raise ValueError("new fields: stream must be contacts, companies, conversations, "
                                 "segments or company_segments")
            fields = dict(body.get("fields") or {})
            for k in fields:
                if not k or k.startswith("_"):
                    raise ValueError(f"new fields: bad field name {k!r}")
            NEW_FIELDS = dict(NEW_FIELDS, **{body["stream"]: fields})
        if "attribute" in body:
            model = body["model"]
            if model not in ("contact", "company"):
                raise ValueError("new attribute: model must be contact or company")
            old = NEW_ATTRIBUTES.get(model, [])
            c = T_2026 - 10 * DAY + len(old)
            attr = {"id": 900 + len(old), "type": "data_attribute", "name": body["attribute"],
                    "full_name": f"custom_attributes.{body['attribute']}", "label": body["attribute"],
                    "description": "Defined after the import", "data_type": body["data_type"],
                    "api_writable": True, "ui_writable": True, "messenger_writable": False,
                    "custom": True, "archived": False, "admin_id": st.store.gen.admin_id(0),
                    "created_at": c, "updated_at": c, "model": model}
            NEW_ATTRIBUTES = dict(NEW_ATTRIBUTES, **{model: old + [(attr, body.get("value"))]})
        # what was rendered before is stale: a fresh render cache, new search generation
        st.store.rcache = RenderCache(st.store.rcache.budget)
        st.store.generation += 1
        return {"fields": NEW_FIELDS, "attributes": {m: [a["name"] for a, _ in v]
                                                     for m, v in NEW_ATTRIBUTES.items()}}

    def dump(self, s, stream, ver):
        if ver not in KNOWN_VERSIONS:
            raise ValueError(f"unknown version {ver}")
        if stream in ("contact_attributes", "company_attributes"):
            return s.attributes(stream.split("_")[0])
        more = fake_more.dump(self, sys.modules[__name__], s, stream, ver)
        if more is not None:
            return more
        if stream == "conversation_parts":
            out = []
            for c in s.records("conversations", exotic=False):
                blk = parts_block(s.gen, c)
                for p in blk["conversation_parts"]:
                    out.append(dict(p, conversation_id=c["id"], conversation_created_at=c["created_at"],
                                    conversation_updated_at=c["updated_at"],
                                    conversation_total_parts=blk["total_count"]))
            return out
        if stream not in Store.INDEXED:
            raise KeyError(f"unknown stream {stream}")
        if stream in KIND_STREAM:              # exotic records: not in a dump (see exotic_records)
            return [s.ref(stream, i, ver) for i in s.indexes(stream, exotic=False)]
        return [render(stream, r, ver) for r in s.records(stream, exotic=False)]

    def prewarm(self, body):
        """Fill the render cache ahead of a benchmark: the first scan of a big
        fake otherwise pays for generating and encoding every record.  Body:
        {"streams": [...] (default contacts, conversations), "version": V
        (default api_version_default), "per_page": N (also build the gzipped
        GET /contacts and /conversations pages of that size)}.  Runs on a
        snapshot without the lock; stops when the cache is full."""
        st = self.state
        with st.lock:
            snap = st.store.snapshot()
            ver = str(body.get("version") or st.config["api_version_default"])
        if ver not in KNOWN_VERSIONS:
            raise ValueError(f"unknown version {ver}")
        streams = body.get("streams") or ["contacts", "conversations"]
        for stream in streams:
            if stream not in KINDS_OF:
                raise KeyError(f"cannot prewarm {stream}")
        per_page = int(body.get("per_page") or 0)
        if not 0 <= per_page <= 150:
            raise ValueError("per_page must be between 1 and 150")
        rc = snap.rcache
        records = pages = 0
        for stream in streams:
            for i in snap.indexes(stream):
                if rc.used + 65536 > rc.budget:
                    break
                for kind in KINDS_OF[stream]:
                    snap.ref(kind, i, ver).json()
                records += 1
        try:
            for stream in streams if per_page else ():
                if stream not in ("contacts", "conversations"):
                    continue
                q = {"per_page": str(per_page)}
                while rc.used + (1 << 20) <= rc.budget:
                    self.gz_key = None
                    _, out = self.route("GET", "/" + stream, q, b"", None, ver)   # exactly what GET serves
                    self.snap.rcache.put_page(self.gz_key, gzip.compress(encode_json(out), compresslevel=GZIP_LEVEL,
                                                                         mtime=0))
                    pages += 1
                    nxt = out["pages"].get("next")
                    if not nxt:
                        break
                    q = {"per_page": str(per_page), "starting_after": nxt["starting_after"]}
        finally:
            self.snap = None
        return {"records": records, "pages": pages, "render_cache": rc.stats()}

    def _targets(self, stream, body):
        s = self.state.store
        if "ids" in body:
            idx = []
            for id_ in body["ids"]:
                i = s.index_of(stream, id_)
                if i is None:
                    raise KeyError(f"no {stream} record {id_}")
                idx.append(i)
            return idx
        return list(s.indexes(stream, exotic=False))[: int(body.get("count", 1))]

    # mutate/delete/create run under the state lock; they copy the overlay
    # containers they change first (Store.cow) so snapshots being rendered by
    # other requests keep seeing the data as it was when they were taken.
    def mutate(self, body):
        s = self.state.store
        stream = body["stream"]
        if stream == "tickets":
            return fake_more.mutate_ticket(s, fake_more.COUNTS[self.state.args.dataset], body)
        s.generation += 1
        if stream not in Store.INDEXED:
            raise KeyError(f"cannot mutate {stream}")
        s.cow(stream)
        t = int(body.get("updated_at", time.time()))
        out = []
        for i in self._targets(stream, body):
            rec = copy.deepcopy(s.get(stream, i))
            if "updated_at" in rec:
                rec["updated_at"] = t
            if stream == "conversations" and body.get("add_parts"):
                # a reply: new parts at the end, written at t (as updated_at)
                k = int(body["add_parts"])
                rec["_nparts"] += k
                rec["_added_parts_at"] = rec.get("_added_parts_at", []) + [t] * k
                if rec.get("statistics"):
                    rec["statistics"] = dict(rec["statistics"], count_conversation_parts=rec["_nparts"])
            for f in ("name", "title"):
                if f in rec and (stream != "conversations" or f == "title"):
                    rec[f] = f"{rec[f] or ''} (mutated)"
                    break
            s.overrides[stream][i] = rec
            s.rcache.forget(stream, i)
            out.append(rec["id"])
        return {"ids": out}

    def delete(self, body):
        s = self.state.store
        stream = body["stream"]
        if stream == "tickets":
            return fake_more.delete_tickets(s, fake_more.COUNTS[self.state.args.dataset], body)
        if stream not in s.deleted:
            raise KeyError(f"cannot delete {stream}")
        s.generation += 1
        s.cow(stream)
        if stream in ("contact_attributes", "company_attributes"):
            s.deleted[stream].update(body["ids"])
            return {"ids": body["ids"]}
        ids = []
        for i in self._targets(stream, body):
            ids.append(s.id_of(stream, i))
            s.deleted[stream].add(i)
            if stream == "conversations":
                s.deleted_conversations.append({"type": "conversation", "id": ids[-1],
                                                "deleted_at": int(body.get("deleted_at", time.time())),
                                                "metrics_retained": i % 2 == 0})
        return {"ids": ids}

    def merge(self, body):
        """Merge contacts into another (body "into", default the first live
        contact not merged): they leave lists and search, and GET answers
        404 (<= 2.15) or 410 contact_merged (2.16)."""
        s = self.state.store
        targets = self._targets("contacts", body)
        into = body.get("into")
        if into is None:
            into = next(s.id_of("contacts", i) for i in s.indexes("contacts", exotic=False) if i not in targets)
        if s.index_of("contacts", into) is None or s.index_of("contacts", into) in targets:
            raise KeyError(f"cannot merge into {into}")
        s.generation += 1
        s.cow("contacts")
        s.merged = dict(s.merged)
        ids = []
        for i in targets:
            ids.append(s.id_of("contacts", i))
            s.deleted["contacts"].add(i)
            s.merged[i] = str(into)
        return {"ids": ids, "into": str(into)}

    def create(self, body):
        s = self.state.store
        s.generation += 1
        stream = body["stream"]
        if stream not in Store.INDEXED:
            raise KeyError(f"cannot create {stream}")
        s.cow(stream)
        now = int(body.get("updated_at", time.time()))
        ids = []
        for _ in range(int(body.get("count", 1))):
            i = s.size(stream)
            s.created[stream] += 1
            rec = copy.deepcopy(s.get(stream, i))
            if stream == "conversations":
                # keep part times <= conversation updated_at: shift the whole thing to now
                shift = now - rec["updated_at"]
                rec["_shift"] = shift
                rec["created_at"] += shift
                rec["updated_at"] = now
            elif "created_at" in rec:
                rec["created_at"] = rec["updated_at"] = now
            s.overrides[stream][i] = rec
            s.rcache.forget(stream, i)
            ids.append(rec["id"])
        return {"ids": ids}


class SearchVisible:
    """Search lag (config search_lag_seconds): a record created less than
    that long ago (by its created_at, against the fake's clock) is not
    searchable yet, as Intercom's "Contact Creation Delay" says; lists and
    GET by id have it at once.  cutoff is None without lag (the search
    cache key: results then do not depend on the time)."""

    def __init__(self, cfg):
        lag = cfg.get("search_lag_seconds", 0)
        self.cutoff = int(time.time()) - lag if lag > 0 else None

    def __call__(self, r):
        return self.cutoff is None or r.get("created_at") is None or r["created_at"] <= self.cutoff


class Ranges:
    """A search result as ranges of the sorted order (search_by_segments):
    len, indexing and slicing in O(ranges) without copying the records, as
    a search index pages through a result without materializing it."""

    def __init__(self, ranges, desc=False):
        self.ranges, self.desc = ranges, desc
        self.n = sum(b - a for _, a, b in ranges)

    def __len__(self):
        return self.n

    def _at(self, i):
        if self.desc:                      # the order reversed, nulls still last
            nn = sum(b - a for lst, a, b in self.ranges if not (lst and lst[0][0][0]))
            if i < nn:
                i = nn - 1 - i
            else:
                i = nn + (self.n - 1 - i)
        for lst, a, b in self.ranges:
            if i < b - a:
                return lst[a + i]
            i -= b - a
        raise IndexError(i)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self._at(i) for i in range(*k.indices(self.n))]
        if k < 0:
            k += self.n
        if not 0 <= k < self.n:
            raise IndexError(k)
        return self._at(k)


def search_leaves(q):
    """The filters (leaves) of a search query, or None if it is not a tree of AND/OR groups."""
    if not isinstance(q, dict):
        return None
    if q.get("operator") in ("AND", "OR"):
        out = []
        for x in q.get("value") if isinstance(q.get("value"), list) else []:
            sub = search_leaves(x)
            if sub is None:
                return None
            out += sub
        return out
    return [q]


def sort_key(v, id_):
    """Native, totally ordered sort key: (is_null, (type_rank, value), id_key).
    Numeric ids compare numerically (conversation ids are numeric strings)."""
    if isinstance(v, bool):
        v = int(v)
    if v is None or not isinstance(v, (int, float, str)):
        vk = (0, 0)
    else:
        vk = (0, v) if isinstance(v, (int, float)) else (1, v)
    sid = str(id_)
    idk = (0, int(sid), "") if sid.isdigit() else (1, 0, sid)
    return (v is None or not isinstance(v, (int, float, str)), vk, idk)


def key_after(rk, lk, desc):
    """True when a record with key rk comes after the cursor key lk."""
    if rk[0] != lk[0]:
        return rk[0] > lk[0]              # nulls last in both directions
    return rk[1:] < lk[1:] if desc else rk[1:] > lk[1:]


def _cursor_value(v):
    return v if isinstance(v, (int, float, str)) and not isinstance(v, bool) else (int(v) if isinstance(v, bool) else None)


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # listen() backlog: socketserver's default of 5 overflows when a client
    # opens 16 connections at once, and the dropped SYNs are retried only
    # after a second.
    request_queue_size = 128


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Fake Intercom API server (tests for intercom_fdw)")
    p.add_argument("--port", type=int, default=18765, help="0 = pick a free port")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--lifetime", type=float, default=1800, help="exit after this many seconds")
    p.add_argument("--token", action="append", help="accepted bearer token (repeatable)")
    p.add_argument("--dataset", choices=sorted(DATASETS), default="small")
    p.add_argument("--contacts", type=int)
    p.add_argument("--companies", type=int)
    p.add_argument("--conversations", type=int)
    p.add_argument("--latency-ms", type=int, default=0)
    p.add_argument("--rate-limit", type=int, default=1666, help="requests per 10-second window")
    p.add_argument("--timezone", default="America/Los_Angeles")
    p.add_argument("--api-version-default", default="2.14")
    p.add_argument("--scroll-idle-seconds", type=float, default=60)
    p.add_argument("--scroll-page-size", type=int, default=100)
    p.add_argument("--render-cache-mb", type=float, default=512,
                   help="memory for rendered JSON of contacts/companies/conversations (0 = no cache)")
    p.add_argument("--exotic", choices=EXOTIC_SETS, default="off",
                   help="exotic records (raw JSON: big numbers, bad strings, duplicate keys); see exotic_records")
    p.add_argument("--port-file")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    a.token = a.token or ["tok_test_1", "tok_test_2"]
    try:
        ZoneInfo(a.timezone)
    except Exception:
        p.error(f"unknown time zone {a.timezone!r}")
    if a.api_version_default not in KNOWN_VERSIONS:
        p.error(f"unknown version {a.api_version_default}")
    return a


def main(argv=None):
    a = parse_args(argv)
    state = State(a)
    handler = type("BoundHandler", (Handler,), {"state": state})
    srv = Server(("127.0.0.1", a.port), handler)
    srv.tokens = set(a.token)
    srv.quiet = a.quiet
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, a.port_file)

    # Hard lifetime: a forgotten fake must never outlive the test run.
    t = threading.Timer(a.lifetime, lambda: os._exit(0))
    t.daemon = True
    t.start()
    print(f"READY {port}", flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
