/*-------------------------------------------------------------------------
 *
 * children.c
 *		Rows of parent records.  conversation_parts (and ticket_parts) run
 *		the scan's pager over the parents and open each one (GET
 *		/conversations/{id}), `concurrency` at a time in a sliding window, to
 *		hand out its parts, each stamped with its parent's id, created_at,
 *		updated_at and the parts' total_count.  Link tables build their rows
 *		from each parent's inlined lists (link.c).  The open parent and its
 *		rows live in detail_cxt until the next parent is read.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "request.h"
#include "children.h"

#include "utils/memutils.h"

static const long pass_404[] = {404, 0};

/* Streams whose rows are the parts of each parent (GET /conversations/{id}). */
bool
ic_is_parts(const IcStream *stream)
{
	return stream->paging == IC_PAGING_PER_PARENT;
}

/* Link tables: rows built in link.c from each parent's lists. */
bool
ic_is_link(const IcStream *stream)
{
	return stream->paging == IC_PAGING_LINK;
}

/*
 * ic_children_next_link
 *		The next link row: the rows of the parent record at hand, then the
 *		next parent's.  A parent's rows live in detail_cxt until the next
 *		parent is read.
 */
IcJson *
ic_children_next_link(IcChildren *c)
{
	for (;;)
	{
		IcJson	   *parent;
		MemoryContext old;

		if (c->rows && c->row_index < c->rows->len)
			return ic_json_item(c->rows, c->row_index++);
		c->rows = NULL;
		parent = ic_pager_next(c->pager);
		if (parent == NULL)
			return NULL;
		MemoryContextReset(c->detail_cxt);
		old = MemoryContextSwitchTo(c->detail_cxt);
		c->rows = ic_link_rows(c->stream, parent, c->conn, c->stats);
		c->row_index = 0;
		MemoryContextSwitchTo(old);
	}
}

static IcJson
absent_as_null(const IcJson *value)
{
	IcJson		null = {IC_JSON_NULL, 0, {NULL}};

	return value ? *value : null;
}

/*
 * stamp_parts
 *		Point c->rows at a parent's parts, each stamped with its
 *		parent's fields: a copy of the part's members with four appended
 *		(appended last, they win over any such keys of the part).  False when
 *		the response has no part list.
 */
static bool
stamp_parts(IcChildren *c, IcJson *detail)
{
	IcJson	   *list = ic_json_get(detail, c->stream->child_list);
	IcJson	   *parts = ic_json_get(list, c->stream->child_list);
	IcJson	   *total = ic_json_get(list, "total_count");
	char	   *cid = ic_json_record_id(detail);
	IcJson		stamps[4];

	c->rows = NULL;
	c->row_index = 0;
	if (!ic_json_is(parts, IC_JSON_ARRAY))
		return false;
	stamps[0] = cid ? ic_json_string(cid) : absent_as_null(NULL);
	stamps[1] = absent_as_null(ic_json_get(detail, "created_at"));
	stamps[2] = absent_as_null(ic_json_get(detail, "updated_at"));
	stamps[3] = total ? *total : ic_json_string(psprintf("%u", parts->len));
	if (!total)
		stamps[3].type = IC_JSON_NUMBER;
	for (uint32 i = 0; i < parts->len; i++)
	{
		IcJson	   *part = &parts->u.items[i];
		uint32		n = part->type == IC_JSON_OBJECT ? part->len : 0;
		IcJsonMember *members = palloc((n + 4) * sizeof(IcJsonMember));
		const char *const *names = c->stream->stamps;

		if (n)
			memcpy(members, part->u.members, n * sizeof(IcJsonMember));
		for (int k = 0; k < 4; k++)
		{
			members[n + k].key = names[k];
			members[n + k].keylen = strlen(names[k]);
			members[n + k].value = stamps[k];
		}
		part->type = IC_JSON_OBJECT;
		part->len = n + 4;
		part->u.members = members;
	}
	c->rows = parts;
	return true;
}

/*
 * fill_window
 *		Keep `concurrency` parents downloading (GET /conversations/{id} or
 *		/tickets/{id}): a sliding window, so that a slot freed by one parent
 *		is reused at once rather than when a whole batch has ended.
 */
static void
fill_window(IcChildren *c)
{
	while (c->window_count < c->window_size)
	{
		IcJson	   *parent = ic_pager_next(c->pager);
		char	   *id;
		IcTransfer *req;
		IcRequest	r;

		if (parent == NULL)
			return;
		id = ic_json_record_id(parent);
		if (id == NULL)
			continue;
		req = c->window[(c->window_head + c->window_count) % c->window_size];
		r = ic_get_request(IC_REQ_CHILD_DETAIL, c->parent_stream->get_path, id);
		ic_transfer_start(req, &r, c->stats);
		c->window_count++;
		c->parents_opened++;
	}
}

/*
 * next_parent
 *		The next parent of the window, in listing order, with its parts;
 *		NULL (and *done) when every parent has been read, NULL alone for one
 *		deleted since the listing (404).
 */
static IcJson *
next_parent(IcChildren *c, bool *done)
{
	IcTransfer *req;
	IcJson	   *detail;
	MemoryContext old;

	*done = false;
	fill_window(c);
	if (c->window_count == 0)
	{
		*done = true;
		return NULL;
	}
	req = c->window[c->window_head];
	c->window_head = (c->window_head + 1) % c->window_size;
	c->window_count--;
	ic_transfer_wait(c->window, c->window_size, req);
	/* the previous parent's parts have all been returned */
	MemoryContextReset(c->detail_cxt);
	old = MemoryContextSwitchTo(c->detail_cxt);
	detail = ic_transfer_finish(req, NULL);
	MemoryContextSwitchTo(old);
	fill_window(c);			/* its slot downloads the next one now */
	return detail;
}

/*
 * ic_children_next_part
 *		The next part: the rows of the open parent, then the next parent's
 *		(from the window, or the by-id GET that already returned them).
 */
IcJson *
ic_children_next_part(IcChildren *c)
{
	MemoryContext old;

	for (;;)
	{
		if (c->rows && c->row_index < c->rows->len)
			return ic_json_item(c->rows, c->row_index++);
		c->rows = NULL;

		if (c->parent_by_id)
		{
			/* conversation_id = X: the GET already returned the parts */
			IcJson	   *detail = ic_pager_next(c->pager);

			if (detail == NULL)
				return NULL;
			/* the detail stays in the pager's page until the next parent */
			MemoryContextReset(c->detail_cxt);
			old = MemoryContextSwitchTo(c->detail_cxt);
			(void) stamp_parts(c, detail);
			MemoryContextSwitchTo(old);
			continue;
		}
		{
			bool		done;
			IcJson	   *detail = next_parent(c, &done);

			if (done)
				return NULL;
			if (detail == NULL)
				c->parents_missing++;	/* deleted since the listing */
			else
			{
				old = MemoryContextSwitchTo(c->detail_cxt);
				(void) stamp_parts(c, detail);
				MemoryContextSwitchTo(old);
			}
		}
	}
}

/* Once per scan: the contexts, children of the scan's. */
void
ic_children_init(IcChildren *c, MemoryContext scan_cxt)
{
	memset(c, 0, sizeof(*c));
	c->detail_cxt = AllocSetContextCreate(scan_cxt, "intercom_fdw parent",
										  ALLOCSET_DEFAULT_SIZES);
	c->window_cxt = AllocSetContextCreate(scan_cxt, "intercom_fdw parents window",
										  ALLOCSET_SMALL_SIZES);
}

/*
 * ic_children_reset
 *		Start over (a scan start or rescan): no open parent, no window (the
 *		downloads under way are dropped with their transfers).  The parents
 *		come from pager, begun with start.
 */
void
ic_children_reset(IcChildren *c, const IcStream *stream, IcPager *pager,
				  const IcPagerStart *start)
{
	MemoryContextReset(c->detail_cxt);
	MemoryContextReset(c->window_cxt);
	c->stream = stream;
	c->pager = pager;
	c->parent_stream = start->listing.stream;
	c->parent_by_id = start->listing.mode == IC_MODE_IDS;
	c->conn = start->conn;
	c->stats = start->stats;
	c->rows = NULL;
	c->row_index = 0;
	c->window_head = c->window_count = c->window_size = 0;
}

/* The window: concurrency transfers, each a parent downloading. */
void
ic_children_open_window(IcChildren *c, int concurrency)
{
	c->window_size = Min(Max(concurrency, 1), IC_WINDOW_MAX);
	for (int i = 0; i < c->window_size; i++)
		c->window[i] = ic_transfer_create(c->conn, c->window_cxt, ic_page_reader(NULL),
										  pass_404);
}
