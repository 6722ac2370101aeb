/*
 * The runner's shapes (include/quackpipe/runner.h).
 *  - A message is lent by the runner until ack, retry or dead_letter
 *    releases it (or the runner is destroyed): a borrowed handle, which the
 *    language layer makes forget its pointer at release.
 *  - next_batch's `(msgs, max, ..., count)`: Python passes max and gets a
 *    list of messages back; Go passes a []uintptr of max slots and a *int64.
 *  - ack_batch's `(msgs, count)`: a list of messages / a []uintptr.
 *  - A stats snapshot is an owned handle; its partitions are read with
 *    qp_runner_stats_partition_at().
 *  - The key and value results come with their length: bytes / []byte.
 */

QP_BORROWED_HANDLE(qp_message, qp_message_t)
QP_HANDLE(qp_runner_stats, qp_runner_stats_t, qp_runner_stats_destroy)
%ignore qp_runner_stats::partitions;

QP_BYTES_RESULT(qp_message_key)
QP_BYTES_RESULT(qp_message_value)
QP_ERR_VALUE(qp_err_t qp_message_decode_error)

#ifdef SWIGPYTHON
%typemap(in) (qp_message_t **msgs, size_t max) (qp_message_t **batch = NULL) {
	size_t max = PyLong_AsSize_t($input);

	if (max == (size_t)-1 && PyErr_Occurred())
		SWIG_fail;
	/* The library refuses 0; the cap only keeps the allocation sane. */
	if (max > 1000000) {
		qpb_py_raise(QP_ERR_INVALID_ARG, "next_batch: max must be at most 1000000");
		SWIG_fail;
	}
	if (!(batch = (qp_message_t **)calloc(max ? max : 1, sizeof(*batch)))) {
		PyErr_NoMemory();
		SWIG_fail;
	}
	$1 = batch;
	$2 = max;
}
%typemap(freearg) (qp_message_t **msgs, size_t max) "free(batch$argnum);"
%typemap(in, numinputs=0) size_t *count (size_t count = 0) "$1 = &count;"
/* Runs only after a successful call: $4 (the count) says how many of $1
 * the library filled in. */
%typemap(argout) (qp_message_t **msgs, size_t max, int timeout_ms, size_t *count) {
	PyObject *list = PyList_New((Py_ssize_t)*$4);
	size_t i;

	if (!list)
		SWIG_fail;
	for (i = 0; i < *$4; i++)
		PyList_SET_ITEM(list, (Py_ssize_t)i,
		                SWIG_NewPointerObj($1[i], SWIGTYPE_p_qp_message, SWIG_POINTER_OWN));
	$result = SWIG_Python_AppendOutput($result, list);
}

%typemap(in) (qp_message_t **msgs, size_t count) (qp_message_t **batch = NULL) {
	PyObject *seq = PySequence_Fast($input, "expected a sequence of messages");
	Py_ssize_t i, n;

	if (!seq)
		SWIG_fail;
	n = PySequence_Fast_GET_SIZE(seq);
	if (!(batch = (qp_message_t **)calloc(n ? (size_t)n : 1, sizeof(*batch)))) {
		Py_DECREF(seq);
		PyErr_NoMemory();
		SWIG_fail;
	}
	for (i = 0; i < n; i++) {
		void *p = NULL;

		if (!SWIG_IsOK(SWIG_ConvertPtr(PySequence_Fast_GET_ITEM(seq, i), &p,
		                               SWIGTYPE_p_qp_message, 0))) {
			Py_DECREF(seq);
			SWIG_exception_fail(SWIG_TypeError, "expected a sequence of messages");
		}
		if (!p) {
			Py_DECREF(seq);
			qpb_py_raise(QP_ERR_CLOSED, "qp_message_t is closed");
			SWIG_fail;
		}
		batch[i] = (qp_message_t *)p;
	}
	Py_DECREF(seq);
	$1 = batch;
	$2 = (size_t)n;
}
%typemap(freearg) (qp_message_t **msgs, size_t count) "free(batch$argnum);"
#endif

#ifdef SWIGGO
%typemap(gotype) (qp_message_t **msgs, size_t max), (qp_message_t **msgs, size_t count) "[]uintptr"
%typemap(in) (qp_message_t **msgs, size_t max), (qp_message_t **msgs, size_t count) %{
	$1 = (qp_message_t **)$input.array;
	$2 = (size_t)$input.len;
%}
%typemap(gotype) size_t *count "*int64"
%typemap(in) size_t *count %{ $1 = (size_t *)$input; %}
#endif
