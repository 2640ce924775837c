/*-------------------------------------------------------------------------
 *
 * by_id.c
 *		The paging style of reads by id (WHERE id = X, id IN (...)) and by a
 *		lookup value (companies' company_id): one GET each, a 404 is no row.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "pager.h"

static const long pass_404[] = {404, 0};

/* The next id's record: a page of one (or the page its GET returns). */
void
ic_fetch_by_id(IcPager *p)
{
	while (p->next_id < list_length(p->ids))
	{
		char	   *id = strVal(list_nth(p->ids, p->next_id++));
		IcRequest	r = ic_record_request(&p->listing, id);
		IcJson	   *root;
		IcAnswers	answers = {pass_404, NULL};

		root = ic_http_send(p->conn, &r, ic_page_reader(NULL), &answers, p->stats);
		if (root == NULL)
			continue;			/* no such record: no row */
		p->pages++;
		p->current_id = id;
		/* a child endpoint's list is its parent's rows: the whole page (children.c) */
		if (p->listing.child == NULL && ic_json_is(ic_json_get(root, "data"), IC_JSON_ARRAY))
			p->records = ic_json_get(root, "data");
		else
		{
			/* the record itself: a page of one */
			p->records = palloc(sizeof(IcJson));
			p->records->type = IC_JSON_ARRAY;
			p->records->len = 1;
			p->records->u.items = root;
		}
		return;
	}
	p->exhausted = true;
}

