/*
 * decode_compare: the CPU cost of decoding one Intercom page with each
 * candidate parser, in a plain C program (no PostgreSQL server, no network).
 *
 *   decode_compare PAGE.json [iterations [list_key]]
 *
 * Build (from the repository root):
 *   gcc -O2 -I src/decoding -I $(pg_config --includedir-server) -I $(pg_config --includedir) \
 *       -o decode_compare bench/decode_compare.c src/decoding/json_decode.c \
 *       -L $(pg_config --libdir) -L $(pg_config --pkglibdir) -lpgcommon -lpgport -ljansson
 *
 * Candidates: jansson (the old page parser: a tree of malloc'd nodes),
 * PostgreSQL's jsonapi.c as a pure validator (no semantic actions: its
 * lower bound, before any value is even handed out), jsonapi with scalar
 * callbacks that receive every de-escaped value (still no tree), and
 * json_decode.c (the exact tree the FDW uses, and its count mode).
 * bench/results/decode.md has its output for a contacts and a conversations
 * page of the fake's bench dataset.
 */
#include "postgres_fe.h"

#include <jansson.h>
#include <time.h>

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "json_decode.h"

/* what json_decode.c, built against postgres.h, links to */
typedef struct MemoryContextData *MemoryContext;
MemoryContext CurrentMemoryContext = NULL;
extern void *MemoryContextAllocHuge(MemoryContext context, Size size);
extern void *repalloc_huge(void *pointer, Size size);

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return pg_malloc(size);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return pg_realloc(pointer, size);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static long scalars;

static void
count_scalar(void *state, char *token, JsonTokenType type)
{
	scalars++;
	if (token)
		pfree(token);			/* jsonapi hands over a copy of each value */
}

int
main(int argc, char **argv)
{
	FILE	   *f = fopen(argv[1], "rb");
	long		len;
	char	   *text;
	int			iterations = argc > 2 ? atoi(argv[2]) : 200;
	const char *list_key = argc > 3 ? argv[3] : "data";
	double		t;
	json_t	   *root;
	IcJson	   *tree;
	size_t		records = 0;

	if (f == NULL)
		return 2;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = pg_malloc(len + 1);
	if (fread(text, 1, len, f) != (size_t) len)
		return 2;
	text[len] = '\0';

	root = json_loadb(text, len, 0, NULL);
	if (root)
		records = json_array_size(json_object_get(root, list_key));
	json_decref(root);
	printf("page: %ld bytes, %zu records, %d iterations; CPU microseconds per record\n",
		   len, records, iterations);
	if (records == 0)
		records = 1;

	t = now_us();
	for (int i = 0; i < iterations; i++)
	{
		root = json_loadb(text, len, 0, NULL);
		json_decref(root);
	}
	printf("%-48s %8.2f\n", "jansson json_loadb (tree) + json_decref",
		   (now_us() - t) / iterations / records);

	t = now_us();
	for (int i = 0; i < iterations; i++)
	{
		JsonLexContext *lex = makeJsonLexContextCstringLen(text, len, PG_UTF8, false);

		if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
			printf("jsonapi rejected the page\n");
		pfree(lex);
	}
	printf("%-48s %8.2f\n", "jsonapi pg_parse_json, validate only",
		   (now_us() - t) / iterations / records);

	t = now_us();
	for (int i = 0; i < iterations; i++)
	{
		JsonLexContext *lex = makeJsonLexContextCstringLen(text, len, PG_UTF8, true);
		JsonSemAction sem = {0};

		sem.scalar = count_scalar;
		if (pg_parse_json(lex, &sem) != JSON_SUCCESS)
			printf("jsonapi rejected the page\n");
		if (lex->strval)
		{
			pfree(lex->strval->data);
			pfree(lex->strval);
		}
		pfree(lex);
	}
	printf("%-48s %8.2f\n", "jsonapi with every scalar de-escaped (no tree)",
		   (now_us() - t) / iterations / records);

	t = now_us();
	for (int i = 0; i < iterations; i++)
	{
		IcDecodeOptions options = {NULL, 0};

		tree = ic_json_decode(text, len, &options);
		if (tree == NULL)
			printf("json_decode rejected the page\n");
		/* the arena is leaked here: a server context reset frees it */
	}
	printf("%-48s %8.2f\n", "json_decode.c (exact tree)",
		   (now_us() - t) / iterations / records);

	t = now_us();
	for (int i = 0; i < iterations; i++)
	{
		IcDecodeOptions options = {list_key, 0};

		if (ic_json_decode(text, len, &options) == NULL)
			printf("json_decode rejected the page\n");
	}
	printf("%-48s %8.2f\n", "json_decode.c count mode (count(*))",
		   (now_us() - t) / iterations / records);
	return 0;
}
