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
-- read whole and mirrored; data and state commit in the caller's transaction.
-- ===========================================================================

-- One row per copy: where it comes from and how far it has read.
CREATE TABLE sync_state (
    target          text PRIMARY KEY,       -- schema.table of the copy, quoted as needed
    source          text NOT NULL,          -- the foreign table, as regclass text
    stream          text NOT NULL,
    replication     text NOT NULL CHECK (replication IN ('incremental', 'full')),
    bookmark        timestamptz,            -- next run reads updated_at >= bookmark - lookback
    last_method     text,                   -- 'incremental', 'full', or 'imported'
    last_started_at timestamptz,
    last_finished_at timestamptz,
    last_rows_upserted bigint,
    last_rows_deleted bigint,
    rows            bigint,                 -- rows in the copy after the last run
    runs            bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE sync_state IS 'intercom_fdw.materialize: one row per copy (bookmark, last run)';

-- One row per run, successful or not.
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
    logged_via      text NOT NULL DEFAULT 'transaction'   -- or 'dblink' (failed runs)
);
CREATE INDEX sync_log_target_idx ON sync_log (target, started_at);
COMMENT ON TABLE sync_log IS 'intercom_fdw.materialize: one row per run, successful or not';

-- pg_dump keeps the state and the log with the data they describe.
SELECT pg_catalog.pg_extension_config_dump('sync_state', '');
SELECT pg_catalog.pg_extension_config_dump('sync_log', '');

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

-- The foreign table's stream, primary key and replication method.
CREATE FUNCTION _source_info(source regclass,
    OUT stream text, OUT primary_key text, OUT incremental boolean,
    OUT start_date timestamptz, OUT columns text[], OUT has_updated_at boolean,
    OUT replication_key text)
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
    SELECT s.primary_key, s.incremental, coalesce(s.replication_key, 'updated_at')
      INTO primary_key, incremental, replication_key
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
    -- has_updated_at: the replication key column (updated_at, or created_at)
    has_updated_at := EXISTS (SELECT FROM pg_catalog.pg_attribute a
                               WHERE a.attrelid = source AND a.attname = replication_key
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

-- A libpq connection string for dblink back into this database.
CREATE FUNCTION _loopback_conninfo()
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    custom text := nullif(current_setting('intercom_fdw.log_conninfo', true), '');
    socket text := nullif(btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), '');
    q text := $q$'$q$;
BEGIN
    IF custom IS NOT NULL THEN
        RETURN custom;
    END IF;
    RETURN 'dbname=' || q || replace(replace(current_database(), '\', '\\'), q, '\' || q) || q
        || ' port=' || current_setting('port')
        || ' user=' || q || replace(replace(current_user, '\', '\\'), q, '\' || q) || q
        || ' host=' || q || replace(replace(coalesce(socket, 'localhost'), '\', '\\'), q, '\' || q) || q
        || ' application_name=intercom_fdw_sync_log';
END
$$;

-- Write a sync_log row that outlives the caller's transaction when dblink is
-- installed (a failed run rolls back everything else); in the transaction
-- otherwise.  Never raises: the run's own error is what the caller must see.
CREATE FUNCTION _log_failure(entry @extschema@.sync_log)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    dblink_schema name;
    stmt text;
BEGIN
    SELECT n.nspname INTO dblink_schema
      FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'dblink';
    IF dblink_schema IS NOT NULL THEN
        entry.logged_via := 'dblink';
        stmt := pg_catalog.format(
            'INSERT INTO %I.sync_log (target, source, stream, method, status, started_at, finished_at, '
            'elapsed, read_ms, write_ms, bookmark_from, bookmark_to, rows_read, rows_upserted, rows_deleted, '
            'requests, retries, rate_limit_waits, error_sqlstate, error_message, error_detail, logged_via) '
            'VALUES (%L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L)',
            '@extschema@', entry.target, entry.source, entry.stream, entry.method, entry.status,
            entry.started_at, entry.finished_at, entry.elapsed, entry.read_ms, entry.write_ms,
            entry.bookmark_from, entry.bookmark_to, entry.rows_read, entry.rows_upserted,
            entry.rows_deleted, entry.requests, entry.retries, entry.rate_limit_waits,
            entry.error_sqlstate, entry.error_message, entry.error_detail, entry.logged_via);
        BEGIN
            EXECUTE pg_catalog.format('SELECT %I.dblink_exec($1, $2)', dblink_schema)
                USING @extschema@._loopback_conninfo(), stmt;
            RETURN 'dblink';
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'intercom_fdw.materialize could not log the failed run through dblink: %', SQLERRM
                USING HINT = 'Set intercom_fdw.log_conninfo to a connection string dblink can use.';
        END;
    END IF;
    -- lost with the rollback that follows; the server log keeps a trace
    entry.logged_via := 'transaction';
    INSERT INTO @extschema@.sync_log (target, source, stream, method, status, started_at, finished_at,
        elapsed, read_ms, write_ms, bookmark_from, bookmark_to, rows_read, rows_upserted, rows_deleted,
        requests, retries, rate_limit_waits, error_sqlstate, error_message, error_detail, logged_via)
    VALUES (entry.target, entry.source, entry.stream, entry.method, entry.status, entry.started_at,
        entry.finished_at, entry.elapsed, entry.read_ms, entry.write_ms, entry.bookmark_from,
        entry.bookmark_to, entry.rows_read, entry.rows_upserted, entry.rows_deleted, entry.requests,
        entry.retries, entry.rate_limit_waits, entry.error_sqlstate, entry.error_message,
        entry.error_detail, entry.logged_via);
    RETURN 'transaction';
END
$$;

/*
 * materialize
 *		Bring the copy `target` of the foreign table `source` up to date.
 *
 * First run (no state, or full_refresh): create the copy if needed and read
 * everything (from the server's start_date on, for incremental streams), then
 * delete rows that are no longer upstream.  Later runs of incremental streams
 * read `updated_at >= bookmark - lookback` (pushed down to the search API)
 * and upsert; full streams are read whole and mirrored.  The new bookmark is
 * the clock when the run started, so nothing updated during a run is missed.
 */
CREATE FUNCTION materialize(source regclass, target text, full_refresh boolean DEFAULT false,
                            lookback interval DEFAULT NULL)
RETURNS materialize_result
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    started   timestamptz := clock_timestamp();
    stats0    record := @extschema@.request_stats();
    stats1    record;
    t         record;
    src       record;
    st        @extschema@.sync_state;
    res       @extschema@.materialize_result;
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
    n_rows    bigint;
    n_keys    bigint;
    n_clash   bigint;
    read_ms   double precision;
    write_ms  double precision;
    e_state   text;
    e_msg     text;
    e_detail  text;
    e_hint    text;
    stream_name text;
BEGIN
    res.source := source;
    res.target := target;
    BEGIN
        t := @extschema@._target_name(target);
        res.target := t.qualified;
        src := @extschema@._source_info(source);
        stream_name := src.stream;
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
        IF src.incremental AND src.has_updated_at AND st.bookmark IS NOT NULL AND NOT full_refresh THEN
            res.method := 'incremental';
            bound := st.bookmark - lookback;
            IF src.start_date IS NOT NULL AND src.start_date > bound THEN
                bound := src.start_date;
            END IF;
        ELSE
            res.method := 'full';
            IF src.incremental AND src.has_updated_at THEN
                bound := src.start_date;    -- NULL: everything
            END IF;
        END IF;
        res.bookmark_from := bound;

        -- read what changed; `updated_at >= $1` is a plain comparison with a
        -- timestamptz parameter, which the FDW pushes down
        IF pg_catalog.to_regclass('pg_temp.intercom_fdw_read') IS NOT NULL THEN
            DROP TABLE pg_temp.intercom_fdw_read;
        END IF;
        IF pg_catalog.to_regclass('pg_temp.intercom_fdw_stage') IS NOT NULL THEN
            DROP TABLE pg_temp.intercom_fdw_stage;
        END IF;
        EXECUTE pg_catalog.format('CREATE TEMP TABLE intercom_fdw_read (LIKE %s) ON COMMIT DROP', source);
        sel := pg_catalog.format('INSERT INTO pg_temp.intercom_fdw_read SELECT * FROM %s', source);
        IF bound IS NOT NULL THEN
            sel := sel || pg_catalog.format(' WHERE %I >= $1', src.replication_key);
        END IF;
        phase_t := clock_timestamp();
        phase_r := (@extschema@.request_stats()).requests;
        EXECUTE sel USING bound;
        GET DIAGNOSTICS n_read = ROW_COUNT;
        read_ms := extract(epoch FROM clock_timestamp() - phase_t) * 1000;
        PERFORM @extschema@._progress(t.qualified, 'read', n_read, read_ms,
                                      (@extschema@.request_stats()).requests - phase_r);

        -- one row per key: search paging can return a record twice; the
        -- newest copy wins.  A key shared by different records is a key
        -- that is not unique upstream: say so rather than lose rows quietly.
        EXECUTE pg_catalog.format(
            'CREATE TEMP TABLE intercom_fdw_stage ON COMMIT DROP AS '
            'SELECT DISTINCT ON (%1$s) * FROM pg_temp.intercom_fdw_read WHERE %1$s IS NOT NULL '
            'ORDER BY %1$s%2$s', pk,
            CASE WHEN src.has_updated_at
                 THEN pg_catalog.format(', %I DESC NULLS LAST', src.replication_key) ELSE '' END);
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

        -- a full read is the whole truth: drop what is gone upstream
        IF res.method = 'full' THEN
            phase_t := clock_timestamp();
            EXECUTE pg_catalog.format(
                'DELETE FROM %s AS t WHERE NOT EXISTS '
                '(SELECT FROM pg_temp.intercom_fdw_stage s WHERE s.%s = t.%s)',
                t.qualified, pk, pk);
            GET DIAGNOSTICS n_del = ROW_COUNT;
            PERFORM @extschema@._progress(t.qualified, 'deleted', n_del,
                                          extract(epoch FROM clock_timestamp() - phase_t) * 1000);
        END IF;
        DROP TABLE pg_temp.intercom_fdw_stage;
        write_ms := extract(epoch FROM clock_timestamp() - write_t) * 1000;
        EXECUTE pg_catalog.format('SELECT count(*) FROM %s', t.qualified) INTO n_rows;

        res.rows_upserted := n_up;
        res.rows_deleted := n_del;
        res.bookmark_to := run_start;
        INSERT INTO @extschema@.sync_state AS s
               (target, source, stream, replication, bookmark, last_method, last_started_at,
                last_finished_at, last_rows_upserted, last_rows_deleted, rows, runs)
        VALUES (t.qualified, source::text, src.stream,
                CASE WHEN src.incremental AND src.has_updated_at THEN 'incremental' ELSE 'full' END,
                run_start, res.method, started, clock_timestamp(), n_up, n_del, n_rows, 1)
        ON CONFLICT ON CONSTRAINT sync_state_pkey DO UPDATE
           SET source = EXCLUDED.source, stream = EXCLUDED.stream,
               replication = EXCLUDED.replication, bookmark = EXCLUDED.bookmark,
               last_method = EXCLUDED.last_method, last_started_at = EXCLUDED.last_started_at,
               last_finished_at = EXCLUDED.last_finished_at,
               last_rows_upserted = EXCLUDED.last_rows_upserted,
               last_rows_deleted = EXCLUDED.last_rows_deleted,
               rows = EXCLUDED.rows, runs = s.runs + 1;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        -- the block's data and state are rolled back; log the run, re-raise
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_msg = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        stats1 := @extschema@.request_stats();
        entry.target := res.target;
        entry.source := source::text;
        entry.stream := stream_name;
        entry.method := res.method;
        entry.status := 'failed';
        entry.started_at := started;
        entry.finished_at := clock_timestamp();
        entry.elapsed := entry.finished_at - started;
        entry.bookmark_from := bound;
        entry.rows_read := n_read;
        entry.requests := stats1.requests - stats0.requests;
        entry.retries := stats1.retries - stats0.retries;
        entry.rate_limit_waits := stats1.rate_limit_waits - stats0.rate_limit_waits;
        entry.error_sqlstate := e_state;
        entry.error_message := e_msg;
        entry.error_detail := nullif(e_detail, '');
        RAISE LOG 'intercom_fdw.materialize % from % failed after % (% requests): %',
            res.target, source, entry.elapsed, entry.requests, e_msg;
        PERFORM @extschema@._log_failure(entry);
        -- the caller sees the original error: same SQLSTATE, message, detail, hint
        IF e_detail <> '' AND e_hint <> '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_msg, DETAIL = e_detail, HINT = e_hint;
        ELSIF e_detail <> '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_msg, DETAIL = e_detail;
        ELSIF e_hint <> '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_msg, HINT = e_hint;
        ELSE
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_msg;
        END IF;
    END;

    stats1 := @extschema@.request_stats();
    res.requests := stats1.requests - stats0.requests;
    res.elapsed := clock_timestamp() - started;
    INSERT INTO @extschema@.sync_log (target, source, stream, method, status, started_at, finished_at,
        elapsed, read_ms, write_ms, bookmark_from, bookmark_to, rows_read, rows_upserted, rows_deleted,
        requests, retries, rate_limit_waits)
    VALUES (res.target, source::text, stream_name, res.method, 'succeeded', started, started + res.elapsed,
        res.elapsed, read_ms, write_ms, res.bookmark_from, res.bookmark_to, n_read, n_up, n_del,
        res.requests, stats1.retries - stats0.retries, stats1.rate_limit_waits - stats0.rate_limit_waits);
    RETURN res;
END
$$;
COMMENT ON FUNCTION materialize(regclass, text, boolean, interval) IS
    'Create or refresh a local copy of an intercom_fdw foreign table (docs/materialize.md)';

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
