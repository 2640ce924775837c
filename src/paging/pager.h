/*-------------------------------------------------------------------------
 *
 * pager.h
 *		A pager walks one endpoint page by page (pager.c); the scan
 *		(scan.c) sets it up and takes one record at a time.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_PAGER_H
#define INTERCOM_PAGER_H

#include "intercom_fdw.h"
#include "request.h"
#include "utils/hsearch.h"

/*
 * How the pager fetches its next page: one implementation per paging style,
 * each in a file of its own, chosen at ic_pager_begin (pager.c's table).
 */
typedef enum IcPagingStyle
{
	IC_STYLE_PAGES,				/* listing or search, by cursor or page number (pages.c) */
	IC_STYLE_PARTITIONS,		/* the same, read in created_at partitions (partition.c) */
	IC_STYLE_SCROLL,			/* the company scroll (scroll.c) */
	IC_STYLE_BY_ID,				/* one GET per id or lookup value (by_id.c) */
	IC_STYLE_COUNT
} IcPagingStyle;

/* What a scan asks of the pager when it starts (or restarts). */
typedef struct IcPagerStart
{
	IcListing	listing;		/* what every page asks for (request.h) */
	List	   *ids;			/* ids and lookup: values to GET */
	bool		empty;			/* a compared value is NULL: nothing to read */
	IcConnection *conn;
	IcStats    *stats;
	const char *count_key;		/* set: no column is read, count records only */
	bool		prefetch;		/* the next page may be asked for early */
	bool		partition_ok;	/* a full scan that may read in partitions */
	int			concurrency;
} IcPagerStart;

/* One endpoint walked page by page. */
typedef struct IcPager
{
	IcListing	listing;		/* what every page asks for (request.h) */
	IcPagingStyle style;
	IcConnection *conn;
	IcStats    *stats;
	List	   *ids;			/* ids and lookup: values to GET */
	int			next_id;
	const char *current_id;		/* by id: the id whose GET gave the page */
	MemoryContext page_cxt;		/* the current page; reset per page */
	MemoryContext state_cxt;	/* cursors and scroll params: the whole scan */
	MemoryContext page_owner_cxt;	/* the prefetch handle: one scan start */
	IcJson	   *records;		/* array in the current page */
	size_t		index;
	bool		started;
	bool		exhausted;
	char	   *cursor;			/* cursor paging: next starting_after */
	char	   *scroll_param;	/* scroll paging */
	HTAB	   *seen_ids;		/* scroll, by page: ids returned, to skip repeats */
	IcTransfer *prefetch[2];	/* prefetching: two handles, in turn */
	int			prefetch_next;	/* the handle with the next page, if active */
	const char *count_key;		/* set: no column is read, count records only */
	IcScrollRecovery scroll;	/* scroll restarts and waits (scroll.c) */
	bool		partition_ok;	/* a full scan that may read in partitions */
	int			concurrency;
	IcPartitionScan *partitions;	/* set: reading in partitions (partition.c) */
	int64		pages;
} IcPager;

/* ---- the interface (pager.c) ---- */

/* once per scan: the pager's memory, under scan_cxt */
extern void ic_pager_init(IcPager *p, MemoryContext scan_cxt);

/* at each scan start: forget the last walk, take the new one's request */
extern void ic_pager_begin(IcPager *p, const IcPagerStart *start);

/*
 * ic_pager_next
 *		The next record, or NULL at the end.  A record stays valid until the
 *		following call that fetches a page.
 */
extern IcJson *ic_pager_next(IcPager *p);

/* between records: keep a prefetched page or the partitions downloading */
extern void ic_pager_poll(IcPager *p);

/* EXPLAIN ANALYZE: the partitions' figures, if the scan read in partitions */
extern void ic_pager_explain(IcPager *p, ExplainState *es);

/* ---- for the paging styles' files ---- */

/* the records array of a page, by the stream's list key (or an error) */
extern IcJson *ic_pager_records(IcPager *p, IcJson *root, const IcRequest *r);

extern void ic_fetch_pages(IcPager *p);
extern void ic_fetch_partition_page(IcPager *p);
extern void ic_fetch_scroll(IcPager *p);
extern void ic_fetch_by_id(IcPager *p);

extern const char *ic_pager_current_id(IcPager *p);

#endif							/* INTERCOM_PAGER_H */
