/*-------------------------------------------------------------------------
 *
 * pages.c
 *		The paging style of listings and searches: page after page by
 *		cursor (pages.next.starting_after) or by page number, the next page
 *		prefetched while this one's rows are returned, and the hand-off to
 *		partitions (partition.c) when the first page shows a big scan.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "pager.h"

#include "utils/memutils.h"
#include "utils/timestamp.h"

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

/* Start downloading the page at cursor on the handle that is not in use. */
static void
start_prefetch(IcPager *p, const char *cursor)
{
	IcTransfer *req = p->prefetch[p->prefetch_next ^ 1];
	IcRequest	r = ic_listing_request(&p->listing, cursor);

	ic_transfer_cancel(req);
	ic_transfer_start(req, &r, p->stats);
}

/*
 * ic_fetch_pages
 *		The next page of a listing or search.  When prefetching, the request
 *		for the following page starts as soon as this one is decoded (the
 *		decoder's one pass gives the cursor), so it downloads while this
 *		page's rows are converted and returned.
 */
void
ic_fetch_pages(IcPager *p)
{
	IcJson	   *root;
	IcRequest	r;
	TimestampTz sent;
	double		slept;

	if (p->started && p->cursor == NULL)
	{
		p->exhausted = true;	/* the last page had no next */
		return;
	}
	r = ic_listing_request(&p->listing, p->cursor);

	sent = GetCurrentTimestamp();
	slept = p->stats->wait_ms;
	if (p->prefetch[0] && ic_transfer_busy(p->prefetch[p->prefetch_next]))
		root = ic_transfer_finish(p->prefetch[p->prefetch_next], NULL);
	else
		root = ic_http_send(p->conn, &r, ic_page_reader(p->count_key), NULL, p->stats);
	p->pages++;
	p->records = ic_pager_records(p, root, &r);
	if (p->pages == 1 && p->partition_ok && next_cursor(root))
	{
		IcPartitionAsk ask = {
			.conn = p->conn,
			.stream = p->listing.stream,
			.query_json = p->listing.mode == IC_MODE_SEARCH ? p->listing.query_json : NULL,
			.per_page = p->listing.per_page,
			.concurrency = p->concurrency,
			.count_key = p->count_key,
			.stats = p->stats,
		};

		/* the page's latency, not our pacing or backoff */
		double		page_ms = (double) (GetCurrentTimestamp() - sent) / 1000.0 -
			(p->stats->wait_ms - slept);

		/* big enough? then this page is dropped and partitions read all */
		p->partitions = ic_partition_start(&ask, root, page_ms, p->page_owner_cxt);
		if (p->partitions)
		{
			p->records = NULL;
			p->style = IC_STYLE_PARTITIONS;
			return;
		}
	}
	if (p->listing.by_page)
		p->cursor = next_page_number(root, p->records, p->cursor);
	else
		p->cursor = p->listing.stream->paging == IC_PAGING_NONE ? NULL : next_cursor(root);
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

