// Package desk is the shared kernel of Sahayak: the error type with codes that
// every layer speaks, the acting user carried in a context, and the clock.
// Besides the message catalogs of package i18n it imports nothing from the
// rest of the project.
package desk

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sahayak/sahayak/internal/i18n"
)

// Error codes. The web layer maps each to an HTTP status in one place.
const (
	EINVALID       = "invalid"                // 400: the request itself is malformed or fails validation
	EUNAUTHORIZED  = "unauthorized"           // 401: no or bad credentials
	EFORBIDDEN     = "forbidden"              // 403: authenticated but not allowed
	ENOTFOUND      = "not_found"              // 404
	EMETHOD        = "method_not_allowed"     // 405: the path exists, the method does not (Allow names those that do)
	ECONFLICT      = "conflict"               // 409: duplicates, stale state
	ETOOLARGE      = "too_large"              // 413
	EMEDIATYPE     = "unsupported_media_type" // 415: a body that is not JSON where JSON is wanted
	EUNPROCESSABLE = "unprocessable"          // 422: well-formed but not allowed in the current state
	EKEYREUSED     = "idempotency_key_reused" // 422: an Idempotency-Key sent again with another request
	EKEYINFLIGHT   = "idempotency_key_in_use" // 409: the first request with this Idempotency-Key is still running
	ERATELIMIT     = "rate_limited"           // 429
	EUNAVAILABLE   = "unavailable"            // 503: busy for now; try again shortly
	EINTERNAL      = "internal"               // 500: a bug or an outage; the only code that is logged
)

// Msg is a message for people, kept as a catalog key and the values for its
// fmt verbs, so that each reader gets it in their own language. The text
// itself lives only in the catalogs.
type Msg struct {
	Key  string
	Args []any
}

// M returns the message key with args.
func M(key string, args ...any) Msg { return Msg{Key: key, Args: args} }

// In returns the message in lang, from the catalogs built into the binary.
func (m Msg) In(lang string) string { return i18n.Builtin().T(lang, m.Key, m.Args...) }

// String returns the message in English, for logs and tests.
func (m Msg) String() string { return m.In("en") }

// Fields maps an input field (JSON name, dotted for nested ones) to what is
// wrong with it.
type Fields map[string]Msg

// In returns the field messages in lang.
func (f Fields) In(lang string) map[string]string {
	if len(f) == 0 {
		return nil
	}
	out := make(map[string]string, len(f))
	for k, m := range f {
		out[k] = m.In(lang)
	}
	return out
}

// Error is an application error with a machine-readable code, a message safe
// to show to the caller, and optional per-field messages.
type Error struct {
	Code   string
	Msg    Msg
	Fields Fields
	// Version is the current version of what a stale write (ESTALE) meant
	// to change.
	Version int64
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Code, e.Msg, e.Fields.Text("en"))
}

// Text says the field messages in lang as words, one field after another
// in the order of their names: "Limit: must be at most 100; Name: is
// required" (for a command line or a log, never Go's map syntax).
func (f Fields) Text(lang string) string {
	c := i18n.Builtin()
	parts := make([]string, 0, len(f))
	for _, k := range slices.Sorted(maps.Keys(f)) {
		label := k
		if c.Has("label." + k) {
			label = c.T(lang, "label."+k)
		}
		parts = append(parts, label+": "+f[k].In(lang))
	}
	return strings.Join(parts, "; ")
}

// E returns an *Error with the given code and message key with args.
func E(code, key string, args ...any) *Error {
	return &Error{Code: code, Msg: M(key, args...)}
}

// Invalid returns an EINVALID error carrying per-field messages.
func Invalid(fields Fields) *Error {
	return &Error{Code: EINVALID, Msg: M("error.validation"), Fields: fields}
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

// ErrorMsg returns the caller-safe message of err. Internal errors get a
// generic message so that nothing about the inside leaks out.
func ErrorMsg(err error) Msg {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return M("error.internal")
}

// ErrorMessage returns the caller-safe message of err in English.
func ErrorMessage(err error) string { return ErrorMsg(err).String() }

// ErrorFields returns the per-field messages of err, if any.
func ErrorFields(err error) Fields {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
