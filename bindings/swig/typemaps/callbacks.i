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
%}
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
%}
#endif

QP_CALLBACK(qp_log_cb, qpb_py_log_cb, qpb_go_log_cb)
