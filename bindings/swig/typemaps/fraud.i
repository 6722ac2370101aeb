/*
 * The fraud engine's shapes (include/quackpipe/fraud.h).
 *  - The verdict a custom rule receives is lent for the call.
 *  - evaluate's `const qp_enrichment_t **out` is borrowed from the engine
 *    until its next call: the language layers copy it out at once. Its
 *    flags are read with qp_enrichment_flag_at() (a binding cannot index
 *    a C array).
 *  - The conf of qp_fraud_new may be NULL (every default).
 */

QP_BORROWED_HANDLE(qp_fraud_verdict, qp_fraud_verdict_t)
QP_OPAQUE_HANDLE(qp_fraud, qp_fraud_t, qp_fraud_destroy)

#ifdef SWIGPYTHON
%typemap(in, numinputs=0) const qp_enrichment_t **out (const qp_enrichment_t *borrowed = NULL) {
	$1 = ($1_ltype)&borrowed;
}
%typemap(argout) const qp_enrichment_t **out {
	$result = SWIG_Python_AppendOutput($result,
		SWIG_NewPointerObj((void *)borrowed$argnum, SWIGTYPE_p_qp_enrichment, 0));
}
#endif
#ifdef SWIGGO
%typemap(gotype) const qp_enrichment_t **out "*uintptr"
%typemap(in) const qp_enrichment_t **out %{ $1 = ($1_ltype)$input; %}
#endif

