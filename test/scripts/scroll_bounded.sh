#!/usr/bin/env bash
# A company scroll that cannot recover settles: a middle page is lost and
# the scroll can never be reopened (scroll_exists for good), so the scan
# waits for the failed scroll's expiry for at most 65 s, then fails cleanly
# (HV000, naming the lost page's failure) well within 2 minutes; it does not
# loop.  The session works afterwards.
source "$(dirname "$0")/_lib.sh"
DB=ic_script_scroll_bounded
setup_db "$DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" \
  -c "IMPORT FOREIGN SCHEMA intercom LIMIT TO (companies) FROM SERVER fake INTO ic"

fakectl reset
fakectl config scroll_page_size=10
fakectl fault drop --path /companies/scroll --after 1
fakectl scroll-hold 300
out="$(mktemp)"; EXTRA_CLEANUP+=("rm -f $out")
start="$(now)"
psql -X -d "$DB" -v ON_ERROR_STOP=0 -At -c "SELECT count(name) FROM ic.companies" >"$out" 2>&1 || true
took="$(elapsed "$start")"
cat "$out"
grep -q "ERROR:  Intercom company scroll failed with no complete response" "$out" ||
  fail "expected the scroll's clean error"
grep -q "did not expire in time to open a new one" "$out" || fail "expected the detail to say why"
le 60 "$took" || fail "gave up after ${took}s, before waiting for an expiry"
le "$took" 100 || fail "took ${took}s (limit 100 s)"
ok "the scroll gave up after ${took}s"
opens="$(fakectl log | grep -c '^GET /companies/scroll 400' || true)"
le "$opens" 40 || fail "$opens attempts to reopen the scroll: expected one per 2 s"
ok "$opens attempts to reopen, 2 s apart"

fakectl reset
[ "$(psql -X -At -d "$DB" -c "SELECT count(name) FROM ic.companies")" = 37 ] ||
  fail "the next scan failed"
ok "the next scan returns every company"
