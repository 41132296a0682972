package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrDemoExists is returned when the demo data is already there.
var ErrDemoExists = errors.New("demo data already exists")

// DemoResult tells what the demo seed wrote.
type DemoResult struct{ Tickets int }

// Print writes a summary and the demo sign-ins.
func (r DemoResult) Print(w io.Writer) { fmt.Fprintf(w, "%d\n", r.Tickets) }

// Demo writes the demo desk.
func Demo(ctx context.Context, s Services, now time.Time) (DemoResult, error) {
	return DemoResult{}, errors.New("todo")
}
