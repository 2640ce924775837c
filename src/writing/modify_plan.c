/*-------------------------------------------------------------------------
 *
 * modify_plan.c
 *		What may be written at all, decided when a write is planned: every
 *		refusal (a read-only table, a stream with no such write, a column
 *		Intercom does not let a client set, a custom attribute that is not
 *		api_writable, a missing admin_id, DELETE FROM contacts without
 *		allow_delete) happens here, before a single write request.
 *
 *-------------------------------------------------------------------------
 */
#include "modify_internal.h"

#include "access/table.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "optimizer/appendinfo.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

const char *
ic_operation_name(CmdType operation)
{
	return operation == CMD_INSERT ? "INSERT" :
		operation == CMD_UPDATE ? "UPDATE" : "DELETE";
}

const IcWriteOp *
ic_write_op(const IcWriteMap *map, CmdType operation)
{
	const IcWriteOp *op;

	if (map == NULL)
		return NULL;
	op = operation == CMD_INSERT ? &map->insert :
		operation == CMD_UPDATE ? &map->update : &map->delete_;
	return op->method ? op : NULL;
}

/* "INSERT and DELETE", what a stream's map allows, for hints. */
static char *
allowed_ops(const IcWriteMap *map)
{
	StringInfoData buf;
	CmdType		ops[] = {CMD_INSERT, CMD_UPDATE, CMD_DELETE};

	initStringInfo(&buf);
	for (int i = 0; i < 3; i++)
		if (ic_write_op(map, ops[i]))
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", ic_operation_name(ops[i]));
	return buf.data;
}

/* ---------- planning ---------- */

/*
 * intercomAddForeignUpdateTargets
 *		The old row, whole: UPDATE compares it with the new one (core adds
 *		it for UPDATE), DELETE reads the ids of what it deletes from it and
 *		returns it for RETURNING.
 */
void
intercomAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
								RangeTblEntry *target_rte, Relation target_relation)
{
	TriggerDesc *trig = target_relation->trigdesc;

	if (root->parse->commandType != CMD_DELETE)
		return;
	/* core adds it itself for row triggers on DELETE */
	if (trig && (trig->trig_delete_after_row || trig->trig_delete_before_row))
		return;
	add_row_identity_var(root, makeVar(rtindex, InvalidAttrNumber, RECORDOID, -1, InvalidOid, 0),
						 rtindex, "wholerow");
}

/*
 * intercomIsForeignRelUpdatable
 *		What the write map allows, once the updatable option is on.
 */
int
intercomIsForeignRelUpdatable(Relation rel)
{
	const IcWriteMap *map = ic_write_map(ic_table_stream(RelationGetRelid(rel))->name);
	IcWriteOptions wo;
	int			result = 0;

	ic_get_write_options(RelationGetRelid(rel), GetUserId(), &wo);
	if (!wo.updatable || map == NULL)
		return 0;
	if (map->insert.method)
		result |= 1 << CMD_INSERT;
	if (map->update.method)
		result |= 1 << CMD_UPDATE;
	if (map->delete_.method && (!map->delete_needs_allow || wo.allow_delete))
		result |= 1 << CMD_DELETE;
	return result;
}

/* The column's attnum, refusing a write that needs a column the table lacks. */
static AttrNumber
required_column(Relation rel, const char *column, CmdType operation)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), column);

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
				 errmsg("cannot %s foreign table \"%s\": it has no column \"%s\"",
						ic_operation_name(operation), RelationGetRelationName(rel), column),
				 errhint("A write finds its record by this column; add it: ALTER FOREIGN TABLE %s ADD COLUMN %s text.",
						 RelationGetRelationName(rel), quote_identifier(column))));
	return attnum;
}

/* Is the column one of a link table's two ids? */
static bool
is_link_key(const IcStream *stream, const char *column)
{
	return stream->paging == IC_PAGING_LINK &&
		(strcmp(column, stream->stamps[IC_STAMP_ID]) == 0 ||
		 strcmp(column, stream->link_column) == 0);
}

pg_noreturn static void
refuse_column(Relation rel, const IcStream *stream, const IcWriteMap *map,
			  CmdType operation, const char *column)
{
	StringInfoData cols;

	initStringInfo(&cols);
	if (stream->paging == IC_PAGING_LINK)
		appendStringInfo(&cols, "%s, %s", stream->stamps[IC_STAMP_ID], stream->link_column);
	for (int i = 0; i < map->nfields; i++)
	{
		const IcWriteField *f = &map->fields[i];

		if ((operation == CMD_INSERT && f->update_only) || (operation == CMD_UPDATE && f->insert_only))
			continue;
		appendStringInfo(&cols, "%s%s", cols.len ? ", " : "", f->path);
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
			 errmsg("column \"%s\" of foreign table \"%s\" cannot be written by %s",
					column, RelationGetRelationName(rel), ic_operation_name(operation)),
			 errdetail("Intercom does not let a client set it through the %s write of stream %s.",
					   ic_operation_name(operation), stream->name),
			 errhint("Columns %s can set (by their path): %s.", ic_operation_name(operation), cols.data)));
}

/* Refuse, at plan time, a write the table, its options or its map do not allow. */
static void
check_table(Relation rel, const IcStream *stream, const IcWriteMap *map, CmdType operation,
			const IcWriteOptions *wo)
{
	const char *name = RelationGetRelationName(rel);

	if (!wo->updatable)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("foreign table \"%s\" is read-only", name),
				 errdetail("Writes to Intercom are off until the server or table option updatable is true."),
				 errhint("ALTER FOREIGN TABLE %s OPTIONS (ADD updatable 'true'), or the same on the server.",
						 quote_identifier(name))));
	if (ic_write_op(map, operation) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("cannot %s foreign table \"%s\": stream %s has no %s in Intercom's API",
						ic_operation_name(operation), name, stream->name, ic_operation_name(operation)),
				 map ? errhint("Stream %s supports %s.", stream->name, allowed_ops(map)) :
				 errhint("Writable streams: companies, contact_companies, contact_tags, contacts, conversation_tags, conversations, tags, tickets.")));
	if (operation == CMD_DELETE && map->delete_needs_allow && !wo->allow_delete)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("DELETE FROM foreign table \"%s\" is not allowed", name),
				 errdetail("Deleting a record of stream %s in Intercom is irreversible.", stream->name),
				 errhint("ALTER FOREIGN TABLE %s OPTIONS (ADD allow_delete 'true') allows it.",
						 quote_identifier(name))));
}

/* Does the write need the admin_id option (conversation tags, parts, ticket assignment)? */
static bool
needs_admin(const IcWriteMap *map, CmdType operation, const IcWriteField *field)
{
	if (ic_write_op(map, operation)->admin)
		return true;
	return field && field->via != IC_VIA_BODY;
}

/*
 * check_columns
 *		Refuse columns the write cannot set, and an INSERT that leaves out
 *		what the request needs.  Returns the attnums an UPDATE sets, and in
 *		*custom the (column, attribute) pairs of custom attributes it sets.
 */
static List *
check_columns(PlannerInfo *root, RangeTblEntry *rte, Relation rel, const IcStream *stream,
			  const IcWriteMap *map, CmdType operation, const IcWriteOptions *wo,
			  List **custom)
{
	Bitmapset  *cols = ic_changed_cols(root, rte, operation);
	List	   *targets = NIL;
	bool		admin = ic_write_op(map, operation)->admin;
	int			x = -1;

	while ((x = bms_next_member(cols, x)) >= 0)
	{
		AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;
		char	   *column;
		const IcWriteField *field;

		if (attnum <= 0)
			continue;
		column = get_attname(RelationGetRelid(rel), attnum, false);
		if (operation == CMD_INSERT && is_link_key(stream, column))
			continue;
		field = ic_write_field(map, ic_column_path(RelationGetRelid(rel), attnum, column));
		if (field == NULL || (operation == CMD_INSERT && field->update_only) ||
			(operation == CMD_UPDATE && field->insert_only))
			refuse_column(rel, stream, map, operation, column);
		admin |= needs_admin(map, operation, field);
		targets = lappend_int(targets, attnum);
		if (strncmp(field->path, "custom_attributes.", 18) == 0)
			*custom = lappend(*custom, list_make2(makeString(column),
												  makeString(ic_column_path(RelationGetRelid(rel), attnum, column) + 18)));
	}
	if (operation == CMD_INSERT)
	{
		const char *need[2] = {map->required, NULL};

		if (stream->paging == IC_PAGING_LINK)
			need[0] = stream->stamps[IC_STAMP_ID], need[1] = stream->link_column;
		for (int i = 0; i < 2; i++)
			if (need[i] && !bms_is_member(required_column(rel, need[i], operation) -
										  FirstLowInvalidHeapAttributeNumber, cols))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
						 errmsg("INSERT INTO foreign table \"%s\" must give column \"%s\"",
								RelationGetRelationName(rel), need[i]),
						 errhint("Intercom's request needs it: INSERT INTO %s (%s%s%s) ...",
								 RelationGetRelationName(rel), need[0], need[1] ? ", " : "",
								 need[1] ? need[1] : "")));
	}
	if (admin && wo->admin_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("%s on foreign table \"%s\" needs the option admin_id",
						ic_operation_name(operation), RelationGetRelationName(rel)),
				 errdetail("Intercom records which admin tags a conversation, assigns, closes, opens or snoozes."),
				 errhint("ALTER USER MAPPING FOR CURRENT_USER SERVER ... OPTIONS (ADD admin_id '<id from admins>'), or the same on the table or server.")));
	return targets;
}

/* Does a decoded string equal s? */
static bool
json_text_is(const IcJson *v, const char *s)
{
	return ic_json_is(v, IC_JSON_STRING) && v->len == strlen(s) && memcmp(v->u.text, s, v->len) == 0;
}

/*
 * check_custom_attributes
 *		A custom attribute column an INSERT or UPDATE sets must name an
 *		attribute Intercom lets a client write (api_writable).  One GET of the
 *		stream's data attributes, made only for a statement that sets such
 *		a column (conversations from 2.16 list theirs elsewhere: not checked,
 *		Intercom's 400 says it then).
 */
static void
check_custom_attributes(Relation rel, const IcStream *stream, List *custom)
{
	IcOptions	opts;
	IcStats		stats = {0};
	MemoryContext tmp;
	MemoryContext old;
	IcJson	   *root;
	IcJson	   *data;
	IcRequest	r;
	int			major;
	int			minor;
	int			until_major;
	int			until_minor;
	ListCell   *lc;

	if (custom == NIL || stream->custom_model == NULL)
		return;
	ic_get_options(RelationGetRelid(rel), GetUserId(), &opts);
	if (stream->custom_model_until && ic_parse_api_version(opts.api_version, &major, &minor) &&
		ic_parse_api_version(stream->custom_model_until, &until_major, &until_minor) &&
		(major > until_major || (major == until_major && minor >= until_minor)))
		return;
	tmp = AllocSetContextCreate(CurrentMemoryContext, "intercom_fdw attributes", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(tmp);
	r = ic_data_attributes_request(stream->custom_model);
	root = ic_http_send(ic_connect(&opts), &r, ic_page_reader(NULL), NULL, &stats);
	data = ic_json_get(root, "data");
	foreach(lc, custom)
	{
		const char *column = strVal(linitial(lfirst(lc)));
		const char *name = strVal(lsecond(lfirst(lc)));
		IcJson	   *found = NULL;

		for (uint32 i = 0; ic_json_is(data, IC_JSON_ARRAY) && i < data->len; i++)
		{
			IcJson	   *a = ic_json_item(data, i);

			if (json_text_is(ic_json_get(a, "name"), name) &&
				ic_json_is(ic_json_get(a, "custom"), IC_JSON_TRUE))
				found = a;
		}
		if (found == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
					 errmsg("column \"%s\" of foreign table \"%s\" writes custom attribute \"%s\", which Intercom does not have",
							column, RelationGetRelationName(rel), name),
					 errhint("The %s custom attributes are listed by GET /data_attributes?model=%s (IMPORT FOREIGN SCHEMA makes the table %s_attributes).",
							 stream->custom_model, stream->custom_model, stream->custom_model)));
		if (!ic_json_is(ic_json_get(found, "api_writable"), IC_JSON_TRUE))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
					 errmsg("column \"%s\" of foreign table \"%s\" cannot be written: custom attribute \"%s\" is not api_writable",
							column, RelationGetRelationName(rel), name),
					 errhint("Allow API writes of the attribute in Intercom's settings, or leave the column out.")));
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmp);
}

/*
 * intercomPlanForeignModify
 *		Every refusal, before any request.  fdw_private: the attnums an
 *		UPDATE sets (or an INSERT gives).
 */
List *
intercomPlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
						  int subplan_index)
{
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	Relation	rel = table_open(rte->relid, NoLock);
	const IcStream *stream = ic_table_stream(rte->relid);
	const IcWriteMap *map = ic_write_map(stream->name);
	CmdType		operation = plan->operation;
	IcWriteOptions wo;
	List	   *targets;
	List	   *custom = NIL;

	if (operation != CMD_INSERT && operation != CMD_UPDATE && operation != CMD_DELETE)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("intercom_fdw writes with INSERT, UPDATE and DELETE only")));
	ic_get_write_options(rte->relid, GetUserId(), &wo);
	check_table(rel, stream, map, operation, &wo);
	targets = check_columns(root, rte, rel, stream, map, operation, &wo, &custom);
	check_custom_attributes(rel, stream, custom);
	if (operation != CMD_INSERT)
	{
		if (stream->paging == IC_PAGING_LINK)
		{
			(void) required_column(rel, stream->stamps[IC_STAMP_ID], operation);
			(void) required_column(rel, stream->link_column, operation);
		}
		else
			(void) required_column(rel, "id", operation);
	}
	table_close(rel, NoLock);
	return list_make1(targets);
}

