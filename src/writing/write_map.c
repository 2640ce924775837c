/*-------------------------------------------------------------------------
 *
 * write_map.c
 *		What SQL may write to Intercom, as one static table next to the
 *		stream table (streams.c): per stream, the request each of INSERT,
 *		UPDATE and DELETE sends for a row, and the columns they may set.
 *
 * The facts are Intercom's 2.16 OpenAPI description: the members of
 * update_contact_request, create_or_update_company_request,
 * update_company_request, update_ticket_request, update_conversation_request
 * and the conversation part requests (close, open, snoozed, assignment).
 * A column not listed here (created_at, updated_at, id, the lists...) is
 * one Intercom does not let a client write: refused at plan time.
 *
 * Link tables (contact_tags ...) write the link: the parent's id and the
 * child's id come from the stream's own key columns (stamps[IC_STAMP_ID]
 * and link_column), so they need no fields.
 *
 * No PostgreSQL headers, like streams.c.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <string.h>

#include "write_map.h"

#define IC_LENGTHOF(a) (sizeof(a) / sizeof((a)[0]))

/* PUT /contacts/{id}: update_contact_request */
static const IcWriteField contact_fields[] = {
	{"avatar", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"custom_attributes", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"custom_attributes.*", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"email", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"external_id", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"last_seen_at", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"name", NULL, IC_WV_AUTO, IC_VIA_BODY},
	/* a string in 2.16's responses, an integer in its request */
	{"owner_id", NULL, IC_WV_INTEGER, IC_VIA_BODY},
	{"phone", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"role", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"signed_up_at", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"unsubscribed_from_emails", NULL, IC_WV_AUTO, IC_VIA_BODY},
};

/*
 * POST /companies (create_or_update_company_request, an upsert by
 * company_id) and PUT /companies/{id} (update_company_request, which has
 * no company_id and no remote_created_at).
 */
static const IcWriteField company_fields[] = {
	{"company_id", NULL, IC_WV_AUTO, IC_VIA_BODY, .insert_only = true},
	{"custom_attributes", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"custom_attributes.*", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"industry", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"monthly_spend", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"name", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"plan.name", "plan", IC_WV_AUTO, IC_VIA_BODY},	/* the plan's name */
	{"remote_created_at", NULL, IC_WV_AUTO, IC_VIA_BODY, .insert_only = true},
	{"size", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"website", NULL, IC_WV_AUTO, IC_VIA_BODY},
};

/* POST /tags: create_or_update_tag_request */
static const IcWriteField tag_fields[] = {
	{"name", NULL, IC_WV_AUTO, IC_VIA_BODY},
};

/*
 * PUT /tickets/{id}: update_ticket_request.  ticket_state_id is not a
 * column IMPORT creates (tickets carry the whole ticket_state): a column
 * with OPTIONS (path 'ticket_state.id') writes it.  An assignment names the
 * admin who makes it (admin_id option).
 */
static const IcWriteField ticket_fields[] = {
	{"admin_assignee_id", "assignee_id", IC_WV_AUTO, IC_VIA_BODY_ADMIN},
	{"is_shared", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"open", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"snoozed_until", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"ticket_attributes", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"ticket_attributes.*", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"ticket_state.id", "ticket_state_id", IC_WV_AUTO, IC_VIA_BODY},
};

/*
 * Conversations: state and assignment are conversation parts (each one a
 * visible part: sent only for a real change); the rest is PUT
 * /conversations/{id} (update_conversation_request).
 */
static const IcWriteField conversation_fields[] = {
	{"admin_assignee_id", NULL, IC_WV_AUTO, IC_VIA_PART_ADMIN},
	{"custom_attributes", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"custom_attributes.*", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"read", NULL, IC_WV_AUTO, IC_VIA_BODY},
	{"snoozed_until", NULL, IC_WV_AUTO, IC_VIA_PART_SNOOZE},
	{"state", NULL, IC_WV_AUTO, IC_VIA_PART_STATE},
	{"team_assignee_id", NULL, IC_WV_AUTO, IC_VIA_PART_TEAM},
	{"title", NULL, IC_WV_AUTO, IC_VIA_BODY},
};

#define FIELDS(a) (a), (int) IC_LENGTHOF(a)
#define NO_OP {NULL, NULL, false, false}

/* Sorted by stream name. */
static const IcWriteMap write_maps[] = {
	{"companies",
		{"POST", "/companies", true, false},
		{"PUT", "/companies/{id}", false, false},
		NO_OP, FIELDS(company_fields), .required = "company_id"},
	{"contact_companies",
		{"POST", "/contacts/{contact_id}/companies", false, false},
		NO_OP,
		{"DELETE", "/contacts/{contact_id}/companies/{company_id}", false, false},
		NULL, 0},
	{"contact_tags",
		{"POST", "/contacts/{contact_id}/tags", false, false},
		NO_OP,
		{"DELETE", "/contacts/{contact_id}/tags/{tag_id}", false, false},
		NULL, 0},
	{"contacts",
		NO_OP,
		{"PUT", "/contacts/{id}", false, false},
		{"DELETE", "/contacts/{id}", false, false},
		FIELDS(contact_fields), .delete_needs_allow = true},
	{"conversation_tags",
		{"POST", "/conversations/{conversation_id}/tags", false, true},
		NO_OP,
		{"DELETE", "/conversations/{conversation_id}/tags/{tag_id}", false, true},
		NULL, 0},
	{"conversations",
		NO_OP,
		{"PUT", "/conversations/{id}", false, false},
		NO_OP, FIELDS(conversation_fields),
		.parts_path = "/conversations/{id}/parts"},
	{"tags",
		{"POST", "/tags", true, false},
		NO_OP, NO_OP, FIELDS(tag_fields), .required = "name"},
	{"tickets",
		NO_OP,
		{"PUT", "/tickets/{id}", false, false},
		NO_OP, FIELDS(ticket_fields)},
};

/* The write mapping of a stream, or NULL: the stream is read-only. */
const IcWriteMap *
ic_write_map(const char *stream)
{
	for (size_t i = 0; i < IC_LENGTHOF(write_maps); i++)
		if (strcmp(write_maps[i].stream, stream) == 0)
			return &write_maps[i];
	return NULL;
}

/* Does a column path match a field path ("x.*" is any x.<name>)? */
static bool
path_matches(const char *field, const char *path)
{
	size_t		len = strlen(field);

	if (len >= 2 && strcmp(field + len - 2, ".*") == 0)
		return strncmp(field, path, len - 1) == 0 && path[len - 1] != '\0' &&
			strchr(path + len - 1, '.') == NULL;
	return strcmp(field, path) == 0;
}

/* The writable field a column path is, or NULL: not writable. */
const IcWriteField *
ic_write_field(const IcWriteMap *map, const char *path)
{
	for (int i = 0; i < map->nfields; i++)
		if (path_matches(map->fields[i].path, path))
			return &map->fields[i];
	return NULL;
}

/*
 * The request member a column writes: the field's own name, else the
 * column's path (for "custom_attributes.Plan Tier": that whole path, which
 * the body builder nests).
 */
const char *
ic_write_member(const IcWriteField *field, const char *path)
{
	return field->field ? field->field : path;
}
