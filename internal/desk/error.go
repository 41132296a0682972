// Package desk is the shared kernel of Sahayak: the error type with codes that
// every layer speaks, the acting user carried in a context, and the clock.
// It imports nothing from the rest of the project.
package desk

import (
	"errors"
	"fmt"
)

// Error codes. The web layer maps each to an HTTP status in one place.
const (
	EINVALID       = "invalid"       // 400: the request itself is malformed or fails validation
	EUNAUTHORIZED  = "unauthorized"  // 401: no or bad credentials
	EFORBIDDEN     = "forbidden"     // 403: authenticated but not allowed
	ENOTFOUND      = "not_found"     // 404
	ECONFLICT      = "conflict"      // 409: duplicates, stale state
	ETOOLARGE      = "too_large"     // 413
	EUNPROCESSABLE = "unprocessable" // 422: well-formed but not allowed in the current state
	ERATELIMIT     = "rate_limited"  // 429
	EINTERNAL      = "internal"      // 500: a bug or an outage; the only code that is logged
)

// Error is an application error with a machine-readable code, a message safe
// to show to the caller, and optional per-field messages.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error carrying per-field messages.
func Invalid(fields map[string]string) *Error {
	return &Error{Code: EINVALID, Message: "validation failed", Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err. Internal errors get a
// generic message so that nothing about the inside leaks out.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorFields returns the per-field messages of err, if any.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
