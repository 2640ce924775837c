/*-------------------------------------------------------------------------
 *
 * connection.c
 *		A user mapping's connection: its options, its request headers (the
 *		token lives only inside them) and the libcurl share through which
 *		every transfer of the session reuses kept-alive connections.
 *		Cached per user mapping for the session; ALTER SERVER or USER
 *		MAPPING rebuilds it on next use.
 *
 * libcurl stays on malloc (palloc'd allocators crash when handle lifetimes
 * outlive memory contexts).  Transfers (transfer.c) own their handles and
 * free them through memory-context callbacks, also on ERROR, so the
 * connection itself holds nothing that a failed query leaves half done.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "http_internal.h"

#include <curl/curl.h>

#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

static HTAB *connection_cache = NULL;

/* ALTER SERVER / USER MAPPING: rebuild every connection on next use. */
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

static void
out_of_memory_for_headers(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
			 errmsg("out of memory while building request headers")));
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
		out_of_memory_for_headers();
	return headers;
}

/*
 * ic_http_headers
 *		A transfer's own copy of the connection's headers (malloc'd by curl,
 *		freed with curl_slist_free_all), saying version when it is set: an
 *		endpoint that exists only from some version (GET
 *		/conversations/deleted, 2.16) says so on its own requests, and every
 *		other request keeps the server's api_version.  A copy, so that a
 *		connection rebuilt under a running scan frees nothing it uses.
 */
struct curl_slist *
ic_http_headers(IcConnection *conn, const char *version)
{
	struct curl_slist *headers = NULL;

	for (struct curl_slist *h = conn->headers; h; h = h->next)
	{
		if (version && pg_strncasecmp(h->data, "Intercom-Version:", 17) == 0)
			continue;
		headers = curl_slist_append(headers, h->data);
		if (headers == NULL)
			out_of_memory_for_headers();
	}
	if (version)
	{
		char	   *line = psprintf("Intercom-Version: %s", version);

		headers = curl_slist_append(headers, line);
		pfree(line);
	}
	if (headers == NULL)
		out_of_memory_for_headers();
	return headers;
}

static void
connection_reset(IcConnection *conn)
{
	if (conn->headers)
		curl_slist_free_all(conn->headers);
	conn->headers = NULL;
}

/*
 * ic_connect
 *		The cached connection of a user mapping.  Every transfer of the
 *		session shares its kept-alive connections (the curl share).
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
		memset(((char *) conn) + sizeof(Oid), 0, sizeof(IcConnection) - sizeof(Oid));
	/* options changed: start afresh */
	if (found && !conn->valid)
		connection_reset(conn);

	if (conn->headers == NULL)
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
			/* kept for the session: running transfers may still use it */
			conn->share = curl_share_init();
			if (conn->share)
				curl_share_setopt(conn->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
		}
		conn->valid = true;
		conn->rl_limit = conn->rl_remaining = 0;
		conn->rl_reset = 0;
	}
	return conn;
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
