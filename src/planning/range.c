/*-------------------------------------------------------------------------
 *
 * range.c
 *		Listings bounded by date parameters (GET /admins/activity_logs
 *		?created_at_after=&created_at_before=).
 *
 * The stream row names the two parameters (range_after, range_before);
 * bounds on the column marked IC_SEARCH_RANGE_PARAM become their values.
 * Whether the API's bounds are inclusive is not documented, so each bound
 * is moved out by a second (floor - 1 below, ceil + 1 above): the request
 * returns a superset and PostgreSQL rechecks the exact condition.  The
 * lower parameter is required: without a lower bound in the query a scan
 * starts at the server's start_date, else at the stream's
 * range_default_after.
 *
 * IDENTIFICATION
 *		src/range.c
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/timestamp.h"

/*
 * ic_range_add
 *		Narrow the range by one pushed filter (col op value).  Several lower
 *		bounds keep the highest, several upper bounds the lowest: the query
 *		is their AND.
 */
void
ic_range_add(IcRange *range, const char *op, const IcFilterValue *value)
{
	bool		lower = op[0] == '>' || strcmp(op, "=") == 0;
	bool		upper = op[0] == '<' || strcmp(op, "=") == 0;

	if (value->symbolic)
	{
		/* EXPLAIN of a generic plan: show the widened expression */
		if (lower)
		{
			range->has_after = true;
			range->after_text = psprintf("{%s - 1 second}", value->text);
		}
		if (upper)
		{
			range->has_before = true;
			range->before_text = psprintf("{%s + 1 second}", value->text);
		}
		return;
	}
	if (lower)
	{
		double		after = floor(value->epoch) - 1;

		if (!range->has_after || after > range->after)
			range->after = after;
		range->has_after = true;
	}
	if (upper)
	{
		double		before = ceil(value->epoch) + 1;

		if (!range->has_before || before < range->before)
			range->before = before;
		range->has_before = true;
	}
}

/* The server option start_date as epoch seconds (validated when set). */
static double
start_date_epoch(const char *start_date)
{
	TimestampTz ts = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
															 CStringGetDatum(start_date),
															 ObjectIdGetDatum(InvalidOid),
															 Int32GetDatum(-1)));

	return (double) ts / USECS_PER_SEC +
		(double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

/*
 * ic_range_query
 *		"&created_at_after=A[&created_at_before=B]" for the listing's URL.
 */
char *
ic_range_query(const IcStream *stream, const IcRange *range, const char *start_date)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (range->after_text)
		appendStringInfo(&buf, "&%s=%s", stream->range_after, range->after_text);
	else if (range->has_after)
		appendStringInfo(&buf, "&%s=%.0f", stream->range_after, range->after);
	else if (start_date)
		appendStringInfo(&buf, "&%s=%.0f", stream->range_after,
						 floor(start_date_epoch(start_date)) - 1);
	else
		appendStringInfo(&buf, "&%s=%ld", stream->range_after, stream->range_default_after);
	if (stream->range_before && range->before_text)
		appendStringInfo(&buf, "&%s=%s", stream->range_before, range->before_text);
	else if (stream->range_before && range->has_before)
		appendStringInfo(&buf, "&%s=%.0f", stream->range_before, range->before);
	return buf.data;
}
