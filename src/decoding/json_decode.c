/*-------------------------------------------------------------------------
 *
 * json_decode.c
 *		Decode a response body in one pass into a compact tree of exact
 *		values: every page of every stream goes through here.
 *
 * Why not jansson: it stores numbers as int64 or double, so a custom
 * attribute of 18446744073709551617 fails the whole page and 0.1 + 0.2
 * loses digits, and building its nodes was half of a full scan's CPU.
 * Why not PostgreSQL's jsonapi.c: it raises errors on \u0000 and lone
 * surrogates, which are valid JSON, and its callback-per-token design
 * measured slower than this loop (see the note of issue 11).
 *
 * What the tree keeps:
 *	- numbers as the exact text that was sent (validated against RFC 8259);
 *	  the column's type input function decides what fits;
 *	- strings decoded to UTF-8.  Unescaped strings point into the body
 *	  itself (no copy).  What PostgreSQL cannot store, \u0000, a lone
 *	  surrogate, or bytes that are not UTF-8, becomes U+FFFD and is counted;
 *	- object members in the order sent; lookups take the last of duplicate
 *	  keys, as jsonb does.
 *
 * The parser is a loop with an explicit stack, not recursion, so 10,000
 * levels of nesting cost memory in proportion and never the C stack.
 * Children of an open container wait on one scratch stack and are copied
 * into a contiguous array when it closes.  All memory comes from large
 * blocks of the current memory context, freed with the page.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_decode.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define ARENA_BLOCK		(64 * 1024)

typedef struct Frame
{
	bool		object;
	bool		skip;			/* children are validated, not built */
	bool		counted;		/* the count_key array itself */
	size_t		start;			/* first child on the scratch stack */
	uint32_t	count;
	const char *key;			/* object: the member whose value is next */
	uint32_t	keylen;
} Frame;

typedef struct Parser
{
	const unsigned char *p;
	const unsigned char *end;
	IcJsonMember *scratch;		/* children of open containers */
	size_t		top;
	size_t		cap;
	Frame	   *frames;
	int			depth;
	int			frames_cap;
	char	   *arena_next;
	char	   *arena_end;
	const char *count_key;
	size_t		count_keylen;
	int64_t		replaced;
} Parser;

static const IcJson counted_element = {IC_JSON_NULL, 0, {NULL}};

/* ---------- memory ---------- */

static void *
arena_alloc(Parser *ps, size_t size)
{
	char	   *chunk;

	size = MAXALIGN(size);
	if ((size_t) (ps->arena_end - ps->arena_next) < size)
	{
		size_t		block = Max(size, ARENA_BLOCK);

		ps->arena_next = MemoryContextAllocHuge(CurrentMemoryContext, block);
		ps->arena_end = ps->arena_next + block;
	}
	chunk = ps->arena_next;
	ps->arena_next += size;
	return chunk;
}

static void
push_child(Parser *ps, const char *key, uint32_t keylen, const IcJson *value)
{
	if (ps->top == ps->cap)
	{
		ps->cap *= 2;
		ps->scratch = repalloc_huge(ps->scratch, ps->cap * sizeof(IcJsonMember));
	}
	ps->scratch[ps->top].key = key;
	ps->scratch[ps->top].keylen = keylen;
	ps->scratch[ps->top].value = *value;
	ps->top++;
}

/* ---------- lexing ---------- */

static inline void
skip_space(Parser *ps)
{
	while (ps->p < ps->end &&
		   (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

/* Bytes of the well-formed UTF-8 sequence at s (2 to 4), or 0. */
static inline int
utf8_length(const unsigned char *s, const unsigned char *end)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	int			n;

	if (c < 0xC2 || c > 0xF4)
		return 0;
	n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if (end - s < n)
		return 0;
	if (c == 0xE0)
		lo = 0xA0;				/* overlong */
	else if (c == 0xED)
		hi = 0x9F;				/* UTF-16 surrogates */
	else if (c == 0xF0)
		lo = 0x90;				/* overlong */
	else if (c == 0xF4)
		hi = 0x8F;				/* beyond U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/*
 * Bytes of the ill-formed sequence at s that one U+FFFD replaces: its
 * "maximal subpart" (Unicode 15, section 3.9), at least one byte.
 */
static int
utf8_bad_length(const unsigned char *s, const unsigned char *end)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	int			n;
	int			i;

	if (c < 0xC2 || c > 0xF4)
		return 1;
	n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (end - s < 2 || s[1] < lo || s[1] > hi)
		return 1;
	for (i = 2; i < n && i < end - s && (s[i] & 0xC0) == 0x80; i++)
		;
	return i;
}

static inline int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The four hex digits at s (after "\u"), or -1. */
static int
hex4(const unsigned char *s, const unsigned char *end)
{
	int			v = 0;

	if (end - s < 4)
		return -1;
	for (int i = 0; i < 4; i++)
	{
		int			h = hex_value(s[i]);

		if (h < 0)
			return -1;
		v = (v << 4) | h;
	}
	return v;
}

static int
encode_utf8(unsigned int cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

#define REPLACEMENT_CHARACTER 0xFFFD

/*
 * skip_plain
 *		The first byte at or after s that a string's fast path must look at:
 *		a quote, a backslash, a control character or a non-ASCII byte; end if
 *		none.  Strings are most of a page's bytes, so with SSE2 (every
 *		x86-64) this looks at 16 bytes at a time.
 */
static inline const unsigned char *
skip_plain(const unsigned char *s, const unsigned char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i backslash = _mm_set1_epi8('\\');
	const __m128i control_max = _mm_set1_epi8(0x1F);

	while (end - s >= 16)
	{
		__m128i		v = _mm_loadu_si128((const __m128i *) s);
		__m128i		special = _mm_or_si128(_mm_cmpeq_epi8(v, quote),
										   _mm_cmpeq_epi8(v, backslash));
		int			mask;

		/* max(v, 0x1F) == 0x1F exactly for the bytes 0x00 to 0x1F */
		special = _mm_or_si128(special, _mm_cmpeq_epi8(_mm_max_epu8(v, control_max), control_max));
		mask = _mm_movemask_epi8(special) | _mm_movemask_epi8(v);	/* v: bytes >= 0x80 */
		if (mask != 0)
			return s + __builtin_ctz(mask);
		s += 16;
	}
#endif
	while (s < end && *s != '"' && *s != '\\' && *s >= 0x20 && *s < 0x80)
		s++;
	return s;
}

/*
 * The closing quote of the string whose content starts at s, or NULL: the
 * first quote that no backslash escapes.  count(*) skips every string of a
 * page with this, so it too looks at 16 bytes at a time.
 */
static const unsigned char *
closing_quote(const unsigned char *s, const unsigned char *end)
{
	for (;;)
	{
#ifdef __SSE2__
		const __m128i quote = _mm_set1_epi8('"');
		const __m128i backslash = _mm_set1_epi8('\\');

		while (end - s >= 16)
		{
			__m128i		v = _mm_loadu_si128((const __m128i *) s);
			int			mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
															  _mm_cmpeq_epi8(v, backslash)));

			if (mask != 0)
			{
				s += __builtin_ctz(mask);
				break;
			}
			s += 16;
		}
#endif
		while (s < end && *s != '"' && *s != '\\')
			s++;
		if (s >= end)
			return NULL;
		if (*s == '"')
			return s;
		s += 2;					/* a backslash and the byte it escapes */
		if (s > end)
			return NULL;
	}
}

/*
 * decode_escaped
 *		The slow path of a string: escapes, or bytes that must be replaced.
 *		done is the prefix [start, q) already known to be plain; close is the
 *		closing quote.  False if the string is not valid JSON.
 */
static bool
decode_escaped(Parser *ps, const unsigned char *start, const unsigned char *q,
			   const unsigned char *close, const char **text, uint32_t *len)
{
	/* escapes shrink; only a replaced byte grows (1 byte to 3) */
	size_t		cap = (close - start) + 16;
	char	   *out = palloc(cap);
	size_t		n = q - start;

	memcpy(out, start, n);
	while (q < close)
	{
		unsigned char c = *q;

		if (n + 4 > cap)
		{
			cap *= 2;
			out = repalloc_huge(out, cap);
		}
		if (c == '\\')
		{
			int			cp;

			if (close - q < 2)
				return false;
			switch (q[1])
			{
				case '"':
				case '\\':
				case '/':
					out[n++] = (char) q[1];
					q += 2;
					continue;
				case 'b':
					out[n++] = '\b';
					q += 2;
					continue;
				case 'f':
					out[n++] = '\f';
					q += 2;
					continue;
				case 'n':
					out[n++] = '\n';
					q += 2;
					continue;
				case 'r':
					out[n++] = '\r';
					q += 2;
					continue;
				case 't':
					out[n++] = '\t';
					q += 2;
					continue;
				case 'u':
					break;
				default:
					return false;
			}
			cp = hex4(q + 2, close);
			if (cp < 0)
				return false;
			q += 6;
			if (cp >= 0xD800 && cp <= 0xDBFF && close - q >= 6 &&
				q[0] == '\\' && q[1] == 'u')
			{
				int			low = hex4(q + 2, close);

				if (low >= 0xDC00 && low <= 0xDFFF)
				{
					cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
					q += 6;
				}
			}
			if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
			{
				/* \u0000 or a lone surrogate: text cannot hold it */
				cp = REPLACEMENT_CHARACTER;
				ps->replaced++;
			}
			n += encode_utf8((unsigned int) cp, out + n);
		}
		else if (c < 0x20)
			return false;		/* control characters must be escaped */
		else if (c < 0x80)
			out[n++] = (char) c, q++;
		else
		{
			int			k = utf8_length(q, close);

			if (k > 0)
			{
				memcpy(out + n, q, k);
				n += k;
				q += k;
			}
			else
			{
				n += encode_utf8(REPLACEMENT_CHARACTER, out + n);
				ps->replaced++;
				q += utf8_bad_length(q, close);
			}
		}
	}
	*text = out;
	*len = (uint32_t) n;
	return true;
}

/*
 * parse_string
 *		The string at ps->p (its opening quote).  Plain strings, the common
 *		case, are scanned once and point into the body.
 */
static bool
parse_string(Parser *ps, bool build, const char **text, uint32_t *len)
{
	const unsigned char *start = ps->p + 1;
	const unsigned char *q = start;
	const unsigned char *end = ps->end;
	const unsigned char *close;

	if (!build)
	{
		/* validated as the skim did: the string is closed */
		close = closing_quote(start, end);
		if (close == NULL)
			return false;
		ps->p = close + 1;
		return true;
	}
	for (;;)
	{
		unsigned char c;
		int			k;

		q = skip_plain(q, end);
		if (q >= end)
			break;
		c = *q;
		if (c == '"')
		{
			if ((size_t) (q - start) > PG_UINT32_MAX)
				return false;
			*text = (const char *) start;
			*len = (uint32_t) (q - start);
			ps->p = q + 1;
			return true;
		}
		if (c < 0x80)
			break;				/* an escape or a control character */
		k = utf8_length(q, end);
		if (k == 0)
			break;				/* not UTF-8: replaced on the slow path */
		q += k;
	}
	close = closing_quote(q, end);
	if (close == NULL || (size_t) (close - start) > PG_UINT32_MAX / 4)
		return false;
	if (!decode_escaped(ps, start, q, close, text, len))
		return false;
	ps->p = close + 1;
	return true;
}

/* A number as RFC 8259 spells it; the value keeps its text. */
static bool
parse_number(Parser *ps, IcJson *value)
{
	const unsigned char *s = ps->p;
	const unsigned char *q = s;
	const unsigned char *end = ps->end;

	if (q < end && *q == '-')
		q++;
	if (q < end && *q == '0')
		q++;
	else if (q < end && *q >= '1' && *q <= '9')
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	else
		return false;
	if (q < end && *q == '.')
	{
		q++;
		if (q >= end || *q < '0' || *q > '9')
			return false;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E'))
	{
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q >= end || *q < '0' || *q > '9')
			return false;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	value->type = IC_JSON_NUMBER;
	value->len = (uint32_t) (q - s);
	value->u.text = (const char *) s;
	ps->p = q;
	return true;
}

static bool
parse_literal(Parser *ps, const char *word, size_t n, IcJsonType type, IcJson *value)
{
	if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return false;
	ps->p += n;
	value->type = type;
	value->len = 0;
	value->u.text = NULL;
	return true;
}

static bool
parse_scalar(Parser *ps, bool build, IcJson *value)
{
	switch (*ps->p)
	{
		case '"':
			value->type = IC_JSON_STRING;
			value->u.text = NULL;
			value->len = 0;
			return parse_string(ps, build, &value->u.text, &value->len);
		case 't':
			return parse_literal(ps, "true", 4, IC_JSON_TRUE, value);
		case 'f':
			return parse_literal(ps, "false", 5, IC_JSON_FALSE, value);
		case 'n':
			return parse_literal(ps, "null", 4, IC_JSON_NULL, value);
		default:
			return parse_number(ps, value);
	}
}

/* ---------- containers ---------- */

static Frame *
open_frame(Parser *ps, bool object)
{
	Frame	   *parent = ps->depth > 0 ? &ps->frames[ps->depth - 1] : NULL;
	Frame	   *f;

	if (ps->depth == ps->frames_cap)
	{
		ps->frames_cap *= 2;
		ps->frames = repalloc_huge(ps->frames, ps->frames_cap * sizeof(Frame));
		parent = ps->depth > 0 ? &ps->frames[ps->depth - 1] : NULL;
	}
	f = &ps->frames[ps->depth++];
	f->object = object;
	f->skip = parent != NULL && parent->skip;
	f->counted = false;
	f->start = ps->top;
	f->count = 0;
	f->key = NULL;
	f->keylen = 0;
	/* the root's count_key array: count its elements, build none */
	if (!object && ps->count_key && ps->depth == 2 && parent->object &&
		parent->keylen == ps->count_keylen &&
		memcmp(parent->key, ps->count_key, ps->count_keylen) == 0)
	{
		f->skip = true;
		f->counted = true;
	}
	return f;
}

/* Close the top container into *value, moving its children off the stack. */
static void
close_frame(Parser *ps, IcJson *value)
{
	Frame	   *f = &ps->frames[--ps->depth];
	size_t		n = ps->top - f->start;

	value->type = f->object ? IC_JSON_OBJECT : IC_JSON_ARRAY;
	value->len = f->count;
	value->u.items = NULL;
	if (f->skip)
		return;					/* counted (or inside a counted array) */
	if (f->object)
	{
		IcJsonMember *members = arena_alloc(ps, Max(n, 1) * sizeof(IcJsonMember));

		memcpy(members, ps->scratch + f->start, n * sizeof(IcJsonMember));
		value->u.members = members;
	}
	else
	{
		IcJson	   *items = arena_alloc(ps, Max(n, 1) * sizeof(IcJson));

		for (size_t i = 0; i < n; i++)
			items[i] = ps->scratch[f->start + i].value;
		value->u.items = items;
	}
	ps->top = f->start;
}

/* An object's "key": at ps->p, into the frame. */
static bool
parse_key(Parser *ps, Frame *f)
{
	skip_space(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		return false;
	if (!parse_string(ps, !f->skip || ps->depth == 1, &f->key, &f->keylen))
		return false;
	skip_space(ps);
	if (ps->p >= ps->end || *ps->p != ':')
		return false;
	ps->p++;
	return true;
}

/*
 * ic_json_decode
 *		See json_decode.h.  The loop reads one value, then climbs out of every
 *		container that the value completes.
 */
IcJson *
ic_json_decode(const char *text, size_t len, IcDecodeOptions *options)
{
	Parser		ps = {0};
	IcJson		value;
	IcJson	   *root;

	ps.p = (const unsigned char *) text;
	ps.end = ps.p + len;
	ps.cap = 256;
	ps.scratch = palloc(ps.cap * sizeof(IcJsonMember));
	ps.frames_cap = 32;
	ps.frames = palloc(ps.frames_cap * sizeof(Frame));
	if (options && options->count_key)
	{
		ps.count_key = options->count_key;
		ps.count_keylen = strlen(options->count_key);
	}

	for (;;)
	{
		Frame	   *f;

		/* read a value: a scalar, or the start of a container */
		skip_space(&ps);
		if (ps.p >= ps.end)
			return NULL;
		if (*ps.p == '{' || *ps.p == '[')
		{
			bool		object = *ps.p == '{';

			ps.p++;
			f = open_frame(&ps, object);
			skip_space(&ps);
			if (ps.p < ps.end && *ps.p == (object ? '}' : ']'))
			{
				ps.p++;
				close_frame(&ps, &value);
			}
			else
			{
				if (object && !parse_key(&ps, f))
					return NULL;
				continue;
			}
		}
		else if (!parse_scalar(&ps, ps.depth == 0 || !ps.frames[ps.depth - 1].skip, &value))
			return NULL;

		/* value is complete: add it to its container, close what it ends */
		for (;;)
		{
			if (ps.depth == 0)
			{
				skip_space(&ps);
				if (ps.p != ps.end)
					return NULL;	/* trailing garbage */
				root = palloc(sizeof(IcJson));
				*root = value;
				if (options)
					options->replaced += ps.replaced;
				return root;
			}
			f = &ps.frames[ps.depth - 1];
			if (!f->skip)
				push_child(&ps, f->key, f->keylen, &value);
			f->count++;
			skip_space(&ps);
			if (ps.p >= ps.end)
				return NULL;
			if (*ps.p == ',')
			{
				ps.p++;
				if (f->object && !parse_key(&ps, f))
					return NULL;
				break;			/* the next value */
			}
			if (*ps.p != (f->object ? '}' : ']'))
				return NULL;
			ps.p++;
			close_frame(&ps, &value);
		}
	}
}

/* ---------- lookups ---------- */

IcJson *
ic_json_get_len(const IcJson *object, const char *key, size_t keylen)
{
	if (object == NULL || object->type != IC_JSON_OBJECT || object->u.members == NULL)
		return NULL;
	/* from the end: the last of duplicate keys wins, as in jsonb */
	for (uint32_t i = object->len; i-- > 0;)
	{
		IcJsonMember *m = &object->u.members[i];

		if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
			return &m->value;
	}
	return NULL;
}

IcJson *
ic_json_get(const IcJson *object, const char *key)
{
	return ic_json_get_len(object, key, strlen(key));
}

/* An array's element; elements of a counted array all read as null. */
IcJson *
ic_json_item(const IcJson *array, size_t index)
{
	if (array == NULL || array->type != IC_JSON_ARRAY || index >= array->len)
		return NULL;
	if (array->u.items == NULL)
		return (IcJson *) &counted_element;
	return &array->u.items[index];
}
