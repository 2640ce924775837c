-- intercom_fdw--1.0.sql, part 40: one run of materialize, in steps

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
    stats1    record;
    t         record;
    src       record;
    st        @extschema@.sync_state;
    entry     @extschema@.sync_log;
    run_start timestamptz;
    bound     timestamptz;
    tgt_oid   regclass;
    cols      text[];
    col_list  text;
    set_list  text;
    sel       text;
    pk        text;
    phase_t   timestamptz;
    write_t   timestamptz;
    phase_r   bigint;
    n_read    bigint := 0;
    n_up      bigint := 0;
    n_del     bigint := 0;
    n_gone    bigint;
    n_rows    bigint;
    n_keys    bigint;
    fresh     boolean;
    unique_keys boolean := false;
    n_clash   bigint;
    whole     boolean := false;
    checked   boolean := false;     -- deletions looked for in full: a new last_reconciled_at
    rc        record;
    budget    bigint;
    e_detail  text;
    e_hint    text;
    added     text[];
    created   boolean := false;
BEGIN
    entry.target := target;
    entry.source := source::text;
    BEGIN
        t := @extschema@._target_name(target);
        entry.target := t.qualified;
        src := @extschema@._source_info(source);
        entry.stream := src.stream;
        pk := quote_ident(src.primary_key);
        lookback := coalesce(lookback,
                             nullif(current_setting('intercom_fdw.lookback', true), '')::interval,
                             interval '1 day 1 hour');
        reconcile := coalesce(reconcile, true);
        reconcile_every := coalesce(reconcile_every,
                                    nullif(current_setting('intercom_fdw.reconcile_every', true), '')::interval);
        budget := coalesce(nullif(current_setting('intercom_fdw.reconcile_max_requests', true), '')::bigint, 500);

        -- one run per copy at a time; a second caller waits here
        PERFORM pg_catalog.pg_advisory_xact_lock(
            pg_catalog.hashtextextended('intercom_fdw.materialize:' || t.qualified, 0));
        -- the new bookmark: fixed before anything is read
        run_start := clock_timestamp();

        SELECT * INTO st FROM @extschema@.sync_state s WHERE s.target = t.qualified FOR UPDATE;
        IF FOUND AND st.source <> source::text THEN
            RAISE EXCEPTION 'target "%" is a copy of %, not of %', t.qualified, st.source, source
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Use another target, or forget the old one with intercom_fdw.reset(target).';
        END IF;

        -- the copy: created on the first run, with the source's columns and key
        tgt_oid := pg_catalog.to_regclass(t.qualified);
        IF tgt_oid IS NULL THEN
            EXECUTE pg_catalog.format('CREATE TABLE %s (LIKE %s, PRIMARY KEY (%s))',
                                      t.qualified, source, pk);
            tgt_oid := t.qualified::regclass;
            created := true;
        ELSIF NOT EXISTS (SELECT FROM pg_catalog.pg_index i
                           WHERE i.indrelid = tgt_oid AND i.indisunique AND i.indnatts = 1
                             AND i.indpred IS NULL AND i.indimmediate
                             AND i.indkey[0] = (SELECT a.attnum FROM pg_catalog.pg_attribute a
                                                 WHERE a.attrelid = tgt_oid
                                                   AND a.attname = src.primary_key
                                                   AND NOT a.attisdropped)) THEN
            RAISE EXCEPTION 'the copy "%" has no primary key or unique index on "%"',
                            t.qualified, src.primary_key
                USING ERRCODE = 'invalid_table_definition',
                      HINT = pg_catalog.format('ALTER TABLE %s ADD PRIMARY KEY (%s);', t.qualified, pk);
        END IF;
        -- columns the source gained since (IMPORT FOREIGN SCHEMA run again
        -- adds the fields Intercom started sending): the copy gains them too,
        -- and this run reads everything, so that no row lacks their values
        -- (Intercom does not touch updated_at when it adds a field).
        -- SET intercom_fdw.copy_new_columns = off keeps the copy's columns.
        IF NOT created AND lower(coalesce(nullif(current_setting('intercom_fdw.copy_new_columns', true), ''), 'on'))
                           NOT IN ('off', 'false', 'no', '0') THEN
            SELECT array_agg(pg_catalog.format('%I %s', a.attname,
                                               pg_catalog.format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
              INTO added
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_attribute b
                                WHERE b.attrelid = tgt_oid AND b.attname = a.attname
                                  AND b.attnum > 0 AND NOT b.attisdropped);
            IF added IS NOT NULL THEN
                EXECUTE pg_catalog.format('ALTER TABLE %s %s', t.qualified,
                    (SELECT string_agg('ADD COLUMN ' || d, ', ') FROM unnest(added) d));
                full_refresh := true;
                RAISE NOTICE 'materialize %: added column(s) % of %; this run reads every record to fill them',
                    t.qualified, array_to_string(added, ', '), source;
            END IF;
        END IF;

        -- columns both sides have (a Stitch table may have more, or fewer)
        SELECT array_agg(c ORDER BY o) INTO cols
          FROM unnest(src.columns) WITH ORDINALITY u(c, o)
         WHERE EXISTS (SELECT FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = tgt_oid AND a.attname = u.c
                          AND a.attnum > 0 AND NOT a.attisdropped);
        SELECT string_agg(quote_ident(c), ', '),
               string_agg(pg_catalog.format('%1$I = EXCLUDED.%1$I', c), ', ')
                   FILTER (WHERE c <> src.primary_key)
          INTO col_list, set_list
          FROM unnest(cols) c;

        -- what to read
        IF src.incremental AND src.has_bookmark AND st.bookmark IS NOT NULL AND NOT full_refresh THEN
            entry.method := 'incremental';
            bound := st.bookmark - lookback;
            IF src.start_date IS NOT NULL AND src.start_date > bound THEN
                bound := src.start_date;
            END IF;
        ELSE
            entry.method := 'full';
            IF src.incremental AND src.has_bookmark THEN
                bound := src.start_date;    -- NULL: everything
            END IF;
        END IF;
        entry.bookmark_from := bound;
        -- a stream the API cannot filter is read whole anyway: read it all,
        -- so that what the read did not return can be deleted
        whole := entry.method = 'incremental' AND src.deletion IS NOT DISTINCT FROM 'whole' AND reconcile;
        -- a first load (or a full one into an empty copy): rows go straight
        -- from the read into the copy; there is nothing to update or delete
        EXECUTE pg_catalog.format('SELECT NOT EXISTS (SELECT FROM %s)', t.qualified) INTO fresh;
        fresh := fresh AND entry.method = 'full';

        -- read what changed; `<bookmark column> >= $1` is a plain comparison
        -- with a timestamptz parameter, which the FDW pushes down
        IF pg_catalog.to_regclass('pg_temp.intercom_fdw_read') IS NOT NULL THEN
            DROP TABLE pg_temp.intercom_fdw_read;
        END IF;
        IF pg_catalog.to_regclass('pg_temp.intercom_fdw_stage') IS NOT NULL THEN
            DROP TABLE pg_temp.intercom_fdw_stage;
        END IF;
        EXECUTE pg_catalog.format('CREATE TEMP TABLE intercom_fdw_read (LIKE %s) ON COMMIT DROP', source);
        sel := pg_catalog.format('INSERT INTO pg_temp.intercom_fdw_read SELECT * FROM %s', source);
        IF bound IS NOT NULL AND NOT whole THEN
            sel := sel || pg_catalog.format(' WHERE %I >= $1', src.bookmark_column);
        END IF;
        phase_t := clock_timestamp();
        phase_r := (@extschema@.request_stats()).requests;
        EXECUTE sel USING bound;
        GET DIAGNOSTICS n_read = ROW_COUNT;
        entry.read_ms := extract(epoch FROM clock_timestamp() - phase_t) * 1000;
        PERFORM @extschema@._progress(t.qualified, 'read', n_read, entry.read_ms,
                                      (@extschema@.request_stats()).requests - phase_r);

        -- one row per key: search paging can return a record twice; the
        -- newest copy wins.  A key shared by different records is a key
        -- that is not unique upstream: say so rather than lose rows quietly.
        phase_t := clock_timestamp();
        write_t := phase_t;
        IF fresh THEN
            -- no key read twice (the usual case, found by sorting the keys
            -- alone): the rows go in as read, without sorting whole rows
            EXECUTE pg_catalog.format('SELECT count(*) = count(DISTINCT %1$s) FROM pg_temp.intercom_fdw_read '
                                      'WHERE %1$s IS NOT NULL', pk) INTO unique_keys;
        END IF;
        EXECUTE pg_catalog.format(
            CASE WHEN fresh THEN 'INSERT INTO %4$s (%5$s) SELECT %5$s FROM ('
                 ELSE 'CREATE TEMP TABLE intercom_fdw_stage ON COMMIT DROP AS ' END ||
            CASE WHEN fresh AND unique_keys
                 THEN 'SELECT * FROM pg_temp.intercom_fdw_read WHERE %1$s IS NOT NULL'
                 ELSE 'SELECT DISTINCT ON (%1$s) * FROM pg_temp.intercom_fdw_read WHERE %1$s IS NOT NULL '
                      'ORDER BY %1$s%2$s%3$s' END ||
            CASE WHEN fresh THEN ') s' ELSE '' END, pk,
            CASE WHEN src.has_bookmark THEN pg_catalog.format(', %I DESC NULLS LAST', src.bookmark_column) ELSE '' END,
            CASE WHEN src.has_updated_at AND src.bookmark_column <> 'updated_at'
                 THEN ', updated_at DESC NULLS LAST' ELSE '' END,
            t.qualified, col_list);
        GET DIAGNOSTICS n_keys = ROW_COUNT;
        IF n_keys < n_read THEN
            EXECUTE pg_catalog.format(
                'SELECT count(*) FROM (SELECT FROM pg_temp.intercom_fdw_read r GROUP BY %1$s '
                'HAVING count(DISTINCT r::text) > 1) d', pk)
               INTO n_clash;
            IF n_clash > 0 THEN
                RAISE WARNING 'materialize %: % value(s) of the key "%" belong to more than one record of %',
                    t.qualified, n_clash, src.primary_key, source
                    USING DETAIL = 'The copy keeps one record per key value.',
                          HINT = 'The stream''s primary key (intercom_fdw.streams()) is not unique upstream.';
            END IF;
        END IF;
        DROP TABLE pg_temp.intercom_fdw_read;

        IF whole THEN
            -- the read completed (a failed read fails the run): it is the
            -- whole truth about the stream.  Then write only what changed
            -- since the bookmark, as a filtered read would have.
            EXECUTE pg_catalog.format(
                'DELETE FROM %s AS t WHERE NOT EXISTS '
                '(SELECT FROM pg_temp.intercom_fdw_stage s WHERE s.%s = t.%s)',
                t.qualified, pk, pk);
            GET DIAGNOSTICS n_del = ROW_COUNT;
            EXECUTE pg_catalog.format('DELETE FROM pg_temp.intercom_fdw_stage WHERE NOT (%I >= $1)',
                                      src.bookmark_column) USING bound;
            entry.reconcile := 'done: whole read';
            checked := true;
        END IF;

        -- upsert by primary key (a fresh copy has its rows already)
        IF fresh THEN
            n_up := n_keys;
        ELSE
            phase_t := clock_timestamp();
            EXECUTE pg_catalog.format('INSERT INTO %s AS t (%s) SELECT %s FROM pg_temp.intercom_fdw_stage '
                                      'ON CONFLICT (%s) DO %s',
                                      t.qualified, col_list, col_list, pk,
                                      CASE WHEN set_list IS NULL THEN 'NOTHING'
                                           ELSE 'UPDATE SET ' || set_list END);
            GET DIAGNOSTICS n_up = ROW_COUNT;
        END IF;
        PERFORM @extschema@._progress(t.qualified, 'upserted', n_up,
                                      extract(epoch FROM clock_timestamp() - phase_t) * 1000);

        -- drop what is gone upstream: a full read is the whole truth about
        -- the stream; for a stream in stream_parent, the rows read for a
        -- parent are the whole truth about that parent (a conversation
        -- returns its 500 most recent parts: the copy keeps what a full
        -- load would)
        n_gone := NULL;
        phase_t := clock_timestamp();
        IF fresh THEN
            n_gone := NULL;         -- the copy was empty: nothing is gone
        ELSIF entry.method = 'full' THEN
            EXECUTE pg_catalog.format(
                'DELETE FROM %s AS t WHERE NOT EXISTS '
                '(SELECT FROM pg_temp.intercom_fdw_stage s WHERE s.%s = t.%s)',
                t.qualified, pk, pk);
            GET DIAGNOSTICS n_gone = ROW_COUNT;
        ELSIF src.parent_key = ANY (cols) THEN
            EXECUTE pg_catalog.format(
                'DELETE FROM %1$s AS t WHERE t.%3$I IN (SELECT s.%3$I FROM pg_temp.intercom_fdw_stage s) '
                'AND NOT EXISTS (SELECT FROM pg_temp.intercom_fdw_stage s WHERE s.%2$s = t.%2$s)',
                t.qualified, pk, src.parent_key);
            GET DIAGNOSTICS n_gone = ROW_COUNT;
        END IF;
        IF n_gone IS NOT NULL THEN
            n_del := n_del + n_gone;
            PERFORM @extschema@._progress(t.qualified, 'deleted', n_del,
                                          extract(epoch FROM clock_timestamp() - phase_t) * 1000);
        END IF;
        IF NOT fresh THEN
            DROP TABLE pg_temp.intercom_fdw_stage;
        END IF;

        -- records deleted upstream (stream_deletion): a full read already
        -- mirrors the stream, an incremental one asks
        IF entry.method = 'full' THEN
            checked := true;
        ELSIF src.deletion IN ('feed', 'count') THEN
            rc := @extschema@._remove_deleted(source, t.qualified, src.deletion, src.deletion_key,
                                              src.deletion_audit, cols,
                                              pk, col_list, bound, run_start - lookback, src.start_date,
                                              reconcile, reconcile_every, st.last_reconciled_at, budget);
            n_del := n_del + rc.deleted;
            n_up := n_up + coalesce(rc.repaired, 0);
            entry.rows_merged := rc.merged;
            entry.rows_repaired := rc.repaired;
            entry.reconcile := rc.note;
            entry.reconcile_requests := rc.requests;
            checked := checked OR rc.checked;
        ELSIF src.deletion = 'whole' AND NOT reconcile THEN
            entry.reconcile := 'off';
        END IF;
        entry.write_ms := extract(epoch FROM clock_timestamp() - write_t) * 1000;
        EXECUTE pg_catalog.format('SELECT count(*) FROM %s', t.qualified) INTO n_rows;

        INSERT INTO @extschema@.sync_state AS s
               (target, source, stream, replication, bookmark, last_method, last_started_at,
                last_finished_at, last_rows_upserted, last_rows_deleted, rows, runs, last_reconciled_at)
        VALUES (t.qualified, source::text, src.stream,
                CASE WHEN src.incremental AND src.has_bookmark THEN 'incremental' ELSE 'full' END,
                run_start, entry.method, started, clock_timestamp(), n_up, n_del, n_rows, 1,
                CASE WHEN checked THEN run_start END)
        ON CONFLICT ON CONSTRAINT sync_state_pkey DO UPDATE
           SET source = EXCLUDED.source, stream = EXCLUDED.stream,
               replication = EXCLUDED.replication, bookmark = EXCLUDED.bookmark,
               last_method = EXCLUDED.last_method, last_started_at = EXCLUDED.last_started_at,
               last_finished_at = EXCLUDED.last_finished_at,
               last_rows_upserted = EXCLUDED.last_rows_upserted,
               last_rows_deleted = EXCLUDED.last_rows_deleted,
               rows = EXCLUDED.rows, runs = s.runs + 1,
               last_reconciled_at = coalesce(EXCLUDED.last_reconciled_at, s.last_reconciled_at);

        -- the log row commits with the data and the state, or not at all
        stats1 := @extschema@.request_stats();
        entry.status := 'succeeded';
        entry.started_at := started;
        entry.finished_at := clock_timestamp();
        entry.elapsed := entry.finished_at - started;
        entry.bookmark_to := run_start;
        entry.rows_read := n_read;
        entry.rows_upserted := n_up;
        entry.rows_deleted := n_del;
        entry.requests := stats1.requests - stats0.requests;
        entry.retries := stats1.retries - stats0.retries;
        entry.rate_limit_waits := stats1.rate_limit_waits - stats0.rate_limit_waits;
        PERFORM @extschema@._log(entry);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        -- the block's data, state and log row are rolled back; report the run
        GET STACKED DIAGNOSTICS entry.error_sqlstate = RETURNED_SQLSTATE,
                                entry.error_message = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT,
                                entry.error_context = PG_EXCEPTION_CONTEXT;
        stats1 := @extschema@.request_stats();
        entry.status := 'failed';
        entry.started_at := started;
        entry.finished_at := clock_timestamp();
        entry.elapsed := entry.finished_at - started;
        entry.bookmark_to := NULL;
        entry.rows_read := n_read;
        entry.rows_upserted := NULL;
        entry.rows_deleted := NULL;
        entry.rows_merged := NULL;
        entry.rows_repaired := NULL;
        entry.reconcile := NULL;
        entry.requests := stats1.requests - stats0.requests;
        entry.retries := stats1.retries - stats0.retries;
        entry.rate_limit_waits := stats1.rate_limit_waits - stats0.rate_limit_waits;
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
