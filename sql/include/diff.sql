-- Rows that differ between a copy and its foreign table, both ways.
CREATE FUNCTION pg_temp.diff(src regclass, copy text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM ((SELECT * FROM %1$s EXCEPT ALL SELECT * FROM %2$s) '
                   'UNION ALL (SELECT * FROM %2$s EXCEPT ALL SELECT * FROM %1$s)) d', src, copy)
       INTO n;
    RETURN n;
END $$;
