--
-- Faults: what the fake Intercom's injected failures do to a scan.
--
-- Every transient failure (5xx, HTML gateway pages, dropped connections,
-- truncated or empty 200s, slow responses past timeout_ms) is retried, alone
-- or in bursts across pages, and the query returns exactly the rows of a
-- clean run.  When retries run out (more failures in a row than
-- max_retries + 1) the query fails cleanly with the right SQLSTATE and a
-- short message.  Client errors (400, 401, 404) are not retried.  429s wait
-- for the window's reset without spending retries; pacing keeps a long scan
-- under a small rate limit.
--
\i sql/include/setup.sql
\set VERBOSITY terse
-- 13 pages of contacts (123 rows), so that faults can hit pages in between
ALTER SERVER fake OPTIONS (ADD per_page '10');

\i sql/include/try.sql

-- fingerprint of a table: row count and md5 of every row's text, in order
CREATE FUNCTION pg_temp.fp(tbl regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE format('SELECT count(*) || '' rows '' || md5(string_agg(t::text, ''|'' ORDER BY t::text)) FROM %s t', tbl)
    INTO r;
  RETURN r;
END $$;

-- the clean runs, to compare every faulty run with
CREATE TEMP TABLE clean (tbl text PRIMARY KEY, fp text);
INSERT INTO clean SELECT t, pg_temp.fp(t::regclass)
  FROM unnest(ARRAY['ic.contacts', 'ic.companies', 'ic.conversation_parts', 'ic.tags']) t;
SELECT tbl, split_part(fp, ' ', 1) AS rows FROM clean ORDER BY tbl;
-- the same again: the fingerprint is stable
SELECT pg_temp.fp('ic.contacts') = fp AS stable FROM clean WHERE tbl = 'ic.contacts';

-- same(tbl): this run's rows compared with the clean run's
CREATE FUNCTION pg_temp.same(tbl text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE now_fp text; clean_fp text;
BEGIN
  now_fp := pg_temp.fp(tbl::regclass);
  SELECT fp INTO clean_fp FROM clean c WHERE c.tbl = same.tbl;
  RETURN split_part(now_fp, ' ', 1) || ' rows, ' ||
         CASE WHEN now_fp = clean_fp THEN 'same as the clean run' ELSE 'DIFFERENT from the clean run' END;
END $$;

-- explain_analyze(query, keys): the named Intercom properties of the
-- query's foreign scan, from EXPLAIN (ANALYZE, FORMAT JSON); a key written
-- "name > 0" shows only whether that count is above zero
CREATE FUNCTION pg_temp.explain_analyze(q text, keys text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  j jsonb;
  k text;
  name text;
  v jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q INTO j;
  FOREACH k IN ARRAY keys LOOP
    name := regexp_replace(k, ' > 0$', '');
    v := jsonb_path_query_first(j, ('strict $.**."' || name || '"')::jsonpath);
    IF v IS NULL THEN
      RETURN NEXT k || ': (absent)';
    ELSIF name <> k THEN
      RETURN NEXT k || ': ' || ((v #>> '{}')::bigint > 0)::text;
    ELSE
      RETURN NEXT k || ': ' || (v #>> '{}');
    END IF;
  END LOOP;
END $$;

--
-- 1. Each transient fault alone, on the 3rd page: retried, same rows.
--
\! python3 test/fakectl.py fault 500 --path /contacts --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py fault 502_html --path /contacts --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py fault 503_json --path /contacts --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py fault drop --path /contacts --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py fault truncated --path /contacts --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py fault empty --path /contacts --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py fault html_200 --path /contacts --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
-- a gzip body cut short on the way (complete HTTP body, does not decompress)
\! python3 test/fakectl.py fault bad_gzip --path /contacts --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
-- on the first page, and on the last one
\! python3 test/fakectl.py fault 500 --path /contacts
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py fault truncated --path /contacts --after 12
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
-- a stream without paging
\! python3 test/fakectl.py fault 502_html --path /tags --count 2
SELECT ic_try($$SELECT pg_temp.same('ic.tags')$$);
\! python3 test/fakectl.py faults-clear

--
-- 2. Bursts: max_retries (3) failures in a row on one page, and bursts of
-- different kinds on several pages of one scan.  The retries each burst
-- costs show in request_stats().
--
CREATE TEMP TABLE stats0 AS SELECT * FROM intercom_fdw.request_stats();
\! python3 test/fakectl.py fault 500 --path /contacts --after 2 --count 3
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
SELECT s.requests - s0.requests AS requests, s.retries - s0.retries AS retries,
       s.rate_limit_waits - s0.rate_limit_waits AS rate_limit_waits,
       s.bytes > s0.bytes AS bytes_grew, s.wait_ms > s0.wait_ms AS waited
  FROM intercom_fdw.request_stats() s, stats0 s0;
DROP TABLE stats0;
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE stats0 AS SELECT * FROM intercom_fdw.request_stats();
-- page 2: two 500s; page 5: three HTML 502s; page 8: a truncated body and
-- an empty one; page 11: a 503 then an HTML 200
\! python3 test/fakectl.py fault 500 --path /contacts --after 1 --count 2
\! python3 test/fakectl.py fault 502_html --path /contacts --after 3 --count 3
\! python3 test/fakectl.py fault truncated --path /contacts --after 3 --count 1
\! python3 test/fakectl.py fault empty --path /contacts --count 1
\! python3 test/fakectl.py fault 503_json --path /contacts --after 3 --count 1
\! python3 test/fakectl.py fault html_200 --path /contacts --count 1
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
SELECT s.requests - s0.requests AS requests, s.retries - s0.retries AS retries
  FROM intercom_fdw.request_stats() s, stats0 s0;
DROP TABLE stats0;
-- the fake saw 13 pages answered 200 once each and the 9 failures
\! python3 test/fakectl.py log | awk '{print $NF}' | sort | uniq -c | awk '{print "status " $2 ": " $1}'
-- dropped connections in bursts
\! python3 test/fakectl.py fault drop --path /contacts --after 4 --count 2
\! python3 test/fakectl.py fault drop --path /contacts --after 4 --count 2
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear

-- count(*) reads no column, so its pages are skimmed, not parsed: a
-- truncated body, an HTML 200 and an empty 200 are caught all the same
\! python3 test/fakectl.py fault truncated --path /contacts --after 1 --count 1
\! python3 test/fakectl.py fault html_200 --path /contacts --after 3 --count 1
\! python3 test/fakectl.py fault empty --path /contacts --after 3 --count 1
CREATE TEMP TABLE stats0 AS SELECT * FROM intercom_fdw.request_stats();
SELECT count(*) AS contacts FROM ic.contacts;
SELECT s.retries - s0.retries AS retries FROM intercom_fdw.request_stats() s, stats0 s0;
DROP TABLE stats0;
SELECT count(id) AS parsed FROM ic.contacts;
\! python3 test/fakectl.py faults-clear

--
-- 3. Retries exhausted: max_retries + 1 = 4 failures in a row.  A clean
-- error: the right SQLSTATE, the attempts counted, an HTML page summarized
-- by its title, not dumped.  First with concurrency 1 (one request at a
-- time), then with the default, where the next page is prefetched while
-- rows are returned: the retry budget and the error are the same.
--
ALTER SERVER fake OPTIONS (ADD concurrency '1');
-- on the first page
\! python3 test/fakectl.py fault 500 --path /contacts --count 4
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear
-- the same seen directly by psql
\! python3 test/fakectl.py fault 502_html --path /contacts --count 4
SELECT count(*) FROM ic.contacts;
\echo :LAST_ERROR_SQLSTATE
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py fault 500 --path /contacts --after 2 --count 4
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py fault 502_html --path /contacts --after 2 --count 4
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py fault 503_json --path /contacts --after 2 --count 4
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear
-- a truncated or empty 200 is retried, then reported as malformed
\! python3 test/fakectl.py fault truncated --path /contacts --after 2 --count 4
SELECT regexp_replace(t, '\(\d+ bytes\): .*', '(N bytes): ...')
  FROM ic_try($$SELECT pg_temp.same('ic.contacts')$$) t;
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py fault empty --path /contacts --after 2 --count 4
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py fault html_200 --path /contacts --after 2 --count 4
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py fault bad_gzip --path /contacts --after 2 --count 4
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear
-- valid gzip that inflates past the 256 MiB limit on a body: a clean error
-- at once (the same request would be as large again), memory bounded (the
-- output buffer stops at the limit)
\! python3 test/fakectl.py fault gzip_bomb --path /tags --count 4
SELECT ic_try($$SELECT count(*) FROM ic.tags$$);
\! python3 test/fakectl.py faults-left
\! python3 test/fakectl.py faults-clear
SELECT count(*) > 0 AS tags_after_the_bomb FROM ic.tags;
-- dropped connections (libcurl may itself retry a dropped kept-alive
-- connection once, so give it plenty)
\! python3 test/fakectl.py fault drop --path /contacts --after 2 --count 20
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear
-- now with prefetching: the same errors
ALTER SERVER fake OPTIONS (DROP concurrency);
\! python3 test/fakectl.py fault 500 --path /contacts --after 2 --count 4
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py fault 502_html --path /contacts --after 2 --count 4
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py fault truncated --path /contacts --after 2 --count 4
SELECT regexp_replace(t, '\(\d+ bytes\): .*', '(N bytes): ...')
  FROM ic_try($$SELECT pg_temp.same('ic.contacts')$$) t;
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py fault empty --path /contacts --after 2 --count 4
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear
-- the session is fine after all these errors
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);

--
-- 4. Client errors are not retried and map to their own SQLSTATEs.
--
-- 404 on a list page: HV00R, one attempt (3 requests: pages 1, 2 and 3),
-- with or without prefetching
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py fault 404 --path /contacts --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py count --path /contacts
\! python3 test/fakectl.py faults-clear
ALTER SERVER fake OPTIONS (ADD concurrency '1');
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py fault 404 --path /contacts --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py count --path /contacts
\! python3 test/fakectl.py faults-clear
ALTER SERVER fake OPTIONS (DROP concurrency);
-- 404 on a GET by id: no such record, no row and no error
SELECT min(id) AS some_id FROM ic.contacts \gset
SELECT count(*) FROM ic.contacts WHERE id = :'some_id';
\! python3 test/fakectl.py fault 404 --path /contacts/
SELECT count(*) FROM ic.contacts WHERE id = :'some_id';
SELECT count(*) FROM ic.contacts WHERE id = 'no_such_contact';
-- 400 (like 422) for an API version Intercom does not know: HV024, with a hint
ALTER SERVER fake OPTIONS (ADD api_version '9.99');
SELECT ic_try($$SELECT count(*)::text FROM ic.tags$$);
ALTER SERVER fake OPTIONS (DROP api_version);
SELECT ic_try($$SELECT count(*)::text FROM ic.tags$$);
-- 401 with a wrong token: HV00N, hint about the user mapping, one attempt,
-- and the token is not in the message, detail or hint
ALTER USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (SET token 'tok_wrong_Q7Z');
\! python3 test/fakectl.py log-clear
SELECT ic_try($$SELECT count(*)::text FROM ic.contacts$$);
\! python3 test/fakectl.py count
SELECT count(*) AS messages_with_token FROM ic_try($$SELECT count(*)::text FROM ic.contacts$$) t
 WHERE t LIKE '%tok_wrong%';
SELECT count(*) FROM ic.contacts;
\echo :LAST_ERROR_SQLSTATE
-- the new token takes effect at once, without reconnecting
ALTER USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (SET token 'tok_test_1');
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);

--
-- 5. Slow responses past timeout_ms are abandoned and retried.
--
ALTER SERVER fake OPTIONS (ADD timeout_ms '500');
\! python3 test/fakectl.py fault slow --path /contacts --after 2 --delay-ms 3000 --count 1
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
-- too slow every time: a transport error, HV00N
\! python3 test/fakectl.py fault slow --path /tags --delay-ms 2000 --count 4
SELECT regexp_replace(t, '\d+ milliseconds', 'N milliseconds', 'g')
  FROM ic_try($$SELECT count(*)::text FROM ic.tags$$) t;
\! python3 test/fakectl.py faults-clear
-- slow but within the timeout: no retry
\! python3 test/fakectl.py fault slow --path /tags --delay-ms 200 --count 1
SELECT pg_temp.explain_analyze('SELECT * FROM ic.tags',
  ARRAY['Intercom Requests', 'Intercom Retries', 'Intercom Rows Fetched']);
ALTER SERVER fake OPTIONS (DROP timeout_ms);

--
-- 6. conversation_parts: a failing GET /conversations/{id} is retried; one
-- that is gone (404) is skipped and counted.
--
\! python3 test/fakectl.py fault 500 --path /conversations/ --after 5 --count 3
\! python3 test/fakectl.py fault 502_html --path /conversations/ --after 10 --count 2
SELECT ic_try($$SELECT pg_temp.same('ic.conversation_parts')$$);
-- one conversation failing max_retries + 1 times: an error naming it
SELECT id AS conv_id FROM ic.conversations ORDER BY id LIMIT 1 OFFSET 5 \gset
\setenv CONV_ID :conv_id
\! python3 test/fakectl.py fault 500 --path /conversations/$CONV_ID --count 4
SELECT replace(t, :'conv_id', '{id}')
  FROM ic_try($$SELECT pg_temp.same('ic.conversation_parts')$$) t;
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py fault 404 --path /conversations/ --after 3
SELECT pg_temp.explain_analyze('SELECT * FROM ic.conversation_parts',
  ARRAY['Intercom Conversations Missing', 'Intercom Retries']);
SELECT ic_try($$SELECT pg_temp.same('ic.conversation_parts')$$);

--
-- 7. The company scroll: a 500 or an expiry mid-scroll restarts it and the
-- companies already returned are not returned twice.  An abandoned scroll
-- expires after 2 s here (Intercom: about a minute).
--
\! python3 test/fakectl.py config scroll_page_size=10 scroll_idle_seconds=2
SELECT ic_try($$SELECT pg_temp.same('ic.companies')$$);
\! python3 test/fakectl.py fault scroll_500 --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.companies')$$);
\! python3 test/fakectl.py fault scroll_expire --after 2
SELECT ic_try($$SELECT pg_temp.same('ic.companies')$$);
-- a gateway failure is not resent (the page may have been served): the
-- scroll restarts, once the one left open has expired
\! python3 test/fakectl.py fault 502_html --path /companies/scroll --after 1 --count 2
SELECT ic_try($$SELECT pg_temp.same('ic.companies')$$);
-- a 500 before any scroll exists: a new one opens at once
\! python3 test/fakectl.py fault 500 --path /companies/scroll --count 1
SELECT ic_try($$SELECT pg_temp.same('ic.companies')$$);
\! python3 test/fakectl.py faults-clear
-- six restarts in a row: the scroll gives up after five
\! python3 test/fakectl.py fault scroll_500 --after 1
\! python3 test/fakectl.py fault scroll_500 --after 1
\! python3 test/fakectl.py fault scroll_500 --after 1
\! python3 test/fakectl.py fault scroll_500 --after 1
\! python3 test/fakectl.py fault scroll_500 --after 1
\! python3 test/fakectl.py fault scroll_500 --after 1
SELECT ic_try($$SELECT pg_temp.same('ic.companies')$$);
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py config scroll_page_size=100 scroll_idle_seconds=60

--
-- 8. A 429 storm: five in a row, more than max_retries allows for other
-- failures.  Each waits for the rate-limit window's reset (about 10 s) and
-- does not count as a retry; the scan completes.
--
\! python3 test/fakectl.py fault 429 --path /contacts --after 2 --count 5
SELECT pg_temp.explain_analyze('SELECT * FROM ic.contacts',
  ARRAY['Intercom Pages', 'Intercom Rows Fetched', 'Intercom Retries',
        'Intercom Rate Limit Waits > 0']);
-- the rows are the clean run's
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py faults-clear

--
-- 9. Pacing: with 20 requests allowed per 10 s window, a scan of 25 pages
-- paces itself by the X-RateLimit headers instead of running into 429s.
-- (25 pages answered 200; on a loaded machine a page that timed out may be
-- answered twice, so up to 2 more are allowed: the rows are checked exactly.)
--
ALTER SERVER fake OPTIONS (SET per_page '5');
\! python3 test/fakectl.py config rate_limit=20
\! python3 test/fakectl.py log-clear
SELECT ic_try($$SELECT pg_temp.same('ic.contacts')$$);
\! python3 test/fakectl.py log | awk '$3 == 200 {ok++} $3 == 429 {rl++} END {print "200s from 25 to 27: " (ok >= 25 && ok <= 27 ? "yes" : "no (" ok+0 ")"); print "429s <= 2: " (rl+0 <= 2 ? "yes" : "no (" rl ")")}'
\! python3 test/fakectl.py reset
ALTER SERVER fake OPTIONS (SET per_page '10');

-- cleanup
DROP SERVER fake CASCADE;
DROP SCHEMA ic CASCADE;
DROP FUNCTION public.ic_try(text);
