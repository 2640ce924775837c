/*-------------------------------------------------------------------------
 *
 * intercom_fdw.c
 *		Foreign data wrapper for the Intercom REST API: the handler, the
 *		planner callbacks and the SQL-callable functions.
 *
 * Each foreign table reads one Intercom stream (src/catalogue/streams.c).  Planning
 * decides how: the list endpoint, the search endpoint with the filters the
 * API can apply (src/planning/pushdown.c), or one GET per id.  Execution is in
 * src/executor/scan.c, HTTP in src/http/transfer.c, value conversion in src/decoding/convert.c, IMPORT
 * FOREIGN SCHEMA in src/catalogue/import.c, options in src/catalogue/option.c.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "commands/defrem.h"
#include "access/sysattr.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "foreign/fdwapi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "access/stratnum.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

PG_MODULE_MAGIC;

/* What planning learns about a relation (baserel->fdw_private). */
typedef struct IcPlanInfo
{
	const IcStream *stream;
	IcScanMode	mode;
	List	   *filters;		/* (column, op) String pairs */
	List	   *filter_exprs;	/* the compared values */
	bool		exact;			/* the API applies every clause exactly */
	bool		pushdown;		/* the pushdown option */
} IcPlanInfo;

/* Planner's cost of one HTTP request, in units of seq_page_cost. */
#define REQUEST_COST 100.0

void		_PG_init(void);

PG_FUNCTION_INFO_V1(intercom_fdw_handler);
PG_FUNCTION_INFO_V1(intercom_fdw_request_stats);
PG_FUNCTION_INFO_V1(intercom_fdw_streams);

void
_PG_init(void)
{
	ic_http_init();
	ic_comment_install();
}

static bool
filter_is(List *filter, const char *column, const char *op)
{
	return strcmp(strVal(linitial(filter)), column) == 0 &&
		(op == NULL || strcmp(strVal(lsecond(filter)), op) == 0 ||
		 strcmp(strVal(lsecond(filter)), "in") == 0);
}

/*
 * choose_mode
 *		The cheapest way to read what the filters ask for: one GET per id,
 *		the company_id lookup, the search endpoint, or the full list.
 */
static IcScanMode
choose_mode(const IcStream *stream, List *filters)
{
	ListCell   *lc;
	bool		searchable = false;
	const char *id_column = ic_stream_key_column(stream);
	const char *lookup = stream->lookup_column;

	foreach(lc, filters)
		if (stream->get_path && filter_is(lfirst(lc), id_column, "="))
			return IC_MODE_IDS;
	foreach(lc, filters)
		if (lookup && filter_is(lfirst(lc), lookup, "="))
			return IC_MODE_LOOKUP;
	foreach(lc, filters)
		if (!filter_is(lfirst(lc), "id", NULL) && !(lookup && filter_is(lfirst(lc), lookup, NULL)))
			searchable = true;
	return (stream->search_path && searchable) ? IC_MODE_SEARCH : IC_MODE_LIST;
}

/* The table's rows: ANALYZE's count (pg_class.reltuples), else the guess. */
static double
stream_rows(const IcStream *stream, RelOptInfo *baserel)
{
	return baserel->tuples >= 0 ? baserel->tuples : stream->default_rows;
}

/*
 * intercomGetForeignRelSize
 *		Decide what can be pushed down and estimate the rows.
 */
static void
intercomGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	IcPlanInfo *info = palloc0(sizeof(IcPlanInfo));
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	bool		pushdown = true;
	ListCell   *lc;

	info->stream = ic_table_stream(foreigntableid);
	foreach(lc, server->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "pushdown") == 0)
			pushdown = defGetBoolean(def);
	}
	pushdown = ic_table_pushdown(foreigntableid, pushdown);

	info->pushdown = pushdown;
	if (pushdown)
		ic_classify_quals(root, baserel, baserel->baserestrictinfo, info->stream,
						  foreigntableid, &info->filters, &info->filter_exprs,
						  &info->exact);
	else
		info->exact = (baserel->baserestrictinfo == NIL);
	info->mode = choose_mode(info->stream, info->filters);
	baserel->fdw_private = info;

	if (info->mode == IC_MODE_IDS || info->mode == IC_MODE_LOOKUP)
		baserel->rows = 1;
	else
		baserel->rows = clamp_row_est(stream_rows(info->stream, baserel) *
									  clauselist_selectivity(root, baserel->baserestrictinfo,
															 0, JOIN_INNER, NULL));
}

/* Rows per request: the page size, or one conversation's parts. */
static void
estimate_costs(IcPlanInfo *info, double rows, Cost *startup, Cost *total)
{
	double		requests;

	if (info->mode == IC_MODE_IDS || info->mode == IC_MODE_LOOKUP)
		requests = Max(rows, 1);
	else if (info->stream->paging == IC_PAGING_PER_PARENT)
		requests = rows / 10 + 1;	/* one GET per conversation */
	else
		requests = ceil(rows / 150) + 1;
	*startup = REQUEST_COST;
	*total = REQUEST_COST * requests + rows * cpu_tuple_cost * 10;
}

/*
 * sort_pushable
 *		+1 / -1 when the query's ORDER BY is updated_at ASC / DESC of this
 *		relation and the search API can sort so; 0 otherwise.
 */
static int
sort_pushable(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid, IcPlanInfo *info)
{
	PathKey    *pk;
	ListCell   *lc;

	if (info->mode != IC_MODE_SEARCH || info->stream->paging == IC_PAGING_PER_PARENT ||
		info->stream->search_unsorted ||
		list_length(root->query_pathkeys) != 1)
		return 0;
	pk = linitial(root->query_pathkeys);
	if (pk->pk_eclass->ec_has_volatile)
		return 0;
	foreach(lc, pk->pk_eclass->ec_members)
	{
		EquivalenceMember *em = lfirst(lc);
		Var		   *var = (Var *) em->em_expr;

		if (!IsA(var, Var) || var->varno != baserel->relid || var->varattno <= 0 ||
			var->vartype != TIMESTAMPTZOID)
			continue;
		if (strcmp(get_attname(foreigntableid, var->varattno, false), "updated_at") != 0)
			continue;
		if (ic_pathkey_is_ascending(pk) && !pk->pk_nulls_first)
			return 1;
		if (ic_pathkey_is_descending(pk) && pk->pk_nulls_first)
			return -1;
	}
	return 0;
}

/* Does an equivalence member stand for the id column (arg: its Var)? */
static bool
ec_member_is_id(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
				EquivalenceMember *em, void *arg)
{
	Var		   *id = (Var *) arg;
	Var		   *var = (Var *) em->em_expr;

	return IsA(var, Var) && var->varno == id->varno && var->varattno == id->varattno &&
		var->varlevelsup == 0;
}

/*
 * add_parameterized_paths
 *		For a join on the id column (conversation_parts.conversation_id =
 *		conversations.id, contacts.id = ..., companies.id = ...), offer a
 *		path that, in a nested loop, GETs one record (or one conversation's
 *		parts) per outer row instead of walking the whole stream.
 */
static void
add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
						IcPlanInfo *info)
{
	const char *id_column = ic_stream_key_column(info->stream);
	AttrNumber	attnum = get_attnum(foreigntableid, id_column);
	Var		   *id;
	List	   *clauses;
	ListCell   *lc;

	if (!info->pushdown || info->stream->get_path == NULL || attnum == InvalidAttrNumber ||
		get_atttype(foreigntableid, attnum) != TEXTOID)
		return;
	id = makeVar(baserel->relid, attnum, TEXTOID, -1, InvalidOid, 0);
	clauses = generate_implied_equalities_for_column(root, baserel, ec_member_is_id, id,
													 baserel->lateral_referencers);
	foreach(lc, clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		Relids		outer = bms_difference(ri->clause_relids, baserel->relids);
		ParamPathInfo *ppi;
		double		rows;

		if (bms_is_empty(outer) || bms_overlap(outer, baserel->lateral_referencers))
			continue;
		ppi = get_baserel_parampathinfo(root, baserel, outer);
		/* one GET per outer row: a conversation's parts, or one record */
		rows = info->stream->paging == IC_PAGING_PER_PARENT ? 10 : 1;
		add_path(baserel, (Path *)
				 ic_create_foreignscan_path(root, baserel, rows, REQUEST_COST,
											REQUEST_COST + rows * cpu_tuple_cost * 10,
											NIL, outer, list_make1(makeInteger(0))));
		(void) ppi;
	}
}

static void
intercomGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	IcPlanInfo *info = baserel->fdw_private;
	Cost		startup;
	Cost		total;
	int			sort_dir;

	estimate_costs(info, baserel->rows, &startup, &total);
	add_path(baserel, (Path *)
			 ic_create_foreignscan_path(root, baserel, baserel->rows, startup, total,
										NIL, NULL, list_make1(makeInteger(0))));

	add_parameterized_paths(root, baserel, foreigntableid, info);

	sort_dir = sort_pushable(root, baserel, foreigntableid, info);
	if (sort_dir != 0)
		add_path(baserel, (Path *)
				 ic_create_foreignscan_path(root, baserel, baserel->rows, startup, total,
											root->query_pathkeys, NULL,
											list_make1(makeInteger(sort_dir))));
}

/*
 * pushable_limit
 *		The query's LIMIT, when stopping after that many rows is safe: one
 *		relation, every clause applied exactly by the API, no grouping, and
 *		the order (if any) produced by the request itself.  -1 for a LIMIT
 *		that cannot be pushed (the scan then does not prefetch), 0 for none.
 */
static int
pushable_limit(PlannerInfo *root, IcPlanInfo *info, Path *best_path)
{
	Query	   *parse = root->parse;

	if (root->limit_tuples <= 0 && parse->limitCount == NULL)
		return 0;
	if (root->limit_tuples <= 0 || root->limit_tuples > 10000 || !info->exact ||
		bms_membership(root->all_baserels) != BMS_SINGLETON ||
		parse->groupClause || parse->groupingSets || parse->distinctClause ||
		parse->hasAggs || parse->hasWindowFuncs || parse->hasTargetSRFs ||
		parse->havingQual || parse->setOperations ||
		(root->query_pathkeys != NIL && best_path->pathkeys == NIL))
		return -1;				/* a LIMIT we cannot push: still, no prefetch */
	return (int) root->limit_tuples;
}

/* The attribute numbers the query reads (target list and local quals). */
static List *
needed_attrs(RelOptInfo *baserel, Relation rel)
{
	Bitmapset  *attrs = NULL;
	List	   *result = NIL;
	ListCell   *lc;
	bool		whole_row;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, baserel->baserestrictinfo)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause, baserel->relid, &attrs);
	whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	for (int attnum = 1; attnum <= RelationGetDescr(rel)->natts; attnum++)
		if (whole_row || bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs))
			result = lappend(result, makeInteger(attnum));
	return result;
}

static ForeignScan *
intercomGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					   ForeignPath *best_path, List *tlist, List *scan_clauses,
					   Plan *outer_plan)
{
	IcPlanInfo *info = baserel->fdw_private;
	Relation	rel = table_open(foreigntableid, NoLock);
	List	   *attrs = needed_attrs(baserel, rel);
	List	   *fdw_private;
	IcPlanInfo	param_info;

	table_close(rel, NoLock);

	/* a parameterized path also pushes its join clauses */
	if (best_path->path.param_info != NULL)
	{
		param_info = *info;
		ic_classify_quals(root, baserel, scan_clauses, info->stream, foreigntableid,
						  &param_info.filters, &param_info.filter_exprs, &param_info.exact);
		param_info.mode = choose_mode(info->stream, param_info.filters);
		info = &param_info;
	}

	/* every clause is rechecked locally: pushed filters may be wider */
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	fdw_private = list_make5(makeInteger(info->mode),
							 info->filters,
							 makeInteger(intVal(linitial(best_path->fdw_private))),
							 makeInteger(pushable_limit(root, info, (Path *) best_path)),
							 attrs);
	return make_foreignscan(tlist, scan_clauses, baserel->relid,
							info->filter_exprs, fdw_private, NIL, NIL, outer_plan);
}

Datum
intercom_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	/* scanning */
	routine->GetForeignRelSize = intercomGetForeignRelSize;
	routine->GetForeignPaths = intercomGetForeignPaths;
	routine->GetForeignPlan = intercomGetForeignPlan;
	routine->BeginForeignScan = intercomBeginForeignScan;
	routine->IterateForeignScan = intercomIterateForeignScan;
	routine->ReScanForeignScan = intercomReScanForeignScan;
	routine->EndForeignScan = intercomEndForeignScan;

	/* EXPLAIN */
	routine->ExplainForeignScan = intercomExplainForeignScan;

	/* writes: off until the updatable option is on (src/modify.c) */
	routine->AddForeignUpdateTargets = intercomAddForeignUpdateTargets;
	routine->PlanForeignModify = intercomPlanForeignModify;
	routine->BeginForeignModify = intercomBeginForeignModify;
	routine->ExecForeignInsert = intercomExecForeignInsert;
	routine->ExecForeignUpdate = intercomExecForeignUpdate;
	routine->ExecForeignDelete = intercomExecForeignDelete;
	routine->EndForeignModify = intercomEndForeignModify;
	routine->BeginForeignInsert = intercomBeginForeignInsert;	/* COPY: refused */
	routine->IsForeignRelUpdatable = intercomIsForeignRelUpdatable;
	routine->ExplainForeignModify = intercomExplainForeignModify;

	/* IMPORT FOREIGN SCHEMA */
	routine->ImportForeignSchema = intercomImportForeignSchema;

	/* ANALYZE: Intercom's total_count and a small sample, not a full walk */
	routine->AnalyzeForeignTable = intercomAnalyzeForeignTable;

	PG_RETURN_POINTER(routine);
}

/* intercom_fdw.request_stats(): this backend's request counters. */
Datum
intercom_fdw_request_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int64GetDatum(ic_backend_stats.requests);
	values[1] = Int64GetDatum(ic_backend_stats.retries);
	values[2] = Int64GetDatum(ic_backend_stats.rate_limit_waits);
	values[3] = Int64GetDatum(ic_backend_stats.bytes);
	values[4] = Float8GetDatum(ic_backend_stats.wait_ms);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* How a full scan lists a stream: its listing, or its search (tickets). */
static char *
stream_listing(const IcStream *s)
{
	if (s->list_path == NULL)
		return psprintf("POST %s", s->search_path);
	return psprintf("GET %s", s->list_path);
}

/* What a full scan of a stream requests, for intercom_fdw.streams(). */
static char *
stream_request(const IcStream *s)
{
	const IcStream *parent = ic_stream_parent(s);

	if (parent && s->paging == IC_PAGING_LINK)
		return psprintf("%s%s%s", stream_listing(parent), s->link_expand ? ", GET " : "",
						s->link_expand ? psprintf(s->link_expand, "{id}") : "");
	if (parent && s->child_path)
		return psprintf("%s then GET %s each%s%s", stream_listing(parent),
						psprintf(s->child_path, "{id}"),
						s->child_when ? " whose " : "",
						s->child_when ? psprintf("%s > 0", s->child_when) : "");
	if (parent)
		return psprintf("%s then GET %s{id} each", stream_listing(parent), parent->get_path);
	if (s->list_path_new)
		return psprintf("GET %s (GET %s from %s)", s->list_path, s->list_path_new,
						s->list_path_since);
	return stream_listing(s);
}

/* intercom_fdw.streams(): the stream catalogue. */
Datum
intercom_fdw_streams(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < ic_nstreams; i++)
	{
		const IcStream *s = &ic_streams[i];
		const char *parent_bookmark = ic_stream_parent_bookmark(s);
		const char *deletion = ic_deletion_name(s->deletion);
		Datum		values[10];
		bool		nulls[10] = {false};

		values[0] = CStringGetTextDatum(s->name);
		values[1] = CStringGetTextDatum(s->primary_key);
		values[2] = BoolGetDatum(s->incremental);
		values[3] = CStringGetTextDatum(stream_request(s));
		values[4] = CStringGetTextDatum(s->replication_key ? s->replication_key : "updated_at");
		nulls[4] = !s->incremental;
		/* materialize's facts (stream_parent, stream_deletion are views) */
		values[5] = CStringGetTextDatum(parent_bookmark ? ic_stream_key_column(s) : "");
		nulls[5] = parent_bookmark == NULL;
		values[6] = CStringGetTextDatum(parent_bookmark ? parent_bookmark : "");
		nulls[6] = parent_bookmark == NULL;
		values[7] = CStringGetTextDatum(deletion ? deletion : "");
		nulls[7] = deletion == NULL;
		/* the feed names conversations: the column with the conversation's id */
		values[8] = CStringGetTextDatum(ic_stream_key_column(s));
		nulls[8] = s->deletion != IC_DELETION_FEED;
		values[9] = BoolGetDatum(s->deletion_audit);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
