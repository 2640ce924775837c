-- intercom_fdw--1.0.sql, part 20: materialize's small helpers

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
-- read whole on every run.  The stream's facts all come from one row of
-- streams() (the stream table in src/catalogue/streams.c).
CREATE FUNCTION _source_info(source regclass,
    OUT stream text, OUT primary_key text, OUT incremental boolean,
    OUT start_date timestamptz, OUT columns text[], OUT has_updated_at boolean,
    OUT bookmark_column text, OUT has_bookmark boolean, OUT parent_key text,
    OUT deletion text, OUT deletion_key text, OUT deletion_audit boolean)
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
    -- the bookmark: for rows that carry their parent's fields, the parent's
    -- updated_at (stream_parent), so that a changed parent's rows are all
    -- read; else the stream's replication key (updated_at, or created_at
    -- for the activity log)
    SELECT s.primary_key, s.incremental,
           coalesce(s.parent_updated_at, s.replication_key, 'updated_at'), s.parent_key,
           s.deletion, s.deletion_key, s.deletion_audit
      INTO primary_key, incremental, bookmark_column, parent_key,
           deletion, deletion_key, deletion_audit
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

-- Whether a setting that is on unless said otherwise (intercom_fdw.progress,
-- intercom_fdw.copy_new_columns) was turned off.
CREATE FUNCTION _turned_off(setting text)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT lower(coalesce(nullif(current_setting(setting, true), ''), 'on')) IN ('off', 'false', 'no', '0')
$$;

-- A progress NOTICE unless SET intercom_fdw.progress = off.
CREATE FUNCTION _progress(target text, phase text, nrows bigint, ms double precision,
                          requests bigint DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF @extschema@._turned_off('intercom_fdw.progress') THEN
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
        error_context, rows_merged, rows_repaired, reconcile_requests, reconcile)
    VALUES (entry.target, entry.source, entry.stream, entry.method, entry.status, entry.started_at,
        entry.finished_at, entry.elapsed, entry.read_ms, entry.write_ms, entry.bookmark_from,
        entry.bookmark_to, entry.rows_read, entry.rows_upserted, entry.rows_deleted, entry.requests,
        entry.retries, entry.rate_limit_waits, entry.error_sqlstate, entry.error_message,
        entry.error_detail, entry.error_hint, entry.error_context, entry.rows_merged,
        entry.rows_repaired, entry.reconcile_requests, entry.reconcile)
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

-- The start of t's day in time zone tz, or of the day `days` later: the
-- cuts where contact search, which compares dates by the workspace's day,
-- counts exactly.
CREATE FUNCTION _day_start(t timestamptz, tz text, days integer DEFAULT 0)
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
    SELECT (pg_catalog.date_trunc('day', t AT TIME ZONE tz) + days * interval '1 day') AT TIME ZONE tz
$$;
