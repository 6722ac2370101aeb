/*
 * Matching an object's members to the schema's fields, and keeping the ones
 * the schema does not know as their raw bytes.
 *
 * The scan recorded every key's raw head and every container's place in
 * document order, which is cJSON's order too: walking a cJSON object's
 * members, the decoder knows each member's key record and, for object and
 * array values, their scan index (hence their bytes) without searching.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/event_int.h"

/* By the decoded key (cJSON's), for keys written with escapes. */
static int lookup_decoded(const qp_event_field_t *fields, size_t count, const char *key)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (!strcmp(fields[i].name, key))
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
static int lookup(const qp_event_field_t *fields, size_t count, const qp_json_key_t *key,
                  const char *decoded, size_t *hint)
{
	size_t i = *hint;

	if (key->escaped)
		return lookup_decoded(fields, count, decoded);
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

/* Whether member number `index` of a bound object is unknown. */
static bool is_unknown(const qp_event_bound_t *b, size_t index, const cJSON *member,
                       const qp_event_field_t *fields, size_t nfields)
{
	if (index < 64)
		return b->unknown_mask >> index & 1;
	return lookup_decoded(fields, nfields, member->string) < 0;
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Refuses duplicate keys among obj's unknown members (known ones are checked
 * as they bind; b NULL: every member is unknown). Small objects compare
 * pairwise; large ones sort, so a 64 KiB object of keys stays O(n log n).
 */
static qp_err_t check_duplicates(const cJSON *obj, const qp_event_bound_t *b,
                                 const qp_event_field_t *fields, size_t nfields, size_t unknown,
                                 const qp_event_path_t *path)
{
	const char *small[16], **keys = small, *dup = NULL;
	const cJSON *member;
	size_t n = 0, i, j;

	if (unknown < 2)
		return QP_OK;
	if (unknown > sizeof(small) / sizeof(small[0]) && !(keys = malloc(unknown * sizeof(*keys))))
		return qp_error__set(QP_ERR_NOMEM, "checking %zu keys for duplicates", unknown);
	for (member = obj->child, i = 0; member; member = member->next, i++)
		if (!b || is_unknown(b, i, member, fields, nfields))
			keys[n++] = member->string;
	if (n <= sizeof(small) / sizeof(small[0])) {
		for (i = 0; i < n && !dup; i++)
			for (j = i + 1; j < n && !dup; j++)
				if (!strcmp(keys[i], keys[j]))
					dup = keys[i];
	} else {
		qsort(keys, n, sizeof(*keys), compare_keys);
		for (i = 1; i < n && !dup; i++)
			if (!strcmp(keys[i - 1], keys[i]))
				dup = keys[i];
	}
	if (keys != small)
		free(keys);
	if (dup)
		return qp_event__fail(QP_EVENT__AT(path, dup), QP_ERR_DUPLICATE_KEY, "duplicate key");
	return QP_OK;
}

/* Inside a field the schema does not know: no duplicate keys in any object,
 * no number beyond a double, at any depth (bounded by the scan). */
static qp_err_t check_unknown_value(const cJSON *node, const qp_event_path_t *path)
{
	const cJSON *child;
	size_t i = 0, count = 0;
	qp_err_t err;

	if (QP_CJSON_TYPE(node) == cJSON_Number && !isfinite(node->valuedouble))
		return qp_event__fail(path, QP_ERR_FIELD_RANGE, "number too large for a double");
	if (!QP_CJSON_IS_CONTAINER(node))
		return QP_OK;
	for (child = node->child; child; child = child->next)
		count++;
	if (QP_CJSON_TYPE(node) == cJSON_Object &&
	    (err = check_duplicates(node, NULL, NULL, 0, count, path)))
		return err;
	for (child = node->child; child; child = child->next, i++) {
		qp_event_path_t at = { path, QP_CJSON_TYPE(node) == cJSON_Object ? child->string : NULL, i };

		if ((err = check_unknown_value(child, &at)))
			return err;
	}
	return QP_OK;
}

qp_err_t qp_event__bind(qp_event_decoder_t *dec, const cJSON *obj, uint32_t self,
                        const qp_event_field_t *fields, size_t nfields,
                        const qp_event_path_t *path, qp_event_bound_t *b)
{
	const qp_json_container_t *containers = dec->scan.containers;
	const qp_json_key_t *keys = dec->scan.keys;
	uint32_t next = self + 1, key = containers[self].keys_begin;
	const cJSON *member;
	size_t hint = 0, i;
	qp_err_t err;
	int f;

	memset(b->node, 0, nfields * sizeof(b->node[0]));
	b->self = self;
	b->unknown = 0;
	b->unknown_mask = 0;
	for (member = obj->child, i = 0; member; member = member->next, i++) {
		uint32_t container = 0, this_key = key;

		if (QP_CJSON_IS_CONTAINER(member)) {
			container = next;
			key = containers[next].keys_end;
			next += 1 + containers[next].descendants;
		} else {
			key++;
		}
		if ((f = lookup(fields, nfields, &keys[this_key], member->string, &hint)) < 0) {
			b->unknown++;
			if (i < 64)
				b->unknown_mask |= UINT64_C(1) << i;
			continue;
		}
		if (b->node[f])
			return qp_event__fail(QP_EVENT__AT(path, fields[f].name), QP_ERR_DUPLICATE_KEY,
			                      "duplicate key");
		b->node[f] = member;
		b->container[f] = container;
	}
	if (!b->unknown)
		return QP_OK;
	if ((err = check_duplicates(obj, b, fields, nfields, b->unknown, path)))
		return err;
	for (member = obj->child, i = 0; member; member = member->next, i++)
		if (is_unknown(b, i, member, fields, nfields) &&
		    (err = check_unknown_value(member, QP_EVENT__AT(path, member->string))))
			return err;
	return QP_OK;
}

/* Calls fn for each unknown member of a bound object with its raw key and
 * value, walking cJSON's members and the raw ones side by side. */
typedef bool (*unknown_member_fn)(const qp_json_span_t *key, const qp_json_span_t *value,
                                  void *opaque);

static bool each_unknown(qp_event_decoder_t *dec, const cJSON *obj, const qp_event_bound_t *b,
                         const qp_event_field_t *fields, size_t nfields, unknown_member_fn fn,
                         void *opaque)
{
	qp_json_members_t it;
	qp_json_span_t key, value;
	const cJSON *member;
	size_t i;

	qp_json__members_init(&it, dec->doc, dec->len, &dec->scan, b->self);
	for (member = obj->child, i = 0; member; member = member->next, i++) {
		if (!qp_json__members_next(&it, &key, &value))
			return false;
		if (is_unknown(b, i, member, fields, nfields) && !fn(&key, &value, opaque))
			return false;
	}
	return true;
}

static bool measure_member(const qp_json_span_t *key, const qp_json_span_t *value, void *opaque)
{
	*(size_t *)opaque += key->len + value->len + 2; /* ':' and ',' or the NUL */
	return true;
}

size_t qp_event__unknown_size(qp_event_decoder_t *dec, const cJSON *obj,
                              const qp_event_bound_t *b, const qp_event_field_t *fields,
                              size_t nfields)
{
	size_t size = 0;

	if (b->unknown && !each_unknown(dec, obj, b, fields, nfields, measure_member, &size))
		return dec->len + 1; /* cannot happen on a scanned document; still safe */
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

qp_err_t qp_event__unknown_fields(qp_event_decoder_t *dec, const cJSON *obj,
                                  const qp_event_bound_t *b, const qp_event_field_t *fields,
                                  size_t nfields, const char **out)
{
	copy_t c = { dec->unknown, dec->unknown_end, dec->unknown };

	*out = "";
	if (!b->unknown)
		return QP_OK;
	if (!each_unknown(dec, obj, b, fields, nfields, copy_member, &c) || c.p == c.end) {
		/* Only the top level's room was measured: the rest goes to an
		 * overflow block of the input's size, which holds any amount. */
		if (dec->block->overflow)
			return qp_error__set(QP_ERR_GENERIC, "internal: unknown fields do not fit");
		if (!(dec->block->overflow = malloc(dec->len + 1)))
			return qp_error__set(QP_ERR_NOMEM, "allocating %zu bytes", dec->len + 1);
		dec->unknown = dec->block->overflow;
		dec->unknown_end = dec->unknown + dec->len + 1;
		return qp_event__unknown_fields(dec, obj, b, fields, nfields, out);
	}
	*c.p++ = '\0';
	*out = c.start;
	dec->unknown = c.p;
	return QP_OK;
}
