-- activity_logs: GET /admins/activity_logs?created_at_after=A&created_at_before=B,
-- page-numbered.  created_at_after is required: a scan without a lower bound
-- on created_at starts at the server's start_date, else at the epoch.  Bounds
-- are widened by a second (the API does not say whether they are inclusive)
-- and rechecked, so every comparison returns exactly the local answer.
\i sql/include/setup.sql
SET timezone = 'UTC';

CREATE TEMP TABLE raw_activity_logs(r jsonb);
\copy raw_activity_logs FROM PROGRAM 'python3 test/fakectl.py dump activity_logs' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_activity_logs AS SELECT
    r->>'id' AS id,
    r->>'activity_description' AS activity_description,
    r->>'activity_type' AS activity_type,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    nullif(r->'metadata', 'null') AS metadata,
    nullif(r->'performed_by', 'null') AS performed_by
  FROM raw_activity_logs;
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE got_activity_logs AS SELECT id, activity_description, activity_type, created_at, metadata, performed_by FROM ic.activity_logs;
\! python3 test/fakectl.py log
SELECT 'activity_logs' AS stream,
  (SELECT count(*) FROM got_activity_logs) AS fdw_rows,
  (SELECT count(*) FROM raw_activity_logs) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_activity_logs EXCEPT ALL SELECT * FROM exp_activity_logs) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_activity_logs EXCEPT ALL SELECT * FROM got_activity_logs) x) AS fake_not_in_fdw;
SELECT id, activity_type, created_at, metadata, performed_by->>'id' AS admin
FROM got_activity_logs ORDER BY created_at, id LIMIT 5;

-- pages by number: 41 logs at 10 a page are 5 requests
ALTER SERVER fake OPTIONS (ADD per_page '10');
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.activity_logs;
\! python3 test/fakectl.py log
ALTER SERVER fake OPTIONS (DROP per_page);

-- bounds on created_at become the parameters, widened by a second
EXPLAIN (COSTS OFF) SELECT id FROM ic.activity_logs WHERE created_at >= '2019-03-01 00:00:00+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.activity_logs
WHERE created_at > '2019-03-01 00:00:00.5+00' AND created_at < '2019-04-01 00:00:00+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.activity_logs WHERE created_at = '2019-03-01 00:00:00+00';
-- a generic plan shows the expressions it will send
PREPARE since(timestamptz) AS SELECT count(*) FROM ic.activity_logs WHERE created_at >= $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE since('2019-03-01+00');
EXECUTE since('2019-03-01+00');
RESET plan_cache_mode;
DEALLOCATE since;
-- every comparison at every tied and untied second gives the local answer
CREATE TEMP TABLE bounds AS
  SELECT created_at AS t FROM got_activity_logs
  WHERE created_at IN (SELECT created_at FROM got_activity_logs GROUP BY 1 HAVING count(*) > 1)
  UNION SELECT created_at FROM (SELECT created_at FROM got_activity_logs ORDER BY created_at LIMIT 3) f;
SELECT b.t,
  (SELECT count(*) FROM ic.activity_logs WHERE created_at >= b.t) = (SELECT count(*) FROM got_activity_logs WHERE created_at >= b.t) AS ge,
  (SELECT count(*) FROM ic.activity_logs WHERE created_at > b.t) = (SELECT count(*) FROM got_activity_logs WHERE created_at > b.t) AS gt,
  (SELECT count(*) FROM ic.activity_logs WHERE created_at = b.t) AS eq_fdw,
  (SELECT count(*) FROM got_activity_logs WHERE created_at = b.t) AS eq_local,
  (SELECT count(*) FROM ic.activity_logs WHERE created_at <= b.t) = (SELECT count(*) FROM got_activity_logs WHERE created_at <= b.t) AS le,
  (SELECT count(*) FROM ic.activity_logs WHERE created_at < b.t) = (SELECT count(*) FROM got_activity_logs WHERE created_at < b.t) AS lt
FROM bounds b ORDER BY b.t;
-- a NULL bound matches nothing and sends nothing
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.activity_logs WHERE created_at > NULL::timestamptz;
\! python3 test/fakectl.py count --path /admins/activity_logs

-- start_date: where a scan without a lower bound starts (a second early)
ALTER SERVER fake OPTIONS (ADD start_date '2019-03-01T00:00:00Z');
\! python3 test/fakectl.py log-clear
SELECT count(*) AS since_start_date,
       (SELECT count(*) FROM got_activity_logs WHERE created_at >= '2019-03-01T00:00:00Z') AS expected
FROM ic.activity_logs;
\! python3 test/fakectl.py log
-- an explicit lower bound is the query's own
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.activity_logs WHERE created_at >= '2019-01-15+00';
\! python3 test/fakectl.py log
ALTER SERVER fake OPTIONS (DROP start_date);

-- joins: who did what
SELECT a.name, count(*) AS activities
FROM got_activity_logs l JOIN ic.admins a ON a.id = l.performed_by->>'id'
GROUP BY a.name ORDER BY a.name;

-- materialize: a full copy keyed on id equals its source
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
SET intercom_fdw.progress = off;
DROP TABLE IF EXISTS public.activity_copy;
RESET client_min_messages;
SELECT stream, primary_key, incremental, request, replication_key FROM intercom_fdw.streams() WHERE stream = 'activity_logs';
SELECT method, rows_upserted, rows_deleted FROM intercom_fdw.materialize('ic.activity_logs', 'public.activity_copy');
SELECT (SELECT count(*) FROM (SELECT * FROM ic.activity_logs EXCEPT ALL SELECT * FROM public.activity_copy) a) +
       (SELECT count(*) FROM (SELECT * FROM public.activity_copy EXCEPT ALL SELECT * FROM ic.activity_logs) b) AS differences;
-- later runs are incremental on created_at: created_at_after is the bookmark
-- minus the lookback (here a bookmark moved back to 2019-06-01, no lookback)
UPDATE intercom_fdw.sync_state SET bookmark = '2019-06-01+00' WHERE target = 'public.activity_copy';
\! python3 test/fakectl.py log-clear
SELECT method, rows_upserted, rows_deleted, bookmark_from
FROM intercom_fdw.materialize('ic.activity_logs', 'public.activity_copy', lookback => '0 seconds');
\! python3 test/fakectl.py log
SELECT (SELECT count(*) FROM (SELECT * FROM ic.activity_logs EXCEPT ALL SELECT * FROM public.activity_copy) a) +
       (SELECT count(*) FROM (SELECT * FROM public.activity_copy EXCEPT ALL SELECT * FROM ic.activity_logs) b) AS differences;
DROP TABLE public.activity_copy;
-- forget these copies' state and log: later suites list them
DELETE FROM intercom_fdw.sync_log WHERE target LIKE 'public.activity_copy';
DELETE FROM intercom_fdw.sync_state WHERE target LIKE 'public.activity_copy';
-- leave no dblink behind: materialize.sql creates its own
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dblink;
RESET client_min_messages;
