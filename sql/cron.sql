-- pg_cron refreshes copies on a schedule (docs/materialize.md).
-- Runs on PostgreSQL 15 only: Debian 12 packages pg_cron for 15 alone, and
-- scripts/test.sh leaves this suite out on other versions, saying so.
\i sql/include/setup.sql
SET intercom_fdw.progress = off;
\set VERBOSITY terse
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS copies CASCADE;
RESET client_min_messages;
CREATE SCHEMA copies;
\i sql/include/diff.sql

-- pg_cron refreshes copies on a schedule (every second from pg_cron 1.5,
--  every minute before).  Three jobs, run in the same tick: the function
--  form and the CALL form succeed; a CALL that fails (HTTP 500 from
--  /admins until the retries are spent) shows as failed in pg_cron's
--  cron.job_run_details and in sync_log.
CREATE EXTENSION pg_cron;
SELECT CASE WHEN string_to_array(split_part(extversion, '-', 1), '.')::int[] >= '{1,5}'
            THEN '1 seconds' ELSE '* * * * *' END AS cron_schedule
  FROM pg_extension WHERE extname = 'pg_cron' \gset
\! python3 test/fakectl.py fault 500 --count 1000 --path /admins
SELECT cron.schedule('intercom-teams', :'cron_schedule',
    $$SELECT * FROM intercom_fdw.materialize('ic.teams', 'copies.teams_cron')$$) > 0 AS scheduled;
SELECT cron.schedule('intercom-tags', :'cron_schedule',
    $$CALL intercom_fdw.materialize_run('ic.tags', 'copies.tags_cron')$$) > 0 AS scheduled;
SELECT cron.schedule('intercom-admins', :'cron_schedule',
    $$CALL intercom_fdw.materialize_run('ic.admins', 'copies.admins_cron')$$) > 0 AS scheduled;
-- pg_cron connects to cron.host (localhost); this cluster listens on its socket only
UPDATE cron.job SET nodename = split_part(current_setting('unix_socket_directories'), ',', 1)
 WHERE jobname LIKE 'intercom-%';
DO $$
BEGIN
    FOR i IN 1..180 LOOP
        EXIT WHEN (SELECT count(DISTINCT j.jobname) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                    WHERE j.jobname LIKE 'intercom-%' AND d.status IN ('succeeded', 'failed')) = 3;
        PERFORM pg_sleep(0.5);
    END LOOP;
END $$;
SELECT DISTINCT ON (j.jobname) j.jobname, d.status,
       regexp_replace(split_part(d.return_message, E'\n', 1), 'request id [0-9a-f-]+', 'request id R') AS return_message
  FROM cron.job_run_details d JOIN cron.job j USING (jobid)
 WHERE j.jobname LIKE 'intercom-%' AND d.status IN ('succeeded', 'failed')
 ORDER BY j.jobname, d.runid;
SELECT cron.unschedule(jobname) FROM cron.job WHERE jobname LIKE 'intercom-%' ORDER BY jobname;
\! python3 test/fakectl.py faults-clear
SELECT count(*) > 0 AS copied, pg_temp.diff('ic.teams', 'copies.teams_cron') AS differences FROM copies.teams_cron;
SELECT count(*) > 0 AS copied, pg_temp.diff('ic.tags', 'copies.tags_cron') AS differences FROM copies.tags_cron;
SELECT DISTINCT ON (target) target, status, method, error_sqlstate, error_message,
       error_detail IS NOT NULL AS has_detail, error_hint
  FROM intercom_fdw.sync_log WHERE target LIKE 'copies.%\_cron' ORDER BY target, id;
SELECT to_regclass('copies.admins_cron') IS NULL AS no_copy,
       NOT EXISTS (SELECT FROM intercom_fdw.sync_state WHERE target = 'copies.admins_cron') AS no_state;
DROP EXTENSION pg_cron;
-- leave nothing behind for the suites after this one (on versions without
-- pg_cron this suite does not run, and they must read the same)
SET client_min_messages = warning;
DROP SCHEMA copies CASCADE;
RESET client_min_messages;
DELETE FROM intercom_fdw.sync_state WHERE target LIKE 'copies.%\_cron';
DELETE FROM intercom_fdw.sync_log WHERE target LIKE 'copies.%\_cron';
