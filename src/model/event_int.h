/* Internal: what the event decoder, encoders and accessors share. */
#ifndef QP_EVENT_INT_H
#define QP_EVENT_INT_H

#include <stdbool.h>
#include <string.h>

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

/* ---- encoding (event_encode.c, event_row_binary.c) ---- */

/*
 * An encoder's output: appends to a buffer, remembering the first error so
 * that an encoder reads as a list of fields and tests once at the end.
 * qp_row_writer__end cuts the buffer back to where the encoding began on an
 * error, and NUL-terminates it otherwise.
 */
typedef struct qp_row_writer {
	qp_buf_t *buf;
	size_t start; /* the buffer's size before the call: restored on error */
	qp_err_t err;
} qp_row_writer_t;

/* estimate: a first guess at the output size, so that most need one growth. */
static inline void qp_row_writer__init(qp_row_writer_t *w, qp_buf_t *buf, size_t estimate)
{
	w->buf = buf;
	w->start = buf->size;
	w->err = qp_buf__grow(buf, estimate);
}

/* qp_buf__put's append, inline and without its NUL per call: it runs per
 * field of every event encoded (the NUL is written once, by _end). */
static inline void qp_row_writer__put(qp_row_writer_t *w, const void *p, size_t n)
{
	qp_buf_t *b = w->buf;

	if (w->err)
		return;
	if (b->size + n + 1 > b->asize && (w->err = qp_buf__grow(b, n)))
		return;
	memcpy(b->ptr + b->size, p, n);
	b->size += n;
}

static inline qp_err_t qp_row_writer__end(qp_row_writer_t *w)
{
	if (w->err) {
		qp_buf__truncate(w->buf, w->start);
		return w->err;
	}
	w->buf->ptr[w->buf->size] = '\0';
	return QP_OK;
}

/* Whether out and ev can be encoded: both non-NULL, every array non-NULL
 * unless empty (a host may have altered the event). */
bool qp_event__encodable(const qp_buf_t *out, const qp_scan_event_t *ev);

/*
 * Appends the event's ClickHouse row in RowBinary: the columns and values
 * of qp_event_encode_row's JSONEachRow line, in the order of the table
 * (qp_ch__put_columns names them for the INSERT). QP_ERR_FIELD_RANGE for an
 * integer that does not fit its column, QP_ERR_INVALID_ARG as for
 * qp_event_encode_row; out is then unchanged.
 */
qp_err_t qp_event__encode_row_binary(qp_buf_t *out, const qp_scan_event_t *ev);

/* ---- decoding (event_path.c, event_bind.c, event_decode.c) ---- */

/* A field's place in the document, for error details: built on the stack
 * as the walk descends, formatted only when something is wrong. */
typedef struct qp_event_path {
	const struct qp_event_path *parent;
	const char *key; /* NULL: element `index` of an array, or a raw key */
	size_t index;
	/* A key as the document has it (text between the quotes, escapes
	 * unresolved): decoded only if an error names it. */
	const char *raw_key;
	size_t raw_len;
} qp_event_path_t;

/* The path of member key under parent, built only where it is used. */
#define QP_EVENT__AT(parent, key) (&(const qp_event_path_t){ (parent), (key), 0, NULL, 0 })

/* Raises code with the detail "<path>: <fmt...>" ("event: ..." for NULL). */
qp_err_t qp_event__fail(const qp_event_path_t *path, qp_err_t code, const char *fmt, ...)
	QP_PRINTF(3, 4);

/* "a string", "an object", ... for "expected X, got Y" details. */
const char *qp_event__type_name(const qp_json_value_t *node);

/* s[0..len) as a detail shows a value: quoted, control bytes as '?', at
 * most 40 bytes. Returns out. */
const char *qp_event__quoted(const char *s, size_t len, char *out, size_t cap);

/* A field of the schema; head is the name zero-padded to 16 bytes, for
 * lookups by key head (json_int.h). No field name is longer than 16. */
typedef struct qp_event_field {
	const char *name;
	char head[16];
	uint32_t len;
} qp_event_field_t;

#define QP_EVENT__FIELD(name) { name, name, sizeof(name) - 1 }
#define QP_EVENT__MAX_FIELDS 16
#define QP_EVENT__MAX_KEY 16 /* the longest field name */

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
	const qp_json_value_t *node[QP_EVENT__MAX_FIELDS]; /* NULL: absent */
	const qp_json_value_t *self;                       /* the object */
	const qp_event_field_t *fields;
	size_t nfields;
	size_t unknown;          /* members the schema does not know */
	uint64_t unknown_mask;   /* bit i: member i (< 64) is unknown */
} qp_event_bound_t;

/*
 * Matches the members of obj (a value of dec->scan) to fields: refuses
 * duplicate keys and checks what the unknown members hold (no duplicate
 * keys, no number beyond a double, at any depth).
 */
qp_err_t qp_event__bind(qp_event_decoder_t *dec, const qp_json_value_t *obj,
                        const qp_event_field_t *fields, size_t nfields,
                        const qp_event_path_t *path, qp_event_bound_t *b);

/* Bytes the unknown members' text of a bound object takes (see below). */
size_t qp_event__unknown_size(qp_event_decoder_t *dec, const qp_event_bound_t *b);

/*
 * The unknown members of a bound object as their raw bytes, "key":value
 * joined by ',' ("" if none), copied into the decoder's unknown text area
 * (or its overflow block).
 */
qp_err_t qp_event__unknown_fields(qp_event_decoder_t *dec, const qp_event_bound_t *b,
                                  const char **out);

/* The first child of a container value, and the sibling after a value,
 * NULL past the container's last child. */
static inline const qp_json_value_t *qp_event__child(const qp_json_scan_t *scan,
                                                     const qp_json_value_t *parent)
{
	const qp_json_value_t *first = parent + 1;

	return first < scan->values + parent->next ? first : NULL;
}

static inline const qp_json_value_t *qp_event__sibling(const qp_json_scan_t *scan,
                                                       const qp_json_value_t *parent,
                                                       const qp_json_value_t *v)
{
	return v->next < parent->next ? scan->values + v->next : NULL;
}

#endif
