/*-------------------------------------------------------------------------
 *
 * write_send.c
 *		Sending one write request, and what its failure says.
 *
 * What is retried is retry.c's decision, by the request's kind: a PUT, an
 * attach or detach, a DELETE are retried like reads; a request that
 * creates something (POST /tags, POST /companies, a conversation part) and
 * may have been served is handed back, and this file says so: the row may
 * or may not have been written, and how to check.
 *
 * A DELETE answered 404 is done: the row was read a moment ago, so either
 * an attempt of ours whose answer was lost deleted it (we resend, and so
 * does libcurl by itself when a kept-alive connection dies before the
 * answer), or someone else did.  Either way it is gone, as asked.
 *
 *-------------------------------------------------------------------------
 */
#include "modify_internal.h"

#include <curl/curl.h>

/*
 * The outcome of a creating request is unknown: it was sent, and no usable
 * answer came back (a timeout, a lost connection, a 5xx or a garbled 2xx).
 */
pg_noreturn static void
report_unknown_outcome(IcModifyState *st, const char *method, const char *path,
					   const IcFailure *f)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("Intercom may or may not have carried out %s %s", method, path),
			 errdetail("The request was sent and no usable answer came back (%s%s%s, request id %s); "
					   "it was not sent again, since a second one could do the same twice.",
					   f->status ? psprintf("HTTP %ld: ", f->status) : "",
					   /* libcurl's own words, not its buffer (which times the wait) */
					   f->curl_code ? curl_easy_strerror((CURLcode) f->curl_code) :
					   f->message ? f->message : "no answer",
					   f->code ? psprintf(", Intercom error code %s", f->code) : "",
					   f->request_id[0] ? f->request_id : "(none)"),
			 st->row_check ?
			 errhint("Check whether it was written (%s), then run the statement again for the rows that are missing.",
					 st->row_check) :
			 errhint("Check in Intercom whether it was written, then run the statement again for the rows that are missing.")));
}

/*
 * ic_write_send
 *		Send one write and return Intercom's answer (NULL for a DELETE
 *		that found its work done), in the current memory context.
 *		Counts the request in the row's and the statement's numbers.
 */
IcJson *
ic_write_send(IcModifyState *st, const char *method, const char *path, bool creates,
			  json_t *body)
{
	static const long delete_answers[] = {404, 0};
	bool		is_delete = strcmp(method, "DELETE") == 0;
	char	   *text = body ? ic_json_body_text(body) : NULL;
	IcFailure	failure;
	IcAnswers	answers = {is_delete ? delete_answers : NULL, &failure};
	IcRequest	r = ic_write_request(method, pstrdup(path), text, creates);
	IcJson	   *root;

	memset(&failure, 0, sizeof(failure));
	root = ic_http_send(st->conn, &r, ic_page_reader(NULL), &answers, &st->stats);
	if (root != NULL)
	{
		st->row_requests++;
		return root;
	}
	if (failure.failure == IC_FAILURE_CLIENT && failure.status == 404)
	{
		/* a DELETE of what is gone already: done (see above) */
		st->row_requests++;
		return NULL;
	}
	report_unknown_outcome(st, method, path, &failure);
}
