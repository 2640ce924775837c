-- intercom_fdw--1.0.sql, part 30: removing from a copy what was deleted upstream

/*
 * _forget_deleted_conversations
 *		Delete from the copy `target` the rows whose key_column names a
 *		conversation the deleted conversations feed lists since `since` (the
 *		run's lower bound: what the previous runs have not seen yet); the
 *		rows deleted.  The feed is read newest first and stops at `since`:
 *		usually one request.
 */
CREATE FUNCTION _forget_deleted_conversations(source regclass, target text, key_column text,
                                              since timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE pg_catalog.format(
        'DELETE FROM %s AS t WHERE t.%I IN '
        '(SELECT d.id FROM @extschema@.deleted_conversations_since($1, $2) d)',
        target, key_column)
      USING source, since;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

/*
 * _reconcile_spend
 *		Before a reconciliation spends `more` requests: stop it (SQLSTATE
 *		ICR01, the caller deletes nothing) when that would pass its budget,
 *		or when it has met a rate limit since it started (the check is
 *		optional work: it gives way to the runs' own reads).
 */
CREATE FUNCTION _reconcile_spend(requests0 bigint, waits0 bigint, budget bigint, more bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    s record := @extschema@.request_stats();
BEGIN
    IF s.rate_limit_waits > waits0 THEN
        RAISE EXCEPTION 'rate-limited after % requests', s.requests - requests0
            USING ERRCODE = 'ICR01';
    END IF;
    IF s.requests - requests0 + more > budget THEN
        RAISE EXCEPTION 'the next step needs % more requests, past the budget of % (intercom_fdw.reconcile_max_requests)',
                        more, budget
            USING ERRCODE = 'ICR01';
    END IF;
END
$$;

/*
 * _reconcile_range
 *		Settle the range [lo, hi) of created_at (lo NULL: from the start):
 *		list what the API has there, upsert the records the copy lacks
 *		(repaired), and check each id the copy has and the listing lacks
 *		with a GET: 404 or 410 deletes the row (410: merged), 200 keeps it
 *		(a record search does not show yet).  Anything else raises, and the
 *		caller's whole reconciliation is rolled back.
 */
CREATE FUNCTION _reconcile_range(source regclass, target text, pk text, col_list text,
                                 lo timestamptz, hi timestamptz,
                                 requests0 bigint, waits0 bigint, budget bigint,
                                 INOUT deleted bigint, INOUT merged bigint, INOUT repaired bigint)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    extra text[];
    chk record;
    n bigint;
BEGIN
    IF pg_catalog.to_regclass('pg_temp.intercom_fdw_rc_listed') IS NOT NULL THEN
        DROP TABLE pg_temp.intercom_fdw_rc_listed;
    END IF;
    -- a search on created_at (pushed down, rechecked locally)
    EXECUTE pg_catalog.format(
        'CREATE TEMP TABLE intercom_fdw_rc_listed ON COMMIT DROP AS SELECT * FROM %s '
        'WHERE created_at < $1%s', source,
        CASE WHEN lo IS NULL THEN '' ELSE ' AND created_at >= $2' END)
      USING hi, lo;
    EXECUTE pg_catalog.format(
        'INSERT INTO %1$s AS t (%2$s) SELECT %2$s FROM pg_temp.intercom_fdw_rc_listed l '
        'WHERE NOT EXISTS (SELECT FROM %1$s c WHERE c.%3$s = l.%3$s) ON CONFLICT (%3$s) DO NOTHING',
        target, col_list, pk);
    GET DIAGNOSTICS n = ROW_COUNT;
    repaired := repaired + n;

    EXECUTE pg_catalog.format(
        'SELECT array_agg(c.id::text ORDER BY c.id) FROM pg_temp.intercom_fdw_rc_copy c '
        'WHERE c.created_at < $1 AND ($2::timestamptz IS NULL OR c.created_at >= $2) '
        'AND NOT EXISTS (SELECT FROM pg_temp.intercom_fdw_rc_listed l WHERE l.%s = c.id)', pk)
      INTO extra USING hi, lo;
    IF extra IS NULL THEN
        RETURN;
    END IF;
    PERFORM @extschema@._reconcile_spend(requests0, waits0, budget, pg_catalog.cardinality(extra));
    FOR chk IN SELECT * FROM @extschema@.record_status(source, extra) LOOP
        CONTINUE WHEN chk.status = 200;
        EXECUTE pg_catalog.format('DELETE FROM %s WHERE %s::text = $1', target, pk) USING chk.id;
        GET DIAGNOSTICS n = ROW_COUNT;
        deleted := deleted + n;
        IF chk.status = 410 THEN
            merged := merged + n;
        END IF;
    END LOOP;
END
$$;

/*
 * _reconcile
 *		Find the records of the copy `target` deleted (or merged) upstream,
 *		and those an earlier run missed, among those created before `upper`
 *		(and from `floor`, the server's start_date, on).
 *
 * The search's total_count over a created_at range costs one small request
 * and is compared with the copy's count of the same range.  Where they are
 * equal, nothing more is read.  Where they differ, the range is split at
 * its middle row (a whole day: contact search compares dates by the
 * workspace's day, so cuts at its midnights count exactly), one half is
 * probed and the other is the difference, until a range holds few rows:
 * then it is listed and settled (_reconcile_range).  Rows are deleted only
 * on a GET's 404 or 410.  A failure, the budget or a rate limit raises:
 * the caller rolls everything back (nothing is deleted) and logs why.
 * What cancels out in counts (a deletion and a missed record in one range)
 * is not seen until the counts differ.
 */
CREATE FUNCTION _reconcile(source regclass, target text, pk text, col_list text,
                           upper timestamptz, floor timestamptz, budget bigint,
                           OUT deleted bigint, OUT merged bigint, OUT repaired bigint)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    -- a range listed rather than split: about two pages (a setting for tests)
    leaf_rows constant bigint := coalesce(
        nullif(current_setting('intercom_fdw.reconcile_leaf_rows', true), '')::bigint, 300);
    s0   record := @extschema@.request_stats();
    tz   text;
    los  timestamptz[];
    his  timestamptz[];
    apis bigint[];
    n    int;
    lo   timestamptz;
    hi   timestamptz;
    mid  timestamptz;
    api  bigint;
    mine bigint;
    left_api bigint;
BEGIN
    deleted := 0;
    merged := 0;
    repaired := 0;
    tz := coalesce(@extschema@.workspace_timezone(source), 'UTC');
    hi := @extschema@._day_start(upper, tz);
    IF floor IS NOT NULL THEN
        -- from the first whole day on or after start_date: the copy holds
        -- every record created since (updated_at >= created_at)
        lo := @extschema@._day_start(floor, tz);
        IF lo < floor THEN
            lo := @extschema@._day_start(floor, tz, 1);
        END IF;
        IF lo >= hi THEN
            RETURN;
        END IF;
    END IF;

    -- the copy's side, once: (id, created_at) of the rows in the range
    IF pg_catalog.to_regclass('pg_temp.intercom_fdw_rc_copy') IS NOT NULL THEN
        DROP TABLE pg_temp.intercom_fdw_rc_copy;
    END IF;
    EXECUTE pg_catalog.format(
        'CREATE TEMP TABLE intercom_fdw_rc_copy ON COMMIT DROP AS SELECT %s AS id, created_at '
        'FROM %s WHERE created_at < $1 AND ($2::timestamptz IS NULL OR created_at >= $2)', pk, target)
      USING hi, lo;
    CREATE INDEX ON pg_temp.intercom_fdw_rc_copy (created_at);
    ANALYZE pg_temp.intercom_fdw_rc_copy;

    PERFORM @extschema@._reconcile_spend(s0.requests, s0.rate_limit_waits, budget, 1);
    los := ARRAY[lo];
    his := ARRAY[hi];
    apis := ARRAY[@extschema@.search_count(source, lo, hi)];
    WHILE pg_catalog.cardinality(his) > 0 LOOP
        n := pg_catalog.cardinality(his);
        lo := los[n];
        hi := his[n];
        api := apis[n];
        los := los[1:n - 1];
        his := his[1:n - 1];
        apis := apis[1:n - 1];
        SELECT count(*) INTO mine FROM pg_temp.intercom_fdw_rc_copy c
         WHERE c.created_at < hi AND (lo IS NULL OR c.created_at >= lo);
        CONTINUE WHEN mine = api;

        -- split at the middle row's day, or the middle day when the copy
        -- has no row there; a single day, or few rows: settle it
        mid := NULL;
        IF greatest(mine, api) > leaf_rows THEN
            IF mine > 0 THEN
                SELECT c.created_at INTO mid FROM pg_temp.intercom_fdw_rc_copy c
                 WHERE c.created_at < hi AND (lo IS NULL OR c.created_at >= lo)
                 ORDER BY c.created_at OFFSET mine / 2 LIMIT 1;
            ELSIF lo IS NOT NULL THEN
                mid := lo + (hi - lo) / 2;
            END IF;
            mid := @extschema@._day_start(mid, tz);
            IF lo IS NOT NULL AND mid <= lo THEN
                mid := @extschema@._day_start(mid, tz, 1);
            END IF;
            IF mid >= hi OR (lo IS NOT NULL AND mid <= lo) THEN
                mid := NULL;
            END IF;
        END IF;
        IF mid IS NULL THEN
            -- listing: about a page per 150 records
            PERFORM @extschema@._reconcile_spend(s0.requests, s0.rate_limit_waits, budget,
                                                 1 + greatest(mine, api) / 150);
            SELECT * INTO deleted, merged, repaired
              FROM @extschema@._reconcile_range(source, target, pk, col_list, lo, hi,
                                                s0.requests, s0.rate_limit_waits, budget,
                                                deleted, merged, repaired);
        ELSE
            PERFORM @extschema@._reconcile_spend(s0.requests, s0.rate_limit_waits, budget, 1);
            left_api := @extschema@.search_count(source, lo, mid);
            los := los || ARRAY[mid, lo];
            his := his || ARRAY[hi, mid];
            apis := apis || ARRAY[api - left_api, left_api];
        END IF;
    END LOOP;
    -- a rate limit met by the last step counts too
    PERFORM @extschema@._reconcile_spend(s0.requests, s0.rate_limit_waits, budget, 0);
END
$$;

/*
 * _reconcile_safely
 *		_reconcile in a subtransaction: one that fails, is cut short or
 *		meets a rate limit is rolled back as a whole, deletes and repairs
 *		nothing, and says why in the note (and a WARNING); the run goes on.
 */
CREATE FUNCTION _reconcile_safely(source regclass, target text, pk text, col_list text,
                                  upper timestamptz, floor timestamptz, budget bigint,
                                  OUT deleted bigint, OUT merged bigint, OUT repaired bigint,
                                  OUT note text, OUT checked boolean)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    rc record;
BEGIN
    deleted := 0;
    checked := false;
    BEGIN
        rc := @extschema@._reconcile(source, target, pk, col_list, upper, floor, budget);
        deleted := rc.deleted;
        merged := rc.merged;
        repaired := rc.repaired;
        note := 'done: counts';
        checked := true;
    EXCEPTION WHEN OTHERS THEN
        -- never delete on doubt: everything it did is rolled back
        note := CASE WHEN SQLSTATE = 'ICR01' THEN 'cut short: ' ELSE 'failed: ' END
                || SQLERRM || '; nothing deleted';
        RAISE WARNING 'materialize %: the check for deleted records did not finish; nothing deleted', target
            USING DETAIL = SQLERRM,
                  HINT = 'The next run checks again; sync_log.reconcile says why.';
    END;
END
$$;

/*
 * _remove_deleted
 *		The step of an incremental run that removes from the copy what was
 *		deleted upstream, for a stream whose stream_deletion rule is 'feed'
 *		or 'count' (whole reads delete as they stage): the rows deleted, of
 *		them merged, the rows repaired, the requests spent, what it did
 *		(sync_log.reconcile), and whether a count reconciliation completed
 *		(a new last_reconciled_at).
 *
 * 'feed' reads the deleted conversations feed; with audit, the counts are
 * compared too, at most every reconcile_every, for what the feed could not
 * say (a copy left alone longer than the lookback).  'count' compares the
 * counts at most every reconcile_every.  A failed feed read fails the run,
 * as any failed read does; a failed reconciliation does not
 * (_reconcile_safely).
 */
CREATE FUNCTION _remove_deleted(source regclass, target text, how text, key_column text,
                                audit boolean, cols text[], pk text, col_list text,
                                bound timestamptz, upper timestamptz, floor timestamptz,
                                reconcile boolean, reconcile_every interval,
                                last_reconciled_at timestamptz, budget bigint,
                                OUT deleted bigint, OUT merged bigint, OUT repaired bigint,
                                OUT requests bigint, OUT note text, OUT checked boolean)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    r0      bigint := (@extschema@.request_stats()).requests;
    started timestamptz := clock_timestamp();
    counts  text;
    rc      record;
BEGIN
    deleted := 0;
    checked := false;
    requests := 0;
    IF NOT reconcile THEN
        note := 'off';
        RETURN;
    END IF;
    IF how = 'feed' AND key_column = ANY (cols) THEN
        deleted := @extschema@._forget_deleted_conversations(source, target, key_column, bound);
        note := 'done: feed';
    ELSIF how = 'feed' THEN
        note := pg_catalog.format('skipped: the copy has no %I column', key_column);
    END IF;
    IF how = 'count' OR audit THEN
        IF NOT 'created_at' = ANY (cols) THEN
            counts := 'skipped: the copy has no created_at column';
        ELSIF reconcile_every IS NOT NULL AND last_reconciled_at > started - reconcile_every THEN
            counts := pg_catalog.format('skipped: last at %s, reconcile_every %s',
                                        last_reconciled_at, reconcile_every);
        ELSE
            rc := @extschema@._reconcile_safely(source, target, pk, col_list, upper, floor, budget);
            deleted := deleted + rc.deleted;
            merged := rc.merged;
            repaired := rc.repaired;
            checked := rc.checked;
            counts := rc.note;
        END IF;
        note := concat_ws('; ', note, counts);
    END IF;
    requests := (@extschema@.request_stats()).requests - r0;
    PERFORM @extschema@._progress(target, 'deleted upstream', deleted,
                                  extract(epoch FROM clock_timestamp() - started) * 1000, requests);
END
$$;
