-- intercom_fdw--1.0.sql, part 50: materialize, materialize_run and reset

CREATE TYPE materialize_result AS (
    source        regclass,
    target        text,
    method        text,
    rows_upserted bigint,
    rows_deleted  bigint,
    bookmark_from timestamptz,
    bookmark_to   timestamptz,
    requests      bigint,
    elapsed       interval
);

/*
 * materialize
 *		Bring the copy `target` of the foreign table `source` up to date, in
 *		the caller's transaction (see _run).
 *
 * A failed run raises its error as it was; the caller's transaction then
 * rolls back everything, so no sync_log row is left (the server log keeps a
 * LOG line).  CALL materialize_run is the form that keeps failed runs in
 * sync_log.
 */
CREATE FUNCTION materialize(source regclass, target text, full_refresh boolean DEFAULT false,
                            lookback interval DEFAULT NULL, reconcile boolean DEFAULT true,
                            reconcile_every interval DEFAULT NULL)
RETURNS materialize_result
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    entry @extschema@.sync_log := @extschema@._run(source, target, full_refresh, lookback,
                                                   reconcile, reconcile_every, true);
    res   @extschema@.materialize_result;
BEGIN
    res.source := source;
    res.target := entry.target;
    res.method := entry.method;
    res.rows_upserted := entry.rows_upserted;
    res.rows_deleted := entry.rows_deleted;
    res.bookmark_from := entry.bookmark_from;
    res.bookmark_to := entry.bookmark_to;
    res.requests := entry.requests;
    res.elapsed := entry.elapsed;
    RETURN res;
END
$$;
COMMENT ON FUNCTION materialize(regclass, text, boolean, interval, boolean, interval) IS
    'Create or refresh a local copy of an intercom_fdw foreign table, in the caller''s transaction (docs/materialize.md)';

/*
 * materialize_run
 *		The same run as materialize(), as a procedure that commits: a failed
 *		run's sync_log row is committed before its error is raised again, so
 *		that the failure stays in sync_log and the caller (pg_cron) still
 *		sees the error.
 *
 * It must be CALLed on its own (psql, pg_cron, a DO block not inside a
 * transaction block).  It starts with a COMMIT so that anywhere a COMMIT
 * is not allowed (BEGIN ... CALL, a function) it fails at once, with
 * "invalid transaction termination", before reading anything, rather than
 * after a failed run, where that error would hide the run's own.
 * Exactly-once is that of materialize(): a run's data, state and log row
 * commit together, or the run fails and only its failed log row commits.
 */
CREATE PROCEDURE materialize_run(source regclass, target text, full_refresh boolean DEFAULT false,
                                 lookback interval DEFAULT NULL,
                                 reconcile boolean DEFAULT true,
                                 reconcile_every interval DEFAULT NULL,
                                 INOUT method text DEFAULT NULL,
                                 INOUT rows_upserted bigint DEFAULT NULL,
                                 INOUT rows_deleted bigint DEFAULT NULL,
                                 INOUT bookmark_from timestamptz DEFAULT NULL,
                                 INOUT bookmark_to timestamptz DEFAULT NULL,
                                 INOUT requests bigint DEFAULT NULL,
                                 INOUT elapsed interval DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    entry @extschema@.sync_log;
BEGIN
    COMMIT;     -- refuses an atomic context now, before anything is read
    entry := @extschema@._run(source, target, full_refresh, lookback, reconcile, reconcile_every, false);
    IF entry.status = 'failed' THEN
        -- the run is rolled back; keep its log row, then fail as it did.
        -- A log row that cannot be written (no INSERT on sync_log) must
        -- not hide the run's own error.
        BEGIN
            PERFORM @extschema@._log(entry);
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'intercom_fdw.materialize_run could not log the failed run of %: %',
                          entry.target, SQLERRM
                USING HINT = 'The role needs INSERT on intercom_fdw.sync_log (docs/materialize.md, Permissions).';
        END;
        COMMIT;
        PERFORM @extschema@._raise(entry);
    END IF;
    -- success: committed when the CALL ends
    method := entry.method;
    rows_upserted := entry.rows_upserted;
    rows_deleted := entry.rows_deleted;
    bookmark_from := entry.bookmark_from;
    bookmark_to := entry.bookmark_to;
    requests := entry.requests;
    elapsed := entry.elapsed;
END
$$;
COMMENT ON PROCEDURE materialize_run(regclass, text, boolean, interval, boolean, interval, text, bigint, bigint,
                                     timestamptz, timestamptz, bigint, interval) IS
    'Create or refresh a local copy, committing; a failed run is kept in sync_log (docs/materialize.md)';

-- Forget a copy's state: its next run is a full load.  The copy itself stays.
CREATE FUNCTION reset(target text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    q text := (@extschema@._target_name(target)).qualified;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('intercom_fdw.materialize:' || q, 0));
    DELETE FROM @extschema@.sync_state s WHERE s.target = q;
    RETURN FOUND;
END
$$;
