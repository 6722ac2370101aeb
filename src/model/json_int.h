/*
 * Internal: JSON text without a tree. A strict scanner that checks a
 * document and records every value, key and container, readers of the
 * values it accepted (strings, numbers), a member iterator over raw bytes,
 * and writers for strings and numbers used by every encoder.
 */
#ifndef QP_JSON_INT_H
#define QP_JSON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf_int.h"
#include "quackpipe/errors.h"

/* Number text is at most this long: the limit cJSON's 64-byte copy once set,
 * kept so that what is accepted does not change (json_value.c copies the
 * numbers it hands to strtod the same way). */
#define QP_JSON_MAX_NUMBER_CHARS 63

/* Where an object or array starts and ends, and how many containers it holds
 * at any depth: a container's next sibling is at index i + 1 + descendants. */
typedef struct qp_json_container {
	uint32_t offset;      /* of its '{' or '[' */
	uint32_t end;         /* just past its '}' or ']' */
	uint32_t descendants;
	uint32_t keys_begin;  /* its keys and its descendants' are keys[begin..end) */
	uint32_t keys_end;
} qp_json_container_t;

/*
 * An object key as the scanner saw it, so that a schema lookup is three
 * integer compares instead of a string compare: the raw text's first 16
 * bytes (zero-padded) and its length. Keys with escapes or non-ASCII text
 * are flagged: their decoded form must be compared instead.
 */
typedef struct qp_json_key {
	uint64_t head[2];
	uint32_t len;     /* of its text, without the quotes */
	uint32_t escaped;
	uint32_t offset;  /* of its opening quote */
} qp_json_key_t;

/* The kinds of JSON values, as the scanner records them. */
typedef enum qp_json_type {
	QP_JSON_NULL,
	QP_JSON_FALSE,
	QP_JSON_TRUE,
	QP_JSON_NUMBER,
	QP_JSON_STRING,
	QP_JSON_ARRAY,
	QP_JSON_OBJECT
} qp_json_type_t;

#define QP_JSON_NO_KEY UINT32_MAX

/*
 * Every value of a document, in document order: what a decoder needs to
 * build its result straight from the text, without a tree. The children of
 * a container are at index + 1, then each child's `next`, up to the
 * container's own `next`.
 */
typedef struct qp_json_value {
	uint32_t offset; /* its first byte (a string's opening quote) */
	uint32_t end;    /* just past its last byte */
	uint32_t next;   /* the index after it and its descendants */
	uint32_t key;    /* as an object member, its key's index in keys[]; else QP_JSON_NO_KEY */
	uint8_t type;    /* qp_json_type_t */
	uint8_t escaped; /* a string holding escapes: its text must be decoded */
} qp_json_value_t;

/* Masks keeping the first n bytes (n <= 16) of two words loaded from memory:
 * a table, so that keys of varying length cost no branch. */
extern const uint64_t qp_json__head_masks[17][2];

/* A key head: text's first 16 bytes, zero after len. text must have 16
 * readable bytes (the scanner's padded copy, a qp_event_field_t's head). */
static inline void qp_json__key_head(uint64_t head[2], const char *text, size_t len)
{
	const uint64_t *mask = qp_json__head_masks[len < 16 ? len : 16];
	uint64_t w0, w1;

	/* Through locals: one store per word, after the masking. */
	memcpy(&w0, text, 8);
	memcpy(&w1, text + 8, 8);
	head[0] = w0 & mask[0];
	head[1] = w1 & mask[1];
}

#define QP_JSON_SCAN_INLINE 128
#define QP_JSON_SCAN_INLINE_KEYS 192
#define QP_JSON_SCAN_INLINE_VALUES 256

typedef struct qp_json_scan {
	qp_json_container_t *containers; /* document order */
	size_t count;
	size_t capacity;
	qp_json_key_t *keys; /* every object key, in document order */
	size_t key_count;
	size_t key_capacity;
	qp_json_value_t *values; /* every value, in document order */
	size_t value_count;
	size_t value_capacity;
	size_t string_bytes; /* of string values (not keys), quotes included */
	qp_json_container_t inline_containers[QP_JSON_SCAN_INLINE];
	qp_json_key_t inline_keys[QP_JSON_SCAN_INLINE_KEYS];
	qp_json_value_t inline_values[QP_JSON_SCAN_INLINE_VALUES];
} qp_json_scan_t;

/*
 * Checks that buf is exactly one JSON value in valid UTF-8 under RFC 8259's
 * grammar, and more strictly than cJSON would: no leading BOM, no trailing bytes,
 * no control characters outside escapes, no \u0000, no lone surrogate
 * escapes, numbers of at most QP_JSON_MAX_NUMBER_CHARS characters, nesting
 * at most max_depth. One pass: UTF-8 is checked where non-ASCII bytes occur.
 * Fills scan (call qp_json__scan_dispose after, success or not).
 * Errors: QP_ERR_JSON, QP_ERR_TOO_DEEP, QP_ERR_TOO_LARGE, QP_ERR_FIELD_FORMAT
 * (\u0000), QP_ERR_UTF8 (surrogates), QP_ERR_NOMEM; the detail starts with
 * "offset N: ".
 */
qp_err_t qp_json__scan(qp_json_scan_t *scan, const char *buf, size_t len, int max_depth);
void qp_json__scan_dispose(qp_json_scan_t *scan);

/*
 * The decoded text of a string that qp_json__scan accepted, raw being its
 * bytes between the quotes: escapes resolved (\uXXXX as UTF-8). Writes at
 * most cap bytes to out (no NUL); returns the whole decoded length, which is
 * never more than raw_len.
 */
size_t qp_json__unescape(const char *raw, size_t raw_len, char *out, size_t cap);

/*
 * The double of a number that qp_json__scan accepted, as strtod reads it
 * (correctly rounded; +-HUGE_VAL beyond a double's range): exact integer and
 * decimal arithmetic where it gives that double, strtod otherwise.
 */
double qp_json__number(const char *text, size_t len);

/* Iterates the members of a raw object in a document that qp_json__scan
 * accepted. Spans point into the document: keys with their quotes. Nested
 * containers are skipped in one step, through the scan's records. */
typedef struct qp_json_members {
	const char *doc;
	const char *p;
	const char *end;
	const qp_json_container_t *containers;
	size_t next; /* the first container at or after p */
} qp_json_members_t;

typedef struct qp_json_span {
	const char *ptr;
	size_t len;
} qp_json_span_t;

/* Starts at the object recorded as scan->containers[object]. */
void qp_json__members_init(qp_json_members_t *it, const char *doc, size_t len,
                           const qp_json_scan_t *scan, size_t object);
/* The next member's key and value; false after the last one. */
bool qp_json__members_next(qp_json_members_t *it, qp_json_span_t *key, qp_json_span_t *value);

/* Writers: append to buf, keep it NUL-terminated; QP_ERR_NOMEM on failure. */

/* A JSON string literal of s[0..len), quotes included; s must be UTF-8. */
qp_err_t qp_json__put_string(qp_buf_t *buf, const char *s, size_t len);
/* The same without the quotes, to build one literal from several pieces. */
qp_err_t qp_json__put_escaped(qp_buf_t *buf, const char *s, size_t len);
/* Integers: qp_buf__put_i64 and qp_buf__format_i64 (base/buf_int.h). */
/* A finite double, in the shortest of the forms tried that reads back as the
 * same double (QP_ERR_INVALID_ARG if not finite: JSON has no inf or NaN). */
qp_err_t qp_json__put_double(qp_buf_t *buf, double v);

/* The same text into out (at least QP_JSON_NUMBER_BUF bytes); returns its
 * length. Used for error details too. v must be finite. */
#define QP_JSON_NUMBER_BUF 32
size_t qp_json__format_double(char *out, double v);

#endif
