/* intercom_fdw--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION intercom_fdw" to load this file. \quit

CREATE FUNCTION intercom_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION intercom_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER intercom_fdw
  HANDLER intercom_fdw_handler
  VALIDATOR intercom_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER intercom_fdw IS 'Intercom REST API as foreign tables';

-- Request counters of this backend since it started: what materialize and
-- the benchmarks report, and what a user can check after a query.
CREATE FUNCTION request_stats(
    OUT requests bigint, OUT retries bigint, OUT rate_limit_waits bigint,
    OUT bytes bigint, OUT wait_ms double precision)
RETURNS record
AS 'MODULE_PATHNAME', 'intercom_fdw_request_stats'
LANGUAGE C STRICT VOLATILE;

-- The stream catalogue: the tables, their primary keys, replication (and the
-- column incremental reads are bounded on: updated_at, or created_at for the
-- activity log).
CREATE FUNCTION streams(
    OUT stream text, OUT primary_key text, OUT incremental boolean,
    OUT request text, OUT replication_key text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'intercom_fdw_streams'
LANGUAGE C STRICT IMMUTABLE;

-- ===========================================================================
-- materialize: keep local copies of foreign tables up to date
-- (docs/materialize.md).  Everything below is PL/pgSQL over the foreign
-- tables: incremental streams read only what changed since a bookmark (the
-- FDW pushes `updated_at >= $1` down to the search API), full streams are
-- read whole and mirrored.  A run's data, state and log row commit together;
-- CALL materialize_run also keeps the log row of a run that failed.
-- ===========================================================================

-- One row per copy: where it comes from and how far it has read.
CREATE TABLE sync_state (
    target          text PRIMARY KEY,       -- schema.table of the copy, quoted as needed
    source          text NOT NULL,          -- the foreign table, as regclass text
    stream          text NOT NULL,
    replication     text NOT NULL CHECK (replication IN ('incremental', 'full')),
    bookmark        timestamptz,            -- next run reads <bookmark column> >= bookmark - lookback
    last_method     text,                   -- 'incremental', 'full', or 'imported'
    last_started_at timestamptz,
    last_finished_at timestamptz,
    last_rows_upserted bigint,
    last_rows_deleted bigint,
    rows            bigint,                 -- rows in the copy after the last run
    runs            bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE sync_state IS 'intercom_fdw.materialize: one row per copy (bookmark, last run)';

-- One row per run: every successful run, and every failed run made with
-- CALL materialize_run (a failed SELECT materialize() rolls its row back).
CREATE TABLE sync_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target          text NOT NULL,
    source          text NOT NULL,
    stream          text,
    method          text,
    status          text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    elapsed         interval NOT NULL,
    read_ms         double precision,
    write_ms        double precision,
    bookmark_from   timestamptz,
    bookmark_to     timestamptz,
    rows_read       bigint,
    rows_upserted   bigint,
    rows_deleted    bigint,
    requests        bigint,
    retries         bigint,
    rate_limit_waits bigint,
    error_sqlstate  text,
    error_message   text,
    error_detail    text,
    error_hint      text,
    error_context   text                    -- PostgreSQL's CONTEXT: e.g. the column and record of a bad value
);
CREATE INDEX sync_log_target_idx ON sync_log (target, started_at);
COMMENT ON TABLE sync_log IS 'intercom_fdw.materialize: one row per run, successful or failed';

-- pg_dump keeps the state and the log with the data they describe, and the
-- log's id sequence with them: restored without it, the sequence would
-- start again at 1 and the next run's log row would clash with a restored one.
SELECT pg_catalog.pg_extension_config_dump('sync_state', '');
SELECT pg_catalog.pg_extension_config_dump('sync_log', '');
SELECT pg_catalog.pg_extension_config_dump('sync_log_id_seq', '');

-- Streams whose rows carry their parent's fields: every conversation part
-- has its conversation's id, updated_at and part count, so when a
-- conversation changes, all of its parts change, whatever their own
-- updated_at.  An incremental run of such a stream selects rows by the
-- parent's updated_at and rewrites every row of each parent it reads (the
-- parent's rows in the copy are then exactly those the API returned for it).
-- Data, not code: ticket parts or link tables get one row here.
CREATE TABLE stream_parent (
    stream            text PRIMARY KEY,   -- as in streams()
    parent_key        text NOT NULL,      -- column naming the parent record
    parent_updated_at text NOT NULL       -- column with the parent's updated_at: the bookmark column
);
INSERT INTO stream_parent VALUES ('conversation_parts', 'conversation_id', 'conversation_updated_at'),
                                  ('ticket_parts', 'ticket_id', 'ticket_updated_at');
COMMENT ON TABLE stream_parent IS
    'intercom_fdw.materialize: streams whose rows carry their parent''s fields; a changed parent''s rows are all rewritten';
GRANT SELECT ON stream_parent TO PUBLIC;

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

-- "schema.table" as the state key, whichever way the caller wrote it.
CREATE FUNCTION _target_name(target text, OUT nsp text, OUT rel text, OUT qualified text)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    parts text[] := pg_catalog.parse_ident(target);
BEGIN
    CASE pg_catalog.cardinality(parts)
        WHEN 1 THEN
            nsp := pg_catalog.current_schema();
            rel := parts[1];
            IF nsp IS NULL THEN
                RAISE EXCEPTION 'no schema to create "%" in', target
                    USING ERRCODE = 'invalid_schema_name',
                          HINT = 'Qualify the target, e.g. ''public.' || target || '''.';
            END IF;
        WHEN 2 THEN
            nsp := parts[1];
            rel := parts[2];
        ELSE
            RAISE EXCEPTION 'invalid target name "%"', target
                USING ERRCODE = 'invalid_name',
                      HINT = 'Give a table name, optionally schema-qualified.';
    END CASE;
    qualified := pg_catalog.format('%I.%I', nsp, rel);
END
$$;

-- The foreign table's stream, primary key and replication method, and the
-- column incremental runs filter on: updated_at, or for a stream in
-- stream_parent its parent's updated_at (then parent_key names the parent,
-- when the table has that column).  Without its bookmark column a table is
-- read whole on every run.
CREATE FUNCTION _source_info(source regclass,
    OUT stream text, OUT primary_key text, OUT incremental boolean,
    OUT start_date timestamptz, OUT columns text[], OUT has_updated_at boolean,
    OUT bookmark_column text, OUT has_bookmark boolean, OUT parent_key text)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    opts text[];
    sopts text[];
BEGIN
    SELECT ft.ftoptions, s.srvoptions INTO opts, sopts
      FROM pg_catalog.pg_foreign_table ft
      JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
      JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
     WHERE ft.ftrelid = source AND w.fdwname = 'intercom_fdw';
    IF NOT FOUND THEN
        RAISE EXCEPTION '"%" is not an intercom_fdw foreign table', source
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Pass a table created by IMPORT FOREIGN SCHEMA intercom FROM SERVER ...';
    END IF;
    SELECT substr(o, 8) INTO stream FROM unnest(opts) o WHERE o LIKE 'stream=%';
    SELECT substr(o, 12)::timestamptz INTO start_date FROM unnest(sopts) o WHERE o LIKE 'start\_date=%';
    -- the bookmark: the stream's replication key (updated_at, or created_at
    -- for the activity log) ...
    SELECT s.primary_key, s.incremental, coalesce(s.replication_key, 'updated_at')
      INTO primary_key, incremental, bookmark_column
      FROM @extschema@.streams() s WHERE s.stream = _source_info.stream;
    IF primary_key IS NULL THEN
        RAISE EXCEPTION 'foreign table "%" has no valid "stream" option', source
            USING ERRCODE = 'fdw_option_name_not_found';
    END IF;
    SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO columns
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT primary_key = ANY (columns) THEN
        RAISE EXCEPTION 'foreign table "%" has no column "%", the primary key of stream %',
                        source, primary_key, stream
            USING ERRCODE = 'undefined_column',
                  HINT = 'materialize keys the copy on the stream''s primary key; add the column.';
    END IF;
    -- ... or, for rows that carry their parent's fields, the parent's
    -- updated_at (stream_parent), so that a changed parent's rows are all read
    IF EXISTS (SELECT FROM @extschema@.stream_parent p WHERE p.stream = _source_info.stream) THEN
        SELECT p.parent_key, p.parent_updated_at INTO parent_key, bookmark_column
          FROM @extschema@.stream_parent p WHERE p.stream = _source_info.stream;
    END IF;
    IF NOT parent_key = ANY (columns) THEN
        parent_key := NULL;
    END IF;
    has_updated_at := EXISTS (SELECT FROM pg_catalog.pg_attribute a
                               WHERE a.attrelid = source AND a.attname = 'updated_at'
                                 AND a.atttypid = 'timestamptz'::regtype AND NOT a.attisdropped);
    has_bookmark := EXISTS (SELECT FROM pg_catalog.pg_attribute a
                             WHERE a.attrelid = source AND a.attname = bookmark_column
                               AND a.atttypid = 'timestamptz'::regtype AND NOT a.attisdropped);
END
$$;

-- A progress NOTICE unless SET intercom_fdw.progress = off.
CREATE FUNCTION _progress(target text, phase text, nrows bigint, ms double precision,
                          requests bigint DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF lower(coalesce(nullif(current_setting('intercom_fdw.progress', true), ''), 'on'))
       IN ('off', 'false', 'no', '0') THEN
        RETURN;
    END IF;
    RAISE NOTICE 'materialize %: % % rows in % s (% rows/s)%', target, phase, nrows,
        round((ms / 1000)::numeric, 1),
        CASE WHEN ms > 0 THEN round(nrows * 1000 / ms)::text ELSE '-' END,
        CASE WHEN requests IS NULL THEN '' ELSE ', ' || requests || ' requests' END;
END
$$;

-- Append a run to sync_log (every column but the id).
CREATE FUNCTION _log(entry @extschema@.sync_log)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO @extschema@.sync_log (target, source, stream, method, status, started_at, finished_at,
        elapsed, read_ms, write_ms, bookmark_from, bookmark_to, rows_read, rows_upserted, rows_deleted,
        requests, retries, rate_limit_waits, error_sqlstate, error_message, error_detail, error_hint,
        error_context)
    VALUES (entry.target, entry.source, entry.stream, entry.method, entry.status, entry.started_at,
        entry.finished_at, entry.elapsed, entry.read_ms, entry.write_ms, entry.bookmark_from,
        entry.bookmark_to, entry.rows_read, entry.rows_upserted, entry.rows_deleted, entry.requests,
        entry.retries, entry.rate_limit_waits, entry.error_sqlstate, entry.error_message,
        entry.error_detail, entry.error_hint, entry.error_context)
$$;

-- Raise a failed run's error again: same SQLSTATE, message, detail and hint
-- (its CONTEXT stays in the log row: RAISE cannot set one).
CREATE FUNCTION _raise(entry @extschema@.sync_log)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    -- an empty DETAIL or HINT option would still print an empty line
    IF entry.error_detail IS NOT NULL AND entry.error_hint IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = entry.error_sqlstate, MESSAGE = entry.error_message,
                              DETAIL = entry.error_detail, HINT = entry.error_hint;
    ELSIF entry.error_detail IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = entry.error_sqlstate, MESSAGE = entry.error_message,
                              DETAIL = entry.error_detail;
    ELSIF entry.error_hint IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = entry.error_sqlstate, MESSAGE = entry.error_message,
                              HINT = entry.error_hint;
    ELSE
        RAISE EXCEPTION USING ERRCODE = entry.error_sqlstate, MESSAGE = entry.error_message;
    END IF;
END
$$;

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
 * is missed.
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
                     rethrow boolean)
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
    n_clash   bigint;
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
        IF bound IS NOT NULL THEN
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
        EXECUTE pg_catalog.format(
            'CREATE TEMP TABLE intercom_fdw_stage ON COMMIT DROP AS '
            'SELECT DISTINCT ON (%1$s) * FROM pg_temp.intercom_fdw_read WHERE %1$s IS NOT NULL '
            'ORDER BY %1$s%2$s%3$s', pk,
            CASE WHEN src.has_bookmark THEN pg_catalog.format(', %I DESC NULLS LAST', src.bookmark_column) ELSE '' END,
            CASE WHEN src.has_updated_at AND src.bookmark_column <> 'updated_at'
                 THEN ', updated_at DESC NULLS LAST' ELSE '' END);
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

        -- upsert by primary key
        phase_t := clock_timestamp();
        write_t := phase_t;
        EXECUTE pg_catalog.format('INSERT INTO %s AS t (%s) SELECT %s FROM pg_temp.intercom_fdw_stage '
                                  'ON CONFLICT (%s) DO %s',
                                  t.qualified, col_list, col_list, pk,
                                  CASE WHEN set_list IS NULL THEN 'NOTHING'
                                       ELSE 'UPDATE SET ' || set_list END);
        GET DIAGNOSTICS n_up = ROW_COUNT;
        PERFORM @extschema@._progress(t.qualified, 'upserted', n_up,
                                      extract(epoch FROM clock_timestamp() - phase_t) * 1000);

        -- drop what is gone upstream: a full read is the whole truth about
        -- the stream; for a stream in stream_parent, the rows read for a
        -- parent are the whole truth about that parent (a conversation
        -- returns its 500 most recent parts: the copy keeps what a full
        -- load would)
        n_gone := NULL;
        phase_t := clock_timestamp();
        IF entry.method = 'full' THEN
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
            n_del := n_gone;
            PERFORM @extschema@._progress(t.qualified, 'deleted', n_del,
                                          extract(epoch FROM clock_timestamp() - phase_t) * 1000);
        END IF;
        DROP TABLE pg_temp.intercom_fdw_stage;
        entry.write_ms := extract(epoch FROM clock_timestamp() - write_t) * 1000;
        EXECUTE pg_catalog.format('SELECT count(*) FROM %s', t.qualified) INTO n_rows;

        INSERT INTO @extschema@.sync_state AS s
               (target, source, stream, replication, bookmark, last_method, last_started_at,
                last_finished_at, last_rows_upserted, last_rows_deleted, rows, runs)
        VALUES (t.qualified, source::text, src.stream,
                CASE WHEN src.incremental AND src.has_bookmark THEN 'incremental' ELSE 'full' END,
                run_start, entry.method, started, clock_timestamp(), n_up, n_del, n_rows, 1)
        ON CONFLICT ON CONSTRAINT sync_state_pkey DO UPDATE
           SET source = EXCLUDED.source, stream = EXCLUDED.stream,
               replication = EXCLUDED.replication, bookmark = EXCLUDED.bookmark,
               last_method = EXCLUDED.last_method, last_started_at = EXCLUDED.last_started_at,
               last_finished_at = EXCLUDED.last_finished_at,
               last_rows_upserted = EXCLUDED.last_rows_upserted,
               last_rows_deleted = EXCLUDED.last_rows_deleted,
               rows = EXCLUDED.rows, runs = s.runs + 1;

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
                            lookback interval DEFAULT NULL)
RETURNS materialize_result
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    entry @extschema@.sync_log := @extschema@._run(source, target, full_refresh, lookback, true);
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
COMMENT ON FUNCTION materialize(regclass, text, boolean, interval) IS
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
    entry := @extschema@._run(source, target, full_refresh, lookback, false);
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
COMMENT ON PROCEDURE materialize_run(regclass, text, boolean, interval, text, bigint, bigint,
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

-- tap-intercom's timestamps: ISO 8601 with or without fraction and zone.
CREATE FUNCTION _stitch_time(value jsonb)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT CASE jsonb_typeof(value)
        WHEN 'string' THEN (value #>> '{}')::timestamptz
        WHEN 'number' THEN to_timestamp((value #>> '{}')::double precision)
    END
$$;

-- Continue from a Stitch (tap-intercom) state: the next run of `target` reads
-- from the stream's bookmark instead of loading everything.
CREATE FUNCTION import_state(target text, source regclass, state jsonb)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    q text := (@extschema@._target_name(target)).qualified;
    src record := @extschema@._source_info(source);
    b jsonb := coalesce(state -> 'bookmarks', state) -> src.stream;
    mark timestamptz;
BEGIN
    IF NOT src.incremental THEN
        RAISE EXCEPTION 'stream % is replicated in full; it has no bookmark to import', src.stream
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(b) = 'object' THEN
        b := coalesce(b -> 'updated_at', b -> 'updated_at_timestamp');
    END IF;
    mark := @extschema@._stitch_time(b);
    IF mark IS NULL THEN
        RAISE EXCEPTION 'the state has no bookmark for stream %', src.stream
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = pg_catalog.format('Expected {"bookmarks": {"%s": {"updated_at": "2024-01-01T00:00:00Z"}}}.',
                                           src.stream);
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('intercom_fdw.materialize:' || q, 0));
    INSERT INTO @extschema@.sync_state AS s (target, source, stream, replication, bookmark, last_method)
    VALUES (q, source::text, src.stream, 'incremental', mark, 'imported')
    ON CONFLICT ON CONSTRAINT sync_state_pkey DO UPDATE
       SET source = EXCLUDED.source, stream = EXCLUDED.stream, replication = EXCLUDED.replication,
           bookmark = EXCLUDED.bookmark, last_method = EXCLUDED.last_method;
    RETURN mark;
END
$$;

-- The state in tap-intercom's shape, for one copy or all: where a stream has
-- several copies, the oldest bookmark (a tap started from it misses nothing).
CREATE FUNCTION export_state(target text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('bookmarks', coalesce(jsonb_object_agg(stream,
               jsonb_build_object('updated_at',
                   to_char(mark AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))), '{}'))
      FROM (SELECT s.stream, min(s.bookmark) AS mark
              FROM @extschema@.sync_state s
             WHERE s.replication = 'incremental' AND s.bookmark IS NOT NULL
               AND (export_state.target IS NULL
                    OR s.target = (@extschema@._target_name(export_state.target)).qualified)
             GROUP BY s.stream) m
$$;
-- ======================= end of the materialize section ====================
