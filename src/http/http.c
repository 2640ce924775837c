/*-------------------------------------------------------------------------
 *
 * http.c
 *		Requests to Intercom over libcurl: connection cache, retries and
 *		interruptible waits (the errors they end in are worded in
 *		http_errors.c; rate-limit pacing is in rate_limit.c).
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
#include "http_internal.h"

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

#define MAX_BACKOFF_MS		30000
#define MAX_RATE_LIMIT_WAITS 60		/* 429s waited out for one request */


IcStats		ic_backend_stats;

static HTAB *connection_cache = NULL;

/* ---------- small helpers ---------- */

int64
ic_now_ms(void)
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
ic_sleep_ms(int64 ms, IcWaitEvent why, IcStats *stats)
{
	int64		deadline = ic_now_ms() + ms;

	stats->wait_ms += ms;
	ic_backend_stats.wait_ms += ms;
	for (;;)
	{
		int64		left = deadline - ic_now_ms();

		CHECK_FOR_INTERRUPTS();
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (long) left, ic_wait_event(why));
		ResetLatch(MyLatch);
	}
}

int
ic_jitter_ms(int max)
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
	if (conn->version_headers)
		curl_slist_free_all(conn->version_headers);
	conn->easy = NULL;
	conn->multi = NULL;
	conn->headers = NULL;
	conn->version_headers = NULL;
	conn->version = NULL;
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
	headers = curl_slist_append(headers, "Accept-Encoding: gzip");	/* gzip.c */
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

/*
 * request_headers
 *		The headers of the request about to be set up: the connection's, or
 *		while ic_request_page_version runs, the same with its version.
 */
static struct curl_slist *
request_headers(IcConnection *conn)
{
	char	   *version;

	if (conn->version == NULL)
		return conn->headers;
	if (conn->version_headers &&
		strcmp(conn->version_headers_for, conn->version) == 0)
		return conn->version_headers;
	if (conn->version_headers)
		curl_slist_free_all(conn->version_headers);
	conn->version_headers = NULL;
	for (struct curl_slist *h = conn->headers; h; h = h->next)
		if (pg_strncasecmp(h->data, "Intercom-Version:", 17) != 0)
			conn->version_headers = curl_slist_append(conn->version_headers, h->data);
	version = psprintf("Intercom-Version: %s", conn->version);
	conn->version_headers = curl_slist_append(conn->version_headers, version);
	pfree(version);
	if (conn->version_headers == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("out of memory while building request headers")));
	snprintf(conn->version_headers_for, sizeof(conn->version_headers_for), "%s", conn->version);
	return conn->version_headers;
}

/* ---------- one exchange ---------- */

void
ic_http_setup_easy(IcConnection *conn, CURL *easy, IcHttpResult *res, IcRequestKind kind,
		   const char *method, const char *url, const char *body)
{

	curl_easy_reset(easy);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, request_headers(conn));
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
	else if (strcmp(method, "GET") != 0)
	{
		/* PUT and DELETE (writes, modify.c); a DELETE may carry a body too */
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
		if (body)
			curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
	}
}

void
ic_http_init_result(IcHttpResult *res)
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

	ic_http_init_result(res);
	ic_http_setup_easy(conn, conn->easy, res, kind, method, url, body);

	conn->in_transfer = true;
	curl_multi_add_handle(conn->multi, conn->easy);
	pgstat_report_wait_start(ic_wait_event(IC_WAIT_RESPONSE));
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
	ic_http_decode_content(res);
}

/* ---------- the request loop ---------- */

void
ic_http_count_request(IcStats *stats, IcHttpResult *res)
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
	return ms / 2 + ic_jitter_ms((int) (ms / 2) + 1);
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
IcJson *
ic_request_page(IcConnection *conn, IcRequestKind kind, const char *method,
				const char *path, const char *body, const long *pass_statuses,
				long *status, IcFailure *failure, const char *count_key,
				IcStats *stats)
{
	return ic_http_request_loop(conn, kind, method, path, body, pass_statuses, status,
						failure, stats, NULL, count_key);
}

/*
 * ic_request_page_version
 *		ic_request_page sent with its own Intercom-Version, whatever the
 *		server's api_version (NULL: the server's).  An endpoint that exists
 *		only from some version (GET /conversations/deleted, 2.16) says so on
 *		its own requests; every other request keeps the server's version,
 *		and so the shapes its tables were imported with.
 */
IcJson *
ic_request_page_version(IcConnection *conn, const char *version, IcRequestKind kind,
						const char *method, const char *path, const char *body,
						const long *pass_statuses, long *status, IcFailure *failure,
						const char *count_key, IcStats *stats)
{
	IcJson	   *volatile root = NULL;

	if (version == NULL)
		return ic_request_page(conn, kind, method, path, body, pass_statuses, status,
							   failure, count_key, stats);
	conn->version = version;
	PG_TRY();
	{
		root = ic_request_page(conn, kind, method, path, body, pass_statuses, status,
							   failure, count_key, stats);
	}
	PG_FINALLY();
	{
		conn->version = NULL;
	}
	PG_END_TRY();
	return root;
}

/*
 * parse_body
 *		A 2xx body as a decoded page, pointing into the body, which must then
 *		live as long as the tree; NULL when it is not JSON.
 */
IcJson *
ic_http_parse_body(IcHttpResult *res, const char *count_key, IcStats *stats)
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
IcJson *
ic_http_request_loop(IcConnection *conn, IcRequestKind kind, const char *method,
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
			ic_http_pace(conn, stats);
			perform_exchange(conn, &res, kind, method, url, body);
			ic_http_count_request(stats, &res);
			ic_http_remember_rate_limit(conn, &res);
		}
		*status = res.status;

		if (res.curl_code == CURLE_OK && passed_status(pass_statuses, res.status))
		{
			if (failure)
				ic_http_fill_failure(failure, &res, IC_FAILURE_CLIENT, attempt + 1);
			return NULL;
		}
		if (res.curl_code == CURLE_OK && res.status >= 200 && res.status < 300)
		{
			root = ic_http_parse_body(&res, count_key, stats);
			if (root)
			{
				pfree(url);		/* not the body: the page's strings point into it */
				return root;
			}
		}

		/* a body over the limit would be as large again: no retry */
		if (res.body_overflow)
			ic_http_report_failure(&res, method, path, attempt + 1);

		/* it failed: retry.c decides, by the request's kind */
		what = ic_classify_failure(res.curl_code, res.status, true);
		switch (ic_retry_action(kind, what))
		{
			case IC_ACTION_WAIT_RATE_LIMIT:
				if (++rate_waits > MAX_RATE_LIMIT_WAITS)
					ic_http_report_http_error(&res, method, path, attempt + rate_waits);
				stats->rate_limit_waits++;
				ic_backend_stats.rate_limit_waits++;
				ic_sleep_ms(res.rl_reset > 0 ? ic_http_ms_until_reset(res.rl_reset)
							: backoff_ms(conn, rate_waits), IC_WAIT_RATE_LIMIT, stats);
				conn->rl_limit = 0;
				if (res.body)
					pfree(res.body);
				continue;
			case IC_ACTION_RETURN:
				if (failure)
				{
					ic_http_fill_failure(failure, &res, what, attempt + 1);
					if (res.body)
						pfree(res.body);
					pfree(url);
					return NULL;
				}
				/* a caller that cannot restart gets the error */
				ic_http_report_failure(&res, method, path, attempt + 1);
				break;
			case IC_ACTION_REPORT:
				ic_http_report_failure(&res, method, path, attempt + 1);
				break;
			case IC_ACTION_RETRY:
				break;
		}

		if (attempt >= conn->opts.max_retries)
			ic_http_report_failure(&res, method, path, attempt + 1);
		if (res.body)
			pfree(res.body);
		count_retry(stats);
		ic_sleep_ms(backoff_ms(conn, attempt), IC_WAIT_RETRY_BACKOFF, stats);
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
