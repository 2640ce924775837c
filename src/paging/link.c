/*-------------------------------------------------------------------------
 *
 * link.c
 *		Link tables (IC_PAGING_LINK): one row per element of a list that a
 *		parent record inlines, complete even where the inlined list is cut.
 *
 * contact_tags reads contacts and returns (contact_id, tag_id) for each
 * element of a contact's tags.data; team_admins reads teams and returns
 * (team_id, admin_id) for each of admin_ids.  The stream row says where the
 * list sits in the parent (link_path), which member of an element is the
 * child's id (link_child; NULL: the element is the id), and, for lists that
 * Intercom inlines only in part (at most 10 tags or companies per contact),
 * the flag that says so (link_more) and the endpoint with the whole list
 * (link_expand).  Only a parent whose list says has_more costs a request.
 *
 * Each row is an object with the parent's id and updated_at under the
 * stream's stamp names, the child's id under link_column, and "id", the two
 * ids joined by a slash: a key for materialize, unique per link.  A list
 * that names a child twice links it once: a link is a pair, not a count.
 *
 * IDENTIFICATION
 *		src/link.c
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "request.h"

#include "miscadmin.h"

#define LINK_MEMBERS 4			/* id, parent id, parent updated_at, child id */

static const long pass_404[] = {404, 0};

/* The value at a dotted path of an object, or NULL (children.c too). */
IcJson *
ic_json_dotted(IcJson *value, const char *path)
{
	const char *start = path;

	while (value && *start)
	{
		const char *dot = strchr(start, '.');
		size_t		len = dot ? (size_t) (dot - start) : strlen(start);

		value = ic_json_get_len(value, start, len);
		start = dot ? dot + 1 : start + len;
	}
	return value;
}

/* An element's id as text: a string, a number's digits, else NULL. */
static char *
child_id(const IcStream *stream, IcJson *element)
{
	IcJson	   *id = stream->link_child ? ic_json_dotted(element, stream->link_child) : element;

	if (ic_json_is(id, IC_JSON_STRING) || ic_json_is(id, IC_JSON_NUMBER))
		return pnstrdup(id->u.text, id->len);
	return NULL;
}

/*
 * expanded_list
 *		The whole list of a parent whose inlined one has has_more: GET the
 *		expansion endpoint, and its next page numbers while pages.total_pages
 *		says there are more (GET /contacts/{id}/companies pages, .../tags
 *		does not).  A parent deleted since the listing (404) has
 *		no links.
 */
static List *
expanded_list(const IcStream *stream, const char *parent_id, IcConnection *conn,
			  IcStats *stats)
{
	List	   *elements = NIL;
	int			page = 1;

	for (;;)
	{
		IcRequest	r = ic_link_list_request(stream, parent_id, page);
		IcJson	   *root;
		IcJson	   *data;
		IcJson	   *total;
		IcAnswers	answers = {pass_404, NULL};

		CHECK_FOR_INTERRUPTS();
		root = ic_http_send(conn, &r, ic_page_reader(NULL), &answers, stats);
		if (root == NULL)
			return NIL;
		data = ic_json_get(root, "data");
		if (!ic_json_is(data, IC_JSON_ARRAY))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("Intercom response to GET %s has no \"data\" array", r.path),
					 errdetail("Stream %s expands the lists its parent inlines only in part.",
							   stream->name),
					 errhint("Check the server option api_version; the envelope may differ in this version.")));
		for (uint32 i = 0; i < data->len; i++)
			elements = lappend(elements, &data->u.items[i]);
		total = ic_json_get(ic_json_get(root, "pages"), "total_pages");
		if (data->len == 0 || !ic_json_is(total, IC_JSON_NUMBER) ||
			page >= atoi(pnstrdup(total->u.text, total->len)))
			return elements;
		page++;
	}
}

/* Is cid among the first n rows' children already? */
static bool
already_linked(IcJson *rows, uint32 n, const char *column, const char *cid)
{
	size_t		len = strlen(cid);

	for (uint32 i = 0; i < n; i++)
	{
		IcJson	   *v = ic_json_get(&rows[i], column);

		if (v && v->len == len && memcmp(v->u.text, cid, len) == 0)
			return true;
	}
	return false;
}

/*
 * ic_link_rows
 *		The link rows of one parent record, as an array of objects allocated
 *		in the current memory context.
 */
IcJson *
ic_link_rows(const IcStream *stream, IcJson *parent, IcConnection *conn, IcStats *stats)
{
	IcJson	   *rows = palloc0(sizeof(IcJson));
	char	   *pid = ic_json_record_id(parent);
	IcJson	   *list = ic_json_dotted(parent, stream->link_path);
	IcJson	   *updated = ic_json_get(parent, "updated_at");
	IcJson		null = {IC_JSON_NULL, 0, {NULL}};
	List	   *elements = NIL;
	ListCell   *lc;
	uint32		n = 0;

	rows->type = IC_JSON_ARRAY;
	if (pid == NULL)
		return rows;			/* no parent id: nothing to link */
	if (stream->link_more && ic_json_is(ic_json_dotted(parent, stream->link_more), IC_JSON_TRUE))
		elements = expanded_list(stream, pid, conn, stats);
	else if (ic_json_is(list, IC_JSON_ARRAY))
		for (uint32 i = 0; i < list->len; i++)
			elements = lappend(elements, &list->u.items[i]);

	rows->u.items = palloc(sizeof(IcJson) * Max(list_length(elements), 1));
	foreach(lc, elements)
	{
		char	   *cid = child_id(stream, lfirst(lc));
		IcJsonMember *m;
		int			k = 0;

		if (cid == NULL || already_linked(rows->u.items, n, stream->link_column, cid))
			continue;			/* no id links nothing; a repeated one links once */
		m = palloc(sizeof(IcJsonMember) * LINK_MEMBERS);
		m[k].key = "id";
		m[k++].value = ic_json_string(psprintf("%s/%s", pid, cid));
		m[k].key = stream->stamps[IC_STAMP_ID];
		m[k++].value = ic_json_string(pid);
		/* only the members the table has columns for: _extra stays {} */
		if (stream->stamps[IC_STAMP_UPDATED_AT])
		{
			m[k].key = stream->stamps[IC_STAMP_UPDATED_AT];
			m[k++].value = updated ? *updated : null;
		}
		m[k].key = stream->link_column;
		m[k++].value = ic_json_string(cid);
		for (int j = 0; j < k; j++)
			m[j].keylen = strlen(m[j].key);
		rows->u.items[n].type = IC_JSON_OBJECT;
		rows->u.items[n].len = k;
		rows->u.items[n].u.members = m;
		n++;
	}
	rows->len = n;
	return rows;
}
