/*-------------------------------------------------------------------------
 *
 * http_internal.h
 *		What http.c shares with http_async.c, the requests in the background:
 *		the connection, one exchange's result, and the steps of a request
 *		(setup, pacing, counting, decoding, the retry loop).  Not for the
 *		rest of the FDW, which uses intercom_fdw.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_HTTP_INTERNAL_H
#define INTERCOM_HTTP_INTERNAL_H

#include "intercom_fdw.h"

#include <curl/curl.h>

#define POLL_INTERVAL_MS	100
#define MAX_BODY_BYTES		(256 * 1024 * 1024)

struct IcConnection
{
	Oid			umid;			/* cache key */
	bool		valid;			/* false after ALTER SERVER/USER MAPPING */
	bool		in_transfer;	/* set while curl runs; left set by an ERROR */
	CURL	   *easy;
	CURLM	   *multi;
	struct curl_slist *headers; /* auth, version, accept; malloc'd by curl */
	const char *version;		/* set: Intercom-Version of this request only */
	struct curl_slist *version_headers; /* headers with that version (cached) */
	char		version_headers_for[16];	/* the version they say */
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
	const char *decode_error;	/* set: the body could not be decompressed */
	MemoryContext cxt;
	char		request_id[96];
	char		content_type[96];
	char		content_encoding[32];	/* "gzip", or empty: as is */
	int			rl_limit;
	int			rl_remaining;
	int64		rl_reset;
	char		curl_error[CURL_ERROR_SIZE];
} IcHttpResult;

extern void ic_http_setup_easy(IcConnection *conn, CURL *easy, IcHttpResult *res,
							   IcRequestKind kind, const char *method,
							   const char *url, const char *body);
extern void ic_http_init_result(IcHttpResult *res);
extern int64 ic_now_ms(void);
extern int	ic_jitter_ms(int max);

/* rate_limit.c */
extern void ic_http_pace(IcConnection *conn, IcStats *stats);
extern void ic_http_remember_rate_limit(IcConnection *conn, IcHttpResult *res);
extern int64 ic_http_ms_until_reset(int64 reset);
extern void ic_http_count_request(IcStats *stats, IcHttpResult *res);
extern void ic_http_decode_content(IcHttpResult *res);
pg_noreturn extern void ic_http_report_http_error(IcHttpResult *res, const char *method,
												  const char *path, int attempts);
pg_noreturn extern void ic_http_report_failure(IcHttpResult *res, const char *method,
											   const char *path, int attempts);
extern void ic_http_fill_failure(IcFailure *f, IcHttpResult *res, IcFailureClass failure,
								 int attempts);
extern IcJson *ic_http_parse_body(IcHttpResult *res, const char *count_key, IcStats *stats);
extern IcJson *ic_http_request_loop(IcConnection *conn, IcRequestKind kind, const char *method,
									const char *path, const char *body,
									const long *pass_statuses, long *status,
									IcFailure *failure, IcStats *stats,
									IcHttpResult *prior, const char *count_key);

#endif							/* INTERCOM_HTTP_INTERNAL_H */
