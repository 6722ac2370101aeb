/*
 * Handles: what `_new(T **out, ...)` returns and `_destroy` frees.
 *
 * QP_HANDLE(tag, type, destroy) declares one handle type once, for every
 * function that takes or returns it:
 *  - `type **out` is not an argument but the result: Python gets an object
 *    that owns the handle, Go gets a *uintptr to fill in;
 *  - the object's destructor calls destroy (Python: at GC or close(); Go:
 *    Delete<Type>, called by the public layer's Close());
 *  - after close, passing the object raises ClosedError (Python) instead of
 *    handing NULL to the library: a use after close never crashes.
 * QP_OPAQUE_HANDLE also gives SWIG a body for a struct the headers keep
 * opaque, so that it can hang the destructor on it.
 *
 * QP_OPTIONAL_HANDLE(const T *name) lets None through as NULL for a
 * parameter that the C API documents as optional.
 *
 * Constructors take ownership of their qp_conf_t, on success and failure
 * alike (docs/abi.md), and name the parameter `qp_conf_t *conf`:
 * QP_TAKES_CONF() before %including such a header makes the Python conf
 * object let go of its pointer as the call receives it, so it is closed
 * whatever the call returns. Go's public layer does the same in its constructors.
 */

#ifdef SWIGPYTHON
%{
static void qpb_py_raise(qp_err_t code, const char *detail);
%}

%define QP_HANDLE(TAG, TYPE, DESTROY)
%ignore DESTROY;
%nodefaultctor TAG;
%nodefaultdtor TAG;
/* A destroy may run host callbacks (a producer reports what it drops). */
%exception TAG::~TAG {
	$action
	if (qpb_py_pending_raise())
		SWIG_fail;
}
%extend TAG {
	~TAG() { DESTROY($self); }
	%pythoncode %{
	def close(self):
	    """Frees the handle now; later uses raise quackpipe.ClosedError."""
	    type(self).__swig_destroy__(self)

	def __enter__(self):
	    return self

	def __exit__(self, *exc):
	    self.close()
	%}
}

%typemap(in, numinputs=0) TYPE **out (TYPE *handle = NULL) "$1 = &handle;"
%typemap(argout) TYPE **out {
	$result = SWIG_Python_AppendOutput($result,
		SWIG_NewPointerObj(SWIG_as_voidptr(handle$argnum), $*1_descriptor, SWIG_POINTER_OWN));
}

%typemap(check) TYPE *, const TYPE * {
	if (!$1) {
		qpb_py_raise(QP_ERR_CLOSED, #TYPE " is closed");
		SWIG_fail;
	}
}

/* `self` is the destructor's argument and also that of the member getters
 * of a data handle (the event); $disown tells them apart. The destructor:
 * closing twice, or closing an object that borrows its handle, frees
 * nothing, and the object forgets its pointer either way. */
%typemap(check) struct TAG *self "";
%typemap(in, noblock=1) struct TAG *self (void *argp = 0, int own = 0) {
	if (!SWIG_IsOK(SWIG_Python_ConvertPtrAndOwn($input, &argp, $descriptor, 0, &own)))
		SWIG_exception_fail(SWIG_TypeError, "expected a $*1_type");
	if ($disown) {
		/* SWIG refuses to release (disown and clear) what it does not own:
		 * a borrowed object is only cleared. */
		if (argp)
			SWIG_ConvertPtr($input, NULL, $descriptor,
			                own ? SWIG_POINTER_DISOWN | SWIG_POINTER_CLEAR : SWIG_POINTER_CLEAR);
		$1 = own ? ($1_ltype)argp : NULL;
	} else if (!argp) {
		qpb_py_raise(QP_ERR_CLOSED, #TYPE " is closed");
		SWIG_fail;
	} else {
		$1 = ($1_ltype)argp;
	}
}
%enddef

/* A handle parameter the C API allows to be NULL ("no headers"): None
 * passes NULL, a closed object still raises. */
%define QP_OPTIONAL_HANDLE(PARAM)
%typemap(check) PARAM "";
%typemap(in, noblock=1) PARAM (void *argp = 0) {
	if (!SWIG_IsOK(SWIG_ConvertPtr($input, &argp, $descriptor, 0)))
		SWIG_exception_fail(SWIG_TypeError, "expected a $*1_type or None");
	$1 = ($1_ltype)argp;
	if (!$1 && $input != Py_None) {
		qpb_py_raise(QP_ERR_CLOSED, "$*1_type is closed");
		SWIG_fail;
	}
}
%enddef

/* Runs only after the constructor succeeded (a failure has raised already). */
/* The conf object lets go of its pointer as it is converted: the call
 * takes it whatever it returns. None passes NULL (refused by the check
 * typemap unless the parameter is also a QP_OPTIONAL_HANDLE). */
%define QP_TAKES_CONF()
%typemap(in, noblock=1) qp_conf_t *conf (void *argp = 0) {
	if (!SWIG_IsOK(SWIG_ConvertPtr($input, &argp, $descriptor, 0)))
		SWIG_exception_fail(SWIG_TypeError, "expected a $*1_type or None");
	if (!argp && $input != Py_None) {
		qpb_py_raise(QP_ERR_CLOSED, "$*1_type is closed");
		SWIG_fail;
	}
	if (argp)
		SWIG_ConvertPtr($input, NULL, $descriptor, SWIG_POINTER_DISOWN | SWIG_POINTER_CLEAR);
	$1 = ($1_ltype)argp;
}
%enddef
#endif

#ifdef SWIGGO
%define QP_HANDLE(TAG, TYPE, DESTROY)
%ignore DESTROY;
%nodefaultctor TAG;
%nodefaultdtor TAG;
%extend TAG {
	~TAG() { DESTROY($self); }
}
%typemap(gotype) TYPE **out "*uintptr"
%typemap(in) TYPE **out %{ $1 = ($1_ltype)$input; %}
%enddef

%define QP_TAKES_CONF()
%enddef

/* Go passes a nil handle as NULL already. */
%define QP_OPTIONAL_HANDLE(PARAM)
%enddef
#endif

%define QP_OPAQUE_HANDLE(TAG, TYPE, DESTROY)
QP_HANDLE(TAG, TYPE, DESTROY)
struct TAG {};
%enddef

/*
 * QP_BORROWED_HANDLE(tag, type): a handle the library owns and lends (a
 * runner's message, a verdict during a fraud rule). The object frees
 * nothing; close() only makes it forget the pointer, which the language
 * layer does when the loan ends (a message acked, a rule returned), so a
 * kept reference raises ClosedError instead of reaching freed memory.
 */
%{
static void qpb_forget(const void *borrowed)
{
	(void)borrowed;
}
%}
%define QP_BORROWED_HANDLE(TAG, TYPE)
QP_OPAQUE_HANDLE(TAG, TYPE, qpb_forget)
%enddef

/* A destroy that may wait (closing a Kafka client): Python drops the GIL.
 * Placed before the handle's QP_OPAQUE_HANDLE (a feature must precede the
 * declaration it marks). */
#ifdef SWIGPYTHON
%define QP_BLOCKING_DESTROY(TAG)
%thread TAG::~TAG;
%enddef
#else
%define QP_BLOCKING_DESTROY(TAG)
%enddef
#endif

%define QP_TAKES_CONF_END()
%clear qp_conf_t *conf;
%enddef
