/*-------------------------------------------------------------------------
 *
 * pager.c
 *		Walking one endpoint page by page, in its paging style: cursor
 *		listings and searches (with the next page prefetched, or read in
 *		partitions by partition.c), page-numbered listings, the company
 *		scroll, and GETs by id.  The scan (scan.c) asks for one record at a
 *		time.
 *
 * A page lives in p->page_cxt, reset when the next page is fetched; cursors
 * and scroll params live in p->state_cxt, for the whole scan.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "pager.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

/* advisory lock class of company scrolls: one per workspace at a time */
#define SCROLL_LOCK_CLASS	0x1C0F

static const long pass_404[] = {404, 0};
/* a scroll's answers: 400 scroll_exists, 404 expired or nothing to scroll */
static const long pass_scroll[] = {400, 404, 0};

static IcJson *
envelope_records(IcPager *p, IcJson *root, const char *path)
{
	IcJson	   *records = ic_json_get(root, p->stream->list_key);

	if (!ic_json_is(records, IC_JSON_ARRAY))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("Intercom response to GET %s has no \"%s\" array", path,
						p->stream->list_key),
				 errhint("Check the server option api_version; the envelope may differ in this version.")));
	return records;
}

/* pages.next.starting_after, or NULL on the last page (next absent) */
static char *
next_cursor(IcJson *root)
{
	IcJson	   *next = ic_json_get(ic_json_get(root, "pages"), "next");
	IcJson	   *cursor = ic_json_get(next, "starting_after");

	if (!ic_json_is(cursor, IC_JSON_STRING) || cursor->len == 0)
		return NULL;
	return pnstrdup(cursor->u.text, cursor->len);
}

/*
 * Page-numbered paging: the number after current (NULL: page 1), or NULL on
 * the last page (pages.next is a URL, or null at the end).
 */
static char *
next_page_number(IcJson *root, IcJson *records, const char *current)
{
	IcJson	   *next = ic_json_get(ic_json_get(root, "pages"), "next");
	IcJson	   *total = ic_json_get(ic_json_get(root, "pages"), "total_pages");
	int			page = current ? atoi(current) : 1;

	if (records->len == 0)
		return NULL;
	/* total_pages when sent (articles may omit next), else next */
	if (ic_json_is(total, IC_JSON_NUMBER))
		return page < atoi(pnstrdup(total->u.text, total->len)) ? psprintf("%d", page + 1) : NULL;
	if (next == NULL || next->type == IC_JSON_NULL)
		return NULL;
	return psprintf("%d", page + 1);
}

static void
fetch_by_id(IcPager *p)
{
	while (p->next_id < list_length(p->ids))
	{
		char	   *id = strVal(list_nth(p->ids, p->next_id++));
		char	   *path;
		IcJson	   *root;
		long		status;

		if (p->mode == IC_MODE_LOOKUP)
			path = psprintf("%s%s", p->stream->lookup_path, ic_url_escape(id));
		else
			path = psprintf("%s%s", p->stream->get_path, ic_url_escape(id));
		root = ic_request_page(p->conn, IC_REQ_GET_BY_ID, "GET", path, NULL, pass_404,
							   &status, NULL, NULL, p->stats);
		if (root == NULL)
			continue;			/* no such record: no row */
		p->pages++;
		if (ic_json_is(ic_json_get(root, "data"), IC_JSON_ARRAY))
			p->records = ic_json_get(root, "data");
		else
		{
			/* the record itself: a page of one */
			p->records = palloc(sizeof(IcJson));
			p->records->type = IC_JSON_ARRAY;
			p->records->len = 1;
			p->records->u.items = root;
		}
		return;
	}
	p->exhausted = true;
}

/*
 * The page-numbered listing: a stream's LIMIT listing (companies), or the
 * listing itself when that is how the stream pages (articles).
 */
const char *
ic_pager_numbered_path(IcPager *p)
{
	return p->stream->limit_path ? p->stream->limit_path : p->list_path;
}

/* The request for the page at p->cursor (NULL: the first page). */
static void
page_request(IcPager *p, const char **method, char **path, char **body)
{
	if (p->mode == IC_MODE_SEARCH)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		appendStringInfo(&buf, "{\"query\":%s,\"pagination\":{\"per_page\":%d", p->query_json, p->per_page);
		if (p->cursor)
		{
			json_t	   *cursor = json_string(p->cursor);
			char	   *quoted = json_dumps(cursor, JSON_ENCODE_ANY);

			appendStringInfo(&buf, ",\"starting_after\":%s", quoted);
			free(quoted);
			json_decref(cursor);
		}
		appendStringInfoChar(&buf, '}');
		if (p->sort_dir != 0)
			appendStringInfo(&buf, ",\"sort\":{\"field\":\"updated_at\",\"order\":\"%s\"}",
							 p->sort_dir > 0 ? "ascending" : "descending");
		appendStringInfoChar(&buf, '}');
		*method = "POST";
		*path = pstrdup(p->stream->search_path);
		*body = buf.data;
		return;
	}
	*method = "GET";
	*body = NULL;
	if (p->by_page)
		*path = psprintf("%s?per_page=%d&page=%s%s", ic_pager_numbered_path(p), p->per_page,
						 p->cursor ? p->cursor : "1", p->range_query ? p->range_query : "");
	else if (p->stream->paging == IC_PAGING_NONE)
		*path = pstrdup(p->list_path);
	else
		*path = psprintf("%s?per_page=%d%s%s%s", p->list_path, p->per_page,
						 p->range_query ? p->range_query : "",
						 p->cursor ? "&starting_after=" : "",
						 p->cursor ? ic_url_escape(p->cursor) : "");
}

/* What a listing or search page request is, for its failures (retry.c). */
IcRequestKind
ic_pager_kind(IcPager *p)
{
	if (p->mode == IC_MODE_SEARCH)
		return IC_REQ_SEARCH;
	if (p->by_page)
		return IC_REQ_PAGE_NUMBER;
	if (p->stream->paging == IC_PAGING_NONE)
		return IC_REQ_UNPAGED;
	return IC_REQ_LIST_CURSOR;
}

/* Start downloading the page at cursor on the handle that is not in use. */
static void
start_prefetch(IcPager *p, const char *cursor)
{
	IcAsyncRequest *req = p->prefetch[p->prefetch_next ^ 1];
	char	   *current = p->cursor;
	const char *method;
	char	   *path;
	char	   *body;

	p->cursor = (char *) cursor;
	page_request(p, &method, &path, &body);
	p->cursor = current;
	ic_async_cancel(req);
	ic_async_start(req, method, path, body, p->stats);
}

/*
 * fetch_list_or_search
 *		The next page of a listing or search.  When prefetching, the request
 *		for the following page starts as soon as this one is decoded (the
 *		decoder's one pass gives the cursor), so it downloads while this
 *		page's rows are converted and returned.
 */
static void
fetch_list_or_search(IcPager *p)
{
	IcJson	   *root;
	long		status;
	const char *method;
	char	   *path;
	char	   *body;

	page_request(p, &method, &path, &body);
	if (p->prefetch[0] && ic_async_active(p->prefetch[p->prefetch_next]))
		root = ic_async_finish(p->prefetch[p->prefetch_next], p->stats);
	else
		root = ic_request_page(p->conn, ic_pager_kind(p), method, path, body, NULL,
							   &status, NULL, p->count_key, p->stats);
	p->pages++;
	p->records = envelope_records(p, root, path);
	if (p->pages == 1 && p->partition_ok && next_cursor(root))
	{
		/* big enough? then this page is dropped and partitions read all */
		p->partitions = ic_partition_start(p->conn, p->stream,
										   p->mode == IC_MODE_SEARCH ? p->query_json : NULL,
										   p->per_page, p->concurrency, p->count_key, root,
										   p->page_owner_cxt, p->stats);
		if (p->partitions)
		{
			p->records = NULL;
			return;
		}
	}
	if (p->by_page)
		p->cursor = next_page_number(root, p->records, p->cursor);
	else
		p->cursor = p->stream->paging == IC_PAGING_NONE ? NULL : next_cursor(root);
	if (p->cursor)
	{
		/* the cursor must outlive this page's context */
		p->cursor = MemoryContextStrdup(p->state_cxt, p->cursor);
		if (p->prefetch[0])
		{
			start_prefetch(p, p->cursor);
			p->prefetch_next ^= 1;
		}
	}
}

static uint32
scroll_lock_key(IcPager *p)
{
	/*
	 * Which workspace a token belongs to is unknown here, so one lock covers
	 * every company scroll of this database: scrolls of different
	 * workspaces wait for each other too, which is safe, if not necessary.
	 */
	return (uint32) hash_bytes((const unsigned char *) "companies/scroll", 16);
}

/*
 * fetch_scroll
 *		The company scroll: one per workspace, so scrolls are serialized
 *		across backends with a transaction-level advisory lock; a
 *		scroll_exists is waited out; any failure of a page (http.c returns
 *		them all: IC_REQ_SCROLL is never resent) or an expiry restarts the
 *		scroll, and ids already returned are skipped.
 */
static void
fetch_scroll(IcPager *p)
{
	if (!p->started)
	{
		LOCKTAG		tag;

		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, SCROLL_LOCK_CLASS, scroll_lock_key(p), 2);
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
	}
	for (;;)
	{
		long		status;
		IcFailure	f;
		char	   *path = p->scroll_param
			? psprintf("%s?scroll_param=%s", p->stream->list_path, ic_url_escape(p->scroll_param))
			: (char *) p->stream->list_path;
		IcJson	   *root = ic_request_page(p->conn, IC_REQ_SCROLL, "GET", path, NULL,
										   pass_scroll, &status, &f, NULL, p->stats);
		IcJson	   *param;

		if (root)
		{
			p->pages++;
			p->records = envelope_records(p, root, path);
			param = ic_json_get(root, "scroll_param");
			p->scroll_param = ic_json_is(param, IC_JSON_STRING)
				? MemoryContextStrdup(p->state_cxt, pnstrdup(param->u.text, param->len))
				: NULL;
			if (p->records->len == 0)
				p->exhausted = true;
			return;
		}
		if (f.failure == IC_FAILURE_CLIENT && p->scroll_param == NULL)
		{
			if (f.status == 400 && f.code && strcmp(f.code, "scroll_exists") == 0)
			{
				ic_scroll_wait(&p->scroll, &f, p->stats);
				continue;
			}
			if (f.status == 404 && p->scroll.restarts == 0)
			{
				p->exhausted = true;	/* nothing to scroll */
				return;
			}
			/* a 404 on reopening, companies returned already: a failure */
		}
		if (f.failure == IC_FAILURE_CLIENT && f.status == 400)
			ic_scroll_fail(&p->scroll, &f); /* not a state to restart from */
		ic_scroll_restart(&p->scroll, &f);	/* a failure, or a 404: expired */
		p->scroll_param = NULL;
	}
}

/*
 * ic_pager_next
 *		The next record, or NULL at the end.  A record stays valid until the
 *		following call that fetches a page.
 */
IcJson *
ic_pager_next(IcPager *p)
{
	for (;;)
	{
		MemoryContext old;

		if (p->records && p->index < p->records->len)
		{
			IcJson	   *rec = ic_json_item(p->records, p->index++);

			if (p->partitions && !ic_partition_keep(p->partitions, rec))
				continue;		/* another partition returns it */
			if (p->seen_ids)
			{
				IcJson	   *id = ic_json_get(rec, "id");
				char		key[NAMEDATALEN * 2] = {0};
				bool		found;

				if (ic_json_is(id, IC_JSON_STRING))
				{
					memcpy(key, id->u.text, Min(id->len, sizeof(key) - 1));
					hash_search(p->seen_ids, key, HASH_ENTER, &found);
					if (found)
						continue;	/* returned before a scroll restart */
				}
			}
			return rec;
		}
		if (p->exhausted)
			return NULL;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(p->page_cxt);
		p->records = NULL;
		p->index = 0;
		old = MemoryContextSwitchTo(p->page_cxt);
		switch (p->mode)
		{
			case IC_MODE_IDS:
			case IC_MODE_LOOKUP:
				fetch_by_id(p);
				break;
			case IC_MODE_SEARCH:
			case IC_MODE_LIST:
				if (p->partitions)
				{
					p->records = ic_partition_next_page(p->partitions);
					p->exhausted = p->records == NULL;
					p->pages += p->records != NULL;
				}
				else if (p->stream->paging == IC_PAGING_SCROLL && p->mode == IC_MODE_LIST &&
					!p->by_page)
					fetch_scroll(p);
				else if (p->started && p->cursor == NULL)
					p->exhausted = true;
				else
					fetch_list_or_search(p);
				break;
		}
		p->started = true;
		MemoryContextSwitchTo(old);
	}
}
