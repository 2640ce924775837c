/*-------------------------------------------------------------------------
 *
 * streams.c
 *		The static description of Intercom's streams.
 *
 * One row per stream says which endpoint a scan reads, how it pages, where
 * the records sit in the envelope, which columns the search API can filter
 * and what IMPORT FOREIGN SCHEMA creates.  The facts come from
 * reference/streams.md and reference/intercom-api.md; the column lists are
 * the union of the product brief's table reference and the Singer tap's JSON
 * schemas, so a table imported here is a superset of what Stitch users know.
 *
 * Column order is the primary key first, then alphabetical: stable output
 * for IMPORT FOREIGN SCHEMA whatever order the references list them in.
 *
 * Deliberate choices where the references disagree:
 *	- every id is text, even the ones the API sends as integers (data
 *	  attribute id, admin/team assignee ids, contacts.owner_id, which is an
 *	  integer up to 2.15 and a string in 2.16); the converter accepts both
 *	  JSON types, and text joins against admins.id without casts;
 *	- companies.segments/tags, contacts.companies/tags and
 *	  conversations.contacts/tags are wrapper objects in the 2.x API
 *	  ({"type":"tag.list","tags":[...]}), so they are IC_OBJECT although
 *	  the references call some of them arrays (both become jsonb);
 *	- conversation_parts.assigned_to reads assigned_to.id: the API sends a
 *	  {"type","id"} reference, and the brief joins it to admins.id;
 *	  assigned_to_type reads its type (admin or team), which says whether
 *	  the id joins admins or teams;
 *	- Singer's own bookkeeping (_sdc_record_hash) is not a column.
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

static const IcColumn admins_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"admin_ids", IC_ARRAY, NULL, IC_SEARCH_NONE},
	{"avatar", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"away_mode_enabled", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"away_mode_reassign", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"email", IC_STRING, NULL, IC_SEARCH_NONE},
	{"has_inbox_seat", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"job_title", IC_STRING, NULL, IC_SEARCH_NONE},
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"team_ids", IC_ARRAY, NULL, IC_SEARCH_NONE},				/* integers in the API */
	{"team_priority_level", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
};

static const IcColumn companies_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"app_id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"company_id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"custom_attributes", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"industry", IC_STRING, NULL, IC_SEARCH_NONE},
	{"last_request_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"monthly_spend", IC_NUMBER, NULL, IC_SEARCH_NONE},
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"plan", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"remote_created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"segments", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* {"type":"segment.list","segments":[...]} */
	{"session_count", IC_INTEGER, NULL, IC_SEARCH_NONE},
	{"size", IC_INTEGER, NULL, IC_SEARCH_NONE},
	{"tags", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* {"type":"tag.list","tags":[...]} */
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"user_count", IC_INTEGER, NULL, IC_SEARCH_NONE},
	{"website", IC_STRING, NULL, IC_SEARCH_NONE},
};

static const IcColumn company_attributes_columns[] = {
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"admin_id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"api_writable", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"archived", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"custom", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"data_type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"description", IC_STRING, NULL, IC_SEARCH_NONE},
	{"full_name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},					/* integer, custom attributes only */
	{"label", IC_STRING, NULL, IC_SEARCH_NONE},
	{"messenger_writable", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"model", IC_STRING, NULL, IC_SEARCH_NONE},
	{"options", IC_ARRAY, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"ui_writable", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
};

/*
 * Company segments use the v1-era ?type=company filter that Singer still
 * sends; 2.x does not document it (intercom-api.md 3.7).
 */
static const IcColumn company_segments_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"count", IC_INTEGER, NULL, IC_SEARCH_NONE},				/* needs include_count=true */
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"person_type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
};

static const IcColumn contact_attributes_columns[] = {
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"admin_id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"api_writable", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"archived", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"custom", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"data_type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"description", IC_STRING, NULL, IC_SEARCH_NONE},
	{"full_name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},					/* integer, custom attributes only */
	{"label", IC_STRING, NULL, IC_SEARCH_NONE},
	{"messenger_writable", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"model", IC_STRING, NULL, IC_SEARCH_NONE},
	{"options", IC_ARRAY, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"ui_writable", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
};

/*
 * Contacts search compares every date by calendar day in the workspace time
 * zone, so date columns are IC_SEARCH_DATE_BY_DAY: the planner must widen the
 * bound to whole days and PostgreSQL must recheck.  All ten date columns are
 * in the contract's list of searchable contact fields.
 */
static const IcColumn contacts_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"android_app_name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"android_app_version", IC_STRING, NULL, IC_SEARCH_NONE},
	{"android_device", IC_STRING, NULL, IC_SEARCH_NONE},
	{"android_last_seen_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"android_os_version", IC_STRING, NULL, IC_SEARCH_NONE},
	{"android_sdk_version", IC_STRING, NULL, IC_SEARCH_NONE},
	{"avatar", IC_STRING, NULL, IC_SEARCH_NONE},
	{"browser", IC_STRING, NULL, IC_SEARCH_NONE},
	{"browser_language", IC_STRING, NULL, IC_SEARCH_NONE},
	{"browser_version", IC_STRING, NULL, IC_SEARCH_NONE},
	{"companies", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* addressable list, at most 10 inlined */
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_DATE_BY_DAY},
	{"custom_attributes", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"email", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"email_domain", IC_STRING, NULL, IC_SEARCH_NONE},
	{"external_id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"has_hard_bounced", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"ios_app_name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"ios_app_version", IC_STRING, NULL, IC_SEARCH_NONE},
	{"ios_device", IC_STRING, NULL, IC_SEARCH_NONE},
	{"ios_last_seen_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"ios_os_version", IC_STRING, NULL, IC_SEARCH_NONE},
	{"ios_sdk_version", IC_STRING, NULL, IC_SEARCH_NONE},
	{"language_override", IC_STRING, NULL, IC_SEARCH_NONE},
	{"last_contacted_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"last_email_clicked_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"last_email_opened_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"last_replied_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"last_seen_at", IC_DATETIME, NULL, IC_SEARCH_DATE_BY_DAY},
	{"location", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"marked_email_as_spam", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"notes", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* addressable list, at most 10 inlined */
	{"os", IC_STRING, NULL, IC_SEARCH_NONE},
	{"owner_id", IC_STRING, NULL, IC_SEARCH_NONE},				/* integer up to 2.15, string in 2.16 */
	{"phone", IC_STRING, NULL, IC_SEARCH_NONE},
	{"role", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"signed_up_at", IC_DATETIME, NULL, IC_SEARCH_DATE_BY_DAY},
	{"social_profiles", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"tags", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* addressable list, at most 10 inlined */
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"unsubscribed_from_emails", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_DATE_BY_DAY},
	{"workspace_id", IC_STRING, NULL, IC_SEARCH_NONE},
};

/*
 * Parts come from GET /conversations/{id}, so the only filters the API can
 * apply are on the parent: conversation_id = X is one GET, and a bound on
 * conversation_updated_at selects which conversations to open through
 * conversations search.  The four conversation_* columns are not in the part
 * JSON; the scan adds them to each part record under exactly these names.
 */
static const IcColumn conversation_parts_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"assigned_to", IC_STRING, "assigned_to.id", IC_SEARCH_NONE},	/* the API sends {"type","id"} */
	{"assigned_to_type", IC_STRING, "assigned_to.type", IC_SEARCH_NONE},	/* admin or team */
	{"attachments", IC_ARRAY, NULL, IC_SEARCH_NONE},
	{"author", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"body", IC_STRING, NULL, IC_SEARCH_NONE},
	{"conversation_created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},	/* added by the scan */
	{"conversation_id", IC_STRING, NULL, IC_SEARCH_EQUAL},		/* added by the scan */
	{"conversation_total_parts", IC_INTEGER, NULL, IC_SEARCH_NONE},	/* added by the scan */
	{"conversation_updated_at", IC_DATETIME, NULL, IC_SEARCH_DATE_SECOND},	/* added by the scan */
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"external_id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"notified_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"part_type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"redacted", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_DATE_SECOND},
};

/*
 * GET /conversations/deleted (2.16): the ids of deleted conversations,
 * newest deletion first; what materialize uses to drop them from copies.
 */
static const IcColumn deleted_conversations_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"deleted_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"metrics_retained", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
};

/* Conversations search compares dates to the second. */
static const IcColumn conversations_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"admin_assignee_id", IC_STRING, NULL, IC_SEARCH_NONE},		/* integer; 0 = unassigned in 2.16 */
	{"assignee", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* v1 field, absent in 2.x */
	{"contacts", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* {"type":"contact.list","contacts":[...]} */
	{"conversation_message", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"conversation_rating", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_DATE_SECOND},
	{"custom_attributes", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"customer_first_reply", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"customers", IC_ARRAY, NULL, IC_SEARCH_NONE},				/* v1 field, absent in 2.x */
	{"first_contact_reply", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"open", IC_BOOLEAN, NULL, IC_SEARCH_EQUAL},
	{"priority", IC_STRING, NULL, IC_SEARCH_NONE},
	{"read", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"sent_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"sla_applied", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"snoozed_until", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"source", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"state", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"statistics", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"tags", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* {"type":"tag.list","tags":[...]} */
	{"team_assignee_id", IC_STRING, NULL, IC_SEARCH_NONE},		/* integer; 0 = unassigned in 2.16 */
	{"teammates", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"title", IC_STRING, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_DATE_SECOND},
	{"user", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* v1 field, absent in 2.x */
	{"waiting_since", IC_DATETIME, NULL, IC_SEARCH_NONE},
};

static const IcColumn segments_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"count", IC_INTEGER, NULL, IC_SEARCH_NONE},				/* needs include_count=true */
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"person_type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
};

static const IcColumn tags_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
};

static const IcColumn teams_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"admin_ids", IC_ARRAY, NULL, IC_SEARCH_NONE},				/* integers in the API */
	{"admin_priority_level", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
};

/*
 * GET /admins/activity_logs takes created_at_after (required) and
 * created_at_before: bounds on created_at become those parameters.
 */
static const IcColumn activity_logs_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"activity_description", IC_STRING, NULL, IC_SEARCH_NONE},
	{"activity_type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_RANGE_PARAM},
	{"metadata", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"performed_by", IC_OBJECT, NULL, IC_SEARCH_NONE},
};

/*
 * The full-refresh streams of the help center, tickets' types and
 * subscriptions: every top-level field of the object's schema in the
 * OpenAPI description.  Integer ids (author_id, help_center_id, ...) are
 * text like every other id.
 */
static const IcColumn articles_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"ai_chatbot_availability", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"ai_copilot_availability", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"ai_sales_agent_availability", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"author_id", IC_STRING, NULL, IC_SEARCH_NONE},				/* integer: an admin id */
	{"body", IC_STRING, NULL, IC_SEARCH_NONE},
	{"body_markdown", IC_STRING, NULL, IC_SEARCH_NONE},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"created_by_id", IC_STRING, NULL, IC_SEARCH_NONE},			/* integer: an admin id */
	{"default_locale", IC_STRING, NULL, IC_SEARCH_NONE},
	{"description", IC_STRING, NULL, IC_SEARCH_NONE},
	{"draft_updated_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"exclude_from_article_suggestions", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"has_unpublished_changes", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"help_center_audience", IC_STRING, NULL, IC_SEARCH_NONE},
	{"parent_ids", IC_ARRAY, NULL, IC_SEARCH_NONE},				/* collection ids, integers */
	{"scheduled_publish_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"scheduled_unpublish_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"state", IC_STRING, NULL, IC_SEARCH_NONE},
	{"tags", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* {"type":"tag.list","tags":[...]} */
	{"title", IC_STRING, NULL, IC_SEARCH_NONE},
	{"translated_content", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"updated_by_id", IC_STRING, NULL, IC_SEARCH_NONE},			/* integer: an admin id */
	{"url", IC_STRING, NULL, IC_SEARCH_NONE},
	{"workspace_id", IC_STRING, NULL, IC_SEARCH_NONE},
};

/*
 * Before 2.16 data_attributes?model=conversation (data_attribute shape),
 * from 2.16 /conversations/attributes (conversation_attribute shape, with a
 * type-specific multiline, options or reference): the union of both.
 */
static const IcColumn conversation_attributes_columns[] = {
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"admin_id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"api_writable", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"archived", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"custom", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"data_type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"description", IC_STRING, NULL, IC_SEARCH_NONE},
	{"full_name", IC_STRING, NULL, IC_SEARCH_NONE},				/* before 2.16 only */
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},					/* integer */
	{"label", IC_STRING, NULL, IC_SEARCH_NONE},
	{"messenger_writable", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"model", IC_STRING, NULL, IC_SEARCH_NONE},
	{"multiline", IC_BOOLEAN, NULL, IC_SEARCH_NONE},			/* 2.16, strings */
	{"options", IC_ARRAY, NULL, IC_SEARCH_NONE},
	{"reference", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* 2.16, relationships */
	{"required", IC_BOOLEAN, NULL, IC_SEARCH_NONE},				/* 2.16 */
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"ui_writable", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"visible_to_team_ids", IC_ARRAY, NULL, IC_SEARCH_NONE},	/* 2.16 */
};

/* The collection schema has no "type" member. */
static const IcColumn help_center_collections_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"default_locale", IC_STRING, NULL, IC_SEARCH_NONE},
	{"description", IC_STRING, NULL, IC_SEARCH_NONE},
	{"help_center_id", IC_STRING, NULL, IC_SEARCH_NONE},		/* integer */
	{"icon", IC_STRING, NULL, IC_SEARCH_NONE},
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"order", IC_INTEGER, NULL, IC_SEARCH_NONE},
	{"parent_id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"translated_content", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"url", IC_STRING, NULL, IC_SEARCH_NONE},
	{"workspace_id", IC_STRING, NULL, IC_SEARCH_NONE},
};

static const IcColumn subscription_types_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"consent_type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"content_types", IC_ARRAY, NULL, IC_SEARCH_NONE},
	{"default_translation", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"state", IC_STRING, NULL, IC_SEARCH_NONE},
	{"translations", IC_ARRAY, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
};

static const IcColumn ticket_types_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"archived", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"category", IC_STRING, NULL, IC_SEARCH_NONE},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"description", IC_STRING, NULL, IC_SEARCH_NONE},
	{"icon", IC_STRING, NULL, IC_SEARCH_NONE},
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"ticket_states", IC_OBJECT, NULL, IC_SEARCH_NONE},			/* {"type":"list","data":[...]} */
	{"ticket_type_attributes", IC_OBJECT, NULL, IC_SEARCH_NONE},	/* {"type":"list","data":[...]} */
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"workspace_id", IC_STRING, NULL, IC_SEARCH_NONE},
};

/*
 * Tickets are read through POST /tickets/search only (there is no listing);
 * dates compare to the second, as for conversations.  ticket_parts is not a
 * column: the parts are the ticket_parts table, read from GET /tickets/{id}
 * (search results do not carry them).
 */
static const IcColumn tickets_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"admin_assignee_id", IC_STRING, NULL, IC_SEARCH_NONE},		/* integer; 0 = unassigned */
	{"category", IC_STRING, NULL, IC_SEARCH_NONE},
	{"contacts", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* {"type":"contact.list","contacts":[...]} */
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_DATE_SECOND},
	{"is_shared", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"linked_objects", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"open", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"previous_ticket_state_id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"snoozed_until", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"team_assignee_id", IC_STRING, NULL, IC_SEARCH_NONE},		/* integer; 0 = unassigned */
	{"ticket_attributes", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"ticket_id", IC_STRING, NULL, IC_SEARCH_NONE},				/* the inbox's number, not the key */
	{"ticket_state", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"ticket_type", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_DATE_SECOND},
};

/*
 * Like conversation_parts: through the parent ticket, whose id, created_at,
 * updated_at and parts' total_count the scan adds as ticket_*.
 */
static const IcColumn ticket_parts_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"app_package_code", IC_STRING, NULL, IC_SEARCH_NONE},
	{"assigned_to", IC_STRING, "assigned_to.id", IC_SEARCH_NONE},	/* the API sends {"type","id"} */
	{"assigned_to_type", IC_STRING, "assigned_to.type", IC_SEARCH_NONE},	/* admin or team */
	{"attachments", IC_ARRAY, NULL, IC_SEARCH_NONE},
	{"author", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"body", IC_STRING, NULL, IC_SEARCH_NONE},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"external_id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"part_type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"previous_ticket_state", IC_STRING, NULL, IC_SEARCH_NONE},
	{"redacted", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"ticket_created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},	/* added by the scan */
	{"ticket_id", IC_STRING, NULL, IC_SEARCH_EQUAL},			/* added by the scan: tickets.id */
	{"ticket_state", IC_STRING, NULL, IC_SEARCH_NONE},
	{"ticket_total_parts", IC_INTEGER, NULL, IC_SEARCH_NONE},	/* added by the scan */
	{"ticket_updated_at", IC_DATETIME, NULL, IC_SEARCH_DATE_SECOND},	/* added by the scan */
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_DATE_SECOND},
	{"updated_attribute_data", IC_OBJECT, NULL, IC_SEARCH_NONE},
};

/*
 * Link tables: one row per (parent, child) of a list the parent inlines.
 * The parent's id and updated_at search like the parent's own columns
 * (contacts by day, conversations to the second); "id" is the two ids
 * joined by a slash, the key materialize copies on.
 */
#define IC_LINK_COLUMNS(parent_key, parent_search, parent_updated, updated_search, child) \
	{"id", IC_STRING, NULL, IC_SEARCH_NONE}, \
	{child, IC_STRING, NULL, IC_SEARCH_NONE}, \
	{parent_key, IC_STRING, NULL, parent_search}, \
	{parent_updated, IC_DATETIME, NULL, updated_search}

static const IcColumn contact_tags_columns[] = {
	IC_LINK_COLUMNS("contact_id", IC_SEARCH_EQUAL, "contact_updated_at", IC_SEARCH_DATE_BY_DAY, "tag_id"),
};
static const IcColumn contact_companies_columns[] = {
	IC_LINK_COLUMNS("contact_id", IC_SEARCH_EQUAL, "contact_updated_at", IC_SEARCH_DATE_BY_DAY, "company_id"),
};
static const IcColumn company_tags_columns[] = {
	IC_LINK_COLUMNS("company_id", IC_SEARCH_EQUAL, "company_updated_at", IC_SEARCH_NONE, "tag_id"),
};
static const IcColumn conversation_tags_columns[] = {
	IC_LINK_COLUMNS("conversation_id", IC_SEARCH_EQUAL, "conversation_updated_at", IC_SEARCH_DATE_SECOND, "tag_id"),
};
static const IcColumn conversation_contacts_columns[] = {
	IC_LINK_COLUMNS("conversation_id", IC_SEARCH_EQUAL, "conversation_updated_at", IC_SEARCH_DATE_SECOND, "contact_id"),
};
/* teams have no updated_at, and GET /teams takes no filter */
static const IcColumn team_admins_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"admin_id", IC_STRING, NULL, IC_SEARCH_NONE},				/* an integer in admin_ids */
	{"team_id", IC_STRING, NULL, IC_SEARCH_NONE},
};

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
							  .lookup_path = "/companies?company_id="),
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
			  company_segments_columns, NULL),
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
	IC_STREAM("contact_tags", "/contacts", "data", IC_PAGING_LINK,
			  "/contacts/search", "/contacts/", "id", false, 100000, contact_tags_columns,
			  .parent = "contacts", .stamps = {"contact_id", NULL, "contact_updated_at", NULL},
			  .link_path = "tags.data", .link_child = "id", .link_column = "tag_id",
			  .link_more = "tags.has_more", .link_expand = "/contacts/%s/tags"),
	IC_STREAM("contacts", "/contacts", "data", IC_PAGING_CURSOR,
			  "/contacts/search", "/contacts/", "id", true, 100000,
			  contacts_columns, .custom_model = "contact"),
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
			  .link_path = "contacts.contacts", .link_child = "id", .link_column = "contact_id"),
	IC_STREAM("conversation_parts", "/conversations", "conversations",
			  IC_PAGING_PER_PARENT, "/conversations/search", "/conversations/",
			  "id", true, 500000, conversation_parts_columns,
			  .parent = "conversations", .child_list = "conversation_parts",
			  .stamps = {"conversation_id", "conversation_created_at",
						 "conversation_updated_at", "conversation_total_parts"}),
	/* 2.16 and later answer 422 for model=conversation */
	IC_STREAM("conversation_tags", "/conversations", "conversations", IC_PAGING_LINK,
			  "/conversations/search", "/conversations/", "id", false, 50000,
			  conversation_tags_columns,
			  .parent = "conversations",
			  .stamps = {"conversation_id", NULL, "conversation_updated_at", NULL},
			  .link_path = "tags.tags", .link_child = "id", .link_column = "tag_id"),
	IC_STREAM("conversations", "/conversations", "conversations",
			  IC_PAGING_CURSOR, "/conversations/search", "/conversations/",
			  "id", true, 50000, conversations_columns,
			  .custom_model = "conversation", .custom_model_until = "2.16"),
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
	IC_STREAM("segments", "/segments?include_count=true", "segments",
			  IC_PAGING_NONE, NULL, NULL, "id", true, 50, segments_columns, NULL),
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
			  .search_unsorted = true),
};

const int	ic_nstreams = (int) IC_LENGTHOF(ic_streams);

/*
 * ic_stream_lookup
 *		The stream called name, or NULL.
 *
 * Exact and case-sensitive, like the option values it checks; twenty-five rows
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
		"company_tags, contact_attributes, contact_companies, contact_tags, contacts, "
		"conversation_attributes, conversation_contacts, conversation_parts, conversation_tags, "
		"conversations, deleted_conversations, help_center_collections, segments, subscription_types, tags, "
		"team_admins, teams, ticket_parts, ticket_types, tickets";
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
