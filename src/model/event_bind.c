/*
 * Matching an object's members to the schema's fields, and keeping the ones
 * the schema does not know as their raw bytes.
 *
 * The scan recorded every value in document order with its key's record
 * (raw head, length, place): members are matched by three integer compares
 * and the unknown ones copied from the document by their recorded spans.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/event_int.h"

/* A key's text between its quotes, as the document has it. */
static inline const char *key_raw(const qp_event_decoder_t *dec, const qp_json_key_t *key)
{
	return dec->doc + key->offset + 1;
}

/* By the decoded key, for keys written with escapes (or non-ASCII text). */
static int lookup_decoded(const qp_event_decoder_t *dec, const qp_event_field_t *fields,
                          size_t count, const qp_json_key_t *key)
{
	char text[QP_EVENT__MAX_KEY + 1];
	size_t len = qp_json__unescape(key_raw(dec, key), key->len, text, sizeof(text)), i;

	if (len > QP_EVENT__MAX_KEY)
		return -1;
	for (i = 0; i < count; i++)
		if (fields[i].len == len && !memcmp(fields[i].name, text, len))
			return (int)i;
	return -1;
}

static inline bool key_is(const qp_event_field_t *field, const qp_json_key_t *key)
{
	uint64_t head[2];

	memcpy(head, field->head, sizeof(head));
	return field->len == key->len && head[0] == key->head[0] && head[1] == key->head[1];
}

/*
 * The field a member's key names, or -1. Producers write fields in schema
 * order, so the field after the previous match (*hint) is tried first.
 */
static int lookup(const qp_event_decoder_t *dec, const qp_event_field_t *fields, size_t count,
                  const qp_json_key_t *key, size_t *hint)
{
	size_t i = *hint;

	if (key->escaped)
		return lookup_decoded(dec, fields, count, key);
	if (i < count && key_is(&fields[i], key)) {
		*hint = i + 1;
		return (int)i;
	}
	for (i = 0; i < count; i++)
		if (key_is(&fields[i], key)) {
			*hint = i + 1;
			return (int)i;
		}
	return -1;
}

/* Whether member number `index` (the value member) of a bound object is
 * unknown. */
static bool is_unknown(const qp_event_decoder_t *dec, const qp_event_bound_t *b, size_t index,
                       const qp_json_value_t *member)
{
	size_t hint = 0;

	if (index < 64)
		return b->unknown_mask >> index & 1;
	return lookup(dec, b->fields, b->nfields, &dec->scan.keys[member->key], &hint) < 0;
}

/* A key's decoded text, for duplicate checks: the document's bytes when it
 * has no escapes, else decoded into scratch. */
typedef struct key_text {
	const char *ptr;
	size_t len;
	const qp_json_key_t *key;
} key_text_t;

static int compare_keys(const void *a, const void *b)
{
	const key_text_t *x = a, *y = b;
	int c = memcmp(x->ptr, y->ptr, x->len < y->len ? x->len : y->len);

	/* As strcmp orders them (keys hold no NUL): a prefix first. */
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static bool same_key(const key_text_t *x, const key_text_t *y)
{
	return x->len == y->len && !memcmp(x->ptr, y->ptr, x->len);
}

/*
 * Refuses duplicate keys among obj's unknown members (known ones are checked
 * as they bind; b NULL: every member is unknown). Small objects compare
 * pairwise; large ones sort, so a 64 KiB object of keys stays O(n log n).
 */
static qp_err_t check_duplicates(const qp_event_decoder_t *dec, const qp_json_value_t *obj,
                                 const qp_event_bound_t *b, size_t unknown,
                                 const qp_event_path_t *path)
{
	key_text_t small[16], *keys = small;
	const key_text_t *dup = NULL;
	const qp_json_value_t *member;
	char *scratch = NULL, *at = NULL;
	size_t n = 0, i, j;

	if (unknown < 2)
		return QP_OK;
	if (unknown > sizeof(small) / sizeof(small[0]) && !(keys = malloc(unknown * sizeof(*keys))))
		return qp_error__set(QP_ERR_NOMEM, "checking %zu keys for duplicates", unknown);
	for (member = qp_event__child(&dec->scan, obj), i = 0; member;
	     member = qp_event__sibling(&dec->scan, obj, member), i++) {
		const qp_json_key_t *key = &dec->scan.keys[member->key];

		if (b && !is_unknown(dec, b, i, member))
			continue;
		keys[n].key = key;
		keys[n].ptr = key_raw(dec, key);
		keys[n].len = key->len;
		if (key->escaped) {
			/* Decoded text is never longer than the document. */
			if (!scratch && !(scratch = at = malloc(dec->len + 1))) {
				if (keys != small)
					free(keys);
				return qp_error__set(QP_ERR_NOMEM, "decoding keys of %zu bytes", dec->len);
			}
			keys[n].len = qp_json__unescape(keys[n].ptr, key->len, at, key->len);
			keys[n].ptr = at;
			at += keys[n].len;
		}
		n++;
	}
	if (n <= sizeof(small) / sizeof(small[0])) {
		for (i = 0; i < n && !dup; i++)
			for (j = i + 1; j < n && !dup; j++)
				if (same_key(&keys[i], &keys[j]))
					dup = &keys[i];
	} else {
		qsort(keys, n, sizeof(*keys), compare_keys);
		for (i = 1; i < n && !dup; i++)
			if (same_key(&keys[i - 1], &keys[i]))
				dup = &keys[i];
	}
	if (dup) {
		const qp_event_path_t at_dup = { path, NULL, 0, key_raw(dec, dup->key), dup->key->len };

		free(scratch);
		if (keys != small)
			free(keys);
		return qp_event__fail(&at_dup, QP_ERR_DUPLICATE_KEY, "duplicate key");
	}
	free(scratch);
	if (keys != small)
		free(keys);
	return QP_OK;
}

/* The path of an object member's value, naming its key raw. */
static qp_event_path_t member_path(const qp_event_decoder_t *dec, const qp_event_path_t *parent,
                                   const qp_json_value_t *member)
{
	const qp_json_key_t *key = &dec->scan.keys[member->key];
	qp_event_path_t at = { parent, NULL, 0, key_raw(dec, key), key->len };

	return at;
}

/* Inside a field the schema does not know: no duplicate keys in any object,
 * no number beyond a double, at any depth (bounded by the scan). */
static qp_err_t check_unknown_value(const qp_event_decoder_t *dec, const qp_json_value_t *node,
                                    const qp_event_path_t *path)
{
	const qp_json_value_t *child;
	size_t i = 0, count = 0;
	qp_err_t err;

	if (node->type == QP_JSON_NUMBER &&
	    !isfinite(qp_json__number(dec->doc + node->offset, node->end - node->offset)))
		return qp_event__fail(path, QP_ERR_FIELD_RANGE, "number too large for a double");
	if (node->type != QP_JSON_OBJECT && node->type != QP_JSON_ARRAY)
		return QP_OK;
	for (child = qp_event__child(&dec->scan, node); child;
	     child = qp_event__sibling(&dec->scan, node, child))
		count++;
	if (node->type == QP_JSON_OBJECT &&
	    (err = check_duplicates(dec, node, NULL, count, path)))
		return err;
	for (child = qp_event__child(&dec->scan, node); child;
	     child = qp_event__sibling(&dec->scan, node, child), i++) {
		qp_event_path_t at = { path, NULL, i, NULL, 0 };

		if (node->type == QP_JSON_OBJECT)
			at = member_path(dec, path, child);
		if ((err = check_unknown_value(dec, child, &at)))
			return err;
	}
	return QP_OK;
}

qp_err_t qp_event__bind(qp_event_decoder_t *dec, const qp_json_value_t *obj,
                        const qp_event_field_t *fields, size_t nfields,
                        const qp_event_path_t *path, qp_event_bound_t *b)
{
	const qp_json_key_t *keys = dec->scan.keys;
	const qp_json_value_t *member;
	size_t hint = 0, i;
	qp_err_t err;
	int f;

	memset(b->node, 0, nfields * sizeof(b->node[0]));
	b->self = obj;
	b->fields = fields;
	b->nfields = nfields;
	b->unknown = 0;
	b->unknown_mask = 0;
	for (member = qp_event__child(&dec->scan, obj), i = 0; member;
	     member = qp_event__sibling(&dec->scan, obj, member), i++) {
		if ((f = lookup(dec, fields, nfields, &keys[member->key], &hint)) < 0) {
			b->unknown++;
			if (i < 64)
				b->unknown_mask |= UINT64_C(1) << i;
			continue;
		}
		if (b->node[f])
			return qp_event__fail(QP_EVENT__AT(path, fields[f].name), QP_ERR_DUPLICATE_KEY,
			                      "duplicate key");
		b->node[f] = member;
	}
	if (!b->unknown)
		return QP_OK;
	if ((err = check_duplicates(dec, obj, b, b->unknown, path)))
		return err;
	for (member = qp_event__child(&dec->scan, obj), i = 0; member;
	     member = qp_event__sibling(&dec->scan, obj, member), i++) {
		qp_event_path_t at;

		if (!is_unknown(dec, b, i, member))
			continue;
		at = member_path(dec, path, member);
		if ((err = check_unknown_value(dec, member, &at)))
			return err;
	}
	return QP_OK;
}

/* Calls fn for each unknown member of a bound object with its raw key
 * (quotes included) and value. */
typedef bool (*unknown_member_fn)(const qp_json_span_t *key, const qp_json_span_t *value,
                                  void *opaque);

static bool each_unknown(const qp_event_decoder_t *dec, const qp_event_bound_t *b,
                         unknown_member_fn fn, void *opaque)
{
	const qp_json_value_t *member;
	qp_json_span_t key, value;
	size_t i;

	for (member = qp_event__child(&dec->scan, b->self), i = 0; member;
	     member = qp_event__sibling(&dec->scan, b->self, member), i++) {
		const qp_json_key_t *k = &dec->scan.keys[member->key];

		if (!is_unknown(dec, b, i, member))
			continue;
		key.ptr = dec->doc + k->offset;
		key.len = k->len + 2;
		value.ptr = dec->doc + member->offset;
		value.len = member->end - member->offset;
		if (!fn(&key, &value, opaque))
			return false;
	}
	return true;
}

static bool measure_member(const qp_json_span_t *key, const qp_json_span_t *value, void *opaque)
{
	*(size_t *)opaque += key->len + value->len + 2; /* ':' and ',' or the NUL */
	return true;
}

size_t qp_event__unknown_size(qp_event_decoder_t *dec, const qp_event_bound_t *b)
{
	size_t size = 0;

	if (b->unknown)
		each_unknown(dec, b, measure_member, &size);
	return size;
}

typedef struct copy {
	char *p;
	char *end;
	char *start;
} copy_t;

static bool copy_member(const qp_json_span_t *key, const qp_json_span_t *value, void *opaque)
{
	copy_t *c = opaque;

	if ((size_t)(c->end - c->p) < key->len + value->len + 2)
		return false;
	if (c->p != c->start)
		*c->p++ = ',';
	memcpy(c->p, key->ptr, key->len);
	c->p += key->len;
	*c->p++ = ':';
	memcpy(c->p, value->ptr, value->len);
	c->p += value->len;
	return true;
}

qp_err_t qp_event__unknown_fields(qp_event_decoder_t *dec, const qp_event_bound_t *b,
                                  const char **out)
{
	copy_t c = { dec->unknown, dec->unknown_end, dec->unknown };

	*out = "";
	if (!b->unknown)
		return QP_OK;
	if (!each_unknown(dec, b, copy_member, &c) || c.p == c.end) {
		/* Only the top level's room was measured: the rest goes to an
		 * overflow block of the input's size, which holds any amount. */
		if (dec->block->overflow)
			return qp_error__set(QP_ERR_GENERIC, "internal: unknown fields do not fit");
		if (!(dec->block->overflow = malloc(dec->len + 1)))
			return qp_error__set(QP_ERR_NOMEM, "allocating %zu bytes", dec->len + 1);
		dec->unknown = dec->block->overflow;
		dec->unknown_end = dec->unknown + dec->len + 1;
		return qp_event__unknown_fields(dec, b, out);
	}
	*c.p++ = '\0';
	*out = c.start;
	dec->unknown = c.p;
	return QP_OK;
}
