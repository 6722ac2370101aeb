/* Error codes and the per-thread error detail. */
#include <stdarg.h>
#include <stdio.h>

#include "base/errors_int.h"

/* Long enough for a field path, a value and ClickHouse's error text. */
#define QP_ERROR_DETAIL_MAX 1024

static _Thread_local char last_detail[QP_ERROR_DETAIL_MAX];
static _Thread_local qp_err_t last_code;

const char *qp_err_str(qp_err_t code)
{
	switch (code) {
#define QP_X_STR(name, value, text) case name: return text;
	QP_ERROR_CODES(QP_X_STR)
#undef QP_X_STR
	}
	return "unknown error code";
}

const char *qp_err_name(qp_err_t code)
{
	switch (code) {
#define QP_X_NAME(name, value, text) case name: return #name;
	QP_ERROR_CODES(QP_X_NAME)
#undef QP_X_NAME
	}
	return "QP_ERR_UNKNOWN";
}

const char *qp_error_last(void)
{
	return last_detail;
}

qp_err_t qp_error_last_code(void)
{
	return last_code;
}

void qp_error_clear(void)
{
	last_detail[0] = '\0';
	last_code = QP_OK;
}

qp_err_t qp_error__set(qp_err_t code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_detail, sizeof(last_detail), fmt, ap);
	va_end(ap);
	last_code = code;
	return code;
}

qp_err_t qp_error__code(qp_err_t code)
{
	return qp_error__set(code, "%s", qp_err_str(code));
}
