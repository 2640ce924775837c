/*-------------------------------------------------------------------------
 *
 * rate_limit.c
 *		Pacing by Intercom's X-RateLimit-* headers: what the last response
 *		told of the window (shared by every backend of the workspace, so the
 *		headers, not a local count, say what is left), and the wait before a
 *		request when the window is nearly spent.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "http_internal.h"

#define MAX_RATE_LIMIT_WAIT_MS 15000	/* one window is 10 s */

/*
 * ic_http_remember_rate_limit
 *		Keep what a response's headers said of the window.  Within one
 *		window what is left only falls: responses to requests in flight
 *		together arrive in any order, so an older, higher count never
 *		replaces a lower one of the same window.
 */
void
ic_http_remember_rate_limit(IcConnection *conn, IcHttpResult *res)
{
	if (res->rl_limit > 0 && res->rl_remaining >= 0 && res->rl_reset > 0)
	{
		if (conn->rl_limit > 0 && res->rl_reset == conn->rl_reset &&
			res->rl_remaining > conn->rl_remaining)
			return;
		conn->rl_limit = res->rl_limit;
		conn->rl_remaining = res->rl_remaining;
		conn->rl_reset = res->rl_reset;
	}
}

/*
 * ic_rate_window
 *		The window as the last responses told it, less the requests in
 *		flight (sent after them, so not yet counted): limit 0 when unknown;
 *		past its reset, a whole new window of the same limit.
 */
void
ic_rate_window(IcConnection *conn, int *limit, int *remaining, int64 *ms_left)
{
	int64		now = ic_now_ms();

	*limit = *remaining = 0;
	*ms_left = 0;
	if (conn->rl_limit <= 0)
		return;
	*limit = conn->rl_limit;
	if (conn->rl_reset * 1000 <= now)
	{
		/* past the reset: a new window, as large as the last one said */
		*remaining = Max(conn->rl_limit - Max(conn->in_flight, 0), 0);
		*ms_left = 1;
		return;
	}
	*remaining = Max(conn->rl_remaining - Max(conn->in_flight, 0), 0);
	*ms_left = conn->rl_reset * 1000 - now;
}

/* Milliseconds until the window resets, plus jitter; bounded. */
int64
ic_http_ms_until_reset(int64 reset)
{
	int64		wait = reset * 1000 - ic_now_ms();

	if (wait < 0)
		wait = 0;
	return Min(wait, MAX_RATE_LIMIT_WAIT_MS) + 50 + ic_jitter_ms(250);
}

/*
 * pace
 *		Before a request: when the window is nearly spent, spread the
 *		remaining requests over what is left of it, and when it is spent,
 *		wait for the reset, instead of running into 429s.
 */
void
ic_http_pace(IcConnection *conn, IcStats *stats)
{
	int64		now = ic_now_ms();
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
		ic_sleep_ms(ic_http_ms_until_reset(conn->rl_reset), IC_WAIT_RATE_LIMIT, stats);
		conn->rl_remaining = conn->rl_limit;	/* a new window, until a response says */
	}
	else if (remaining * 10 < conn->rl_limit)
		ic_sleep_ms(window_left / remaining, IC_WAIT_RATE_LIMIT, stats);
}
