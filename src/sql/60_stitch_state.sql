-- intercom_fdw--1.0.sql, part 60: bookmarks from and to a Stitch (tap-intercom) state

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
