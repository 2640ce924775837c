-- intercom_fdw--1.0.sql, part 10: the copies' state and log, and the streams' materialize facts

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
-- A view of the stream table (streams()): an incremental stream with a
-- parent whose updated_at its rows are stamped with has a row here.
CREATE VIEW stream_parent AS
    SELECT s.stream,
           s.parent_key,          -- column naming the parent record
           s.parent_updated_at    -- column with the parent's updated_at: the bookmark column
      FROM @extschema@.streams() s
     WHERE s.parent_updated_at IS NOT NULL;
COMMENT ON VIEW stream_parent IS
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
-- A view of the stream table (streams(), the .deletion of each row).
CREATE VIEW stream_deletion AS
    SELECT s.stream,
           s.deletion AS how,
           s.deletion_key AS key_column,  -- feed: the column with the conversation's id
           s.deletion_audit AS audit      -- feed: also compare counts (at most every reconcile_every)
      FROM @extschema@.streams() s
     WHERE s.deletion IS NOT NULL;
COMMENT ON VIEW stream_deletion IS
    'intercom_fdw.materialize: how incremental runs notice records deleted upstream';
GRANT SELECT ON stream_deletion TO PUBLIC;
