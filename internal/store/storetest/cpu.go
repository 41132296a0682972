//go:build unix

package storetest

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time (user and system) the process has used: a
// benchmark reports its difference per operation, which a busy machine
// moves less than the wall clock.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
