/*-------------------------------------------------------------------------
 *
 * stream_columns.h
 *		The columns of each stream: the data half of the stream table.
 *
 * Included once, by streams.c, whose IC_STREAM rows take each array's
 * length with sizeof; nothing else may include it.  The lists are the union
 * of the product brief's table reference, the Singer tap's JSON schemas,
 * Intercom's 2.16 OpenAPI description (components.schemas) and the fields
 * the live API is known to send; scripts/check_openapi.py compares them
 * with the description, and docs/tables.md says why a field of it is not a
 * column.  Every table also has the catch-all column _extra (IC_EXTRA_PATH,
 * added by IMPORT FOREIGN SCHEMA), so a field missing here is never lost.
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
 * IDENTIFICATION
 *		src/stream_columns.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_STREAM_COLUMNS_H
#define INTERCOM_STREAM_COLUMNS_H

static const IcColumn admins_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"admin_ids", IC_ARRAY, NULL, IC_SEARCH_NONE},
	{"avatar", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"away_mode_enabled", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"away_mode_reassign", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"away_status_reason_id", IC_STRING, NULL, IC_SEARCH_NONE},		/* integer, nullable */
	{"email", IC_STRING, NULL, IC_SEARCH_NONE},
	{"has_inbox_seat", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"job_title", IC_STRING, NULL, IC_SEARCH_NONE},
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"role", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* 2.16: {"type":"role","id","name"} */
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
	{"notes", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* 2.16: {"type":"note.list","notes":[...]} */
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
	{"enabled_push_messaging", IC_BOOLEAN, NULL, IC_SEARCH_NONE},	/* live API, contact detail */
	{"external_id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"formatted_phone", IC_STRING, NULL, IC_SEARCH_NONE},
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
	{"merge_history", IC_ARRAY, NULL, IC_SEARCH_NONE},			/* 2.16 */
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"notes", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* addressable list, at most 10 inlined */
	{"opted_in_subscription_types", IC_OBJECT, NULL, IC_SEARCH_NONE},	/* addressable list */
	{"opted_out_subscription_types", IC_OBJECT, NULL, IC_SEARCH_NONE},	/* addressable list */
	{"os", IC_STRING, NULL, IC_SEARCH_NONE},
	{"owner_id", IC_STRING, NULL, IC_SEARCH_NONE},				/* integer up to 2.15, string in 2.16 */
	{"phone", IC_STRING, NULL, IC_SEARCH_NONE},
	{"referrer", IC_STRING, NULL, IC_SEARCH_NONE},
	{"role", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"signed_up_at", IC_DATETIME, NULL, IC_SEARCH_DATE_BY_DAY},
	{"sms_consent", IC_BOOLEAN, NULL, IC_SEARCH_NONE},			/* live API, not in the 2.16 schema */
	{"social_profiles", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"tags", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* addressable list, at most 10 inlined */
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"unsubscribed_from_emails", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"unsubscribed_from_sms", IC_BOOLEAN, NULL, IC_SEARCH_NONE},	/* live API, not in the 2.16 schema */
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_DATE_BY_DAY},
	{"utm_campaign", IC_STRING, NULL, IC_SEARCH_NONE},
	{"utm_content", IC_STRING, NULL, IC_SEARCH_NONE},
	{"utm_medium", IC_STRING, NULL, IC_SEARCH_NONE},
	{"utm_source", IC_STRING, NULL, IC_SEARCH_NONE},
	{"utm_term", IC_STRING, NULL, IC_SEARCH_NONE},
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
	{"app_package_code", IC_STRING, NULL, IC_SEARCH_NONE},
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
	{"email_message_metadata", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"event_details", IC_OBJECT, NULL, IC_SEARCH_NONE},			/* {"action":{"name":"Jira Create Issue"}} */
	{"external_id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"metadata", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"notified_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"part_type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"redacted", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"state", IC_STRING, NULL, IC_SEARCH_NONE},					/* the conversation's state after the part */
	{"tags", IC_ARRAY, NULL, IC_SEARCH_NONE},					/* tags applied to the part */
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_DATE_SECOND},
};

/* Conversations search compares dates to the second. */
static const IcColumn conversations_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"admin_assignee_id", IC_STRING, NULL, IC_SEARCH_NONE},		/* integer; 0 = unassigned in 2.16 */
	{"ai_agent", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"ai_agent_participated", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"assignee", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* v1 field, absent in 2.x */
	{"channel", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* 2.16 */
	{"company", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* 2.16 */
	{"contacts", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* {"type":"contact.list","contacts":[...]} */
	{"conversation_message", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"conversation_rating", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_DATE_SECOND},
	{"custom_attributes", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"customer_first_reply", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"customers", IC_ARRAY, NULL, IC_SEARCH_NONE},				/* v1 field, absent in 2.x */
	{"external_references", IC_ARRAY, NULL, IC_SEARCH_NONE},	/* 2.16 */
	{"first_contact_reply", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"linked_objects", IC_OBJECT, NULL, IC_SEARCH_NONE},		/* {"type":"list","data":[...]} */
	{"monitor_evaluations", IC_ARRAY, NULL, IC_SEARCH_NONE},	/* 2.16, include_monitors */
	{"open", IC_BOOLEAN, NULL, IC_SEARCH_EQUAL},
	{"priority", IC_STRING, NULL, IC_SEARCH_NONE},
	{"read", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"sales_agent", IC_OBJECT, NULL, IC_SEARCH_NONE},			/* 2.16 */
	{"sales_agent_participated", IC_BOOLEAN, NULL, IC_SEARCH_NONE},	/* 2.16 */
	{"scorecards", IC_ARRAY, NULL, IC_SEARCH_NONE},			/* 2.16, include_scorecards */
	{"sent_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"sla_applied", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"snoozed_until", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"source", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"state", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"statistics", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"tags", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* {"type":"tag.list","tags":[...]} */
	{"team_assignee_id", IC_STRING, NULL, IC_SEARCH_NONE},		/* integer; 0 = unassigned in 2.16 */
	{"teammates", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"ticket", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"title", IC_STRING, NULL, IC_SEARCH_NONE},
	{"topics", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_DATE_SECOND},
	{"user", IC_OBJECT, NULL, IC_SEARCH_NONE},					/* v1 field, absent in 2.x */
	{"waiting_since", IC_DATETIME, NULL, IC_SEARCH_NONE},
};

/*
 * GET /macros (2.16): cursor-paged, newest updated_at first; updated_since
 * (exclusive) is the listing's lower bound on updated_at, so materialize
 * reads only what changed.  Dates are ISO strings, not epoch seconds.
 */
/*
 * GET /conversations/deleted (2.16): the ids of deleted conversations,
 * newest deletion first; what materialize uses to drop them from copies.
 */
static const IcColumn deleted_conversations_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"deleted_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"metrics_retained", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
};

static const IcColumn macros_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_EQUAL},					/* GET /macros/{id} */
	{"available_on", IC_ARRAY, NULL, IC_SEARCH_NONE},			/* inbox, messenger */
	{"body", IC_STRING, NULL, IC_SEARCH_NONE},
	{"body_text", IC_STRING, NULL, IC_SEARCH_NONE},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"name", IC_STRING, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
	{"updated_at", IC_DATETIME, NULL, IC_SEARCH_RANGE_PARAM},
	{"visible_to", IC_STRING, NULL, IC_SEARCH_NONE},			/* everyone, specific_teams */
	{"visible_to_team_ids", IC_ARRAY, NULL, IC_SEARCH_NONE},
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
	{"assignment_limit", IC_INTEGER, NULL, IC_SEARCH_NONE},		/* load-balanced teams only */
	{"distribution_method", IC_STRING, NULL, IC_SEARCH_NONE},
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
	{"statistics", IC_OBJECT, NULL, IC_SEARCH_NONE},			/* GET /articles/{id} only: null in a listing */
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

/*
 * GET /ticket_states: the lookup for tickets.ticket_state_id and
 * previous_ticket_state_id, archived states included.
 */
static const IcColumn ticket_states_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"archived", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"category", IC_STRING, NULL, IC_SEARCH_NONE},				/* submitted ... resolved */
	{"external_label", IC_STRING, NULL, IC_SEARCH_NONE},		/* what customers see */
	{"internal_label", IC_STRING, NULL, IC_SEARCH_NONE},		/* what teammates see */
	{"ticket_types", IC_OBJECT, NULL, IC_SEARCH_NONE},			/* {"type":"list","data":[ticket_type]} */
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},
};

static const IcColumn ticket_types_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_EQUAL},
	{"archived", IC_BOOLEAN, NULL, IC_SEARCH_NONE},
	{"category", IC_STRING, NULL, IC_SEARCH_NONE},
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"description", IC_STRING, NULL, IC_SEARCH_NONE},
	{"icon", IC_STRING, NULL, IC_SEARCH_NONE},
	{"is_internal", IC_BOOLEAN, NULL, IC_SEARCH_NONE},			/* live API */
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
	{"ticket_state_external_label", IC_STRING, NULL, IC_SEARCH_NONE},	/* live API */
	{"ticket_state_internal_label", IC_STRING, NULL, IC_SEARCH_NONE},	/* live API */
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
 * A contact's notes, from GET /contacts/{id}/notes: asked only of contacts
 * whose inlined notes.total_count is above 0.  contact_id = X is that one
 * GET; contact_id is added by the scan (the note's contact.id says the same).
 */
static const IcColumn contact_notes_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"author", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* the admin who wrote it */
	{"body", IC_STRING, NULL, IC_SEARCH_NONE},					/* HTML */
	{"company", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* null on a contact's note */
	{"contact", IC_OBJECT, NULL, IC_SEARCH_NONE},				/* {"type","id"} */
	{"contact_id", IC_STRING, NULL, IC_SEARCH_EQUAL},			/* added by the scan */
	{"created_at", IC_DATETIME, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},					/* note */
};

/*
 * The subscription types a contact opted in to (consent_type opt_in) or out
 * of (opt_out), from GET /contacts/{id}/subscriptions: one request per
 * contact, since listings do not carry them.  A type belongs to many
 * contacts, so "id" is contact_id/subscription_type_id, and the type's own
 * id is subscription_type_id (both added by the scan).
 */
static const IcColumn contact_subscriptions_columns[] = {
	{"id", IC_STRING, NULL, IC_SEARCH_NONE},
	{"consent_type", IC_STRING, NULL, IC_SEARCH_NONE},			/* opt_in or opt_out */
	{"contact_id", IC_STRING, NULL, IC_SEARCH_EQUAL},			/* added by the scan */
	{"content_types", IC_ARRAY, NULL, IC_SEARCH_NONE},			/* email, sms_message */
	{"default_translation", IC_OBJECT, NULL, IC_SEARCH_NONE},
	{"state", IC_STRING, NULL, IC_SEARCH_NONE},					/* the type's: live, draft, archived */
	{"subscription_type_id", IC_STRING, NULL, IC_SEARCH_NONE},	/* added by the scan */
	{"translations", IC_ARRAY, NULL, IC_SEARCH_NONE},
	{"type", IC_STRING, NULL, IC_SEARCH_NONE},					/* subscription */
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

#endif							/* INTERCOM_STREAM_COLUMNS_H */
