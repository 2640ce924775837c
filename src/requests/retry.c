/*-------------------------------------------------------------------------
 *
 * retry.c
 *		What a failed request does, decided per request kind in one place.
 *
 * A failed request is sent again only when sending it again cannot change
 * what the scan returns.  Every GET but the scroll's, and POST /search, are
 * reads: Intercom keeps no state between them (a cursor or page number
 * carries the position), so the same request gives the same page, and a
 * retry after any failure is safe.  A company scroll page is different: the
 * server moves the scroll on with every page it serves, also one that was
 * then lost on the way (a reset connection, a timeout, a truncated, empty
 * or garbled body, a gateway error after the origin answered).  Sending the
 * same scroll_param again would read the NEXT page and silently skip the
 * lost one, so a scroll page's failures go back to the caller, which
 * restarts the scroll and skips the ids it already returned (scan.c).
 *
 * Two failures are safe to retry for every kind: a request that never left
 * (the connection could not be made) and a 429, which Intercom refuses
 * before serving anything.
 *
 * Statuses a caller expects as answers (a GET by id's 404, the scroll's
 * 400 scroll_exists and 404 expired) are not failures: transfer.c hands them to
 * the caller before asking this table.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include <curl/curl.h>

/*
 * Per request kind: may the same request be sent again after it may have
 * been served?  Indexed by IcRequestKind.
 */
static const struct
{
	IcRequestKind kind;
	bool		replayable;
}			request_kinds[] =
{
	/* GET /contacts?starting_after=: the cursor in the URL is the position */
	{IC_REQ_LIST_CURSOR, true},
	/* POST /contacts/search: a read; the cursor is in the body we resend */
	{IC_REQ_SEARCH, true},
	/* GET /companies?page=N: stateless, page N is page N */
	{IC_REQ_PAGE_NUMBER, true},
	/* GET /companies/scroll: every page served advances the scroll */
	{IC_REQ_SCROLL, false},
	/* GET /conversations/{id} of conversation_parts: a plain read */
	{IC_REQ_CHILD_DETAIL, true},
	/* GET /contacts/{id}, /companies?company_id=: a plain read */
	{IC_REQ_GET_BY_ID, true},
	/* GET /tags, /admins, /data_attributes...: one read, no paging */
	{IC_REQ_UNPAGED, true},

	/*
	 * PUT /contacts/{id} and the like set fields to values: sending the same
	 * again leaves the same record.  Attaching a tag or company that is
	 * attached, or detaching one that is not, changes nothing either; a
	 * DELETE repeated finds nothing to delete (write_send.c takes that 404
	 * as done).
	 */
	{IC_REQ_WRITE, true},

	/*
	 * POST /tags and /companies create (or upsert), and a conversation part
	 * is a new visible part each time: a request that may have been served
	 * is not sent again; modify.c says the row may or may not be written.
	 */
	{IC_REQ_WRITE_CREATE, false},
};

StaticAssertDecl(lengthof(request_kinds) == IC_REQ_NKINDS,
				 "one request_kinds entry per IcRequestKind");

/*
 * ic_request_replayable
 *		Whether a request of this kind may be sent again as if nothing had
 *		happened.  false also keeps libcurl from doing so by itself (transfer.c
 *		gives such a request a fresh connection).
 */
bool
ic_request_replayable(IcRequestKind kind)
{
	Assert(kind >= 0 && kind < IC_REQ_NKINDS && request_kinds[kind].kind == kind);
	return request_kinds[kind].replayable;
}

/*
 * ic_classify_failure
 *		What kind of failure an exchange that produced no usable answer was.
 *		bad_body: the exchange completed with a 2xx whose body is empty or
 *		not JSON.
 */
IcFailureClass
ic_classify_failure(int curl_code, long status, bool bad_body)
{
	switch (curl_code)
	{
		case CURLE_OK:
			break;
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
			return IC_FAILURE_NOT_SENT;
		default:
			/* reset, timeout, truncated: the server may have served it */
			return IC_FAILURE_LOST;
	}
	if (status == 429)
		return IC_FAILURE_RATE_LIMITED;
	if (status >= 200 && status < 300)
		return bad_body ? IC_FAILURE_BAD_BODY : IC_FAILURE_NONE;
	if (status == 408 || status >= 500)
		return IC_FAILURE_SERVER;
	return IC_FAILURE_CLIENT;
}

/*
 * ic_retry_action
 *		The one decision: what a failure of this class does to a request of
 *		this kind.
 */
IcRetryAction
ic_retry_action(IcRequestKind kind, IcFailureClass failure)
{
	switch (failure)
	{
		case IC_FAILURE_NONE:
			return IC_ACTION_REPORT;	/* not reached: nothing failed */
		case IC_FAILURE_CLIENT:
			/* 400, 401, 403, 404...: the same request gets the same answer */
			return IC_ACTION_REPORT;
		case IC_FAILURE_RATE_LIMITED:
			/* refused before being served: nothing happened, wait and resend */
			return IC_ACTION_WAIT_RATE_LIMIT;
		case IC_FAILURE_NOT_SENT:
			/* never reached the server, whatever the kind */
			return IC_ACTION_RETRY;
		case IC_FAILURE_LOST:
		case IC_FAILURE_SERVER:
		case IC_FAILURE_BAD_BODY:
			/* may have been served: resend only what a resend cannot skew */
			return ic_request_replayable(kind) ? IC_ACTION_RETRY : IC_ACTION_RETURN;
	}
	return IC_ACTION_REPORT;
}
