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

-- What materialize asks to notice records deleted upstream (src/reconcile.c,
-- docs/materialize.md).  Each reads through the foreign table's server and
-- user mapping, and needs SELECT on the table.
-- The deleted conversations feed (2.16), newest first, down to `since`.
CREATE FUNCTION deleted_conversations_since(source regclass, since timestamptz,
    OUT id text, OUT deleted_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'intercom_fdw_deleted_conversations_since'
LANGUAGE C VOLATILE;
-- The search's total_count of records created in [created_from, created_before).
CREATE FUNCTION search_count(source regclass, created_from timestamptz, created_before timestamptz)
RETURNS bigint
AS 'MODULE_PATHNAME', 'intercom_fdw_search_count'
LANGUAGE C VOLATILE;
-- GET by id of each id: 200, 404 (deleted) or 410 (merged contact).
CREATE FUNCTION record_status(source regclass, ids text[],
    OUT id text, OUT status integer, OUT code text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'intercom_fdw_record_status'
LANGUAGE C STRICT VOLATILE;
-- The workspace's time zone (GET /me): contact search counts its days.
CREATE FUNCTION workspace_timezone(source regclass)
RETURNS text
AS 'MODULE_PATHNAME', 'intercom_fdw_workspace_timezone'
LANGUAGE C STRICT VOLATILE;

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
    runs            bigint NOT NULL DEFAULT 0,
    last_reconciled_at timestamptz          -- bookmark of the last run that checked for deletions in full
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
    error_context   text,                   -- PostgreSQL's CONTEXT: e.g. the column and record of a bad value
    rows_merged     bigint,                 -- of rows_deleted: contacts merged into another (410)
    rows_repaired   bigint,                 -- of rows_upserted: rows an earlier run missed (reconciliation)
    reconcile_requests bigint,              -- of requests: spent finding deletions
    reconcile       text                    -- what the deletion check did: done, skipped, failed, cut short
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

-- How an incremental run notices records deleted upstream (issue 20,
-- docs/materialize.md "Deleted and merged records"):
--   feed   the deleted conversations feed, read down to the run's lower
--          bound; the copy's rows whose key_column names one are deleted;
--   whole  the stream is read whole anyway (the API cannot filter it): after
--          that complete read, rows it did not return are deleted;
--   count  search counts over created_at ranges against the copy's, narrowed
--          where they differ; ids the copy has and the API did not list are
--          checked one by one (404 or 410: deleted).
-- A feed stream with audit also compares counts, for what the feed could
-- not say (deletions older than the run's lower bound).
-- Streams without a row (the full ones already mirror each read) need none.
CREATE TABLE stream_deletion (
    stream      text PRIMARY KEY,             -- as in streams()
    how         text NOT NULL CHECK (how IN ('feed', 'whole', 'count')),
    key_column  text,                         -- feed: the column with the conversation's id
    audit       boolean NOT NULL DEFAULT false -- feed: also compare counts (at most every reconcile_every)
);
INSERT INTO stream_deletion VALUES
    ('conversations', 'feed', 'id', true),
    ('conversation_parts', 'feed', 'conversation_id', false),
    ('conversation_tags', 'feed', 'conversation_id', false),
    ('conversation_contacts', 'feed', 'conversation_id', false),
    ('companies', 'whole', NULL, false),
    ('segments', 'whole', NULL, false),
    ('company_segments', 'whole', NULL, false),
    ('contacts', 'count', NULL, false),
    ('tickets', 'count', NULL, false);
COMMENT ON TABLE stream_deletion IS
    'intercom_fdw.materialize: how incremental runs notice records deleted upstream';
GRANT SELECT ON stream_deletion TO PUBLIC;

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
    SELECT d.how, d.key_column, d.audit INTO deletion, deletion_key, deletion_audit
      FROM @extschema@.stream_deletion d WHERE d.stream = _source_info.stream;
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

/*
 * _forget_deleted_conversations
 *		Delete from the copy `target` the rows whose key_column names a
 *		conversation the deleted conversations feed lists since `since` (the
 *		run's lower bound: what the previous runs have not seen yet); the
 *		rows deleted.  The feed is read newest first and stops at `since`:
 *		usually one request.
 */
CREATE FUNCTION _forget_deleted_conversations(source regclass, target text, key_column text,
                                              since timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE pg_catalog.format(
        'DELETE FROM %s AS t WHERE t.%I IN '
        '(SELECT d.id FROM @extschema@.deleted_conversations_since($1, $2) d)',
        target, key_column)
      USING source, since;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

/*
 * _reconcile_spend
 *		Before a reconciliation spends `more` requests: stop it (SQLSTATE
 *		ICR01, the caller deletes nothing) when that would pass its budget,
 *		or when it has met a rate limit since it started (the check is
 *		optional work: it gives way to the runs' own reads).
 */
CREATE FUNCTION _reconcile_spend(requests0 bigint, waits0 bigint, budget bigint, more bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    s record := @extschema@.request_stats();
BEGIN
    IF s.rate_limit_waits > waits0 THEN
        RAISE EXCEPTION 'rate-limited after % requests', s.requests - requests0
            USING ERRCODE = 'ICR01';
    END IF;
    IF s.requests - requests0 + more > budget THEN
        RAISE EXCEPTION 'the next step needs % more requests, past the budget of % (intercom_fdw.reconcile_max_requests)',
                        more, budget
            USING ERRCODE = 'ICR01';
    END IF;
END
$$;

/*
 * _reconcile_range
 *		Settle the range [lo, hi) of created_at (lo NULL: from the start):
 *		list what the API has there, upsert the records the copy lacks
 *		(repaired), and check each id the copy has and the listing lacks
 *		with a GET: 404 or 410 deletes the row (410: merged), 200 keeps it
 *		(a record search does not show yet).  Anything else raises, and the
 *		caller's whole reconciliation is rolled back.
 */
CREATE FUNCTION _reconcile_range(source regclass, target text, pk text, col_list text,
                                 lo timestamptz, hi timestamptz,
                                 requests0 bigint, waits0 bigint, budget bigint,
                                 INOUT deleted bigint, INOUT merged bigint, INOUT repaired bigint)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    extra text[];
    chk record;
    n bigint;
BEGIN
    IF pg_catalog.to_regclass('pg_temp.intercom_fdw_rc_listed') IS NOT NULL THEN
        DROP TABLE pg_temp.intercom_fdw_rc_listed;
    END IF;
    -- a search on created_at (pushed down, rechecked locally)
    EXECUTE pg_catalog.format(
        'CREATE TEMP TABLE intercom_fdw_rc_listed ON COMMIT DROP AS SELECT * FROM %s '
        'WHERE created_at < $1%s', source,
        CASE WHEN lo IS NULL THEN '' ELSE ' AND created_at >= $2' END)
      USING hi, lo;
    EXECUTE pg_catalog.format(
        'INSERT INTO %1$s AS t (%2$s) SELECT %2$s FROM pg_temp.intercom_fdw_rc_listed l '
        'WHERE NOT EXISTS (SELECT FROM %1$s c WHERE c.%3$s = l.%3$s) ON CONFLICT (%3$s) DO NOTHING',
        target, col_list, pk);
    GET DIAGNOSTICS n = ROW_COUNT;
    repaired := repaired + n;

    EXECUTE pg_catalog.format(
        'SELECT array_agg(c.id::text ORDER BY c.id) FROM pg_temp.intercom_fdw_rc_copy c '
        'WHERE c.created_at < $1 AND ($2::timestamptz IS NULL OR c.created_at >= $2) '
        'AND NOT EXISTS (SELECT FROM pg_temp.intercom_fdw_rc_listed l WHERE l.%s = c.id)', pk)
      INTO extra USING hi, lo;
    IF extra IS NULL THEN
        RETURN;
    END IF;
    PERFORM @extschema@._reconcile_spend(requests0, waits0, budget, pg_catalog.cardinality(extra));
    FOR chk IN SELECT * FROM @extschema@.record_status(source, extra) LOOP
        CONTINUE WHEN chk.status = 200;
        EXECUTE pg_catalog.format('DELETE FROM %s WHERE %s::text = $1', target, pk) USING chk.id;
        GET DIAGNOSTICS n = ROW_COUNT;
        deleted := deleted + n;
        IF chk.status = 410 THEN
            merged := merged + n;
        END IF;
    END LOOP;
END
$$;

/*
 * _reconcile
 *		Find the records of the copy `target` deleted (or merged) upstream,
 *		and those an earlier run missed, among those created before `upper`
 *		(and from `floor`, the server's start_date, on).
 *
 * The search's total_count over a created_at range costs one small request
 * and is compared with the copy's count of the same range.  Where they are
 * equal, nothing more is read.  Where they differ, the range is split at
 * its middle row (a whole day: contact search compares dates by the
 * workspace's day, so cuts at its midnights count exactly), one half is
 * probed and the other is the difference, until a range holds few rows:
 * then it is listed and settled (_reconcile_range).  Rows are deleted only
 * on a GET's 404 or 410.  A failure, the budget or a rate limit raises:
 * the caller rolls everything back (nothing is deleted) and logs why.
 * What cancels out in counts (a deletion and a missed record in one range)
 * is not seen until the counts differ.
 */
CREATE FUNCTION _reconcile(source regclass, target text, pk text, col_list text,
                           upper timestamptz, floor timestamptz, budget bigint,
                           OUT deleted bigint, OUT merged bigint, OUT repaired bigint)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    -- a range listed rather than split: about two pages (a setting for tests)
    leaf_rows constant bigint := coalesce(
        nullif(current_setting('intercom_fdw.reconcile_leaf_rows', true), '')::bigint, 300);
    s0   record := @extschema@.request_stats();
    tz   text;
    los  timestamptz[];
    his  timestamptz[];
    apis bigint[];
    n    int;
    lo   timestamptz;
    hi   timestamptz;
    mid  timestamptz;
    api  bigint;
    mine bigint;
    left_api bigint;
BEGIN
    deleted := 0;
    merged := 0;
    repaired := 0;
    tz := coalesce(@extschema@.workspace_timezone(source), 'UTC');
    hi := @extschema@._day_start(upper, tz);
    IF floor IS NOT NULL THEN
        -- from the first whole day on or after start_date: the copy holds
        -- every record created since (updated_at >= created_at)
        lo := @extschema@._day_start(floor, tz);
        IF lo < floor THEN
            lo := @extschema@._day_start(floor, tz, 1);
        END IF;
        IF lo >= hi THEN
            RETURN;
        END IF;
    END IF;

    -- the copy's side, once: (id, created_at) of the rows in the range
    IF pg_catalog.to_regclass('pg_temp.intercom_fdw_rc_copy') IS NOT NULL THEN
        DROP TABLE pg_temp.intercom_fdw_rc_copy;
    END IF;
    EXECUTE pg_catalog.format(
        'CREATE TEMP TABLE intercom_fdw_rc_copy ON COMMIT DROP AS SELECT %s AS id, created_at '
        'FROM %s WHERE created_at < $1 AND ($2::timestamptz IS NULL OR created_at >= $2)', pk, target)
      USING hi, lo;
    CREATE INDEX ON pg_temp.intercom_fdw_rc_copy (created_at);
    ANALYZE pg_temp.intercom_fdw_rc_copy;

    PERFORM @extschema@._reconcile_spend(s0.requests, s0.rate_limit_waits, budget, 1);
    los := ARRAY[lo];
    his := ARRAY[hi];
    apis := ARRAY[@extschema@.search_count(source, lo, hi)];
    WHILE pg_catalog.cardinality(his) > 0 LOOP
        n := pg_catalog.cardinality(his);
        lo := los[n];
        hi := his[n];
        api := apis[n];
        los := los[1:n - 1];
        his := his[1:n - 1];
        apis := apis[1:n - 1];
        SELECT count(*) INTO mine FROM pg_temp.intercom_fdw_rc_copy c
         WHERE c.created_at < hi AND (lo IS NULL OR c.created_at >= lo);
        CONTINUE WHEN mine = api;

        -- split at the middle row's day, or the middle day when the copy
        -- has no row there; a single day, or few rows: settle it
        mid := NULL;
        IF greatest(mine, api) > leaf_rows THEN
            IF mine > 0 THEN
                SELECT c.created_at INTO mid FROM pg_temp.intercom_fdw_rc_copy c
                 WHERE c.created_at < hi AND (lo IS NULL OR c.created_at >= lo)
                 ORDER BY c.created_at OFFSET mine / 2 LIMIT 1;
            ELSIF lo IS NOT NULL THEN
                mid := lo + (hi - lo) / 2;
            END IF;
            mid := @extschema@._day_start(mid, tz);
            IF lo IS NOT NULL AND mid <= lo THEN
                mid := @extschema@._day_start(mid, tz, 1);
            END IF;
            IF mid >= hi OR (lo IS NOT NULL AND mid <= lo) THEN
                mid := NULL;
            END IF;
        END IF;
        IF mid IS NULL THEN
            -- listing: about a page per 150 records
            PERFORM @extschema@._reconcile_spend(s0.requests, s0.rate_limit_waits, budget,
                                                 1 + greatest(mine, api) / 150);
            SELECT * INTO deleted, merged, repaired
              FROM @extschema@._reconcile_range(source, target, pk, col_list, lo, hi,
                                                s0.requests, s0.rate_limit_waits, budget,
                                                deleted, merged, repaired);
        ELSE
            PERFORM @extschema@._reconcile_spend(s0.requests, s0.rate_limit_waits, budget, 1);
            left_api := @extschema@.search_count(source, lo, mid);
            los := los || ARRAY[mid, lo];
            his := his || ARRAY[hi, mid];
            apis := apis || ARRAY[api - left_api, left_api];
        END IF;
    END LOOP;
    -- a rate limit met by the last step counts too
    PERFORM @extschema@._reconcile_spend(s0.requests, s0.rate_limit_waits, budget, 0);
END
$$;

/*
 * _reconcile_safely
 *		_reconcile in a subtransaction: one that fails, is cut short or
 *		meets a rate limit is rolled back as a whole, deletes and repairs
 *		nothing, and says why in the note (and a WARNING); the run goes on.
 */
CREATE FUNCTION _reconcile_safely(source regclass, target text, pk text, col_list text,
                                  upper timestamptz, floor timestamptz, budget bigint,
                                  OUT deleted bigint, OUT merged bigint, OUT repaired bigint,
                                  OUT note text, OUT checked boolean)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    rc record;
BEGIN
    deleted := 0;
    checked := false;
    BEGIN
        rc := @extschema@._reconcile(source, target, pk, col_list, upper, floor, budget);
        deleted := rc.deleted;
        merged := rc.merged;
        repaired := rc.repaired;
        note := 'done: counts';
        checked := true;
    EXCEPTION WHEN OTHERS THEN
        -- never delete on doubt: everything it did is rolled back
        note := CASE WHEN SQLSTATE = 'ICR01' THEN 'cut short: ' ELSE 'failed: ' END
                || SQLERRM || '; nothing deleted';
        RAISE WARNING 'materialize %: the check for deleted records did not finish; nothing deleted', target
            USING DETAIL = SQLERRM,
                  HINT = 'The next run checks again; sync_log.reconcile says why.';
    END;
END
$$;

/*
 * _remove_deleted
 *		The step of an incremental run that removes from the copy what was
 *		deleted upstream, for a stream whose stream_deletion rule is 'feed'
 *		or 'count' (whole reads delete as they stage): the rows deleted, of
 *		them merged, the rows repaired, the requests spent, what it did
 *		(sync_log.reconcile), and whether a count reconciliation completed
 *		(a new last_reconciled_at).
 *
 * 'feed' reads the deleted conversations feed; with audit, the counts are
 * compared too, at most every reconcile_every, for what the feed could not
 * say (a copy left alone longer than the lookback).  'count' compares the
 * counts at most every reconcile_every.  A failed feed read fails the run,
 * as any failed read does; a failed reconciliation does not
 * (_reconcile_safely).
 */
CREATE FUNCTION _remove_deleted(source regclass, target text, how text, key_column text,
                                audit boolean, cols text[], pk text, col_list text,
                                bound timestamptz, upper timestamptz, floor timestamptz,
                                reconcile boolean, reconcile_every interval,
                                last_reconciled_at timestamptz, budget bigint,
                                OUT deleted bigint, OUT merged bigint, OUT repaired bigint,
                                OUT requests bigint, OUT note text, OUT checked boolean)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    r0      bigint := (@extschema@.request_stats()).requests;
    started timestamptz := clock_timestamp();
    counts  text;
    rc      record;
BEGIN
    deleted := 0;
    checked := false;
    requests := 0;
    IF NOT reconcile THEN
        note := 'off';
        RETURN;
    END IF;
    IF how = 'feed' AND key_column = ANY (cols) THEN
        deleted := @extschema@._forget_deleted_conversations(source, target, key_column, bound);
        note := 'done: feed';
    ELSIF how = 'feed' THEN
        note := pg_catalog.format('skipped: the copy has no %I column', key_column);
    END IF;
    IF how = 'count' OR audit THEN
        IF NOT 'created_at' = ANY (cols) THEN
            counts := 'skipped: the copy has no created_at column';
        ELSIF reconcile_every IS NOT NULL AND last_reconciled_at > started - reconcile_every THEN
            counts := pg_catalog.format('skipped: last at %s, reconcile_every %s',
                                        last_reconciled_at, reconcile_every);
        ELSE
            rc := @extschema@._reconcile_safely(source, target, pk, col_list, upper, floor, budget);
            deleted := deleted + rc.deleted;
            merged := rc.merged;
            repaired := rc.repaired;
            checked := rc.checked;
            counts := rc.note;
        END IF;
        note := concat_ws('; ', note, counts);
    END IF;
    requests := (@extschema@.request_stats()).requests - r0;
    PERFORM @extschema@._progress(target, 'deleted upstream', deleted,
                                  extract(epoch FROM clock_timestamp() - started) * 1000, requests);
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
