/*
 * Events out of a request body: the content type decides the form (one
 * event, a JSON array, NDJSON); every event is decoded on its own so that
 * each keeps its bytes as sent and its own error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/errors_int.h"
#include "model/event_batch_int.h"
#include "services/ingest_int.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool qp_ingest__header_value(const char *headers, const char *name, char *out, size_t cap)
{
	size_t name_len = strlen(name);
	const char *line = headers;

	while (line && *line) {
		const char *eol = strchr(line, '\n'), *end = eol ? eol : line + strlen(line);
		const char *colon = memchr(line, ':', (size_t)(end - line));

		if (colon && (size_t)(colon - line) == name_len &&
		    strncasecmp(line, name, name_len) == 0) {
			const char *v = colon + 1;
			size_t n;

			while (v < end && is_space(*v))
				v++;
			while (end > v && is_space(end[-1]))
				end--;
			n = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

qp_ingest_form_t qp_ingest__form(const char *content_type)
{
	const char *semi = strchr(content_type, ';');
	size_t len = semi ? (size_t)(semi - content_type) : strlen(content_type);

	while (len > 0 && is_space(content_type[len - 1]))
		len--;
#define IS(type) (len == sizeof(type) - 1 && strncasecmp(content_type, type, len) == 0)
	if (IS("application/json"))
		return QP_INGEST_FORM_JSON;
	if (IS("application/x-ndjson") || IS("application/ndjson"))
		return QP_INGEST_FORM_NDJSON;
#undef IS
	return QP_INGEST_FORM_NONE;
}

void qp_ingest__batch_dispose(qp_ingest_batch_t *batch)
{
	size_t i;

	for (i = 0; i < batch->count; i++)
		qp_event_destroy(batch->events[i].event);
	free(batch->events);
	free(batch->errors);
	qp_buf_dispose(&batch->inflated);
	memset(batch, 0, sizeof(*batch));
}

/* The decoder's text errors make the request malformed (400); every other
 * refusal is of the schema (422). */
static bool is_malformed(qp_err_t code)
{
	return code == QP_ERR_JSON || code == QP_ERR_UTF8 || code == QP_ERR_TOO_DEEP ||
	       code == QP_ERR_DUPLICATE_KEY;
}

static qp_err_t add_error(qp_ingest_batch_t *batch, long index, qp_err_t code,
                          const char *pointer)
{
	qp_ingest_error_t *e;

	batch->malformed |= is_malformed(code);
	if (batch->error_count++ >= QP_INGEST__MAX_ERRORS)
		return QP_OK;
	if (!batch->errors &&
	    !(batch->errors = calloc(QP_INGEST__MAX_ERRORS, sizeof(*batch->errors))))
		return qp_error__code(QP_ERR_NOMEM);
	e = &batch->errors[batch->error_count - 1];
	e->index = index;
	e->code = code;
	snprintf(e->pointer, sizeof(e->pointer), "%s", pointer);
	snprintf(e->detail, sizeof(e->detail), "%s", qp_error_last());
	return QP_OK;
}

typedef struct decode_ctx {
	qp_ingest_batch_t *batch;
	size_t max_events;
	bool single;     /* one event, not a batch: errors carry no index */
	bool too_many;
} decode_ctx_t;

static qp_err_t decode_one(const char *raw, size_t len, size_t index, void *opaque)
{
	decode_ctx_t *ctx = opaque;
	qp_ingest_batch_t *batch = ctx->batch;
	qp_scan_event_t *ev;
	qp_ingest_event_t *events;
	qp_err_t err;

	if (index >= ctx->max_events) {
		ctx->too_many = true;
		return QP_ERR_TOO_LARGE;
	}
	if ((err = qp_event_decode(&ev, raw, len))) {
		if (err == QP_ERR_NOMEM)
			return err;
		return add_error(batch, ctx->single ? -1 : (long)index, err, qp_event__last_pointer());
	}
	if (!(events = realloc(batch->events, (batch->count + 1) * sizeof(*events)))) {
		qp_event_destroy(ev);
		return qp_error__code(QP_ERR_NOMEM);
	}
	batch->events = events;
	events[batch->count++] = (qp_ingest_event_t){ raw, len, ev };
	return QP_OK;
}

static qp_err_t decode_lines(decode_ctx_t *ctx, const char *body, size_t len)
{
	const char *p = body, *end = body + len;
	size_t index = 0;
	qp_err_t err;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *stop = eol ? eol : end;
		const char *start = p;

		p = eol ? eol + 1 : end;
		while (start < stop && is_space(*start))
			start++;
		while (stop > start && is_space(stop[-1]))
			stop--;
		if (start == stop)
			continue;
		if ((err = decode_one(start, (size_t)(stop - start), index++, ctx)))
			return err;
	}
	return QP_OK;
}

qp_err_t qp_ingest__batch_decode(qp_ingest_batch_t *batch, const char *body, size_t len,
                                 qp_ingest_form_t form, size_t max_events)
{
	decode_ctx_t ctx = { batch, max_events, false, false };
	const char *first = body;
	qp_err_t err;

	while (first < body + len && is_space(*first))
		first++;
	if (form == QP_INGEST_FORM_NDJSON) {
		err = decode_lines(&ctx, body, len);
	} else if (first < body + len && *first == '[') {
		err = qp_event__split_array(body, len, decode_one, &ctx);
		if (err && err != QP_ERR_NOMEM && !ctx.too_many)
			err = add_error(batch, -1, err, "");
	} else {
		/* The event's bytes go to Kafka as sent, less the whitespace
		 * around them (curl --data-binary @file adds the file's newline). */
		const char *end = body + len;

		while (end > first && is_space(end[-1]))
			end--;
		ctx.single = true;
		err = decode_one(first, (size_t)(end - first), 0, &ctx);
	}
	if (ctx.too_many)
		return qp_error__set(QP_ERR_TOO_LARGE, "more than %zu events in one request",
		                     max_events);
	if (!err && batch->count == 0 && batch->error_count == 0) {
		qp_error__set(QP_ERR_MISSING_FIELD, "the body holds no event");
		err = add_error(batch, -1, QP_ERR_MISSING_FIELD, "");
	}
	return err;
}
