/*-------------------------------------------------------------------------
 *
 * http_internal.h
 *		What the files of the HTTP layer share: the connection (a user
 *		mapping's headers, options and rate-limit state), one exchange's
 *		raw result, the rate-limit bookkeeping and the error reports.  Not
 *		for the rest of the FDW, which uses intercom_fdw.h.
 *
 *		connection.c  the connection cache and request headers
 *		transfer.c    the one engine: every request is a transfer, driven
 *		              in the background or waited on, with one retry loop
 *		rate_limit.c  X-RateLimit-* bookkeeping and pacing
 *		http_errors.c how a failed exchange is reported
 *		gzip.c        Content-Encoding
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_HTTP_INTERNAL_H
#define INTERCOM_HTTP_INTERNAL_H

#include "intercom_fdw.h"

#include <curl/curl.h>

#include "lib/ilist.h"

#define POLL_INTERVAL_MS	100
#define MAX_BODY_BYTES		(256 * 1024 * 1024)

struct IcConnection
{
	Oid			umid;			/* cache key */
	bool		valid;			/* false after ALTER SERVER/USER MAPPING */
	struct curl_slist *headers; /* auth, version, accept; malloc'd by curl */
	CURLSH	   *share;			/* connection cache shared by every handle */
	IcOptions	opts;			/* copied scalars; strings in TopMemoryContext */
	/* rate-limit state from the last response's X-RateLimit-* headers */
	int			rl_limit;
	int			rl_remaining;
	int64		rl_reset;		/* epoch seconds; 0 = unknown */
	int64		pace_next_ms;	/* the next free slot when pacing (ms) */
	int			in_flight;		/* transfers on the wire */
	dlist_head	transfers;		/* every live transfer (transfer.c): a
								 * transfer being finished drives them all */
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

/* connection.c */
extern struct curl_slist *ic_http_headers(IcConnection *conn, const char *version);

/* rate_limit.c */
extern int64 ic_now_ms(void);
extern void ic_rate_remember(IcConnection *conn, IcHttpResult *res);
extern int64 ic_rate_delay_ms(IcConnection *conn, IcStats *stats);
extern int64 ic_rate_spent_wait_ms(IcConnection *conn, IcStats *stats);
extern int64 ic_rate_reset_wait_ms(int64 reset);

/* gzip.c */
extern void ic_http_decode_content(IcHttpResult *res);

/* http_errors.c */
pg_noreturn extern void ic_http_report_http_error(IcHttpResult *res, const char *method,
												  const char *path, int attempts);
pg_noreturn extern void ic_http_report_failure(IcHttpResult *res, const char *method,
											   const char *path, int attempts);
extern void ic_http_fill_failure(IcFailure *f, IcHttpResult *res, IcFailureClass failure,
								 int attempts);

#endif							/* INTERCOM_HTTP_INTERNAL_H */
