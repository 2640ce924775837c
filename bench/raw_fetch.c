/*
 * raw_fetch.c -- the lower bound for a full scan of an Intercom list stream.
 *
 * Fetches GET <url>/<stream>?per_page=N back to back, following
 * pages.next.starting_after, over one kept-alive libcurl handle with the same
 * headers the FDW sends (token, Intercom-Version, Accept, gzip), and throws
 * each body away (or, with --parse, parses it with jansson and frees it, to
 * show what JSON parsing alone costs).  Prints wall time, CPU time, requests,
 * records and bytes as one line of key=value pairs.
 *
 *   gcc -O2 -o raw_fetch raw_fetch.c $(pkg-config --cflags --libs libcurl jansson)
 *   raw_fetch --url http://127.0.0.1:PORT --token tok_test_1 [--stream contacts]
 *             [--per-page 150] [--version 2.14] [--parse] [--max-pages N] [--no-reuse]
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

static size_t
on_write(char *p, size_t size, size_t n, void *ud)
{
	Buf		   *b = ud;
	size_t		len = size * n;

	if (b->len + len + 1 > b->cap)
	{
		b->cap = (b->len + len + 1) * 2;
		b->data = realloc(b->data, b->cap);
		if (!b->data)
			return 0;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* pages.next.starting_after by string search: the cursor is base64, no escapes */
static char *
find_cursor(const char *body)
{
	const char *next = strstr(body, "\"next\":{");
	const char *s;
	const char *e;

	if (!next)
		return NULL;
	s = strstr(next, "\"starting_after\":\"");
	if (!s)
		return NULL;
	s += strlen("\"starting_after\":\"");
	e = strchr(s, '"');
	if (!e)
		return NULL;
	return strndup(s, e - s);
}

int
main(int argc, char **argv)
{
	const char *url = NULL, *token = "tok_test_1", *stream = "contacts", *version = "2.14";
	int			per_page = 150, parse = 0, no_reuse = 0;
	long		max_pages = -1, pages = 0, records = 0;
	double		bytes = 0, t0, c0;
	char	   *cursor = NULL;
	char		hdr_auth[512], hdr_ver[128], full[4096];
	struct curl_slist *hdrs = NULL;
	CURL	   *h;
	Buf			b = {0};

	for (int i = 1; i < argc; i++)
	{
		if (!strcmp(argv[i], "--url") && i + 1 < argc) url = argv[++i];
		else if (!strcmp(argv[i], "--token") && i + 1 < argc) token = argv[++i];
		else if (!strcmp(argv[i], "--stream") && i + 1 < argc) stream = argv[++i];
		else if (!strcmp(argv[i], "--version") && i + 1 < argc) version = argv[++i];
		else if (!strcmp(argv[i], "--per-page") && i + 1 < argc) per_page = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--max-pages") && i + 1 < argc) max_pages = atol(argv[++i]);
		else if (!strcmp(argv[i], "--parse")) parse = 1;
		else if (!strcmp(argv[i], "--no-reuse")) no_reuse = 1;
		else
		{
			fprintf(stderr, "usage: %s --url URL [--token T] [--stream S] [--per-page N] [--version V] [--parse] [--max-pages N]\n", argv[0]);
			return 2;
		}
	}
	if (!url)
	{
		fprintf(stderr, "raw_fetch: --url is required\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	snprintf(hdr_auth, sizeof(hdr_auth), "Authorization: Bearer %s", token);
	snprintf(hdr_ver, sizeof(hdr_ver), "Intercom-Version: %s", version);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, hdr_ver);
	hdrs = curl_slist_append(hdrs, hdr_auth);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "intercom_fdw-bench-raw/1.0");
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");	/* as the FDW: gzip */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (no_reuse)
		curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);	/* a new connection per request */

	t0 = now_s();
	c0 = cpu_s();
	for (;;)
	{
		long		status = 0;
		CURLcode	rc;

		if (cursor)
		{
			char	   *esc = curl_easy_escape(h, cursor, 0);

			snprintf(full, sizeof(full), "%s/%s?per_page=%d&starting_after=%s", url, stream, per_page, esc);
			curl_free(esc);
		}
		else
			snprintf(full, sizeof(full), "%s/%s?per_page=%d", url, stream, per_page);
		b.len = 0;
		curl_easy_setopt(h, CURLOPT_URL, full);
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (rc != CURLE_OK || status != 200)
		{
			fprintf(stderr, "raw_fetch: GET %s: curl %d (%s), HTTP %ld: %.300s\n", full, rc,
					curl_easy_strerror(rc), status, b.data ? b.data : "");
			return 1;
		}
		pages++;
		bytes += b.len;
		if (parse)
		{
			json_error_t err;
			json_t	   *root = json_loadb(b.data, b.len, 0, &err);
			json_t	   *arr = root ? json_object_get(root, "data") : NULL;

			if (root && !json_is_array(arr))
				arr = json_object_get(root, stream);

			if (!root)
			{
				fprintf(stderr, "raw_fetch: bad JSON: %s\n", err.text);
				return 1;
			}
			records += json_is_array(arr) ? (long) json_array_size(arr) : 0;
			json_decref(root);
		}
		free(cursor);
		cursor = find_cursor(b.data);
		if (!cursor || (max_pages > 0 && pages >= max_pages))
			break;
	}
	printf("wall_s=%.4f cpu_s=%.4f requests=%ld records=%ld bytes=%.0f parse=%d\n",
		   now_s() - t0, cpu_s() - c0, pages, parse ? records : -1, bytes, parse);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(b.data);
	return 0;
}
