-- ANALYZE of foreign tables: the row count Intercom reports (total_count of
-- a one-record page) where a listing has one, plus a sample of at most 1000
-- rows read with a LIMIT, never a full walk of a big stream.
\i sql/include/setup.sql
SET timezone = 'UTC';

-- contacts: 123 reported by GET /contacts?per_page=1, the sample 123 rows
\! python3 test/fakectl.py log-clear
-- (in a psql of its own: 18 adds a "finished analyzing" INFO whose figures vary)
\setenv PGDATABASE :DBNAME
\! psql -X -q -c 'ANALYZE VERBOSE ic.contacts' 2>&1 | sed '/^INFO:  finished analyzing/,$d'
\! python3 test/fakectl.py log | cut -d' ' -f1,2,3 | sed 's/starting_after=[^& ]*/starting_after=.../'
SELECT reltuples FROM pg_class WHERE oid = 'ic.contacts'::regclass;
SELECT count(*) AS columns_with_stats, count(*) FILTER (WHERE null_frac > 0) AS with_nulls
FROM pg_stats WHERE schemaname = 'ic' AND tablename = 'contacts';
SELECT attname, n_distinct, null_frac FROM pg_stats
WHERE schemaname = 'ic' AND tablename = 'contacts' AND attname IN ('id', 'role', 'owner_id') ORDER BY 1;

-- the sample reads pages of per_page rows, plus the one-record count
ALTER SERVER fake OPTIONS (ADD per_page '50');
SET default_statistics_target = 1;   -- 300 sample rows
\! python3 test/fakectl.py log-clear
ANALYZE ic.contacts;
\! python3 test/fakectl.py count --path /contacts
RESET default_statistics_target;
ALTER SERVER fake OPTIONS (DROP per_page);
SELECT reltuples FROM pg_class WHERE oid = 'ic.contacts'::regclass;

-- companies count from GET /companies?per_page=1 (no scroll is opened just to count)
\! python3 test/fakectl.py log-clear
ANALYZE ic.companies;
\! python3 test/fakectl.py log | cut -d' ' -f1,2 | sed 's/scroll_param=[-0-9a-f]*/scroll_param=.../' | sort | uniq -c | sed 's/^ *//'
-- tickets count from the search; articles from the page-numbered listing
ANALYZE ic.tickets, ic.articles;
-- plain lists and parts tables: the sample is the whole table when it ends first
ANALYZE ic.tags, ic.teams, ic.ticket_types, ic.contact_tags, ic.team_admins;
SELECT relname, reltuples FROM pg_class
WHERE relnamespace = 'ic'::regnamespace
  AND relname IN ('contacts', 'companies', 'tickets', 'articles', 'tags', 'teams', 'ticket_types',
                  'contact_tags', 'team_admins')
ORDER BY 1;
-- parts: a sample of 1000 parts opens only the conversations it needs
\! python3 test/fakectl.py log-clear
ANALYZE ic.conversation_parts;
-- (the sample filled up: no count is reported for parts, so the guess stays)
SELECT reltuples FROM pg_class WHERE oid = 'ic.conversation_parts'::regclass;
SELECT count(*) AS sampled_parts_stats FROM pg_stats WHERE schemaname = 'ic' AND tablename = 'conversation_parts';

-- the statistics reach the planner: estimates from reltuples and the column
-- statistics instead of the stream's fixed guess
CREATE FUNCTION pg_temp.estimate(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
    RETURN (j->0->'Plan'->>'Plan Rows')::int;
END $$;
SELECT pg_temp.estimate('SELECT * FROM ic.tags') AS tags,
       pg_temp.estimate('SELECT * FROM ic.contacts') AS contacts,
       pg_temp.estimate($$SELECT * FROM ic.contacts WHERE role = 'lead'$$) AS leads,
       (SELECT count(*) FROM ic.contacts WHERE role = 'lead') AS actual_leads,
       pg_temp.estimate('SELECT * FROM ic.conversations') AS conversations_not_analyzed;
-- the whole schema at once: no "cannot analyze this foreign table"
SET client_min_messages = warning;
ANALYZE ic.admins, ic.segments, ic.company_segments, ic.contact_attributes, ic.company_attributes,
  ic.conversation_attributes, ic.help_center_collections, ic.subscription_types, ic.activity_logs,
  ic.company_tags, ic.contact_companies, ic.conversation_contacts, ic.conversation_tags, ic.ticket_parts,
  ic.conversations;
RESET client_min_messages;
SELECT count(*) AS analyzed FROM pg_class
WHERE relnamespace = 'ic'::regnamespace AND reltuples >= 0;
