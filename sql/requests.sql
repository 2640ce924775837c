-- EXPLAIN shows the request that is sent. For one query of every paging
-- style and pushdown shape, EXPLAIN VERBOSE's "Intercom Request" (its first
-- request, or as many as it lists for reads by id) is compared, byte for
-- byte, with what the fake logged as received (fakectl log --raw: method,
-- target and body as sent). Both come from request.c.
\i sql/include/setup.sql
SET timezone = 'UTC';
\set repo `pwd`
CREATE TEMP TABLE sent_log (line text);
-- explained: EXPLAIN's request without its follow-ups (", then GET ... for
-- each", ", and GET ... where a list has more"); sent: the first n requests
-- the fake received for the query, joined as EXPLAIN joins reads by id
CREATE FUNCTION pg_temp.requests(q text, n int DEFAULT 1)
RETURNS TABLE (explained text, sent text, same boolean) LANGUAGE plpgsql AS $$
DECLARE
  j jsonb;
  ctl text := format('python3 %s/test/fakectl.py --url %s log --raw --clear-after',
                     current_setting('ic.repo'), current_setting('ic.fake_url'));
BEGIN
  EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON) ' || q INTO j;
  explained := regexp_replace(jsonb_path_query_first(j, 'strict $.**."Intercom Request"') #>> '{}',
                              ', (then|and) GET .*$', '');
  EXECUTE format('COPY sent_log FROM PROGRAM %L', ctl || ' >/dev/null');
  EXECUTE 'SELECT count(*) FROM (' || q || ') s';
  TRUNCATE sent_log;
  EXECUTE format('COPY sent_log FROM PROGRAM %L WITH (FORMAT csv, QUOTE e''\x01'', DELIMITER e''\x02'')', ctl);
  SELECT string_agg(line, ', ') INTO sent FROM (SELECT line FROM sent_log LIMIT n) l;
  same := coalesce(explained = sent, false);
  RETURN NEXT;
END $$;
SELECT set_config('ic.repo', :'repo', false) IS NOT NULL AS repo_set,
       set_config('ic.fake_url', :'fake_url', false) IS NOT NULL AS url_set;

-- a cursor listing
SELECT * FROM pg_temp.requests('SELECT id FROM ic.contacts');
-- a listing with a smaller page for a LIMIT
SELECT * FROM pg_temp.requests('SELECT id FROM ic.contacts LIMIT 3');
-- a search: pushed filters (widened by day: contacts' dates compare by day)
SELECT * FROM pg_temp.requests($$SELECT id FROM ic.contacts WHERE updated_at >= '2021-03-10 08:00:00+00' AND role = 'lead'$$);
-- a search sorted by updated_at, with a LIMIT
SELECT * FROM pg_temp.requests($$SELECT id FROM ic.conversations WHERE updated_at > '2020-01-01' ORDER BY updated_at DESC LIMIT 4$$);
-- a search with a string that JSON must escape
SELECT * FROM pg_temp.requests($$SELECT id FROM ic.contacts WHERE email = 'a"b\c@example.com'$$);
-- the page-numbered LIMIT listing of companies, and their scroll
SELECT * FROM pg_temp.requests('SELECT id FROM ic.companies LIMIT 5');
SELECT * FROM pg_temp.requests('SELECT id FROM ic.companies');
-- an unpaged listing
SELECT * FROM pg_temp.requests('SELECT id FROM ic.tags');
-- reads by id, and by a lookup value (escaped in the path)
SELECT * FROM pg_temp.requests($$SELECT id FROM ic.conversations WHERE id IN ('100001', '100002')$$, 2);
SELECT * FROM pg_temp.requests($$SELECT id FROM ic.companies WHERE company_id = 'no such/company'$$);
-- per parent: conversation parts list their conversations first
SELECT * FROM pg_temp.requests('SELECT id FROM ic.conversation_parts');
-- a stream with no listing, searched for everything (tickets)
SELECT * FROM pg_temp.requests('SELECT id FROM ic.tickets');
-- a page-numbered stream (articles)
SELECT * FROM pg_temp.requests('SELECT id FROM ic.articles');
-- a listing bounded by date parameters (activity logs)
SELECT * FROM pg_temp.requests($$SELECT id FROM ic.activity_logs WHERE created_at >= '2020-01-01' AND created_at < '2021-01-01'$$);
