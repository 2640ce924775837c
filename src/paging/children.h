/*-------------------------------------------------------------------------
 *
 * children.h
 *		Rows of parent records (children.c): conversation_parts and
 *		ticket_parts open each parent, link tables read its inlined lists.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_CHILDREN_H
#define INTERCOM_CHILDREN_H

#include "intercom_fdw.h"
#include "pager.h"

#define IC_WINDOW_MAX		32	/* conversations downloading at most at once */

typedef struct IcChildren
{
	const IcStream *stream;
	IcPager    *pager;			/* the parents: only ic_pager_next is used */
	const IcStream *parent_stream;	/* what the pager lists */
	bool		parent_by_id;	/* the pager GETs the parents themselves */
	IcConnection *conn;			/* the scan's, for the parents' details */
	IcStats    *stats;			/* the scan's */
	MemoryContext detail_cxt;	/* the open parent and its rows */
	MemoryContext window_cxt;	/* the window's transfers: one scan start */
	IcTransfer *window[IC_WINDOW_MAX];	/* parents downloading */
	int			window_size;	/* handles: the concurrency option */
	int			window_head;	/* the oldest request, consumed first */
	int			window_count;	/* requests under way */
	IcJson	   *rows;			/* the open parent's rows (parts stamped) */
	size_t		row_index;
	char	   *window_ids[IC_WINDOW_MAX];	/* each slot's parent id */
	int64		parents_opened;
	int64		parents_skipped;	/* nothing to ask: their count is 0 */
	int64		parents_missing;	/* deleted since they were listed */
} IcChildren;

extern bool ic_is_parts(const IcStream *stream);
extern bool ic_is_link(const IcStream *stream);
extern void ic_children_init(IcChildren *c, MemoryContext scan_cxt);
extern void ic_children_reset(IcChildren *c, const IcStream *stream, IcPager *pager,
							  const IcPagerStart *start);
extern void ic_children_open_window(IcChildren *c, int concurrency);
extern IcJson *ic_children_next_part(IcChildren *c);
extern IcJson *ic_children_next_link(IcChildren *c);

#endif							/* INTERCOM_CHILDREN_H */
