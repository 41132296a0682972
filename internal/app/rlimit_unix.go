//go:build unix

package app

import "syscall"

// raiseOpenFiles lifts the soft limit on open files to the hard limit (each
// connection is a file) and returns the limit in force. Go does this itself
// on Linux since 1.19; doing it here keeps it true on every Unix build.
func raiseOpenFiles() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, err
		}
	}
	return uint64(l.Cur), nil
}
