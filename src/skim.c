/*-------------------------------------------------------------------------
 *
 * skim.c
 *		Read a list page without building its records: for queries that
 *		need no column at all (count(*), EXISTS, a join on nothing).
 *
 * Building a jansson tree costs about as much CPU as everything else in a
 * scan together (bench/results/latest.md), and a query that reads no column
 * throws the tree away unread.  ic_json_skim walks the page once, counts the
 * elements of the envelope's record array, and parses only the small
 * "pages" object that carries the next cursor.  What it returns looks like
 * the page to the pager: {"<list_key>": [null, null, ...], "pages": {...}}.
 *
 * It checks the structure (strings closed, brackets balanced, one complete
 * top-level object), so a truncated or HTML body is rejected as the full
 * parser would reject it, and then retried the same way.  It does not check
 * scalar spelling inside records it never reads.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

typedef struct Skimmer
{
	const char *p;
	const char *end;
} Skimmer;

static void
skip_space(Skimmer *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

/* Past a string whose opening quote is at s->p; false if unterminated. */
static bool
skip_string(Skimmer *s)
{
	s->p++;
	while (s->p < s->end)
	{
		const char *q = memchr(s->p, '"', s->end - s->p);
		const char *b;
		int			backslashes = 0;

		if (q == NULL)
			return false;
		/* the quote ends the string unless an odd run of backslashes escapes it */
		for (b = q - 1; b >= s->p && *b == '\\'; b--)
			backslashes++;
		s->p = q + 1;
		if (backslashes % 2 == 0)
			return true;
	}
	return false;
}

/*
 * Past one value of any kind.  Containers are crossed with a depth counter,
 * strings with skip_string; scalars run to the next delimiter.
 */
static bool
skip_value(Skimmer *s)
{
	int			depth = 0;

	skip_space(s);
	if (s->p >= s->end)
		return false;
	if (*s->p != '{' && *s->p != '[')
	{
		if (*s->p == '"')
			return skip_string(s);
		while (s->p < s->end && strchr(",}] \n\r\t", *s->p) == NULL)
			s->p++;
		return s->p < s->end;
	}
	while (s->p < s->end)
	{
		char		c = *s->p;

		if (c == '"')
		{
			if (!skip_string(s))
				return false;
			continue;
		}
		s->p++;
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
		{
			if (--depth == 0)
				return true;
		}
	}
	return false;
}

/* Count the elements of the array at s->p and step past it; -1 if malformed. */
static int64
count_array(Skimmer *s)
{
	int64		n = 0;

	s->p++;						/* '[' */
	skip_space(s);
	if (s->p < s->end && *s->p == ']')
	{
		s->p++;
		return 0;
	}
	for (;;)
	{
		if (!skip_value(s))
			return -1;
		n++;
		skip_space(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ']')
		{
			s->p++;
			return n;
		}
		if (*s->p != ',')
			return -1;
		s->p++;
	}
}

/*
 * ic_json_skim
 *		The page's shape without its records (see the header comment), or
 *		NULL when the text is not one complete JSON object.  With list_key
 *		NULL only "pages" is kept (the next cursor, nothing counted).
 */
json_t *
ic_json_skim(const char *text, size_t len, const char *list_key)
{
	Skimmer		s = {text, text + len};
	/* json_object() would bind to PostgreSQL's SQL function of that name */
	json_t	   *page = json_pack("{}");
	size_t		key_len = list_key ? strlen(list_key) : 0;

	skip_space(&s);
	if (page == NULL || s.p >= s.end || *s.p != '{')
		goto malformed;
	s.p++;
	skip_space(&s);
	if (s.p < s.end && *s.p == '}')
		s.p++;
	else
		for (;;)
		{
			const char *key;
			size_t		klen;
			const char *value;

			skip_space(&s);
			if (s.p >= s.end || *s.p != '"')
				goto malformed;
			key = s.p + 1;
			if (!skip_string(&s))
				goto malformed;
			klen = s.p - 1 - key;
			skip_space(&s);
			if (s.p >= s.end || *s.p != ':')
				goto malformed;
			s.p++;
			skip_space(&s);
			value = s.p;
			if (list_key && klen == key_len && memcmp(key, list_key, klen) == 0 &&
				s.p < s.end && *s.p == '[')
			{
				int64		n = count_array(&s);
				json_t	   *records = json_array();

				if (n < 0 || records == NULL)
				{
					json_decref(records);
					goto malformed;
				}
				while (n-- > 0)
					json_array_append_new(records, json_null());
				json_object_set_new(page, list_key, records);
			}
			else
			{
				if (!skip_value(&s))
					goto malformed;
				if (klen == 5 && memcmp(key, "pages", 5) == 0)
				{
					json_t	   *pages = json_loadb(value, s.p - value, JSON_DECODE_ANY, NULL);

					if (pages == NULL)
						goto malformed;
					json_object_set_new(page, "pages", pages);
				}
			}
			skip_space(&s);
			if (s.p >= s.end)
				goto malformed;
			if (*s.p == '}')
			{
				s.p++;
				break;
			}
			if (*s.p != ',')
				goto malformed;
			s.p++;
		}
	skip_space(&s);
	if (s.p != s.end)
		goto malformed;
	return page;

malformed:
	json_decref(page);
	return NULL;
}
