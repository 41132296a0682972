package desk

import "errors"

// ESTALE is the code of a write that expected another version of what it
// changes (HTTP 412): someone else changed it first.
const ESTALE = "stale"

// Stale returns the error for a write that expected another version than
// current; the error carries current so that the caller can re-read.
func Stale(current int64) *Error {
	return &Error{Code: ESTALE, Msg: M("error.stale", current), Version: current}
}

// CheckVersion compares a caller's expected version with the current one:
// want 0 expects nothing (the write applies to any version), want < 0 never
// matches (an entity tag that is not one of ours).
func CheckVersion(want, current int64) error {
	if want == 0 || want == current {
		return nil
	}
	return Stale(current)
}

// StaleVersion returns the current version carried by a stale error.
func StaleVersion(err error) (int64, bool) {
	var e *Error
	if errors.As(err, &e) && e.Code == ESTALE {
		return e.Version, true
	}
	return 0, false
}

// Optimistic runs a read-change-write attempt that writes only if the row
// still has the version it read. When the caller expects no particular
// version (ifVersion 0), an attempt that lost a race to another writer
// (ESTALE) is run again on a fresh read; with an expectation, the stale
// error is the answer.
func Optimistic(ifVersion int64, attempt func() error) error {
	for i := 1; ; i++ {
		err := attempt()
		if ErrorCode(err) != ESTALE || ifVersion != 0 || i == 10 {
			return err
		}
	}
}
