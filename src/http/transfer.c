/*-------------------------------------------------------------------------
 *
 * transfer.c
 *		The one HTTP engine.  Every request is a transfer: started, driven
 *		in the background while the caller does other work (the next page
 *		of a listing, a partition, a window of conversations or writes),
 *		and finished when the caller wants its answer.  A synchronous
 *		request (ic_http_send) is a transfer that is waited on at once.
 *
 *		A transfer carries its own retry state, so a failed attempt is not
 *		retried by a loop that blocks: it is scheduled (after a backoff, or
 *		the rate-limit window's reset) and sent again by whoever drives the
 *		transfers next, while the others go on.  What a failure does is
 *		decided in one place, judge() below, by the request's kind
 *		(retry.c): retry in place, wait for the rate limit, hand the
 *		failure back to the caller (a scroll page), or report it.
 *
 *		The HTTP layer knows no record shapes: a 2xx body is handed to the
 *		caller's reader (the page decoder), and a body the reader refuses
 *		(empty, not JSON) is a transient failure like a 5xx.  It is read
 *		when the caller finishes the transfer, so its retry is waited for
 *		there: a connection knows its live transfers, and finishing one
 *		drives them all, so that retry does not stall the others either.
 *
 * Every wait is interruptible: transfers poll at most every 100 ms, pauses
 * wait on the latch, and both run CHECK_FOR_INTERRUPTS, so cancel,
 * statement_timeout and terminate act within a fraction of a second.  An
 * interrupt that does not raise (a configuration reload) leaves the
 * transfers running: nothing is abandoned and sent again.
 *
 * libcurl stays on malloc.  What we own is palloc'd: the response body
 * grows in a context of its own without ever raising an error inside a
 * curl callback, the reader's result is allocated there too, and the
 * context moves to the caller with the answer.  A memory-context callback
 * frees the transfer's curl handles when its context goes, also on ERROR.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "http_internal.h"
#include "request.h"

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#define MAX_BACKOFF_MS		30000
#define MAX_RATE_LIMIT_WAITS 60		/* 429s waited out for one request */
#define MULTI_POLL_MS		2	/* several transfers: each has its own multi */

IcStats		ic_backend_stats;	/* totals for this backend */

typedef enum TransferState
{
	TRANSFER_IDLE,				/* not started, or its answer was read */
	TRANSFER_SENDING,			/* on the wire */
	TRANSFER_WAITING,			/* to be sent at send_at (backoff, pacing) */
	TRANSFER_DONE				/* its outcome is ready to be read */
} TransferState;

typedef enum TransferOutcome
{
	OUTCOME_ANSWER,				/* a 2xx with a body, for the reader */
	OUTCOME_PASSED,				/* a status the caller takes as an answer */
	OUTCOME_HANDED_BACK,		/* a failure retry.c returns to the caller */
	OUTCOME_FAILED,				/* a failure to report */
	OUTCOME_RATE_LIMITED		/* too many 429s for one request */
} TransferOutcome;

struct IcTransfer
{
	IcConnection *conn;
	dlist_node	node;			/* in conn->transfers while it lives */
	MemoryContext cxt;			/* owns this struct */
	CURLM	   *multi;			/* its own: no other completion is taken for it */
	CURL	   *easy;
	struct curl_slist *headers; /* copy of the connection's, with version */
	const char *headers_version;	/* the version they say (NULL: server's) */
	IcReader	reader;
	const long *pass_statuses;	/* answers, e.g. a child's 404 (0-terminated) */

	/* the request under way */
	IcRequestKind kind;
	const char *method;
	char	   *path;
	char	   *url;
	char	   *body;
	IcStats    *stats;

	TransferState state;
	int			attempt;		/* failed attempts retried so far */
	int			rate_waits;		/* 429s waited out */
	int64		send_at;		/* TRANSFER_WAITING: when (ms) */
	IcWaitEvent waiting_for;	/* TRANSFER_WAITING: why */
	bool		paced;			/* send_at is the slot pacing gave it */
	bool		on_wire;		/* counted in conn->in_flight */
	IcHttpResult res;
	MemoryContext body_cxt;		/* the body and the reader's result */
	TransferOutcome outcome;
	IcFailureClass failure;		/* OUTCOME_HANDED_BACK: what failed */
	MemoryContextCallback cleanup;
};

/* ---------- curl callbacks: they never raise an error ---------- */

static size_t
write_callback(char *data, size_t size, size_t nmemb, void *userdata)
{
	IcHttpResult *res = (IcHttpResult *) userdata;
	size_t		n = size * nmemb;

	if (res->len + n + 1 > res->cap)
	{
		size_t		newcap = Max(res->cap * 2, res->len + n + 1);
		char	   *newbuf;

		if (newcap > MAX_BODY_BYTES)
		{
			res->body_overflow = true;
			return 0;			/* CURLE_WRITE_ERROR */
		}
		newbuf = MemoryContextAllocExtended(res->cxt, newcap,
											MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
		if (newbuf == NULL)
		{
			res->body_overflow = true;
			return 0;
		}
		if (res->body)
		{
			memcpy(newbuf, res->body, res->len);
			pfree(res->body);
		}
		res->body = newbuf;
		res->cap = newcap;
	}
	memcpy(res->body + res->len, data, n);
	res->len += n;
	res->body[res->len] = '\0';
	return n;
}

/* Copy a header's value (trimmed) into dst if the line is that header. */
static bool
header_value(const char *line, size_t len, const char *name, char *dst, size_t dstlen)
{
	size_t		nlen = strlen(name);
	size_t		i;

	if (len <= nlen || pg_strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
		return false;
	line += nlen + 1;
	len -= nlen + 1;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	i = Min(len, dstlen - 1);
	memcpy(dst, line, i);
	dst[i] = '\0';
	return true;
}

static size_t
header_callback(char *line, size_t size, size_t nitems, void *userdata)
{
	IcHttpResult *res = (IcHttpResult *) userdata;
	size_t		len = size * nitems;
	char		value[96];

	if (header_value(line, len, "x-request-id", res->request_id, sizeof(res->request_id)))
		return len;
	if (header_value(line, len, "content-type", res->content_type, sizeof(res->content_type)))
		return len;
	if (header_value(line, len, "content-encoding", res->content_encoding,
					 sizeof(res->content_encoding)))
		return len;
	if (header_value(line, len, "x-ratelimit-limit", value, sizeof(value)))
		res->rl_limit = atoi(value);
	else if (header_value(line, len, "x-ratelimit-remaining", value, sizeof(value)))
		res->rl_remaining = atoi(value);
	else if (header_value(line, len, "x-ratelimit-reset", value, sizeof(value)))
		res->rl_reset = strtoll(value, NULL, 10);
	return len;
}

/* ---------- a transfer's life ---------- */

static void
off_wire(IcTransfer *t)
{
	if (t->on_wire)
		t->conn->in_flight--;
	t->on_wire = false;
}

static void
transfer_cleanup(void *arg)
{
	IcTransfer *t = (IcTransfer *) arg;

	off_wire(t);
	dlist_delete(&t->node);
	if (t->multi && t->easy)
		curl_multi_remove_handle(t->multi, t->easy);
	if (t->easy)
		curl_easy_cleanup(t->easy);
	if (t->multi)
		curl_multi_cleanup(t->multi);
	if (t->headers)
		curl_slist_free_all(t->headers);
	t->easy = NULL;
	t->multi = NULL;
	t->headers = NULL;
}

/*
 * ic_transfer_create
 *		A transfer living as long as cxt, whose 2xx bodies reader makes
 *		into answers, and for which the statuses in pass_statuses are
 *		answers too (its finish returns NULL for them).
 */
IcTransfer *
ic_transfer_create(IcConnection *conn, MemoryContext cxt, IcReader reader,
				   const long *pass_statuses)
{
	IcTransfer *t = MemoryContextAllocZero(cxt, sizeof(IcTransfer));

	t->conn = conn;
	t->cxt = cxt;
	t->reader = reader;
	t->pass_statuses = pass_statuses;
	t->cleanup.func = transfer_cleanup;
	t->cleanup.arg = t;
	dlist_push_tail(&conn->transfers, &t->node);
	MemoryContextRegisterResetCallback(cxt, &t->cleanup);
	t->multi = curl_multi_init();
	t->easy = curl_easy_init();
	if (t->multi == NULL || t->easy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl handle")));
	return t;
}

/* The headers for this request's version, rebuilt only when it changes. */
static void
use_headers(IcTransfer *t, const char *version)
{
	if (t->headers &&
		(version == t->headers_version ||
		 (version && t->headers_version && strcmp(version, t->headers_version) == 0)))
		return;
	if (t->headers)
		curl_slist_free_all(t->headers);
	t->headers = NULL;
	t->headers = ic_http_headers(t->conn, version);
	t->headers_version = version ? MemoryContextStrdup(t->cxt, version) : NULL;
}

static void
setup_easy(IcTransfer *t)
{
	CURL	   *easy = t->easy;
	IcConnection *conn = t->conn;

	curl_easy_reset(easy);
	curl_easy_setopt(easy, CURLOPT_URL, t->url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
	if (conn->share)
		curl_easy_setopt(easy, CURLOPT_SHARE, conn->share);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, INTERCOM_USER_AGENT);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) conn->opts.timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) conn->opts.connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->res.curl_error);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_callback);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t->res);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_callback);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t->res);

	/*
	 * libcurl sends a request again by itself when a reused connection dies
	 * before any byte of the answer (taking it for a server that closed an
	 * idle connection).  The server may have served it all the same: a
	 * request that must not be resent gets a connection of its own.
	 */
	if (!ic_request_replayable(t->kind))
		curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
	if (strcmp(t->method, "POST") == 0)
	{
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t->body ? t->body : "");
	}
	else if (strcmp(t->method, "GET") != 0)
	{
		/* PUT and DELETE (writes); a DELETE may carry a body too */
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, t->method);
		if (t->body)
			curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t->body);
	}
}

/* Put the request on the wire now. */
static void
send_now(IcTransfer *t)
{
	/* each attempt's body in a fresh context, handed to the caller with it */
	if (t->body_cxt)
		MemoryContextDelete(t->body_cxt);
	t->body_cxt = AllocSetContextCreate(t->cxt, "intercom_fdw response",
										ALLOCSET_DEFAULT_SIZES);
	memset(&t->res, 0, sizeof(t->res));
	t->res.cxt = t->body_cxt;
	t->res.rl_limit = t->res.rl_remaining = -1;
	setup_easy(t);
	curl_multi_add_handle(t->multi, t->easy);
	t->state = TRANSFER_SENDING;
	t->on_wire = true;
	t->conn->in_flight++;
}

/* Wait delay ms before sending (or sending again), for the reason why. */
static void
schedule(IcTransfer *t, int64 delay, IcWaitEvent why)
{
	t->state = TRANSFER_WAITING;
	t->send_at = ic_now_ms() + delay;
	t->waiting_for = why;
	t->paced = false;
	t->stats->wait_ms += delay;
	ic_backend_stats.wait_ms += delay;
}

/* Send when the rate limit allows it: now, or later. */
static void
send_when_allowed(IcTransfer *t)
{
	int64		delay = ic_rate_delay_ms(t->conn, t->stats);

	if (delay > 0)
	{
		schedule(t, delay, IC_WAIT_RATE_LIMIT);
		t->paced = true;
	}
	else
		send_now(t);
}

/*
 * ic_transfer_start
 *		Begin the request r in the background (its kind says what its
 *		failures may do).  Its answer, and the requests it took, count in
 *		stats.
 */
void
ic_transfer_start(IcTransfer *t, const struct IcRequest *r, IcStats *stats)
{
	MemoryContext old = MemoryContextSwitchTo(t->cxt);

	Assert(t->state == TRANSFER_IDLE);
	if (t->path)
		pfree(t->path);
	if (t->url)
		pfree(t->url);
	if (t->body)
		pfree(t->body);
	t->kind = r->kind;
	t->method = r->method;		/* static strings */
	t->path = pstrdup(r->path);
	t->url = psprintf("%s%s", t->conn->opts.api_url, r->path);
	t->body = r->body ? pstrdup(r->body) : NULL;
	use_headers(t, r->api_version);
	MemoryContextSwitchTo(old);
	t->stats = stats;
	t->attempt = 0;
	t->rate_waits = 0;
	send_when_allowed(t);
	if (t->state == TRANSFER_SENDING)
		(void) ic_transfer_poll(t);
}

static bool
passed_status(const long *pass_statuses, long status)
{
	for (const long *s = pass_statuses; s && *s; s++)
		if (*s == status)
			return true;
	return false;
}

static int64
backoff_ms(IcTransfer *t, int attempt)
{
	int64		ms = (int64) t->conn->opts.retry_base_ms << Min(attempt, 16);

	ms = Min(ms, MAX_BACKOFF_MS);
	return ms / 2 + (int64) (pg_prng_double(&pg_global_prng_state) * (ms / 2 + 1));
}

static void
done(IcTransfer *t, TransferOutcome outcome)
{
	t->state = TRANSFER_DONE;
	t->outcome = outcome;
}

/*
 * judge_failure
 *		The one retry loop's decision after a failed attempt: what
 *		retry.c's table says the request's kind does with this failure.
 */
static void
judge_failure(IcTransfer *t)
{
	IcHttpResult *res = &t->res;
	IcFailureClass what;

	/* a body over the limit would be as large again: no retry */
	if (res->body_overflow)
	{
		done(t, OUTCOME_FAILED);
		return;
	}

	what = ic_classify_failure(res->curl_code, res->status, true);
	switch (ic_retry_action(t->kind, what))
	{
		case IC_ACTION_WAIT_RATE_LIMIT:
			if (++t->rate_waits > MAX_RATE_LIMIT_WAITS)
			{
				done(t, OUTCOME_RATE_LIMITED);
				return;
			}
			t->stats->rate_limit_waits++;
			ic_backend_stats.rate_limit_waits++;
			/* the other transfers learn of it too: ic_rate_remember */
			schedule(t, res->rl_reset > 0 ? ic_rate_reset_wait_ms(res->rl_reset)
					 : backoff_ms(t, t->rate_waits), IC_WAIT_RATE_LIMIT);
			return;
		case IC_ACTION_RETURN:
			t->failure = what;
			done(t, OUTCOME_HANDED_BACK);
			return;
		case IC_ACTION_REPORT:
			done(t, OUTCOME_FAILED);
			return;
		case IC_ACTION_RETRY:
			if (t->attempt >= t->conn->opts.max_retries)
			{
				done(t, OUTCOME_FAILED);
				return;
			}
			t->stats->retries++;
			ic_backend_stats.retries++;
			schedule(t, backoff_ms(t, t->attempt), IC_WAIT_RETRY_BACKOFF);
			t->attempt++;
			return;
	}
}

/*
 * judge
 *		After each attempt: a status the caller takes as an answer, a 2xx
 *		with a body (read when the caller finishes it, as the decoder's work
 *		belongs to the page being returned, not to whoever drives the
 *		transfers), or a failure.
 */
static void
judge(IcTransfer *t)
{
	IcHttpResult *res = &t->res;

	if (res->curl_code == CURLE_OK && passed_status(t->pass_statuses, res->status))
	{
		done(t, OUTCOME_PASSED);
		return;
	}
	if (res->curl_code == CURLE_OK && res->status >= 200 && res->status < 300 &&
		res->body != NULL && res->len > 0 && !res->body_overflow)
	{
		done(t, OUTCOME_ANSWER);
		return;
	}
	judge_failure(t);
}

/*
 * read_answer
 *		The reader's answer of a 2xx body, in the body's context; NULL when
 *		the reader refuses it (not JSON), which is a failure like any other.
 */
static void *
read_answer(IcTransfer *t)
{
	MemoryContext old = MemoryContextSwitchTo(t->body_cxt);
	void	   *answer = t->reader.read(t->res.body, t->res.len, t->reader.arg, t->stats);

	MemoryContextSwitchTo(old);
	return answer;
}

/* The attempt on the wire has ended: count it, learn from it, judge it. */
static void
landed(IcTransfer *t)
{
	CURLMsg    *msg;
	int			left;

	t->res.curl_code = CURLE_GOT_NOTHING;
	while ((msg = curl_multi_info_read(t->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			t->res.curl_code = msg->data.result;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->res.status);
	curl_multi_remove_handle(t->multi, t->easy);
	off_wire(t);
	ic_http_decode_content(&t->res);
	t->stats->requests++;
	t->stats->bytes += t->res.len;
	ic_backend_stats.requests++;
	ic_backend_stats.bytes += t->res.len;
	ic_rate_remember(t->conn, &t->res);
	judge(t);
}

/*
 * ic_transfer_poll
 *		Drive the transfer without blocking: move its bytes, judge a
 *		finished attempt, send a scheduled one that is due.  True when its
 *		outcome is ready.
 */
bool
ic_transfer_poll(IcTransfer *t)
{
	if (t->state == TRANSFER_SENDING)
	{
		int			running = 0;

		if (curl_multi_perform(t->multi, &running) != CURLM_OK)
			running = 0;
		if (running == 0)
			landed(t);
	}
	if (t->state == TRANSFER_WAITING && ic_now_ms() >= t->send_at)
	{
		/*
		 * A paced transfer's time is its own slot: asking for a slot again
		 * would queue it behind those reserved since.  Only a window spent
		 * meanwhile holds it back, until the reset.
		 */
		int64		spent = t->paced ? ic_rate_spent_wait_ms(t->conn, t->stats) : 0;

		if (spent > 0)
		{
			schedule(t, spent, IC_WAIT_RATE_LIMIT);
			t->paced = true;
		}
		else if (t->paced)
			send_now(t);
		else
			send_when_allowed(t);
		if (t->state == TRANSFER_SENDING)
			return ic_transfer_poll(t);
	}
	return t->state == TRANSFER_DONE;
}

/* Started, and its answer not yet read. */
bool
ic_transfer_busy(IcTransfer *t)
{
	return t->state != TRANSFER_IDLE;
}

/* Its outcome is ready to be read (as of the last time it was driven). */
bool
ic_transfer_landed(IcTransfer *t)
{
	return t->state == TRANSFER_DONE;
}

/* How many 429s the request under way (or the last one) has waited out. */
int
ic_transfer_rate_limited(IcTransfer *t)
{
	return t->rate_waits;
}

/*
 * wait_step
 *		Block until something may have changed for the transfers in ts: a
 *		socket of one on the wire, or the time one of them waits for.  Then
 *		service interrupts: cancel, statement_timeout and terminate raise
 *		here; anything else leaves every transfer as it was.
 */
static void
wait_step(IcTransfer **ts, int n, IcTransfer *focus)
{
	IcTransfer *sending = NULL;
	IcTransfer *waiting = NULL;
	int64		timeout = POLL_INTERVAL_MS;
	int64		now = ic_now_ms();

	for (int i = 0; i < n; i++)
	{
		IcTransfer *t = ts[i];

		if (t->state == TRANSFER_SENDING && (sending == NULL || t == focus))
			sending = t;
		if (t->state == TRANSFER_WAITING)
		{
			timeout = Min(timeout, Max(t->send_at - now, 0));
			if (waiting == NULL || t == focus)
				waiting = t;
		}
	}
	if (sending)
	{
		int			others = 0;

		for (int i = 0; i < n; i++)
			others += ts[i] != sending && ts[i]->state == TRANSFER_SENDING;
		/* its socket wakes us; the others (own multi handles) are polled */
		if (others > 0)
			timeout = Min(timeout, MULTI_POLL_MS);
		pgstat_report_wait_start(ic_wait_event(IC_WAIT_RESPONSE));
		curl_multi_poll(sending->multi, NULL, 0, (int) timeout, NULL);
		pgstat_report_wait_end();
	}
	else if (waiting && timeout > 0)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (long) timeout, ic_wait_event(waiting->waiting_for));
		ResetLatch(MyLatch);
	}
	CHECK_FOR_INTERRUPTS();
}

/*
 * ic_transfer_wait
 *		Wait until target's outcome is ready, driving every transfer in ts
 *		meanwhile (a transfer that is not driven, in a connect, a TLS
 *		handshake or sending its request, stands still).
 */
void
ic_transfer_wait(IcTransfer **ts, int n, IcTransfer *target)
{
	for (;;)
	{
		for (int i = 0; i < n; i++)
			if (ts[i] != target)
				(void) ic_transfer_poll(ts[i]);
		if (target->state == TRANSFER_IDLE || ic_transfer_poll(target))
			return;
		wait_step(ts, n, target);
	}
}

/*
 * ic_transfer_wait_any
 *		Wait until one of the busy transfers in ts has its outcome ready and
 *		return its index, or -1 when none is busy.
 */
int
ic_transfer_wait_any(IcTransfer **ts, int n)
{
	for (;;)
	{
		bool		busy = false;

		for (int i = 0; i < n; i++)
		{
			if (ts[i]->state == TRANSFER_IDLE)
				continue;
			busy = true;
			if (ic_transfer_poll(ts[i]))
				return i;
		}
		if (!busy)
			return -1;
		wait_step(ts, n, NULL);
	}
}

/* Abandon the request, if any; the transfer can start another. */
void
ic_transfer_cancel(IcTransfer *t)
{
	if (t->state == TRANSFER_SENDING)
		curl_multi_remove_handle(t->multi, t->easy);
	off_wire(t);
	t->state = TRANSFER_IDLE;
}

/*
 * wait_driving_others
 *		Wait until t's outcome is ready, driving every live transfer of its
 *		connection meanwhile, whoever owns it: the slots of a partitioned
 *		scan, a window of parents or writes, the pager's prefetch.  Finishing
 *		one of them, and a retry of its body that was not JSON, must not
 *		stall the others.  They are only driven (sent when due, their answers
 *		judged); each is read by its owner, in its owner's order.
 */
static void
wait_driving_others(IcTransfer *t)
{
	IcTransfer **ts;
	int			n = 0;
	dlist_iter	it;

	if (ic_transfer_poll(t))
		return;
	dlist_foreach(it, &t->conn->transfers)
		n++;
	ts = palloc(sizeof(IcTransfer *) * n);
	n = 0;
	dlist_foreach(it, &t->conn->transfers)
		ts[n++] = dlist_container(IcTransfer, node, it.cur);
	ic_transfer_wait(ts, n, t);
	pfree(ts);
}

/*
 * ic_transfer_finish
 *		Wait for the outcome (interruptibly) and read it: the reader's
 *		answer, owned by the current memory context (the body it points
 *		into moves there with it).  NULL for a status the caller takes as
 *		an answer, and for a failure retry.c hands back, both described in
 *		*failure; with no failure to fill, a failure handed back is
 *		reported like any other.
 */
void *
ic_transfer_finish(IcTransfer *t, IcFailure *failure)
{
	void	   *answer;

	Assert(t->state != TRANSFER_IDLE);
	for (;;)
	{
		wait_driving_others(t);
		if (t->outcome != OUTCOME_ANSWER)
			break;
		answer = read_answer(t);
		if (answer)
		{
			t->state = TRANSFER_IDLE;
			MemoryContextSetParent(t->body_cxt, CurrentMemoryContext);
			t->body_cxt = NULL;
			return answer;
		}
		judge_failure(t);		/* a body that is not JSON: scheduled again */
		if (t->state == TRANSFER_DONE)
			break;
	}
	t->state = TRANSFER_IDLE;
	switch (t->outcome)
	{
		case OUTCOME_ANSWER:
			break;				/* not reached: read above */
		case OUTCOME_PASSED:
			if (failure)
				ic_http_fill_failure(failure, &t->res, IC_FAILURE_CLIENT, t->attempt + 1);
			return NULL;
		case OUTCOME_HANDED_BACK:
			if (failure)
			{
				ic_http_fill_failure(failure, &t->res, t->failure, t->attempt + 1);
				return NULL;
			}
			break;
		case OUTCOME_RATE_LIMITED:
			ic_http_report_http_error(&t->res, t->method, t->path,
									  t->attempt + t->rate_waits);
		case OUTCOME_FAILED:
			break;
	}
	ic_http_report_failure(&t->res, t->method, t->path, t->attempt + 1);
}

/*
 * ic_http_send
 *		Send r and wait for its answer: a transfer of its own, waited on.
 *		answers (may be NULL) says which statuses are answers and where a
 *		failure handed back goes (see ic_transfer_finish).
 */
void *
ic_http_send(IcConnection *conn, const struct IcRequest *r, IcReader reader,
			 const IcAnswers *answers, IcStats *stats)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "intercom_fdw request",
											  ALLOCSET_SMALL_SIZES);
	void	   *answer = NULL;

	PG_TRY();
	{
		IcTransfer *t = ic_transfer_create(conn, cxt, reader,
										   answers ? answers->statuses : NULL);

		ic_transfer_start(t, r, stats);
		answer = ic_transfer_finish(t, answers ? answers->failure : NULL);
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);	/* frees the curl handles now */
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextDelete(cxt);
	return answer;
}
