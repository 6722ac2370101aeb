/*
 * qp_err_t returns become the language's errors: a raised quackpipe.Error
 * (Python) or a returned `error` (Go), carrying the code, its name and the
 * detail of qp_error_last().
 *
 * The detail is per thread, so it is read inside the C wrapper, right after
 * the call and on the thread that made it: in Python before anything else
 * can run on that thread, in Go before the goroutine can move to another
 * thread (Go reads it from the string the wrapper returns).
 */

/* Once a call reports an error, the per-thread state is the binding's business. */
%ignore qp_error_last;
%ignore qp_error_last_code;
%ignore qp_error_clear;

#ifdef SWIGGO
/* A code given to the library (qp_err_name(code)) is a plain int in Go; such
 * a parameter must be named `code`, as in errors.h, for this to apply. */
%typemap(gotype) qp_err_t code "int"
%typemap(imtype) qp_err_t code "int"
%typemap(in) qp_err_t code %{ $1 = (qp_err_t)$input; %}
#endif

%{
/* The detail of `code` if the library recorded it for this call, else the code's
 * description (a callback's abort code, for instance, carries no detail). */
static const char *qpb_error_detail(qp_err_t code)
{
	const char *detail = qp_error_last();

	return qp_error_last_code() == code && *detail ? detail : qp_err_str(code);
}
%}

/*
 * The family of an error code, which selects the exception class (Python) or
 * the sentinel that errors.Is matches (Go). One table for both languages;
 * a code missing here still raises, as the base Error.
 */
%inline %{
static const char *qpb_error_family(qp_err_t code)
{
	switch (code) {
	case QP_ERR_CONF_UNKNOWN:
	case QP_ERR_CONF_INVALID:
		return "config";
	case QP_ERR_JSON:
	case QP_ERR_TOO_LARGE:
	case QP_ERR_TOO_DEEP:
	case QP_ERR_UTF8:
	case QP_ERR_DUPLICATE_KEY:
	case QP_ERR_MISSING_FIELD:
	case QP_ERR_FIELD_TYPE:
	case QP_ERR_FIELD_RANGE:
	case QP_ERR_FIELD_FORMAT:
	case QP_ERR_FORBIDDEN_FIELD:
	case QP_ERR_SCHEMA_VERSION:
		return "validation";
	case QP_ERR_KAFKA:
	case QP_ERR_TOPIC_MISMATCH:
	case QP_ERR_TXN_ABORTED:
		return "kafka";
	case QP_ERR_QUEUE_FULL:
		return "queue_full";
	case QP_ERR_TIMEOUT:
		return "timeout";
	case QP_ERR_NO_EVENT:
		return "no_event";
	case QP_ERR_WAKEUP:
		return "wakeup";
	case QP_ERR_CLOSED:
		return "closed";
	case QP_ERR_STATE:
		return "state";
	case QP_ERR_HTTP:
	case QP_ERR_CLICKHOUSE:
		return "clickhouse";
	case QP_ERR_INVALID_ARG:
		return "invalid_argument";
	case QP_ERR_NOMEM:
		return "memory";
	case QP_ERR_IO:
		return "io";
	case QP_ERR_NOT_AVAILABLE:
		return "not_available";
	case QP_ERR_NOT_FOUND:
		return "not_found";
	case QP_ERR_RETRIES_EXHAUSTED:
		return "retries_exhausted";
	case QP_ERR_USER:
		return "user";
	default:
		return "";
	}
}
%}

#ifdef SWIGPYTHON
%{
/*
 * An exception raised by a Python callback cannot cross the library's C
 * frames. The trampoline (typemaps/callbacks.i) keeps it here, per thread
 * (callbacks run on the thread that made the call), and aborts the call if
 * the callback type allows it (QP_ERR_USER); the wrapper of the call raises
 * it once the call has returned. A callback starts with an empty slot, so a
 * library call made from inside it never raises an outer callback's
 * exception; a second exception in one call goes to sys.unraisablehook.
 */
typedef struct qpb_py_exc {
	PyObject *type, *value, *tb;
} qpb_py_exc_t;

static __thread qpb_py_exc_t qpb_py_pending;

/* Starts a callback: saves the call's slot in *outer and empties it. */
static void qpb_py_cb_enter(qpb_py_exc_t *outer)
{
	*outer = qpb_py_pending;
	qpb_py_pending.type = qpb_py_pending.value = qpb_py_pending.tb = NULL;
}

/* Reports a kept exception that no wrapper will raise. */
static void qpb_py_exc_unraisable(qpb_py_exc_t *exc)
{
	if (!exc->type)
		return;
	PyErr_Restore(exc->type, exc->value, exc->tb);
	exc->type = exc->value = exc->tb = NULL;
	PyErr_WriteUnraisable(NULL);
}

/* Ends a callback (with the GIL): keeps the exception it raised, if any, for
 * the call's wrapper. Returns -1 if it raised, else 0. */
static int qpb_py_cb_leave(qpb_py_exc_t *outer)
{
	PyObject *type, *value, *tb;
	int raised = PyErr_Occurred() != NULL;

	if (raised)
		PyErr_Fetch(&type, &value, &tb);
	qpb_py_exc_unraisable(&qpb_py_pending); /* left by an inner call that could not raise */
	qpb_py_pending = *outer;
	if (raised) {
		if (!qpb_py_pending.type) {
			qpb_py_pending.type = type;
			qpb_py_pending.value = value;
			qpb_py_pending.tb = tb;
		} else {
			PyErr_Restore(type, value, tb);
			PyErr_WriteUnraisable(NULL);
		}
	}
	return raised ? -1 : 0;
}

/* In a wrapper, after the call: raises the exception a callback kept. */
static int qpb_py_pending_raise(void)
{
	if (!qpb_py_pending.type)
		return 0;
	PyErr_Restore(qpb_py_pending.type, qpb_py_pending.value, qpb_py_pending.tb);
	qpb_py_pending.type = qpb_py_pending.value = qpb_py_pending.tb = NULL;
	return 1;
}

/*
 * Raises the quackpipe.errors class for code, built by that module's
 * _from_code() so the class hierarchy lives in Python. The detail may hold
 * bytes from outside (a device's JSON, ClickHouse's text): invalid UTF-8 is
 * replaced rather than turning the error into a UnicodeDecodeError.
 */
static void qpb_py_raise(qp_err_t code, const char *detail)
{
	PyObject *module, *text, *exc;

	if (!(module = PyImport_ImportModule("quackpipe.errors")))
		return;
	text = PyUnicode_DecodeUTF8(detail, (Py_ssize_t)strlen(detail), "replace");
	exc = text ? PyObject_CallMethod(module, "_from_code", "isOs", (int)code,
	                                 qp_err_name(code), text,
	                                 qpb_error_family(code))
	           : NULL;
	Py_XDECREF(text);
	Py_DECREF(module);
	if (!exc)
		return;
	PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
	Py_DECREF(exc);
}
%}

/* A Python exception raised by a host callback wins over the code the
 * library returned because of it (QP_ERR_USER or the callback's own), and
 * is raised even when the call succeeded (a delivery callback cannot abort
 * the poll that runs it). */
%typemap(out) qp_err_t {
	if (qpb_py_pending_raise())
		SWIG_fail;
	if ($1 != QP_OK) {
		if (!PyErr_Occurred())
			qpb_py_raise($1, qpb_error_detail($1));
		SWIG_fail;
	}
	$result = SWIG_Py_Void();
}
#endif

#ifdef SWIGGO
/*
 * In Go the wrapper returns "" on success, else "<code> <detail>", read while
 * still on the calling thread; capi.errorFrom() (errors.go) parses it.
 */
%typemap(gotype) qp_err_t "error"
%typemap(imtype) qp_err_t "string"
%typemap(out, fragment="AllocateString") qp_err_t {
	if ($1 == QP_OK) {
		$result = Swig_AllocateString("", 0);
	} else {
		char text[1100];
		int n = snprintf(text, sizeof(text), "%d %s", (int)$1, qpb_error_detail($1));

		$result = Swig_AllocateString(text, n < 0 ? 0 : n >= (int)sizeof(text) ? sizeof(text) - 1 : (size_t)n);
	}
}
%typemap(goout, fragment="CopyString") qp_err_t %{ $result = errorFrom(swigCopyString($1)) %}

#endif

/*
 * QP_ERR_VALUE(decl): a qp_err_t that is data, not the outcome of the call
 * (a message's decode error, a stats field): a plain int in both languages.
 * decl names the function or the struct member, e.g.
 * QP_ERR_VALUE(qp_err_t qp_message_decode_error).
 */
#ifdef SWIGPYTHON
%define QP_ERR_VALUE(DECL)
%typemap(out) DECL "$result = PyLong_FromLong((long)$1);"
%enddef
#endif
#ifdef SWIGGO
%define QP_ERR_VALUE(DECL)
%typemap(gotype) DECL "int"
%typemap(imtype) DECL "int"
%typemap(out) DECL %{ $result = (intgo)$1; %}
%typemap(goout) DECL ""
%enddef
#endif
