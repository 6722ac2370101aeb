/*
 * The strict JSON scanner and the raw member iterator. The scanner runs
 * before cJSON so that cJSON only ever sees text that every other JSON
 * reader reads the same way (cJSON alone accepts trailing garbage, control
 * bytes as whitespace, "01" and "\u0000" cut strings short), and so that
 * nesting is bounded without recursion whatever the input.
 */
#include <stdlib.h>
#include <string.h>

#include "errors_int.h"
#include "json_int.h"

/* String bytes that need a closer look: the closing quote, an escape and the
 * control characters, which JSON refuses raw. Everything else is content. */
static const unsigned char string_special[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1,
	[0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0A] = 1, [0x0B] = 1,
	[0x0C] = 1, [0x0D] = 1, [0x0E] = 1, [0x0F] = 1, [0x10] = 1, [0x11] = 1,
	[0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1,
	[0x18] = 1, [0x19] = 1, [0x1A] = 1, [0x1B] = 1, [0x1C] = 1, [0x1D] = 1,
	[0x1E] = 1, [0x1F] = 1, ['"'] = 1, ['\\'] = 1,
};

typedef struct scanner {
	const char *start;
	const char *end;
	qp_json_scan_t *scan;
} scanner_t;

static inline const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* The byte at p, or 0 at the end: NUL is never valid where the scanner
 * looks, so the end needs no test of its own until an error is reported. */
static inline unsigned char peek(const char *p, const char *end)
{
	return p < end ? (unsigned char)*p : 0;
}

static qp_err_t fail(const scanner_t *s, const char *p, const char *what)
{
	if (p >= s->end)
		return qp_error__set(QP_ERR_JSON, "offset %zu: unexpected end of input, %s",
		                     (size_t)(s->end - s->start), what);
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

/* Reads the four hex digits after "\u" at p; -1 if they are not hex. */
static long hex4(const char *p, const char *end)
{
	long v = 0;
	int i, d;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((d = hex_value((unsigned char)p[i])) < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* p is just past the opening quote; *out is set just past the closing one. */
static qp_err_t scan_string(const scanner_t *s, const char *p, const char **out)
{
	const char *end = s->end;

	for (;;) {
		while (p < end && !string_special[(unsigned char)*p])
			p++;
		if (p >= end)
			return fail(s, p, "in a string");
		if (*p == '"') {
			*out = p + 1;
			return QP_OK;
		}
		if (*p != '\\')
			return qp_error__set(QP_ERR_JSON,
			                     "offset %zu: control character 0x%02X in a string (must be escaped)",
			                     (size_t)(p - s->start), (unsigned char)*p);
		switch (peek(p + 1, end)) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			p += 2;
			break;
		case 'u': {
			long code = hex4(p + 2, end), low;

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
				if (peek(p + 6, end) != '\\' || peek(p + 7, end) != 'u' ||
				    (low = hex4(p + 8, end)) < 0xDC00 || low > 0xDFFF)
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
	return c >= '0' && c <= '9';
}

/* RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static qp_err_t scan_number(const scanner_t *s, const char *p, const char **out)
{
	const char *start = p, *end = s->end;

	if (peek(p, end) == '-')
		p++;
	if (peek(p, end) == '0') {
		p++;
	} else if (is_digit(peek(p, end))) {
		while (is_digit(peek(p, end)))
			p++;
	} else {
		return fail(s, p, "expected a digit");
	}
	if (peek(p, end) == '.') {
		p++;
		if (!is_digit(peek(p, end)))
			return fail(s, p, "expected a digit after '.'");
		while (is_digit(peek(p, end)))
			p++;
	}
	if ((peek(p, end) | 0x20) == 'e') {
		p++;
		if (peek(p, end) == '+' || peek(p, end) == '-')
			p++;
		if (!is_digit(peek(p, end)))
			return fail(s, p, "expected a digit in the exponent");
		while (is_digit(peek(p, end)))
			p++;
	}
	if (p - start > QP_JSON_MAX_NUMBER_CHARS)
		return qp_error__set(QP_ERR_TOO_LARGE, "offset %zu: number longer than %d characters",
		                     (size_t)(start - s->start), QP_JSON_MAX_NUMBER_CHARS);
	*out = p;
	return QP_OK;
}

static qp_err_t scan_literal(const scanner_t *s, const char *p, const char *word, size_t n,
                             const char **out)
{
	if ((size_t)(s->end - p) < n || memcmp(p, word, n))
		return fail(s, p, "expected a JSON value");
	*out = p + n;
	return QP_OK;
}

/* Records a container starting at p; returns its index or -1 (no memory). */
static long open_container(const scanner_t *s, const char *p)
{
	qp_json_scan_t *scan = s->scan;

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
	scan->containers[scan->count].offset = (uint32_t)(p - s->start);
	scan->containers[scan->count].descendants = 0;
	return (long)scan->count++;
}

void qp_json__scan_dispose(qp_json_scan_t *scan)
{
	if (scan->containers && scan->containers != scan->inline_containers)
		free(scan->containers);
	scan->containers = NULL;
	scan->count = scan->capacity = 0;
}

qp_err_t qp_json__scan(qp_json_scan_t *scan, const char *buf, size_t len, int max_depth)
{
	/* The open containers: index into scan->containers, and object or not. */
	uint32_t open[64];
	bool is_object[64];
	int depth = 0;
	scanner_t s = { buf, buf + len, scan };
	const char *p = buf, *end = buf + len;
	qp_err_t err;
	long index;

	scan->containers = scan->inline_containers;
	scan->count = 0;
	scan->capacity = QP_JSON_SCAN_INLINE;
	if (max_depth > (int)(sizeof(open) / sizeof(open[0])))
		max_depth = (int)(sizeof(open) / sizeof(open[0]));
	if ((uint64_t)len > UINT32_MAX)
		return qp_error__set(QP_ERR_TOO_LARGE, "document of %zu bytes", len);

value:
	p = skip_ws(p, end);
	switch (peek(p, end)) {
	case '{':
	case '[':
		if (depth == max_depth)
			return qp_error__set(QP_ERR_TOO_DEEP, "offset %zu: nesting deeper than %d levels",
			                     (size_t)(p - buf), max_depth);
		if ((index = open_container(&s, p)) < 0)
			return qp_error__set(QP_ERR_NOMEM, "scanning a JSON document of %zu bytes", len);
		open[depth] = (uint32_t)index;
		is_object[depth] = *p == '{';
		depth++;
		p = skip_ws(p + 1, end);
		if (is_object[depth - 1]) {
			if (peek(p, end) == '}')
				goto close;
			goto key;
		}
		if (peek(p, end) == ']')
			goto close;
		goto value;
	case '"':
		if ((err = scan_string(&s, p + 1, &p)))
			return err;
		goto after_value;
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
		if (peek(p, end) == '-' || is_digit(peek(p, end)))
			err = scan_number(&s, p, &p);
		else
			return fail(&s, p, "expected a JSON value");
		break;
	}
	if (err)
		return err;

after_value:
	p = skip_ws(p, end);
	if (depth == 0) {
		if (p != end)
			return fail(&s, p, "expected the end of the document");
		return QP_OK;
	}
	if (peek(p, end) == ',') {
		p = skip_ws(p + 1, end);
		if (is_object[depth - 1])
			goto key;
		goto value;
	}
	if (peek(p, end) != (is_object[depth - 1] ? '}' : ']'))
		return fail(&s, p, is_object[depth - 1] ? "expected ',' or '}'" : "expected ',' or ']'");
close:
	depth--;
	scan->containers[open[depth]].descendants = (uint32_t)(scan->count - open[depth] - 1);
	p++;
	goto after_value;

key:
	if (peek(p, end) != '"')
		return fail(&s, p, "expected a string key");
	if ((err = scan_string(&s, p + 1, &p)))
		return err;
	p = skip_ws(p, end);
	if (peek(p, end) != ':')
		return fail(&s, p, "expected ':' after an object key");
	p++;
	goto value;
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

/* Past the end of the value at p (input is valid). */
static const char *skip_value(const char *p, const char *end)
{
	size_t depth = 0;

	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
		       *p != '\n' && *p != '\r' && *p != '\t')
			p++;
		return p;
	}
	while (p < end) {
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			continue;
		case '{': case '[':
			depth++;
			break;
		case '}': case ']':
			if (--depth == 0)
				return p + 1;
			break;
		}
		p++;
	}
	return end;
}

void qp_json__members_init(qp_json_members_t *it, const char *object, const char *doc_end)
{
	it->p = object + 1;
	it->end = doc_end;
}

bool qp_json__members_next(qp_json_members_t *it, qp_json_span_t *key, qp_json_span_t *value)
{
	const char *p = skip_ws(it->p, it->end);

	if (p < it->end && *p == ',')
		p = skip_ws(p + 1, it->end);
	if (p >= it->end || *p != '"')
		return false;
	key->ptr = p;
	p = skip_string(p, it->end);
	key->len = (size_t)(p - key->ptr);
	p = skip_ws(p, it->end);
	p = skip_ws(p + 1, it->end); /* the ':' */
	value->ptr = p;
	p = skip_value(p, it->end);
	value->len = (size_t)(p - value->ptr);
	it->p = p;
	return true;
}
