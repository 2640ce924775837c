-- Adaptive concurrency and partitions by time saved (issue #22): whether a
-- full scan is partitioned follows the first page's latency, and the
-- requests in flight stay within what the rate-limit window has left.
\i sql/include/setup.sql
\i sql/include/explain_props.sql
\i sql/include/partition_log.sql
-- the fake's stats (requests in flight at most, 429s), read by psql
CREATE TEMP TABLE fake_stats(s jsonb);

-- 123 contacts at 4 a page: 31 pages.
ALTER SERVER fake OPTIONS (ADD per_page '4');

--
-- 1. 31 pages at 0 ms: one cursor is as fast as partitions would be, so
--    the scan stays sequential (no partition lines, no search).
--
\! python3 test/fakectl.py log-clear
SELECT pg_temp.explain_analyze('SELECT id FROM ic.contacts',
  ARRAY['Intercom Partitions Read', 'Intercom Requests In Flight (max)', 'Intercom Rows Fetched']);
\! python3 test/fakectl.py log | grep -c search

--
-- 2. The same 31 pages at 100 ms a request: partitions save seconds, so
--    the scan is partitioned.
--
\! python3 test/fakectl.py config latency_ms=100
\! python3 test/fakectl.py log-clear
SELECT pg_temp.within(p, 'Intercom Partitions Read', 4, 30) FROM pg_temp.explain_analyze('SELECT id FROM ic.contacts',
  ARRAY['Intercom Partitions Read', 'Intercom Requests In Flight (max)', 'Intercom Rows Fetched']) p;
-- searches: 2 range probes, 8 grid probes and at most 3 rounds of 8 more,
-- the partitions' pages (31, and at most one partial page each)
\set searches `python3 test/fakectl.py log | grep -c search`
SELECT :searches BETWEEN 2 + 8 + 31 AND 2 + 8 + 24 + 31 + 30 AS searches_in_range;
SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM ic.contacts;

--
-- 3. A small rate limit (12 requests per 2 s window) and a ceiling above
--    it (concurrency 16): the window's headers bound the requests in
--    flight, pacing waits for the reset, and no request meets a 429.
--
\! python3 test/fakectl.py config rate_limit=12 rate_window_seconds=2
\! sleep 2
ALTER SERVER fake OPTIONS (ADD concurrency '16');
\! python3 test/fakectl.py stats-clear
SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM ic.contacts;
\copy fake_stats FROM PROGRAM 'python3 test/fakectl.py stats' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT (s->'by_status'->>'429') IS NULL AS no_429,
       (s->>'max_in_flight')::int <= 12 AS in_flight_within_window,
       (s->>'api_requests')::int > 24 AS over_two_windows
  FROM fake_stats;

ALTER SERVER fake OPTIONS (DROP concurrency, DROP per_page);
\! python3 test/fakectl.py reset
