/*
 * The strict JSON scanner and the raw member iterator. The scanner accepts
 * only text that every JSON reader reads the same way (laxer parsers such as
 * cJSON accept trailing garbage, control bytes as whitespace, "01", and let
 * "\u0000" cut strings short), bounds nesting without recursion whatever
 * the input, and records every value so that the decoder needs no tree.
 */
#include <stdlib.h>
#include <string.h>

#include "base/errors_int.h"
#include "model/json_int.h"
#include "base/utf8_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * The scan runs over a copy of the input followed by a NUL and padding, so
 * that no loop tests for the end: NUL is valid nowhere in JSON text, so every
 * loop stops on it, and only an error report asks whether it was the end.
 * The padding also lets string scanning load 16 bytes at a time.
 */
#define PADDING 16
#define STACK_COPY 4096

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Bit 7 set in each byte of v that is zero, or below n (n <= 0x80). Borrows
 * can flag bytes above a true match, never below, so the lowest flagged
 * byte is exact: that is all the string scan uses. */
#define BYTES_ZERO(v) (((v) - ONES) & ~(v) & HIGHS)
#define BYTES_BELOW(v, n) (((v) - ONES * (n)) & ~(v) & HIGHS)

/* The first n bytes of a word loaded from memory, in memory order. */
/* (n & 7 keeps every shift below 64, even in the branch not taken.) */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define PREFIX(n) ((n) >= 8 ? ~UINT64_C(0) : (n) ? ~(~UINT64_C(0) >> (8 * ((n) & 7))) : 0)
#else
#define PREFIX(n) ((n) >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * ((n) & 7))) - 1)
#endif
#define HEAD_MASK(n) { PREFIX((n) < 8 ? (n) : 8), PREFIX((n) < 8 ? 0 : (n) - 8) }

const uint64_t qp_json__head_masks[17][2] = {
	HEAD_MASK(0), HEAD_MASK(1), HEAD_MASK(2), HEAD_MASK(3), HEAD_MASK(4), HEAD_MASK(5),
	HEAD_MASK(6), HEAD_MASK(7), HEAD_MASK(8), HEAD_MASK(9), HEAD_MASK(10), HEAD_MASK(11),
	HEAD_MASK(12), HEAD_MASK(13), HEAD_MASK(14), HEAD_MASK(15), HEAD_MASK(16),
};

typedef struct scanner {
	const char *start; /* the copy */
	const char *end;   /* its NUL */
	qp_json_scan_t *scan;
} scanner_t;

/* JSON's four whitespace bytes as a bit set: one test per byte. */
#define WS_BITS ((1ull << ' ') | (1ull << '\n') | (1ull << '\r') | (1ull << '\t'))

static inline const char *skip_ws(const char *p)
{
	while ((unsigned char)*p <= ' ' && (WS_BITS >> (unsigned char)*p & 1))
		p++;
	return p;
}

static qp_err_t bad_utf8(const scanner_t *s, const char *p)
{
	return qp_error__set(QP_ERR_UTF8, "offset %zu: invalid UTF-8 (byte 0x%02X)",
	                     (size_t)(p - s->start), (unsigned char)*p);
}

static qp_err_t fail(const scanner_t *s, const char *p, const char *what)
{
	if (p >= s->end)
		return qp_error__set(QP_ERR_JSON, "offset %zu: unexpected end of input, %s",
		                     (size_t)(s->end - s->start), what);
	if ((unsigned char)*p >= 0x80 &&
	    !qp_utf8__sequence((const unsigned char *)p, (size_t)(s->end - p)))
		return bad_utf8(s, p);
	if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7F)
		return qp_error__set(QP_ERR_JSON, "offset %zu: unexpected byte 0x%02X, %s",
		                     (size_t)(p - s->start), (unsigned char)*p, what);
	return qp_error__set(QP_ERR_JSON, "offset %zu: unexpected '%c', %s",
	                     (size_t)(p - s->start), *p, what);
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The four hex digits at p (after "\u"); -1 if they are not hex. Stops at
 * the first non-hex byte, so it never reads past the NUL. */
static long hex4(const char *p)
{
	long v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		if ((d = hex_value((unsigned char)p[i])) < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * Past the plain ASCII content of a string at p: up to a quote, a backslash,
 * a control byte (the NUL included) or a non-ASCII byte. *closed tells
 * whether that stop is a quote (the string's end), from the match masks, so
 * the common case needs no dependent reload of the byte.
 */
static inline const char *skip_plain(const char *p, bool *closed)
{
#ifdef __SSE2__
	/* Sixteen bytes at a time: most keys and values end in the first. A
	 * signed compare below 0x20 catches control and non-ASCII bytes at once.
	 * The padding keeps every load inside the copy. */
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
		      space = _mm_set1_epi8(0x20);

	for (;;) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i quotes = _mm_cmpeq_epi8(v, quote);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			_mm_or_si128(quotes, _mm_cmpeq_epi8(v, backslash)), _mm_cmplt_epi8(v, space)));

		if (mask) {
			unsigned at = (unsigned)__builtin_ctz(mask);

			*closed = (unsigned)_mm_movemask_epi8(quotes) >> at & 1;
			return p + at;
		}
		p += 16;
	}
#else
	for (;;) {
		uint64_t w, stops;

		memcpy(&w, p, 8);
		stops = BYTES_ZERO(w ^ (ONES * '"')) | BYTES_ZERO(w ^ (ONES * '\\')) |
		        BYTES_BELOW(w, 0x20) | (w & HIGHS);
		if (stops) {
			p += __builtin_ctzll(stops) / 8; /* little-endian: lowest first */
			*closed = *p == '"';
			return p;
		}
		p += 8;
	}
#endif
}

/* The rest of a string after skip_plain stopped short of its closing quote:
 * escapes, non-ASCII text, errors. *out is set just past the closing quote. */
static qp_err_t scan_string_rest(const scanner_t *s, const char *p, const char **out)
{
	bool closed;
	size_t n;

	for (;; p = skip_plain(p, &closed)) {
		if (*p == '"') {
			*out = p + 1;
			return QP_OK;
		}
		if ((unsigned char)*p >= 0x80) {
			if (!(n = qp_utf8__sequence((const unsigned char *)p, (size_t)(s->end - p))))
				return bad_utf8(s, p);
			p += n;
			continue;
		}
		if (*p != '\\') {
			if (p >= s->end)
				return fail(s, p, "in a string");
			return qp_error__set(QP_ERR_JSON,
			                     "offset %zu: control character 0x%02X in a string (must be escaped)",
			                     (size_t)(p - s->start), (unsigned char)*p);
		}
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			p += 2;
			break;
		case 'u': {
			long code = hex4(p + 2), low;

			if (code < 0)
				return fail(s, p + 2, "expected four hex digits after \\u");
			if (code == 0)
				return qp_error__set(QP_ERR_FIELD_FORMAT,
				                     "offset %zu: \\u0000 (NUL) is not allowed in an event",
				                     (size_t)(p - s->start));
			if (code >= 0xDC00 && code <= 0xDFFF)
				return qp_error__set(QP_ERR_UTF8, "offset %zu: \\u%04lX is a lone low surrogate",
				                     (size_t)(p - s->start), code);
			if (code >= 0xD800 && code <= 0xDBFF) {
				if (p[6] != '\\' || p[7] != 'u' || (low = hex4(p + 8)) < 0xDC00 ||
				    low > 0xDFFF)
					return qp_error__set(QP_ERR_UTF8,
					                     "offset %zu: \\u%04lX is a high surrogate without a low one",
					                     (size_t)(p - s->start), code);
				p += 12;
			} else {
				p += 6;
			}
			break;
		}
		default:
			return fail(s, p + 1, "expected an escape character after '\\'");
		}
	}
}

static inline bool is_digit(unsigned char c)
{
	return (unsigned char)(c - '0') <= 9;
}

/*
 * Past a run of digits, eight bytes at a time: a loop per digit mispredicts
 * its exit once per number. Bit 7 of each byte of the mask flags a
 * non-digit (exact for the lowest flagged byte: carries only go upward).
 * The padding keeps the loads inside the copy.
 */
static inline const char *skip_digits(const char *p)
{
	for (;;) {
		uint64_t w, v, stops;

		memcpy(&w, p, 8);
		v = w ^ (ONES * '0'); /* digits become bytes 0..9 */
		stops = ((v + ONES * 0x76) | v) & HIGHS;
		if (stops) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
			while (is_digit(*p))
				p++;
			return p;
#else
			return p + __builtin_ctzll(stops) / 8;
#endif
		}
		p += 8;
	}
}

/* RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static qp_err_t scan_number(const scanner_t *s, const char *p, const char **out)
{
	const char *start = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (is_digit(*p))
		p = skip_digits(p);
	else
		return fail(s, p, "expected a digit");
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return fail(s, p, "expected a digit after '.'");
		p = skip_digits(p);
	}
	if ((*p | 0x20) == 'e') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return fail(s, p, "expected a digit in the exponent");
		while (is_digit(*p))
			p++;
	}
	if (p - start > QP_JSON_MAX_NUMBER_CHARS)
		return qp_error__set(QP_ERR_TOO_LARGE, "offset %zu: number longer than %d characters",
		                     (size_t)(start - s->start), QP_JSON_MAX_NUMBER_CHARS);
	*out = p;
	return QP_OK;
}

/* The padding holds more than "false": memcmp never reads past the copy. */
static qp_err_t scan_literal(const scanner_t *s, const char *p, const char *word, size_t n,
                             const char **out)
{
	if (memcmp(p, word, n))
		return fail(s, p, "expected a JSON value");
	*out = p + n;
	return QP_OK;
}

/* Records a container starting at p; returns its index or -1 (no memory). */
static long open_container(const scanner_t *s, const char *p)
{
	qp_json_scan_t *scan = s->scan;
	qp_json_container_t *c;

	if (scan->count == scan->capacity) {
		/* Every container takes at least two bytes ("[]"). */
		size_t capacity = (size_t)(s->end - s->start) / 2 + 1;
		qp_json_container_t *grown = malloc(capacity * sizeof(*grown));

		if (!grown)
			return -1;
		memcpy(grown, scan->containers, scan->count * sizeof(*grown));
		if (scan->containers != scan->inline_containers)
			free(scan->containers);
		scan->containers = grown;
		scan->capacity = capacity;
	}
	c = &scan->containers[scan->count];
	c->offset = (uint32_t)(p - s->start);
	c->end = 0;
	c->descendants = 0;
	c->keys_begin = (uint32_t)scan->key_count;
	return (long)scan->count++;
}

/* Records a value of type starting at p; returns its index or -1 (no
 * memory). Its end (and a container's next) are set when it ends. */
static long add_value(const scanner_t *s, const char *p, qp_json_type_t type, uint32_t key)
{
	qp_json_scan_t *scan = s->scan;
	qp_json_value_t *v;

	if (scan->value_count == scan->value_capacity) {
		/* Every value takes at least one byte. */
		size_t capacity = (size_t)(s->end - s->start) + 1;
		qp_json_value_t *grown = malloc(capacity * sizeof(*grown));

		if (!grown)
			return -1;
		memcpy(grown, scan->values, scan->value_count * sizeof(*grown));
		if (scan->values != scan->inline_values)
			free(scan->values);
		scan->values = grown;
		scan->value_capacity = capacity;
	}
	v = &scan->values[scan->value_count];
	v->offset = (uint32_t)(p - s->start);
	v->next = (uint32_t)scan->value_count + 1;
	v->key = key;
	v->type = (uint8_t)type;
	v->escaped = 0;
	return (long)scan->value_count++;
}

/* Records the key whose text is [text, text + len); false: no memory. */
static bool add_key(const scanner_t *s, const char *text, size_t len, bool escaped)
{
	qp_json_scan_t *scan = s->scan;
	qp_json_key_t *k;

	if (scan->key_count == scan->key_capacity) {
		/* Every member takes at least four bytes ("":0). */
		size_t capacity = (size_t)(s->end - s->start) / 4 + 1;
		qp_json_key_t *grown = malloc(capacity * sizeof(*grown));

		if (!grown)
			return false;
		memcpy(grown, scan->keys, scan->key_count * sizeof(*grown));
		if (scan->keys != scan->inline_keys)
			free(scan->keys);
		scan->keys = grown;
		scan->key_capacity = capacity;
	}
	k = &scan->keys[scan->key_count++];
	/* The padding after the copy keeps the 16-byte load in bounds. */
	qp_json__key_head(k->head, text, len);
	k->len = (uint32_t)len;
	k->escaped = escaped;
	k->offset = (uint32_t)(text - 1 - s->start);
	return true;
}

void qp_json__scan_dispose(qp_json_scan_t *scan)
{
	if (scan->containers && scan->containers != scan->inline_containers)
		free(scan->containers);
	if (scan->keys && scan->keys != scan->inline_keys)
		free(scan->keys);
	if (scan->values && scan->values != scan->inline_values)
		free(scan->values);
	scan->containers = NULL;
	scan->keys = NULL;
	scan->values = NULL;
	scan->count = scan->capacity = scan->key_count = scan->key_capacity = 0;
	scan->value_count = scan->value_capacity = 0;
}

/* One plus the type of the value a byte starts; 0: none. */
#define T(type) (QP_JSON_##type + 1)
static const unsigned char value_types[256] = {
	['{'] = T(OBJECT), ['['] = T(ARRAY), ['"'] = T(STRING), ['-'] = T(NUMBER),
	['0'] = T(NUMBER), ['1'] = T(NUMBER), ['2'] = T(NUMBER), ['3'] = T(NUMBER),
	['4'] = T(NUMBER), ['5'] = T(NUMBER), ['6'] = T(NUMBER), ['7'] = T(NUMBER),
	['8'] = T(NUMBER), ['9'] = T(NUMBER), ['t'] = T(TRUE), ['f'] = T(FALSE), ['n'] = T(NULL),
};
#undef T

/* The grammar as a state machine over the padded copy (see PADDING). */
static qp_err_t scan_copy(qp_json_scan_t *scan, const char *buf, size_t len, int max_depth)
{
	/* The open containers: index into scan->containers and scan->values,
	 * and object or not. */
	uint32_t open[64], open_value[64];
	bool is_object[64];
	bool in_object = false; /* is_object[depth - 1], kept in a register */
	int depth = 0;
	scanner_t s = { buf, buf + len, scan };
	const char *p = buf;
	uint32_t key = QP_JSON_NO_KEY; /* of the member whose value comes next */
	qp_err_t err;
	long index, value;

	if (max_depth > (int)(sizeof(open) / sizeof(open[0])))
		max_depth = (int)(sizeof(open) / sizeof(open[0]));

value:
	p = skip_ws(p);
	if (!value_types[(unsigned char)*p])
		return fail(&s, p, "expected a JSON value");
	if ((value = add_value(&s, p, (qp_json_type_t)(value_types[(unsigned char)*p] - 1), key)) < 0)
		return qp_error__set(QP_ERR_NOMEM, "scanning a JSON document of %zu bytes", len);
	key = QP_JSON_NO_KEY;
	switch (*p) {
	case '{':
	case '[':
		if (depth == max_depth)
			return qp_error__set(QP_ERR_TOO_DEEP, "offset %zu: nesting deeper than %d levels",
			                     (size_t)(p - buf), max_depth);
		if ((index = open_container(&s, p)) < 0)
			return qp_error__set(QP_ERR_NOMEM, "scanning a JSON document of %zu bytes", len);
		open[depth] = (uint32_t)index;
		open_value[depth] = (uint32_t)value;
		is_object[depth] = in_object = *p == '{';
		depth++;
		p = skip_ws(p + 1);
		if (in_object) {
			if (*p == '}')
				goto close;
			goto key;
		}
		if (*p == ']')
			goto close;
		goto value;
	case '"': {
		const char *start = p;
		bool closed;

		p = skip_plain(p + 1, &closed);
		if (closed)
			p++;
		else if ((err = scan_string_rest(&s, p, &p)))
			return err;
		scan->values[value].escaped = !closed;
		scan->string_bytes += (size_t)(p - start);
		err = QP_OK;
		break;
	}
	case 't':
		err = scan_literal(&s, p, "true", 4, &p);
		break;
	case 'f':
		err = scan_literal(&s, p, "false", 5, &p);
		break;
	case 'n':
		err = scan_literal(&s, p, "null", 4, &p);
		break;
	default:
		err = scan_number(&s, p, &p);
		break;
	}
	if (err)
		return err;

after_value:
	scan->values[value].end = (uint32_t)(p - buf);
	p = skip_ws(p);
	if (depth == 0) {
		if (p != s.end)
			return fail(&s, p, "expected the end of the document");
		return QP_OK;
	}
	if (*p == ',') {
		p = skip_ws(p + 1);
		if (in_object)
			goto key;
		goto value;
	}
	if (*p != (in_object ? '}' : ']'))
		return fail(&s, p, in_object ? "expected ',' or '}'" : "expected ',' or ']'");
close:
	depth--;
	in_object = depth > 0 && is_object[depth - 1];
	scan->containers[open[depth]].descendants = (uint32_t)(scan->count - open[depth] - 1);
	p++;
	scan->containers[open[depth]].end = (uint32_t)(p - buf);
	scan->containers[open[depth]].keys_end = (uint32_t)scan->key_count;
	value = open_value[depth];
	scan->values[value].next = (uint32_t)scan->value_count;
	goto after_value;

key:
	if (*p != '"')
		return fail(&s, p, "expected a string key");
	{
		const char *text = p + 1, *plain;
		bool closed;

		plain = skip_plain(text, &closed);
		if (closed)
			p = plain + 1;
		else if ((err = scan_string_rest(&s, plain, &p)))
			return err;
		if (!add_key(&s, text, (size_t)(p - 1 - text), !closed))
			return qp_error__set(QP_ERR_NOMEM, "scanning a JSON document of %zu bytes", len);
		key = (uint32_t)scan->key_count - 1;
	}
	p = skip_ws(p);
	if (*p != ':')
		return fail(&s, p, "expected ':' after an object key");
	p++;
	goto value;
}

qp_err_t qp_json__scan(qp_json_scan_t *scan, const char *buf, size_t len, int max_depth)
{
	char stack_copy[STACK_COPY + PADDING], *copy = stack_copy;
	qp_err_t err;

	scan->containers = scan->inline_containers;
	scan->count = 0;
	scan->capacity = QP_JSON_SCAN_INLINE;
	scan->keys = scan->inline_keys;
	scan->key_count = 0;
	scan->key_capacity = QP_JSON_SCAN_INLINE_KEYS;
	scan->values = scan->inline_values;
	scan->value_count = 0;
	scan->value_capacity = QP_JSON_SCAN_INLINE_VALUES;
	scan->string_bytes = 0;
	if ((uint64_t)len >= UINT32_MAX)
		return qp_error__set(QP_ERR_TOO_LARGE, "document of %zu bytes", len);
	if (len > STACK_COPY && !(copy = malloc(len + PADDING)))
		return qp_error__set(QP_ERR_NOMEM, "copying a document of %zu bytes", len);
	if (len)
		memcpy(copy, buf, len);
	memset(copy + len, 0, PADDING);
	err = scan_copy(scan, copy, len, max_depth);
	if (copy != stack_copy)
		free(copy);
	return err;
}

/* Past the end of the string whose opening quote is at p (input is valid). */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return end;
}

void qp_json__members_init(qp_json_members_t *it, const char *doc, size_t len,
                           const qp_json_scan_t *scan, size_t object)
{
	it->doc = doc;
	it->p = doc + scan->containers[object].offset + 1;
	it->end = doc + len;
	it->containers = scan->containers;
	it->next = object + 1;
}

/* skip_ws for the caller's buffer, which has no NUL after it. */
static inline const char *skip_ws_to(const char *p, const char *end)
{
	while (p < end && (unsigned char)*p <= ' ' && (WS_BITS >> (unsigned char)*p & 1))
		p++;
	return p;
}

bool qp_json__members_next(qp_json_members_t *it, qp_json_span_t *key, qp_json_span_t *value)
{
	const char *p = skip_ws_to(it->p, it->end);

	if (p < it->end && *p == ',')
		p = skip_ws_to(p + 1, it->end);
	if (p >= it->end || *p != '"')
		return false;
	key->ptr = p;
	p = skip_string(p, it->end);
	key->len = (size_t)(p - key->ptr);
	p = skip_ws_to(p, it->end);
	p = skip_ws_to(p + 1, it->end); /* the ':' */
	value->ptr = p;
	if (*p == '"') {
		p = skip_string(p, it->end);
	} else if (*p == '{' || *p == '[') {
		/* Containers come in document order: this one is it->next. */
		const qp_json_container_t *c = &it->containers[it->next];

		p = it->doc + c->end;
		it->next += 1 + c->descendants;
	} else {
		while (p < it->end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
		       *p != '\n' && *p != '\r' && *p != '\t')
			p++;
	}
	value->len = (size_t)(p - value->ptr);
	it->p = p;
	return true;
}
