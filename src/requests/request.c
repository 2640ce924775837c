/*-------------------------------------------------------------------------
 *
 * request.c
 *		Every request intercom_fdw sends, built as a value (request.h).
 *		Pure functions of the plan's listing and the stream's row: they
 *		make no request and read no executor state.
 *
 *-------------------------------------------------------------------------
 */
#include "request.h"

/*
 * search_body
 *		{"query":...,"pagination":{"per_page":N[,"starting_after":C]}
 *		[,"sort":{"field":F,"order":O}]}.  The cursor is JSON-quoted by
 *		jansson, which refuses text that is not valid UTF-8: such a cursor
 *		cannot be sent back as it came, so it is an error, never a NULL.
 */
static char *
search_body(const char *query_json, int per_page, const char *cursor,
			const char *sort_field, const char *order)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"query\":%s,\"pagination\":{\"per_page\":%d", query_json, per_page);
	if (cursor)
	{
		json_t	   *value = json_string(cursor);
		char	   *quoted = value ? json_dumps(value, JSON_ENCODE_ANY) : NULL;

		if (value)
			json_decref(value);
		if (quoted == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("Intercom returned a cursor that is not valid UTF-8"),
					 errhint("The next page cannot be asked for; run the query again.")));
		appendStringInfo(&buf, ",\"starting_after\":%s", quoted);
		free(quoted);
	}
	appendStringInfoChar(&buf, '}');
	if (order)
		appendStringInfo(&buf, ",\"sort\":{\"field\":\"%s\",\"order\":\"%s\"}", sort_field, order);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

IcRequest
ic_search_request(const IcStream *stream, const char *query_json, int per_page,
				  const char *cursor, const char *sort_field, const char *order)
{
	IcRequest	r;

	r.kind = IC_REQ_SEARCH;
	r.method = "POST";
	r.api_version = stream->api_version;
	r.path = pstrdup(stream->search_path);
	r.body = search_body(query_json, per_page, cursor, sort_field, order);
	return r;
}

/* The page-numbered listing: a LIMIT listing (companies), or the listing itself. */
static const char *
numbered_path(const IcListing *l)
{
	return l->stream->limit_path ? l->stream->limit_path : l->list_path;
}

IcRequest
ic_listing_request(const IcListing *l, const char *cursor)
{
	IcRequest	r = {.method = "GET",.body = NULL,.api_version = l->stream->api_version};

	if (l->mode == IC_MODE_SEARCH)
		return ic_search_request(l->stream, l->query_json, l->per_page, cursor, "updated_at",
								 l->sort_dir == 0 ? NULL : l->sort_dir > 0 ? "ascending" : "descending");
	if (l->by_page)
	{
		r.kind = IC_REQ_PAGE_NUMBER;
		r.path = psprintf("%s?per_page=%d&page=%s%s", numbered_path(l), l->per_page,
						  cursor ? cursor : "1", l->range_query ? l->range_query : "");
	}
	else if (l->stream->paging == IC_PAGING_NONE)
	{
		r.kind = IC_REQ_UNPAGED;
		r.path = pstrdup(l->list_path);
	}
	else
	{
		r.kind = IC_REQ_LIST_CURSOR;
		r.path = psprintf("%s?per_page=%d%s%s%s", l->list_path, l->per_page,
						  l->range_query ? l->range_query : "",
						  cursor ? "&starting_after=" : "", cursor ? ic_url_escape(cursor) : "");
	}
	return r;
}

IcRequest
ic_first_request(const IcListing *l)
{
	if (l->mode == IC_MODE_LIST && !l->by_page && l->stream->paging == IC_PAGING_SCROLL)
		return ic_scroll_request(l->stream->list_path, NULL);
	return ic_listing_request(l, NULL);
}

IcRequest
ic_get_request(IcRequestKind kind, const char *prefix, const char *id)
{
	IcRequest	r;

	r.kind = kind;
	r.method = "GET";
	r.path = psprintf("%s%s", prefix, ic_url_escape(id));
	r.body = NULL;
	r.api_version = NULL;
	return r;
}

/* "&page=N" or "?page=N" after a path, for the pages past the first */
static char *
with_page(char *path, int page)
{
	if (page <= 1)
		return path;
	return psprintf("%s%cpage=%d", path, strchr(path, '?') ? '&' : '?', page);
}

IcRequest
ic_child_request(const IcStream *child, const char *parent_id, int page)
{
	IcRequest	r;

	if (child->child_path == NULL)
		return ic_get_request(IC_REQ_CHILD_DETAIL, ic_stream_parent(child)->get_path, parent_id);
	r.kind = IC_REQ_CHILD_DETAIL;
	r.method = "GET";
	r.path = with_page(psprintf(child->child_path, ic_url_escape(parent_id)), page);
	r.body = NULL;
	r.api_version = child->api_version;
	return r;
}

IcRequest
ic_record_request(const IcListing *l, const char *id)
{
	IcRequest	r;

	if (l->mode == IC_MODE_IDS && l->child)
		return ic_child_request(l->child, id, 1);
	r = ic_get_request(IC_REQ_GET_BY_ID, l->mode == IC_MODE_LOOKUP
								   ? l->stream->lookup_path : l->stream->get_path, id);

	r.api_version = l->stream->api_version;
	return r;
}

IcRequest
ic_link_list_request(const IcStream *stream, const char *parent_id, int page)
{
	IcRequest	r;

	r.kind = IC_REQ_CHILD_DETAIL;
	r.method = "GET";
	/* the companies list pages by number */
	r.path = with_page(psprintf(stream->link_expand, ic_url_escape(parent_id)), page);
	r.body = NULL;
	r.api_version = stream->api_version;
	return r;
}

IcRequest
ic_scroll_request(const char *list_path, const char *scroll_param)
{
	IcRequest	r;

	r.kind = IC_REQ_SCROLL;
	r.method = "GET";
	r.path = scroll_param ? psprintf("%s?scroll_param=%s", list_path, ic_url_escape(scroll_param))
		: pstrdup(list_path);
	r.body = NULL;
	r.api_version = NULL;
	return r;
}

bool
ic_count_request(const IcStream *s, IcRequest *r)
{
	r->method = "GET";
	r->body = NULL;
	r->api_version = s->api_version;
	if (s->parent || s->range_after || s->paging == IC_PAGING_NONE)
		return false;
	if (s->limit_path)
	{
		/* companies: the page-numbered listing, not the scroll */
		r->kind = IC_REQ_LIST_CURSOR;
		r->path = psprintf("%s?per_page=1", s->limit_path);
	}
	else if (s->list_path && s->paging == IC_PAGING_PAGE_NUMBER)
	{
		r->kind = IC_REQ_PAGE_NUMBER;
		r->path = psprintf("%s?per_page=1&page=1", s->list_path);
	}
	else if (s->list_path && s->paging == IC_PAGING_CURSOR)
	{
		r->kind = IC_REQ_LIST_CURSOR;
		r->path = psprintf("%s?per_page=1", s->list_path);
	}
	else if (s->list_query)
		*r = ic_search_request(s, s->list_query, 1, NULL, NULL, NULL);
	else
		return false;
	return true;
}

char *
ic_request_text(const IcRequest *r)
{
	return r->body ? psprintf("%s %s %s", r->method, r->path, r->body)
		: psprintf("%s %s", r->method, r->path);
}

/* ---------- requests outside the scans ---------- */

/* GET of an unpaged resource: /me, /data_attributes?model=contact */
static IcRequest
unpaged_request(char *path)
{
	IcRequest	r = {IC_REQ_UNPAGED, "GET", path, NULL, NULL};

	return r;
}

/*
 * ic_data_attributes_request
 *		A model's data attributes, for IMPORT FOREIGN SCHEMA's custom
 *		attribute columns and the columns added later.
 */
IcRequest
ic_data_attributes_request(const char *model)
{
	return unpaged_request(psprintf("/data_attributes?model=%s", model));
}

/* GET /me: the workspace (its timezone: contact search compares by its days) */
IcRequest
ic_me_request(void)
{
	return unpaged_request(pstrdup("/me"));
}

/*
 * ic_feed_request
 *		A page of the deleted-conversations feed, newest first (copies:
 *		read down to a bound), in the feed's own API version.
 */
IcRequest
ic_feed_request(const IcStream *feed, int per_page, int page)
{
	IcRequest	r = {IC_REQ_PAGE_NUMBER, "GET", NULL, NULL, feed->api_version};

	r.path = psprintf("%s?per_page=%d&page=%d&order=desc", feed->list_path, per_page, page);
	return r;
}

/*
 * ic_status_request
 *		A record by id, to learn whether it still exists: asked as 2.16,
 *		which tells a merged contact (410) from a deleted one (404).
 */
IcRequest
ic_status_request(const IcStream *stream, const char *id)
{
	IcRequest	r = ic_get_request(IC_REQ_GET_BY_ID, stream->get_path, id);

	r.api_version = "2.16";
	return r;
}

/*
 * ic_write_request
 *		A write (writing/): its method, path and JSON body, built by
 *		write_body.c from the row.  One that creates something may not be
 *		sent again when its outcome is unknown (retry.c).
 */
IcRequest
ic_write_request(const char *method, char *path, char *body, bool creates)
{
	IcRequest	r = {creates ? IC_REQ_WRITE_CREATE : IC_REQ_WRITE, method, path, body, NULL};

	return r;
}
