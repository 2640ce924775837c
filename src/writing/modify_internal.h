/*-------------------------------------------------------------------------
 *
 * modify_internal.h
 *		What modify.c (the executor's write callbacks) shares with
 *		write_body.c (a row's values as request bodies and paths) and
 *		write_send.c (sending a write, and what its failure says).
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_MODIFY_INTERNAL_H
#define INTERCOM_MODIFY_INTERNAL_H

#include "intercom_fdw.h"
#include "request.h"
#include "write_map.h"

#include "executor/tuptable.h"
#include "utils/rel.h"

typedef struct IcWriteWindow IcWriteWindow;

/* A statement's write state (ResultRelInfo.ri_FdwState). */
typedef struct IcModifyState
{
	Relation	rel;
	const IcStream *stream;
	const IcWriteMap *map;
	const IcWriteOp *op;		/* the operation's request */
	CmdType		operation;
	bool		explain_only;
	IcConnection *conn;
	int			write_concurrency;	/* the server's write_concurrency option */
	IcWriteOptions wo;
	AttrNumber	wholerow;		/* UPDATE/DELETE: the old row's junk column */
	int			natts;
	char	  **paths;			/* per column (attnum - 1): its JSON path */
	const IcWriteField **fields;	/* per column: what it writes, or NULL */
	IcColumnReader *readers;	/* per column: RETURNING from the answer */
	const char **table_keys;	/* RETURNING _extra: the keys columns read (lazily) */
	Bitmapset  *targets;		/* UPDATE: attnums the statement sets */
	AttrNumber	id_att;			/* records: the id column */
	AttrNumber	parent_att;		/* link tables: the parent's id column */
	AttrNumber	child_att;		/* link tables: the child's id column */
	MemoryContext row_cxt;		/* reset for every row */
	/* what the statement did so far, for EXPLAIN ANALYZE, errors, NOTICE */
	IcStats		stats;
	int64		rows_written;
	int64		rows_unchanged;
	char	   *row_desc;		/* the current row, for an error's detail */
	char	   *row_check;		/* SQL that shows whether the row was written */
	int			row_requests;	/* requests of the current row carried out */
	bool		row_deferred;	/* the row's request is in the window */
	IcWriteWindow *window;		/* concurrent writes (write_window.c), or NULL */
	int			others_in_flight;	/* a window's failure: requests still under way */
	bool		accounted;		/* the error being raised has the account */
} IcModifyState;

/* ---- in modify_plan.c ---- */
extern const char *ic_operation_name(CmdType operation);
extern const IcWriteOp *ic_write_op(const IcWriteMap *map, CmdType operation);

/* ---- in modify.c ---- */
pg_noreturn extern void ic_modify_rethrow(IcModifyState *st);

/* ---- in write_body.c ---- */
extern json_t *ic_datum_to_json(Datum value, bool isnull, Oid typid, IcWriteValue how,
								const char *column);
extern json_t *ic_json_new_object(void);
extern void ic_body_set(json_t *body, const char *member, json_t *value);
extern char *ic_write_path(const char *template, const char *first, const char *second);
extern char *ic_datum_text(Datum value, Oid typid);
extern bool ic_datum_changed(Datum a, bool anull, Datum b, bool bnull, Form_pg_attribute attr);
extern char *ic_json_body_text(json_t *body);

/* ---- in write_send.c ---- */
extern IcJson *ic_write_send(IcModifyState *st, const char *method, const char *path,
							 bool creates, json_t *body);

/* ---- in write_window.c ---- */
extern IcWriteWindow *ic_window_create(IcModifyState *st, int size);
extern void ic_window_send(IcModifyState *st, const char *method, const char *path,
						   json_t *body);
extern void ic_window_drain(IcModifyState *st);

#endif							/* INTERCOM_MODIFY_INTERNAL_H */
