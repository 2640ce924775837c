#!/usr/bin/env python3
"""Control client for test/fake_intercom.py, for psql `\\!` and shell scripts.

    python3 test/fakectl.py [--url URL] COMMAND ...

URL defaults to $FAKE_URL, else http://127.0.0.1:18765.  Action commands
print nothing on success (pg_regress output must stay stable) and exit
non-zero with a message on stderr on failure.

Commands:
  reset                                   restore initial data/config, clear faults, log, scrolls
  fault KIND [--path P] [--method M] [--count N] [--after K] [--delay-ms D]
                                          KIND: 429 500 502_html 503_json 404 drop slow truncated
                                          empty html_200 bad_json bad_gzip gzip_bomb scroll_500
                                          scroll_expire stall (no answer after D ms, nothing done)
  faults-clear
  faults-left                             injections still pending (the sum of their counts)
  config key=value ...                    rate_limit, rate_window_seconds, latency_ms, timezone,
                                          scroll_idle_seconds, scroll_page_size, api_version_default,
                                          search_slop_seconds (conversation date bounds widened),
                                          search_lag_seconds (records created that recently, by
                                          created_at, are not in search results yet),
                                          latency_ms (arrival to answer, every request),
                                          search_latency_ms (POST .../search; -1: latency_ms)
  log [--clear-after]                     METHOD path?sorted_query status [compact-sorted-json-body]
  log-clear
  count [--path P]                        number of logged API requests (path prefix filter)
  dump STREAM [--version V]               one compact JSON record per line
  mutate STREAM (--ids ID... | --count N) [--updated-at EPOCH] [--print-ids]
         [--add-parts N]                  conversations, tickets: also append N parts (written now)
  delete STREAM (--ids ID... | --count N) [--deleted-at EPOCH] [--print-ids]
                                          contacts, companies, conversations (also into the
                                          2.16 GET /conversations/deleted feed), tickets, ...
  merge contacts (--ids ID... | --count N) [--into ID] [--print-ids]
                                          merge contacts away: gone from lists and search, GET
                                          404 (<= 2.15) or 410 contact_merged (2.16)
  create STREAM [--count N] [--updated-at EPOCH] [--print-ids]
  scroll-hold SECONDS
  exotic {on,off,hostile,all} [--print-ids]
                                          add (or remove) the fake's exotic records: raw JSON
                                          (big numbers, \u0000, lone surrogates, invalid UTF-8,
                                          duplicate keys; "hostile": deep nesting, a 10 MiB
                                          string, 1000 keys) in contacts and companies; see
                                          EXOTIC_* in fake_intercom.py.  reset turns them off.
  new-field STREAM NAME=JSON ...          make every record of STREAM (contacts, companies,
                                          conversations, segments, company_segments) carry
                                          these top-level fields no table knows (no NAME=JSON:
                                          remove them); updated_at stays as it was
  new-attribute MODEL NAME DATA_TYPE JSON define a custom data attribute of MODEL (contact,
                                          company) and give every record that value
  tag-all CONTACT_ID                      give a contact every tag (more than the 10 it inlines)
  many-notes CONTACT_ID COUNT             give a contact COUNT notes (more than a page of 50)
  attribute MODEL NAME --api-writable {true,false}
                                          a custom data attribute (not) writable through the API
  prewarm [STREAM...] [--version V] [--per-page N]
                                          render contacts/conversations (default) into the
                                          fake's cache before a benchmark; --per-page also
                                          builds the gzipped list pages of that size
  stats                                   counters, in_flight and max_in_flight (the most API
                                          requests received and not yet answered at once)
  stats-clear                             counters and max_in_flight start again
  wait-ready [--timeout S]
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode


def die(msg):
    sys.stderr.write(f"fakectl: {msg}\n")
    sys.exit(1)


def call(url, method, path, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    # A transient failure to reach the fake on a loaded machine is tried
    # again: a GET always (it changes nothing), anything else only when the
    # connection was refused (the fake never saw it).
    for attempt in range(4):
        req = urllib.request.Request(url.rstrip("/") + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
            break
        except urllib.error.HTTPError as e:
            die(f"{method} {path}: HTTP {e.code}: {e.read().decode('utf-8', 'replace')}")
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            if attempt < 3 and (method == "GET" or isinstance(reason, ConnectionRefusedError)):
                time.sleep(0.5 * (attempt + 1))
                continue
            die(f"{method} {path}: {e}")
    return json.loads(raw) if raw else None


def compact(obj):
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def log_line(e):
    q = e.get("query") or {}
    qs = ("?" + urlencode(sorted(q.items()), quote_via=quote, safe="")) if q else ""
    line = f"{e['method']} {e['path']}{qs} {e['status']}"
    if e.get("body") is not None:
        line += " " + compact(e["body"])
    return line


def raw_log_line(e):
    """A request as the wrapper sent it, in EXPLAIN's form: METHOD target [body]."""
    return f"{e['method']} {e['target']}" + (f" {e['raw_body']}" if e.get("raw_body") else "")


def main(argv=None):
    p = argparse.ArgumentParser(prog="fakectl", description="control the fake Intercom server")
    p.add_argument("--url", default=os.environ.get("FAKE_URL", "http://127.0.0.1:18765"))
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("reset")
    f = sub.add_parser("fault")
    f.add_argument("kind")
    f.add_argument("--path")
    f.add_argument("--method")
    f.add_argument("--count", type=int, default=1)
    f.add_argument("--after", type=int, default=0)
    f.add_argument("--delay-ms", type=int, default=5000)
    sub.add_parser("faults-clear")
    sub.add_parser("faults-left")
    c = sub.add_parser("config")
    c.add_argument("pairs", nargs="+", metavar="key=value")
    lg = sub.add_parser("log")
    lg.add_argument("--clear-after", action="store_true")
    lg.add_argument("--raw", action="store_true",
                    help="each request exactly as sent: METHOD target [body], no status")
    sub.add_parser("log-clear")
    cn = sub.add_parser("count")
    cn.add_argument("--path")
    d = sub.add_parser("dump")
    d.add_argument("stream")
    d.add_argument("--version")
    for name in ("mutate", "delete", "create", "merge"):
        m = sub.add_parser(name)
        m.add_argument("stream")
        if name != "create":
            m.add_argument("--ids", nargs="+")
        m.add_argument("--count", type=int)
        if name in ("mutate", "create"):
            m.add_argument("--updated-at", type=int)
        if name == "delete":
            m.add_argument("--deleted-at", type=int)
        if name == "merge":
            m.add_argument("--into")
        m.add_argument("--print-ids", action="store_true", help="print the affected ids, one per line")
        if name == "mutate":
            m.add_argument("--add-parts", type=int, help="conversations, tickets: append N new parts")
    ex = sub.add_parser("exotic")
    ex.add_argument("set", choices=["on", "off", "hostile", "all"])
    ex.add_argument("--print-ids", action="store_true", help="print the exotic ids, one per line")
    nf = sub.add_parser("new-field")
    nf.add_argument("stream")
    nf.add_argument("pairs", nargs="*", metavar="NAME=JSON")
    na = sub.add_parser("new-attribute")
    na.add_argument("model")
    na.add_argument("name")
    na.add_argument("data_type")
    na.add_argument("value", help="JSON")
    ta = sub.add_parser("tag-all")
    ta.add_argument("contact_id")
    mn = sub.add_parser("many-notes")
    mn.add_argument("contact_id")
    mn.add_argument("count", type=int)
    at = sub.add_parser("attribute")
    at.add_argument("model")
    at.add_argument("name")
    at.add_argument("--api-writable", choices=["true", "false"], required=True)
    sh = sub.add_parser("scroll-hold")
    sh.add_argument("seconds", type=float)
    pw = sub.add_parser("prewarm")
    pw.add_argument("streams", nargs="*")
    pw.add_argument("--version")
    pw.add_argument("--per-page", type=int)
    sub.add_parser("stats")
    sub.add_parser("stats-clear")
    w = sub.add_parser("wait-ready")
    w.add_argument("--timeout", type=float, default=30)
    a = p.parse_args(argv)
    url = a.url

    if a.cmd == "reset":
        call(url, "POST", "/_fake/reset")
    elif a.cmd == "fault":
        body = {"kind": a.kind, "count": a.count, "after": a.after, "delay_ms": a.delay_ms}
        if a.path:
            body["path"] = a.path
        if a.method:
            body["method"] = a.method
        call(url, "POST", "/_fake/faults", body)
    elif a.cmd == "faults-clear":
        call(url, "DELETE", "/_fake/faults")
    elif a.cmd == "faults-left":
        print(sum(f["count"] for f in call(url, "GET", "/_fake/faults")))
    elif a.cmd == "config":
        body = {}
        for kv in a.pairs:
            if "=" not in kv:
                die(f"config: expected key=value, got {kv!r}")
            k, v = kv.split("=", 1)
            body[k] = v
        call(url, "POST", "/_fake/config", body)
    elif a.cmd == "log":
        for e in call(url, "GET", "/_fake/log"):
            print(raw_log_line(e) if a.raw else log_line(e))
        if a.clear_after:
            call(url, "POST", "/_fake/log/clear")
    elif a.cmd == "log-clear":
        call(url, "POST", "/_fake/log/clear")
    elif a.cmd == "count":
        entries = call(url, "GET", "/_fake/log")
        print(sum(1 for e in entries if not a.path or e["path"].startswith(a.path)))
    elif a.cmd == "new-field":
        fields = {}
        for kv in a.pairs:
            if "=" not in kv:
                die(f"new-field: expected NAME=JSON, got {kv!r}")
            k, v = kv.split("=", 1)
            try:
                fields[k] = json.loads(v)
            except ValueError:
                die(f"new-field: {k}: not JSON: {v!r}")
        call(url, "POST", "/_fake/new_fields", {"stream": a.stream, "fields": fields})
    elif a.cmd == "new-attribute":
        try:
            value = json.loads(a.value)
        except ValueError:
            die(f"new-attribute: not JSON: {a.value!r}")
        call(url, "POST", "/_fake/new_fields", {"model": a.model, "attribute": a.name,
                                                "data_type": a.data_type, "value": value})
    elif a.cmd == "tag-all":
        call(url, "POST", "/_fake/tag_all", {"contact_id": a.contact_id})
    elif a.cmd == "many-notes":
        call(url, "POST", "/_fake/many_notes", {"contact_id": a.contact_id, "count": a.count})
    elif a.cmd == "attribute":
        call(url, "POST", "/_fake/attribute",
             {"model": a.model, "name": a.name, "api_writable": a.api_writable == "true"})
    elif a.cmd == "dump":
        path = f"/_fake/data/{quote(a.stream)}" + (f"?version={quote(a.version)}" if a.version else "")
        out = sys.stdout
        for rec in call(url, "GET", path, timeout=600):
            out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
    elif a.cmd in ("mutate", "delete", "create", "merge"):
        body = {"stream": a.stream}
        if getattr(a, "ids", None):
            body["ids"] = a.ids
        if a.count is not None:
            body["count"] = a.count
        if getattr(a, "updated_at", None) is not None:
            body["updated_at"] = a.updated_at
        if getattr(a, "deleted_at", None) is not None:
            body["deleted_at"] = a.deleted_at
        if getattr(a, "into", None):
            body["into"] = a.into
        if getattr(a, "add_parts", None):
            body["add_parts"] = a.add_parts
        if a.cmd != "create" and "ids" not in body and "count" not in body:
            die(f"{a.cmd}: give --ids or --count")
        res = call(url, "POST", f"/_fake/{a.cmd}", body)
        if a.print_ids:
            for i in res["ids"]:
                print(i)
    elif a.cmd == "exotic":
        res = call(url, "POST", "/_fake/exotic", {"set": a.set})
        if a.print_ids:
            for stream in sorted(res["ids"]):
                for i in res["ids"][stream]:
                    print(f"{stream} {i}")
    elif a.cmd == "scroll-hold":
        call(url, "POST", "/_fake/scroll_hold", {"seconds": a.seconds})
    elif a.cmd == "prewarm":
        body = {"streams": a.streams}
        if a.version:
            body["version"] = a.version
        if a.per_page:
            body["per_page"] = a.per_page
        call(url, "POST", "/_fake/prewarm", body, timeout=3600)
    elif a.cmd == "stats":
        print(compact(call(url, "GET", "/_fake/stats")))
    elif a.cmd == "stats-clear":
        call(url, "POST", "/_fake/stats/clear")
    elif a.cmd == "wait-ready":
        deadline = time.time() + a.timeout
        while True:
            try:
                with urllib.request.urlopen(url.rstrip("/") + "/_fake/stats", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                if time.time() > deadline:
                    die(f"wait-ready: {url} not reachable after {a.timeout}s")
                time.sleep(0.1)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:          # `fakectl dump ... | head` is fine
        sys.stderr.close()
        os._exit(0)
