/*-------------------------------------------------------------------------
 *
 * analyze.c
 *		ANALYZE of an Intercom foreign table: the row count Intercom reports
 *		(total_count) where a listing has one, plus a small sample.
 *
 * A full walk would spend API quota on every ANALYZE (and autovacuum never
 * analyzes foreign tables, so this runs only when asked).  The sample is
 * the first rows of a plain scan, read through the executor with a LIMIT
 * (which the scan pushes down as a page size), at most IC_ANALYZE_SAMPLE
 * rows: enough for most-common values and widths, not a random sample.
 * The row count is total_count of a one-record page where the stream's
 * listing reports it; else the sample's size when the scan ended before
 * the sample was full (the whole table), else the stream's default guess.
 *
 * IDENTIFICATION
 *		src/analyze.c
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "request.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#define IC_ANALYZE_SAMPLE 1000

/*
 * stream_total
 *		The stream's record count as Intercom reports it, or -1 where no
 *		listing reports one (per-parent and link tables, plain lists, the
 *		activity log).
 */
static double
stream_total(const IcStream *s, Oid relid)
{
	IcOptions	opts;
	IcStats		stats = {0};
	IcConnection *conn;
	IcJson	   *root;
	IcJson	   *total;
	IcRequest	r;

	if (!ic_count_request(s, &r))
		return -1;
	ic_get_options(relid, GetUserId(), &opts);
	conn = ic_connect(&opts);
	root = ic_http_send(conn, &r, ic_page_reader(NULL), NULL, &stats);
	total = ic_json_get(root, "total_count");
	if (!ic_json_is(total, IC_JSON_NUMBER))
		return -1;
	return strtod(pnstrdup(total->u.text, total->len), NULL);
}

/* "SELECT a, b, ... FROM rel LIMIT n": every live column, in attnum order. */
static char *
sample_query(Relation rel, int n)
{
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData buf;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "SELECT ");
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);

		if (attr->attisdropped)
			continue;
		appendStringInfo(&buf, "%s%s", first ? "" : ", ", quote_identifier(NameStr(attr->attname)));
		first = false;
	}
	if (first)
		appendStringInfoString(&buf, "NULL");
	appendStringInfo(&buf, " FROM %s.%s LIMIT %d",
					 quote_identifier(get_namespace_name(RelationGetNamespace(rel))),
					 quote_identifier(RelationGetRelationName(rel)), n);
	return buf.data;
}

static int
acquire_sample_rows(Relation rel, int elevel, HeapTuple *rows, int targrows,
					double *totalrows, double *totaldeadrows)
{
	const IcStream *s = ic_table_stream(RelationGetRelid(rel));
	TupleDesc	desc = RelationGetDescr(rel);
	MemoryContext caller = CurrentMemoryContext;
	int			n = Min(targrows, IC_ANALYZE_SAMPLE);
	int			got;
	double		total;
	bool		reported;
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sample_query(rel, n), true, n) != SPI_OK_SELECT)
		elog(ERROR, "sample query of \"%s\" failed", RelationGetRelationName(rel));
	got = (int) SPI_processed;
	for (int r = 0; r < got; r++)
	{
		int			col = 1;
		MemoryContext old;

		for (int i = 0; i < desc->natts; i++)
		{
			if (TupleDescAttr(desc, i)->attisdropped)
			{
				values[i] = (Datum) 0;
				nulls[i] = true;
				continue;
			}
			values[i] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, col++, &nulls[i]);
		}
		old = MemoryContextSwitchTo(caller);
		rows[r] = heap_form_tuple(desc, values, nulls);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();

	total = stream_total(s, RelationGetRelid(rel));
	reported = total >= 0;
	if (!reported)
		total = got < n ? got : Max(s->default_rows, got);
	*totalrows = Max(total, got);
	*totaldeadrows = 0;
	ereport(elevel,
			(errmsg("\"%s\": sampled the first %d rows of stream %s; %.0f rows, %s",
					RelationGetRelationName(rel), got, s->name, *totalrows,
					reported ? "as Intercom reports" : got < n ? "the whole table" : "a guess")));
	return got;
}

/*
 * intercomAnalyzeForeignTable
 *		ANALYZE support: one "page", the sampler above.
 */
bool
intercomAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
							BlockNumber *totalpages)
{
	*func = acquire_sample_rows;
	*totalpages = 1;
	return true;
}
