//go:build !unix

package apptest

import "time"

// ProcessCPU is not measured here.
func ProcessCPU() time.Duration { return 0 }
