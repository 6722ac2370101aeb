/*
 * Byte buffers.
 *  - `(const void *buf, size_t len)`: Python takes any
 *    bytes-like object (bytes, bytearray, memoryview, mmap), a str (as
 *    UTF-8) or None (NULL); Go takes a []byte. Nothing is copied: the library reads the
 *    caller's memory during the call.
 *  - `qp_buf_t *out` is not an argument but a result: the bytes the call
 *    appended, as Python bytes or into a Go *[]byte. The C buffer is freed
 *    by the wrapper on every path.
 *
 * SWIG matches a multi-argument typemap by names too: a header that names
 * its buffer differently adds its pair of names to the %apply at the end.
 */

%ignore qp_buf;
%ignore qp_buf_dispose;

#ifdef SWIGPYTHON
%typemap(in) (const void *BYTES, size_t LEN) (Py_buffer view, int have_view = 0) {
	if ($input == Py_None) {
		$1 = NULL; /* "none" where the C API allows it (a key), else refused by it */
		$2 = 0;
	} else if (PyUnicode_Check($input)) {
		Py_ssize_t n;
		const char *s = PyUnicode_AsUTF8AndSize($input, &n);

		if (!s)
			SWIG_fail;
		$1 = (void *)s;
		$2 = (size_t)n;
	} else {
		if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) != 0)
			SWIG_fail;
		have_view = 1;
		$1 = view.buf;
		$2 = (size_t)view.len;
	}
}
%typemap(freearg) (const void *BYTES, size_t LEN) {
	if (have_view$argnum)
		PyBuffer_Release(&view$argnum);
}

%typemap(in, numinputs=0) qp_buf_t *out (qp_buf_t buf = QP_BUF_INIT) "$1 = &buf;"
%typemap(argout) qp_buf_t *out {
	PyObject *bytes = PyBytes_FromStringAndSize(buf$argnum.ptr ? buf$argnum.ptr : "",
	                                            (Py_ssize_t)buf$argnum.size);
	if (!bytes)
		SWIG_fail;
	$result = SWIG_Python_AppendOutput($result, bytes);
}
%typemap(freearg) qp_buf_t *out "qp_buf_dispose(&buf$argnum);"
#endif

#ifdef SWIGGO
%typemap(gotype) (const void *BYTES, size_t LEN) "[]byte"
/* An empty slice may be nil: the library still gets a valid pointer. */
%typemap(in) (const void *BYTES, size_t LEN) %{
	$1 = $input.array ? $input.array : (void *)"";
	$2 = (size_t)$input.len;
%}

/* The C side hands the bytes over as a C-allocated string (as SWIG does for
 * returned strings); goargout copies them into the caller's slice and frees. */
%typemap(gotype) qp_buf_t *out "*[]byte"
%typemap(imtype) qp_buf_t *out "*string"
%typemap(goin) qp_buf_t *out %{ $result = new(string) %}
%typemap(in) qp_buf_t *out (qp_buf_t buf = QP_BUF_INIT) %{ $1 = &buf; %}
%typemap(argout, fragment="AllocateString") qp_buf_t *out %{
	*$input = Swig_AllocateString(buf$argnum.ptr ? buf$argnum.ptr : "", buf$argnum.size);
%}
%typemap(freearg) qp_buf_t *out "qp_buf_dispose(&buf$argnum);"
%typemap(goargout, fragment="CopyString") qp_buf_t *out %{
	if $1 != nil {
		*$1 = []byte(swigCopyString(*$input))
	} else {
		swigCopyString(*$input)
	}
%}
#endif

/*
 * NULLABLE_BYTES: a buffer where NULL means something of its own (no Kafka
 * key, a null header value, a tombstone). Python's None is NULL already; Go
 * passes a nil slice as NULL and an empty one as an empty buffer.
 */
#ifdef SWIGPYTHON
%apply (const void *BYTES, size_t LEN) { (const void *NULLABLE_BYTES, size_t LEN) };
%{
/* Borrowed bytes from the library as bytes, NULL as None. */
static PyObject *qpb_py_bytes(const void *p, size_t n)
{
	if (!p)
		Py_RETURN_NONE;
	return PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
}
%}
#endif
#ifdef SWIGGO
%typemap(gotype) (const void *NULLABLE_BYTES, size_t LEN) "[]byte"
%typemap(in) (const void *NULLABLE_BYTES, size_t LEN) %{
	$1 = $input.array;
	$2 = (size_t)$input.len;
%}
#endif

%apply (const void *BYTES, size_t LEN) {
	(const void *buf, size_t len),
	(const void *raw, size_t raw_len),
	(const void *flags, size_t flags_len),
	(const void *row, size_t len)
};
%apply (const void *NULLABLE_BYTES, size_t LEN) {
	(const void *key, size_t key_len),
	(const void *value, size_t value_len),
	(const void *value, size_t len)
};
