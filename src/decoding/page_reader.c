/*-------------------------------------------------------------------------
 *
 * page_reader.c
 *		The page decoder as the HTTP layer's reader of 2xx bodies, so that
 *		the HTTP layer decodes without knowing what a page is.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

/* A response body as a decoded page, for the HTTP layer (IcReader). */
static void *
read_page(const char *body, size_t len, const void *arg, IcStats *stats)
{
	IcDecodeOptions options = {(const char *) arg, 0};
	IcJson	   *root = ic_json_decode(body, len, &options);

	if (root)
	{
		stats->replaced_chars += options.replaced;
		ic_backend_stats.replaced_chars += options.replaced;
	}
	return root;
}

/*
 * ic_page_reader
 *		What the HTTP layer makes of a 2xx body: a decoded page (pointing
 *		into the body), or NULL when the body is not JSON.  With count_key,
 *		the records under that key are counted, not built (count(*)).
 */
IcReader
ic_page_reader(const char *count_key)
{
	IcReader	reader = {read_page, count_key};

	return reader;
}
