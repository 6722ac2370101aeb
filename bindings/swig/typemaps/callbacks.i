/*
 * Callbacks: a C `(cb, opaque)` pair is one argument in the bindings.
 *  - Python: a callable (or None to unset). opaque is the callable itself,
 *    borrowed: the caller keeps it alive as long as the library may call it
 *    (the quackpipe package does, on the objects that hold the handle).
 *    Trampolines take the GIL, so they work whether or not the call that
 *    triggered them released it.
 *  - Go: a uintptr holding a cgo.Handle (0 to unset). The trampoline calls an
 *    exported Go function (internal/capi/callbacks.go) that looks the handle
 *    up; the public package creates and deletes the handles.
 * The library calls callbacks only on a thread that called into it, inside
 * that call, which is what makes both schemes safe.
 *
 * QP_CALLBACK(cbtype, python_trampoline, go_trampoline) declares the
 * typemap for one callback type; the trampolines are written once per type
 * below, next to it.
 */

#ifdef SWIGPYTHON
%define QP_CALLBACK(CBTYPE, PY_TRAMPOLINE, GO_TRAMPOLINE)
%typemap(in) (CBTYPE *cb, void *opaque) {
	if ($input == Py_None) {
		$1 = NULL;
		$2 = NULL;
	} else if (PyCallable_Check($input)) {
		$1 = PY_TRAMPOLINE;
		$2 = (void *)$input;
	} else {
		SWIG_exception_fail(SWIG_TypeError, "expected a callable or None");
	}
}
%enddef

%{
/* Text from the library as str, never failing on bad UTF-8. */
static PyObject *qpb_py_text(const char *text)
{
	return PyUnicode_DecodeUTF8(text ? text : "", text ? (Py_ssize_t)strlen(text) : 0,
	                            "replace");
}

/* A log line cannot fail its caller: an exception in the handler is reported
 * the way Python reports exceptions it cannot raise (sys.unraisablehook). */
static void qpb_py_log_cb(qp_log_level_t level, const char *module,
                          const char *message, void *opaque)
{
	PyGILState_STATE gil;
	PyObject *res;

	if (!Py_IsInitialized())
		return;
	gil = PyGILState_Ensure();
	res = PyObject_CallFunction((PyObject *)opaque, "iNN", (int)level,
	                            qpb_py_text(module), qpb_py_text(message));
	if (res)
		Py_DECREF(res);
	else
		PyErr_WriteUnraisable((PyObject *)opaque);
	PyGILState_Release(gil);
}

/*
 * The other callbacks are part of the call that runs them: an exception is
 * kept (qpb_py_cb_enter/leave, typemaps/errors.i) and raised by that call
 * once it returns; a callback that can abort the call returns QP_ERR_USER.
 * The quackpipe package wraps the host's function in an adapter that turns
 * these raw arguments into objects (DeliveryReport, Message, Event, ...).
 */

/* An int the callable returned: None is 0; anything else must be an int. */
static int qpb_py_int_result(PyObject *res)
{
	long value;

	if (!res || res == Py_None)
		return 0;
	value = PyLong_AsLong(res);
	if (value == -1 && PyErr_Occurred())
		return 0;
	return value < INT_MIN || value > INT_MAX ? INT_MAX : (int)value;
}

/* A pointer the library lends to a callback, as an object that forgets it
 * when the callback returns (a kept reference then raises ClosedError). */
static PyObject *qpb_py_lend(void *ptr, swig_type_info *type)
{
	return SWIG_NewPointerObj(ptr, type, 0);
}

static void qpb_py_unlend(PyObject *obj, swig_type_info *type)
{
	if (!obj)
		return;
	SWIG_ConvertPtr(obj, NULL, type, SWIG_POINTER_CLEAR); /* never owned */
	Py_DECREF(obj);
}

/* fn(topic, partition, offset, key or None, code, message) */
static void qpb_py_delivery_cb(const char *topic, int32_t partition, int64_t offset,
                               const void *key, size_t key_len, qp_err_t err,
                               const char *message, void *opaque)
{
	PyGILState_STATE gil;
	qpb_py_exc_t outer;
	PyObject *res;

	if (!Py_IsInitialized())
		return;
	gil = PyGILState_Ensure();
	qpb_py_cb_enter(&outer);
	res = PyObject_CallFunction((PyObject *)opaque, "NiLNiN", qpb_py_text(topic),
	                            (int)partition, (long long)offset,
	                            qpb_py_bytes(key, key_len), (int)err,
	                            qpb_py_text(message));
	Py_XDECREF(res);
	qpb_py_cb_leave(&outer);
	PyGILState_Release(gil);
}

/* fn(message) -> verdict (int; None is QP_RUNNER_ACK) */
static int qpb_py_runner_handler(qp_message_t *msg, void *opaque)
{
	PyGILState_STATE gil;
	qpb_py_exc_t outer;
	PyObject *obj, *res = NULL;
	int verdict;

	if (!Py_IsInitialized())
		return QP_ERR_USER;
	gil = PyGILState_Ensure();
	qpb_py_cb_enter(&outer);
	if ((obj = qpb_py_lend(msg, SWIGTYPE_p_qp_message)))
		res = PyObject_CallFunctionObjArgs((PyObject *)opaque, obj, NULL);
	verdict = qpb_py_int_result(res);
	Py_XDECREF(res);
	qpb_py_unlend(obj, SWIGTYPE_p_qp_message);
	if (qpb_py_cb_leave(&outer))
		verdict = QP_ERR_USER;
	PyGILState_Release(gil);
	return verdict;
}

/* fn(event, verdict) -> None (or a non-zero int to abort) */
static int qpb_py_fraud_rule(const qp_scan_event_t *ev, qp_fraud_verdict_t *verdict,
                             void *opaque)
{
	PyGILState_STATE gil;
	qpb_py_exc_t outer;
	PyObject *event, *judged = NULL, *res = NULL;
	int rc;

	if (!Py_IsInitialized())
		return QP_ERR_USER;
	gil = PyGILState_Ensure();
	qpb_py_cb_enter(&outer);
	if ((event = qpb_py_lend((void *)ev, SWIGTYPE_p_qp_scan_event)) &&
	    (judged = qpb_py_lend(verdict, SWIGTYPE_p_qp_fraud_verdict)))
		res = PyObject_CallFunctionObjArgs((PyObject *)opaque, event, judged, NULL);
	rc = qpb_py_int_result(res);
	Py_XDECREF(res);
	qpb_py_unlend(event, SWIGTYPE_p_qp_scan_event);
	qpb_py_unlend(judged, SWIGTYPE_p_qp_fraud_verdict);
	if (qpb_py_cb_leave(&outer))
		rc = QP_ERR_USER;
	PyGILState_Release(gil);
	return rc;
}

/* fn(tag, status, error) */
static void qpb_py_inserter_result(void *tag, qp_err_t status, const char *error,
                                   void *opaque)
{
	PyGILState_STATE gil;
	qpb_py_exc_t outer;
	PyObject *res;

	if (!Py_IsInitialized())
		return;
	gil = PyGILState_Ensure();
	qpb_py_cb_enter(&outer);
	res = PyObject_CallFunction((PyObject *)opaque, "KiN",
	                            (unsigned long long)(uintptr_t)tag, (int)status,
	                            qpb_py_text(error));
	Py_XDECREF(res);
	qpb_py_cb_leave(&outer);
	PyGILState_Release(gil);
}
%}

/* A row's tag: the quackpipe package passes an int naming the host's object. */
%typemap(in) void *tag {
	unsigned long long tag = PyLong_AsUnsignedLongLong($input);

	if (tag == (unsigned long long)-1 && PyErr_Occurred())
		SWIG_fail;
	$1 = (void *)(uintptr_t)tag;
}
#endif

#ifdef SWIGGO
%define QP_CALLBACK(CBTYPE, PY_TRAMPOLINE, GO_TRAMPOLINE)
%typemap(gotype) (CBTYPE *cb, void *opaque) "uintptr"
%typemap(in) (CBTYPE *cb, void *opaque) %{
	$1 = $input ? GO_TRAMPOLINE : NULL;
	$2 = (void *)(uintptr_t)$input;
%}
%enddef

%{
#include <stdint.h>

/* Exported from internal/capi/callbacks.go. */
extern void qpbGoLog(int level, char *module, char *message, uintptr_t handle);

static void qpb_go_log_cb(qp_log_level_t level, const char *module,
                          const char *message, void *opaque)
{
	qpbGoLog((int)level, (char *)module, (char *)message, (uintptr_t)opaque);
}

/* Exported from internal/capi/callbacks.go; borrowed pointers cross as
 * uintptr, which the Go side wraps in the capi types. */
extern void qpbGoDelivery(char *topic, int32_t partition, int64_t offset, void *key,
                          size_t keyLen, int code, char *message, uintptr_t handle);
extern int qpbGoRunnerHandler(uintptr_t msg, uintptr_t handle);
extern int qpbGoFraudRule(uintptr_t ev, uintptr_t verdict, uintptr_t handle);
extern void qpbGoInserterResult(uintptr_t tag, int status, char *error, uintptr_t handle);

static void qpb_go_delivery_cb(const char *topic, int32_t partition, int64_t offset,
                               const void *key, size_t key_len, qp_err_t err,
                               const char *message, void *opaque)
{
	qpbGoDelivery((char *)topic, partition, offset, (void *)key, key_len, (int)err,
	              (char *)message, (uintptr_t)opaque);
}

static int qpb_go_runner_handler(qp_message_t *msg, void *opaque)
{
	return qpbGoRunnerHandler((uintptr_t)msg, (uintptr_t)opaque);
}

static int qpb_go_fraud_rule(const qp_scan_event_t *ev, qp_fraud_verdict_t *verdict,
                             void *opaque)
{
	return qpbGoFraudRule((uintptr_t)ev, (uintptr_t)verdict, (uintptr_t)opaque);
}

static void qpb_go_inserter_result(void *tag, qp_err_t status, const char *error,
                                   void *opaque)
{
	qpbGoInserterResult((uintptr_t)tag, (int)status, (char *)error, (uintptr_t)opaque);
}
%}

/* A row's tag: the Go package passes a uintptr naming the host's value. */
%typemap(gotype) void *tag "uintptr"
%typemap(in) void *tag %{ $1 = (void *)$input; %}
#endif

QP_CALLBACK(qp_log_cb, qpb_py_log_cb, qpb_go_log_cb)
QP_CALLBACK(qp_delivery_cb, qpb_py_delivery_cb, qpb_go_delivery_cb)
QP_CALLBACK(qp_runner_handler_cb, qpb_py_runner_handler, qpb_go_runner_handler)
QP_CALLBACK(qp_fraud_rule_cb, qpb_py_fraud_rule, qpb_go_fraud_rule)
QP_CALLBACK(qp_inserter_result_cb, qpb_py_inserter_result, qpb_go_inserter_result)
/* qp_runner_run names its pair (handler, opaque). */
%apply (qp_runner_handler_cb *cb, void *opaque) { (qp_runner_handler_cb *handler, void *opaque) };
