package accountreport

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
)

// Schedules of an account's report mail.
const (
	Off       = "off"
	Monthly   = "monthly"
	Quarterly = "quarterly"
)

// Schedules lists the schedules an account may have.
var Schedules = []string{Off, Monthly, Quarterly}

// Period is a calendar month ("2026-10") or quarter ("2026-Q4") in UTC:
// [Start, End).
type Period struct {
	Label      string    `json:"period"`
	Quarterly  bool      `json:"quarterly"`
	Start, End time.Time `json:"-"`
}

// ParsePeriod reads "YYYY-MM" or "YYYY-Qn" (years 2000 to 2999); anything
// else is refused with a message for the field "period".
func ParsePeriod(s string) (Period, error) {
	bad := desk.Invalid(desk.Fields{"period": desk.M("acctreport.invalid.period", s)})
	if len(s) < 7 || len(s) > 7 {
		return Period{}, bad
	}
	year, err := strconv.Atoi(s[:4])
	if err != nil || year < 2000 || year > 2999 || s[4] != '-' {
		return Period{}, bad
	}
	if s[5] == 'Q' || s[5] == 'q' {
		q, err := strconv.Atoi(s[6:])
		if err != nil || q < 1 || q > 4 {
			return Period{}, bad
		}
		return quarter(year, q), nil
	}
	m, err := strconv.Atoi(s[5:])
	if err != nil || m < 1 || m > 12 || strings.ContainsAny(s[5:], "+-") {
		return Period{}, bad
	}
	return month(year, time.Month(m)), nil
}

func month(year int, m time.Month) Period {
	start := time.Date(year, m, 1, 0, 0, 0, 0, time.UTC)
	return Period{Label: start.Format("2006-01"), Start: start, End: start.AddDate(0, 1, 0)}
}

func quarter(year, q int) Period {
	start := time.Date(year, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
	return Period{Label: fmt.Sprintf("%04d-Q%d", year, q), Quarterly: true, Start: start, End: start.AddDate(0, 3, 0)}
}

// LastComplete is the last whole month or quarter before now.
func LastComplete(schedule string, now time.Time) Period {
	now = now.UTC()
	if schedule == Quarterly {
		q := (int(now.Month())-1)/3 + 1
		if q == 1 {
			return quarter(now.Year()-1, 4)
		}
		return quarter(now.Year(), q-1)
	}
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	return month(first.Year(), first.Month())
}

// Current is the month holding now (the default of the report page).
func Current(now time.Time) Period {
	now = now.UTC()
	return month(now.Year(), now.Month())
}

// Previous is the period before p, of the same length.
func (p Period) Previous() Period {
	if p.Quarterly {
		s := p.Start.AddDate(0, -3, 0)
		return quarter(s.Year(), (int(s.Month())-1)/3+1)
	}
	s := p.Start.AddDate(0, -1, 0)
	return month(s.Year(), s.Month())
}

// Next is the period after p, of the same length.
func (p Period) Next() Period {
	if p.Quarterly {
		return quarter(p.End.Year(), (int(p.End.Month())-1)/3+1)
	}
	return month(p.End.Year(), p.End.Month())
}
