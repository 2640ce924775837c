/*-------------------------------------------------------------------------
 *
 * write_window.c
 *		Writes sent concurrently: a window of requests in flight, like the
 *		conversation parts window of a scan.
 *
 * Only where nothing waits for the answer and repeating is harmless: a
 * statement without RETURNING and without row triggers, and a row whose
 * one request is of kind IC_REQ_WRITE (a PUT, an attach, a detach, a
 * DELETE).  A creating request, and a conversation's parts, go one after
 * another (write_send.c): their answers decide what the row did.
 *
 * The executor hands over the next row while earlier rows' requests are
 * under way; when the window is full the oldest finished one is read (its
 * failure retried, as for any request, by the same loop and policy).  The
 * window is emptied at the end of the statement (and before EXPLAIN
 * ANALYZE prints).  A request that fails in the window fails the
 * statement, naming its row and the rows still in flight, which may or may
 * not have been written.  Pacing is the connection's: requests in flight
 * count against the rate-limit window (rate_limit.c).
 *
 *-------------------------------------------------------------------------
 */
#include "modify_internal.h"

#include "utils/memutils.h"

struct IcWriteWindow
{
	int			size;
	IcTransfer **reqs;
	char	  **descs;			/* the row each request writes */
	int			in_flight;
	MemoryContext cxt;
};

/* A window of size requests, living as long as the statement. */
IcWriteWindow *
ic_window_create(IcModifyState *st, int size)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "intercom_fdw write window",
											  ALLOCSET_DEFAULT_SIZES);
	IcWriteWindow *w = MemoryContextAllocZero(cxt, sizeof(IcWriteWindow));
	static const long delete_answers[] = {404, 0};

	w->cxt = cxt;
	w->size = size;
	w->reqs = MemoryContextAllocZero(cxt, sizeof(IcTransfer *) * size);
	w->descs = MemoryContextAllocZero(cxt, sizeof(char *) * size);
	for (int i = 0; i < size; i++)
		w->reqs[i] = ic_transfer_create(st->conn, cxt, ic_page_reader(NULL),
										st->operation == CMD_DELETE ? delete_answers : NULL);
	return w;
}

/*
 * finish
 *		Read the answer of the request in slot i (retried on failure, as any
 *		request): its row is written.  A failure names the row and the
 *		requests still in flight.
 */
static void
finish(IcModifyState *st, int i)
{
	IcWriteWindow *w = st->window;
	char	   *desc = st->row_desc;

	st->row_desc = w->descs[i];
	st->row_requests = 0;
	st->others_in_flight = w->in_flight - 1;
	PG_TRY();
	{
		(void) ic_transfer_finish(w->reqs[i], NULL);
	}
	PG_CATCH();
	{
		ic_modify_rethrow(st);
	}
	PG_END_TRY();
	st->row_desc = desc;
	st->others_in_flight = 0;
	w->in_flight--;
	st->rows_written++;
}

/*
 * ic_window_send
 *		Start a row's request in the window, first reading an answer when
 *		the window is full.  The row counts as written once answered.
 */
void
ic_window_send(IcModifyState *st, const char *method, const char *path, json_t *body)
{
	IcWriteWindow *w = st->window;
	char	   *text = body ? ic_json_body_text(body) : NULL;
	int			slot = -1;
	IcRequest	r;

	for (int i = 0; i < w->size && slot < 0; i++)
		if (!ic_transfer_busy(w->reqs[i]))
			slot = i;
	if (slot < 0)
	{
		slot = ic_transfer_wait_any(w->reqs, w->size);
		finish(st, slot);
	}
	if (w->descs[slot])
		pfree(w->descs[slot]);
	w->descs[slot] = MemoryContextStrdup(w->cxt, st->row_desc ? st->row_desc : "?");
	r = ic_write_request(method, pstrdup(path), text, false);
	ic_transfer_start(w->reqs[slot], &r, &st->stats);
	w->in_flight++;
	st->row_deferred = true;
}

/* Read every answer still due: the statement's writes are all answered. */
void
ic_window_drain(IcModifyState *st)
{
	IcWriteWindow *w = st->window;

	if (w == NULL)
		return;
	while (w->in_flight > 0)
	{
		int			i = ic_transfer_wait_any(w->reqs, w->size);

		if (i < 0)
			break;
		finish(st, i);
	}
}
