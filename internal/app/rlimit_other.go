//go:build !unix

package app

// raiseOpenFiles has nothing to raise where there is no RLIMIT_NOFILE.
func raiseOpenFiles() (uint64, error) { return 0, nil }
