/*
 * intercom_fdw--1.0.sql, built by the Makefile from the files in src/sql, in the order
 * of SQL_PARTS, one file per concern.  Edit those, not the built script.
 * Part 00: the wrapper and the C functions.
 */

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
-- activity log), and what materialize needs to know of each stream: the
-- views stream_parent and stream_deletion show these columns (part 10).
-- All from the stream table in src/catalogue/streams.c.
CREATE FUNCTION streams(
    OUT stream text, OUT primary_key text, OUT incremental boolean,
    OUT request text, OUT replication_key text,
    OUT parent_key text, OUT parent_updated_at text,
    OUT deletion text, OUT deletion_key text, OUT deletion_audit boolean)
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
