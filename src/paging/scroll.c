/*-------------------------------------------------------------------------
 *
 * scroll.c
 *		The paging style of the company scroll: its pages, serialized across
 *		backends, and its recovery from failures, within bounds.
 *
 * Intercom's scroll cannot be resumed: the server moves it on with every
 * page it serves, also one lost on the way, so a failed page is never asked
 * for again (retry.c gives IC_REQ_SCROLL's failures back to scan.c).  The
 * scroll restarts instead, and scan.c skips the ids already returned.
 *
 * A restart opens a new scroll, which meets 400 scroll_exists while the
 * scroll that failed is still open on Intercom's side (a first page served
 * and lost opened one; a middle page's failure leaves its scroll open unless
 * it was a 500), until it expires after about a minute idle.  So restarts
 * are bounded three ways: at most SCROLL_MAX_RESTARTS of them, at most
 * SCROLL_WAIT_MS waited for scroll_exists in all, and reading again within
 * SCROLL_RECOVERY_MS of the first failure.  Past any of them the scan fails
 * with a clean error naming the last failure: a scroll that keeps failing
 * ends within about two minutes and never loops.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "pager.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/memutils.h"

/* advisory lock class of company scrolls: one per workspace at a time */
#define SCROLL_LOCK_CLASS	0x1C0F

/* a scroll's answers: 400 scroll_exists, 404 expired or nothing to scroll */
static const long pass_scroll[] = {400, 404, 0};

#define SCROLL_RETRY_MS		2000	/* between attempts to open a scroll */
#define SCROLL_WAIT_MS		65000	/* scroll_exists waited out, per scan */
#define SCROLL_MAX_RESTARTS 5

/*
 * From the first failure, the time the scroll has to be reading again: one
 * expiry of the scroll that failed (about a minute) and the requests around
 * it.
 */
#define SCROLL_RECOVERY_MS	90000

void
ic_scroll_recovery_init(IcScrollRecovery *r, MemoryContext cxt)
{
	memset(r, 0, sizeof(*r));
	r->cxt = cxt;
}

/* A failure's facts for errdetail: status, Intercom code, request id. */
static char *
failure_detail(const IcFailure *f)
{
	if (f->failure == IC_FAILURE_LOST || f->failure == IC_FAILURE_NOT_SENT)
		return psprintf("No complete HTTP response (libcurl error %d: %s), request id %s",
						f->curl_code, f->message ? f->message : "?",
						f->request_id[0] ? f->request_id : "(none)");
	return psprintf("HTTP status %ld, Intercom error code %s, request id %s",
					f->status, f->code ? f->code : "(none)",
					f->request_id[0] ? f->request_id : "(none)");
}

/* What failed, for errmsg: "HTTP 500: server_error", "no complete response". */
static char *
failure_summary(const IcFailure *f)
{
	switch (f->failure)
	{
		case IC_FAILURE_LOST:
		case IC_FAILURE_NOT_SENT:
			return psprintf("no complete response (%s)", f->message ? f->message : "?");
		case IC_FAILURE_BAD_BODY:
			return psprintf("a malformed response: %s", f->message ? f->message : "?");
		default:
			return psprintf("HTTP %ld%s%s", f->status, f->code ? ": " : "",
							f->code ? f->code : "");
	}
}

/* The clean error of a scroll that could not recover. */
static void
report(IcScrollRecovery *r, const IcFailure *f, bool reopening)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("Intercom company scroll failed with %s", failure_summary(f)),
			 reopening
			 ? errdetail("%s; the scroll that failed did not expire in time to open a new one (%d restart%s, waited %d ms).",
						 failure_detail(f), (int) r->restarts, r->restarts == 1 ? "" : "s",
						 (int) r->waited_ms)
			 : errdetail("%s; the scroll was restarted %d times.",
						 failure_detail(f), (int) r->restarts),
			 errhint("Retry the query; Intercom's scroll cannot be resumed after a failure, only restarted.")));
}

/* A failure that no restart can mend (e.g. a 400 other than scroll_exists). */
void
ic_scroll_fail(IcScrollRecovery *r, const IcFailure *f)
{
	report(r, f, false);
	pg_unreachable();
}

/*
 * ic_scroll_restart
 *		A scroll page failed, or the scroll expired: allow a restart (the
 *		caller then opens a new scroll) or, past the bounds, fail.
 */
void
ic_scroll_restart(IcScrollRecovery *r, const IcFailure *f)
{
	TimestampTz now = GetCurrentTimestamp();

	/* keep it past the page context it was made in */
	r->last_failure = *f;
	r->last_failure.code = f->code ? MemoryContextStrdup(r->cxt, f->code) : NULL;
	r->last_failure.message = f->message ? MemoryContextStrdup(r->cxt, f->message) : NULL;
	if (r->give_up_at == 0)
		r->give_up_at = TimestampTzPlusMilliseconds(now, SCROLL_RECOVERY_MS);
	if (r->restarts >= SCROLL_MAX_RESTARTS || now >= r->give_up_at)
		report(r, &r->last_failure, false);
	r->restarts++;
}

/*
 * ic_scroll_wait
 *		Opening a scroll met scroll_exists: another client's scroll, or the
 *		one our failed page left open.  Wait a little (interruptibly), within
 *		the scan's budget and, after a failure, the recovery time.
 */
void
ic_scroll_wait(IcScrollRecovery *r, const IcFailure *f, IcStats *stats)
{
	bool		recovering = r->give_up_at != 0;

	if (recovering && (GetCurrentTimestamp() >= r->give_up_at ||
					   r->waited_ms >= SCROLL_WAIT_MS))
		report(r, &r->last_failure, true);
	if (r->waited_ms >= SCROLL_WAIT_MS)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION),
				 errmsg("another client holds the company scroll of this Intercom workspace"),
				 errdetail("GET /companies/scroll answered HTTP 400 scroll_exists for %d ms; request id %s.",
						   (int) r->waited_ms,
						   f->request_id[0] ? f->request_id : "(none)"),
				 errhint("Intercom allows one company scroll per workspace; an abandoned one expires after about a minute. Retry then.")));
	ic_sleep_ms(SCROLL_RETRY_MS, IC_WAIT_SCROLL_EXPIRY, stats);
	r->waited_ms += SCROLL_RETRY_MS;
}

/* ---------- the scroll's pages ---------- */

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
 * ic_fetch_scroll
 *		The company scroll: one per workspace, so scrolls are serialized
 *		across backends with a transaction-level advisory lock; a
 *		scroll_exists is waited out; any failure of a page (transfer.c returns
 *		them all: IC_REQ_SCROLL is never resent) or an expiry restarts the
 *		scroll, and ids already returned are skipped.
 */
void
ic_fetch_scroll(IcPager *p)
{
	if (!p->started)
	{
		LOCKTAG		tag;

		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, SCROLL_LOCK_CLASS, scroll_lock_key(p), 2);
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
	}
	for (;;)
	{
		IcFailure	f;
		IcAnswers	answers = {pass_scroll, &f};
		IcRequest	r = ic_scroll_request(p->listing.stream->list_path, p->scroll_param);
		IcJson	   *root = ic_http_send(p->conn, &r, ic_page_reader(NULL), &answers, p->stats);
		IcJson	   *param;

		if (root)
		{
			p->pages++;
			p->records = ic_pager_records(p, root, &r);
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
