/*-------------------------------------------------------------------------
 *
 * write_map.h
 *		The static description of what SQL may write to Intercom: per
 *		stream, the request an INSERT, UPDATE or DELETE of a row sends, and
 *		the columns each may set (write_map.c).
 *
 * Like streams.h, plain data without PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_WRITE_MAP_H
#define INTERCOM_WRITE_MAP_H

#include <stdbool.h>

/* How a column's new value becomes a member of the request body. */
typedef enum IcWriteValue
{
	IC_WV_AUTO,					/* by SQL type: string, boolean, number, epoch, jsonb */
	IC_WV_INTEGER				/* an id held as text that the API takes as an integer */
} IcWriteValue;

/* Which request of a row carries a column (conversations use several). */
typedef enum IcWriteVia
{
	IC_VIA_BODY,				/* the operation's own request body */
	IC_VIA_BODY_ADMIN,			/* the body, with the admin_id option beside it */
	IC_VIA_PART_STATE,			/* conversations: a close/open/snoozed part */
	IC_VIA_PART_ADMIN,			/* conversations: an assignment part to an admin */
	IC_VIA_PART_TEAM,			/* conversations: an assignment part to a team */
	IC_VIA_PART_SNOOZE			/* conversations: snoozed_until, with a snoozed part */
} IcWriteVia;

/*
 * A writable column, found by its JSON path (so a custom attribute column
 * matches "custom_attributes.*" whatever its name, and a user's own column
 * with OPTIONS (path 'ticket_state.id') matches that).
 */
typedef struct IcWriteField
{
	const char *path;			/* column path; "x.*" matches any x.<name> */
	const char *field;			/* request member; NULL: the path itself */
	IcWriteValue value;
	IcWriteVia	via;
	bool		insert_only;	/* INSERT may set it, UPDATE may not */
	bool		update_only;	/* UPDATE may set it, INSERT may not */
} IcWriteField;

/* What one operation's request is. */
typedef struct IcWriteOp
{
	const char *method;			/* NULL: the operation has no mapping */
	const char *path;			/* template: {…} replaced by ids in order */
	bool		creates;		/* creates something: never resent blindly */
	bool		admin;			/* the body carries the admin_id option */
} IcWriteOp;

typedef struct IcWriteMap
{
	const char *stream;
	IcWriteOp	insert;
	IcWriteOp	update;
	IcWriteOp	delete_;
	const IcWriteField *fields;	/* what INSERT and UPDATE may set */
	int			nfields;
	const char *required;		/* column an INSERT must give (besides link keys) */
	bool		delete_needs_allow;	/* irreversible: the allow_delete option */
	/*
	 * conversations: state and assignment are parts (POST .../parts), each
	 * a visible part of the conversation, sent only for a real change.
	 */
	const char *parts_path;
} IcWriteMap;

extern const IcWriteMap *ic_write_map(const char *stream);
extern const IcWriteField *ic_write_field(const IcWriteMap *map, const char *path);
extern const char *ic_write_member(const IcWriteField *field, const char *path);

#endif							/* INTERCOM_WRITE_MAP_H */
