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
	const char *qp_event_flag_at
};
#endif
