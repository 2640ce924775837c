/*-------------------------------------------------------------------------
 *
 * children.c
 *		Rows of parent records.  conversation_parts (and ticket_parts) run
 *		the scan's pager over the parents and open each one (GET
 *		/conversations/{id}), `concurrency` at a time in a sliding window, to
 *		hand out its parts, each stamped with its parent's id, created_at,
 *		updated_at and the parts' total_count.  contact_notes and
 *		contact_subscriptions do the same with an endpoint of the parent's
 *		(GET /contacts/{id}/notes), stamped with the parent's id; notes skip
 *		the contacts whose inlined count says they have none.  Link tables build their rows
 *		from each parent's inlined lists (link.c).  The open parent and its
 *		rows live in detail_cxt until the next parent is read.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "request.h"
#include "children.h"

#include "miscadmin.h"
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

/* pages.total_pages of a page-numbered list, 1 when it does not say */
static int
total_pages(IcJson *root)
{
	IcJson	   *total = ic_json_get(ic_json_get(root, "pages"), "total_pages");

	if (!ic_json_is(total, IC_JSON_NUMBER))
		return 1;
	return atoi(pnstrdup(total->u.text, total->len));
}

/*
 * endpoint_rows
 *		A parent's rows at the child's own endpoint (child_path): the "data"
 *		of the page at hand, then of the next page numbers while
 *		pages.total_pages says there are more (GET /contacts/{id}/notes
 *		pages; .../subscriptions does not).  A parent deleted between its
 *		pages (404) keeps the rows read.  In the current memory context.
 */
static IcJson *
endpoint_rows(IcChildren *c, IcJson *root, const char *pid)
{
	List	   *pages = NIL;
	IcJson	   *rows = palloc0(sizeof(IcJson));
	ListCell   *lc;
	uint32		n = 0;
	int			page = 1;

	while (root != NULL)
	{
		IcJson	   *data = ic_json_get(root, "data");
		IcRequest	r = ic_child_request(c->stream, pid, page);
		IcAnswers	answers = {pass_404, NULL};

		if (!ic_json_is(data, IC_JSON_ARRAY))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("Intercom response to GET %s has no \"data\" array", r.path),
					 errdetail("Stream %s reads the rows of each %s record from that endpoint.",
							   c->stream->name, c->stream->parent),
					 errhint("Check the server option api_version; the envelope may differ in this version.")));
		pages = lappend(pages, data);
		n += data->len;
		if (data->len == 0 || page >= total_pages(root))
			break;
		CHECK_FOR_INTERRUPTS();
		r = ic_child_request(c->stream, pid, ++page);
		root = ic_http_send(c->conn, &r, ic_page_reader(NULL), &answers, c->stats);
	}
	rows->type = IC_JSON_ARRAY;
	rows->u.items = palloc(sizeof(IcJson) * Max(n, 1));
	foreach(lc, pages)
	{
		IcJson	   *data = lfirst(lc);

		for (uint32 i = 0; i < data->len; i++)
			rows->u.items[rows->len++] = data->u.items[i];
	}
	return rows;
}

/*
 * stamp_rows
 *		Give each row its parent's fields: a copy of the row's members with
 *		the stamps appended (appended last, they win over any such keys of
 *		the row).  With child_key, the row's own id moves there and "id"
 *		becomes "<parent id>/<own id>".
 */
static void
stamp_rows(const IcStream *stream, IcJson *rows, const IcJson *stamps, const char *pid)
{
	const char *const *names = stream->stamps;

	for (uint32 i = 0; i < rows->len; i++)
	{
		IcJson	   *row = &rows->u.items[i];
		uint32		n = row->type == IC_JSON_OBJECT ? row->len : 0;
		IcJsonMember *members = palloc((n + IC_NSTAMPS + 1) * sizeof(IcJsonMember));
		char	   *own = stream->child_key ? ic_json_record_id(row) : NULL;

		if (n)
			memcpy(members, row->u.members, n * sizeof(IcJsonMember));
		if (own)
		{
			members[n].key = stream->child_key;
			members[n].keylen = strlen(stream->child_key);
			members[n++].value = *ic_json_get(row, "id");
			for (uint32 k = 0; k < n - 1; k++)
				if (members[k].keylen == 2 && memcmp(members[k].key, "id", 2) == 0)
					members[k].value = ic_json_string(psprintf("%s/%s", pid, own));
		}
		for (int k = 0; k < IC_NSTAMPS; k++)
		{
			if (names[k] == NULL)
				continue;
			members[n].key = names[k];
			members[n].keylen = strlen(names[k]);
			members[n++].value = stamps[k];
		}
		row->type = IC_JSON_OBJECT;
		row->len = n;
		row->u.members = members;
	}
}

/*
 * stamp_parts
 *		Point c->rows at a parent's rows, stamped: the parts its detail
 *		holds (stamped with its id, created_at, updated_at and the parts'
 *		total_count), or the data of the child's own endpoint (stamped with
 *		the parent's id pid alone).  False when the response has no part list.
 */
static bool
stamp_parts(IcChildren *c, IcJson *detail, const char *pid)
{
	IcJson		stamps[IC_NSTAMPS];
	IcJson	   *parts;

	c->rows = NULL;
	c->row_index = 0;
	if (c->stream->child_path)
	{
		parts = endpoint_rows(c, detail, pid);
		stamps[IC_STAMP_ID] = ic_json_string(pid);
	}
	else
	{
		IcJson	   *list = ic_json_get(detail, c->stream->child_list);
		IcJson	   *total = ic_json_get(list, "total_count");
		char	   *cid = ic_json_record_id(detail);

		parts = ic_json_get(list, c->stream->child_list);
		if (!ic_json_is(parts, IC_JSON_ARRAY))
			return false;
		stamps[IC_STAMP_ID] = cid ? ic_json_string(cid) : absent_as_null(NULL);
		stamps[IC_STAMP_CREATED_AT] = absent_as_null(ic_json_get(detail, "created_at"));
		stamps[IC_STAMP_UPDATED_AT] = absent_as_null(ic_json_get(detail, "updated_at"));
		stamps[IC_STAMP_TOTAL] = total ? *total : ic_json_string(psprintf("%u", parts->len));
		if (!total)
			stamps[IC_STAMP_TOTAL].type = IC_JSON_NUMBER;
	}
	stamp_rows(c->stream, parts, stamps, pid);
	c->rows = parts;
	return true;
}

/*
 * parent_asked
 *		Whether a parent has rows to ask for: false only when the count it
 *		inlines at child_when is 0 (a contact without notes).  An absent or
 *		unreadable count is asked: a request too many, never a row missed.
 */
static bool
parent_asked(const IcStream *stream, IcJson *parent)
{
	IcJson	   *count;

	if (stream->child_when == NULL)
		return true;
	count = ic_json_dotted(parent, stream->child_when);
	return !ic_json_is(count, IC_JSON_NUMBER) || strtod(pnstrdup(count->u.text, count->len), NULL) != 0;
}

/*
 * fill_window
 *		Keep `concurrency` parents downloading (GET /conversations/{id},
 *		/tickets/{id}, /contacts/{id}/notes ...): a sliding window, so that a
 *		slot freed by one parent is reused at once rather than when a whole
 *		batch has ended.  Each slot keeps its parent's id, for the stamps.
 */
static void
fill_window(IcChildren *c)
{
	while (c->window_count < c->window_size)
	{
		IcJson	   *parent = ic_pager_next(c->pager);
		char	   *id;
		int			slot;
		IcRequest	r;

		if (parent == NULL)
			return;
		id = ic_json_record_id(parent);
		if (id == NULL)
			continue;
		if (!parent_asked(c->stream, parent))
		{
			c->parents_skipped++;
			continue;
		}
		slot = (c->window_head + c->window_count) % c->window_size;
		r = ic_child_request(c->stream, id, 1);
		c->window_ids[slot] = MemoryContextStrdup(c->window_cxt, id);
		ic_transfer_start(c->window[slot], &r, c->stats);
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
next_parent(IcChildren *c, bool *done, char **pid)
{
	IcTransfer *req;
	IcJson	   *detail;
	MemoryContext old;
	int			slot;

	*done = false;
	fill_window(c);
	if (c->window_count == 0)
	{
		*done = true;
		return NULL;
	}
	slot = c->window_head;
	req = c->window[slot];
	c->window_head = (c->window_head + 1) % c->window_size;
	c->window_count--;
	ic_transfer_wait(c->window, c->window_size, req);
	/* the previous parent's parts have all been returned */
	MemoryContextReset(c->detail_cxt);
	old = MemoryContextSwitchTo(c->detail_cxt);
	detail = ic_transfer_finish(req, NULL);
	*pid = pstrdup(c->window_ids[slot]);
	MemoryContextSwitchTo(old);
	pfree(c->window_ids[slot]);
	c->window_ids[slot] = NULL;
	fill_window(c);			/* its slot downloads the next one now */
	return detail;
}

/*
 * ic_children_next_part
 *		The next part: the rows of the open parent, then the next parent's
 *		(from the window, or the by-id GET that already returned them: the
 *		parent's detail, or the child's endpoint for that id).
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
			(void) stamp_parts(c, detail, ic_pager_current_id(c->pager));
			MemoryContextSwitchTo(old);
			continue;
		}
		{
			bool		done;
			char	   *pid;
			IcJson	   *detail = next_parent(c, &done, &pid);

			if (done)
				return NULL;
			if (detail == NULL)
				c->parents_missing++;	/* deleted since the listing */
			else
			{
				old = MemoryContextSwitchTo(c->detail_cxt);
				(void) stamp_parts(c, detail, pid);
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
	memset(c->window_ids, 0, sizeof(c->window_ids));	/* freed with the handles */
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
