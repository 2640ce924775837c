-- intercom_fdw--1.0.sql, part 45: one run of materialize, its steps in order

/*
 * _run
 *		One run of materialize: bring the copy `target` of the foreign table
 *		`source` up to date, and return its sync_log entry.
 *
 * First run (no state, or full_refresh): create the copy if needed and read
 * everything (from the server's start_date on, for incremental streams), then
 * delete rows that are no longer upstream.  Later runs of incremental streams
 * read `<bookmark column> >= bookmark - lookback` (pushed down to the search
 * API) and upsert; full streams are read whole and mirrored.  The new
 * bookmark is the clock when the run started, so nothing updated during a run
 * is missed.  Unless reconcile is false, an incremental run then removes
 * what was deleted upstream (stream_deletion): streams the API cannot filter
 * are read whole and mirrored, the others go through _remove_deleted (the
 * deleted conversations feed, or count reconciliation at most every
 * reconcile_every).
 *
 * A successful run writes the copy, its sync_state row and its sync_log row
 * in the caller's transaction, and returns the entry with status
 * 'succeeded'.  A failed run (any error, a cancel, a statement_timeout) is
 * caught: everything it wrote is rolled back with the block.  With rethrow
 * the original error is then raised again as it was (materialize(): nothing
 * could keep a log row anyway); without, the entry comes back with status
 * 'failed' and the error, not logged and not raised (materialize_run()
 * logs it, commits, and raises it).
 */
CREATE FUNCTION _run(source regclass, target text, full_refresh boolean, lookback interval,
                     reconcile boolean, reconcile_every interval, rethrow boolean)
RETURNS @extschema@.sync_log
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    started   timestamptz := clock_timestamp();
    stats0    record := @extschema@.request_stats();
    p         @extschema@._run_plan;
    st        @extschema@.sync_state;
    entry     @extschema@.sync_log;
    run_start timestamptz;
    write_t   timestamptz;
    phase_t   timestamptz;
    budget    bigint;
    tg        record;
    rd        record;
    rc        record;
    n_read    bigint := 0;
    n_up      bigint;
    n_del     bigint := 0;
    n_gone    bigint;
    checked   boolean := false;     -- deletions looked for in full: a new last_reconciled_at
    e_detail  text;
    e_hint    text;
BEGIN
    entry.target := target;
    entry.source := source::text;
    BEGIN
        entry.target := (@extschema@._target_name(target)).qualified;
        p := @extschema@._plan(source, target);
        entry.stream := p.stream;
        lookback := coalesce(lookback,
                             nullif(current_setting('intercom_fdw.lookback', true), '')::interval,
                             interval '1 day 1 hour');
        reconcile := coalesce(reconcile, true);
        reconcile_every := coalesce(reconcile_every,
                                    nullif(current_setting('intercom_fdw.reconcile_every', true), '')::interval);
        budget := coalesce(nullif(current_setting('intercom_fdw.reconcile_max_requests', true), '')::bigint, 500);

        -- one run per copy at a time; a second caller waits here
        PERFORM pg_catalog.pg_advisory_xact_lock(
            pg_catalog.hashtextextended('intercom_fdw.materialize:' || p.target, 0));
        -- the new bookmark: fixed before anything is read
        run_start := clock_timestamp();
        st := @extschema@._state(p);
        tg := @extschema@._prepare_target(p);
        IF tg.added THEN
            full_refresh := true;   -- new columns: read everything to fill them
        END IF;
        p := @extschema@._plan_read(p, st, tg.created, full_refresh, lookback, reconcile);
        entry.method := p.method;
        entry.bookmark_from := p.bound;

        rd := @extschema@._read(p);
        n_read := rd.nrows;
        entry.read_ms := rd.ms;

        write_t := clock_timestamp();
        n_up := @extschema@._stage(p, n_read);      -- a fresh copy has its rows already
        IF p.whole THEN
            n_del := @extschema@._mirror_whole(p);
            entry.reconcile := 'done: whole read';
            checked := true;
        END IF;
        phase_t := CASE WHEN p.fresh THEN write_t ELSE clock_timestamp() END;
        IF NOT p.fresh THEN
            n_up := @extschema@._upsert(p);
        END IF;
        PERFORM @extschema@._progress(p.target, 'upserted', n_up,
                                      extract(epoch FROM clock_timestamp() - phase_t) * 1000);
        phase_t := clock_timestamp();
        n_gone := @extschema@._remove_gone(p);
        IF n_gone IS NOT NULL THEN
            n_del := n_del + n_gone;
            PERFORM @extschema@._progress(p.target, 'deleted', n_del,
                                          extract(epoch FROM clock_timestamp() - phase_t) * 1000);
        END IF;

        rc := @extschema@._upstream_deletions(p, st, run_start - lookback, reconcile,
                                              reconcile_every, budget);
        n_del := n_del + rc.deleted;
        n_up := n_up + coalesce(rc.repaired, 0);
        entry.rows_merged := rc.merged;
        entry.rows_repaired := rc.repaired;
        entry.reconcile := coalesce(rc.note, entry.reconcile);
        entry.reconcile_requests := rc.requests;
        checked := checked OR rc.checked;
        entry.write_ms := extract(epoch FROM clock_timestamp() - write_t) * 1000;
        PERFORM @extschema@._save_state(p, run_start, started, n_up, n_del, checked);

        -- the log row commits with the data and the state, or not at all
        entry := @extschema@._close_entry(entry, 'succeeded', started,
                                          stats0.requests, stats0.retries, stats0.rate_limit_waits);
        entry.bookmark_to := run_start;
        entry.rows_read := n_read;
        entry.rows_upserted := n_up;
        entry.rows_deleted := n_del;
        PERFORM @extschema@._log(entry);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        -- the block's data, state and log row are rolled back; report the run
        GET STACKED DIAGNOSTICS entry.error_sqlstate = RETURNED_SQLSTATE,
                                entry.error_message = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT,
                                entry.error_context = PG_EXCEPTION_CONTEXT;
        entry := @extschema@._close_entry(entry, 'failed', started,
                                          stats0.requests, stats0.retries, stats0.rate_limit_waits);
        entry.rows_read := n_read;
        entry.error_detail := nullif(e_detail, '');
        entry.error_hint := nullif(e_hint, '');
        -- the server log has every failed run, whichever way it was called
        RAISE LOG 'intercom_fdw.materialize % from % failed after % (% requests): %',
            entry.target, source, entry.elapsed, entry.requests, entry.error_message;
        IF rethrow THEN
            RAISE;      -- the error itself, CONTEXT and all
        END IF;
    END;
    RETURN entry;
END
$$;
