/*-------------------------------------------------------------------------
 *
 * streams.c
 *		The static description of Intercom's streams.
 *
 * One row per stream says which endpoint a scan reads, how it pages, where
 * the records sit in the envelope, which columns the search API can filter
 * and what IMPORT FOREIGN SCHEMA creates.  The facts come from
 * reference/streams.md and reference/intercom-api.md.
 *
 * The columns of each stream are in stream_columns.h.
 *
 * No PostgreSQL headers here, so the table can be compiled into tests and
 * tools that do not link against the server.
 *
 * IDENTIFICATION
 *		src/streams.c
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "streams.h"

/* PostgreSQL's lengthof lives in c.h, which this file must not include. */
#define IC_LENGTHOF(a) (sizeof(a) / sizeof((a)[0]))

/* the parent's field behind each stamp (IC_STAMP_TOTAL has none) */
static const char *const IC_STAMP_FIELDS[IC_NSTAMPS - 1] = {"id", "created_at", "updated_at"};

#include "stream_columns.h"

/*
 * A stream row; the column count comes from the array so they cannot drift.
 * Trailing arguments are designated initializers of the optional members
 * (.custom_model = "contact", .parent = "conversations", ...), or NULL.
 */
#define IC_STREAM(name, list_path, list_key, paging, search_path, get_path, \
				  pk, incremental, rows, columns, ...) \
	{name, list_path, list_key, paging, search_path, get_path, pk, \
	 incremental, rows, columns, (int) IC_LENGTHOF(columns), __VA_ARGS__}
#define IC_STREAM_WITH_LIMIT_PATH(name, list_path, list_key, paging, search_path, \
								  get_path, pk, incremental, rows, columns, limit_path, ...) \
	{name, list_path, list_key, paging, search_path, get_path, pk, \
	 incremental, rows, columns, (int) IC_LENGTHOF(columns), limit_path, __VA_ARGS__}

/*
 * All streams, sorted by name: ic_stream_names() and error hints list
 * them in this order.  incremental means key-based replication on
 * updated_at (streams.md); default_rows is only the planner's guess when
 * nothing better is known.
 */
const IcStream ic_streams[] = {
	/*
	 * Page-numbered and bounded by created_at_after (required): a scan with
	 * no lower bound on created_at starts at the server's start_date, else
	 * at the epoch (everything Intercom keeps).
	 */
	IC_STREAM("activity_logs", "/admins/activity_logs", "activity_logs", IC_PAGING_PAGE_NUMBER,
			  NULL, NULL, "id", true, 1000, activity_logs_columns,
			  .range_after = "created_at_after", .range_before = "created_at_before",
			  .range_default_after = 0, .replication_key = "created_at"),
	/* avatars come only when asked for (intercom-api.md 3.1) */
	IC_STREAM("admins", "/admins?display_avatar=true", "admins", IC_PAGING_NONE,
			  NULL, NULL, "id", false, 50, admins_columns, NULL),
	/* page-numbered; newest updated_at first (the order does not matter) */
	IC_STREAM("articles", "/articles", "data", IC_PAGING_PAGE_NUMBER,
			  NULL, "/articles/", "id", false, 500, articles_columns, NULL),
	/*
	 * Scroll is the only listing that reaches every company (no 10k cap);
	 * LIMIT queries page GET /companies instead and leave no scroll open.
	 */
	IC_STREAM_WITH_LIMIT_PATH("companies", "/companies/scroll", "data", IC_PAGING_SCROLL,
							  NULL, "/companies/", "id", true, 10000, companies_columns,
							  "/companies", .custom_model = "company",
							  .lookup_column = "company_id",
							  .lookup_path = "/companies?company_id=",
							  .deletion = IC_DELETION_WHOLE),
	/*
	 * Standard attributes have no id, and name is not unique: a nested
	 * attribute shares it ("location.city" and "custom_attributes.city" are
	 * both "city").  full_name is what every attribute has once.
	 */
	IC_STREAM("company_attributes", "/data_attributes?model=company", "data",
			  IC_PAGING_NONE, NULL, NULL, "full_name", false, 50,
			  company_attributes_columns, NULL),
	IC_STREAM("company_segments", "/segments?type=company&include_count=true",
			  "segments", IC_PAGING_NONE, NULL, NULL, "id", true, 20,
			  company_segments_columns, .deletion = IC_DELETION_WHOLE),
	/* companies inline every tag (no has_more) */
	IC_STREAM("company_tags", "/companies/scroll", "data", IC_PAGING_LINK,
			  NULL, "/companies/", "id", false, 20000, company_tags_columns,
			  .parent = "companies", .stamps = {"company_id", NULL, "company_updated_at", NULL},
			  .link_path = "tags.tags", .link_child = "id", .link_column = "tag_id"),
	IC_STREAM("contact_attributes", "/data_attributes?model=contact", "data",
			  IC_PAGING_NONE, NULL, NULL, "full_name", false, 100,
			  contact_attributes_columns, NULL),
	/* contacts inline at most 10 companies and 10 tags: has_more expands */
	IC_STREAM("contact_companies", "/contacts", "data", IC_PAGING_LINK,
			  "/contacts/search", "/contacts/", "id", false, 100000, contact_companies_columns,
			  .parent = "contacts", .stamps = {"contact_id", NULL, "contact_updated_at", NULL},
			  .link_path = "companies.data", .link_child = "id", .link_column = "company_id",
			  .link_more = "companies.has_more", .link_expand = "/contacts/%s/companies"),
	/*
	 * Per contact, from an endpoint of its own (child_path); notes only of
	 * the contacts whose inlined notes.total_count says they have some.
	 */
	IC_STREAM("contact_notes", "/contacts", "data", IC_PAGING_PER_PARENT,
			  NULL, "/contacts/", "id", false, 20000, contact_notes_columns,
			  .parent = "contacts", .stamps = {"contact_id", NULL, NULL, NULL},
			  .child_path = "/contacts/%s/notes", .child_when = "notes.total_count"),
	IC_STREAM("contact_subscriptions", "/contacts", "data", IC_PAGING_PER_PARENT,
			  NULL, "/contacts/", "id", false, 100000, contact_subscriptions_columns,
			  .parent = "contacts", .stamps = {"contact_id", NULL, NULL, NULL},
			  .child_path = "/contacts/%s/subscriptions", .child_key = "subscription_type_id"),
	IC_STREAM("contact_tags", "/contacts", "data", IC_PAGING_LINK,
			  "/contacts/search", "/contacts/", "id", false, 100000, contact_tags_columns,
			  .parent = "contacts", .stamps = {"contact_id", NULL, "contact_updated_at", NULL},
			  .link_path = "tags.data", .link_child = "id", .link_column = "tag_id",
			  .link_more = "tags.has_more", .link_expand = "/contacts/%s/tags"),
	IC_STREAM("contacts", "/contacts", "data", IC_PAGING_CURSOR,
			  "/contacts/search", "/contacts/", "id", true, 100000,
			  contacts_columns, .custom_model = "contact", .deletion = IC_DELETION_COUNT),
	/* conversation attributes moved to their own endpoint in 2.16 */
	IC_STREAM("conversation_attributes", "/data_attributes?model=conversation", "data",
			  IC_PAGING_NONE, NULL, NULL, "name", false, 20,
			  conversation_attributes_columns,
			  .list_path_since = "2.16", .list_path_new = "/conversations/attributes"),
	/*
	 * list_path/list_key describe the parent listing that yields the ids;
	 * the scan reads the parent's own row for its endpoints.
	 */
	IC_STREAM("conversation_contacts", "/conversations", "conversations", IC_PAGING_LINK,
			  "/conversations/search", "/conversations/", "id", false, 50000,
			  conversation_contacts_columns,
			  .parent = "conversations",
			  .stamps = {"conversation_id", NULL, "conversation_updated_at", NULL},
			  .link_path = "contacts.contacts", .link_child = "id", .link_column = "contact_id",
			  .deletion = IC_DELETION_FEED),
	IC_STREAM("conversation_parts", "/conversations", "conversations",
			  IC_PAGING_PER_PARENT, "/conversations/search", "/conversations/",
			  "id", true, 500000, conversation_parts_columns,
			  .parent = "conversations", .child_list = "conversation_parts",
			  .stamps = {"conversation_id", "conversation_created_at",
						 "conversation_updated_at", "conversation_total_parts"},
			  .deletion = IC_DELETION_FEED),
	/* 2.16 and later answer 422 for model=conversation */
	IC_STREAM("conversation_tags", "/conversations", "conversations", IC_PAGING_LINK,
			  "/conversations/search", "/conversations/", "id", false, 50000,
			  conversation_tags_columns,
			  .parent = "conversations",
			  .stamps = {"conversation_id", NULL, "conversation_updated_at", NULL},
			  .link_path = "tags.tags", .link_child = "id", .link_column = "tag_id",
			  .deletion = IC_DELETION_FEED),
	IC_STREAM("conversations", "/conversations", "conversations",
			  IC_PAGING_CURSOR, "/conversations/search", "/conversations/",
			  "id", true, 50000, conversations_columns,
			  .custom_model = "conversation", .custom_model_until = "2.16",
			  .deletion = IC_DELETION_FEED, .deletion_audit = true),
	/*
	 * Page-numbered, at most 60 a page, newest deletion first; only in 2.16
	 * and later, so its requests say 2.16 whatever the server's version.
	 */
	IC_STREAM("deleted_conversations", "/conversations/deleted", "conversations",
			  IC_PAGING_PAGE_NUMBER, NULL, NULL, "id", false, 100,
			  deleted_conversations_columns, .api_version = "2.16"),
	IC_STREAM("help_center_collections", "/help_center/collections", "data",
			  IC_PAGING_PAGE_NUMBER, NULL, "/help_center/collections/", "id", false, 50,
			  help_center_collections_columns, NULL),
	/*
	 * 2.16: updated_since (exclusive) bounds the listing, as
	 * created_at_after does activity logs: without a lower bound on
	 * updated_at a scan starts at the server's start_date, else at 0.
	 */
	IC_STREAM("macros", "/macros", "data", IC_PAGING_CURSOR,
			  NULL, "/macros/", "id", true, 200, macros_columns,
			  .since = "2.16", .range_after = "updated_since", .range_default_after = 0),
	IC_STREAM("segments", "/segments?include_count=true", "segments",
			  IC_PAGING_NONE, NULL, NULL, "id", true, 50, segments_columns,
			  .deletion = IC_DELETION_WHOLE),
	IC_STREAM("subscription_types", "/subscription_types", "data", IC_PAGING_NONE,
			  NULL, NULL, "id", false, 10, subscription_types_columns, NULL),
	IC_STREAM("tags", "/tags", "data", IC_PAGING_NONE,
			  NULL, NULL, "id", false, 100, tags_columns, NULL),
	/* the parent listing is the tickets search, as for conversation_parts */
	/* admin_ids are integers, the ids themselves */
	IC_STREAM("team_admins", "/teams", "teams", IC_PAGING_LINK,
			  NULL, NULL, "id", false, 100, team_admins_columns,
			  .parent = "teams", .stamps = {"team_id", NULL, NULL, NULL},
			  .link_path = "admin_ids", .link_column = "admin_id"),
	IC_STREAM("teams", "/teams", "teams", IC_PAGING_NONE,
			  NULL, NULL, "id", false, 20, teams_columns, NULL),
	IC_STREAM("ticket_parts", NULL, "tickets", IC_PAGING_PER_PARENT,
			  "/tickets/search", "/tickets/", "id", true, 20000, ticket_parts_columns,
			  .parent = "tickets", .child_list = "ticket_parts",
			  .stamps = {"ticket_id", "ticket_created_at", "ticket_updated_at",
						 "ticket_total_parts"}),
	IC_STREAM("ticket_states", "/ticket_states", "data", IC_PAGING_NONE,
			  NULL, NULL, "id", false, 20, ticket_states_columns, NULL),
	IC_STREAM("ticket_types", "/ticket_types", "data", IC_PAGING_NONE,
			  NULL, "/ticket_types/", "id", false, 10, ticket_types_columns, NULL),
	/*
	 * No listing: a full scan searches updated_at > 0, which every ticket
	 * matches (Intercom stamps it when the ticket is created, and tickets
	 * date from 2023).  The search takes no sort.
	 */
	IC_STREAM("tickets", NULL, "tickets", IC_PAGING_CURSOR,
			  "/tickets/search", "/tickets/", "id", true, 5000, tickets_columns,
			  .list_query = "{\"field\":\"updated_at\",\"operator\":\">\",\"value\":0}",
			  .search_unsorted = true, .deletion = IC_DELETION_COUNT),
};

const int	ic_nstreams = (int) IC_LENGTHOF(ic_streams);

/*
 * ic_stream_lookup
 *		The stream called name, or NULL.
 *
 * Exact and case-sensitive, like the option values it checks; thirty rows
 * make a linear search the simplest correct choice.
 */
const IcStream *
ic_stream_lookup(const char *name)
{
	int			i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < ic_nstreams; i++)
	{
		if (strcmp(ic_streams[i].name, name) == 0)
			return &ic_streams[i];
	}
	return NULL;
}

/*
 * ic_stream_column
 *		The column of stream called name, or NULL.
 *
 * Matches the column name, not the JSON path: callers hold attribute names.
 */
const IcColumn *
ic_stream_column(const IcStream *stream, const char *name)
{
	int			i;

	if (stream == NULL || name == NULL)
		return NULL;
	for (i = 0; i < stream->ncolumns; i++)
	{
		if (strcmp(stream->columns[i].name, name) == 0)
			return &stream->columns[i];
	}
	return NULL;
}

/*
 * ic_stream_names
 *		"admins, companies, ...", for error hints.
 *
 * Written out rather than built at run time: no static buffer to size, no
 * first-call race, and the test checks it against ic_streams[].
 */
const char *
ic_stream_names(void)
{
	return "activity_logs, admins, articles, companies, company_attributes, company_segments, "
		"company_tags, contact_attributes, contact_companies, contact_notes, contact_subscriptions, "
		"contact_tags, contacts, "
		"conversation_attributes, conversation_contacts, conversation_parts, conversation_tags, "
		"conversations, deleted_conversations, help_center_collections, macros, segments, subscription_types, tags, "
		"team_admins, teams, ticket_parts, ticket_states, ticket_types, tickets";
}

/*
 * ic_column_type_sql
 *		The SQL type IMPORT FOREIGN SCHEMA gives a column of this type.
 *
 * Integers are bigint because Intercom counts and ids outgrow int4; objects
 * and arrays are both jsonb so users can index into them.
 */
const char *
ic_column_type_sql(IcColumnType type)
{
	switch (type)
	{
		case IC_STRING:
			return "text";
		case IC_INTEGER:
			return "bigint";
		case IC_NUMBER:
			return "numeric";
		case IC_BOOLEAN:
			return "boolean";
		case IC_DATETIME:
			return "timestamptz";
		case IC_OBJECT:
		case IC_ARRAY:
			return "jsonb";
	}
	/* Unreachable with a valid enum; text is the type that accepts anything. */
	return "text";
}

/*
 * ic_stream_parent
 *		The stream a per-parent stream is read through, or NULL.
 */
const IcStream *
ic_stream_parent(const IcStream *stream)
{
	return stream->parent ? ic_stream_lookup(stream->parent) : NULL;
}

/*
 * ic_stream_key_column
 *		The column whose `= X` is one GET (get_path + X): the record's id,
 *		or for a per-parent stream its parent's id (conversation_id), since
 *		one GET of the parent returns all its children.
 */
const char *
ic_stream_key_column(const IcStream *stream)
{
	return stream->parent ? stream->stamps[IC_STAMP_ID] : "id";
}

/*
 * ic_stream_parent_field
 *		The parent's field a child's column was stamped from
 *		(conversation_updated_at -> updated_at), or NULL when the column is
 *		not such a stamp.
 */
const char *
ic_stream_parent_field(const IcStream *stream, const char *column)
{
	if (stream->parent == NULL || column == NULL)
		return NULL;
	for (int i = 0; i < IC_NSTAMPS - 1; i++)
		if (stream->stamps[i] && strcmp(column, stream->stamps[i]) == 0)
			return IC_STAMP_FIELDS[i];
	return NULL;
}

/*
 * ic_stream_parent_bookmark
 *		For an incremental stream whose rows carry their parent's fields
 *		(conversation_parts), the stamp with the parent's updated_at: when a
 *		parent changes, all its rows change, so materialize bounds its reads
 *		on this column and rewrites every row of each parent it reads.  NULL
 *		for other streams.
 */
const char *
ic_stream_parent_bookmark(const IcStream *stream)
{
	if (!stream->incremental || stream->parent == NULL)
		return NULL;
	return stream->stamps[IC_STAMP_UPDATED_AT];
}

/* The name of a deletion rule as materialize reads it, or NULL for none. */
const char *
ic_deletion_name(IcDeletion deletion)
{
	switch (deletion)
	{
		case IC_DELETION_FEED:
			return "feed";
		case IC_DELETION_WHOLE:
			return "whole";
		case IC_DELETION_COUNT:
			return "count";
		case IC_DELETION_NONE:
			break;
	}
	return NULL;
}

/*
 * ic_stream_list_path
 *		The listing a full scan reads under this API version: list_path, or
 *		list_path_new from list_path_since on (conversation attributes).
 */
const char *
ic_stream_list_path(const IcStream *stream, int major, int minor)
{
	int			since_major;
	int			since_minor;

	if (stream->list_path_since == NULL ||
		sscanf(stream->list_path_since, "%d.%d", &since_major, &since_minor) != 2)
		return stream->list_path;
	if (major > since_major || (major == since_major && minor >= since_minor))
		return stream->list_path_new;
	return stream->list_path;
}
