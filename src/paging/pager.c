/*-------------------------------------------------------------------------
 *
 * pager.c
 *		The pager owns paging: a scan begins it with its request
 *		(ic_pager_begin) and takes one record at a time (ic_pager_next).
 *		Each paging style fetches pages in a file of its own, behind the
 *		table below: listings and searches (pages.c), partitions
 *		(partition.c), the company scroll (scroll.c), reads by id (by_id.c).
 *
 * A page lives in p->page_cxt, reset when the next page is fetched; cursors
 * and scroll params live in p->state_cxt, for the whole scan.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "pager.h"

#include "utils/hsearch.h"
#include "utils/memutils.h"

typedef struct IcPagingStyleOps
{
	const char *name;
	void		(*fetch) (IcPager *p);	/* the next page into p->records, or exhausted */
} IcPagingStyleOps;

static const IcPagingStyleOps paging_styles[IC_STYLE_COUNT] = {
	[IC_STYLE_PAGES] = {"pages", ic_fetch_pages},
	[IC_STYLE_PARTITIONS] = {"partitions", ic_fetch_partition_page},
	[IC_STYLE_SCROLL] = {"scroll", ic_fetch_scroll},
	[IC_STYLE_BY_ID] = {"by id", ic_fetch_by_id},
};

void
ic_pager_init(IcPager *p, MemoryContext scan_cxt)
{
	memset(p, 0, sizeof(*p));
	p->page_cxt = AllocSetContextCreate(scan_cxt, "intercom_fdw page", ALLOCSET_DEFAULT_SIZES);
	p->state_cxt = scan_cxt;
	p->page_owner_cxt = AllocSetContextCreate(scan_cxt, "intercom_fdw prefetch",
											  ALLOCSET_SMALL_SIZES);
}

/* The paging style of a listing: how its stream pages, or by id. */
static IcPagingStyle
choose_style(const IcListing *l)
{
	if (l->mode == IC_MODE_IDS || l->mode == IC_MODE_LOOKUP)
		return IC_STYLE_BY_ID;
	if (l->mode == IC_MODE_LIST && l->stream->paging == IC_PAGING_SCROLL && !l->by_page)
		return IC_STYLE_SCROLL;
	return IC_STYLE_PAGES;
}

/*
 * ic_pager_begin
 *		Start a walk (a scan start or restart): the last walk's pages, a
 *		pending prefetch and cursors are dropped.
 */
void
ic_pager_begin(IcPager *p, const IcPagerStart *start)
{
	MemoryContextReset(p->page_cxt);
	MemoryContextReset(p->page_owner_cxt);	/* drops a pending prefetch */
	p->listing = start->listing;
	p->style = choose_style(&p->listing);
	p->ids = start->ids;
	p->next_id = 0;
	p->current_id = NULL;
	p->conn = start->conn;
	p->stats = start->stats;
	p->count_key = start->count_key;
	p->concurrency = start->concurrency;
	p->partition_ok = start->partition_ok;
	p->partitions = NULL;
	p->records = NULL;
	p->index = 0;
	p->started = false;
	p->exhausted = start->empty;
	p->cursor = p->scroll_param = NULL;
	p->seen_ids = NULL;
	ic_scroll_recovery_init(&p->scroll, p->state_cxt);
	if (p->style == IC_STYLE_SCROLL)
	{
		/* ids returned: a scroll restart or a shifting page repeats rows */
		HASHCTL		ctl;

		ctl.keysize = NAMEDATALEN * 2;
		ctl.entrysize = NAMEDATALEN * 2;
		ctl.hcxt = p->state_cxt;
		p->seen_ids = hash_create("intercom_fdw scroll ids", 1024, &ctl,
								  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	p->prefetch[0] = p->prefetch[1] = NULL;
	p->prefetch_next = 0;
	/* background requests say the server's version: not for a stream with its own */
	if (start->prefetch && p->style == IC_STYLE_PAGES && p->listing.stream->api_version == NULL &&
		p->listing.stream->paging != IC_PAGING_NONE && p->listing.stream->paging != IC_PAGING_SCROLL)
	{
		IcReader	reader = ic_page_reader(p->count_key);

		p->prefetch[0] = ic_transfer_create(p->conn, p->page_owner_cxt, reader, NULL);
		p->prefetch[1] = ic_transfer_create(p->conn, p->page_owner_cxt, reader, NULL);
	}
}

IcJson *
ic_pager_records(IcPager *p, IcJson *root, const IcRequest *r)
{
	IcJson	   *records = ic_json_get(root, p->listing.stream->list_key);

	if (!ic_json_is(records, IC_JSON_ARRAY))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("Intercom response to %s %s has no \"%s\" array", r->method, r->path,
						p->listing.stream->list_key),
				 errhint("Check the server option api_version; the envelope may differ in this version.")));
	return records;
}

/* The partitions' next page, whichever arrives first. */
void
ic_fetch_partition_page(IcPager *p)
{
	p->records = ic_partition_next_page(p->partitions);
	p->exhausted = p->records == NULL;
	p->pages += p->records != NULL;
}

void
ic_pager_poll(IcPager *p)
{
	if (p->prefetch[0])
		(void) ic_transfer_poll(p->prefetch[p->prefetch_next]);
	if (p->partitions)
		ic_partition_poll(p->partitions);
}

void
ic_pager_explain(IcPager *p, ExplainState *es)
{
	if (p->partitions)
		ic_partition_explain(p->partitions, es);
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
		paging_styles[p->style].fetch(p);
		p->started = true;
		MemoryContextSwitchTo(old);
	}
}

/* By id: the id whose GET gave the current page (a child endpoint's rows do not carry it). */
const char *
ic_pager_current_id(IcPager *p)
{
	return p->current_id;
}
