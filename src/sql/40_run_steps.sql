-- intercom_fdw--1.0.sql, part 40: the steps of one run of materialize
-- (part 45 runs them in order).  Each step reads the run's plan: the copy,
-- its source's stream facts, and what this run reads.

CREATE TYPE _run_plan AS (
    source          regclass,
    target          text,           -- schema.table of the copy, quoted as needed
    stream          text,
    incremental     boolean,
    start_date      timestamptz,    -- the server's start_date option
    key             text,           -- the stream's primary key column
    pk              text,           -- the same, quoted
    has_updated_at  boolean,
    bookmark_column text,           -- what incremental reads filter on
    has_bookmark    boolean,
    parent_key      text,           -- stream_parent: the column naming the parent
    deletion        text,           -- stream_deletion: feed, whole, count or NULL
    deletion_key    text,
    deletion_audit  boolean,
    source_cols     text[],         -- the foreign table's columns
    cols            text[],         -- columns both the source and the copy have
    col_list        text,           -- those, quoted, comma separated
    set_list        text,           -- "c = EXCLUDED.c" for each but the key
    method          text,           -- 'incremental' or 'full'
    bound           timestamptz,    -- read <bookmark column> >= bound (NULL: all)
    whole           boolean,        -- read whole although incremental (deletion 'whole')
    fresh           boolean,        -- a full read into an empty copy
    direct          boolean         -- fresh, into a copy this run created: read straight
                                    -- into it, keyed after (_key_loaded)
);

-- How a key's records are ordered newest first, for the ORDER BY after the
-- key: by the bookmark column, then updated_at (when they are not the same).
CREATE FUNCTION _newest_first(p @extschema@._run_plan)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN p.has_bookmark THEN pg_catalog.format(', %I DESC NULLS LAST', p.bookmark_column) ELSE '' END
        || CASE WHEN p.has_updated_at AND p.bookmark_column <> 'updated_at'
                THEN ', updated_at DESC NULLS LAST' ELSE '' END
$$;

-- Delete the copy's rows whose key the stage (a read that is the whole
-- truth about the stream) does not have; the rows deleted.
CREATE FUNCTION _delete_unread(p @extschema@._run_plan)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE pg_catalog.format(
        'DELETE FROM %1$s AS t WHERE NOT EXISTS (SELECT FROM pg_temp.intercom_fdw_stage s WHERE s.%2$s = t.%2$s)',
        p.target, p.pk);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- The plan's first half: which copy, and the facts of the source's stream.
CREATE FUNCTION _plan(source regclass, target text)
RETURNS @extschema@._run_plan
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    src record := @extschema@._source_info(source);
    p   @extschema@._run_plan;
BEGIN
    p.source := source;
    p.target := (@extschema@._target_name(target)).qualified;
    p.stream := src.stream;
    p.incremental := src.incremental;
    p.start_date := src.start_date;
    p.key := src.primary_key;
    p.pk := quote_ident(src.primary_key);
    p.has_updated_at := src.has_updated_at;
    p.bookmark_column := src.bookmark_column;
    p.has_bookmark := src.has_bookmark;
    p.parent_key := src.parent_key;
    p.deletion := src.deletion;
    p.deletion_key := src.deletion_key;
    p.deletion_audit := src.deletion_audit;
    p.source_cols := src.columns;
    RETURN p;
END
$$;

-- The copy's state row, locked for the run; a copy of another source is
-- refused.  The caller holds the copy's advisory lock.
CREATE FUNCTION _state(p @extschema@._run_plan)
RETURNS @extschema@.sync_state
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    st @extschema@.sync_state;
BEGIN
    SELECT * INTO st FROM @extschema@.sync_state s WHERE s.target = p.target FOR UPDATE;
    IF FOUND AND st.source <> p.source::text THEN
        RAISE EXCEPTION 'target "%" is a copy of %, not of %', p.target, st.source, p.source
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Use another target, or forget the old one with intercom_fdw.reset(target).';
    END IF;
    RETURN st;
END
$$;

/*
 * _prepare_target
 *		The copy: created on the first run, with the source's columns (its
 *		primary key comes once its rows are in: _plan_read, _key_loaded);
 *		else checked for a key on the stream's primary key, and given the
 *		columns the source gained since.  added: it gained columns, and
 *		this run must read everything.
 *
 * IMPORT FOREIGN SCHEMA run again adds the fields Intercom started sending;
 * Intercom does not touch updated_at when it adds a field, so only a full
 * read fills them.  SET intercom_fdw.copy_new_columns = off keeps the copy's
 * columns.
 */
CREATE FUNCTION _prepare_target(p @extschema@._run_plan, OUT created boolean, OUT added boolean)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    tgt     regclass := pg_catalog.to_regclass(p.target);
    columns text[];
BEGIN
    created := tgt IS NULL;
    added := false;
    IF created THEN
        EXECUTE pg_catalog.format('CREATE TABLE %s (LIKE %s)', p.target, p.source);
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_index i
                    WHERE i.indrelid = tgt AND i.indisunique AND i.indnatts = 1
                      AND i.indpred IS NULL AND i.indimmediate
                      AND i.indkey[0] = (SELECT a.attnum FROM pg_catalog.pg_attribute a
                                          WHERE a.attrelid = tgt AND a.attname = p.key
                                            AND NOT a.attisdropped)) THEN
        RAISE EXCEPTION 'the copy "%" has no primary key or unique index on "%"', p.target, p.key
            USING ERRCODE = 'invalid_table_definition',
                  HINT = pg_catalog.format('ALTER TABLE %s ADD PRIMARY KEY (%s);', p.target, p.pk);
    END IF;
    IF @extschema@._turned_off('intercom_fdw.copy_new_columns') THEN
        RETURN;
    END IF;
    SELECT array_agg(pg_catalog.format('%I %s', a.attname,
                                       pg_catalog.format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
      INTO columns
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = p.source AND a.attnum > 0 AND NOT a.attisdropped
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_attribute b
                        WHERE b.attrelid = tgt AND b.attname = a.attname
                          AND b.attnum > 0 AND NOT b.attisdropped);
    IF columns IS NULL THEN
        RETURN;
    END IF;
    EXECUTE pg_catalog.format('ALTER TABLE %s %s', p.target,
        (SELECT string_agg('ADD COLUMN ' || d, ', ') FROM unnest(columns) d));
    RAISE NOTICE 'materialize %: added column(s) % of %; this run reads every record to fill them',
        p.target, array_to_string(columns, ', '), p.source;
    added := true;
END
$$;

/*
 * _plan_read
 *		The plan's second half: the columns both sides have (a Stitch table
 *		may have more, or fewer), and what this run reads.
 *
 * An incremental stream with a bookmark reads `<bookmark column> >=
 * bookmark - lookback` (not before the server's start_date); else the run
 * is full (from start_date, for incremental streams).  A stream the API
 * cannot filter (deletion 'whole') is read whole anyway, so that what the
 * read did not return can be deleted.  A full read into an empty copy is
 * fresh: rows go straight into the copy, nothing to update or delete.  A
 * copy created by this run (`created`, still without its primary key) is
 * loaded directly when fresh, and keyed now otherwise.
 */
CREATE FUNCTION _plan_read(p @extschema@._run_plan, st @extschema@.sync_state, created boolean,
                           full_refresh boolean, lookback interval, reconcile boolean)
RETURNS @extschema@._run_plan
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    empty boolean;
BEGIN
    SELECT array_agg(u.c ORDER BY u.o) INTO p.cols
      FROM unnest(p.source_cols) WITH ORDINALITY u(c, o)
     WHERE EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = p.target::regclass AND a.attname = u.c
                      AND a.attnum > 0 AND NOT a.attisdropped);
    SELECT string_agg(quote_ident(c), ', '),
           string_agg(pg_catalog.format('%1$I = EXCLUDED.%1$I', c), ', ') FILTER (WHERE c <> p.key)
      INTO p.col_list, p.set_list
      FROM unnest(p.cols) c;

    IF p.incremental AND p.has_bookmark AND st.bookmark IS NOT NULL AND NOT full_refresh THEN
        p.method := 'incremental';
        p.bound := greatest(st.bookmark - lookback, p.start_date);
    ELSE
        p.method := 'full';
        p.bound := CASE WHEN p.incremental AND p.has_bookmark THEN p.start_date END;   -- NULL: everything
    END IF;
    p.whole := p.method = 'incremental' AND p.deletion IS NOT DISTINCT FROM 'whole' AND reconcile;
    EXECUTE pg_catalog.format('SELECT NOT EXISTS (SELECT FROM %s)', p.target) INTO empty;
    p.fresh := empty AND p.method = 'full';
    p.direct := created AND p.fresh;
    IF created AND NOT p.direct THEN
        -- an incremental run into a new copy (its state outlived it)
        EXECUTE pg_catalog.format('ALTER TABLE %s ADD PRIMARY KEY (%s)', p.target, p.pk);
    END IF;
    RETURN p;
END
$$;

/*
 * _read
 *		Read what the plan says into pg_temp.intercom_fdw_read, or for a
 *		direct plan straight into the copy: the rows, and the time it took.
 *		`<bookmark column> >= $1` is a plain comparison with a timestamptz
 *		parameter, which the FDW pushes down.
 */
CREATE FUNCTION _read(p @extschema@._run_plan, OUT nrows bigint, OUT ms double precision)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    started  timestamptz;
    requests bigint := (@extschema@.request_stats()).requests;
    sel      text := pg_catalog.format('INSERT INTO pg_temp.intercom_fdw_read SELECT * FROM %s', p.source);
BEGIN
    -- what a failed run earlier in this transaction left
    IF pg_catalog.to_regclass('pg_temp.intercom_fdw_read') IS NOT NULL THEN
        DROP TABLE pg_temp.intercom_fdw_read;
    END IF;
    IF pg_catalog.to_regclass('pg_temp.intercom_fdw_stage') IS NOT NULL THEN
        DROP TABLE pg_temp.intercom_fdw_stage;
    END IF;
    IF p.direct THEN
        sel := pg_catalog.format('INSERT INTO %s (%s) SELECT %s FROM %s',
                                 p.target, p.col_list, p.col_list, p.source);
    ELSE
        EXECUTE pg_catalog.format('CREATE TEMP TABLE intercom_fdw_read (LIKE %s) ON COMMIT DROP', p.source);
    END IF;
    IF p.bound IS NOT NULL AND NOT p.whole THEN
        sel := sel || pg_catalog.format(' WHERE %I >= $1', p.bookmark_column);
    END IF;
    started := clock_timestamp();
    EXECUTE sel USING p.bound;
    GET DIAGNOSTICS nrows = ROW_COUNT;
    ms := extract(epoch FROM clock_timestamp() - started) * 1000;
    PERFORM @extschema@._progress(p.target, 'read', nrows, ms,
                                  (@extschema@.request_stats()).requests - requests);
END
$$;

/*
 * _clashes
 *		The key values that more than one different record of `rel` has: a
 *		key not unique upstream.  A WARNING says so rather than lose rows
 *		quietly (the copy keeps one record per key value).
 */
CREATE FUNCTION _clashes(p @extschema@._run_plan, rel text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE pg_catalog.format('SELECT count(*) FROM (SELECT FROM %2$s r GROUP BY %1$s '
                              'HAVING count(DISTINCT r::text) > 1) d', p.pk, rel)
       INTO n;
    IF n > 0 THEN
        RAISE WARNING 'materialize %: % value(s) of the key "%" belong to more than one record of %',
            p.target, n, p.key, p.source
            USING DETAIL = 'The copy keeps one record per key value.',
                  HINT = 'The stream''s primary key (intercom_fdw.streams()) is not unique upstream.';
    END IF;
END
$$;

/*
 * _key_loaded
 *		Give a copy loaded directly (_read, direct plan) its primary key:
 *		the rows kept.
 *
 * Usually every key was read once: the key's index is then built in one
 * sort of the keys, and nothing else is done.  When that fails (a record
 * updated during the read and returned twice, or a row without a key),
 * the rows without a key go, each key keeps its newest record (by the
 * bookmark column, then updated_at: _newest_first), and the key is added
 * again.
 */
CREATE FUNCTION _key_loaded(p @extschema@._run_plan, nread bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    add_key text := pg_catalog.format('ALTER TABLE %s ADD PRIMARY KEY (%s)', p.target, p.pk);
    n       bigint;
BEGIN
    BEGIN
        EXECUTE add_key;
        RETURN nread;
    EXCEPTION WHEN unique_violation OR not_null_violation THEN
        NULL;   -- the rows are still there: only the key is rolled back
    END;
    PERFORM @extschema@._clashes(p, p.target);
    EXECUTE pg_catalog.format(
        'DELETE FROM %1$s t USING (SELECT ctid AS rid, row_number() OVER (PARTITION BY %2$s '
        'ORDER BY %2$s%3$s) AS nth FROM %1$s) d WHERE t.ctid = d.rid AND (d.nth > 1 OR t.%2$s IS NULL)',
        p.target, p.pk, @extschema@._newest_first(p));
    GET DIAGNOSTICS n = ROW_COUNT;
    EXECUTE add_key;
    RETURN nread - n;
END
$$;

/*
 * _stage
 *		One row per key of what was read: search paging can return a record
 *		twice, and the newest copy wins (_newest_first).  Into
 *		pg_temp.intercom_fdw_stage, or for a fresh plan straight into the
 *		copy; the rows kept.
 *
 * A fresh copy whose keys were all read once (the usual case, found by
 * sorting the keys alone) takes the rows as read, without sorting whole
 * rows.  A key shared by different records is a key that is not unique
 * upstream: a WARNING says so rather than lose rows quietly.
 */
CREATE FUNCTION _stage(p @extschema@._run_plan, nread bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    unique_keys boolean := false;
    nkeys       bigint;
BEGIN
    IF p.direct THEN
        RETURN @extschema@._key_loaded(p, nread);
    END IF;
    IF p.fresh THEN
        EXECUTE pg_catalog.format('SELECT count(*) = count(DISTINCT %1$s) FROM pg_temp.intercom_fdw_read '
                                  'WHERE %1$s IS NOT NULL', p.pk) INTO unique_keys;
    END IF;
    EXECUTE pg_catalog.format(
        CASE WHEN p.fresh THEN 'INSERT INTO %3$s (%4$s) SELECT %4$s FROM ('
             ELSE 'CREATE TEMP TABLE intercom_fdw_stage ON COMMIT DROP AS ' END ||
        CASE WHEN p.fresh AND unique_keys
             THEN 'SELECT * FROM pg_temp.intercom_fdw_read WHERE %1$s IS NOT NULL'
             ELSE 'SELECT DISTINCT ON (%1$s) * FROM pg_temp.intercom_fdw_read WHERE %1$s IS NOT NULL '
                  'ORDER BY %1$s%2$s' END ||
        CASE WHEN p.fresh THEN ') s' ELSE '' END, p.pk,
        @extschema@._newest_first(p), p.target, p.col_list);
    GET DIAGNOSTICS nkeys = ROW_COUNT;
    IF nkeys < nread THEN
        PERFORM @extschema@._clashes(p, 'pg_temp.intercom_fdw_read');
    END IF;
    DROP TABLE pg_temp.intercom_fdw_read;
    RETURN nkeys;
END
$$;

/*
 * _mirror_whole
 *		For a stream read whole although incremental: the read completed (a
 *		failed read fails the run), so it is the whole truth about the
 *		stream.  Delete the copy's rows it did not return (the rows
 *		deleted), then keep in the stage only what changed since the bound,
 *		as a filtered read would have.
 */
CREATE FUNCTION _mirror_whole(p @extschema@._run_plan)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    n bigint;
BEGIN
    n := @extschema@._delete_unread(p);
    EXECUTE pg_catalog.format('DELETE FROM pg_temp.intercom_fdw_stage WHERE NOT (%I >= $1)', p.bookmark_column)
      USING p.bound;
    RETURN n;
END
$$;

-- Upsert the stage into the copy by primary key; the rows written.
CREATE FUNCTION _upsert(p @extschema@._run_plan)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE pg_catalog.format('INSERT INTO %s AS t (%s) SELECT %s FROM pg_temp.intercom_fdw_stage '
                              'ON CONFLICT (%s) DO %s',
                              p.target, p.col_list, p.col_list, p.pk,
                              CASE WHEN p.set_list IS NULL THEN 'NOTHING' ELSE 'UPDATE SET ' || p.set_list END);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

/*
 * _remove_gone
 *		Delete what the read shows is gone upstream, and drop the stage;
 *		the rows deleted, or NULL when the read says nothing of that.
 *
 * A full read is the whole truth about the stream; for a stream in
 * stream_parent, the rows read for a parent are the whole truth about that
 * parent (a conversation returns its 500 most recent parts: the copy keeps
 * what a full load would).  A fresh copy was empty: nothing is gone.
 */
CREATE FUNCTION _remove_gone(p @extschema@._run_plan)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    n bigint;
BEGIN
    IF p.fresh THEN
        RETURN NULL;
    END IF;
    IF p.method = 'full' THEN
        n := @extschema@._delete_unread(p);
    ELSIF p.parent_key = ANY (p.cols) THEN
        EXECUTE pg_catalog.format(
            'DELETE FROM %1$s AS t WHERE t.%3$I IN (SELECT s.%3$I FROM pg_temp.intercom_fdw_stage s) '
            'AND NOT EXISTS (SELECT FROM pg_temp.intercom_fdw_stage s WHERE s.%2$s = t.%2$s)',
            p.target, p.pk, p.parent_key);
        GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    DROP TABLE pg_temp.intercom_fdw_stage;
    RETURN n;
END
$$;

/*
 * _upstream_deletions
 *		Records deleted upstream (stream_deletion): a full read already
 *		mirrors the stream (checked), a whole read has removed them
 *		(_mirror_whole), an incremental run of a 'feed' or 'count' stream
 *		asks (_remove_deleted).  What _remove_deleted returns; note 'off'
 *		for a whole stream with reconcile off, NULL where nothing was asked.
 */
CREATE FUNCTION _upstream_deletions(p @extschema@._run_plan, st @extschema@.sync_state,
                                    upper timestamptz, reconcile boolean,
                                    reconcile_every interval, budget bigint,
                                    OUT deleted bigint, OUT merged bigint, OUT repaired bigint,
                                    OUT requests bigint, OUT note text, OUT checked boolean)
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    deleted := 0;
    checked := p.method = 'full';
    IF p.method = 'incremental' AND p.deletion IN ('feed', 'count') THEN
        SELECT * INTO deleted, merged, repaired, requests, note, checked
          FROM @extschema@._remove_deleted(p.source, p.target, p.deletion, p.deletion_key,
                   p.deletion_audit, p.cols, p.pk, p.col_list, p.bound, upper, p.start_date,
                   reconcile, reconcile_every, st.last_reconciled_at, budget);
    ELSIF p.method = 'incremental' AND p.deletion = 'whole' AND NOT reconcile THEN
        note := 'off';
    END IF;
END
$$;

/*
 * _save_state
 *		The copy's sync_state row after a successful run: the new bookmark
 *		(run_start), the run's counts, and run_start as last_reconciled_at
 *		when deletions were looked for in full (checked).  The rows now in
 *		the copy.
 */
CREATE FUNCTION _save_state(p @extschema@._run_plan, run_start timestamptz, started timestamptz,
                            upserted bigint, deleted bigint, checked boolean)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE pg_catalog.format('SELECT count(*) FROM %s', p.target) INTO n;
    INSERT INTO @extschema@.sync_state AS s
           (target, source, stream, replication, bookmark, last_method, last_started_at,
            last_finished_at, last_rows_upserted, last_rows_deleted, rows, runs, last_reconciled_at)
    VALUES (p.target, p.source::text, p.stream,
            CASE WHEN p.incremental AND p.has_bookmark THEN 'incremental' ELSE 'full' END,
            run_start, p.method, started, clock_timestamp(), upserted, deleted, n, 1,
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
    RETURN n;
END
$$;

/*
 * _close_entry
 *		A run's sync_log entry, finished now with `status`: its times, and
 *		the requests, retries and rate-limit waits since the counters were
 *		(requests0, retries0, waits0) at its start.  A failed run was rolled
 *		back: it wrote nothing and moved no bookmark.
 */
CREATE FUNCTION _close_entry(entry @extschema@.sync_log, status text, started timestamptz,
                             requests0 bigint, retries0 bigint, waits0 bigint)
RETURNS @extschema@.sync_log
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    now_stats record := @extschema@.request_stats();
BEGIN
    entry.status := status;
    entry.started_at := started;
    entry.finished_at := clock_timestamp();
    entry.elapsed := entry.finished_at - started;
    entry.requests := now_stats.requests - requests0;
    entry.retries := now_stats.retries - retries0;
    entry.rate_limit_waits := now_stats.rate_limit_waits - waits0;
    IF status = 'failed' THEN
        entry.bookmark_to := NULL;
        entry.rows_upserted := NULL;
        entry.rows_deleted := NULL;
        entry.rows_merged := NULL;
        entry.rows_repaired := NULL;
        entry.reconcile := NULL;
    END IF;
    RETURN entry;
END
$$;
