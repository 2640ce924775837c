#!/usr/bin/env python3
"""Tests for the fake Intercom server (test/fake_intercom.py) and fakectl.

    python3 -m unittest discover -s test -p 'test_fake*.py' -v

Each test class starts its own fake on a free port (--port 0) and resets it
before every test, so tests are independent.  Standard library only.
"""

import gzip
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_intercom.py")
FAKECTL = os.path.join(HERE, "fakectl.py")
TOKEN = "tok_test_1"


def start_fake(*extra):
    p = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--lifetime", "120", "--quiet", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("READY "):
        p.kill()
        raise RuntimeError(f"fake did not start: {line!r} {p.stderr.read()}")
    return p, int(line.split()[1])


class Resp:
    def __init__(self, status, headers, raw):
        self.status, self.headers, self.raw = status, headers, raw

    @property
    def json(self):
        return json.loads(self.raw)


class FakeCase(unittest.TestCase):
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.proc, cls.port = start_fake(*cls.extra_args)
        cls.url = f"http://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.proc.kill()
        cls.proc.wait()
        cls.proc.stdout.close()
        cls.proc.stderr.close()

    def setUp(self):
        self.ctl("reset")

    # --- helpers ---------------------------------------------------------
    def req(self, method, path, body=None, token=TOKEN, version=None, headers=None, conn=None):
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Accept": "application/json"}
        if token:
            h["Authorization"] = f"Bearer {token}"
        if version:
            h["Intercom-Version"] = version
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body)
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        raw = r.read()
        out = Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, raw)
        if conn is None:
            c.close()
        return out

    def get(self, path, **kw):
        r = self.req("GET", path, **kw)
        self.assertEqual(r.status, 200, r.raw)
        return r.json

    def post(self, path, body=None, **kw):
        r = self.req("POST", path, body, **kw)
        self.assertEqual(r.status, 200, r.raw)
        return r.json

    def assertError(self, r, status, code):
        self.assertEqual(r.status, status, r.raw)
        b = r.json
        self.assertEqual(b["type"], "error.list")
        self.assertEqual(b["errors"][0]["code"], code, b)
        self.assertIn("request_id", b)

    def ctl(self, *args, check=True):
        p = subprocess.run([sys.executable, FAKECTL, "--url", self.url, *args],
                           capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def control(self, method, path, body=None):
        r = self.req(method, path, body, token=None)
        self.assertEqual(r.status, 200, r.raw)
        return r.json

    def dump(self, stream, version=None):
        return self.control("GET", f"/_fake/data/{stream}" + (f"?version={version}" if version else ""))

    def search(self, model, query, per_page=150, sort=None, version=None):
        """Walk every page of a search; returns the records."""
        out, cursor = [], None
        while True:
            body = {"query": query, "pagination": {"per_page": per_page}}
            if sort:
                body["sort"] = sort
            if cursor:
                body["pagination"]["starting_after"] = cursor
            d = self.post(f"/{model}/search", body, version=version)
            out += d["data" if model == "contacts" else "conversations"]
            nxt = d["pages"].get("next")
            if not nxt:
                return out
            cursor = nxt["starting_after"]


class TestEnvelopes(FakeCase):
    def test_me(self):
        d = self.get("/me")
        self.assertEqual(d["type"], "admin")
        self.assertEqual(d["app"]["timezone"], "America/Los_Angeles")
        self.assertEqual(d["app"]["region"], "US")

    def test_small_lists(self):
        d = self.get("/admins")
        self.assertEqual((d["type"], len(d["admins"])), ("admin.list", 7))
        a = d["admins"][0]
        self.assertIsInstance(a["id"], str)
        self.assertTrue(all(isinstance(t, int) for x in d["admins"] for t in x["team_ids"]))
        self.assertEqual(self.get(f"/admins/{a['id']}")["id"], a["id"])
        self.assertError(self.req("GET", "/admins/1"), 404, "admin_not_found")
        # avatars only with display_avatar=true
        self.assertFalse(any("avatar" in x for x in d["admins"]))
        d = self.get("/admins?display_avatar=true")
        self.assertTrue(all(x["avatar"]["type"] == "avatar" for x in d["admins"]))
        self.assertFalse(any("avatar" in x for x in self.get("/admins?display_avatar=false")["admins"]))
        d = self.get("/tags")
        self.assertEqual((d["type"], len(d["data"])), ("list", 12))
        d = self.get("/teams")
        self.assertEqual((d["type"], len(d["teams"])), ("team.list", 5))
        self.assertTrue(all(isinstance(x, int) for t in d["teams"] for x in t["admin_ids"]))
        self.assertIsInstance(d["teams"][0]["id"], str)
        d = self.get("/segments?include_count=true")
        self.assertEqual((d["type"], len(d["segments"])), ("segment.list", 6))
        self.assertIn("count", d["segments"][0])
        self.assertNotIn("count", self.get("/segments")["segments"][0])
        d = self.get("/segments?type=company&include_count=true")
        self.assertEqual(len(d["segments"]), 3)
        self.assertFalse({s["id"] for s in d["segments"]} & {s["id"] for s in self.get("/segments")["segments"]})

    def test_data_attributes(self):
        for model in ("contact", "company", "conversation"):
            d = self.get(f"/data_attributes?model={model}")
            self.assertEqual(d["type"], "list")
            self.assertTrue(all(a["model"] == model for a in d["data"]))
            for a in d["data"]:
                if a["custom"]:
                    self.assertIsInstance(a["id"], int)
                    self.assertIsInstance(a["admin_id"], str)
                    self.assertIn("created_at", a)
                else:
                    self.assertNotIn("id", a)
                    self.assertNotIn("admin_id", a)
        names = [a["name"] for a in self.get("/data_attributes?model=contact")["data"]]
        for n in ("Plan Tier", "plan-tier", 'weird "quote"'):
            self.assertIn(n, names)
        self.assertEqual(names.count("name"), 2)        # custom "name" collides with the standard one
        types = {a["data_type"] for a in self.get("/data_attributes?model=contact")["data"] if a["custom"]}
        self.assertTrue({"string", "integer", "float", "boolean", "date"} <= types)

    def test_companies_and_segments(self):
        c = self.get("/companies?per_page=1")["data"][0]
        self.assertEqual(self.get(f"/companies/{c['id']}")["id"], c["id"])
        self.assertError(self.req("GET", "/companies/nope"), 404, "company_not_found")
        d = self.get(f"/companies/{c['id']}/segments")
        self.assertEqual(d["type"], "list")
        self.assertIsInstance(d["data"], list)
        withseg = [x for x in self.dump("companies") if x["segments"]["segments"]][0]
        d = self.get(f"/companies/{withseg['id']}/segments")
        self.assertEqual([s["id"] for s in d["data"]], [s["id"] for s in withseg["segments"]["segments"]])
        byext = [x for x in self.dump("companies") if x["company_id"] == "ext-1"][0]
        d = self.get("/companies?company_id=ext-1")
        self.assertEqual([x["id"] for x in d["data"]], [byext["id"]])
        self.assertError(self.req("GET", "/companies?company_id=missing"), 404, "company_not_found")

    def test_contacts_and_conversations(self):
        d = self.get("/contacts")
        self.assertEqual((d["type"], d["total_count"], len(d["data"])), ("list", 123, 10))
        c = d["data"][0]
        for k in ("location", "tags", "notes", "companies", "social_profiles", "custom_attributes",
                  "opted_in_subscription_types", "android_sdk_version", "ios_last_seen_at"):
            self.assertIn(k, c)
        self.assertEqual(c["tags"]["url"], f"/contacts/{c['id']}/tags")
        self.assertEqual(self.get(f"/contacts/{c['id']}")["id"], c["id"])
        self.assertError(self.req("GET", "/contacts/0123"), 404, "not_found")
        d = self.get("/conversations")
        self.assertEqual((d["type"], len(d["conversations"])), ("conversation.list", 20))
        self.assertNotIn("conversation_parts", d["conversations"][0])
        cv = self.get(f"/conversations/{d['conversations'][0]['id']}")
        self.assertEqual(cv["conversation_parts"]["type"], "conversation_part.list")

    def test_new_fields_and_attributes(self):
        """fakectl new-field / new-attribute: every record of the stream
        carries them, in listings, searches and GET by id, until reset;
        updated_at does not move."""
        before = self.get("/contacts?per_page=5")["data"]
        self.ctl("new-field", "contacts", 'ai_summary={"text":"Wants SSO","score":0.875}', "health=87")
        self.ctl("new-attribute", "contact", "churn risk", "string", '"low"')
        after = self.get("/contacts?per_page=5")["data"]
        for b, a in zip(before, after):
            self.assertEqual(a["ai_summary"], {"text": "Wants SSO", "score": 0.875})
            self.assertEqual(a["health"], 87)
            self.assertEqual(a["custom_attributes"].get("churn risk"), "low")
            self.assertEqual(a["updated_at"], b["updated_at"])
        one = self.get(f"/contacts/{before[0]['id']}")
        self.assertEqual(one["health"], 87)
        found = self.search("contacts", {"field": "id", "operator": "=", "value": before[1]["id"]})
        self.assertEqual(found[0]["health"], 87)
        names = [a["name"] for a in self.get("/data_attributes?model=contact")["data"]]
        self.assertEqual(names[-1], "churn risk")
        self.assertNotIn("health", self.get("/companies?per_page=1")["data"][0])
        self.ctl("new-field", "contacts")              # no fields: removed again
        self.assertNotIn("health", self.get("/contacts?per_page=1")["data"][0])
        self.ctl("new-field", "companies", "health=1")
        self.ctl("reset")
        self.assertNotIn("health", self.get("/companies?per_page=1")["data"][0])
        self.assertNotIn("churn risk", [a["name"] for a in self.get("/data_attributes?model=contact")["data"]])
        self.assertNotEqual(self.ctl("new-field", "tags", "x=1", check=False).returncode, 0)

    def test_unknown_path_and_method(self):
        self.assertError(self.req("GET", "/nope"), 404, "not_found")
        self.assertError(self.req("DELETE", "/admins"), 404, "not_found")
        self.assertError(self.req("GET", "/contacts/search"), 404, "not_found")

    def test_headers_gzip_keepalive(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        r1 = self.req("GET", "/tags", conn=conn, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(r1.headers["content-encoding"], "gzip")
        self.assertEqual(json.loads(gzip.decompress(r1.raw))["type"], "list")
        r2 = self.req("GET", "/teams", conn=conn)            # same socket: keep-alive works
        self.assertEqual(r2.status, 200)
        conn.close()
        self.assertEqual(r2.headers["content-type"], "application/json; charset=utf-8")
        self.assertIn("x-request-id", r2.headers)
        self.assertNotEqual(r1.headers["x-request-id"], r2.headers["x-request-id"])
        for h in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
            self.assertIn(h, r2.headers)
        self.assertEqual(int(r2.headers["x-ratelimit-reset"]) % 10, 0)


class TestPaging(FakeCase):
    def test_contacts_query_cursor(self):
        seen, path, pages = [], "/contacts?per_page=50", 0
        saw_special = False
        while True:
            d = self.get(path)
            pages += 1
            seen += [c["id"] for c in d["data"]]
            self.assertEqual(d["pages"]["page"], pages)
            if "next" not in d["pages"]:
                break
            self.assertIsNotNone(d["pages"]["next"])
            cur = d["pages"]["next"]["starting_after"]
            saw_special |= any(ch in cur for ch in "+/=")
            path = "/contacts?per_page=50&starting_after=" + quote(cur, safe="")
        self.assertTrue(saw_special)
        self.assertEqual(pages, 3)
        self.assertEqual(len(seen), 123)
        self.assertEqual(len(set(seen)), 123)
        self.assertEqual(seen, [c["id"] for c in self.dump("contacts")])
        self.assertError(self.req("GET", "/contacts?starting_after=garbage"), 400, "client_error")
        self.assertError(self.req("GET", "/contacts?per_page=151"), 400, "parameter_invalid")

    def test_conversations_query_cursor(self):
        seen, path = [], "/conversations?per_page=150"
        d = self.get(path)
        self.assertNotIn("next", d["pages"])
        self.assertEqual(len(d["conversations"]), 42)
        d = self.get("/conversations?per_page=40")
        d2 = self.get("/conversations?per_page=40&starting_after=" + quote(d["pages"]["next"]["starting_after"], safe=""))
        self.assertEqual(len(d2["conversations"]), 2)
        self.assertNotIn("next", d2["pages"])

    def test_search_body_cursor(self):
        q = {"field": "created_at", "operator": ">", "value": 0}
        allr = self.search("contacts", q, per_page=7, sort={"field": "updated_at", "order": "ascending"})
        ids = [r["id"] for r in allr]
        self.assertEqual(len(ids), len(set(ids)))
        keys = [(r["updated_at"], r["id"]) for r in allr]
        self.assertEqual(keys, sorted(keys))
        # cursor in the query string is ignored -> page 1 again
        body = {"query": q, "pagination": {"per_page": 7}, "sort": {"field": "updated_at", "order": "ascending"}}
        p1 = self.post("/contacts/search", body)
        cur = p1["pages"]["next"]["starting_after"]
        again = self.post("/contacts/search?starting_after=" + quote(cur, safe=""), body)
        self.assertEqual([r["id"] for r in again["data"]], [r["id"] for r in p1["data"]])
        body["pagination"]["starting_after"] = cur
        p2 = self.post("/contacts/search", body)
        self.assertEqual(p2["pages"]["page"], 2)
        self.assertEqual([r["id"] for r in p2["data"]], ids[7:14])

    def test_search_default_and_descending_order(self):
        q = {"field": "role", "operator": "IN", "value": ["user", "lead"]}
        rs = self.search("contacts", q, per_page=50)
        self.assertEqual(len(rs), 123)
        keys = [r["created_at"] for r in rs]
        self.assertEqual(keys, sorted(keys, reverse=True))
        cs = self.search("conversations", {"field": "id", "operator": ">", "value": 0}, per_page=5,
                         sort={"field": "updated_at", "order": "ascending"})
        self.assertEqual(len(cs), 42)
        self.assertEqual([c["updated_at"] for c in cs], sorted(c["updated_at"] for c in cs))

    def test_page_number(self):
        d = self.get("/companies")
        self.assertEqual(d["pages"]["per_page"], 15)
        self.assertEqual(d["total_count"], 37)
        seen = []
        while True:
            seen += [c["id"] for c in d["data"]]
            nxt = d["pages"]["next"]
            if nxt is None:
                break
            self.assertTrue(nxt.startswith(f"http://127.0.0.1:{self.port}/companies?"))
            u = urlsplit(nxt)
            d = self.get(u.path + "?" + u.query)
        self.assertEqual(len(seen), 37)
        self.assertEqual(d["pages"]["page"], 3)

    def test_companies_list(self):
        r = self.req("POST", "/companies/list?per_page=60&order=asc")
        self.assertEqual(r.status, 200)
        d = r.json
        expected = [c for c in self.dump("companies") if c["user_count"] > 0]
        self.assertEqual(d["total_count"], len(expected))
        self.assertLess(len(expected), 37)
        lr = [(c["last_request_at"] or 0) for c in d["data"]]
        self.assertEqual(lr, sorted(lr))
        self.assertIsNone(d["pages"]["next"])
        self.assertError(self.req("POST", "/companies/list?per_page=61"), 400, "parameter_invalid")
        self.assertError(self.req("POST", "/companies/list?order=up"), 400, "parameter_invalid")
        self.assertError(self.req("POST", "/companies/list?per_page=50&page=201"), 400, "bad_request")
        self.assertError(self.req("GET", "/companies/list"), 404, "not_found")


class TestScroll(FakeCase):
    def test_full_scroll(self):
        self.ctl("config", "scroll_page_size=10")
        d = self.get("/companies/scroll")
        self.assertEqual((d["type"], d["pages"], d["total_count"]), ("list", None, None))
        param, seen, pages = d["scroll_param"], [c["id"] for c in d["data"]], 1
        while d["data"]:
            d = self.get(f"/companies/scroll?scroll_param={param}")
            seen += [c["id"] for c in d["data"]]
            pages += 1
        self.assertEqual(pages, 5)                         # 10+10+10+7, then the empty page
        self.assertEqual(seen, [c["id"] for c in self.dump("companies")])
        self.assertError(self.req("GET", f"/companies/scroll?scroll_param={param}"), 404, "not_found")
        self.get("/companies/scroll")                      # closed -> a new one may start

    def test_scroll_exists_and_expiry(self):
        self.ctl("config", "scroll_idle_seconds=1")
        p = self.get("/companies/scroll")["scroll_param"]
        r = self.req("GET", "/companies/scroll")
        self.assertError(r, 400, "scroll_exists")
        self.assertEqual(r.json["errors"][0]["message"], "scroll already exists for this app")
        time.sleep(1.3)
        self.assertError(self.req("GET", f"/companies/scroll?scroll_param={p}"), 404, "not_found")
        self.get("/companies/scroll")                      # expired scroll no longer blocks

    def test_scroll_faults_and_hold(self):
        p = self.get("/companies/scroll")["scroll_param"]
        self.ctl("fault", "scroll_500")
        r = self.req("GET", f"/companies/scroll?scroll_param={p}")
        self.assertError(r, 500, "server_error")
        self.assertIn("restart the scroll", r.json["errors"][0]["message"])
        p = self.get("/companies/scroll")["scroll_param"]  # the 500 ended the scroll
        self.ctl("fault", "scroll_expire")
        self.assertError(self.req("GET", f"/companies/scroll?scroll_param={p}"), 404, "not_found")
        self.ctl("scroll-hold", "1")
        self.assertError(self.req("GET", "/companies/scroll"), 400, "scroll_exists")
        time.sleep(1.1)
        self.get("/companies/scroll")

    def _scroll_ids(self, param):
        """The rest of a scroll from param on: the ids it still returns."""
        seen = []
        while True:
            d = self.get(f"/companies/scroll?scroll_param={param}")
            if not d["data"]:
                return seen
            seen += [c["id"] for c in d["data"]]

    def test_lost_pages_advance_the_scroll(self):
        """A page the server produced and lost on the way (dropped, damaged,
        empty, HTML, bad JSON, too slow) has advanced the scroll, as on
        Intercom: going on with the same param skips it."""
        self.ctl("config", "scroll_page_size=10")
        every = [c["id"] for c in self.dump("companies")]
        for kind in ("drop", "empty", "html_200", "bad_json", "bad_gzip", "truncated", "slow"):
            with self.subTest(kind=kind):
                self.ctl("reset")
                self.ctl("config", "scroll_page_size=10")
                d = self.get("/companies/scroll")
                param, first = d["scroll_param"], [c["id"] for c in d["data"]]
                self.ctl("fault", kind, "--path", "/companies/scroll", "--delay-ms", "200")
                try:
                    r = self.req("GET", f"/companies/scroll?scroll_param={param}")
                    if kind == "slow":
                        self.assertEqual(r.status, 200)
                    else:
                        with self.assertRaises(ValueError):
                            r.json
                except (http.client.HTTPException, ConnectionError, socket.timeout):
                    self.assertEqual(kind, "drop")
                # page 2 was served: the scroll goes on with page 3
                self.assertEqual(first + self._scroll_ids(param), every[:10] + every[20:])

    def test_gateway_faults_do_not_advance_the_scroll(self):
        """A 502/503/429/500 from in front of the scroll never reached it."""
        self.ctl("config", "scroll_page_size=10")
        every = [c["id"] for c in self.dump("companies")]
        for kind in ("502_html", "503_json", "429", "500"):
            with self.subTest(kind=kind):
                self.ctl("reset")
                self.ctl("config", "scroll_page_size=10")
                d = self.get("/companies/scroll")
                param = d["scroll_param"]
                self.ctl("fault", kind, "--path", "/companies/scroll")
                self.assertNotEqual(self.req("GET", f"/companies/scroll?scroll_param={param}").status, 200)
                self.assertEqual([c["id"] for c in d["data"]] + self._scroll_ids(param), every)

    def test_lost_first_page_leaves_its_scroll_open(self):
        """A first page lost on the way opened a scroll: a new one meets
        scroll_exists until it expires."""
        self.ctl("config", "scroll_idle_seconds=0.5")
        self.ctl("fault", "drop", "--path", "/companies/scroll")
        with self.assertRaises((http.client.HTTPException, ConnectionError, socket.timeout)):
            self.req("GET", "/companies/scroll")
        self.assertError(self.req("GET", "/companies/scroll"), 400, "scroll_exists")
        time.sleep(0.7)
        self.get("/companies/scroll")


def local_day_bounds(t, tz):
    d = datetime.fromtimestamp(t, tz).date()
    s = int(datetime(d.year, d.month, d.day, tzinfo=tz).timestamp())
    n = d + timedelta(days=1)
    return s, int(datetime(n.year, n.month, n.day, tzinfo=tz).timestamp())


class TestSearchSemantics(FakeCase):
    def ids(self, model, query, **kw):
        return {r["id"] for r in self.search(model, query, **kw)}

    def test_contact_day_rule_local_timezone(self):
        tz = ZoneInfo("America/Los_Angeles")
        contacts = self.dump("contacts")
        by_idx = {i: c for i, c in enumerate(contacts)}
        before_local, after_local = by_idx[7]["created_at"], by_idx[8]["created_at"]
        # the data really straddles local midnight / UTC midnight
        self.assertEqual(local_day_bounds(after_local, tz)[0], after_local - 10)
        self.assertEqual(local_day_bounds(before_local, tz)[1], before_local + 30)
        for T in (before_local, after_local, by_idx[5]["created_at"], by_idx[6]["created_at"],
                  by_idx[9]["created_at"], by_idx[10]["created_at"], by_idx[11]["created_at"]):
            s, e = local_day_bounds(T, tz)
            exp = {"=": {c["id"] for c in contacts if s <= c["created_at"] < e},
                   ">": {c["id"] for c in contacts if c["created_at"] >= e},
                   "<": {c["id"] for c in contacts if c["created_at"] < s}}
            for op, want in exp.items():
                got = self.ids("contacts", {"field": "created_at", "operator": op, "value": str(T)})
                self.assertEqual(got, want, (op, T))
        # concrete: = T matches the whole local day, > T starts at the next local midnight
        got = self.ids("contacts", {"field": "created_at", "operator": "=", "value": before_local})
        self.assertIn(by_idx[7]["id"], got)
        self.assertNotIn(by_idx[8]["id"], got)
        got = self.ids("contacts", {"field": "created_at", "operator": ">", "value": before_local})
        self.assertIn(by_idx[8]["id"], got)
        self.assertNotIn(by_idx[7]["id"], got)
        # 20 s before / 15 s after UTC midnight = the same LA day
        got = self.ids("contacts", {"field": "created_at", "operator": "=", "value": by_idx[5]["created_at"]})
        self.assertTrue({by_idx[5]["id"], by_idx[6]["id"]} <= got)
        # ... but different days when the workspace is in UTC
        self.ctl("config", "timezone=UTC")
        self.assertEqual(self.get("/me")["app"]["timezone"], "UTC")
        got = self.ids("contacts", {"field": "created_at", "operator": "=", "value": by_idx[5]["created_at"]})
        self.assertIn(by_idx[5]["id"], got)
        self.assertNotIn(by_idx[6]["id"], got)

    def test_contact_date_operators_restricted(self):
        for op in (">=", "<=", "!=", "IN", "NIN", "~"):
            v = [1] if op in ("IN", "NIN") else 1600000000
            r = self.req("POST", "/contacts/search", {"query": {"field": "updated_at", "operator": op, "value": v}})
            self.assertError(r, 400, "parameter_invalid")

    def test_conversation_dates_to_the_second(self):
        convs = self.dump("conversations")
        T = sorted(c["updated_at"] for c in convs)[20]
        for op, f in ((">", lambda v: v > T), ("<", lambda v: v < T), (">=", lambda v: v >= T),
                      ("<=", lambda v: v <= T), ("=", lambda v: v == T)):
            want = {c["id"] for c in convs if f(c["updated_at"])}
            self.assertEqual(self.ids("conversations", {"field": "updated_at", "operator": op, "value": str(T)}), want, op)

    def test_compound_and_fields(self):
        convs = self.dump("conversations")
        q = {"operator": "AND", "value": [
            {"operator": "OR", "value": [{"field": "state", "operator": "=", "value": "open"},
                                         {"field": "state", "operator": "=", "value": "snoozed"}]},
            {"field": "read", "operator": "=", "value": True},
            {"field": "source.type", "operator": "!=", "value": "email"}]}
        want = {c["id"] for c in convs if c["state"] in ("open", "snoozed") and c["read"] and c["source"]["type"] != "email"}
        self.assertEqual(self.ids("conversations", q), want)
        want = {c["id"] for c in convs if c["admin_assignee_id"] is None}
        self.assertEqual(self.ids("conversations", {"field": "admin_assignee_id", "operator": "=", "value": None}), want)
        contacts = self.dump("contacts")
        want = {c["id"] for c in contacts if c["email"] and c["email"].lower().endswith("example.org")}
        self.assertEqual(self.ids("contacts", {"field": "email", "operator": "$", "value": "example.org"}), want)
        want = {c["id"] for c in contacts if c["custom_attributes"].get("is_vip") is True}
        self.assertEqual(self.ids("contacts", {"field": "custom_attributes.is_vip", "operator": "=", "value": True}), want)
        one = contacts[4]
        self.assertEqual(self.ids("contacts", {"field": "id", "operator": "=", "value": one["id"]}), {one["id"]})

    def test_limits_and_errors(self):
        f = {"field": "role", "operator": "=", "value": "user"}
        ok2 = {"operator": "AND", "value": [{"operator": "OR", "value": [f, f]}, {"operator": "OR", "value": [f, f]}]}
        self.post("/contacts/search", {"query": ok2})
        deep = {"operator": "AND", "value": [{"operator": "OR", "value": [{"operator": "AND", "value": [f]}]}]}
        self.assertError(self.req("POST", "/contacts/search", {"query": deep}), 400, "parameter_invalid")
        self.post("/contacts/search", {"query": {"operator": "OR", "value": [f] * 15}})
        self.assertError(self.req("POST", "/contacts/search", {"query": {"operator": "OR", "value": [f] * 16}}),
                         400, "parameter_invalid")
        self.assertError(self.req("POST", "/contacts/search", {"query": {"field": "bogus", "operator": "=", "value": 1}}),
                         400, "parameter_invalid")
        self.assertError(self.req("POST", "/conversations/search", {"query": {"field": "bogus", "operator": "=", "value": 1}}),
                         400, "parameter_invalid")
        self.assertError(self.req("POST", "/contacts/search", {"query": f, "sort": {"field": "created_at", "order": "desc"}}),
                         400, "invalid_sort_order")
        self.assertError(self.req("POST", "/contacts/search", {"query": f, "pagination": {"per_page": 151}}),
                         400, "parameter_invalid")
        self.assertEqual(self.post("/contacts/search", {"query": f})["pages"]["per_page"], 50)
        self.assertEqual(self.post("/conversations/search", {"query": {"field": "open", "operator": "=", "value": True}})
                         ["pages"]["per_page"], 20)


class TestPartsAndVersions(FakeCase):
    def test_500_part_cap(self):
        big = [c for c in self.dump("conversations") if c["statistics"] and c["statistics"]["count_conversation_parts"] > 500]
        self.assertEqual(len(big), 1)
        d = self.get(f"/conversations/{big[0]['id']}")
        parts = d["conversation_parts"]
        self.assertEqual(parts["total_count"], 500)
        self.assertEqual(len(parts["conversation_parts"]), 500)
        self.assertEqual(d["statistics"]["count_conversation_parts"], 612)
        # the MOST RECENT 500: the oldest 112 are gone
        self.assertEqual(parts["conversation_parts"][-1]["id"], str(700000000 + 7 * 1000 + 611))
        self.assertEqual(parts["conversation_parts"][0]["id"], str(700000000 + 7 * 1000 + 112))
        self.assertTrue(all(p["updated_at"] <= d["updated_at"] for p in parts["conversation_parts"]))

    def test_parts_dump(self):
        rows = self.dump("conversation_parts")
        convs = {c["id"]: c for c in self.dump("conversations")}
        for r in rows:
            c = convs[r["conversation_id"]]
            self.assertEqual(r["conversation_updated_at"], c["updated_at"])
            self.assertEqual(r["conversation_created_at"], c["created_at"])
            self.assertLessEqual(r["updated_at"], c["updated_at"])
        big = [r for r in rows if r["conversation_total_parts"] == 500]
        self.assertEqual(len(big), 500)
        # assignments name an admin or a team; other parts no one
        kinds = {(r["assigned_to"] or {}).get("type") for r in rows}
        self.assertEqual(kinds, {None, "admin", "team"})
        self.assertTrue(all(r["assigned_to"] is None for r in rows if r["part_type"] != "assignment"))

    def test_version_216(self):
        old = self.get("/conversations?per_page=150")["conversations"]
        new = self.get("/conversations?per_page=150", version="2.16")["conversations"]
        self.assertTrue({c["priority"] for c in old} <= {"priority", "not_priority"})
        self.assertTrue({c["priority"] for c in new} <= {"none", "low", "medium", "high", "urgent"})
        self.assertTrue(any(c["admin_assignee_id"] is None for c in old))
        self.assertFalse(any(c["admin_assignee_id"] is None for c in new))
        self.assertTrue(any(c["admin_assignee_id"] == 0 for c in new))
        self.assertTrue(any(c["team_assignee_id"] == 0 for c in new))
        oc = [c for c in self.get("/contacts?per_page=150")["data"] if c["owner_id"] is not None]
        nc = [c for c in self.get("/contacts?per_page=150", version="2.16")["data"] if c["owner_id"] is not None]
        self.assertTrue(oc and all(isinstance(c["owner_id"], int) for c in oc))
        self.assertTrue(nc and all(isinstance(c["owner_id"], str) for c in nc))
        d16 = {c["id"]: c["owner_id"] for c in self.dump("contacts", version="2.16")}
        self.assertTrue(all(d16[c["id"]] == c["owner_id"] for c in nc))     # dump honours ?version=
        self.assertError(self.req("GET", "/data_attributes?model=conversation", version="2.16"), 422, "data_invalid")
        self.get("/data_attributes?model=conversation", version="2.15")
        self.assertError(self.req("GET", "/conversations/deleted"), 400, "intercom_version_invalid")
        self.ctl("delete", "conversations", "--ids", "100003")
        d = self.get("/conversations/deleted", version="2.16")
        self.assertEqual([x["id"] for x in d["conversations"]], ["100003"])
        self.assertError(self.req("GET", "/conversations/100003"), 404, "not_found")
        self.assertError(self.req("GET", "/admins", version="9.9"), 400, "intercom_version_invalid")
        # search filters see the version's values
        urgent = self.ids_conv({"field": "priority", "operator": "=", "value": "urgent"}, "2.16")
        self.assertEqual(urgent, {c["id"] for c in new if c["priority"] == "urgent"})

    def ids_conv(self, q, v):
        return {r["id"] for r in self.search("conversations", q, version=v)}

    def test_determinism(self):
        p2, port2 = start_fake("--seed", "42")
        p3, port3 = start_fake("--seed", "43")
        try:
            def fetch(port):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    c.request("GET", "/_fake/data/contacts")
                    return c.getresponse().read()
                finally:
                    c.close()
            self.assertEqual(fetch(self.port), fetch(port2))
            self.assertNotEqual(fetch(self.port), fetch(port3))
        finally:
            for p in (p2, p3):
                p.kill()
                p.wait()
                p.stdout.close()
                p.stderr.close()


class TestDeletions(FakeCase):
    """Deleted and merged records (issue 20): what lists, search, GET and the
    deleted-conversations feed say afterwards."""

    def count(self, model, q=None):
        q = q or {"field": "created_at", "operator": ">", "value": 0}
        return self.post(f"/{model}/search", {"query": q, "pagination": {"per_page": 1}})["total_count"]

    def test_delete_contact_everywhere(self):
        before = self.count("contacts")
        listed_before = self.get("/contacts?per_page=1")["total_count"]
        cid = self.ctl("delete", "contacts", "--count", "1", "--print-ids").stdout.split()[0]
        self.assertEqual(self.count("contacts"), before - 1)
        self.assertNotIn(cid, {r["id"] for r in self.dump("contacts")})
        listed = self.get("/contacts?per_page=150")
        self.assertNotIn(cid, {r["id"] for r in listed["data"]})
        self.assertEqual(listed["total_count"], listed_before - 1)
        for v in ("2.14", "2.16"):
            self.assertError(self.req("GET", f"/contacts/{cid}", version=v), 404, "not_found")

    def test_merge_contact_by_version(self):
        ids = self.ctl("merge", "contacts", "--count", "2", "--print-ids").stdout.split()
        self.assertEqual(len(ids), 2)
        into = self.control("POST", "/_fake/merge", {"stream": "contacts", "count": 0})["into"]
        self.assertNotIn(into, ids)
        self.assertError(self.req("GET", f"/contacts/{ids[0]}", version="2.15"), 404, "not_found")
        r = self.req("GET", f"/contacts/{ids[0]}", version="2.16")
        self.assertError(r, 410, "contact_merged")
        self.assertEqual(r.headers["link"], f'</contacts/{into}>; rel="canonical"')
        found = {r["id"] for r in self.search("contacts", {"field": "id", "operator": "IN", "value": ids})}
        self.assertEqual(found, set())
        self.assertNotIn(ids[1], {r["id"] for r in self.dump("contacts")})
        # the survivor is still there
        self.assertEqual(self.get(f"/contacts/{into}")["id"], into)
        # a merged contact cannot be merged into
        self.assertNotEqual(self.ctl("merge", "contacts", "--count", "1", "--into", ids[0],
                                     check=False).returncode, 0)

    def test_delete_company(self):
        cid = self.ctl("delete", "companies", "--count", "1", "--print-ids").stdout.split()[0]
        self.assertNotIn(cid, {r["id"] for r in self.dump("companies")})
        self.assertEqual(self.req("GET", f"/companies/{cid}").status, 404)
        scrolled = []
        d = self.get("/companies/scroll")
        while d["data"]:
            scrolled += [r["id"] for r in d["data"]]
            d = self.get(f"/companies/scroll?scroll_param={d['scroll_param']}")
        self.assertNotIn(cid, scrolled)
        self.assertEqual(len(scrolled), len(self.dump("companies")))

    def test_delete_ticket(self):
        before = self.count("tickets", {"field": "updated_at", "operator": ">", "value": 0})
        tid = self.dump("tickets")[3]["id"]
        self.ctl("delete", "tickets", "--ids", tid)
        self.assertEqual(self.count("tickets", {"field": "updated_at", "operator": ">", "value": 0}), before - 1)
        self.assertError(self.req("GET", f"/tickets/{tid}"), 404, "ticket_not_found")
        self.assertNotIn(tid, {t["id"] for t in self.dump("tickets")})
        self.assertNotIn(tid, {p["ticket_id"] for p in self.dump("ticket_parts")})
        self.assertNotEqual(self.ctl("delete", "tickets", "--ids", tid, check=False).returncode, 0)

    def test_deleted_conversations_feed(self):
        ids = []
        for k, at in enumerate((1700000300, 1700000100, 1700000200)):
            ids += self.ctl("delete", "conversations", "--count", "1", "--deleted-at", str(at),
                            "--print-ids").stdout.split()
        # newest deletion first by default; per_page at most 60; page numbers
        d = self.get("/conversations/deleted?per_page=2", version="2.16")
        self.assertEqual(d["type"], "conversations.list")
        self.assertEqual([x["id"] for x in d["conversations"]], [ids[0], ids[2]])
        self.assertEqual([x["deleted_at"] for x in d["conversations"]], [1700000300, 1700000200])
        self.assertEqual(set(d["conversations"][0]), {"type", "id", "deleted_at", "metrics_retained"})
        self.assertEqual(d["total_count"], 3)
        self.assertEqual(d["pages"]["total_pages"], 2)
        self.assertIn("page=2", d["pages"]["next"])
        self.assertIn("order=desc", d["pages"]["next"])
        d2 = self.get("/conversations/deleted?per_page=2&page=2", version="2.16")
        self.assertEqual([x["id"] for x in d2["conversations"]], [ids[1]])
        self.assertIsNone(d2["pages"]["next"])
        asc = self.get("/conversations/deleted?order=asc", version="2.16")
        self.assertEqual([x["id"] for x in asc["conversations"]], [ids[1], ids[2], ids[0]])
        self.assertEqual(self.req("GET", "/conversations/deleted?per_page=61", version="2.16").status, 400)
        self.assertEqual(self.req("GET", "/conversations/deleted?order=up", version="2.16").status, 400)
        self.assertError(self.req("GET", "/conversations/deleted", version="2.15"), 400,
                         "intercom_version_invalid")
        for i in ids:
            self.assertError(self.req("GET", f"/conversations/{i}"), 404, "not_found")
        self.assertFalse(set(ids) & {r["id"] for r in self.dump("conversations")})
        self.assertFalse(set(ids) & {p["conversation_id"] for p in self.dump("conversation_parts")})
        self.assertFalse(set(ids) & {r["conversation_id"] for r in self.dump("conversation_tags")})
        self.ctl("reset")
        self.assertEqual(self.get("/conversations/deleted", version="2.16")["total_count"], 0)

    def test_search_lag(self):
        q = {"field": "created_at", "operator": ">", "value": 0}
        base = self.count("contacts", q)
        self.ctl("config", "search_lag_seconds=600")
        new = self.ctl("create", "contacts", "--print-ids").stdout.split()[0]
        # listed and readable at once, searchable only later
        self.assertEqual(self.get(f"/contacts/{new}")["id"], new)
        self.assertIn(new, {r["id"] for r in self.dump("contacts")})
        self.assertEqual(self.count("contacts", q), base)
        tickets = self.count("tickets", {"field": "updated_at", "operator": ">", "value": 0})
        self.ctl("config", "search_lag_seconds=0")
        self.assertEqual(self.count("contacts", q), base + 1)
        self.assertEqual(tickets, len(self.dump("tickets")))
        # a record created in the past (by its created_at) is searchable at once
        self.ctl("config", "search_lag_seconds=600")
        old = self.ctl("create", "contacts", "--updated-at", "1700000000", "--print-ids").stdout.split()[0]
        self.assertIn(old, {r["id"] for r in self.search("contacts", {"field": "id", "operator": "=", "value": old})})


class TestDataShape(FakeCase):
    def test_invariants_and_nastiness(self):
        contacts = self.dump("contacts")
        convs = self.dump("conversations")
        comps = self.dump("companies")
        for rec in contacts + convs + comps:
            self.assertGreaterEqual(rec["updated_at"], rec["created_at"])
        blob = json.dumps([contacts, convs, comps], ensure_ascii=False)
        for needle in ("🚀", "李", "\u0301", "\\n", "\\t", '\\"', "\\\\"):
            self.assertIn(needle, blob)
        self.assertTrue(any(c["created_at"] < 0 for c in contacts))
        shared = {}
        for c in contacts:
            shared[c["created_at"]] = shared.get(c["created_at"], 0) + 1
        self.assertGreaterEqual(max(shared.values()), 3)
        years = {datetime.utcfromtimestamp(c["created_at"]).year for c in contacts if c["created_at"] > 0}
        self.assertTrue(min(years) <= 2019 and max(years) >= 2025)
        self.assertTrue(any(c["name"] == "" for c in contacts) and any(c["name"] is None for c in contacts))
        types = {type(v).__name__ for c in contacts for v in c["custom_attributes"].values()}
        self.assertTrue({"str", "int", "float", "bool", "NoneType"} <= types)
        self.assertTrue(any(c["companies"]["has_more"] for c in contacts))


class TestRateLimitAuthFaults(FakeCase):
    def test_401(self):
        for tok in (None, "wrong"):
            r = self.req("GET", "/admins", token=tok)
            self.assertError(r, 401, "unauthorized")
            self.assertEqual(r.json["errors"][0]["message"], "Access Token Invalid")
            self.assertNotIn("x-ratelimit-limit", r.headers)
        self.get("/admins", token="tok_test_2")

    def test_rate_limit_window(self):
        self.ctl("config", "rate_limit=3")
        # the 4 requests must share one window: skip to the next if this one is nearly over
        if 10 - time.time() % 10 < 1.5:
            time.sleep(10 - time.time() % 10 + 0.05)
        rs = [self.req("GET", "/tags") for _ in range(4)]
        self.assertEqual([r.status for r in rs], [200, 200, 200, 429])
        self.assertEqual([r.headers["x-ratelimit-remaining"] for r in rs[:3]], ["2", "1", "0"])
        r = rs[3]
        self.assertError(r, 429, "rate_limit_exceeded")
        self.assertEqual(r.json["errors"][0]["message"], "Exceeded rate limit of 3 in 10_seconds")
        self.assertEqual(r.headers["x-ratelimit-limit"], "3")
        reset = int(r.headers["x-ratelimit-reset"])
        self.assertTrue(0 < reset - time.time() <= 10)
        time.sleep(max(0, reset - time.time()) + 0.05)
        r = self.req("GET", "/tags")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["x-ratelimit-remaining"], "2")

    def test_short_rate_limit_window(self):
        """rate_window_seconds shortens the window (and a 429's wait) for quick tests."""
        self.ctl("config", "rate_window_seconds=2")
        self.ctl("fault", "429", "--path", "/tags")
        r = self.req("GET", "/tags")
        self.assertEqual(r.status, 429)
        reset = int(r.headers["x-ratelimit-reset"])
        self.assertEqual(reset % 2, 0)
        self.assertTrue(0 < reset - time.time() <= 2)

    def test_fault_kinds(self):
        simple = {"429": 429, "500": 500, "503_json": 503, "404": 404}
        for kind, st in simple.items():
            self.ctl("fault", kind, "--path", "/tags")
            r = self.req("GET", "/tags")
            self.assertEqual(r.status, st, kind)
            self.assertEqual(r.json["type"], "error.list")
            self.assertEqual(self.req("GET", "/tags").status, 200)   # count=1 by default
        self.ctl("fault", "502_html")
        r = self.req("GET", "/admins")
        self.assertEqual(r.status, 502)
        self.assertIn(b"<html>", r.raw)
        self.ctl("fault", "html_200")
        r = self.req("GET", "/admins")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.raw.startswith(b"<!DOCTYPE html>"))
        self.ctl("fault", "empty")
        r = self.req("GET", "/admins")
        self.assertEqual((r.status, r.raw), (200, b""))
        self.ctl("fault", "truncated")
        r = self.req("GET", "/admins")
        self.assertEqual(r.status, 200)
        with self.assertRaises(ValueError):
            json.loads(r.raw)
        self.ctl("fault", "drop")
        with self.assertRaises((http.client.HTTPException, ConnectionError, socket.timeout)):
            self.req("GET", "/admins")
        self.ctl("fault", "slow", "--delay-ms", "300")
        t0 = time.time()
        self.assertEqual(self.req("GET", "/admins").status, 200)
        self.assertGreaterEqual(time.time() - t0, 0.3)
        self.ctl("fault", "bad_json")
        r = self.req("GET", "/admins")
        self.assertEqual((r.status, r.raw), (200, b'{"type":"list","data":[}'))
        with self.assertRaises(ValueError):
            json.loads(r.raw)

    def test_fault_matching(self):
        self.ctl("fault", "500", "--path", "/contacts", "--method", "POST", "--count", "2", "--after", "1")
        self.assertEqual(self.req("GET", "/contacts").status, 200)              # wrong method
        f = {"query": {"field": "role", "operator": "=", "value": "user"}}
        self.assertEqual([self.req("POST", "/contacts/search", f).status for _ in range(4)], [200, 500, 500, 200])
        self.ctl("fault", "500", "--count", "5")
        self.ctl("fault", "drop", "--path", "/tags", "--count", "2")
        self.assertEqual(self.ctl("faults-left").stdout.strip(), "7")
        self.assertEqual(self.req("GET", "/admins").status, 500)
        self.assertEqual(self.ctl("faults-left").stdout.strip(), "6")
        self.ctl("faults-clear")
        self.assertEqual(self.ctl("faults-left").stdout.strip(), "0")
        self.assertEqual(self.req("GET", "/tags").status, 200)


class TestLatencyAndInFlight(FakeCase):
    """Latency is arrival to answer, settable for searches alone; the fake
    tells how many requests it held at once."""

    def stats(self):
        return json.loads(self.ctl("stats").stdout)

    def timed(self, method, path, body=None):
        t0 = time.monotonic()
        r = self.req(method, path, body)
        self.assertEqual(r.status, 200, r.raw)
        return time.monotonic() - t0

    def test_search_latency_alone(self):
        self.ctl("config", "search_latency_ms=300")
        self.assertLess(self.timed("GET", "/tags"), 0.2)
        self.assertGreaterEqual(self.timed("POST", "/contacts/search",
                                           {"query": {"field": "role", "operator": "=", "value": "user"}}), 0.3)
        self.ctl("config", "latency_ms=250", "search_latency_ms=-1")
        self.assertGreaterEqual(self.timed("GET", "/tags"), 0.25)

    def test_new_and_repeated_search_cost_the_same(self):
        """The latency is not added to the work: a new query (filtered and
        sorted now) and the same query again (cached) both take it."""
        self.ctl("config", "search_latency_ms=400")
        q = {"query": {"field": "created_at", "operator": ">", "value": 1}, "pagination": {"per_page": 5}}
        new = self.timed("POST", "/contacts/search", q)
        again = self.timed("POST", "/contacts/search", q)
        for t in (new, again):
            self.assertGreaterEqual(t, 0.4)
            self.assertLess(t, 0.55)

    def all_ids(self, stream, query, order="ascending"):
        ids, cursor = [], None
        while True:
            pag = {"per_page": 150}
            if cursor:
                pag["starting_after"] = cursor
            r = self.post(f"/{stream}/search", {"query": query, "pagination": pag,
                                                 "sort": {"field": "created_at", "order": order}})
            ids += [x["id"] for x in r["data" if stream == "contacts" else "conversations"]]
            cursor = (r["pages"].get("next") or {}).get("starting_after")
            if not cursor:
                return ids, r["total_count"]

    def test_created_at_searches_as_the_full_filter(self):
        """The created_at-only path (search_by_segments) answers exactly what
        filtering every record does: the same query ORed with a filter no
        record matches takes the full path."""
        self.ctl("config", "timezone=America/New_York")
        leaf = lambda op, v: {"field": "created_at", "operator": op, "value": v}
        for stream in ("contacts", "conversations"):
            times = sorted(c["created_at"] for c in self.dump(stream) if c.get("created_at"))
            a, b, m = times[len(times) // 5], times[3 * len(times) // 4], times[len(times) // 2]
            ops = [leaf("<", m), leaf(">", m), leaf("=", m),
                   {"operator": "AND", "value": [{"operator": "OR", "value": [leaf("=", a), leaf(">", a)]}, leaf("<", b)]},
                   {"operator": "OR", "value": [leaf("<", a), leaf("=", b), leaf(">", b + 86400 * 3)]},
                   {"operator": "OR", "value": [leaf("<", 0), leaf("=", 0), leaf(">", 0)]}]
            if stream == "conversations":
                ops += [leaf("<=", m), leaf(">=", m), leaf("!=", m)]
            for q in ops:
                never = {"field": "state" if stream == "conversations" else "email",
                         "operator": "=", "value": "no-such-value"}
                if q.get("operator") == "AND":      # into its OR group: two levels at most
                    slow = {"operator": "AND", "value": [{"operator": "OR", "value": q["value"][0]["value"] + [never]}]
                            + q["value"][1:]}
                elif q.get("operator") == "OR":
                    slow = {"operator": "OR", "value": q["value"] + [never]}
                else:
                    slow = {"operator": "OR", "value": [q, never]}
                for order in ("ascending", "descending"):
                    fast = self.all_ids(stream, q, order)
                    self.assertEqual(fast, self.all_ids(stream, slow, order), (stream, q, order))
                self.assertGreater(fast[1], 0, (stream, q))

    def test_in_flight(self):
        self.ctl("config", "latency_ms=300")
        n = 6
        barrier = threading.Barrier(n)
        statuses = []

        def fetch():
            barrier.wait()
            statuses.append(self.req("GET", "/tags").status)

        threads = [threading.Thread(target=fetch) for _ in range(n)]
        for t in threads:
            t.start()
        time.sleep(0.15)
        self.assertEqual(self.stats()["in_flight"], n)
        for t in threads:
            t.join(30)
        st = self.stats()
        self.assertEqual(statuses, [200] * n)
        self.assertEqual((st["in_flight"], st["max_in_flight"]), (0, n))
        self.ctl("stats-clear")
        st = self.stats()
        self.assertEqual((st["max_in_flight"], st["api_requests"]), (0, 0))
        self.req("GET", "/tags")
        self.assertEqual(self.stats()["max_in_flight"], 1)


class TestConcurrencyAndCache(FakeCase):
    """Responses are rendered outside the state lock (and cached), written
    with one send on a TCP_NODELAY socket, and accepted with a real listen
    backlog."""

    def conv_ids(self, n):
        return [c["id"] for c in self.dump("conversations")[:n]]

    def test_concurrent_requests_overlap(self):
        ids = self.conv_ids(16)
        self.ctl("config", "latency_ms=50")
        barrier = threading.Barrier(len(ids))
        results = []

        def fetch(cid):
            barrier.wait()
            r = self.req("GET", f"/conversations/{cid}")
            results.append((r.status, r.json["id"] == cid))

        threads = [threading.Thread(target=fetch, args=(cid,)) for cid in ids]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        wall = time.monotonic() - t0
        self.assertEqual(results, [(200, True)] * len(ids))
        # serially this is >= 16 x 50 ms = 0.8 s; a dropped SYN (listen
        # backlog too small for 16 simultaneous connects) costs >= 1 s
        self.assertLess(wall, 0.4)

    def test_keepalive_no_nagle_stall(self):
        cid = self.conv_ids(1)[0]
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        for gz in ({}, {"Accept-Encoding": "gzip"}):
            self.req("GET", f"/conversations/{cid}", conn=conn, headers=gz)
            t0 = time.monotonic()
            for _ in range(20):
                self.assertEqual(self.req("GET", f"/conversations/{cid}", conn=conn, headers=gz).status, 200)
            # headers and body in separate small writes stalled each response
            # ~40 ms (Nagle + delayed ACK)
            self.assertLess((time.monotonic() - t0) / 20, 0.02)
        conn.close()

    def test_cached_record_rerendered_after_mutation(self):
        cid = self.get("/contacts?per_page=3")["data"][1]["id"]
        first = self.req("GET", f"/contacts/{cid}")
        hits0 = self.control("GET", "/_fake/stats")["render_cache"]["hits"]
        again = self.req("GET", f"/contacts/{cid}")
        self.assertGreater(self.control("GET", "/_fake/stats")["render_cache"]["hits"], hits0)
        self.assertEqual(first.raw, again.raw)                  # cached bytes == fresh render
        before = first.json
        self.assertEqual(self.get("/contacts?per_page=3")["data"][1], before)
        v16 = self.get(f"/contacts/{cid}", version="2.16")      # cached per version

        self.ctl("mutate", "contacts", "--ids", cid, "--updated-at", "1790000000")
        after = self.get(f"/contacts/{cid}")
        self.assertEqual(after["updated_at"], 1790000000)
        self.assertEqual(after["name"], f"{before['name'] or ''} (mutated)")
        strip = lambda r: {k: v for k, v in r.items() if k not in ("name", "updated_at")}
        self.assertEqual(strip(after), strip(before))
        self.assertEqual(self.get("/contacts?per_page=3")["data"][1], after)
        self.assertEqual(self.get(f"/contacts/{cid}", version="2.16")["updated_at"], 1790000000)
        self.assertNotEqual(v16["updated_at"], 1790000000)
        self.ctl("mutate", "contacts", "--ids", cid, "--updated-at", "1790000005")
        self.assertEqual(self.get(f"/contacts/{cid}")["updated_at"], 1790000005)
        self.assertTrue(self.get(f"/contacts/{cid}")["name"].endswith("(mutated) (mutated)"))

        # GET /conversations/{id} (conversation + parts) and the list both follow a mutation
        conv = self.get("/conversations?per_page=5")["conversations"][2]
        full = self.get(f"/conversations/{conv['id']}")
        self.ctl("mutate", "conversations", "--ids", conv["id"], "--updated-at", "1790000009")
        full2 = self.get(f"/conversations/{conv['id']}")
        self.assertEqual(full2["updated_at"], 1790000009)
        self.assertTrue(full2["title"].endswith("(mutated)"))
        self.assertEqual(full2["conversation_parts"], full["conversation_parts"])
        self.assertEqual(self.get("/conversations?per_page=5")["conversations"][2]["updated_at"], 1790000009)
        self.assertEqual(self.dump("conversations")[2]["updated_at"], 1790000009)
        # --add-parts: a reply, appended at the mutation time
        self.ctl("mutate", "conversations", "--ids", conv["id"], "--updated-at", "1790000010", "--add-parts", "2")
        full3 = self.get(f"/conversations/{conv['id']}")
        parts2, parts3 = full2["conversation_parts"], full3["conversation_parts"]
        self.assertEqual(parts3["total_count"], parts2["total_count"] + 2)
        self.assertEqual(parts3["conversation_parts"][:-2], parts2["conversation_parts"])
        self.assertEqual([p["updated_at"] for p in parts3["conversation_parts"][-2:]], [1790000010] * 2)
        self.assertEqual(len({p["id"] for p in parts3["conversation_parts"]}), parts3["total_count"])

        # tickets (generated, not stored): an overlay with the same effects,
        # seen by GET /tickets/{id}, the search on updated_at and the dump
        t0 = self.get("/tickets/637", version="2.16")
        self.ctl("mutate", "tickets", "--ids", "637", "--updated-at", "1790000011", "--add-parts", "1")
        t1 = self.get("/tickets/637", version="2.16")
        self.assertEqual(t1["updated_at"], 1790000011)
        self.assertTrue(t1["ticket_attributes"]["_default_title_"].endswith("(mutated)"))
        tp0, tp1 = t0["ticket_parts"]["ticket_parts"], t1["ticket_parts"]["ticket_parts"]
        self.assertEqual(tp1[:-1], tp0)
        self.assertEqual((tp1[-1]["created_at"], tp1[-1]["updated_at"]), (1790000011, 1790000011))
        hits = self.post("/tickets/search", {"query": {"field": "updated_at", "operator": ">", "value": 1790000010}},
                         version="2.16")["tickets"]
        self.assertEqual([t["id"] for t in hits], ["637"])
        self.assertEqual(sum(1 for p in self.dump("ticket_parts") if p["ticket_id"] == "637"), len(tp1))

        # deleted records disappear although they are cached; reset restores the originals
        self.ctl("delete", "contacts", "--ids", cid)
        self.assertError(self.req("GET", f"/contacts/{cid}"), 404, "not_found")
        self.assertNotIn(cid, [c["id"] for c in self.get("/contacts?per_page=3")["data"]])
        self.ctl("reset")
        self.assertEqual(self.req("GET", f"/contacts/{cid}").raw, first.raw)
        self.assertEqual(self.get(f"/conversations/{conv['id']}"), full)
        self.assertEqual(self.get("/tickets/637", version="2.16"), t0)

    def test_prewarm(self):
        gz = {"Accept-Encoding": "gzip"}
        cold = [self.req("GET", "/contacts?per_page=50", headers=gz).raw,
                self.req("GET", "/conversations/100003", version="2.16").raw]
        self.ctl("reset")
        self.assertEqual(self.ctl("prewarm", "--per-page", "50").stdout, "")
        rc = self.control("GET", "/_fake/stats")["render_cache"]
        self.assertEqual(rc["entries"], 123 + 2 * 42)       # contacts; conversations list + full
        self.assertEqual(rc["pages"], 3 + 1)                 # 123 contacts, 42 conversations by 50
        self.assertEqual(self.req("GET", "/contacts?per_page=50", headers=gz).raw, cold[0])
        self.assertEqual(self.req("GET", "/conversations/100003", version="2.16").raw, cold[1])
        rc2 = self.control("GET", "/_fake/stats")["render_cache"]
        self.assertEqual(rc2["hits"], rc["hits"] + 1)        # the page; 2.16 was not prewarmed
        self.ctl("prewarm", "companies", "--version", "2.16")
        self.assertEqual(self.control("GET", "/_fake/stats")["render_cache"]["entries"], rc["entries"] + 1 + 37)
        self.assertNotEqual(self.ctl("prewarm", "tags", check=False).returncode, 0)
        self.assertNotEqual(self.ctl("prewarm", "--version", "9.9", check=False).returncode, 0)

    def test_reads_during_mutations(self):
        """Rendering works on a snapshot: readers racing mutations, creates,
        deletes and resets always get well-formed, self-consistent pages."""
        stop = threading.Event()
        errors = []

        def reader(path, key):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                while not stop.is_set():
                    r = self.req("GET", path, conn=conn)
                    if r.status != 200:
                        errors.append((path, r.status, r.raw[:200]))
                        continue
                    d = r.json
                    items = d[key] if key else [d]
                    ids = [x["id"] for x in items]
                    if len(ids) != len(set(ids)) or (key and d["total_count"] < len(ids)):
                        errors.append((path, "inconsistent", ids))
            except Exception as e:              # pragma: no cover - reported below
                errors.append((path, repr(e)))
            finally:
                conn.close()

        conv = self.conv_ids(1)[0]
        readers = [threading.Thread(target=reader, args=a) for a in
                   [("/contacts?per_page=150", "data"), ("/conversations?per_page=50", "conversations"),
                    (f"/conversations/{conv}", None), ("/companies?per_page=50", "data")]]
        for t in readers:
            t.start()
        try:
            for k in range(15):
                self.control("POST", "/_fake/mutate", {"stream": "contacts", "count": 20})
                self.control("POST", "/_fake/mutate", {"stream": "conversations", "ids": [conv]})
                new = self.control("POST", "/_fake/create", {"stream": "contacts", "count": 3})["ids"]
                self.control("POST", "/_fake/delete", {"stream": "contacts", "ids": new[:2]})
                self.control("POST", "/_fake/create", {"stream": "companies", "count": 2})
                if k % 5 == 4:
                    self.control("POST", "/_fake/reset")
        finally:
            stop.set()
            for t in readers:
                t.join(30)
        self.assertEqual(errors, [])


class TestControl(FakeCase):
    def test_log_and_count(self):
        self.ctl("log-clear")
        self.req("GET", "/contacts?per_page=2&b=x")
        self.req("POST", "/contacts/search", {"query": {"field": "role", "operator": "=", "value": "user"}})
        self.req("GET", "/tags", token="bad")
        lines = self.ctl("log").stdout.splitlines()
        self.assertEqual(lines, [
            "GET /contacts?b=x&per_page=2 200",
            'POST /contacts/search 200 {"query":{"field":"role","operator":"=","value":"user"}}',
            "GET /tags 401"])
        self.assertEqual(self.ctl("count", "--path", "/contacts").stdout.strip(), "2")
        # --raw: each request exactly as sent (query order and body bytes kept)
        raw = self.ctl("log", "--raw").stdout.splitlines()
        self.assertEqual(raw[0], "GET /contacts?per_page=2&b=x")
        self.assertTrue(raw[1].startswith("POST /contacts/search {"), raw[1])
        self.assertEqual(json.loads(raw[1].split(" ", 2)[2]),
                         {"query": {"field": "role", "operator": "=", "value": "user"}})
        log = self.control("GET", "/_fake/log")
        self.assertEqual(log[0], {"method": "GET", "path": "/contacts", "query": {"per_page": "2", "b": "x"},
                                  "body": None, "status": 200, "target": "/contacts?per_page=2&b=x",
                                  "raw_body": None})
        self.ctl("log", "--clear-after")
        self.assertEqual(self.ctl("count").stdout.strip(), "0")
        self.assertEqual(self.ctl("reset").stdout, "")

    def test_mutate_delete_create_reset(self):
        ids = self.ctl("mutate", "contacts", "--count", "2", "--updated-at", "1790000000", "--print-ids").stdout.split()
        self.assertEqual(len(ids), 2)
        c = self.get(f"/contacts/{ids[0]}")
        self.assertEqual(c["updated_at"], 1790000000)
        self.assertTrue(c["name"].endswith("(mutated)"))
        got = {r["id"] for r in self.search("contacts", {"field": "updated_at", "operator": ">", "value": 1789000000})}
        self.assertTrue(set(ids) <= got)
        conv = self.dump("conversations")[0]["id"]
        self.control("POST", "/_fake/mutate", {"stream": "conversations", "ids": [conv], "updated_at": 1790000001})
        self.assertEqual(self.get(f"/conversations/{conv}")["updated_at"], 1790000001)
        self.ctl("delete", "tags", "--ids", "100", "101")
        self.assertEqual(len(self.get("/tags")["data"]), 10)
        self.assertNotEqual(self.ctl("delete", "tags", "--ids", "nope", check=False).returncode, 0)
        new = self.ctl("create", "contacts", "--count", "3", "--print-ids").stdout.split()
        self.assertEqual(self.get("/contacts")["total_count"], 126)
        self.assertEqual(self.get(f"/contacts/{new[0]}")["id"], new[0])
        newc = self.control("POST", "/_fake/create", {"stream": "conversations", "count": 1})["ids"][0]
        d = self.get(f"/conversations/{newc}")
        self.assertTrue(all(p["updated_at"] <= d["updated_at"] for p in d["conversation_parts"]["conversation_parts"]))
        self.ctl("reset")
        self.assertEqual(self.get("/contacts")["total_count"], 123)
        self.assertEqual(len(self.get("/tags")["data"]), 12)
        self.assertNotEqual(self.get(f"/contacts/{ids[0]}")["updated_at"], 1790000000)

    def test_dump_lines_and_stats(self):
        out = self.ctl("dump", "contacts").stdout
        lines = out.splitlines()
        self.assertEqual(len(lines), 123)
        self.assertEqual(json.loads(lines[0])["id"], self.get("/contacts")["data"][0]["id"])
        self.assertIn("🚀", out)                                   # ensure_ascii=False
        self.assertFalse(any(ch in out for ch in "\x01\x02"))       # safe for COPY csv trick
        for s in ("admins", "companies", "company_attributes", "company_segments", "contact_attributes",
                  "conversation_parts", "conversations", "segments", "tags", "teams",
                  "articles", "conversation_attributes", "help_center_collections", "subscription_types",
                  "macros", "ticket_parts", "ticket_states", "ticket_types", "tickets"):
            self.assertTrue(self.dump(s), s)
        self.assertIn("count", self.dump("segments")[0])
        st = json.loads(self.ctl("stats").stdout)
        self.assertIn("api_requests", st)
        self.ctl("wait-ready")
        self.assertNotEqual(self.ctl("fault", "nonsense", check=False).returncode, 0)


def lenient(raw):
    """Parse JSON bytes that hold invalid UTF-8 on purpose (the bad bytes
    become lone surrogates; duplicate keys: the last wins)."""
    return json.loads(raw.decode("utf-8", "surrogateescape"))


class TestExotic(FakeCase):
    """Opt-in raw-JSON records (fakectl exotic): the bytes on the wire."""

    def record_bytes(self, stream, rid):
        r = self.req("GET", f"/{stream}/{rid}")
        self.assertEqual(r.status, 200, r.raw)
        return r.raw

    def test_off_by_default_and_after_reset(self):
        self.assertEqual(self.get("/contacts")["total_count"], 123)
        self.assertEqual(self.req("GET", "/contacts/exotic-c-n01").status, 404)
        self.ctl("exotic", "on")
        self.assertEqual(self.get("/contacts")["total_count"], 123 + 31)
        self.assertEqual(self.get("/companies")["total_count"], 37 + 3)
        self.ctl("reset")
        self.assertEqual(self.get("/contacts")["total_count"], 123)
        self.assertEqual(self.req("GET", "/companies/exotic-co-01").status, 404)
        self.ctl("exotic", "on")
        self.ctl("exotic", "off")
        self.assertEqual(self.get("/contacts")["total_count"], 123)
        self.assertNotEqual(self.ctl("exotic", "maybe", check=False).returncode, 0)

    def test_raw_bytes_on_the_wire(self):
        ids = self.ctl("exotic", "on", "--print-ids").stdout.split("\n")
        self.assertIn("contacts exotic-c-n01", ids)
        self.assertIn("companies exotic-co-03", ids)
        self.assertIn("conversations 999000001", ids)
        b = self.record_bytes("contacts", "exotic-c-n01")
        self.assertIn(b'"seats":18446744073709551617,', b)
        for rid, want in [("exotic-c-n08", b'"seats":1.7976931348623157e308'), ("exotic-c-n09", b'"seats":1.0e400'),
                          ("exotic-c-n11", b'"seats":123.4500'), ("exotic-c-n13", b'"seats":-0.0'),
                          ("exotic-c-n14", b'"seats":1E+2'), ("exotic-c-n07", b'"seats":0.30000000000000004')]:
            self.assertIn(want, self.record_bytes("contacts", rid), rid)
        self.assertIn(b'"name":"a\\u0000b"', self.record_bytes("contacts", "exotic-c-s01"))
        self.assertIn(b'"name":"a\\ud800b"', self.record_bytes("contacts", "exotic-c-s02"))
        self.assertIn(b'"name":"a\\udc00b"', self.record_bytes("contacts", "exotic-c-s03"))
        self.assertIn(b'"name":"a\xffb"', self.record_bytes("contacts", "exotic-c-s07"))
        self.assertIn(b'"name":"a\xe2\x82"', self.record_bytes("contacts", "exotic-c-s09"))
        self.assertIn(b'"name":"a\xc0\xafb"', self.record_bytes("contacts", "exotic-c-s10"))
        self.assertIn(b'"name":"\\" \\\\ \\/ \\b \\f \\n \\r \\t"', self.record_bytes("contacts", "exotic-c-s12"))
        self.assertIn('"name":"😀 👩\u200d💻 \u2028\u2029"'.encode(), self.record_bytes("contacts", "exotic-c-s14"))
        self.assertIn(b'"f\xfff":"v2"', self.record_bytes("contacts", "exotic-c-s16"))
        d = self.record_bytes("contacts", "exotic-c-d01")
        self.assertTrue(d.startswith(b'{"name":"Dup first","type":"contact",'), d[:60])
        self.assertIn(b'"name":"Dup last"', d)
        self.assertIn(b'"custom_attributes":{"seats":1,"name":"first","obj":{"x":1},"seats":2,'
                      b'"nested":{"k":"a","k":"b"},"obj":{"y":2},"name":"last"}', d)
        self.assertIn(b'"x_dup":{"a":1,"a":[2]}', d)
        rec = lenient(d)                   # otherwise well-formed JSON, last key wins
        self.assertEqual((rec["name"], rec["custom_attributes"]["seats"], rec["x_dup"]), ("Dup last", 2, {"a": [2]}))
        co = self.record_bytes("companies", "exotic-co-01")
        self.assertIn(b'"team_mates":18446744073709551617', co)
        self.assertIn(b'"monthly_spend":0.30000000000000004', co)
        self.assertIn(b'"monthly_spend":1.0e400', co)
        co = self.record_bytes("companies", "exotic-co-02")
        self.assertIn(b'"name":"co\\ud800name"', co)
        self.assertIn(b'"Plan Tier":"a\\u0000b"', co)
        self.assertIn(b'"weird \\"quote\\"":"x\xffy"', co)
        self.assertIn(b'{"team_mates":1,"Plan Tier":"first","team_mates":3,"Plan Tier":"last"}',
                      self.record_bytes("companies", "exotic-co-03"))
        # every exotic record is one JSON object; API 2.16 too
        for line in ids:
            if line:
                stream, rid = line.split()
                self.assertEqual(lenient(self.record_bytes(stream, rid))["id"], rid)
                r = self.req("GET", f"/{stream}/{rid}", version="2.16")
                self.assertEqual(lenient(r.raw)["id"], rid)

    def test_served_by_every_listing(self):
        self.ctl("exotic", "on")
        # GET /contacts cursor pages: after the generated contacts, raw bytes intact
        raws, path = [], "/contacts?per_page=150"
        while path:
            r = self.req("GET", path)
            self.assertEqual(r.status, 200)
            raws.append(r.raw)
            d = lenient(r.raw)
            nxt = d["pages"].get("next")
            path = f"/contacts?per_page=150&starting_after={quote(nxt['starting_after'], safe='')}" if nxt else None
        ids = [c["id"] for raw in raws for c in lenient(raw)["data"]]
        self.assertEqual(len(ids), 154)
        self.assertEqual(ids[123], "exotic-c-n01")
        self.assertEqual(ids[-1], "exotic-c-d01")
        self.assertIn(b'"name":"a\xffb"', b"".join(raws))
        self.assertIn(b'"seats":1.0e400', b"".join(raws))
        # search: by id, and by a date range that holds them
        r = self.req("POST", "/contacts/search",
                     {"query": {"field": "id", "operator": "=", "value": "exotic-c-s07"}})
        self.assertEqual(lenient(r.raw)["total_count"], 1)
        self.assertIn(b'"name":"a\xffb"', r.raw)
        r = self.req("POST", "/contacts/search",
                     {"query": {"field": "updated_at", "operator": ">", "value": 1690000000},
                      "pagination": {"per_page": 150}})
        got = [c["id"] for c in lenient(r.raw)["data"]]
        self.assertTrue(all(c in got for c in ("exotic-c-n01", "exotic-c-s16", "exotic-c-d01")))
        self.assertIn(b'"seats":18446744073709551617', r.raw)
        # companies: scroll, page=, id filters, /companies/list
        self.ctl("config", "scroll_page_size=15")
        d = self.get("/companies/scroll")
        param, raw_all = d["scroll_param"], b""
        while True:
            r = self.req("GET", f"/companies/scroll?scroll_param={param}")
            raw_all += r.raw
            if not lenient(r.raw)["data"]:
                break
        self.assertIn(b'"team_mates":18446744073709551617', raw_all)
        self.assertIn(b'"x\xffy"', raw_all)
        r = self.req("GET", "/companies?per_page=10&page=4")
        page = lenient(r.raw)
        self.assertEqual([c["id"] for c in page["data"]][-3:], ["exotic-co-01", "exotic-co-02", "exotic-co-03"])
        self.assertEqual(page["total_count"], 40)
        self.assertIn(b'"monthly_spend":1.0e400', r.raw)
        r = self.req("GET", "/companies?company_id=exotic-co-02")
        self.assertIn(b'"Plan Tier":"a\\u0000b"', r.raw)
        r = self.req("POST", "/companies/list?per_page=60")
        self.assertIn(b'"team_mates":18446744073709551617', r.raw)
        # one conversation: listing, search, GET by id with its part
        r = self.req("GET", "/conversations?per_page=150")
        self.assertIn(b'"title":"T\\ud800itle"', r.raw)
        self.assertEqual(lenient(r.raw)["total_count"], 43)
        r = self.req("GET", "/conversations/999000001")
        self.assertIn(b'"csat":18446744073709551617', r.raw)
        self.assertIn(b'"Ticket Ref":"T-\xff"', r.raw)
        self.assertIn(b'"body":"<p>a\\u0000b</p>"', r.raw)
        self.assertEqual([p["id"] for p in lenient(r.raw)["conversation_parts"]["conversation_parts"]],
                         ["999000001001"])
        r = self.req("POST", "/conversations/search",
                     {"query": {"field": "updated_at", "operator": ">", "value": 1700000100},
                      "pagination": {"per_page": 150}})
        self.assertIn("999000001", [c["id"] for c in lenient(r.raw)["conversations"]])
        # not in a dump (python's json cannot write them), and untouched by mutate --count
        self.assertEqual(len(self.dump("contacts")), 123)
        self.assertEqual(len(self.dump("companies")), 37)
        self.assertEqual(len(self.dump("conversations")), 42)
        self.assertNotIn("999000001", {p["conversation_id"] for p in self.dump("conversation_parts")})

    def test_hostile(self):
        self.ctl("exotic", "hostile")
        self.assertEqual(self.get("/contacts?per_page=1")["total_count"], 126)
        deep = self.record_bytes("contacts", "exotic-c-h01")
        self.assertIn(b'"deep":' + b"[" * 10000 + b"]" * 10000 + b"}", deep)
        self.assertIn(b'"x_deep":' + b'{"a":' * 10000 + b"1" + b"}" * 10000, deep)
        big = self.record_bytes("contacts", "exotic-c-h02")
        self.assertIn(b'"name":"' + b"x" * (10 * 1024 * 1024) + b'\\u00e9"', big)
        many = lenient(self.record_bytes("contacts", "exotic-c-h03"))["custom_attributes"]
        self.assertEqual((len(many), many["k0999"]), (1000, 999))
        self.assertEqual(self.req("GET", "/contacts/exotic-c-n01").status, 404)   # only the hostile set
        self.ctl("exotic", "all")
        self.assertEqual(self.get("/contacts?per_page=1")["total_count"], 123 + 31 + 3)


class TestMoreStreams(FakeCase):
    """fake_more.py: help center, ticket and subscription types, conversation
    attributes, tickets."""

    def test_page_numbered_lists(self):
        for path, n in (("/articles", 23), ("/help_center/collections", 7)):
            seen, page = [], 1
            while True:
                d = self.get(f"{path}?per_page=5&page={page}")
                self.assertEqual((d["type"], d["total_count"], d["pages"]["total_pages"]), ("list", n, -(-n // 5)))
                seen += [x["id"] for x in d["data"]]
                if page == d["pages"]["total_pages"]:
                    self.assertNotIn("next", d["pages"])
                    break
                self.assertIn("next", d["pages"])
                page += 1
            self.assertEqual(sorted(seen), sorted(x["id"] for x in self.dump(path.strip("/").replace("/", "_"))))
            ups = [x["updated_at"] for x in self.get(f"{path}?per_page=150")["data"]]
            self.assertEqual(ups, sorted(ups, reverse=True))             # newest first
            one = self.get(f"{path}/{seen[0]}")
            self.assertEqual(one["id"], seen[0])
            self.assertEqual(self.req("GET", f"{path}/1").status, 404)
        self.assertError(self.req("GET", "/articles?per_page=151"), 400, "parameter_invalid")

    def test_macros(self):
        """GET /macros (2.16): newest updated_at first, ties by id, a cursor
        of [updated_at, id]; updated_since is exclusive; 400 before 2.16."""
        import calendar

        def epoch(m):
            return calendar.timegm(time.strptime(m["updated_at"], "%Y-%m-%dT%H:%M:%S.000Z"))
        self.assertError(self.req("GET", "/macros", version="2.15"), 400, "intercom_version_invalid")
        seen, cursor = [], None
        while True:
            d = self.get("/macros?per_page=4" + (f"&starting_after={quote(cursor)}" if cursor else ""),
                         version="2.16")
            self.assertTrue(len(d["data"]) <= 4)
            seen += d["data"]
            cursor = (d["pages"].get("next") or {}).get("starting_after")
            if not cursor:
                break
        self.assertEqual(len(seen), 13)
        keys = [(epoch(m), int(m["id"])) for m in seen]
        self.assertEqual(keys, sorted(keys, reverse=True))
        self.assertEqual(len({m["id"] for m in seen}), 13)
        self.assertTrue(len({m["updated_at"] for m in seen}) < 13)     # shared seconds
        since = epoch(seen[5])
        d = self.get(f"/macros?per_page=150&updated_since={since}", version="2.16")
        self.assertEqual([m["id"] for m in d["data"]], [m["id"] for m in seen if epoch(m) > since])
        self.assertEqual(self.get("/macros/905", version="2.16")["id"], "905")
        self.assertEqual(self.req("GET", "/macros/1", version="2.16").status, 404)

    def test_small_lists(self):
        d = self.get("/ticket_types")
        self.assertEqual((d["type"], len(d["data"])), ("list", 3))
        self.assertEqual(self.get("/ticket_types/61")["name"], d["data"][1]["name"])
        # every ticket type's states, each naming the types that use it
        states = self.get("/ticket_states")
        self.assertEqual((states["type"], len(states["data"])), ("list", 12))
        by_id = {s["id"]: s for s in states["data"]}
        for tt in d["data"]:
            for st in tt["ticket_states"]["data"]:
                self.assertEqual(by_id[st["id"]]["internal_label"], st["internal_label"])
                self.assertEqual([x["id"] for x in by_id[st["id"]]["ticket_types"]["data"]], [tt["id"]])
        self.assertEqual(sum(s["archived"] for s in states["data"]), 1)
        for tk in self.dump("tickets"):
            self.assertIn(tk["ticket_state"]["id"], by_id)
            self.assertEqual(tk["ticket_state_internal_label"], by_id[tk["ticket_state"]["id"]]["internal_label"])
        d = self.get("/subscription_types")
        self.assertEqual((d["type"], len(d["data"])), ("list", 2))
        self.assertError(self.req("GET", "/conversations/attributes", version="2.15"), 400, "intercom_version_invalid")
        d = self.get("/conversations/attributes", version="2.16")
        self.assertFalse(any(a["archived"] for a in d["data"]))
        self.assertTrue(any(a["archived"] for a in self.get("/conversations/attributes?include_archived=true",
                                                           version="2.16")["data"]))
        self.assertEqual(len(self.dump("conversation_attributes", "2.16")), len(d["data"]))
        self.assertEqual({a["name"] for a in self.dump("conversation_attributes", "2.15")},
                         {a["name"] for a in self.get("/data_attributes?model=conversation", version="2.15")["data"]})

    def test_activity_logs(self):
        self.assertError(self.req("GET", "/admins/activity_logs"), 400, "parameter_not_found")
        self.assertError(self.req("GET", "/admins/activity_logs?created_at_after=x"), 400, "parameter_invalid")
        logs = self.dump("activity_logs")
        d = self.get("/admins/activity_logs?created_at_after=0&per_page=150")
        self.assertEqual((d["type"], len(d["activity_logs"])), ("activity_log.list", len(logs)))
        ts = [x["created_at"] for x in d["activity_logs"]]
        self.assertEqual(ts, sorted(ts, reverse=True))                  # newest first
        t = sorted(ts)[10]
        d = self.get(f"/admins/activity_logs?created_at_after={t}&created_at_before={sorted(ts)[-3]}&per_page=150")
        self.assertEqual(len(d["activity_logs"]), sum(1 for x in ts if t < x < sorted(ts)[-3]))   # both exclusive
        d = self.get("/admins/activity_logs?created_at_after=0&per_page=10&page=2")
        self.assertEqual((d["pages"]["page"], d["pages"]["total_pages"], len(d["activity_logs"])), (2, 5, 10))
        self.assertIn("created_at_after=0", d["pages"]["next"])

    def test_contact_lists(self):
        long = [c for c in self.dump("contacts") if c["companies"]["has_more"]]
        self.assertEqual(len(long), 1)
        c = long[0]
        d = self.get(f"/contacts/{c['id']}/companies")
        self.assertEqual((len(d["data"]), d["total_count"]), (12, c["companies"]["total_count"]))
        self.assertEqual([x["id"] for x in d["data"]][:10], [x["id"] for x in c["companies"]["data"]])
        self.assertTrue(all(x["type"] == "company" for x in d["data"]))
        short = self.dump("contacts")[0]
        d = self.get(f"/contacts/{short['id']}/tags")
        self.assertEqual([x["id"] for x in d["data"]], [x["id"] for x in short["tags"]["data"]])
        self.assertEqual(self.req("GET", "/contacts/nope/tags").status, 404)
        self.ctl("tag-all", short["id"])
        c0 = [c for c in self.dump("contacts") if c["id"] == short["id"]][0]
        self.assertEqual((len(c0["tags"]["data"]), c0["tags"]["has_more"], c0["tags"]["total_count"]), (10, True, 12))
        self.assertEqual(len(self.get(f"/contacts/{short['id']}/tags")["data"]), 12)
        self.assertEqual(sum(1 for x in self.dump("contact_tags") if x["contact_id"] == short["id"]), 12)
        self.ctl("reset")
        self.assertFalse(self.dump("contacts")[0]["tags"]["has_more"])
        links = self.dump("contact_companies")
        self.assertEqual(sum(1 for x in links if x["contact_id"] == c["id"]), 12)
        self.assertEqual(len({x["id"] for x in self.dump("company_tags")}), len(self.dump("company_tags")))

    def test_tickets(self):
        allq = {"field": "updated_at", "operator": ">", "value": 0}
        ids, cursor = [], None
        while True:
            body = {"query": allq, "pagination": {"per_page": 4}}
            if cursor:
                body["pagination"]["starting_after"] = cursor
            d = self.post("/tickets/search", body)
            self.assertEqual((d["type"], d["total_count"]), ("ticket.list", 17))
            self.assertTrue(all("ticket_parts" not in t for t in d["tickets"]))
            ids += [t["id"] for t in d["tickets"]]
            if "next" not in d["pages"]:
                break
            cursor = d["pages"]["next"]["starting_after"]
        self.assertEqual(sorted(ids), sorted(t["id"] for t in self.dump("tickets")))
        # dates to the second, both ways
        t = self.dump("tickets")[3]
        for op, want in ((">", lambda x: x > t["updated_at"]), ("<", lambda x: x < t["updated_at"])):
            d = self.post("/tickets/search", {"query": {"field": "updated_at", "operator": op, "value": t["updated_at"]},
                                              "pagination": {"per_page": 150}})
            self.assertEqual(sorted(x["id"] for x in d["tickets"]),
                             sorted(x["id"] for x in self.dump("tickets") if want(x["updated_at"])))
        full = self.get(f"/tickets/{t['id']}")
        blk = full["ticket_parts"]
        self.assertEqual((blk["type"], blk["total_count"]), ("ticket_part.list", len(blk["ticket_parts"])))
        self.assertTrue(all(p["updated_at"] <= full["updated_at"] for p in blk["ticket_parts"]))
        self.assertError(self.req("GET", "/tickets/1"), 404, "ticket_not_found")
        self.assertError(self.req("POST", "/tickets/search", {}), 400, "parameter_invalid")
        parts = self.dump("ticket_parts")
        self.assertEqual(len({p["id"] for p in parts}), len(parts))        # ids unique across tickets
        self.assertEqual(max(p["ticket_total_parts"] for p in parts), 500)  # the cap


if __name__ == "__main__":
    unittest.main()
