package digest

import (
	"time"

	"github.com/sahayak/sahayak/internal/report"
)

// Period is the span a digest mail covers, [Start, End) in UTC; its label
// is the start's date, which orders as text.
type Period struct {
	Label      string
	Start, End time.Time
}

// LastComplete is the last whole day, week (from Monday) or month before
// now.
func LastComplete(kind string, now time.Time) Period {
	now = now.UTC()
	var start, end time.Time
	switch kind {
	case Monthly:
		end = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		start = end.AddDate(0, -1, 0)
	case Weekly:
		end = report.WeekOf(now)
		start = end.AddDate(0, 0, -7)
	default:
		end = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		start = end.AddDate(0, 0, -1)
	}
	return Period{Label: start.Format(time.DateOnly), Start: start, End: end}
}
