/*-------------------------------------------------------------------------
 *
 * reconcile.c
 *		The few requests materialize makes to notice records deleted
 *		upstream (docs/materialize.md, "Deleted and merged records"):
 *
 *		deleted_conversations_since(source, since)
 *			the deleted conversations feed (GET /conversations/deleted,
 *			Intercom-Version 2.16), newest first, read down to `since`:
 *			usually one request;
 *		search_count(source, created_from, created_before)
 *			the search's total_count of records created in a range, one
 *			record per page: one small request;
 *		record_status(source, ids)
 *			the HTTP status of GET /{stream}/{id} for each id: 200 (there),
 *			404 (deleted) or 410 (a merged contact); anything else raises;
 *		workspace_timezone(source)
 *			app.timezone of GET /me: the zone contact search counts days in.
 *
 * They are functions, not foreign tables, because what they return is not
 * a record of a stream: a count, a status.  Every request goes through
 * ic_http_send (retries, rate limits, the request counters); their
 * requests are built by request.c.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "request.h"

#include <math.h>

#include "funcapi.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(intercom_fdw_deleted_conversations_since);
PG_FUNCTION_INFO_V1(intercom_fdw_search_count);
PG_FUNCTION_INFO_V1(intercom_fdw_record_status);
PG_FUNCTION_INFO_V1(intercom_fdw_workspace_timezone);

/* the feed's largest page (intercom-api.md: per_page at most 60) */
#define FEED_PER_PAGE 60


/*
 * table_connection
 *		The connection of the foreign table's server, for the current user,
 *		who must be allowed to SELECT from it: these functions read what
 *		the table would.
 */
static IcConnection *
table_connection(Oid relid, int *per_page)
{
	IcOptions	opts;

	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE ||
		strcmp(GetForeignDataWrapper(GetForeignServer(
			GetForeignTable(relid)->serverid)->fdwid)->fdwname, "intercom_fdw") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an intercom_fdw foreign table", get_rel_name(relid))));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FOREIGN_TABLE, get_rel_name(relid));
	ic_get_options(relid, GetUserId(), &opts);
	if (per_page)
		*per_page = opts.per_page;
	return ic_connect(&opts);
}

/* epoch seconds of a timestamptz */
static double
timestamptz_epoch(TimestampTz t)
{
	return (double) (t - SetEpochTimestamp()) / USECS_PER_SEC;
}

static TimestampTz
epoch_timestamptz(double epoch)
{
	return (TimestampTz) (epoch * USECS_PER_SEC) + SetEpochTimestamp();
}

/* The records array of a response, or an error naming what was asked. */
static IcJson *
response_records(IcJson *root, const char *key, const char *path)
{
	IcJson	   *records = ic_json_get(root, key);

	if (!ic_json_is(records, IC_JSON_ARRAY))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("Intercom response to GET %s has no \"%s\" array", path, key)));
	return records;
}

/*
 * feed_has_next
 *		Whether another page follows page `page` of the feed: total_pages
 *		when sent, else a non-null pages.next.
 */
static bool
feed_has_next(IcJson *root, int page)
{
	IcJson	   *pages = ic_json_get(root, "pages");
	IcJson	   *total = ic_json_get(pages, "total_pages");
	IcJson	   *next = ic_json_get(pages, "next");
	int64_t		n;

	if (ic_json_is(total, IC_JSON_NUMBER) && ic_json_small_integer(total, &n))
		return page < n;
	return next != NULL && next->type != IC_JSON_NULL;
}

/*
 * intercom_fdw.deleted_conversations_since(source regclass, since timestamptz)
 *		The deleted conversations feed of source's server, newest deletion
 *		first, down to `since` (NULL: all of it).
 *
 * Pages of the server's per_page, at most 60 (the feed's limit).  The feed
 * is sorted by deleted_at, newest first (order=desc): reading stops
 * at the first deletion older than since, so a run that comes every few
 * minutes reads one page.  A deletion without a deleted_at is returned and
 * does not stop the reading.
 */
Datum
intercom_fdw_deleted_conversations_since(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	bool		bounded = !PG_ARGISNULL(1);
	double		since = bounded ? timestamptz_epoch(PG_GETARG_TIMESTAMPTZ(1)) : 0;
	const IcStream *feed = ic_stream_lookup("deleted_conversations");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			per_page;
	IcConnection *conn = table_connection(relid, &per_page);
	MemoryContext page_cxt;
	IcStats		stats = {0};
	bool		more = true;

	InitMaterializedSRF(fcinfo, 0);
	page_cxt = AllocSetContextCreate(CurrentMemoryContext, "intercom_fdw feed page",
									 ALLOCSET_DEFAULT_SIZES);
	for (int page = 1; more; page++)
	{
		MemoryContext old = MemoryContextSwitchTo(page_cxt);
		IcRequest	r = ic_feed_request(feed, Min(per_page, FEED_PER_PAGE), page);
		IcJson	   *root = ic_http_send(conn, &r, ic_page_reader(NULL), NULL, &stats);
		IcJson	   *records = response_records(root, feed->list_key, r.path);

		more = records->len > 0 && feed_has_next(root, page);
		for (size_t i = 0; i < records->len; i++)
		{
			IcJson	   *rec = ic_json_item(records, i);
			char	   *id = ic_json_record_id(rec);
			double		deleted_at;
			bool		dated = ic_json_to_epoch(ic_json_get(rec, "deleted_at"), &deleted_at);
			Datum		values[2];
			bool		nulls[2] = {false, !dated};

			if (dated && bounded && deleted_at < since)
			{
				more = false;
				break;
			}
			if (id == NULL)
				continue;
			values[0] = CStringGetTextDatum(id);
			values[1] = dated ? TimestampTzGetDatum(epoch_timestamptz(deleted_at)) : (Datum) 0;
			MemoryContextSwitchTo(old);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			MemoryContextSwitchTo(page_cxt);
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(page_cxt);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(page_cxt);
	return (Datum) 0;
}

/*
 * created_at_clause
 *		The search condition "created_at in [from, before)" as the API
 *		answers it exactly (by day) or as a superset (to the second), as in
 *		partition.c: by day, (= from OR > from) is from's day and later and
 *		< before the days before before's; to the second, > from - 1 and
 *		< before.  Bounds are whole seconds (the caller's cuts are).
 */
static json_t *
created_at_clause(const IcColumn *col, bool has_from, double from, bool has_before,
				  double before)
{
	json_t	   *parts = json_array();

	if (has_from && col->search == IC_SEARCH_DATE_BY_DAY)
		json_array_append_new(parts,
							  json_pack("{s:s, s:[{s:s, s:s, s:I}, {s:s, s:s, s:I}]}",
										"operator", "OR", "value",
										"field", "created_at", "operator", "=", "value", (json_int_t) floor(from),
										"field", "created_at", "operator", ">", "value", (json_int_t) floor(from)));
	else if (has_from)
		json_array_append_new(parts, json_pack("{s:s, s:s, s:I}", "field", "created_at",
											   "operator", ">", "value", (json_int_t) floor(from) - 1));
	if (has_before)
		json_array_append_new(parts, json_pack("{s:s, s:s, s:I}", "field", "created_at",
											   "operator", "<", "value", (json_int_t) floor(before)));
	if (json_array_size(parts) == 1)
	{
		json_t	   *only = json_incref(json_array_get(parts, 0));

		json_decref(parts);
		return only;
	}
	return json_pack("{s:s, s:o}", "operator", "AND", "value", parts);
}

/*
 * intercom_fdw.search_count(source regclass, created_from timestamptz,
 *							 created_before timestamptz)
 *		How many records of source's stream the search finds created in
 *		[created_from, created_before): its total_count, asking for one
 *		record.  Contacts count days in the workspace's time zone: give
 *		bounds at its midnights (workspace_timezone) for an exact count.
 */
Datum
intercom_fdw_search_count(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	const IcStream *stream = ic_table_stream(relid);
	const IcColumn *col = ic_stream_column(stream, "created_at");
	IcStats		stats = {0};
	json_t	   *query;
	char	   *query_text;
	IcRequest	r;
	IcJson	   *root;
	IcJson	   *total;
	int64_t		count;

	if (stream->search_path == NULL || col == NULL ||
		(col->search != IC_SEARCH_DATE_BY_DAY && col->search != IC_SEARCH_DATE_SECOND))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("stream %s cannot be counted by created_at", stream->name),
				 errhint("Contacts, conversations and tickets can.")));
	if (PG_ARGISNULL(1) && PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("search_count needs created_from or created_before"),
				 errhint("Give at least one bound; the search needs a condition.")));
	query = created_at_clause(col,
							  !PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : timestamptz_epoch(PG_GETARG_TIMESTAMPTZ(1)),
							  !PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : timestamptz_epoch(PG_GETARG_TIMESTAMPTZ(2)));
	query_text = json_dumps(query, JSON_COMPACT);
	json_decref(query);
	if (query_text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	r = ic_search_request(stream, pstrdup(query_text), 1, NULL, NULL, NULL);
	free(query_text);
	root = ic_http_send(table_connection(relid, NULL), &r, ic_page_reader(NULL), NULL, &stats);
	total = ic_json_get(root, "total_count");
	if (!ic_json_is(total, IC_JSON_NUMBER) || !ic_json_small_integer(total, &count))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("Intercom response to POST %s has no total_count", stream->search_path)));
	PG_RETURN_INT64((int64) count);
}

/*
 * intercom_fdw.record_status(source regclass, ids text[])
 *		(id, status, code) of GET {get_path}{id} for each id, asked as
 *		2.16: 200 the record is there, 404 it is not (deleted), 410 with
 *		code contact_merged a contact merged into another.  Any other answer
 *		(after the usual retries) raises, so a caller never takes a failure
 *		for a deletion.
 */
Datum
intercom_fdw_record_status(PG_FUNCTION_ARGS)
{
	static const long gone[] = {404, 410, 0};
	Oid			relid = PG_GETARG_OID(0);
	const IcStream *stream = ic_table_stream(relid);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	IcConnection *conn = table_connection(relid, NULL);
	ArrayType  *ids = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n;
	MemoryContext req_cxt;
	IcStats		stats = {0};

	if (stream->get_path == NULL || stream->parent != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("stream %s has no GET by id", stream->name),
				 errhint("Contacts, companies, conversations, tickets and articles have one.")));
	InitMaterializedSRF(fcinfo, 0);
	deconstruct_array(ids, TEXTOID, -1, false, TYPALIGN_INT, &elems, &elem_nulls, &n);
	req_cxt = AllocSetContextCreate(CurrentMemoryContext, "intercom_fdw status",
									ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < n; i++)
	{
		MemoryContext old;
		char	   *id;
		IcFailure	failure = {0};
		IcAnswers	answers = {gone, &failure};
		IcRequest	r;
		IcJson	   *root;
		Datum		values[3];
		bool		nulls[3] = {false, false, true};

		if (elem_nulls[i])
			continue;
		old = MemoryContextSwitchTo(req_cxt);
		id = TextDatumGetCString(elems[i]);
		r = ic_status_request(stream, id);
		root = ic_http_send(conn, &r, ic_page_reader(NULL), &answers, &stats);
		MemoryContextSwitchTo(old);
		values[0] = elems[i];
		values[1] = Int32GetDatum(root ? 200 : (int32) failure.status);
		if (root == NULL && failure.code)
		{
			values[2] = CStringGetTextDatum(failure.code);
			nulls[2] = false;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextReset(req_cxt);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(req_cxt);
	return (Datum) 0;
}

/*
 * intercom_fdw.workspace_timezone(source regclass)
 *		app.timezone of GET /me: the zone whose days contact search compares
 *		dates by (intercom-api.md), or NULL when the answer has none.
 */
Datum
intercom_fdw_workspace_timezone(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	IcStats		stats = {0};
	IcRequest	r = ic_me_request();
	IcJson	   *root = ic_http_send(table_connection(relid, NULL), &r, ic_page_reader(NULL), NULL,
									&stats);
	IcJson	   *tz = ic_json_get(ic_json_get(root, "app"), "timezone");

	if (!ic_json_is(tz, IC_JSON_STRING))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(tz->u.text, tz->len));
}
