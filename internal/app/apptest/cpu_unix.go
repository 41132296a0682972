//go:build unix

package apptest

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time (user and system) this process has used: the
// server runs in it, so a difference over a benchmark loop is the work the
// loop cost, whatever else the machine is running.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
