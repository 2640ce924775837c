/*-------------------------------------------------------------------------
 *
 * request.h
 *		An Intercom request is a value: method, path with its query string,
 *		body, and the kind that decides what a failure of it does
 *		(retry.c). request.c builds every request the FDW sends, by pure
 *		functions: no HTTP, no executor state. The pager, the partitions,
 *		the parts window, the link rows, ANALYZE and EXPLAIN all obtain
 *		their requests here, so EXPLAIN shows what is sent.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_REQUEST_H
#define INTERCOM_REQUEST_H

#include "intercom_fdw.h"

typedef struct IcRequest
{
	IcRequestKind kind;			/* what a failure of it does (retry.c) */
	const char *method;			/* "GET" or "POST" */
	char	   *path;			/* path and query string, escaped */
	char	   *body;			/* JSON text, or NULL */
	const char *api_version;	/* Intercom-Version of this request alone, for an
								 * endpoint that exists only from some version
								 * (the stream's api_version); NULL: the server's */
} IcRequest;

/*
 * What a listing or search asks for, page after page: everything of its
 * page requests but the cursor.
 */
typedef struct IcListing
{
	const IcStream *stream;		/* whose endpoints are read */
	IcScanMode	mode;
	int			per_page;
	const char *list_path;		/* the listing under this API version */
	char	   *range_query;	/* "&created_at_after=..." of a range listing */
	char	   *query_json;		/* search: the "query" object as text */
	int			sort_dir;		/* search by updated_at: 1 ascending, -1 descending */
	bool		by_page;		/* page-numbered (LIMIT listing, or how it pages) */
	const IcStream *child;		/* a per-parent stream with an endpoint of its own
								 * (child_path): by id, its parent's id GETs that */
} IcListing;

/* the first request of a listing or search (the scroll's opening for a scroll) */
extern IcRequest ic_first_request(const IcListing *l);

/* the page at cursor (NULL: the first page) of a listing or search */
extern IcRequest ic_listing_request(const IcListing *l, const char *cursor);

/* a search: the one writer of search bodies (order NULL: unsorted) */
extern IcRequest ic_search_request(const IcStream *stream, const char *query_json,
								   int per_page, const char *cursor,
								   const char *sort_field, const char *order);

/* ids and lookup scans: the record with this id (or lookup value) */
extern IcRequest ic_record_request(const IcListing *l, const char *id);

/* one record, or one parent's detail: GET prefix + escaped id */
extern IcRequest ic_get_request(IcRequestKind kind, const char *prefix, const char *id);

/* page N (1: the first) of one parent's rows: its detail, or the child's endpoint */
extern IcRequest ic_child_request(const IcStream *child, const char *parent_id, int page);

/* page N of a parent's whole list, where its inlined one has more (link tables) */
extern IcRequest ic_link_list_request(const IcStream *stream, const char *parent_id, int page);

/* the company scroll's next page (scroll_param NULL: open a scroll) */
extern IcRequest ic_scroll_request(const char *list_path, const char *scroll_param);

/* the one-record page whose total_count ANALYZE reads; false: none */
extern bool ic_count_request(const IcStream *stream, IcRequest *request);

/* "METHOD path body", as EXPLAIN shows a request */
/* outside the scans: IMPORT, copies, writes */
extern IcRequest ic_data_attributes_request(const char *model);
extern IcRequest ic_me_request(void);
extern IcRequest ic_feed_request(const IcStream *feed, int per_page, int page);
extern IcRequest ic_status_request(const IcStream *stream, const char *id);
extern IcRequest ic_write_request(const char *method, char *path, char *body, bool creates);

extern char *ic_request_text(const IcRequest *request);

#endif							/* INTERCOM_REQUEST_H */
