/*-------------------------------------------------------------------------
 *
 * comment.c
 *		COMMENT ON every table and column IMPORT FOREIGN SCHEMA creates:
 *		what it is, the table's key, what a scan costs, what is pushed down.
 *
 * ImportForeignSchema may return only CREATE FOREIGN TABLE statements, so
 * the comments cannot be among them.  PostgreSQL runs each returned
 * statement as a subcommand through ProcessUtility; a hook (installed when
 * the library loads, which the IMPORT itself causes, before its
 * subcommands run) comments each table right after such a subcommand
 * creates it.  Top-level CREATE FOREIGN TABLE is left alone: a table a
 * user writes by hand gets the comments the user writes.
 *
 * Every comment is built from the stream row, so it cannot drift from what
 * the scan does.
 *
 * IDENTIFICATION
 *		src/comment.c
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/comment.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

static ProcessUtility_hook_type prev_process_utility = NULL;

/* What a full scan costs, by paging style. */
static const char *
scan_cost(const IcStream *s, const IcStream *parent)
{
	switch (s->paging)
	{
		case IC_PAGING_NONE:
			return "one request";
		case IC_PAGING_CURSOR:
		case IC_PAGING_PAGE_NUMBER:
			return "one request per page of per_page rows";
		case IC_PAGING_SCROLL:
			return "one request per scroll page; one scroll per workspace at a time";
		case IC_PAGING_PER_PARENT:
			if (s->child_when)
				return psprintf("one request per %s record whose %s is above 0, plus the %s listing",
								parent->name, s->child_when, parent->name);
			return psprintf("one request per %s record, plus the %s listing; filter on the %s",
							parent->name, parent->name, parent->name);
		case IC_PAGING_LINK:
			return psprintf("as a %s scan%s", parent->name,
							s->link_expand ? ", plus one request per record whose list has more" : "");
	}
	return "unknown";
}

static char *
table_comment(const IcStream *s)
{
	const IcStream *parent = ic_stream_parent(s);
	StringInfoData buf;

	initStringInfo(&buf);
	if (s->paging == IC_PAGING_LINK)
		appendStringInfo(&buf, "Intercom link table: one row per %s of a %s record's %s list.",
						 s->link_column, parent->name, s->link_path);
	else if (parent && s->child_path)
		appendStringInfo(&buf, "Intercom %s: the data of GET %s for each %s record.",
						 s->name, psprintf(s->child_path, "{id}"), parent->name);
	else if (parent)
		appendStringInfo(&buf, "Intercom %s: the %s of each %s record (GET %s{id}).",
						 s->name, s->child_list, parent->name, parent->get_path);
	else if (s->list_path)
		appendStringInfo(&buf, "Intercom %s: reads GET %s%s%s.", s->name, s->list_path,
						 s->search_path ? psprintf(", or POST %s when a filter is pushed down",
												   s->search_path) : "",
						 s->list_path_new ? psprintf(" (GET %s from API %s)", s->list_path_new,
													 s->list_path_since) : "");
	else
		appendStringInfo(&buf, "Intercom %s: reads POST %s.", s->name, s->search_path);
	appendStringInfo(&buf, " Key: %s. Replication: %s. A full scan costs %s.",
					 s->primary_key,
					 s->incremental ? psprintf("incremental on %s",
											   s->replication_key ? s->replication_key : "updated_at")
					 : "full",
					 scan_cost(s, parent));
	if (s->get_path && !parent)
		appendStringInfo(&buf, " id = X is one GET %sX.", s->get_path);
	if (s->child_path)
		appendStringInfo(&buf, " %s = X is one GET %s.", s->stamps[IC_STAMP_ID],
						 psprintf(s->child_path, "X"));
	if (s->range_after)
		appendStringInfo(&buf, " %s is required: without a lower bound a scan starts at the server's start_date, else at the epoch.",
						 s->range_after);
	return buf.data;
}

static const char *
search_note(const IcStream *s, const IcColumn *c)
{
	switch (c->search)
	{
		case IC_SEARCH_EQUAL:
			if (strcmp(c->name, ic_stream_key_column(s)) == 0 && s->get_path)
				return " = X is one GET.";
			if (s->lookup_column && strcmp(c->name, s->lookup_column) == 0)
				return psprintf(" = X is one GET %sX.", s->lookup_path);
			return " = X is pushed down to the search API.";
		case IC_SEARCH_DATE_BY_DAY:
			return " Bounds are pushed down, widened to whole days in the workspace time zone, and rechecked.";
		case IC_SEARCH_DATE_SECOND:
			return " Bounds are pushed down to the second, widened where needed, and rechecked.";
		case IC_SEARCH_RANGE_PARAM:
			return psprintf(" Bounds become %s/%s, widened by a second, and are rechecked.",
							s->range_after, s->range_before);
		case IC_SEARCH_NONE:
			break;
	}
	return "";
}

/* ic_column_comment: the comment of a column reading path (import_add.c too). */
char *
ic_column_comment(const IcStream *s, const char *attname, const char *path)
{
	const IcColumn *c = ic_stream_column(s, attname);
	const char *parent_field = ic_stream_parent_field(s, attname);
	StringInfoData buf;

	initStringInfo(&buf);
	if (strcmp(path, IC_EXTRA_PATH) == 0)
		return psprintf("Every top-level field of the %s record that no other column of this table "
						"reads, exactly as sent; {} when there is none. A field Intercom starts "
						"sending arrives here; IMPORT FOREIGN SCHEMA run again with OPTIONS (sample_rows 'N') "
						"makes it a column.",
						s->name);
	if (c == NULL)
	{
		/* a custom data attribute, or a column the user added */
		appendStringInfo(&buf, "Read from %s of each %s record.", path, s->name);
		return buf.data;
	}
	if (strcmp(attname, s->primary_key) == 0)
		appendStringInfoString(&buf, "Primary key. ");
	if (parent_field)
		appendStringInfo(&buf, "The parent %s record's %s, added by the scan.", s->parent, parent_field);
	else if (s->stamps[IC_STAMP_TOTAL] && strcmp(attname, s->stamps[IC_STAMP_TOTAL]) == 0)
		appendStringInfo(&buf, "The parent's %s.total_count (at most 500 are returned), added by the scan.",
						 s->child_list);
	else if (s->paging == IC_PAGING_LINK && strcmp(attname, s->link_column) == 0)
		appendStringInfo(&buf, "The linked id, from %s[]%s%s of the parent.", s->link_path,
						 s->link_child ? "." : "", s->link_child ? s->link_child : "");
	else if (s->paging == IC_PAGING_LINK && strcmp(attname, "id") == 0)
		appendStringInfo(&buf, "%s/%s, unique per link.", s->stamps[IC_STAMP_ID], s->link_column);
	else if (s->child_key && strcmp(attname, "id") == 0)
		appendStringInfo(&buf, "%s/%s, added by the scan: unique per row.", s->stamps[IC_STAMP_ID],
						 s->child_key);
	else if (s->child_key && strcmp(attname, s->child_key) == 0)
		appendStringInfo(&buf, "Intercom's id of the record, added by the scan (id joins it to %s).",
						 s->stamps[IC_STAMP_ID]);
	else
		appendStringInfo(&buf, "Intercom's %s.", strcmp(path, attname) != 0 ? path : attname);
	if (c->type == IC_DATETIME)
		appendStringInfoString(&buf, " Sent as epoch seconds.");
	appendStringInfoString(&buf, search_note(s, c));
	return buf.data;
}

/* The stream of a CREATE FOREIGN TABLE on a server of this FDW, or NULL. */
static const IcStream *
created_stream(CreateForeignTableStmt *stmt)
{
	ForeignServer *server = GetForeignServerByName(stmt->servername, true);
	ListCell   *lc;

	if (server == NULL)
		return NULL;
	{
		ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);
		char	   *handler = OidIsValid(fdw->fdwhandler) ? get_func_name(fdw->fdwhandler) : NULL;

		if (handler == NULL || strcmp(handler, "intercom_fdw_handler") != 0)
			return NULL;
	}
	foreach(lc, stmt->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "stream") == 0)
			return ic_stream_lookup(defGetString(def));
	}
	return NULL;
}

static void
comment_table(CreateForeignTableStmt *stmt, const IcStream *s)
{
	Oid			relid;
	Relation	rel;
	TupleDesc	desc;

	CommandCounterIncrement();	/* see the table just created */
	relid = RangeVarGetRelid(stmt->base.relation, NoLock, false);
	CreateComments(relid, RelationRelationId, 0, table_comment(s));
	rel = table_open(relid, NoLock);
	desc = RelationGetDescr(rel);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		char	   *name = NameStr(attr->attname);

		if (attr->attisdropped)
			continue;
		CreateComments(relid, RelationRelationId, attr->attnum,
					   ic_column_comment(s, name, ic_column_path(relid, attr->attnum, name)));
	}
	table_close(rel, NoLock);
}

static void
ic_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				   ProcessUtilityContext context, ParamListInfo params,
				   QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
							 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
	/* IMPORT FOREIGN SCHEMA's statements are its subcommands */
	if (context == PROCESS_UTILITY_SUBCOMMAND && IsA(parsetree, CreateForeignTableStmt))
	{
		CreateForeignTableStmt *stmt = (CreateForeignTableStmt *) parsetree;
		const IcStream *s = created_stream(stmt);

		if (s)
			comment_table(stmt, s);
	}
}

/* ic_comment_install: called once, from _PG_init. */
void
ic_comment_install(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = ic_process_utility;
}
