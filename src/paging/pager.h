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

/* One endpoint walked page by page. */
typedef struct IcPager
{
	IcListing	listing;		/* what every page asks for (request.h) */
	IcConnection *conn;
	IcStats    *stats;
	List	   *ids;			/* ids and lookup: values to GET */
	int			next_id;
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
	IcAsyncRequest *prefetch[2];	/* prefetching: two handles, in turn */
	int			prefetch_next;	/* the handle with the next page, if active */
	const char *count_key;		/* set: no column is read, count records only */
	IcScrollRecovery scroll;	/* scroll restarts and waits (scroll.c) */
	bool		partition_ok;	/* a full scan that may read in partitions */
	int			concurrency;
	IcPartitionScan *partitions;	/* set: reading in partitions (partition.c) */
	int64		pages;
} IcPager;

/*
 * ic_pager_next
 *		The next record, or NULL at the end.  A record stays valid until the
 *		following call that fetches a page.
 */
extern IcJson *ic_pager_next(IcPager *p);

#endif							/* INTERCOM_PAGER_H */
