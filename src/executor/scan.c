/*-------------------------------------------------------------------------
 *
 * scan.c
 *		Executing a foreign scan: pages fetched lazily, records converted
 *		into the slot, EXPLAIN of the request.
 *
 * A pager (pager.c) walks one endpoint in its own paging style and hands
 * out one record at a time.  Each page lives in a memory context that is
 * reset when the next page is fetched, and each row's Datums in a context
 * reset per row, so memory stays at about one page whatever the table size,
 * and a LIMIT that PostgreSQL stops early costs only the pages it read.
 *
 * conversation_parts, ticket_parts and the link tables hand out rows of
 * their parent records (children.c).
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "request.h"
#include "pager.h"
#include "children.h"

#include <math.h>

#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

typedef struct IcScanState
{
	const IcStream *stream;
	Relation	rel;
	IcOptions	opts;
	IcStats		stats;
	IcScanMode	mode;
	List	   *filters;		/* (column, op) pairs */
	List	   *filter_exprs;	/* ExprState per filter */
	int			sort_dir;
	int			limit;
	IcColumnReader *readers;
	int			nreaders;
	IcColumnIndex *columns;		/* record member -> readers (columns.c) */
	IcJson	  **values;			/* this row's value of each reader */
	IcJson		extras;			/* this row's catch-all object, when read */
	MemoryContext scan_cxt;		/* lives as long as the scan */
	MemoryContext row_cxt;		/* per row */
	IcPagerStart request;		/* what the pager is asked for (build_request) */
	IcPager		pager;
	bool		empty_result;	/* a NULL bound: nothing can match */
	bool		started;
	char	   *request_text;	/* for EXPLAIN: the first request */
	IcChildren	children;		/* parts and link tables: rows of parent records */
	int64		rows_fetched;
	/* errcontext */
	IcJson	   *current_record;
	IcColumnReader *current_reader;
} IcScanState;

/* ---------- errcontext: which stream, column, record, value ---------- */

static void
conversion_error_callback(void *arg)
{
	IcScanState *st = (IcScanState *) arg;
	char	   *id;
	char	   *value = NULL;

	if (st->current_reader == NULL || st->current_record == NULL)
		return;
	id = ic_json_record_id(st->current_record);
	if (!st->current_reader->whole_record && !st->current_reader->extra)
	{
		IcJson	   *v = ic_json_path(st->current_record, st->current_reader->path);

		if (v)
			value = ic_json_to_text(v, 200);
	}
	errcontext("column \"%s\" of foreign table \"%s\" (stream %s), record id %s, value %.200s",
			   st->current_reader->attname, RelationGetRelationName(st->rel),
			   st->stream->name, id ? id : "(none)", value ? value : "(absent)");
}

/* ---------- starting a scan: evaluate the filters, build the request ---------- */

static void
evaluate_filter(ExprState *state, ExprContext *econtext, Oid type,
				IcFilterValue *value)
{
	Datum		d = ExecEvalExpr(state, econtext, &value->isnull);

	value->type = type;
	value->symbolic = false;
	if (value->isnull)
		return;
	switch (type)
	{
		case TIMESTAMPTZOID:
			{
				TimestampTz ts = DatumGetTimestampTz(d);

				if (TIMESTAMP_NOT_FINITE(ts))
					value->infinite = true; /* no API bound: leave it to PostgreSQL */
				else
					value->epoch = (double) ts / USECS_PER_SEC +
						(double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
				break;
			}
		case BOOLOID:
			value->boolval = DatumGetBool(d);
			break;
		case TEXTOID:
			value->text = TextDatumGetCString(d);
			break;
		case TEXTARRAYOID:
			{
				Datum	   *elems;
				bool	   *nulls;
				int			n;

				deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false,
								  TYPALIGN_INT, &elems, &nulls, &n);
				value->texts = NIL;
				for (int i = 0; i < n; i++)
					if (!nulls[i])
						value->texts = lappend(value->texts, makeString(TextDatumGetCString(elems[i])));
				break;
			}
		default:
			value->isnull = true;
	}
}

/* The API field a filter column maps to (parts filter their conversations). */
static const char *
api_field(const IcScanState *st, const char *column)
{
	const char *parent_field = ic_stream_parent_field(st->stream, column);

	return parent_field ? parent_field : column;
}

/* The stream's listing under the server's API version. */
static const char *
scan_list_path(IcScanState *st, const IcStream *stream)
{
	int			major = 0;
	int			minor = 0;

	(void) ic_parse_api_version(st->opts.api_version, &major, &minor);
	return ic_stream_list_path(stream, major, minor);
}

/* The listing's fields that do not depend on filter values. */
static void
init_listing(IcScanState *st, const IcStream *target)
{
	IcListing  *l = &st->request.listing;

	l->stream = target;
	l->child = st->stream->child_path ? st->stream : NULL;
	l->mode = st->mode;
	l->sort_dir = st->sort_dir;
	l->per_page = st->limit > 0 ? Min(st->opts.per_page, Max(st->limit, 1)) : st->opts.per_page;
	l->list_path = scan_list_path(st, target);
	l->by_page = (st->mode == IC_MODE_LIST && target->limit_path != NULL &&
				  st->limit > 0 && st->limit <= IC_LIMIT_PATH_MAX_ROWS) ||
		(st->mode == IC_MODE_LIST && target->paging == IC_PAGING_PAGE_NUMBER);
	if (l->by_page)
		l->per_page = Min(l->per_page, IC_LIMIT_PATH_MAX_PER_PAGE);
	l->range_query = NULL;
	st->request.ids = NIL;
	st->empty_result = false;
}

/* An id or lookup value (or a list of them) to GET. */
static void
add_id(IcScanState *st, const char *op, const IcFilterValue *value)
{
	IcPagerStart *p = &st->request;

	if (value->symbolic)
		p->ids = lappend(p->ids, makeString(psprintf("{%s}", value->text)));
	else if (value->isnull)
		st->empty_result = true;
	else if (value->texts || strcmp(op, "in") == 0)
		p->ids = list_concat(p->ids, value->texts);
	else
		p->ids = lappend(p->ids, makeString(value->text));
}

/*
 * add_filter
 *		Route one filter and its value: an id to GET, a bound of a listing
 *		with date parameters, or a clause of the search (in *clauses).  A
 *		NULL compared value makes the result empty.
 */
static void
add_filter(IcScanState *st, const char *column, const char *op, IcFilterValue *value,
		   IcRange *range, List **clauses)
{
	IcListing  *l = &st->request.listing;
	const IcColumn *col = ic_stream_column(st->stream, column);
	const char *key_column = ic_stream_key_column(st->stream);
	bool		is_lookup = st->stream->lookup_column &&
		strcmp(column, st->stream->lookup_column) == 0;
	json_t	   *clause;

	if (strcmp(op, "in") == 0 || ((strcmp(column, "id") == 0 || strcmp(column, key_column) == 0 ||
								   is_lookup) && strcmp(op, "=") == 0))
	{
		if (l->mode == (is_lookup ? IC_MODE_LOOKUP : IC_MODE_IDS))
			add_id(st, op, value);
		return;
	}
	if (col->search == IC_SEARCH_RANGE_PARAM)
	{
		/* a bound of the listing itself, in whatever mode */
		if (value->isnull)
			st->empty_result = true;
		else if (!value->infinite)
			ic_range_add(range, op, value);
		return;
	}
	if (l->mode != IC_MODE_SEARCH)
		return;
	if (value->isnull)
	{
		st->empty_result = true;	/* col op NULL is never true */
		return;
	}
	if (value->infinite)
		return;
	clause = ic_search_clause(col, api_field(st, column), op, value);
	if (clause)
		*clauses = lappend(*clauses, clause);
}

/* A duplicate id would return its row twice. */
static List *
unique_ids(List *ids)
{
	List	   *unique = NIL;
	ListCell   *lc;

	foreach(lc, ids)
		if (!list_member(unique, lfirst(lc)))
			unique = lappend(unique, lfirst(lc));
	return unique;
}

/*
 * finish_search
 *		The search's query from its clauses; a stream with no listing
 *		searches for everything (tickets); a search left with no usable
 *		clause (every value NULL or unusable) lists instead.
 */
static void
finish_search(IcListing *l, const IcStream *target, List *clauses)
{
	json_t	   *query;
	char	   *text;
	ListCell   *lc;

	if (l->mode == IC_MODE_SEARCH && clauses == NIL && target->list_query)
		clauses = lappend(clauses, json_loads(target->list_query, 0, NULL));
	if (l->mode == IC_MODE_LIST && target->list_query)
	{
		l->mode = IC_MODE_SEARCH;
		clauses = lappend(clauses, json_loads(target->list_query, 0, NULL));
	}
	if (l->mode != IC_MODE_SEARCH)
		return;
	if (clauses == NIL)
	{
		l->mode = IC_MODE_LIST;
		return;
	}
	query = ic_search_query(clauses);
	text = json_dumps(query, JSON_COMPACT | JSON_SORT_KEYS);
	l->query_json = pstrdup(text);
	free(text);
	json_decref(query);
	foreach(lc, clauses)
		json_decref((json_t *) lfirst(lc));
}

/*
 * build_request
 *		Turn the planned filters and their values into the pager's request.
 *		With symbolic set (EXPLAIN without ANALYZE) values that need
 *		execution are shown as their expression's text.
 */
static void
build_request(IcScanState *st, ExprContext *econtext, List *exprs_plain,
			  bool symbolic, List *dpcontext)
{
	const IcStream *target = st->stream->parent ? ic_stream_parent(st->stream) : st->stream;
	IcPagerStart *p = &st->request;
	IcRange		range = {0};
	List	   *clauses = NIL;
	ListCell   *lf;
	ListCell   *le;
	ListCell   *lp;

	init_listing(st, target);
	forthree(lf, st->filters, le, st->filter_exprs, lp, exprs_plain)
	{
		List	   *f = lfirst(lf);
		Expr	   *plain = lfirst(lp);
		IcFilterValue value = {0};

		if (symbolic && !IsA(plain, Const))
		{
			value.symbolic = true;
			value.text = deparse_expression((Node *) plain, dpcontext, false, false);
		}
		else
			evaluate_filter(lfirst(le), econtext, exprType((Node *) plain), &value);
		add_filter(st, strVal(linitial(f)), strVal(lsecond(f)), &value, &range, &clauses);
	}
	if (target->range_after)
		p->listing.range_query = ic_range_query(target, &range, st->opts.start_date);
	if (p->listing.mode == IC_MODE_IDS || p->listing.mode == IC_MODE_LOOKUP)
		p->ids = unique_ids(p->ids);
	finish_search(&p->listing, target, clauses);
}

/*
 * describe_request
 *		The first request of the scan, as request.c builds it for the pager:
 *		EXPLAIN shows what is sent. Values known only at execution appear
 *		as their expressions in braces (EXPLAIN without ANALYZE).
 */
static char *
describe_request(IcScanState *st)
{
	IcPagerStart *p = &st->request;
	StringInfoData buf;
	ListCell   *lc;
	IcRequest	r;

	initStringInfo(&buf);
	if (st->empty_result)
		return "none (a compared value is NULL)";
	switch (p->listing.mode)
	{
		case IC_MODE_IDS:
		case IC_MODE_LOOKUP:
			foreach(lc, p->ids)
			{
				const char *id = strVal(lfirst(lc));

				if (buf.len > 0)
					appendStringInfoString(&buf, ", ");
				if (id[0] == '{' && p->listing.child)
				{
					/* symbolic, in the child's path: its id is the expression */
					appendStringInfo(&buf, "GET %s", psprintf(p->listing.child->child_path, id));
				}
				else if (id[0] == '{')
				{
					/* symbolic: the path up to the id, then the expression */
					r = ic_record_request(&p->listing, "");
					appendStringInfo(&buf, "%s %s%s", r.method, r.path, id);
				}
				else
				{
					r = ic_record_request(&p->listing, id);
					appendStringInfoString(&buf, ic_request_text(&r));
				}
			}
			if (buf.len == 0)
				appendStringInfoString(&buf, "none (no id)");
			break;
		case IC_MODE_SEARCH:
		case IC_MODE_LIST:
			r = ic_first_request(&p->listing);
			appendStringInfoString(&buf, ic_request_text(&r));
			break;
	}
	if (ic_is_parts(st->stream) && p->listing.mode != IC_MODE_IDS)
	{
		/* the path of each parent's request, its id not escaped: {id} */
		appendStringInfo(&buf, ", then GET %s for each", st->stream->child_path
						 ? psprintf(st->stream->child_path, "{id}")
						 : psprintf("%s{id}", p->listing.stream->get_path));
		if (st->stream->child_when)
			appendStringInfo(&buf, " whose %s > 0", st->stream->child_when);
	}
	if (ic_is_link(st->stream) && st->stream->link_expand)
		appendStringInfo(&buf, ", and GET %s where a list has more",
						 psprintf(st->stream->link_expand, "{id}"));
	return buf.data;
}

/* ---------- executor callbacks ---------- */

/* Does the scan read the catch-all column? */
static bool
catch_all_read(const IcScanState *st)
{
	for (int i = 0; i < st->nreaders; i++)
		if (st->readers[i].extra)
			return true;
	return false;
}

static List *
plain_filter_exprs(ForeignScan *fsplan)
{
	return fsplan->fdw_exprs;
}

void
intercomBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	IcScanState *st;
	Oid			userid;
	List	   *attrs;
	ListCell   *lc;
	int			i = 0;

	st = palloc0(sizeof(IcScanState));
	node->fdw_state = st;
	st->rel = node->ss.ss_currentRelation;
	st->stream = ic_table_stream(RelationGetRelid(st->rel));
	userid = ic_scan_user(fsplan, estate);
	ic_get_options(RelationGetRelid(st->rel), userid, &st->opts);

	st->mode = intVal(list_nth(fsplan->fdw_private, IcPrivMode));
	st->filters = (List *) list_nth(fsplan->fdw_private, IcPrivFilters);
	st->sort_dir = intVal(list_nth(fsplan->fdw_private, IcPrivSortDir));
	st->limit = intVal(list_nth(fsplan->fdw_private, IcPrivLimit));
	attrs = (List *) list_nth(fsplan->fdw_private, IcPrivAttrs);
	st->filter_exprs = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);

	st->scan_cxt = AllocSetContextCreate(estate->es_query_cxt, "intercom_fdw scan",
										 ALLOCSET_DEFAULT_SIZES);
	st->row_cxt = AllocSetContextCreate(st->scan_cxt, "intercom_fdw row",
										ALLOCSET_DEFAULT_SIZES);
	ic_children_init(&st->children, st->scan_cxt);
	ic_pager_init(&st->pager, st->scan_cxt);

	/* the columns to convert: only those the query needs */
	st->readers = palloc0(sizeof(IcColumnReader) * Max(list_length(attrs), 1));
	foreach(lc, attrs)
	{
		AttrNumber	attnum = (AttrNumber) intVal(lfirst(lc));
		Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(st->rel), attnum - 1);

		if (attr->attisdropped)
			continue;
		ic_reader_init(&st->readers[i++], st->rel, attnum,
					   ic_column_path(RelationGetRelid(st->rel), attnum, NameStr(attr->attname)));
	}
	st->nreaders = i;
	st->columns = ic_column_index_build(st->readers, st->nreaders,
										catch_all_read(st) ? ic_table_keys(st->rel) : NULL);
	st->values = palloc(sizeof(IcJson *) * Max(st->nreaders, 1));
}

/*
 * counts_records
 *		A query that reads no column (count(*)) only needs to know how many
 *		records each page holds: the decoder validates and counts them
 *		instead of building them.  Not for scrolls (a restart dedupes by
 *		id), parts (stamped per part) or single GETs (no list envelope).
 */
static bool
counts_records(const IcScanState *st)
{
	return st->nreaders == 0 && !ic_is_parts(st->stream) && !ic_is_link(st->stream) &&
		st->stream->paging != IC_PAGING_SCROLL &&
		(st->mode == IC_MODE_LIST || st->mode == IC_MODE_SEARCH);
}

/* First Iterate after Begin or ReScan: connect, build the request, begin the pager. */
static void
start_scan(ForeignScanState *node, IcScanState *st)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	MemoryContext old = MemoryContextSwitchTo(st->scan_cxt);
	IcPagerStart *r = &st->request;

	build_request(st, node->ss.ps.ps_ExprContext, plain_filter_exprs(fsplan), false, NIL);
	if (st->request_text == NULL)
		st->request_text = describe_request(st);
	r->empty = st->empty_result;
	r->conn = ic_connect(&st->opts);
	r->stats = &st->stats;
	r->count_key = counts_records(st) ? st->stream->list_key : NULL;
	r->concurrency = st->opts.concurrency;
	r->partition_ok = !st->empty_result &&
		ic_partition_wanted(st->stream, r->listing.mode, st->limit, st->sort_dir, st->opts.concurrency,
							st->opts.pushdown);

	/*
	 * Prefetch the next page, unless the query has a LIMIT (a prefetched
	 * page could be one request too many) or concurrency is 1 (strictly one
	 * request at a time). The pager also declines for a stream with its own
	 * API version (pager.c).
	 */
	r->prefetch = st->limit == 0 && st->opts.concurrency > 1;
	ic_children_reset(&st->children, st->stream, &st->pager, r);
	ic_pager_begin(&st->pager, r);
	if (ic_is_parts(st->stream) && r->listing.mode != IC_MODE_IDS)
		ic_children_open_window(&st->children, st->opts.concurrency);
	st->started = true;
	MemoryContextSwitchTo(old);
}

TupleTableSlot *
intercomIterateForeignScan(ForeignScanState *node)
{
	IcScanState *st = (IcScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ErrorContextCallback errcb;
	IcJson	   *record;
	MemoryContext old;

	if (!st->started)
		start_scan(node, st);

	ExecClearTuple(slot);
	MemoryContextReset(st->row_cxt);
	record = ic_is_parts(st->stream) ? ic_children_next_part(&st->children)
		: ic_is_link(st->stream) ? ic_children_next_link(&st->children) : ic_pager_next(&st->pager);
	if (record == NULL)
		return slot;
	st->rows_fetched++;
	if ((st->rows_fetched & 15) == 0)
		ic_pager_poll(&st->pager);	/* keep the next pages moving */

	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	errcb.callback = conversion_error_callback;
	errcb.arg = st;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	st->current_record = record;
	old = MemoryContextSwitchTo(st->row_cxt);
	ic_column_index_lookup(st->columns, record, st->values, &st->extras);
	for (int i = 0; i < st->nreaders; i++)
	{
		IcColumnReader *reader = &st->readers[i];

		st->current_reader = reader;
		slot->tts_values[reader->attnum - 1] =
			ic_convert_value(reader, st->values[i], &slot->tts_isnull[reader->attnum - 1]);
	}
	MemoryContextSwitchTo(old);
	st->current_reader = NULL;
	error_context_stack = errcb.previous;
	return ExecStoreVirtualTuple(slot);
}

void
intercomReScanForeignScan(ForeignScanState *node)
{
	IcScanState *st = (IcScanState *) node->fdw_state;

	/* parameters may have changed: rebuild the request on the next row */
	st->started = false;
}

void
intercomEndForeignScan(ForeignScanState *node)
{
	IcScanState *st = (IcScanState *) node->fdw_state;

	if (st && st->scan_cxt)
		MemoryContextDelete(st->scan_cxt);	/* frees every page's JSON too */
}

void
intercomExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	IcScanState *st = (IcScanState *) node->fdw_state;

	if (st->request_text == NULL)
	{
		/*
		 * Not executed (plain EXPLAIN): show values known only at execution
		 * (parameters, now(), outer columns) as their expressions, deparsed
		 * in EXPLAIN's context so nested-loop parameters name their column.
		 */
		ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;

		build_request(st, node->ss.ps.ps_ExprContext, plain_filter_exprs(fsplan), true,
					  es->deparse_cxt);
		st->request_text = describe_request(st);
	}
	ExplainPropertyText("Intercom Request", st->request_text, es);
	if (es->verbose)
	{
		StringInfoData cols;

		initStringInfo(&cols);
		for (int i = 0; i < st->nreaders; i++)
			appendStringInfo(&cols, "%s%s", i ? ", " : "", st->readers[i].attname);
		if (cols.len == 0)
			appendStringInfoString(&cols, counts_records(st) ? "(none: records counted, not parsed)" : "(none)");
		ExplainPropertyText("Intercom Columns", cols.data, es);
		ExplainPropertyInteger("Intercom Page Size", NULL, st->request.listing.per_page ? st->request.listing.per_page : st->opts.per_page, es);
		if (!st->empty_result &&
			ic_partition_wanted(st->stream, st->request.listing.mode, st->limit, st->sort_dir,
								st->opts.concurrency, st->opts.pushdown))
			ExplainPropertyText("Intercom Partitions",
								psprintf("up to %d by %s", st->opts.concurrency,
										 ic_partition_key(st->stream)->name), es);
	}
	if (es->analyze)
	{
		ExplainPropertyInteger("Intercom Requests", NULL, st->stats.requests, es);
		ExplainPropertyInteger("Intercom Pages", NULL, st->pager.pages, es);
		ExplainPropertyInteger("Intercom Rows Fetched", NULL, st->rows_fetched, es);
		ExplainPropertyInteger("Intercom Retries", NULL, st->stats.retries, es);
		ExplainPropertyInteger("Intercom Rate Limit Waits", NULL, st->stats.rate_limit_waits, es);
		if (ic_is_parts(st->stream))
		{
			/* parents gone since listed: "Intercom Conversations Missing" */
			const char *parent = st->stream->parent;

			ExplainPropertyInteger(psprintf("Intercom %c%s Missing", pg_toupper((unsigned char) parent[0]),
											parent + 1),
								   NULL, st->children.parents_missing, es);
			/* parents not asked: their inlined count is 0 */
			if (st->stream->child_when)
				ExplainPropertyInteger(psprintf("Intercom %c%s Skipped",
												pg_toupper((unsigned char) parent[0]), parent + 1),
									   NULL, st->children.parents_skipped, es);
		}
		ic_pager_explain(&st->pager, es);
		/* like "Rows Removed by Filter": shown when there are some */
		if (st->stats.replaced_chars > 0 || es->format != EXPLAIN_FORMAT_TEXT)
			ExplainPropertyInteger("Intercom Replaced Characters", NULL, st->stats.replaced_chars, es);
		if (es->verbose)
			ExplainPropertyInteger("Intercom Bytes", NULL, st->stats.bytes, es);
	}
}
