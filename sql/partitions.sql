-- Partitioned scans (issue #13): a full scan of contacts or conversations
-- read as concurrent searches over ranges of created_at.  Each result is
-- compared with the same scan at concurrency 1 (one sequential cursor) and
-- with the fake's own data; the fake's request log shows the partitions.
\i sql/include/setup.sql
SET timezone = 'UTC';
-- Small pages, so that the seeded 123 contacts and 42 conversations are
-- many pages, and 40 ms a request: a scan partitions only when that saves
-- time (half a second here), which at 0 ms these few pages would not.
ALTER SERVER fake OPTIONS (ADD per_page '2');
\! python3 test/fakectl.py config latency_ms=40

-- ids the fake holds
CREATE TEMP TABLE raw_contacts(r jsonb);
\copy raw_contacts FROM PROGRAM 'python3 test/fakectl.py dump contacts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP TABLE raw_conversations(r jsonb);
\copy raw_conversations FROM PROGRAM 'python3 test/fakectl.py dump conversations' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')

-- same_rows(a, b): row counts, distinct ids, and rows in one and not the other
CREATE FUNCTION pg_temp.same_rows(a text, b text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  na bigint; nb bigint; da bigint; db bigint; ab bigint; ba bigint;
BEGIN
  EXECUTE format('SELECT count(*), count(DISTINCT id) FROM %s', a) INTO na, da;
  EXECUTE format('SELECT count(*), count(DISTINCT id) FROM %s', b) INTO nb, db;
  EXECUTE format('SELECT count(*) FROM (TABLE %s EXCEPT ALL TABLE %s) x', a, b) INTO ab;
  EXECUTE format('SELECT count(*) FROM (TABLE %s EXCEPT ALL TABLE %s) x', b, a) INTO ba;
  RETURN format('%s rows (%s ids) vs %s rows (%s ids); only left %s, only right %s',
                na, da, nb, db, ab, ba);
END $$;

\i sql/include/explain_props.sql
\i sql/include/partition_log.sql

--
-- 1. EXPLAIN: VERBOSE names the partitioning; sorted LIMITs and other
--    streams do not partition.
--
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM ic.contacts;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM ic.conversations WHERE updated_at >= '2024-01-01+00';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM ic.contacts ORDER BY updated_at DESC LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM ic.contacts LIMIT 10;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM ic.companies;
-- pushdown 'false' asks nothing of the search API: no partitions either, the
-- plain listing page after page
ALTER FOREIGN TABLE ic.contacts OPTIONS (ADD pushdown 'false');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM ic.contacts;
\! python3 test/fakectl.py log-clear
SELECT count(*) AS contacts FROM ic.contacts;
\! python3 test/fakectl.py log | cut -d' ' -f1,2 | sed 's/?.*//' | sort | uniq -c | sed 's/^ *//'
ALTER FOREIGN TABLE ic.contacts OPTIONS (DROP pushdown);

--
-- 2. Contacts, workspace in America/Los_Angeles (the fake's default).
--    Reference: concurrency 1, one sequential cursor.
--
ALTER SERVER fake OPTIONS (ADD concurrency '1');
CREATE TEMP TABLE seq_contacts AS SELECT * FROM ic.contacts;
ALTER SERVER fake OPTIONS (SET concurrency '8');
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE par_contacts AS SELECT * FROM ic.contacts;
SELECT pg_temp.same_rows('seq_contacts', 'par_contacts');
SELECT count(*) AS not_in_fake FROM par_contacts p
  WHERE NOT EXISTS (SELECT FROM raw_contacts r WHERE r.r->>'id' = p.id);
SELECT count(*) AS fake_not_read FROM raw_contacts r
  WHERE NOT EXISTS (SELECT FROM par_contacts p WHERE r.r->>'id' = p.id);
-- the requests: the first (sequential) page; probes of one record: 2 for
-- the range, then one per slot (8) for the distribution, more where it is
-- uneven (one contact is from 1965): the same every time
\! python3 test/fakectl.py log | grep -c '"per_page":1}'
-- each partition's first page: exact by-day predicates (= B OR > B) AND
-- < C, sorted by created_at (their shapes: the first, the middle ones, the
-- last); they are taken as the probes land, so the cuts vary from run to
-- run, but they always tile created_at
\! python3 test/fakectl.py log | grep '"per_page":2}' | grep -v starting_after | sed 's/.*"query"://' | sed -E 's/[0-9]{9,}/B/g' | sort -u
TRUNCATE part_log;
\copy part_log FROM PROGRAM 'python3 test/fakectl.py log --raw' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT * FROM pg_temp.partition_tiling('/contacts/search', 4, 30);

-- count(*) partitions too (records counted, not built)
SELECT count(*) FROM ic.contacts;
SELECT pg_temp.within(p, 'Intercom Partitions Read', 4, 30) FROM pg_temp.explain_analyze('SELECT count(*) FROM ic.contacts',
  ARRAY['Intercom Partitions', 'Intercom Partitions Read', 'Intercom Requests In Flight (max)',
        'Intercom Rows Fetched', 'Intercom Partition Rows Trimmed']) p;

--
-- 3. Contacts with a pushed filter: partitions within its range.
--
ALTER SERVER fake OPTIONS (SET concurrency '1');
CREATE TEMP TABLE seq_since AS SELECT id, updated_at FROM ic.contacts WHERE updated_at >= '2021-06-01+00';
ALTER SERVER fake OPTIONS (SET concurrency '8');
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE par_since AS SELECT id, updated_at FROM ic.contacts WHERE updated_at >= '2021-06-01+00';
SELECT pg_temp.same_rows('seq_since', 'par_since');
\! python3 test/fakectl.py log | grep '"per_page":2}' | grep -v starting_after | grep '"order":"ascending"' | sed 's/.*"query"://' | sed -E 's/[0-9]{9,}/B/g' | sort -u
TRUNCATE part_log;
\copy part_log FROM PROGRAM 'python3 test/fakectl.py log --raw' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT * FROM pg_temp.partition_tiling('/contacts/search', 2, 30);

--
-- 4. Workspaces far from UTC: days start 14 hours before UTC's
--    (Kiritimati) and 11 hours after (Pago Pago).
--
\! python3 test/fakectl.py config timezone=Pacific/Kiritimati
ALTER SERVER fake OPTIONS (SET concurrency '1');
CREATE TEMP TABLE seq_kiri AS SELECT * FROM ic.contacts;
ALTER SERVER fake OPTIONS (SET concurrency '8');
CREATE TEMP TABLE par_kiri AS SELECT * FROM ic.contacts;
SELECT pg_temp.same_rows('seq_kiri', 'par_kiri');
CREATE TEMP TABLE par_kiri_since AS SELECT id FROM ic.contacts WHERE created_at < '2023-03-01+00';
SELECT count(*) AS pushed_rows, count(DISTINCT id) AS ids,
       (SELECT count(*) FROM seq_kiri WHERE created_at < '2023-03-01+00') AS expected
  FROM par_kiri_since;
\! python3 test/fakectl.py config timezone=Pacific/Pago_Pago
CREATE TEMP TABLE par_pago AS SELECT * FROM ic.contacts;
SELECT pg_temp.same_rows('seq_kiri', 'par_pago');
\! python3 test/fakectl.py config timezone=America/Los_Angeles

--
-- 5. Conversations: to the second, partitions trimmed locally.
--
ALTER SERVER fake OPTIONS (SET per_page '1', SET concurrency '1');
CREATE TEMP TABLE seq_conv AS SELECT * FROM ic.conversations;
ALTER SERVER fake OPTIONS (SET concurrency '8');
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE par_conv AS SELECT * FROM ic.conversations;
SELECT pg_temp.same_rows('seq_conv', 'par_conv');
SELECT count(*) AS fake_not_read FROM raw_conversations r
  WHERE NOT EXISTS (SELECT FROM par_conv p WHERE r.r->>'id' = p.id);
-- the partitions' first pages: > B-1 AND < C, a superset if the API's
-- comparisons include their bound, trimmed to [B, C) locally; they tile
\! python3 test/fakectl.py log | grep '"per_page":1}' | grep '"order":"ascending"' | grep -v '"value":0}' | grep -v starting_after | sed 's/.*"query"://' | sed -E 's/[0-9]{9,}/B/g' | sort -u
TRUNCATE part_log;
\copy part_log FROM PROGRAM 'python3 test/fakectl.py log --raw' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT * FROM pg_temp.partition_tiling('/conversations/search', 4, 30);
SELECT pg_temp.within(p, 'Intercom Partitions Read', 4, 30) FROM pg_temp.explain_analyze('SELECT id FROM ic.conversations',
  ARRAY['Intercom Partitions', 'Intercom Partitions Read', 'Intercom Requests In Flight (max)',
        'Intercom Rows Fetched', 'Intercom Partition Rows Trimmed']) p;
-- 5b. A server that applies date bounds approximately (the fake's
--     search_slop_seconds widens each bound by 30 days): partitions overlap,
--     the local trim drops what falls outside each one's [B, C), and the rows
--     are the same; a pushed date filter is rechecked all the same.
\! python3 test/fakectl.py config search_slop_seconds=2592000
CREATE TEMP TABLE par_conv_slop AS SELECT * FROM ic.conversations;
SELECT pg_temp.same_rows('seq_conv', 'par_conv_slop');
SELECT pg_temp.within(p, 'Intercom Partitions Read', 4, 30) FROM pg_temp.explain_analyze('SELECT id FROM ic.conversations',
  ARRAY['Intercom Partitions Read']) p;
SELECT pg_temp.within(p, 'Intercom Partition Rows Trimmed', 1, 42) FROM pg_temp.explain_analyze('SELECT id FROM ic.conversations',
  ARRAY['Intercom Partition Rows Trimmed']) p;
SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY created_at) AS mid_created FROM seq_conv \gset
SELECT (SELECT count(*) FROM ic.conversations WHERE created_at > :'mid_created') AS pushed,
       (SELECT count(*) FROM seq_conv WHERE created_at > :'mid_created') AS expected;
\! python3 test/fakectl.py config search_slop_seconds=0
ALTER SERVER fake OPTIONS (SET per_page '2');

--
-- 6. Change during a scan: records updated between two FETCHes of one
--    cursor appear once (created_at, the partition key, does not change),
--    records created during it at most once, and every other record
--    exactly once.
--
CREATE TEMP TABLE got(id text, phase int);
CREATE FUNCTION pg_temp.take(n int, ph int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  r record;
  k int := 0;
  cur refcursor := 'c';
BEGIN
  LOOP
    EXIT WHEN k >= n;
    FETCH cur INTO r;
    EXIT WHEN NOT FOUND;
    INSERT INTO got VALUES (r.id, ph);
    k := k + 1;
  END LOOP;
  RETURN k;
END $$;
CREATE TEMP TABLE changed(id text);
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM ic.contacts;
SELECT pg_temp.take(30, 1);
\! python3 test/fakectl.py mutate contacts --count 50 --print-ids > results/partitions_mutated.txt
\! python3 test/fakectl.py create contacts --count 3
SELECT pg_temp.take(100000, 2);
COMMIT;
\copy changed FROM 'results/partitions_mutated.txt'
SELECT count(*) AS changed FROM changed;
SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM got;
SELECT count(*) AS duplicates FROM (SELECT id FROM got GROUP BY id HAVING count(*) > 1) d;
-- every record of the reference scan (changed or not) exactly once
SELECT count(*) AS missing FROM seq_contacts s WHERE NOT EXISTS (SELECT FROM got g WHERE g.id = s.id);
-- the 3 created during the scan: at most once each (in the open-ended last
-- partition, read if it had not ended yet)
SELECT count(*) <= 3 AS new_records_at_most_once FROM got g WHERE NOT EXISTS (SELECT FROM seq_contacts s WHERE g.id = s.id);
\! python3 test/fakectl.py reset
\! python3 test/fakectl.py config latency_ms=40

--
-- 7. A 429 storm: 8 searches in a row (after the first 12: probes and
--    partitions' pages alike) all answered 429.  The first one waits for
--    the window's reset, and nothing else is sent meanwhile; the rows are
--    intact.
--
\! python3 test/fakectl.py fault 429 --path /contacts/search --after 12 --count 8
CREATE TEMP TABLE storm AS SELECT * FROM ic.contacts;
SELECT pg_temp.same_rows('seq_contacts', 'storm');
\! python3 test/fakectl.py log | grep -c ' 429'

\! python3 test/fakectl.py faults-clear

--
-- 8. materialize's first load and full refreshes are plain full scans:
--    they read in partitions.
--
CREATE SCHEMA part_copies;
\! python3 test/fakectl.py log-clear
SET client_min_messages = warning;
SELECT method, rows_upserted FROM intercom_fdw.materialize('ic.contacts', 'part_copies.contacts');
RESET client_min_messages;
SELECT pg_temp.same_rows('seq_contacts', 'part_copies.contacts');
TRUNCATE part_log;
\copy part_log FROM PROGRAM 'python3 test/fakectl.py log --raw' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT * FROM pg_temp.partition_tiling('/contacts/search', 4, 30);
\! python3 test/fakectl.py log-clear
SET client_min_messages = warning;
SELECT method, rows_upserted FROM intercom_fdw.materialize('ic.contacts', 'part_copies.contacts', full_refresh => true);
RESET client_min_messages;
TRUNCATE part_log;
\copy part_log FROM PROGRAM 'python3 test/fakectl.py log --raw' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT * FROM pg_temp.partition_tiling('/contacts/search', 4, 30);
SET client_min_messages = warning;
DROP SCHEMA part_copies CASCADE;
RESET client_min_messages;
DELETE FROM intercom_fdw.sync_state WHERE target = 'part_copies.contacts';

--
-- 9. concurrency 1: today's sequential listing, no search at all.
--
ALTER SERVER fake OPTIONS (SET concurrency '1');
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.contacts;
\! python3 test/fakectl.py log | grep -c search
ALTER SERVER fake OPTIONS (DROP concurrency, DROP per_page);
