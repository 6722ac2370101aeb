/* Error details of the event decoder: "wifi[2].rssi_dbm: 17 is outside [-120, 0]". */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/event_batch_int.h"
#include "model/event_int.h"

/* Appends text to out[*n..cap), control bytes as '?', cut at max bytes on a
 * character boundary: keys and values in details stay one printable line. */
static void put_clean(char *out, size_t *n, size_t cap, const char *text, size_t len,
                      size_t max)
{
	size_t i;
	bool cut = len > max;

	if (cut) {
		len = max;
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
	}
	for (i = 0; i < len && *n + 1 < cap; i++)
		out[(*n)++] = (unsigned char)text[i] < 0x20 || text[i] == 0x7F ? '?' : text[i];
	for (i = 0; cut && i < 3 && *n + 1 < cap; i++)
		out[(*n)++] = '.';
	out[*n] = '\0';
}

#define KEY_SHOWN 48

static void format_path(const qp_event_path_t *path, char *out, size_t *n, size_t cap)
{
	/* A raw key decoded far enough to show it (and to see that it is cut). */
	char index[32], key[KEY_SHOWN + 8];
	size_t len;

	if (!path)
		return;
	format_path(path->parent, out, n, cap);
	if (path->key || path->raw_key) {
		if (path->parent)
			put_clean(out, n, cap, ".", 1, 1);
		if (path->key) {
			put_clean(out, n, cap, path->key, strlen(path->key), KEY_SHOWN);
		} else {
			len = qp_json__unescape(path->raw_key, path->raw_len, key, sizeof(key));
			put_clean(out, n, cap, key, len < sizeof(key) ? len : sizeof(key), KEY_SHOWN);
		}
	} else {
		snprintf(index, sizeof(index), "[%zu]", path->index);
		put_clean(out, n, cap, index, strlen(index), sizeof(index));
	}
}

/* The failing field of the calling thread's last decode as a JSON pointer
 * (RFC 6901), for the ingest API's problem details. */
static _Thread_local char last_pointer[512];

/* Appends text to the pointer; with escape, '~' as "~0" and '/' as "~1".
 * Stops short (on a character boundary) when the buffer is full. */
static void put_pointer(size_t *n, const char *text, bool escape)
{
	for (; *text; text++) {
		const char *piece = !escape ? NULL : *text == '~' ? "~0" : *text == '/' ? "~1" : NULL;
		size_t need = piece ? 2 : 1;

		if (*n + need + 1 > sizeof(last_pointer)) {
			/* Cut: drop a character left incomplete. */
			while (*n > 0 && ((unsigned char)last_pointer[*n - 1] & 0xC0) == 0x80)
				(*n)--;
			if (*n > 0 && (unsigned char)last_pointer[*n - 1] >= 0xC0)
				(*n)--;
			break;
		}
		if (piece)
			memcpy(last_pointer + *n, piece, 2);
		else
			last_pointer[*n] = *text;
		*n += need;
	}
	last_pointer[*n] = '\0';
}

static void format_pointer(const qp_event_path_t *path, size_t *n)
{
	char index[32];

	if (!path)
		return;
	format_pointer(path->parent, n);
	put_pointer(n, "/", false);
	if (path->key) {
		put_pointer(n, path->key, true);
	} else {
		snprintf(index, sizeof(index), "%zu", path->index);
		put_pointer(n, index, false);
	}
}

void qp_event__pointer_reset(void)
{
	last_pointer[0] = '\0';
}

const char *qp_event__last_pointer(void)
{
	return last_pointer;
}

qp_err_t qp_event__fail(const qp_event_path_t *path, qp_err_t code, const char *fmt, ...)
{
	char where[256] = "event", what[512];
	size_t n = 0;
	va_list ap;

	if (path)
		format_path(path, where, &n, sizeof(where));
	n = 0;
	last_pointer[0] = '\0';
	format_pointer(path, &n);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return qp_error__set(code, "%s: %s", where, what);
}

const char *qp_event__type_name(const qp_json_value_t *node)
{
	switch ((qp_json_type_t)node->type) {
	case QP_JSON_FALSE:
	case QP_JSON_TRUE: return "a boolean";
	case QP_JSON_NULL: return "null";
	case QP_JSON_NUMBER: return "a number";
	case QP_JSON_STRING: return "a string";
	case QP_JSON_ARRAY: return "an array";
	case QP_JSON_OBJECT: return "an object";
	}
	return "an unknown value";
}

const char *qp_event__quoted(const char *s, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	put_clean(out, &n, cap, "\"", 1, 1);
	put_clean(out, &n, cap, s, len, 40);
	put_clean(out, &n, cap, "\"", 1, 1);
	return out;
}
