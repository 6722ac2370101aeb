package capi

import (
	"regexp"
	"strconv"
	"strings"
)

// Code is a libquackpipe error code (qp_err_t).
type Code int

// String is the code's name, e.g. "QP_ERR_FIELD_RANGE".
func (c Code) String() string { return Qp_err_name(int(c)) }

// Description is the code's static description, e.g. "field value out of range".
func (c Code) Description() string { return Qp_err_str(int(c)) }

// Error makes a Code an error that errors.Is matches against an *Error of
// that code: errors.Is(err, quackpipe.CodeTxnAborted). It is the name, as
// String (fmt prefers Error to String, so "%v" of a Code stays its name).
func (c Code) Error() string { return c.String() }

// Error is a failed libquackpipe call: its code and the library's detail,
// e.g. "gps.lat: 123.4 is outside [-90, 90]".
type Error struct {
	Code   Code
	Detail string
}

func (e *Error) Error() string { return e.Detail + " [" + e.Code.String() + "]" }

// Family is the code's family, the same grouping as Python's exception
// classes (typemaps/errors.i): "config", "validation", "kafka", ...
func (e *Error) Family() string { return Qpb_error_family(int(e.Code)) }

var fieldPath = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?)*$`)

// Path is the failing field's path ("wifi[2].rssi_dbm") when the detail
// names one, else "".
func (e *Error) Path() string {
	head, _, found := strings.Cut(e.Detail, ": ")
	if found && fieldPath.MatchString(head) {
		return head
	}
	return ""
}

// Is matches a *Error with the same code, the Code itself, or the sentinel
// of the code's family, so that errors.Is(err, quackpipe.ErrValidation) and
// errors.Is(err, quackpipe.CodeFieldRange) work.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *Error:
		return t.Code == e.Code
	case Code:
		return t == e.Code
	case *FamilyError:
		return t.name == e.Family()
	}
	return false
}

// FamilyError is the sentinel of a family of codes.
type FamilyError struct{ name string }

func (f *FamilyError) Error() string { return "quackpipe: " + f.name + " error" }

// NewFamily returns the sentinel for a family name of typemaps/errors.i.
func NewFamily(name string) *FamilyError { return &FamilyError{name} }

// Closed is the error of a call on a closed object.
func Closed(what string) error {
	return &Error{Code: Code(QP_ERR_CLOSED), Detail: what + " is closed"}
}

// errorFrom parses what a qp_err_t wrapper returns: "" on success, else
// "<code> <detail>" (typemaps/errors.i).
func errorFrom(s string) error {
	if s == "" {
		return nil
	}
	codeText, detail, _ := strings.Cut(s, " ")
	code, err := strconv.Atoi(codeText)
	if err != nil {
		return &Error{Code: Code(QP_ERR_GENERIC), Detail: s}
	}
	return &Error{Code: Code(code), Detail: detail}
}
