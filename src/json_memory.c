/*-------------------------------------------------------------------------
 *
 * json_memory.c
 *		Where jansson's memory comes from: a bump arena in a memory context
 *		while a response is parsed, malloc otherwise.
 *
 * Parsing a page builds tens of thousands of small nodes, and with malloc
 * their allocation, freeing and consolidation cost about a quarter of a
 * full scan's CPU (bench/results/perf.txt).  Every parsed tree lives exactly
 * as long as the memory context it is attached to (ic_json_attach), so
 * while a response is parsed the nodes are cut from large blocks of that
 * context and freeing one is a no-op; the context's reset returns them all.
 *
 * Trees still get json_decref'd when their context goes (the callback of
 * ic_json_attach): nodes added later (conversation_parts stamps each part)
 * come from malloc and must be freed.  Each chunk carries a header saying
 * where it came from, so the free function does the right thing for both.
 *
 * The arena never raises an error from inside jansson: out of memory is a
 * NULL, which jansson turns into a parse failure.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include "utils/memutils.h"

#define CHUNK_HEADER	16			/* keeps 16-byte alignment */
#define ARENA_BLOCK		(64 * 1024)
#define FROM_MALLOC		UINT64CONST(0x1C0FA110C0DEF00D)
#define FROM_ARENA		UINT64CONST(0x1C0FA7E4AB1A5E00)

static MemoryContext arena_cxt = NULL;
static char *arena_next = NULL;
static char *arena_end = NULL;

static void *
json_alloc(size_t size)
{
	size_t		need = (size + CHUNK_HEADER + 15) & ~((size_t) 15);
	char	   *chunk;

	if (arena_cxt == NULL)
	{
		chunk = malloc(need);
		if (chunk == NULL)
			return NULL;
		*(uint64 *) chunk = FROM_MALLOC;
		return chunk + CHUNK_HEADER;
	}
	if (arena_next == NULL || (size_t) (arena_end - arena_next) < need)
	{
		size_t		block = Max(need, ARENA_BLOCK);

		arena_next = MemoryContextAllocExtended(arena_cxt, block + 15,
												MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
		if (arena_next == NULL)
			return NULL;
		arena_next = (char *) TYPEALIGN(16, arena_next);
		arena_end = arena_next + block;
	}
	chunk = arena_next;
	arena_next += need;
	*(uint64 *) chunk = FROM_ARENA;
	return chunk + CHUNK_HEADER;
}

static void
json_free(void *ptr)
{
	char	   *chunk;

	if (ptr == NULL)
		return;
	chunk = (char *) ptr - CHUNK_HEADER;
	if (*(uint64 *) chunk == FROM_MALLOC)
		free(chunk);
	/* FROM_ARENA: its context's reset returns it */
}

/* Called once from _PG_init, before any jansson call. */
void
ic_json_memory_init(void)
{
	json_set_alloc_funcs(json_alloc, json_free);
}

/* Free what jansson returned to us (json_dumps' strings). */
void
ic_json_free(void *ptr)
{
	json_free(ptr);
}

/*
 * ic_json_parse
 *		Parse a response body with its nodes cut from the current memory
 *		context, which the caller must make own the tree (ic_json_attach).
 *		NULL if the text is not JSON.
 */
json_t *
ic_json_parse(const char *text, size_t len, size_t flags)
{
	json_error_t jerr;
	json_t	   *root;

	Assert(arena_cxt == NULL);
	arena_cxt = CurrentMemoryContext;
	arena_next = arena_end = NULL;
	root = json_loadb(text, len, flags, &jerr);
	arena_cxt = NULL;
	arena_next = arena_end = NULL;
	return root;
}
