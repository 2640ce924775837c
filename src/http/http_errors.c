/*-------------------------------------------------------------------------
 *
 * http_errors.c
 *		How a request that failed is reported: the SQLSTATE, message, detail
 *		(HTTP status, Intercom's error code, request id, attempts) and hint
 *		of each kind of failure, and the summary of an error body.  The
 *		token never appears: messages name the method and path only.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "http_internal.h"

#include "miscadmin.h"

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
	if (res->decode_error)
	{
		*message = pstrdup(res->decode_error);
		return;
	}
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
				snprintf(res->request_id, sizeof(res->request_id), "%s", rid);
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

void
ic_http_report_http_error(IcHttpResult *res, const char *method, const char *path,
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
	if (res->body_overflow)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("Intercom request %s %s failed: response too large", method, path),
				 errdetail("HTTP status %ld, request id %s: the body is over %d MiB, compressed or decompressed.",
						   res->status, res->request_id[0] ? res->request_id : "(none)",
						   MAX_BODY_BYTES / (1024 * 1024)),
				 errhint("Lower the server option per_page.")));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("Intercom request %s %s failed: %s",
					method, path,
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
void
ic_http_report_failure(IcHttpResult *res, const char *method, const char *path,
					   int attempts)
{
	if (res->curl_code != CURLE_OK)
		report_transport_error(res, method, path, attempts);
	if (res->status >= 200 && res->status < 300)
		report_malformed(res, method, path, attempts);
	ic_http_report_http_error(res, method, path, attempts);
}

/* What the caller gets back of a failure (or an answer it asked for). */
void
ic_http_fill_failure(IcFailure *f, IcHttpResult *res, IcFailureClass failure, int attempts)
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
	snprintf(f->request_id, sizeof(f->request_id), "%s", res->request_id);
}
