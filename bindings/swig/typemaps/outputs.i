/*
 * Results written through pointer parameters. None of these parameters is
 * an argument in the bindings:
 *  - `(const void **value, size_t *len)`: bytes borrowed from the library,
 *    copied out: Python bytes (None for NULL, e.g. a null header), Go
 *    *[]byte (nil for NULL);
 *  - `const char **name`: text borrowed from the library: Python str, Go
 *    *string;
 *  - a `const void *` result whose length comes back in `size_t *len`
 *    (qp_message_key/value): QP_BYTES_RESULT(fn) before the header, with
 *    `%apply size_t *RESULT_LEN { size_t *len }` around its %include;
 *  - counts and numbers (`size_t *undelivered`, `double *upper_ms`,
 *    `uint64_t *count`): appended to Python's result, a pointer in Go.
 * Python appends each result to the call's return value (a list when there
 * are several); Go fills the pointer the caller passes.
 */

#ifdef SWIGPYTHON
%typemap(in, numinputs=0) (const void **value, size_t *len) (const void *v = NULL, size_t n = 0) {
	$1 = ($1_ltype)&v;
	$2 = ($2_ltype)&n;
}
%typemap(argout) (const void **value, size_t *len) {
	PyObject *obj = qpb_py_bytes(v$argnum, n$argnum);

	if (!obj)
		SWIG_fail;
	$result = SWIG_Python_AppendOutput($result, obj);
}

%typemap(in, numinputs=0) const char **name (const char *s = NULL) "$1 = ($1_ltype)&s;"
%typemap(argout) const char **name {
	PyObject *obj = qpb_py_text(s$argnum);

	if (!obj)
		SWIG_fail;
	$result = SWIG_Python_AppendOutput($result, obj);
}

/* The length is the call's second argument (true of every function this
 * is applied to). */
%typemap(in, numinputs=0) size_t *RESULT_LEN (size_t n = 0) "$1 = &n;"
%define QP_BYTES_RESULT(FN)
%typemap(out) const void *FN {
	if (!($result = qpb_py_bytes($1, *arg2)))
		SWIG_fail;
}
%enddef

%define QP_OUT_SCALAR(CTYPE, NAME, TO_PY)
%typemap(in, numinputs=0) CTYPE *NAME (CTYPE v = 0) "$1 = &v;"
%typemap(argout) CTYPE *NAME {
	PyObject *obj = TO_PY(v$argnum);

	if (!obj)
		SWIG_fail;
	$result = SWIG_Python_AppendOutput($result, obj);
}
%enddef
#endif

#ifdef SWIGGO
%{
#include <stdlib.h>
#include <string.h>

/* Bytes for the Go side to copy and free (qpbBytes below): p is NULL only
 * for NULL, so that an empty value and a missing one stay apart. */
static _gostring_ qpb_go_bytes(const void *p, size_t n)
{
	_gostring_ s;

	s.p = NULL;
	s.n = 0;
	if (p && (s.p = (char *)malloc(n ? n : 1))) {
		memcpy(s.p, p, n);
		s.n = (intgo)n;
	}
	return s;
}
%}

%fragment("CopyString");
%insert(go_wrapper) %{
// qpbBytes copies bytes a wrapper allocated in C (qpb_go_bytes) into Go
// memory and frees them: nil for NULL, an empty slice for empty bytes.
func qpbBytes(s string) []byte {
	p := *(*swig_gostring)(unsafe.Pointer(&s))
	if p.p == 0 {
		return nil
	}
	if p.n == 0 {
		Swig_free(p.p)
		return []byte{}
	}
	return []byte(swigCopyString(s))
}
%}

%typemap(gotype) (const void **value, size_t *len) "*[]byte"
%typemap(imtype) (const void **value, size_t *len) "*string"
%typemap(goin) (const void **value, size_t *len) %{ $result = new(string) %}
%typemap(in) (const void **value, size_t *len) (const void *v = NULL, size_t n = 0) %{
	$1 = ($1_ltype)&v;
	$2 = ($2_ltype)&n;
%}
%typemap(argout) (const void **value, size_t *len) %{ *$input = qpb_go_bytes(v$argnum, n$argnum); %}
%typemap(goargout) (const void **value, size_t *len) %{
	if b := qpbBytes(*$input); $1 != nil {
		*$1 = b
	}
%}

%typemap(gotype) const char **name "*string"
%typemap(imtype) const char **name "*string"
%typemap(goin) const char **name %{ $result = new(string) %}
%typemap(in) const char **name (const char *s = NULL) %{ $1 = ($1_ltype)&s; %}
%typemap(argout) const char **name %{
	*$input = qpb_go_bytes(s$argnum, s$argnum ? strlen(s$argnum) : 0);
%}
%typemap(goargout) const char **name %{
	if b := qpbBytes(*$input); $1 != nil {
		*$1 = string(b)
	}
%}

%typemap(in, numinputs=0) size_t *RESULT_LEN (size_t n = 0) %{ $1 = &n; %}
%define QP_BYTES_RESULT(FN)
%typemap(gotype) const void *FN "[]byte"
%typemap(imtype) const void *FN "string"
%typemap(out) const void *FN %{ $result = qpb_go_bytes($1, *arg2); %}
%typemap(goout) const void *FN %{ $result = qpbBytes($1) %}
%enddef

%define QP_OUT_SCALAR(CTYPE, NAME, GOTYPE)
%typemap(gotype) CTYPE *NAME "GOTYPE"
%typemap(in) CTYPE *NAME %{ $1 = (CTYPE *)$input; %}
%enddef
#endif

#ifdef SWIGPYTHON
QP_OUT_SCALAR(size_t, undelivered, PyLong_FromSize_t)
QP_OUT_SCALAR(double, upper_ms, PyFloat_FromDouble)
QP_OUT_SCALAR(uint64_t, count, PyLong_FromUnsignedLongLong)
#else
QP_OUT_SCALAR(size_t, undelivered, *int64)
QP_OUT_SCALAR(double, upper_ms, *float64)
QP_OUT_SCALAR(uint64_t, count, *uint64)
#endif
