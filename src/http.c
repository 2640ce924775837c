/*-------------------------------------------------------------------------
 *
 * http.c
 *		Requests to Intercom over libcurl: connection cache, retries,
 *		rate-limit pacing, interruptible waits and error reports.
 *
 * libcurl stays on malloc (palloc'd allocators crash when handle lifetimes
 * outlive memory contexts).  What we own is palloc'd: the response body
 * grows in the caller's memory context without ever raising an error inside
 * a curl callback, and the decoded page (which points into the body) is
 * allocated there too, so resetting the context, also on ERROR, frees both.
 *
 * Every wait is interruptible: transfers run on the multi interface and poll
 * at most every 100 ms, sleeps wait on the latch, and both check
 * InterruptPending, so cancel, statement_timeout and terminate act within a
 * fraction of a second.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include <curl/curl.h>
#include <time.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/wait_event.h"

#define MAX_BODY_BYTES		(256 * 1024 * 1024)
#define MAX_BACKOFF_MS		30000
#define MAX_RATE_LIMIT_WAITS 60		/* 429s waited out for one request */
#define MAX_RATE_LIMIT_WAIT_MS 15000	/* one window is 10 s */
#define POLL_INTERVAL_MS	100

struct IcConnection
{
	Oid			umid;			/* cache key */
	bool		valid;			/* false after ALTER SERVER/USER MAPPING */
	bool		in_transfer;	/* set while curl runs; left set by an ERROR */
	CURL	   *easy;
	CURLM	   *multi;
	struct curl_slist *headers; /* auth, version, accept; malloc'd by curl */
	CURLSH	   *share;			/* connection cache shared by every handle */
	IcOptions	opts;			/* copied scalars; strings in TopMemoryContext */
	/* rate-limit state from the last response's X-RateLimit-* headers */
	int			rl_limit;
	int			rl_remaining;
	int64		rl_reset;		/* epoch seconds; 0 = unknown */
	int			in_flight;		/* background requests started, not yet read */
};

/* What one HTTP exchange produced. */
typedef struct IcHttpResult
{
	CURLcode	curl_code;
	long		status;
	char	   *body;			/* palloc'd, NUL-terminated */
	size_t		len;
	size_t		cap;
	bool		body_overflow;	/* allocation failed or cap reached */
	MemoryContext cxt;
	char		request_id[96];
	char		content_type[96];
	int			rl_limit;
	int			rl_remaining;
	int64		rl_reset;
	char		curl_error[CURL_ERROR_SIZE];
} IcHttpResult;

IcStats		ic_backend_stats;

static HTAB *connection_cache = NULL;

/* ---------- small helpers ---------- */

static int64
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * ic_sleep_ms
 *		Wait on the latch, so that cancel, statement_timeout, terminate and
 *		postmaster death end the wait at once.
 */
void
ic_sleep_ms(int64 ms, IcStats *stats)
{
	int64		deadline = now_ms() + ms;

	stats->wait_ms += ms;
	ic_backend_stats.wait_ms += ms;
	for (;;)
	{
		int64		left = deadline - now_ms();

		CHECK_FOR_INTERRUPTS();
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (long) left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

static int
jitter_ms(int max)
{
	return (int) (pg_prng_double(&pg_global_prng_state) * max);
}

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
	if (header_value(line, len, "x-ratelimit-limit", value, sizeof(value)))
		res->rl_limit = atoi(value);
	else if (header_value(line, len, "x-ratelimit-remaining", value, sizeof(value)))
		res->rl_remaining = atoi(value);
	else if (header_value(line, len, "x-ratelimit-reset", value, sizeof(value)))
		res->rl_reset = strtoll(value, NULL, 10);
	return len;
}

/* ---------- connection cache ---------- */

static void
connection_destroy(IcConnection *conn)
{
	if (conn->multi && conn->easy)
		curl_multi_remove_handle(conn->multi, conn->easy);
	if (conn->easy)
		curl_easy_cleanup(conn->easy);
	if (conn->multi)
		curl_multi_cleanup(conn->multi);
	if (conn->headers)
		curl_slist_free_all(conn->headers);
	conn->easy = NULL;
	conn->multi = NULL;
	conn->headers = NULL;
}

/* ALTER SERVER / USER MAPPING: rebuild every handle on next use. */
static void
invalidate_connections(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	IcConnection *conn;

	if (connection_cache == NULL)
		return;
	hash_seq_init(&scan, connection_cache);
	while ((conn = hash_seq_search(&scan)) != NULL)
		conn->valid = false;
}

void
ic_http_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("could not initialize libcurl")));
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, invalidate_connections, (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, invalidate_connections, (Datum) 0);
}

static struct curl_slist *
build_headers(const IcOptions *opts)
{
	struct curl_slist *headers = NULL;
	char	   *auth = psprintf("Authorization: Bearer %s", opts->token);
	char	   *version = psprintf("Intercom-Version: %s", opts->api_version);

	headers = curl_slist_append(headers, "Accept: application/json");
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, version);
	headers = curl_slist_append(headers, auth);
	/* scrub our copy of the secret before handing the memory back */
	memset(auth, 0, strlen(auth));
	pfree(auth);
	pfree(version);
	if (headers == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("out of memory while building request headers")));
	return headers;
}

/*
 * ic_connect
 *		The cached connection of a user mapping: one curl handle whose
 *		kept-alive connection serves every request and query of the session.
 */
IcConnection *
ic_connect(const IcOptions *opts)
{
	IcConnection *conn;
	bool		found;

	if (connection_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(IcConnection);
		connection_cache = hash_create("intercom_fdw connections", 8, &ctl,
									   HASH_ELEM | HASH_BLOBS);
	}
	conn = hash_search(connection_cache, &opts->umid, HASH_ENTER, &found);
	if (!found)
	{
		memset(((char *) conn) + sizeof(Oid), 0, sizeof(IcConnection) - sizeof(Oid));
	}
	/* an ERROR escaped in mid-transfer, or options changed: start afresh */
	if (found && (!conn->valid || conn->in_transfer))
		connection_destroy(conn);

	if (conn->easy == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		if (conn->opts.api_url)
			pfree(conn->opts.api_url);
		conn->opts = *opts;
		conn->opts.api_url = pstrdup(opts->api_url);
		conn->opts.api_version = NULL;
		conn->opts.token = NULL;	/* lives only inside the header list */
		MemoryContextSwitchTo(old);

		conn->headers = build_headers(opts);
		if (conn->share == NULL)
		{
			/* kept for the session: scans' own handles may still use it */
			conn->share = curl_share_init();
			if (conn->share)
				curl_share_setopt(conn->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
		}
		conn->easy = curl_easy_init();
		conn->multi = curl_multi_init();
		if (conn->easy == NULL || conn->multi == NULL)
		{
			connection_destroy(conn);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
					 errmsg("could not create a libcurl handle")));
		}
		conn->valid = true;
		conn->in_transfer = false;
		conn->rl_limit = conn->rl_remaining = 0;
		conn->rl_reset = 0;
	}
	return conn;
}

/* ---------- one exchange ---------- */

static void
setup_easy(IcConnection *conn, CURL *easy, IcHttpResult *res, IcRequestKind kind,
		   const char *method, const char *url, const char *body)
{

	curl_easy_reset(easy);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, conn->headers);
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
	curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) conn->opts.timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) conn->opts.connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, res->curl_error);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_callback);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, res);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_callback);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, res);

	/*
	 * libcurl sends a request again by itself when a reused connection dies
	 * before any byte of the answer (taking it for a server that closed an
	 * idle connection).  The server may have served it all the same: a
	 * request that must not be resent gets a connection of its own.
	 */
	if (!ic_request_replayable(kind))
		curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
	if (strcmp(method, "POST") == 0)
	{
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body ? body : "");
	}
}

static void
init_result(IcHttpResult *res)
{
	memset(res, 0, sizeof(*res));
	res->cxt = CurrentMemoryContext;
	res->rl_limit = res->rl_remaining = -1;
}

/*
 * perform_exchange
 *		Run one HTTP exchange to completion, polling so that an interrupt is
 *		noticed within POLL_INTERVAL_MS.  On an interrupt the transfer is
 *		abandoned and CHECK_FOR_INTERRUPTS raises the proper error.
 */
static void
perform_exchange(IcConnection *conn, IcHttpResult *res, IcRequestKind kind,
				 const char *method, const char *url, const char *body)
{
	int			running = 1;
	CURLMsg    *msg;
	int			left;

	init_result(res);
	setup_easy(conn, conn->easy, res, kind, method, url, body);

	conn->in_transfer = true;
	curl_multi_add_handle(conn->multi, conn->easy);
	pgstat_report_wait_start(PG_WAIT_EXTENSION);
	while (running)
	{
		CURLMcode	mc = curl_multi_perform(conn->multi, &running);

		if (mc != CURLM_OK)
			break;
		if (InterruptPending)
		{
			pgstat_report_wait_end();
			curl_multi_remove_handle(conn->multi, conn->easy);
			conn->in_transfer = false;
			CHECK_FOR_INTERRUPTS();
			/* an interrupt that does not raise (e.g. a config reload): go on */
			res->curl_code = CURLE_ABORTED_BY_CALLBACK;
			snprintf(res->curl_error, sizeof(res->curl_error), "transfer interrupted");
			return;
		}
		if (running)
			curl_multi_poll(conn->multi, NULL, 0, POLL_INTERVAL_MS, NULL);
	}
	pgstat_report_wait_end();

	res->curl_code = CURLE_GOT_NOTHING;
	while ((msg = curl_multi_info_read(conn->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == conn->easy)
			res->curl_code = msg->data.result;
	curl_easy_getinfo(conn->easy, CURLINFO_RESPONSE_CODE, &res->status);
	curl_multi_remove_handle(conn->multi, conn->easy);
	conn->in_transfer = false;
}

/* ---------- error reporting ---------- */

/*
 * summarize_body
 *		A short, safe summary of an error body: Intercom's error.list code
 *		and message, an HTML page's <title>, or the first bytes of text.
 */
static void
summarize_body(IcHttpResult *res, char **code, char **message)
{
	json_t	   *root;
	json_error_t jerr;

	*code = NULL;
	*message = NULL;
	if (res->body == NULL || res->len == 0)
	{
		*message = pstrdup("empty response body");
		return;
	}
	root = json_loadb(res->body, res->len, 0, &jerr);
	if (root)
	{
		json_t	   *errors = json_object_get(root, "errors");
		json_t	   *first = json_is_array(errors) ? json_array_get(errors, 0) : NULL;

		if (first)
		{
			const char *c = json_string_value(json_object_get(first, "code"));
			const char *m = json_string_value(json_object_get(first, "message"));

			if (c == NULL)
				c = json_string_value(json_object_get(first, "type"));
			*code = c ? pstrdup(c) : NULL;
			*message = m ? pstrdup(m) : NULL;
		}
		if (res->request_id[0] == '\0')
		{
			const char *rid = json_string_value(json_object_get(root, "request_id"));

			if (rid)
				strlcpy(res->request_id, rid, sizeof(res->request_id));
		}
		json_decref(root);
		return;
	}
	else
	{
		const char *title = strcasestr(res->body, "<title>");

		if (title)
		{
			const char *end = strcasestr(title, "</title>");
			int			n = end ? (int) (end - title - 7) : 60;

			*message = psprintf("HTML page \"%.*s\" (%zu bytes)", Min(n, 120), title + 7, res->len);
		}
		else if (pg_strncasecmp(res->content_type, "text/html", 9) == 0 ||
				 strcasestr(res->body, "<html"))
			*message = psprintf("HTML page of %zu bytes", res->len);
		else
			*message = psprintf("response that is not valid JSON (%zu bytes): %s",
								res->len, jerr.text);
	}
}

static int
status_errcode(long status)
{
	switch (status)
	{
		case 401:
		case 403:
			return ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
		case 404:
		case 410:
			return ERRCODE_FDW_TABLE_NOT_FOUND;
		case 400:
		case 422:
			return ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE;
		default:
			return ERRCODE_FDW_ERROR;
	}
}

static const char *
status_hint(long status, const char *code)
{
	switch (status)
	{
		case 401:
			return "The token is invalid, revoked or expired: update it with ALTER USER MAPPING ... OPTIONS (SET token '...').";
		case 403:
			return "The workspace's plan or the token's scopes do not allow this request; grant the scope named in the message (e.g. read_conversations).";
		case 404:
			return "The record or endpoint does not exist for this workspace.";
		case 410:
			return "The record is gone (a merged contact: read the surviving contact instead).";
		case 422:
			return "Intercom refused the request for this API version; check the server's api_version option.";
		case 429:
			return "The workspace's rate limit stayed exhausted; retry later or lower concurrency.";
		default:
			if (status >= 500)
				return "Intercom is failing; the request was retried. Retry later, or raise max_retries.";
			if (code && strcmp(code, "intercom_version_invalid") == 0)
				return "Set the server option api_version to a version that has this endpoint.";
			return NULL;
	}
}

static void
report_http_error(IcHttpResult *res, const char *method, const char *path,
				  int attempts)
{
	char	   *code;
	char	   *message;
	const char *hint = NULL;

	summarize_body(res, &code, &message);
	hint = status_hint(res->status, code);
	ereport(ERROR,
			(errcode(status_errcode(res->status)),
			 errmsg("Intercom request %s %s failed with HTTP %ld%s%s",
					method, path, res->status,
					message ? ": " : "", message ? message : ""),
			 errdetail("HTTP status %ld, Intercom error code %s, request id %s, %d attempt%s.",
					   res->status, code ? code : "(none)",
					   res->request_id[0] ? res->request_id : "(none)",
					   attempts, attempts == 1 ? "" : "s"),
			 hint ? errhint("%s", hint) : 0));
}

static void
report_transport_error(IcHttpResult *res, const char *method, const char *path,
					   int attempts)
{
	CHECK_FOR_INTERRUPTS();
	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("Intercom request %s %s failed: %s",
					method, path,
					res->body_overflow ? "response too large" :
					res->curl_error[0] ? res->curl_error : curl_easy_strerror(res->curl_code)),
			 errdetail("No HTTP response (libcurl error %d), %d attempt%s.",
					   (int) res->curl_code, attempts, attempts == 1 ? "" : "s"),
			 errhint("Check the network and the server options timeout_ms and connect_timeout_ms.")));
}

static void
report_malformed(IcHttpResult *res, const char *method, const char *path,
				 int attempts)
{
	char	   *code;
	char	   *message;

	summarize_body(res, &code, &message);
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
			 errmsg("Intercom returned a malformed response to %s %s: %s",
					method, path, message),
			 errdetail("HTTP status %ld, request id %s, %d attempt%s.",
					   res->status, res->request_id[0] ? res->request_id : "(none)",
					   attempts, attempts == 1 ? "" : "s"),
			 errhint("This is usually a transient failure of Intercom or a proxy; retry later.")));
}

/* The error of a failed exchange, whatever failed. */
static void
report_failure(IcHttpResult *res, const char *method, const char *path,
			   int attempts)
{
	if (res->curl_code != CURLE_OK)
		report_transport_error(res, method, path, attempts);
	if (res->status >= 200 && res->status < 300)
		report_malformed(res, method, path, attempts);
	report_http_error(res, method, path, attempts);
}

/* What the caller gets back of a failure (or an answer it asked for). */
static void
fill_failure(IcFailure *f, IcHttpResult *res, IcFailureClass failure, int attempts)
{
	memset(f, 0, sizeof(*f));
	f->failure = failure;
	f->status = res->status;
	f->curl_code = (int) res->curl_code;
	f->attempts = attempts;
	if (res->curl_code != CURLE_OK)
		f->message = pstrdup(res->curl_error[0] ? res->curl_error
							 : curl_easy_strerror(res->curl_code));
	else
		summarize_body(res, &f->code, &f->message);
	strlcpy(f->request_id, res->request_id, sizeof(f->request_id));
}

/* ---------- rate limits ---------- */

static void
remember_rate_limit(IcConnection *conn, IcHttpResult *res)
{
	if (res->rl_limit > 0 && res->rl_remaining >= 0 && res->rl_reset > 0)
	{
		conn->rl_limit = res->rl_limit;
		conn->rl_remaining = res->rl_remaining;
		conn->rl_reset = res->rl_reset;
	}
}

/* Milliseconds until the window resets, plus jitter; bounded. */
static int64
ms_until_reset(int64 reset)
{
	int64		wait = reset * 1000 - now_ms();

	if (wait < 0)
		wait = 0;
	return Min(wait, MAX_RATE_LIMIT_WAIT_MS) + 50 + jitter_ms(250);
}

/*
 * pace
 *		Before a request: when the window is nearly spent, spread the
 *		remaining requests over what is left of it, and when it is spent,
 *		wait for the reset, instead of running into 429s.
 */
static void
pace(IcConnection *conn, IcStats *stats)
{
	int64		now = now_ms();
	int64		window_left;
	int			remaining;

	if (conn->rl_limit <= 0 || conn->rl_reset * 1000 <= now)
		return;
	window_left = conn->rl_reset * 1000 - now;

	/*
	 * Requests in flight (a partitioned scan's, a prefetch) were sent after
	 * the response that told remaining: count them as spent, so that all of
	 * them together stay within the window.
	 */
	remaining = conn->rl_remaining - Max(conn->in_flight, 0);
	if (remaining <= 1)
	{
		stats->rate_limit_waits++;
		ic_backend_stats.rate_limit_waits++;
		ic_sleep_ms(ms_until_reset(conn->rl_reset), stats);
		conn->rl_limit = 0;		/* unknown until the next response */
	}
	else if (remaining * 10 < conn->rl_limit)
		ic_sleep_ms(window_left / remaining, stats);
}

/* ---------- the request loop ---------- */

static void
count_request(IcStats *stats, IcHttpResult *res)
{
	stats->requests++;
	stats->bytes += res->len;
	ic_backend_stats.requests++;
	ic_backend_stats.bytes += res->len;
}

static void
count_retry(IcStats *stats)
{
	stats->retries++;
	ic_backend_stats.retries++;
}

static int64
backoff_ms(IcConnection *conn, int attempt)
{
	int64		ms = (int64) conn->opts.retry_base_ms << Min(attempt, 16);

	ms = Min(ms, MAX_BACKOFF_MS);
	return ms / 2 + jitter_ms((int) (ms / 2) + 1);
}

/*
 * ic_request_page
 *		Send one request and return its decoded JSON body, owned by the
 *		current memory context (freed when it is reset or deleted).
 *
 * What a failure does depends on the request's kind (retry.c): transient
 * failures (connection errors, timeouts, 408, 5xx, a 200 that is empty or
 * not JSON) of a request that may be resent are retried with exponential
 * backoff and jitter, up to max_retries; those of a scroll page are
 * returned to the caller as NULL with *failure filled, for it to restart.
 * 429s wait for the window's reset and are bounded apart.  Statuses listed
 * in pass_statuses (e.g. a scroll's 400 or 404, a child's 404) are answers:
 * returned as NULL with *status (and *failure, if given) set.
 *
 * The body is decoded by json_decode.c (exact numbers, strings PostgreSQL
 * can store) in the current memory context, which also keeps the body its
 * strings point into.  With count_key, the records under that key are
 * counted, not built (count(*)).
 */
static IcJson *request_loop(IcConnection *conn, IcRequestKind kind, const char *method,
							const char *path, const char *body, const long *pass_statuses,
							long *status, IcFailure *failure, IcStats *stats,
							IcHttpResult *prior, const char *count_key);

IcJson *
ic_request_page(IcConnection *conn, IcRequestKind kind, const char *method,
				const char *path, const char *body, const long *pass_statuses,
				long *status, IcFailure *failure, const char *count_key,
				IcStats *stats)
{
	return request_loop(conn, kind, method, path, body, pass_statuses, status,
						failure, stats, NULL, count_key);
}

/*
 * parse_body
 *		A 2xx body as a decoded page, pointing into the body, which must then
 *		live as long as the tree; NULL when it is not JSON.
 */
static IcJson *
parse_body(IcHttpResult *res, const char *count_key, IcStats *stats)
{
	IcDecodeOptions options = {count_key, 0};
	IcJson	   *root;

	if (res->body == NULL || res->len == 0)
		return NULL;
	root = ic_json_decode(res->body, res->len, &options);
	if (root)
	{
		stats->replaced_chars += options.replaced;
		ic_backend_stats.replaced_chars += options.replaced;
	}
	return root;
}

/* Is status one of the caller's answers (a 0-terminated list)? */
static bool
passed_status(const long *pass_statuses, long status)
{
	for (const long *s = pass_statuses; s && *s; s++)
		if (*s == status)
			return true;
	return false;
}

/*
 * request_loop
 *		ic_request's retry loop.  With prior, the first attempt is a result
 *		already received (a prefetch or a window member), so a background
 *		request uses the same attempt budget, and the same policy, as a plain
 *		one.
 */
static IcJson *
request_loop(IcConnection *conn, IcRequestKind kind, const char *method,
			 const char *path, const char *body, const long *pass_statuses,
			 long *status, IcFailure *failure, IcStats *stats,
			 IcHttpResult *prior, const char *count_key)
{
	char	   *url = psprintf("%s%s", conn->opts.api_url, path);
	int			attempt = 0;
	int			rate_waits = 0;
	IcHttpResult res;

	for (;;)
	{
		IcJson	   *root = NULL;
		IcFailureClass what;

		if (prior)
		{
			res = *prior;		/* already counted by the caller */
			prior = NULL;
		}
		else
		{
			pace(conn, stats);
			perform_exchange(conn, &res, kind, method, url, body);
			count_request(stats, &res);
			remember_rate_limit(conn, &res);
		}
		*status = res.status;

		if (res.curl_code == CURLE_OK && passed_status(pass_statuses, res.status))
		{
			if (failure)
				fill_failure(failure, &res, IC_FAILURE_CLIENT, attempt + 1);
			return NULL;
		}
		if (res.curl_code == CURLE_OK && res.status >= 200 && res.status < 300)
		{
			root = parse_body(&res, count_key, stats);
			if (root)
			{
				pfree(url);		/* not the body: the page's strings point into it */
				return root;
			}
		}

		/* it failed: retry.c decides, by the request's kind */
		what = ic_classify_failure(res.curl_code, res.status, true);
		switch (ic_retry_action(kind, what))
		{
			case IC_ACTION_WAIT_RATE_LIMIT:
				if (++rate_waits > MAX_RATE_LIMIT_WAITS)
					report_http_error(&res, method, path, attempt + rate_waits);
				stats->rate_limit_waits++;
				ic_backend_stats.rate_limit_waits++;
				ic_sleep_ms(res.rl_reset > 0 ? ms_until_reset(res.rl_reset)
							: backoff_ms(conn, rate_waits), stats);
				conn->rl_limit = 0;
				if (res.body)
					pfree(res.body);
				continue;
			case IC_ACTION_RETURN:
				if (failure)
				{
					fill_failure(failure, &res, what, attempt + 1);
					if (res.body)
						pfree(res.body);
					pfree(url);
					return NULL;
				}
				/* a caller that cannot restart gets the error */
				report_failure(&res, method, path, attempt + 1);
				break;
			case IC_ACTION_REPORT:
				report_failure(&res, method, path, attempt + 1);
				break;
			case IC_ACTION_RETRY:
				break;
		}

		if (attempt >= conn->opts.max_retries)
			report_failure(&res, method, path, attempt + 1);
		if (res.body)
			pfree(res.body);
		count_retry(stats);
		ic_sleep_ms(backoff_ms(conn, attempt), stats);
		attempt++;
	}
}

/* URL-escape a query-string value (cursors contain + / = and newlines). */
char *
ic_url_escape(const char *s)
{
	char	   *escaped = curl_easy_escape(NULL, s, 0);
	char	   *result;

	if (escaped == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	result = pstrdup(escaped);
	curl_free(escaped);
	return result;
}

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
	pace(req->conn, stats);
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
	init_result(&req->res);
	req->res.cxt = req->body_cxt;
	/* the scan's own copy of the headers outlives a connection rebuild */
	req->conn->headers = req->headers;
	setup_easy(req->conn, req->easy, &req->res, req->kind, method, req->url, req->body);
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
	pgstat_report_wait_start(PG_WAIT_EXTENSION);
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

	pgstat_report_wait_start(PG_WAIT_EXTENSION);
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
	pgstat_report_wait_start(PG_WAIT_EXTENSION);
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
			count_request(stats, &req->res);
			{
				IcHttpResult prior = req->res;

				req->res.body = NULL;
				return request_loop(req->conn, req->kind, req->method, req->path,
									req->body, req->pass_statuses, &status, NULL,
									stats, &prior, req->count_key);
			}
		}
		curl_multi_poll(req->multi, NULL, 0, POLL_INTERVAL_MS, NULL);
	}
	pgstat_report_wait_end();
	req->active = false;
	count_request(stats, &req->res);
	remember_rate_limit(req->conn, &req->res);
	async_landed(req);			/* after its headers are remembered */
	if (req->res.curl_code == CURLE_OK && req->res.status == 200)
		root = parse_body(&req->res, req->count_key, stats);
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
		return request_loop(req->conn, req->kind, req->method, req->path,
							req->body, req->pass_statuses, &status, NULL,
							stats, &prior, req->count_key);
	}
}
