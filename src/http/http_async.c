/*-------------------------------------------------------------------------
 *
 * http_async.c
 *		Requests in the background: the next page downloading while the
 *		current one is returned, conversations in a sliding window, and the
 *		partitions of a partitioned scan.  Each has its own curl handles; a
 *		finished or failed one goes through the same retry loop and policy as
 *		a plain request (http.c).
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "http_internal.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

/* ---------- requests in the background (page prefetch, conversations) ---------- */

/*
 * A scan's own handle, so the next page can download while the current
 * one's rows are returned.  It has its own multi handle (so no other
 * transfer's completion is mistaken for it) and its own copy of the
 * headers, and shares the connection cache with the connection's handles.
 * A reset callback on the owning context removes it, also on ERROR.
 */
struct IcAsyncRequest
{
	IcConnection *conn;
	CURLM	   *multi;
	CURL	   *easy;
	struct curl_slist *headers;
	IcHttpResult res;
	MemoryContext cxt;			/* owns this struct and the body */
	char	   *method;
	char	   *path;
	char	   *url;
	char	   *body;
	bool		active;			/* a transfer is under way or finished */
	bool		done;
	IcRequestKind kind;			/* what its failures may do (retry.c) */
	const char *count_key;		/* set: count the records (static string) */
	MemoryContext body_cxt;		/* the response body: handed to the page */
	const long *pass_statuses;	/* returned as NULL, e.g. a child's 404 */
	bool		counted;		/* in conn->in_flight */
	MemoryContextCallback cleanup;
};

/* The transfer has ended (or was abandoned): no longer in flight. */
static void
async_landed(IcAsyncRequest *req)
{
	if (req->counted)
		req->conn->in_flight--;
	req->counted = false;
}

static void
async_cleanup(void *arg)
{
	IcAsyncRequest *req = (IcAsyncRequest *) arg;

	async_landed(req);
	if (req->multi && req->easy)
		curl_multi_remove_handle(req->multi, req->easy);
	if (req->easy)
		curl_easy_cleanup(req->easy);
	if (req->multi)
		curl_multi_cleanup(req->multi);
	if (req->headers)
		curl_slist_free_all(req->headers);
	req->easy = NULL;
	req->multi = NULL;
	req->headers = NULL;
}

/*
 * ic_async_create
 *		A background request slot living as long as cxt.
 */
IcAsyncRequest *
ic_async_create(IcConnection *conn, MemoryContext cxt, IcRequestKind kind,
				const char *count_key, const long *pass_statuses)
{
	IcAsyncRequest *req = MemoryContextAllocZero(cxt, sizeof(IcAsyncRequest));

	req->conn = conn;
	req->kind = kind;
	req->count_key = count_key;
	req->pass_statuses = pass_statuses;
	req->cxt = cxt;
	req->cleanup.func = async_cleanup;
	req->cleanup.arg = req;
	MemoryContextRegisterResetCallback(cxt, &req->cleanup);
	req->multi = curl_multi_init();
	req->easy = curl_easy_init();
	for (struct curl_slist *h = conn->headers; h; h = h->next)
		req->headers = curl_slist_append(req->headers, h->data);
	if (req->multi == NULL || req->easy == NULL || req->headers == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl handle")));
	return req;
}

/* Drive the transfer without blocking; true when it has finished. */
bool
ic_async_poll(IcAsyncRequest *req)
{
	int			running = 0;
	CURLMsg    *msg;
	int			left;

	if (!req->active || req->done)
		return req->done;
	if (curl_multi_perform(req->multi, &running) != CURLM_OK)
		running = 0;
	if (running == 0)
	{
		req->res.curl_code = CURLE_GOT_NOTHING;
		while ((msg = curl_multi_info_read(req->multi, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				req->res.curl_code = msg->data.result;
		curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &req->res.status);
		curl_multi_remove_handle(req->multi, req->easy);
		ic_http_decode_content(&req->res);
		req->done = true;
	}
	return req->done;
}

/*
 * ic_async_start
 *		Begin a request in the background.  The rate-limit pacing of the
 *		connection applies as for any request.
 */
void
ic_async_start(IcAsyncRequest *req, const char *method, const char *path,
			   const char *body, IcStats *stats)
{
	MemoryContext old = MemoryContextSwitchTo(req->cxt);
	struct curl_slist *conn_headers = req->conn->headers;

	Assert(!req->active);
	ic_http_pace(req->conn, stats);
	if (req->url)
		pfree(req->url);
	if (req->path)
		pfree(req->path);
	if (req->body)
		pfree(req->body);
	req->method = (char *) method;
	req->path = pstrdup(path);
	req->body = body ? pstrdup(body) : NULL;
	req->url = psprintf("%s%s", req->conn->opts.api_url, path);
	/* the body gets a context of its own, to hand to the page it becomes */
	if (req->body_cxt)
		MemoryContextDelete(req->body_cxt);
	req->body_cxt = AllocSetContextCreate(req->cxt, "intercom_fdw response",
										  ALLOCSET_DEFAULT_SIZES);
	ic_http_init_result(&req->res);
	req->res.cxt = req->body_cxt;
	/* the scan's own copy of the headers outlives a connection rebuild */
	req->conn->headers = req->headers;
	ic_http_setup_easy(req->conn, req->easy, &req->res, req->kind, method, req->url, req->body);
	req->conn->headers = conn_headers;
	MemoryContextSwitchTo(old);
	curl_multi_add_handle(req->multi, req->easy);
	req->active = true;
	req->done = false;
	req->counted = true;
	req->conn->in_flight++;
	(void) ic_async_poll(req);
}

bool
ic_async_active(IcAsyncRequest *req)
{
	return req->active;
}

/* The HTTP status of a finished request not yet read (0: none yet). */
long
ic_async_status(IcAsyncRequest *req)
{
	return req->active && req->done ? req->res.status : 0;
}

/*
 * ic_async_wait
 *		Wait until target has finished, driving every request in reqs
 *		meanwhile: each has its own multi handle, and a transfer that is not
 *		driven (a connect, a TLS handshake, sending the request) stands still.
 *		Returns early on an interrupt; ic_async_finish then services it.
 */
void
ic_async_wait(IcAsyncRequest **reqs, int n, IcAsyncRequest *target)
{
	pgstat_report_wait_start(ic_wait_event(IC_WAIT_RESPONSE));
	for (;;)
	{
		for (int i = 0; i < n; i++)
			if (reqs[i] != target)
				(void) ic_async_poll(reqs[i]);
		if (ic_async_poll(target) || !target->active || InterruptPending)
			break;
		/* target's socket wakes us; the others are polled every 2 ms */
		curl_multi_poll(target->multi, NULL, 0, n > 1 ? 2 : POLL_INTERVAL_MS, NULL);
	}
	pgstat_report_wait_end();
}

/*
 * ic_async_wait_any
 *		Wait until one of the active requests in reqs has finished and
 *		return its index (the first active one on an interrupt, which
 *		ic_async_finish then services), or -1 when none is active.  Polls
 *		every 2 ms, like ic_async_wait: each request has its own multi handle.
 */
int
ic_async_wait_any(IcAsyncRequest **reqs, int n)
{
	int			first;

	pgstat_report_wait_start(ic_wait_event(IC_WAIT_RESPONSE));
	for (;;)
	{
		first = -1;
		for (int i = 0; i < n; i++)
		{
			if (!reqs[i]->active)
				continue;
			if (ic_async_poll(reqs[i]))
			{
				pgstat_report_wait_end();
				return i;
			}
			if (first < 0)
				first = i;
		}
		if (first < 0 || InterruptPending)
			break;
		curl_multi_poll(reqs[first]->multi, NULL, 0, n > 1 ? 2 : POLL_INTERVAL_MS, NULL);
	}
	pgstat_report_wait_end();
	return first;
}

/* Abandon the request under way, if any; the handle can start another. */
void
ic_async_cancel(IcAsyncRequest *req)
{
	if (req->active && !req->done)
		curl_multi_remove_handle(req->multi, req->easy);
	async_landed(req);
	req->active = false;
	req->done = false;
}

/*
 * ic_async_finish
 *		Wait for the background request (interruptibly) and return its page,
 *		owned by the current memory context (the body's context moves there,
 *		since the page points into it).  Anything but a clean 200 goes to
 *		request_loop as its first attempt, so that the request's kind decides
 *		what happens, as for a plain request.
 */
IcJson *
ic_async_finish(IcAsyncRequest *req, IcStats *stats)
{
	IcJson	   *root = NULL;
	long		status;

	Assert(req->active);
	pgstat_report_wait_start(ic_wait_event(IC_WAIT_RESPONSE));
	while (!ic_async_poll(req))
	{
		if (InterruptPending)
		{
			pgstat_report_wait_end();
			curl_multi_remove_handle(req->multi, req->easy);
			req->active = false;
			async_landed(req);
			CHECK_FOR_INTERRUPTS();
			/* did not raise: an abandoned attempt, for the policy to judge */
			req->res.curl_code = CURLE_ABORTED_BY_CALLBACK;
			snprintf(req->res.curl_error, sizeof(req->res.curl_error), "transfer interrupted");
			ic_http_count_request(stats, &req->res);
			{
				IcHttpResult prior = req->res;

				req->res.body = NULL;
				return ic_http_request_loop(req->conn, req->kind, req->method, req->path,
									req->body, req->pass_statuses, &status, NULL,
									stats, &prior, req->count_key);
			}
		}
		curl_multi_poll(req->multi, NULL, 0, POLL_INTERVAL_MS, NULL);
	}
	pgstat_report_wait_end();
	req->active = false;
	ic_http_count_request(stats, &req->res);
	ic_http_remember_rate_limit(req->conn, &req->res);
	async_landed(req);			/* after its headers are remembered */
	if (req->res.curl_code == CURLE_OK && req->res.status == 200)
		root = ic_http_parse_body(&req->res, req->count_key, stats);
	if (root)
	{
		MemoryContextSetParent(req->body_cxt, CurrentMemoryContext);
		req->body_cxt = NULL;
		req->res.body = NULL;
		return root;
	}
	/* this was attempt 1: go on with the same retry budget */
	{
		IcHttpResult prior = req->res;

		req->res.body = NULL;
		return ic_http_request_loop(req->conn, req->kind, req->method, req->path,
							req->body, req->pass_statuses, &status, NULL,
							stats, &prior, req->count_key);
	}
}
