-- ic_try(query): the query's one text value, or the error it raised as lines
-- "ERROR sqlstate: message", "DETAIL: ..." (request ids masked), "HINT: ...".
-- In schema public, so that the roles a suite switches to can call it too.
CREATE OR REPLACE FUNCTION public.ic_try(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  r text;
  st text;
  msg text;
  det text;
  hint text;
BEGIN
  EXECUTE q INTO r;
  RETURN NEXT r;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                          det = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  RETURN NEXT 'ERROR ' || st || ': ' || msg;
  IF det <> '' THEN
    RETURN NEXT 'DETAIL: ' || regexp_replace(det, 'request id [0-9a-f-]+', 'request id R');
  END IF;
  IF hint <> '' THEN
    RETURN NEXT 'HINT: ' || hint;
  END IF;
END $$;
