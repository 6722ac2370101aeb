/*
 * Returned strings that may be NULL ("not set", "no such entry"). Python
 * already maps NULL to None; Go would map it to "", so these functions
 * return a *string there, nil for NULL. A header function that can return
 * NULL adds its name to the %apply below.
 */

#ifdef SWIGGO
%typemap(gotype) const char *NULLABLE "*string"
%typemap(imtype) const char *NULLABLE "string"
%typemap(out, fragment="AllocateString") const char *NULLABLE %{
	if ($1) {
		$result = Swig_AllocateString($1, strlen($1));
	} else {
		$result.p = NULL;
		$result.n = 0;
	}
%}
%typemap(goout, fragment="CopyString") const char *NULLABLE %{
	if (*swig_gostring)(unsafe.Pointer(&$1)).p != 0 {
		text := swigCopyString($1)
		$result = &text
	}
%}

%apply const char *NULLABLE {
	const char *qp_conf_get,
	const char *qp_radio_name,
	const char *qp_event_flag_at,
	const char *qp_message_topic,
	const char *qp_message_assignment_topic,
	const char *qp_fraud_rule_name,
	const char *qp_fraud_verdict_flag_at,
	const char *qp_enrichment_flag_at
};

/*
 * A string argument the C API allows to be NULL ("the default topic", "no
 * token"): Go has no nil string, so "" passes NULL. A header applies it to
 * its parameter names (%apply ... before its %include, %clear after).
 */
%typemap(gotype) const char *OPTIONAL "string"
%typemap(in) const char *OPTIONAL %{
	if ($input.n) {
		$1 = ($1_ltype)malloc($input.n + 1);
		memcpy($1, $input.p, $input.n);
		$1[$input.n] = '\0';
	} else {
		$1 = NULL;
	}
%}
%typemap(freearg) const char *OPTIONAL %{ free($1); %}
#endif

/* QP_OPTIONAL_STRING(const char *name): that parameter may be NULL. Python's
 * None is NULL already; Go passes "" as NULL (OPTIONAL above). Placed
 * before a header's %include; QP_OPTIONAL_STRING_END(...) after it. */
#ifdef SWIGGO
%define QP_OPTIONAL_STRING(PARAM)
%apply const char *OPTIONAL { PARAM };
%enddef
#else
%define QP_OPTIONAL_STRING(PARAM)
%enddef
#endif
%define QP_OPTIONAL_STRING_END(PARAM)
%clear PARAM;
%enddef
