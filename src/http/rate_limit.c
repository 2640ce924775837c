/*-------------------------------------------------------------------------
 *
 * rate_limit.c
 *		Intercom's rate limit as its responses announce it
 *		(X-RateLimit-Limit, -Remaining, -Reset: intercom-api.md), and how
 *		long a transfer should wait before it is sent so that a scan runs
 *		out of allowance gently instead of into 429s.  The allowance is the
 *		workspace's, shared with every other backend and app: the headers
 *		say what is left of it, a local count could not.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "http_internal.h"

#include <time.h>

#include "common/pg_prng.h"

#define MAX_RATE_LIMIT_WAIT_MS 15000	/* one window is 10 s */

int64
ic_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * ic_rate_remember
 *		Keep what a response's headers said of the window (when it had all
 *		three).  Within one window what is left only falls: responses to
 *		requests in flight together arrive in any order, so an older,
 *		higher count never replaces a lower one of the same window.
 */
void
ic_rate_remember(IcConnection *conn, IcHttpResult *res)
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
 *		past its reset, a whole new window of the same limit.  The paging
 *		layer's concurrency (concurrency.c) grows only within it.
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

/*
 * ic_rate_reset_wait_ms
 *		Milliseconds until the window resets, plus jitter (so that the
 *		backends waiting for one reset do not all start at once); bounded.
 */
int64
ic_rate_reset_wait_ms(int64 reset)
{
	int64		wait = reset * 1000 - ic_now_ms();

	if (wait < 0)
		wait = 0;
	return Min(wait, MAX_RATE_LIMIT_WAIT_MS) + 50 +
		(int64) (pg_prng_double(&pg_global_prng_state) * 250);
}

/* What is left of the window less the requests on the wire; false when unknown or past. */
static bool
window_left_now(IcConnection *conn, int64 now, int *remaining, int64 *window_left)
{
	if (conn->rl_limit <= 0 || conn->rl_reset * 1000 <= now)
		return false;
	*window_left = conn->rl_reset * 1000 - now;

	/*
	 * Transfers on the wire were sent after the response that told
	 * remaining: count them as spent, so that all of them together stay
	 * within the window.
	 */
	*remaining = conn->rl_remaining - Max(conn->in_flight, 0);
	return true;
}

/*
 * ic_rate_spent_wait_ms
 *		When the window is spent, how long until its reset (counted as a
 *		rate-limit wait); 0 otherwise.  Asked again by a transfer whose
 *		paced slot has come: the window may have been spent meanwhile.
 */
int64
ic_rate_spent_wait_ms(IcConnection *conn, IcStats *stats)
{
	int			remaining;
	int64		window_left;

	if (!window_left_now(conn, ic_now_ms(), &remaining, &window_left) || remaining > 1)
		return 0;
	stats->rate_limit_waits++;
	ic_backend_stats.rate_limit_waits++;
	return ic_rate_reset_wait_ms(conn->rl_reset);
}

/*
 * ic_rate_delay_ms
 *		How long the next transfer should wait before it is sent: when the
 *		window is nearly spent, the remaining requests are spread over what
 *		is left of it, one slot after another (several transfers asking at
 *		once get successive slots, not the same one); when it is spent, or
 *		no slot is left in it, until the reset.  0: send now.
 */
int64
ic_rate_delay_ms(IcConnection *conn, IcStats *stats)
{
	int64		now = ic_now_ms();
	int64		window_left;
	int64		send_at;
	int			remaining;

	if (!window_left_now(conn, now, &remaining, &window_left))
		return 0;
	if (remaining <= 1)
		return ic_rate_spent_wait_ms(conn, stats);
	if (remaining * 10 >= conn->rl_limit)
		return 0;
	send_at = Max(now, conn->pace_next_ms);
	/* no slot left in this window: the next one (its own allowance) */
	if (send_at >= conn->rl_reset * 1000)
		return ic_rate_reset_wait_ms(conn->rl_reset);
	conn->pace_next_ms = send_at + window_left / remaining;
	return send_at - now;
}
