-- The HTTP engine (src/http/transfer.c): every request is a transfer that
-- carries its own retries, so a request waiting to be retried does not hold
-- up the others, and an interrupt that does not raise leaves a transfer on
-- the wire instead of abandoning it and sending it again.
\i sql/include/setup.sql

--
-- 1. A retry waits without stalling the others: 30 concurrent updates, the
--    first PUT answered 500 once, retried after a backoff of 2 to 4 s.  The
--    other 29 are all sent and answered meanwhile, so the retry is the last
--    PUT the fake sees.  (A retry loop that sleeps would have sent it after
--    the first window of 8, holding the rest back.)
--
ALTER SERVER fake OPTIONS (ADD updatable 'true', SET retry_base_ms '4000');
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py fault 500 --path /contacts/ --method PUT --count 1
UPDATE ic.contacts SET name = 'Retried or not ' || id WHERE role = 'lead';
\! python3 test/fakectl.py faults-clear
-- the PUTs in the order the fake answered them: the 500 first, its retry last
\! python3 test/fakectl.py log | grep '^PUT ' | awk '{print NR, $3}' | sed -n '1p;$p'
\! python3 test/fakectl.py log | grep '^PUT ' | awk '{print $2}' | sort | uniq -d | wc -l
\! python3 test/fakectl.py log | grep '^PUT ' | head -n 1 | awk '{print $2}' > /tmp/ic_transport_first
\! python3 test/fakectl.py log | grep '^PUT ' | tail -n 1 | awk '{print $2}' | cmp -s - /tmp/ic_transport_first && echo 'the retried PUT is the first one, sent again last'
SELECT count(*) FILTER (WHERE name = 'Retried or not ' || id) AS renamed, count(*) AS leads
  FROM ic.contacts WHERE role = 'lead';
ALTER SERVER fake OPTIONS (DROP updatable, SET retry_base_ms '10');

--
-- 2. An interrupt that does not raise: pg_log_backend_memory_contexts()
--    sets the backend's InterruptPending during a slow response.  The
--    transfer stays on the wire: the fake sees the request once.
--
\! python3 test/fakectl.py config latency_ms=1500
\! python3 test/fakectl.py log-clear
SET application_name = 'ic_transport_interrupt';
\! (sleep 0.7; psql -X -At -c "SELECT pg_log_backend_memory_contexts(pid) FROM pg_stat_activity WHERE application_name = 'ic_transport_interrupt'") > /tmp/ic_transport_signal 2>&1 &
SELECT count(*) > 0 AS admins FROM ic.admins;
\! cat /tmp/ic_transport_signal
\! python3 test/fakectl.py log | grep -c '^GET /admins'
RESET application_name;
\! python3 test/fakectl.py config latency_ms=0

--
-- 3. A 200 whose body is not JSON waits for its retry without stalling the
--    others either.  Of 30 concurrent updates, the first PUT (contact
--    ...063) is answered with an HTML page and status 200: the window reads
--    it, the decoder refuses it, and it is sent again after 3 to 6 s.  The
--    second (...053) is refused with 429 four times, each time until the
--    rate-limit window's reset (1 s windows here).  While the first waits,
--    the second is driven: it is sent again at each reset, so the fake sees
--    it at least twice before the first one's retry.  (An engine that drives
--    only the transfer being read sends it once in that time.)
--
ALTER SERVER fake OPTIONS (ADD updatable 'true', SET retry_base_ms '6000');
\! python3 test/fakectl.py config rate_window_seconds=1
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py fault html_200 --path /contacts/ba82e4f4b425700000000063 --method PUT --count 1
\! python3 test/fakectl.py fault 429 --path /contacts/ba82e4f4b425700000000053 --method PUT --count 4
UPDATE ic.contacts SET name = 'Read again ' || id WHERE role = 'lead';
\! python3 test/fakectl.py faults-left
\! python3 test/fakectl.py config rate_window_seconds=10
-- each one's answers, in the order the fake gave them (the first one's
-- first 200 is the HTML page)
\! python3 test/fakectl.py log | awk '$1 == "PUT" && $2 ~ /063$/ {print "first", $3}'
\! python3 test/fakectl.py log | awk '$1 == "PUT" && $2 ~ /053$/ {print "second", $3}'
-- how often the fake saw the second before the first one's retry
\! python3 test/fakectl.py log | awk '$1 == "PUT" && $2 ~ /053$/ {n++} $1 == "PUT" && $2 ~ /063$/ && ++a == 2 {print (n >= 2 ? "at least twice" : n " time(s)")}'
SELECT count(*) FILTER (WHERE name = 'Read again ' || id) AS renamed, count(*) AS leads
  FROM ic.contacts WHERE role = 'lead';
ALTER SERVER fake OPTIONS (DROP updatable, SET retry_base_ms '10');
