/*-------------------------------------------------------------------------
 *
 * modify.c
 *		INSERT, UPDATE and DELETE through the foreign tables: the executor's
 *		callbacks (one row, its requests).  What may be written at all is
 *		decided when the write is planned (modify_plan.c).
 *
 * Writes are off until asked (the updatable option, postgres_fdw's name),
 * and what may be written is the static write map (write_map.c); every
 * refusal happens at plan time, before a single write request.
 *
 * Intercom has no transactions: each row's requests are final once
 * answered.  So an UPDATE sends only the columns whose values change (the
 * old row comes from the scan, as the whole-row junk column), and nothing
 * at all for a row that does not change; a failing row's error says how
 * many rows were written before it and which row failed.
 *
 *-------------------------------------------------------------------------
 */
#include "modify_internal.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* A statement that made at least this many requests ends with a NOTICE. */
#define IC_WRITE_NOTICE_REQUESTS 50

/*
 * intercomBeginForeignModify
 *		The statement's state: connection, columns and their write fields,
 *		where the old row is.  EXPLAIN without ANALYZE connects to nothing.
 */
void
intercomBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
						   List *fdw_private, int subplan_index, int eflags)
{
	EState	   *estate = mtstate->ps.state;
	Relation	rel = rinfo->ri_RelationDesc;
	Oid			relid = RelationGetRelid(rel);
	IcModifyState *st = palloc0(sizeof(IcModifyState));
	TupleDesc	desc = RelationGetDescr(rel);
	ListCell   *lc;

	st->rel = rel;
	st->stream = ic_table_stream(relid);
	st->map = ic_write_map(st->stream->name);
	st->operation = mtstate->operation;
	st->op = ic_write_op(st->map, st->operation);
	st->explain_only = (eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0;
	rinfo->ri_FdwState = st;
	if (st->explain_only)
		return;

	{
		Oid			user = ic_modify_user(rinfo, estate);
		IcOptions	opts;

		ic_get_options(relid, user, &opts);
		ic_get_write_options(relid, user, &st->wo);
		st->conn = ic_connect(&opts);
		st->write_concurrency = opts.write_concurrency;
	}
	foreach(lc, (List *) linitial(fdw_private))
		st->targets = bms_add_member(st->targets, lfirst_int(lc));
	if (st->operation != CMD_INSERT)
	{
		st->wholerow = ExecFindJunkAttributeInTlist(outerPlanState(mtstate)->plan->targetlist,
													"wholerow");
		if (!AttributeNumberIsValid(st->wholerow))
			elog(ERROR, "intercom_fdw: the old row is missing from the plan");
	}
	if (st->stream->paging == IC_PAGING_LINK)
	{
		st->parent_att = get_attnum(relid, st->stream->stamps[IC_STAMP_ID]);
		st->child_att = get_attnum(relid, st->stream->link_column);
	}
	st->id_att = get_attnum(relid, "id");

	st->natts = desc->natts;
	st->paths = palloc0(sizeof(char *) * st->natts);
	st->fields = palloc0(sizeof(IcWriteField *) * st->natts);
	st->readers = palloc0(sizeof(IcColumnReader) * st->natts);
	for (int i = 0; i < st->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);

		if (attr->attisdropped)
			continue;
		st->paths[i] = ic_column_path(relid, i + 1, NameStr(attr->attname));
		if (st->map->nfields)
			st->fields[i] = ic_write_field(st->map, st->paths[i]);
		ic_reader_init(&st->readers[i], rel, i + 1, st->paths[i]);
	}
	st->row_cxt = AllocSetContextCreate(estate->es_query_cxt, "intercom_fdw write row",
										ALLOCSET_DEFAULT_SIZES);

	/*
	 * Concurrent requests where nothing waits for a row's answer: no
	 * RETURNING, no row triggers, a request that is harmless to repeat.
	 */
	if (((ModifyTable *) mtstate->ps.plan)->returningLists == NIL && rel->trigdesc == NULL &&
		!st->op->creates && st->write_concurrency > 1)
		st->window = ic_window_create(st, st->write_concurrency);
}

/* The old row (UPDATE, DELETE), deformed from the whole-row junk column. */
static void
old_row(IcModifyState *st, TupleTableSlot *planSlot, Datum *values, bool *nulls)
{
	bool		isnull;
	Datum		datum = ExecGetJunkAttribute(planSlot, st->wholerow, &isnull);
	HeapTupleData tuple;

	if (isnull)
		elog(ERROR, "intercom_fdw: the old row is NULL");
	tuple.t_data = ic_datum_get_tuple_header(datum);
	tuple.t_len = HeapTupleHeaderGetDatumLength(tuple.t_data);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	heap_deform_tuple(&tuple, RelationGetDescr(st->rel), values, nulls);
}

/* A key column's value as text; NULL refused (a request needs every id). */
static char *
key_text(IcModifyState *st, AttrNumber attnum, Datum *values, bool *nulls)
{
	Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(st->rel), attnum - 1);

	if (nulls[attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("column \"%s\" of foreign table \"%s\" is NULL",
						NameStr(attr->attname), RelationGetRelationName(st->rel)),
				 errdetail("Intercom's request needs this id.")));
	return ic_datum_text(values[attnum - 1], attr->atttypid);
}

/* RETURNING: the record as Intercom answered it, column by column. */
static void
store_answer(IcModifyState *st, TupleTableSlot *slot, IcJson *record)
{
	ExecClearTuple(slot);
	for (int i = 0; i < st->natts; i++)
	{
		IcColumnReader *r = &st->readers[i];

		slot->tts_isnull[i] = true;
		if (st->paths[i] == NULL || record == NULL)
			continue;
		if (r->extra)
		{
			IcJson		extras;

			if (st->table_keys == NULL)
			{
				/* kept for the statement: this runs in the per-row context */
				MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(st));

				st->table_keys = ic_table_keys(st->rel);
				MemoryContextSwitchTo(old);
			}
			slot->tts_values[i] = ic_convert_value(r, ic_record_extras(record, st->table_keys, &extras),
												   &slot->tts_isnull[i]);
			continue;
		}
		slot->tts_values[i] = ic_convert_value(r, r->whole_record ? record :
											   ic_json_path(record, r->path),
											   &slot->tts_isnull[i]);
	}
	ExecStoreVirtualTuple(slot);
}

/* RETURNING of a row Intercom does not answer with (links, deletes): as given. */
static void
store_values(TupleTableSlot *slot, Datum *values, bool *nulls, int natts)
{
	ExecClearTuple(slot);
	memcpy(slot->tts_values, values, sizeof(Datum) * natts);
	memcpy(slot->tts_isnull, nulls, sizeof(bool) * natts);
	ExecStoreVirtualTuple(slot);
}

/* A link row's id column: "parent/child", as the scan makes it. */
static void
set_link_id(IcModifyState *st, Datum *values, bool *nulls, const char *parent,
			const char *child)
{
	if (st->id_att == InvalidAttrNumber)
		return;
	values[st->id_att - 1] = CStringGetTextDatum(psprintf("%s/%s", parent, child));
	nulls[st->id_att - 1] = false;
}

/* ---------- rows, with what a failing row's error says ---------- */

typedef void (*IcRowFn) (IcModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot);

/*
 * ic_modify_rethrow
 *		Re-raise the error being handled (also a cancel) with the
 *		statement's account in its detail: how many rows are already
 *		written, which row failed, how far that row got, and what else was
 *		under way.  Called in a PG_CATCH.
 */
void
ic_modify_rethrow(IcModifyState *st)
{
	ErrorData  *edata;
	char	   *account;

	/* a window's failure inside a row: accounted for once */
	if (st->accounted)
		PG_RE_THROW();
	st->accounted = true;
	MemoryContextSwitchTo(GetMemoryChunkContext(st));
	edata = CopyErrorData();
	FlushErrorState();
	account = psprintf("This statement wrote %lld row%s to Intercom before this one; they stay written (Intercom has no transactions). The failing row is %s%s%s.",
					   (long long) st->rows_written, st->rows_written == 1 ? "" : "s",
					   st->row_desc ? st->row_desc : "the next one",
					   st->row_requests ?
					   psprintf(", of which %d request%s carried out", st->row_requests,
								st->row_requests == 1 ? " was" : "s were") : "",
					   st->others_in_flight ?
					   psprintf("; %d other row%s requests were under way and may have been written too",
								st->others_in_flight, st->others_in_flight == 1 ? "'s" : "s'") : "");
	edata->detail = edata->detail ? psprintf("%s %s", edata->detail, account) : account;
	ReThrowError(edata);
}

typedef void (*IcRowFn) (IcModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot);

/*
 * run_row
 *		One row's requests, in the row's own memory; a failure gets the
 *		statement's account (ic_modify_rethrow).  A row whose request went
 *		into the window counts as written when it is answered.
 */
static void
run_row(IcModifyState *st, IcRowFn fn, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	MemoryContext old = MemoryContextSwitchTo(st->row_cxt);

	MemoryContextReset(st->row_cxt);
	st->row_desc = NULL;
	st->row_check = NULL;
	st->row_requests = 0;
	st->row_deferred = false;
	st->accounted = false;
	PG_TRY();
	{
		fn(st, slot, planSlot);
	}
	PG_CATCH();
	{
		ic_modify_rethrow(st);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	if (st->row_deferred)
		return;
	if (st->row_requests > 0)
		st->rows_written++;
	else
		st->rows_unchanged++;
}

/*
 * send_row_request
 *		A row's request: into the window where it may go (write_window.c),
 *		else now.  NULL: deferred, or a DELETE of what is gone.
 */
static IcJson *
send_row_request(IcModifyState *st, const char *method, const char *path, bool creates, json_t *body)
{
	if (st->window && !creates)
	{
		ic_window_send(st, method, path, body);
		return NULL;
	}
	return ic_write_send(st, method, path, creates, body);
}

/* The INSERT of a link: attach the child to the parent. */
static void
insert_link(IcModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	char	   *parent;
	char	   *child;
	json_t	   *body = ic_json_new_object();

	slot_getallattrs(slot);
	parent = key_text(st, st->parent_att, slot->tts_values, slot->tts_isnull);
	child = key_text(st, st->child_att, slot->tts_values, slot->tts_isnull);
	st->row_desc = psprintf("%s %s / %s %s", st->stream->stamps[IC_STAMP_ID], parent,
							st->stream->link_column, child);
	ic_body_set(body, "id", json_string(child));
	if (st->op->admin)
		ic_body_set(body, "admin_id", json_string(st->wo.admin_id));
	PG_TRY();
	{
		(void) send_row_request(st, st->op->method, ic_write_path(st->op->path, parent, NULL),
								st->op->creates, body);
	}
	PG_FINALLY();
	{
		json_decref(body);
	}
	PG_END_TRY();
	{
		Datum	   *values = palloc(sizeof(Datum) * st->natts);
		bool	   *nulls = palloc(sizeof(bool) * st->natts);

		memcpy(values, slot->tts_values, sizeof(Datum) * st->natts);
		memcpy(nulls, slot->tts_isnull, sizeof(bool) * st->natts);
		set_link_id(st, values, nulls, parent, child);
		store_values(slot, values, nulls, st->natts);
	}
}

/* SQL that shows whether an INSERT's record exists, for the error's hint. */
static char *
insert_check(IcModifyState *st, TupleTableSlot *slot)
{
	AttrNumber	att = get_attnum(RelationGetRelid(st->rel), st->map->required);
	char	   *value = key_text(st, att, slot->tts_values, slot->tts_isnull);

	st->row_desc = psprintf("%s row %s = %s", st->stream->name, st->map->required,
							quote_literal_cstr(value));
	return psprintf("SELECT * FROM %s WHERE %s = %s",
					quote_identifier(RelationGetRelationName(st->rel)),
					quote_identifier(st->map->required), quote_literal_cstr(value));
}

/* The INSERT of a record (a tag, a company): the columns given. */
static void
insert_record(IcModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	json_t	   *body = ic_json_new_object();
	IcJson	   *answer = NULL;

	slot_getallattrs(slot);
	st->row_check = insert_check(st, slot);
	PG_TRY();
	{
		for (int i = 0; i < st->natts; i++)
		{
			const IcWriteField *f = st->fields[i];

			if (f == NULL || f->update_only || slot->tts_isnull[i])
				continue;
			ic_body_set(body, ic_write_member(f, st->paths[i]),
						ic_datum_to_json(slot->tts_values[i], false,
										 TupleDescAttr(RelationGetDescr(st->rel), i)->atttypid,
										 f->value, st->paths[i]));
		}
		answer = ic_write_send(st, st->op->method, st->op->path, st->op->creates, body);
	}
	PG_FINALLY();
	{
		json_decref(body);
	}
	PG_END_TRY();
	store_answer(st, slot, answer);
}

/*
 * intercomBeginForeignInsert
 *		COPY into a table, or a row routed into it as a partition: neither
 *		is planned, so none of the plan-time checks would have run.  Refused;
 *		INSERT ... SELECT from a staging table sends the same requests.
 */
void
intercomBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("COPY into foreign table \"%s\" (or routing rows to it as a partition) is not supported",
					RelationGetRelationName(rinfo->ri_RelationDesc)),
			 errhint("COPY into a staging table, then INSERT INTO %s SELECT ... FROM it.",
					 RelationGetRelationName(rinfo->ri_RelationDesc))));
}

TupleTableSlot *
intercomExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
						  TupleTableSlot *planSlot)
{
	IcModifyState *st = rinfo->ri_FdwState;

	run_row(st, st->stream->paging == IC_PAGING_LINK ? insert_link : insert_record,
			slot, planSlot);
	return slot;
}

/* ---- UPDATE ---- */

/* A conversation part's body: who does it, and what. */
static json_t *
part_body(IcModifyState *st, const char *message_type, const char *type)
{
	json_t	   *body = ic_json_new_object();

	ic_body_set(body, "message_type", json_string(message_type));
	ic_body_set(body, "type", json_string(type ? type : "admin"));
	ic_body_set(body, "admin_id", json_string(st->wo.admin_id));
	return body;
}

/* Send a part (each a visible part of the conversation) and own its body. */
static IcJson *
send_part(IcModifyState *st, const char *id, json_t *body)
{
	IcJson	   *answer = NULL;

	PG_TRY();
	{
		answer = ic_write_send(st, "POST", ic_write_path(st->map->parts_path, id, NULL), true, body);
	}
	PG_FINALLY();
	{
		json_decref(body);
	}
	PG_END_TRY();
	return answer;
}

/*
 * The parts a conversation's changed state and assignment take:
 * assignments first (to an admin, to a team), then the state.  A state
 * that does not change sends nothing: closing a closed conversation would
 * add a part all the same.
 */
static IcJson *
update_parts(IcModifyState *st, const char *id, Datum *values, bool *nulls,
			 const bool *changed)
{
	IcJson	   *answer = NULL;
	int			state = -1;
	int			snooze = -1;

	for (int i = 0; i < st->natts; i++)
	{
		const IcWriteField *f = st->fields[i];
		json_t	   *body;

		if (!changed[i] || f == NULL)
			continue;
		if (f->via == IC_VIA_PART_STATE)
			state = i;
		else if (f->via == IC_VIA_PART_SNOOZE)
			snooze = i;
		else if (f->via == IC_VIA_PART_ADMIN || f->via == IC_VIA_PART_TEAM)
		{
			body = part_body(st, "assignment", f->via == IC_VIA_PART_TEAM ? "team" : "admin");
			/* NULL unassigns: Intercom's assignee 0 */
			ic_body_set(body, "assignee_id",
						json_string(nulls[i] ? "0" :
									ic_datum_text(values[i], TupleDescAttr(RelationGetDescr(st->rel), i)->atttypid)));
			answer = send_part(st, id, body);
		}
	}
	if (state >= 0 || snooze >= 0)
	{
		int			state_att = state >= 0 ? state : -1;
		const char *new_state = NULL;
		json_t	   *body;

		if (state_att < 0)
			for (int i = 0; i < st->natts; i++)
				if (st->fields[i] && st->fields[i]->via == IC_VIA_PART_STATE)
					state_att = i;
		if (state_att >= 0 && !nulls[state_att])
			new_state = ic_datum_text(values[state_att],
									  TupleDescAttr(RelationGetDescr(st->rel), state_att)->atttypid);
		if (new_state == NULL ||
			(strcmp(new_state, "open") != 0 && strcmp(new_state, "closed") != 0 &&
			 strcmp(new_state, "snoozed") != 0))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid conversation state: %s", new_state ? new_state : "NULL"),
					 errhint("Set state to 'open', 'closed' or 'snoozed' (with snoozed_until).")));
		if (strcmp(new_state, "snoozed") == 0)
		{
			if (snooze < 0)
				for (int i = 0; i < st->natts; i++)
					if (st->fields[i] && st->fields[i]->via == IC_VIA_PART_SNOOZE)
						snooze = i;
			if (snooze < 0 || nulls[snooze])
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("snoozing conversation %s needs snoozed_until", id),
						 errhint("UPDATE ... SET state = 'snoozed', snoozed_until = now() + interval '1 day'.")));
			body = part_body(st, "snoozed", NULL);
			ic_body_set(body, "snoozed_until",
						ic_datum_to_json(values[snooze], false, TIMESTAMPTZOID, IC_WV_AUTO,
										 "snoozed_until"));
		}
		else if (state < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("snoozed_until of conversation %s can change only with state 'snoozed'", id)));
		else
			body = part_body(st, strcmp(new_state, "open") == 0 ? "open" : "close", NULL);
		answer = send_part(st, id, body);
	}
	return answer;
}

/* The UPDATE of a record: the parts, then one request with what else changed. */
static void
update_record(IcModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	Datum	   *old = palloc(sizeof(Datum) * st->natts);
	bool	   *oldnull = palloc(sizeof(bool) * st->natts);
	bool	   *changed = palloc0(sizeof(bool) * st->natts);
	TupleDesc	desc = RelationGetDescr(st->rel);
	json_t	   *body = ic_json_new_object();
	IcJson	   *answer = NULL;
	char	   *id;
	bool		any_body = false;
	bool		any_part = false;

	old_row(st, planSlot, old, oldnull);
	slot_getallattrs(slot);
	id = key_text(st, st->id_att, old, oldnull);
	st->row_desc = psprintf("%s %s", st->stream->name, id);
	for (int i = 0; i < st->natts; i++)
		if (bms_is_member(i + 1, st->targets) && st->fields[i] &&
			ic_datum_changed(old[i], oldnull[i], slot->tts_values[i], slot->tts_isnull[i],
							 TupleDescAttr(desc, i)))
		{
			changed[i] = true;
			any_part |= st->fields[i]->via != IC_VIA_BODY && st->fields[i]->via != IC_VIA_BODY_ADMIN;
		}
	PG_TRY();
	{
		if (any_part)
			answer = update_parts(st, id, slot->tts_values, slot->tts_isnull, changed);
		for (int i = 0; i < st->natts; i++)
		{
			const IcWriteField *f = st->fields[i];

			if (!changed[i] || (f->via != IC_VIA_BODY && f->via != IC_VIA_BODY_ADMIN))
				continue;
			ic_body_set(body, ic_write_member(f, st->paths[i]),
						ic_datum_to_json(slot->tts_values[i], slot->tts_isnull[i],
										 TupleDescAttr(desc, i)->atttypid, f->value, st->paths[i]));
			if (f->via == IC_VIA_BODY_ADMIN)
				ic_body_set(body, "admin_id", json_string(st->wo.admin_id));
			any_body = true;
		}
		if (any_body)
			answer = send_row_request(st, st->op->method, ic_write_path(st->op->path, id, NULL),
									  false, body);
	}
	PG_FINALLY();
	{
		json_decref(body);
	}
	PG_END_TRY();
	/* nothing changed, nothing sent: the row is what it was */
	if (answer != NULL)
		store_answer(st, slot, answer);
}

TupleTableSlot *
intercomExecForeignUpdate(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
						  TupleTableSlot *planSlot)
{
	run_row(rinfo->ri_FdwState, update_record, slot, planSlot);
	return slot;
}

/* ---- DELETE ---- */

static void
delete_row(IcModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	Datum	   *old = palloc(sizeof(Datum) * st->natts);
	bool	   *oldnull = palloc(sizeof(bool) * st->natts);
	json_t	   *body = NULL;
	char	   *path;

	old_row(st, planSlot, old, oldnull);
	if (st->stream->paging == IC_PAGING_LINK)
	{
		char	   *parent = key_text(st, st->parent_att, old, oldnull);
		char	   *child = key_text(st, st->child_att, old, oldnull);

		st->row_desc = psprintf("%s %s / %s %s", st->stream->stamps[IC_STAMP_ID], parent,
								st->stream->link_column, child);
		path = ic_write_path(st->op->path, parent, child);
	}
	else
	{
		char	   *id = key_text(st, st->id_att, old, oldnull);

		st->row_desc = psprintf("%s %s", st->stream->name, id);
		path = ic_write_path(st->op->path, id, NULL);
	}
	if (st->op->admin)
	{
		body = ic_json_new_object();
		ic_body_set(body, "admin_id", json_string(st->wo.admin_id));
	}
	PG_TRY();
	{
		(void) send_row_request(st, st->op->method, path, false, body);
	}
	PG_FINALLY();
	{
		if (body)
			json_decref(body);
	}
	PG_END_TRY();
	store_values(slot, old, oldnull, st->natts);
}

TupleTableSlot *
intercomExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
						  TupleTableSlot *planSlot)
{
	run_row(rinfo->ri_FdwState, delete_row, slot, planSlot);
	return slot;
}

/* The statement's account, for a long one: how many requests it made. */
void
intercomEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	IcModifyState *st = rinfo->ri_FdwState;

	if (st == NULL || st->explain_only)
		return;
	ic_window_drain(st);
	if (st->stats.requests >= IC_WRITE_NOTICE_REQUESTS)
		ereport(NOTICE,
				(errmsg("%s on foreign table \"%s\" made %lld requests to Intercom",
						ic_operation_name(st->operation), RelationGetRelationName(st->rel),
						(long long) st->stats.requests),
				 errdetail("%lld rows written, %lld unchanged (nothing sent), %lld retries, %lld rate-limit waits.",
						   (long long) st->rows_written, (long long) st->rows_unchanged,
						   (long long) st->stats.retries, (long long) st->stats.rate_limit_waits)));
}

/*
 * intercomExplainForeignModify
 *		The request each row sends (method and path template), and with
 *		ANALYZE the requests made.
 */
void
intercomExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
							 List *fdw_private, int subplan_index, ExplainState *es)
{
	IcModifyState *st = rinfo->ri_FdwState;
	char	   *request;

	if (st == NULL || st->op == NULL)
		return;
	request = psprintf("%s %s", st->op->method, st->op->path);
	if (st->map->parts_path && st->operation == CMD_UPDATE)
		request = psprintf("POST %s (state, assignment; only when they change), %s (other columns)",
						   st->map->parts_path, request);
	ExplainPropertyText("Intercom Request", request, es);
	if (st->window || (es->verbose && !st->explain_only))
		ExplainPropertyInteger("Intercom Concurrent Requests", NULL,
							   st->window ? st->write_concurrency : 1, es);
	if (es->analyze && !st->explain_only)
	{
		/* the rows are all in: what is still in the window is answered now */
		ic_window_drain(st);
		ExplainPropertyInteger("Intercom Requests", NULL, st->stats.requests, es);
		ExplainPropertyInteger("Rows Written", NULL, st->rows_written, es);
		ExplainPropertyInteger("Rows Unchanged", NULL, st->rows_unchanged, es);
		if (st->stats.retries > 0 || es->format != EXPLAIN_FORMAT_TEXT)
			ExplainPropertyInteger("Retries", NULL, st->stats.retries, es);
	}
}
