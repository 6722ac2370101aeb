/* Internal: what the event decoder, encoders and accessors share. */
#ifndef QP_EVENT_INT_H
#define QP_EVENT_INT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "base/errors_int.h"
#include "model/json_int.h"
#include "quackpipe/event.h"

/* ts_ms and received_ms must fall in years 2000..2099: the fraud engine
 * judges clock skew against receipt time; the codec only refuses values no
 * clock can have. */
#define QP_EVENT__TS_MIN_MS INT64_C(946684800000)  /* 2000-01-01T00:00:00Z */
#define QP_EVENT__TS_MAX_MS INT64_C(4102444799999) /* 2099-12-31T23:59:59.999Z */

/* 802.11 limits an SSID to 32 bytes. */
#define QP_EVENT__MAX_SSID 32

/* Number of qp_radio_t values. */
#define QP_EVENT__RADIO_COUNT 5

/*
 * What the decoder allocates: the event, then (in the same block) its arrays
 * and strings. Unknown fields of nested objects that outgrow the block's
 * estimate go to one overflow block, freed with the event.
 */
typedef struct qp_event_block {
	qp_scan_event_t event;
	char *overflow;
} qp_event_block_t;

/*
 * Checks an enrichment given by the host before it is written (the decoder
 * checks decoded ones itself): received_ms in the ts window, quality_score
 * in [0, 1], at most QP_EVENT_MAX_FLAGS flags, every string non-NULL, valid
 * UTF-8 and at most QP_EVENT_MAX_STRING bytes, flags and enriched_by
 * non-empty. QP_ERR_INVALID_ARG / QP_ERR_FIELD_RANGE / QP_ERR_TOO_LARGE with
 * the field in the detail.
 */
qp_err_t qp_event__check_enrichment(const qp_enrichment_t *enrichment);

/* ---- decoding (event_path.c, event_bind.c, event_decode.c) ---- */

/* A field's place in the document, for error details: built on the stack
 * as the walk descends, formatted only when something is wrong. */
typedef struct qp_event_path {
	const struct qp_event_path *parent;
	const char *key; /* NULL: element `index` of an array */
	size_t index;
} qp_event_path_t;

/* The path of member key under parent, built only where it is used. */
#define QP_EVENT__AT(parent, key) (&(const qp_event_path_t){ (parent), (key), 0 })

/* Raises code with the detail "<path>: <fmt...>" ("event: ..." for NULL). */
qp_err_t qp_event__fail(const qp_event_path_t *path, qp_err_t code, const char *fmt, ...)
	QP_PRINTF(3, 4);

/* "a string", "an object", ... for "expected X, got Y" details. */
const char *qp_event__type_name(const cJSON *node);

/* s as a detail shows a value: quoted, control bytes as '?', at most 40
 * bytes. Returns out. */
const char *qp_event__quoted(const char *s, char *out, size_t cap);

/* A field of the schema; head is the name zero-padded to 16 bytes, for
 * lookups by key head (json_int.h). No field name is longer than 16. */
typedef struct qp_event_field {
	const char *name;
	char head[16];
	uint32_t len;
} qp_event_field_t;

#define QP_EVENT__FIELD(name) { name, name, sizeof(name) - 1 }
#define QP_EVENT__MAX_FIELDS 16

typedef struct qp_event_decoder {
	const char *doc;
	size_t len;
	qp_json_scan_t scan;
	bool enriched;
	/* Known string fields: room for every string value in the input. */
	char *strings;
	char *strings_end;
	/* Unknown fields' text: room for the top level's, then an overflow. */
	char *unknown;
	char *unknown_end;
	qp_event_block_t *block;
} qp_event_decoder_t;

/* An object's members matched against its fields. */
typedef struct qp_event_bound {
	const cJSON *node[QP_EVENT__MAX_FIELDS]; /* NULL: absent */
	uint32_t container[QP_EVENT__MAX_FIELDS]; /* scan index of object/array values */
	uint32_t self;                            /* the object's own scan index */
	size_t unknown;                           /* members the schema does not know */
	uint64_t unknown_mask;                    /* bit i: member i (< 64) is unknown */
} qp_event_bound_t;

/*
 * Matches the members of obj (scan index self) to fields: refuses duplicate
 * keys, notes each known member's scan index, and checks what the unknown
 * members hold (no duplicate keys, no number beyond a double, at any depth).
 */
qp_err_t qp_event__bind(qp_event_decoder_t *dec, const cJSON *obj, uint32_t self,
                        const qp_event_field_t *fields, size_t nfields,
                        const qp_event_path_t *path, qp_event_bound_t *b);

/* Bytes the unknown members' text of a bound object takes (see below). */
size_t qp_event__unknown_size(qp_event_decoder_t *dec, const cJSON *obj,
                              const qp_event_bound_t *b, const qp_event_field_t *fields,
                              size_t nfields);

/*
 * The unknown members of a bound object as their raw bytes, "key":value
 * joined by ',' ("" if none), copied into the decoder's unknown text area
 * (or its overflow block).
 */
qp_err_t qp_event__unknown_fields(qp_event_decoder_t *dec, const cJSON *obj,
                                  const qp_event_bound_t *b, const qp_event_field_t *fields,
                                  size_t nfields, const char **out);

/* cJSON's own cJSON_Is* are calls into the shared library: the walk tests
 * types a hundred times per event, so it reads the type bits itself. */
#define QP_CJSON_TYPE(node) ((node)->type & 0xFF)
#define QP_CJSON_IS_CONTAINER(node) (((node)->type & (cJSON_Object | cJSON_Array)) != 0)

#endif
