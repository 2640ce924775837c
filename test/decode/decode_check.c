/*
 * decode_check: src/decoding/json_decode.c on its own, outside PostgreSQL.
 *
 * Reads one JSON text from stdin, decodes it, and prints the tree as JSON
 * on stdout with objects reduced to their last duplicate (as lookups see
 * them) and keys sorted, numbers exactly as decoded, strings with every
 * non-ASCII character escaped; then the replacement count on stderr.
 * Exit status 1 when the decoder rejects the text.  --count KEY decodes in
 * count mode and prints only the root's KEY element count.
 * test/decode/test_decode.py compares this with Python's json module.
 *
 * The few PostgreSQL memory functions the decoder uses are malloc here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postgres.h"
#include "json_decode.h"

MemoryContext CurrentMemoryContext = NULL;

void *
palloc(Size size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
repalloc_huge(void *pointer, Size size)
{
	void	   *p = realloc(pointer, size);

	if (p == NULL)
		abort();
	return p;
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return palloc(size);
}

static void
put_string(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;

	putchar('"');
	while (p < end)
	{
		unsigned int cp;
		int			n;

		if (*p < 0x80)
		{
			if (*p == '"' || *p == '\\')
				printf("\\%c", *p);
			else if (*p < 0x20)
				printf("\\u%04x", *p);
			else
				putchar(*p);
			p++;
			continue;
		}
		n = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
		cp = *p & (0xFF >> (n + 1));
		for (int i = 1; i < n; i++)
			cp = (cp << 6) | (p[i] & 0x3F);
		p += n;
		if (cp >= 0x10000)
		{
			cp -= 0x10000;
			printf("\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
		}
		else
			printf("\\u%04x", cp);
	}
	putchar('"');
}

static int
compare_keys(const void *a, const void *b)
{
	const IcJsonMember *x = *(IcJsonMember *const *) a;
	const IcJsonMember *y = *(IcJsonMember *const *) b;
	size_t		n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int			c = memcmp(x->key, y->key, n);

	return c ? c : (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

static void
put_value(const IcJson *v)
{
	switch ((IcJsonType) v->type)
	{
		case IC_JSON_NULL:
			fputs("null", stdout);
			break;
		case IC_JSON_TRUE:
			fputs("true", stdout);
			break;
		case IC_JSON_FALSE:
			fputs("false", stdout);
			break;
		case IC_JSON_NUMBER:
			fwrite(v->u.text, 1, v->len, stdout);
			break;
		case IC_JSON_STRING:
			put_string(v->u.text, v->len);
			break;
		case IC_JSON_ARRAY:
			putchar('[');
			for (uint32_t i = 0; i < v->len; i++)
			{
				if (i)
					putchar(',');
				put_value(ic_json_item(v, i));
			}
			putchar(']');
			break;
		case IC_JSON_OBJECT:
			{
				IcJsonMember **live = malloc(sizeof(IcJsonMember *) * (v->len + 1));
				uint32_t	n = 0;

				/* the members a lookup finds: the last of each key */
				for (uint32_t i = 0; i < v->len; i++)
				{
					IcJsonMember *m = &v->u.members[i];

					if (ic_json_get_len(v, m->key, m->keylen) == &m->value)
						live[n++] = m;
				}
				qsort(live, n, sizeof(*live), compare_keys);
				putchar('{');
				for (uint32_t i = 0; i < n; i++)
				{
					if (i)
						putchar(',');
					put_string(live[i]->key, live[i]->keylen);
					putchar(':');
					put_value(&live[i]->value);
				}
				putchar('}');
				free(live);
			}
			break;
	}
}

int
main(int argc, char **argv)
{
	size_t		cap = 1 << 16;
	size_t		len = 0;
	size_t		n;
	char	   *text = malloc(cap + 1);
	IcDecodeOptions options = {NULL, 0};
	IcJson	   *root;

	if (argc == 3 && strcmp(argv[1], "--count") == 0)
		options.count_key = argv[2];
	while ((n = fread(text + len, 1, cap - len, stdin)) > 0)
	{
		len += n;
		if (len == cap)
			text = realloc(text, (cap *= 2) + 1);
	}
	text[len] = '\0';
	root = ic_json_decode(text, len, &options);
	if (root == NULL)
		return 1;
	if (options.count_key)
	{
		IcJson	   *list = ic_json_get(root, options.count_key);

		printf("%u", list ? list->len : 0);
	}
	else
		put_value(root);
	fprintf(stderr, "%lld\n", (long long) options.replaced);
	return 0;
}
