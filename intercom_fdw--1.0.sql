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

-- The stream catalogue: the eleven tables, their primary keys, replication.
CREATE FUNCTION streams(
    OUT stream text, OUT primary_key text, OUT incremental boolean,
    OUT request text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'intercom_fdw_streams'
LANGUAGE C STRICT IMMUTABLE;
