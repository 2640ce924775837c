#!/usr/bin/env bash
# The token never reaches the server log (log_statement = all,
# log_min_messages = debug1, verbose errors): failures of every kind, EXPLAIN
# VERBOSE and ANALYZE are logged without it.  The statements that carry the
# token itself (CREATE/ALTER USER MAPPING) are run with log_statement off
# in their session, as a careful administrator would: log_statement logs a
# statement's text whatever it holds, which is out of the extension's hands.
source "$(dirname "$0")/_lib.sh"
: "${PG_LOG:?PG_LOG is not set (run through scripts/test.sh)}"
[ -r "$PG_LOG" ] || fail "cannot read the server log $PG_LOG"

# a fake of our own that accepts only a unique token, so that the token is
# sent with every failing request
stamp="$(date +%s%N)"
GOOD="tok_LOGSECRET_ok_$stamp"
BAD="tok_LOGSECRET_bad_$stamp"
portfile="$(mktemp -u)"
python3 "$ROOT/test/fake_intercom.py" --port 0 --port-file "$portfile" --token "$GOOD" \
  --lifetime 170 --quiet >/dev/null 2>&1 &
BG_PIDS+=("$!"); EXTRA_CLEANUP+=("rm -f $portfile")
for i in $(seq 100); do [ -s "$portfile" ] && break; sleep 0.1; done
[ -s "$portfile" ] || fail "the script's fake did not start"
export FAKE_URL="http://127.0.0.1:$(cat "$portfile")"
fakectl wait-ready --timeout 10

DB=ic_script_token_log
log_start="$(stat -c %s "$PG_LOG")"
setup_db "$DB" "$FAKE_URL" "$GOOD"

psql -X -d "$DB" -v ON_ERROR_STOP=0 >/dev/null 2>&1 <<SQL
\set VERBOSITY verbose
SELECT count(*) FROM ic.contacts;
EXPLAIN VERBOSE SELECT * FROM ic.contacts WHERE email = 'x@example.com';
EXPLAIN (ANALYZE, VERBOSE) SELECT * FROM ic.tags;
EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) SELECT * FROM ic.conversations;
\! python3 $ROOT/test/fakectl.py fault 500 --path /contacts --count 4
SELECT count(*) FROM ic.contacts;
\! python3 $ROOT/test/fakectl.py fault 502_html --path /contacts --count 4
SELECT count(*) FROM ic.contacts;
\! python3 $ROOT/test/fakectl.py fault truncated --path /contacts --count 4
SELECT count(*) FROM ic.contacts;
\! python3 $ROOT/test/fakectl.py fault 404 --path /tags --count 1
SELECT count(*) FROM ic.tags;
\! python3 $ROOT/test/fakectl.py fault drop --path /tags --count 20
EXPLAIN (ANALYZE, VERBOSE) SELECT * FROM ic.tags;
\! python3 $ROOT/test/fakectl.py faults-clear
SET log_statement = 'none';
ALTER USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (SET token '$BAD');
RESET log_statement;
SELECT count(*) FROM ic.contacts;
SELECT * FROM ic.contacts WHERE id = 'abc';
EXPLAIN (ANALYZE, VERBOSE) SELECT * FROM ic.tags;
SELECT * FROM ic.conversations LIMIT 1;
SQL

# the failures did reach the log (so the search below looks at the right file)
sleep 0.5
new_log="$(tail -c +"$((log_start + 1))" "$PG_LOG")"
for want in "failed with HTTP 500" "HTML page \"502 Bad Gateway\"" "malformed response" \
            "failed with HTTP 404" "failed with HTTP 401" "Empty reply from server"; do
  grep -qF -- "$want" <<<"$new_log" || fail "the log has no '$want': wrong log file, or the failure did not happen"
done
ok "the log has each failure (500, 502, malformed, 404, 401, dropped connection)"
for tok in "$GOOD" "$BAD" "LOGSECRET"; do
  n="$(grep -cF -- "$tok" "$PG_LOG" || true)"
  [ "$n" = 0 ] || { grep -nF -- "$tok" "$PG_LOG" | head -5; fail "'$tok' appears $n times in $PG_LOG"; }
done
ok "no trace of either token in the server log"
