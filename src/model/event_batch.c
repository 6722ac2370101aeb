/* The elements of a JSON array of events, as spans of the original bytes. */
#include "base/errors_int.h"
#include "model/event_batch_int.h"
#include "model/json_int.h"
#include "quackpipe/event.h"

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* The end of the value starting at p in a document the scanner accepted:
 * the ',' or ']' that closes it at the array's level. */
static const char *value_end(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		switch (*p) {
		case '"':
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return p;
			depth--;
			break;
		case ',':
			if (depth == 0)
				return p;
			break;
		}
	}
	return end;
}

static qp_err_t walk(const char *doc, size_t len, qp_event_element_fn *fn, void *opaque)
{
	const char *p = doc, *end = doc + len;
	size_t index = 0;
	qp_err_t err;

	p = skip_space(p, end) + 1; /* the '[' */
	for (;;) {
		const char *start = skip_space(p, end), *stop;

		if (start >= end || *start == ']')
			return QP_OK;
		stop = value_end(start, end);
		p = stop + 1;
		while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t' ||
		                        stop[-1] == '\n' || stop[-1] == '\r'))
			stop--;
		if ((err = fn(start, (size_t)(stop - start), index++, opaque)))
			return err;
		if (p > end || p[-1] == ']')
			return QP_OK;
	}
}

qp_err_t qp_event__split_array(const char *doc, size_t len, qp_event_element_fn *fn,
                               void *opaque)
{
	qp_json_scan_t scan;
	const char *first;
	qp_err_t err;

	if (!doc || !fn)
		return qp_error__set(QP_ERR_INVALID_ARG, "split_array: NULL argument");
	first = skip_space(doc, doc + len);
	if (first == doc + len || *first != '[')
		return qp_error__set(QP_ERR_INVALID_ARG, "the body is not a JSON array");
	err = qp_json__scan(&scan, doc, len, QP_EVENT_MAX_DEPTH + 1);
	qp_json__scan_dispose(&scan);
	if (err)
		return err;
	return walk(doc, len, fn, opaque);
}
