SELECT pg_temp.where_of(:'target') AS where \gset
\setenv FM_FAULT :fault
\setenv FM_WHERE :where
\! python3 test/fakectl.py fault $FM_FAULT $FM_WHERE --delay-ms 2000 --count $FM_COUNT
SELECT :'fault' AS fault, :'target' AS target,
       regexp_replace(t, '/conversations/[0-9]+', '/conversations/{id}') AS result
  FROM ic_try(format('SELECT pg_temp.same(%L)', :'target')) t;
\! test "$(python3 test/fakectl.py faults-left)" -lt "$FM_COUNT" && echo "the fault was hit" || echo "THE FAULT WAS NOT HIT"
\! python3 test/fakectl.py faults-clear
SELECT pg_temp.same(:'target') AS afterwards;
