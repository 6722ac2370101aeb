/* Responses of the ingest API: status, a few headers, a JSON body. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/buf_int.h"
#include "base/errors_int.h"
#include "base/utf8_int.h"
#include "services/ingest_int.h"

qp_ingest_response_t *qp_ingest__response(int status)
{
	qp_ingest_response_t *r = calloc(1, sizeof(*r));

	if (!r) {
		qp_error__code(QP_ERR_NOMEM);
		return NULL;
	}
	r->status = status;
	return r;
}

void qp_ingest__header(qp_ingest_response_t *r, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (!r || r->header_count == QP_INGEST__MAX_HEADERS)
		return;
	r->headers[r->header_count].name = name;
	va_start(ap, fmt);
	vsnprintf(r->headers[r->header_count].value, sizeof(r->headers[0].value), fmt, ap);
	va_end(ap);
	r->header_count++;
}

qp_err_t qp_ingest__put_json_string(qp_buf_t *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	qp_err_t err = qp_buf__putc(buf, '"');
	size_t i = 0;

	while (!err && i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t seq;

		if (c == '"' || c == '\\') {
			err = qp_buf__putc(buf, '\\');
			if (!err)
				err = qp_buf__putc(buf, (char)c);
			i++;
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			err = qp_buf__put(buf, esc, sizeof(esc));
			i++;
		} else if (c < 0x80) {
			err = qp_buf__putc(buf, (char)c);
			i++;
		} else if ((seq = qp_utf8__sequence((const unsigned char *)s + i, len - i))) {
			err = qp_buf__put(buf, s + i, seq);
			i += seq;
		} else {
			err = qp_buf__putc(buf, '?');
			i++;
		}
	}
	return err ? err : qp_buf__putc(buf, '"');
}

static qp_err_t put_field(qp_buf_t *b, const char *name, const char *value)
{
	qp_err_t err = qp_buf__printf(b, ",\"%s\":", name);

	return err ? err : qp_ingest__put_json_string(b, value, strlen(value));
}

qp_ingest_response_t *qp_ingest__problem(int status, const char *kind, const char *title,
                                         const char *detail, const qp_ingest_error_t *errors,
                                         size_t count)
{
	qp_ingest_response_t *r = qp_ingest__response(status);
	qp_buf_t *b;
	qp_err_t err;
	size_t i;

	if (!r)
		return NULL;
	b = &r->body;
	err = qp_buf__printf(b, "{\"type\":\"urn:quackpipe:problem:%s\",\"status\":%d", kind, status);
	if (!err)
		err = put_field(b, "title", title);
	if (!err && detail)
		err = put_field(b, "detail", detail);
	if (!err && count)
		err = qp_buf__puts(b, ",\"errors\":[");
	for (i = 0; !err && i < count; i++) {
		const qp_ingest_error_t *e = &errors[i];

		err = qp_buf__puts(b, i ? ",{" : "{");
		if (!err && e->index >= 0)
			err = qp_buf__printf(b, "\"index\":%ld,", e->index);
		if (!err)
			err = qp_buf__puts(b, "\"pointer\":");
		if (!err)
			err = qp_ingest__put_json_string(b, e->pointer, strlen(e->pointer));
		if (!err)
			err = put_field(b, "code", qp_err_name(e->code));
		if (!err)
			err = put_field(b, "detail", e->detail);
		if (!err)
			err = qp_buf__putc(b, '}');
	}
	if (!err && count)
		err = qp_buf__putc(b, ']');
	if (!err)
		err = qp_buf__puts(b, "}\n");
	if (err) {
		qp_ingest_response_destroy(r);
		qp_error__code(QP_ERR_NOMEM);
		return NULL;
	}
	qp_ingest__header(r, "Content-Type", "application/problem+json");
	return r;
}

int qp_ingest_response_status(const qp_ingest_response_t *resp)
{
	return resp ? resp->status : 0;
}

const char *qp_ingest_response_body(const qp_ingest_response_t *resp, size_t *len)
{
	if (len)
		*len = resp ? resp->body.size : 0;
	return resp && resp->body.ptr ? resp->body.ptr : "";
}

size_t qp_ingest_response_header_count(const qp_ingest_response_t *resp)
{
	return resp ? resp->header_count : 0;
}

qp_err_t qp_ingest_response_header_at(const qp_ingest_response_t *resp, size_t index,
                                      const char **name, const char **value)
{
	if (!resp || index >= resp->header_count)
		return qp_error__set(QP_ERR_NOT_FOUND, "no response header %zu", index);
	if (name)
		*name = resp->headers[index].name;
	if (value)
		*value = resp->headers[index].value;
	return QP_OK;
}

void qp_ingest_response_destroy(qp_ingest_response_t *resp)
{
	if (!resp)
		return;
	qp_buf_dispose(&resp->body);
	free(resp);
}
