-- tickets (POST /tickets/search; GET /tickets/{id}) and ticket_parts (the
-- parts of GET /tickets/{id}, through the parent like conversation_parts):
-- every value against the fake's JSON, the requests a scan sends, pushdown
-- of dates (to the second), ids and the parent's filters, the 500-part cap,
-- and materialized copies.
\i sql/include/setup.sql
SET timezone = 'UTC';

-- ---------------------------------------------------------------------------
-- Full value comparison (EXCEPT ALL both ways)
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE raw_tickets(r jsonb);
\copy raw_tickets FROM PROGRAM 'python3 test/fakectl.py dump tickets' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_tickets AS SELECT
    r->>'id' AS id,
    r->>'admin_assignee_id' AS admin_assignee_id,
    r->>'category' AS category,
    nullif(r->'contacts', 'null') AS contacts,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    (r->>'is_shared')::boolean AS is_shared,
    nullif(r->'linked_objects', 'null') AS linked_objects,
    (r->>'open')::boolean AS "open",
    r->>'previous_ticket_state_id' AS previous_ticket_state_id,
    to_timestamp((r->>'snoozed_until')::bigint) AS snoozed_until,
    r->>'team_assignee_id' AS team_assignee_id,
    nullif(r->'ticket_attributes', 'null') AS ticket_attributes,
    r->>'ticket_id' AS ticket_id,
    nullif(r->'ticket_state', 'null') AS ticket_state,
    nullif(r->'ticket_type', 'null') AS ticket_type,
    r->>'type' AS "type",
    to_timestamp((r->>'updated_at')::bigint) AS updated_at
  FROM raw_tickets;
CREATE TEMP TABLE got_tickets AS SELECT id, admin_assignee_id, category, contacts, created_at, is_shared, linked_objects, "open", previous_ticket_state_id, snoozed_until, team_assignee_id, ticket_attributes, ticket_id, ticket_state, ticket_type, "type", updated_at FROM ic.tickets;
SELECT 'tickets' AS stream,
  (SELECT count(*) FROM got_tickets) AS fdw_rows,
  (SELECT count(*) FROM raw_tickets) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_tickets EXCEPT ALL SELECT * FROM exp_tickets) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_tickets EXCEPT ALL SELECT * FROM got_tickets) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_ticket_parts(r jsonb);
\copy raw_ticket_parts FROM PROGRAM 'python3 test/fakectl.py dump ticket_parts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_ticket_parts AS SELECT
    r->>'id' AS id,
    r->>'app_package_code' AS app_package_code,
    r->'assigned_to'->>'id' AS assigned_to,
    r->'assigned_to'->>'type' AS assigned_to_type,
    nullif(r->'attachments', 'null') AS attachments,
    nullif(r->'author', 'null') AS author,
    r->>'body' AS body,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    r->>'external_id' AS external_id,
    r->>'part_type' AS part_type,
    r->>'previous_ticket_state' AS previous_ticket_state,
    (r->>'redacted')::boolean AS redacted,
    to_timestamp((r->>'ticket_created_at')::bigint) AS ticket_created_at,
    r->>'ticket_id' AS ticket_id,
    r->>'ticket_state' AS ticket_state,
    (r->>'ticket_total_parts')::bigint AS ticket_total_parts,
    to_timestamp((r->>'ticket_updated_at')::bigint) AS ticket_updated_at,
    r->>'type' AS "type",
    to_timestamp((r->>'updated_at')::bigint) AS updated_at,
    nullif(r->'updated_attribute_data', 'null') AS updated_attribute_data
  FROM raw_ticket_parts;
CREATE TEMP TABLE got_ticket_parts AS SELECT id, app_package_code, assigned_to, assigned_to_type, attachments, author, body, created_at, external_id, part_type, previous_ticket_state, redacted, ticket_created_at, ticket_id, ticket_state, ticket_total_parts, ticket_updated_at, "type", updated_at, updated_attribute_data FROM ic.ticket_parts;
SELECT 'ticket_parts' AS stream,
  (SELECT count(*) FROM got_ticket_parts) AS fdw_rows,
  (SELECT count(*) FROM raw_ticket_parts) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_ticket_parts EXCEPT ALL SELECT * FROM exp_ticket_parts) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_ticket_parts EXCEPT ALL SELECT * FROM got_ticket_parts) x) AS fake_not_in_fdw;

-- ---------------------------------------------------------------------------
-- Requests of a full scan: tickets have no listing, so a full scan searches
-- updated_at > 0 (every ticket); pages follow the cursor in the body
-- ---------------------------------------------------------------------------
EXPLAIN (COSTS OFF) SELECT * FROM ic.tickets;
ALTER SERVER fake OPTIONS (ADD per_page '7');
\! python3 test/fakectl.py log-clear
WITH s AS MATERIALIZED (SELECT id FROM ic.tickets)
SELECT (SELECT count(*) FROM s) AS rows, (SELECT count(DISTINCT id) FROM s) AS distinct_ids,
       (SELECT count(*) FROM (SELECT id FROM got_tickets EXCEPT SELECT id FROM s) m) AS missing;
\! python3 test/fakectl.py log | cut -d' ' -f1,2,3 | sed 's/"starting_after":"[^"]*"/"starting_after":"..."/'
ALTER SERVER fake OPTIONS (DROP per_page);
-- count(*) counts records without converting them
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.tickets;
\! python3 test/fakectl.py count --path /tickets

-- ---------------------------------------------------------------------------
-- Pushdown: dates to the second (widened, rechecked), id = X one GET
-- ---------------------------------------------------------------------------
SELECT min(updated_at) AS lo, max(updated_at) AS hi FROM got_tickets \gset
EXPLAIN (COSTS OFF) SELECT id FROM ic.tickets WHERE updated_at >= '2023-06-01 00:00:00+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.tickets WHERE created_at = '2023-06-01 00:00:00+00';
-- every bound gives exactly the rows of a local filter over the full copy
CREATE TEMP TABLE bounds AS
  SELECT DISTINCT updated_at AS t FROM got_tickets ORDER BY 1 LIMIT 6;
SELECT b.t,
  (SELECT count(*) FROM ic.tickets WHERE updated_at >= b.t) AS ge_fdw,
  (SELECT count(*) FROM got_tickets WHERE updated_at >= b.t) AS ge_local,
  (SELECT count(*) FROM ic.tickets WHERE updated_at > b.t) AS gt_fdw,
  (SELECT count(*) FROM got_tickets WHERE updated_at > b.t) AS gt_local,
  (SELECT count(*) FROM ic.tickets WHERE updated_at = b.t) AS eq_fdw,
  (SELECT count(*) FROM got_tickets WHERE updated_at = b.t) AS eq_local,
  (SELECT count(*) FROM ic.tickets WHERE updated_at < b.t) AS lt_fdw,
  (SELECT count(*) FROM got_tickets WHERE updated_at < b.t) AS lt_local
FROM bounds b ORDER BY b.t;
\! python3 test/fakectl.py log-clear
SELECT id, ticket_id, category, "open" FROM ic.tickets WHERE id = '633';
SELECT id FROM ic.tickets WHERE id = '999';
\! python3 test/fakectl.py log
-- a search that sorts would be refused: ORDER BY updated_at is sorted locally
EXPLAIN (COSTS OFF) SELECT id FROM ic.tickets WHERE updated_at > '2023-01-01+00' ORDER BY updated_at LIMIT 3;
SELECT id, updated_at FROM ic.tickets WHERE updated_at > '2023-01-01+00' ORDER BY updated_at, id LIMIT 3;

-- ---------------------------------------------------------------------------
-- ticket_parts through the parent: ticket_id = X is one GET; a bound on
-- ticket_updated_at (or a lower bound on updated_at) selects the tickets to open
-- ---------------------------------------------------------------------------
\! python3 test/fakectl.py log-clear
SELECT count(*), min(id), max(id), max(ticket_total_parts) FROM ic.ticket_parts WHERE ticket_id = '633';
\! python3 test/fakectl.py log
EXPLAIN (COSTS OFF) SELECT id FROM ic.ticket_parts WHERE ticket_updated_at >= '2023-06-01+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.ticket_parts WHERE updated_at >= '2023-06-01+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.ticket_parts WHERE updated_at < '2023-06-01+00';
SELECT t.t,
  (SELECT count(*) FROM ic.ticket_parts WHERE updated_at >= t.t) AS fdw,
  (SELECT count(*) FROM got_ticket_parts WHERE updated_at >= t.t) AS local,
  (SELECT count(*) FROM ic.ticket_parts WHERE ticket_updated_at < t.t) AS parent_lt_fdw,
  (SELECT count(*) FROM got_ticket_parts WHERE ticket_updated_at < t.t) AS parent_lt_local
FROM bounds t ORDER BY t.t;
-- EXPLAIN ANALYZE counts tickets gone between the search and their GET (none here)
\! python3 test/fakectl.py log-clear
\i sql/include/explain.sql
SELECT * FROM pg_temp.explain_analyze($$
SELECT id FROM ic.ticket_parts WHERE ticket_updated_at < 'Sat Feb 11 07:38:24 2023 UTC'$$);
-- one GET per ticket, each part stamped with its ticket
\! python3 test/fakectl.py log-clear
SELECT count(*) AS parts, count(DISTINCT ticket_id) AS tickets_with_parts FROM ic.ticket_parts;
\! python3 test/fakectl.py count --path /tickets/6
\! python3 test/fakectl.py count --path /tickets/search
-- the 500-part cap: the most recent 500 of ticket 635's 520
SELECT ticket_id, count(*) AS parts_read, max(ticket_total_parts) AS total_count, min(id), max(id)
FROM got_ticket_parts GROUP BY ticket_id HAVING count(*) >= 500;
-- the join on the parent's key: a nested loop of single GETs
EXPLAIN (COSTS OFF)
SELECT t.id, count(p.id) FROM ic.tickets t JOIN ic.ticket_parts p ON p.ticket_id = t.id
WHERE t.id IN ('631', '633') GROUP BY t.id;
SELECT t.id, count(p.id) FROM ic.tickets t JOIN ic.ticket_parts p ON p.ticket_id = t.id
WHERE t.id IN ('631', '633') GROUP BY t.id ORDER BY t.id;
-- parts name an admin or a team; tickets point at their type
SELECT p.assigned_to_type, count(*) AS parts, count(a.id) AS admins, count(tm.id) AS teams
FROM got_ticket_parts p
LEFT JOIN ic.admins a ON p.assigned_to_type = 'admin' AND a.id = p.assigned_to
LEFT JOIN ic.teams tm ON p.assigned_to_type = 'team' AND tm.id = p.assigned_to
GROUP BY 1 ORDER BY 1;
SELECT tt.name, count(*) AS tickets
FROM got_tickets t JOIN ic.ticket_types tt ON tt.id = t.ticket_type->>'id'
GROUP BY tt.name ORDER BY tt.name;

-- ---------------------------------------------------------------------------
-- materialize: incremental copies keyed on id, equal to their sources
-- ---------------------------------------------------------------------------
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
SET intercom_fdw.progress = off;
DROP SCHEMA IF EXISTS ticket_copies CASCADE;
RESET client_min_messages;
CREATE SCHEMA ticket_copies;
SELECT stream, primary_key, incremental, request FROM intercom_fdw.streams()
WHERE stream IN ('tickets', 'ticket_parts') ORDER BY stream;
SELECT target, method, rows_upserted, rows_deleted, bookmark_from IS NULL AS from_the_start
FROM intercom_fdw.materialize('ic.tickets', 'ticket_copies.tickets');
SELECT target, method, rows_upserted, rows_deleted, bookmark_from IS NULL AS from_the_start
FROM intercom_fdw.materialize('ic.ticket_parts', 'ticket_copies.ticket_parts');
SELECT
  (SELECT count(*) FROM (SELECT * FROM ic.tickets EXCEPT ALL SELECT * FROM ticket_copies.tickets) a) +
  (SELECT count(*) FROM (SELECT * FROM ticket_copies.tickets EXCEPT ALL SELECT * FROM ic.tickets) b) AS ticket_differences,
  (SELECT count(*) FROM (SELECT * FROM ic.ticket_parts EXCEPT ALL SELECT * FROM ticket_copies.ticket_parts) a) +
  (SELECT count(*) FROM (SELECT * FROM ticket_copies.ticket_parts EXCEPT ALL SELECT * FROM ic.ticket_parts) b) AS part_differences;
-- the second run is incremental: it searches from the bookmark, then counts
-- the tickets (GET /me for the time zone, one total_count: nothing deleted)
\! python3 test/fakectl.py log-clear
SELECT method, rows_deleted FROM intercom_fdw.materialize('ic.tickets', 'ticket_copies.tickets');
\! python3 test/fakectl.py log | cut -d' ' -f1,2 | sort | uniq -c | sed 's/^ *//'
-- ticket_parts follows the tickets changed since its bookmark (stream_parent),
-- and every part of a changed ticket is rewritten: its ticket_updated_at and
-- ticket_total_parts are the ticket's.  Three tickets change: 632 only its
-- updated_at, 637 (no parts yet) and 635 (520 parts, more than the 500 the
-- API returns) get a reply.  On 635 the oldest part slides out of the 500
-- and must be deleted from the copy, as a full load would not have it.
SELECT stream, parent_key, parent_updated_at FROM intercom_fdw.stream_parent WHERE stream = 'ticket_parts';
-- the rule comes from the stream table (streams()), of which stream_parent is
-- a view: an incremental stream stamped with its parent's updated_at has it;
-- tickets (no parent) and conversation_tags (read whole) do not
SELECT stream, incremental, parent_key, parent_updated_at FROM intercom_fdw.streams()
 WHERE stream IN ('ticket_parts', 'tickets', 'conversation_tags') ORDER BY stream;
SELECT relkind AS stream_parent_relkind FROM pg_class WHERE oid = 'intercom_fdw.stream_parent'::regclass;
SELECT min(id) AS oldest_of_635 FROM ticket_copies.ticket_parts WHERE ticket_id = '635' \gset
SELECT count(*) AS parts_of_637_before FROM ticket_copies.ticket_parts WHERE ticket_id = '637';
\! python3 test/fakectl.py mutate tickets --ids 632
\! python3 test/fakectl.py mutate tickets --ids 635 637 --add-parts 1
SELECT count(*) AS stale_before_the_run FROM (
  (SELECT * FROM ic.ticket_parts EXCEPT ALL SELECT * FROM ticket_copies.ticket_parts)
  UNION ALL (SELECT * FROM ticket_copies.ticket_parts EXCEPT ALL SELECT * FROM ic.ticket_parts)) d;
SELECT method, rows_upserted, rows_deleted
FROM intercom_fdw.materialize('ic.ticket_parts', 'ticket_copies.ticket_parts');
SELECT
  (SELECT count(*) FROM (SELECT * FROM ic.ticket_parts EXCEPT ALL SELECT * FROM ticket_copies.ticket_parts) a) +
  (SELECT count(*) FROM (SELECT * FROM ticket_copies.ticket_parts EXCEPT ALL SELECT * FROM ic.ticket_parts) b) AS part_differences;
SELECT ticket_id, count(*) AS parts, min(ticket_total_parts) = max(ticket_total_parts) AS one_total,
       bool_and(id <> :'oldest_of_635') AS oldest_of_635_gone,
       count(DISTINCT ticket_updated_at) AS one_updated_at
FROM ticket_copies.ticket_parts WHERE ticket_id IN ('632', '635', '637') GROUP BY ticket_id ORDER BY ticket_id;
DROP SCHEMA ticket_copies CASCADE;
-- forget these copies' state and log: later suites list them
DELETE FROM intercom_fdw.sync_log WHERE target LIKE 'ticket_copies.%';
DELETE FROM intercom_fdw.sync_state WHERE target LIKE 'ticket_copies.%';

-- ticket_states (issue 21): GET /ticket_states, one request; every state the
-- fake has, value for value, and every ticket's state and previous state in it
CREATE TEMP TABLE raw_ticket_states(r jsonb);
\copy raw_ticket_states FROM PROGRAM 'python3 test/fakectl.py dump ticket_states' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE got_ticket_states AS SELECT * FROM ic.ticket_states;
\! python3 test/fakectl.py log
SELECT count(*) AS states,
       count(*) FILTER (WHERE g.archived = (r.r->>'archived')::boolean AND g.category = r.r->>'category'
                          AND g.internal_label = r.r->>'internal_label'
                          AND g.external_label = r.r->>'external_label'
                          AND g.ticket_types = r.r->'ticket_types' AND g.type = r.r->>'type'
                          AND g._extra = '{}') AS same,
       (SELECT count(*) FROM raw_ticket_states) AS fake_states
  FROM got_ticket_states g JOIN raw_ticket_states r ON r.r->>'id' = g.id;
SELECT count(*) AS tickets, count(s.id) AS state_found, count(p.id) AS previous_found,
       count(t.previous_ticket_state_id) AS with_previous,
       count(*) FILTER (WHERE s.internal_label = t.ticket_state_internal_label
                          AND s.external_label = t.ticket_state_external_label) AS labels_agree
  FROM ic.tickets t
  LEFT JOIN got_ticket_states s ON s.id = t.ticket_state->>'id'
  LEFT JOIN got_ticket_states p ON p.id = t.previous_ticket_state_id;
SELECT category, internal_label, external_label, archived FROM got_ticket_states
 WHERE ticket_types->'data'->0->>'id' = '61' ORDER BY id;

-- leave no dblink behind: materialize.sql creates its own
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dblink;
RESET client_min_messages;
