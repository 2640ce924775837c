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
	IcPager    *pager;			/* the parents' pager: the scan's */
	MemoryContext detail_cxt;	/* the open parent and its rows */
	IcAsyncRequest *window[IC_WINDOW_MAX];	/* parents downloading */
	int			window_size;	/* handles: the concurrency option */
	int			window_head;	/* the oldest request, consumed first */
	int			window_count;	/* requests under way */
	IcJson	   *rows;			/* the open parent's rows (parts stamped) */
	size_t		row_index;
	int64		parents_opened;
	int64		parents_missing;	/* deleted since they were listed */
} IcChildren;

extern bool ic_is_parts(const IcStream *stream);
extern bool ic_is_link(const IcStream *stream);
extern void ic_children_reset(IcChildren *c, const IcStream *stream, IcPager *pager);
extern void ic_children_open_window(IcChildren *c, int concurrency);
extern IcJson *ic_children_next_part(IcChildren *c);
extern IcJson *ic_children_next_link(IcChildren *c);

#endif							/* INTERCOM_CHILDREN_H */
