// Package sla owns the clock of a support promise: business-hours calendars
// (a time zone, working periods per weekday, holidays by date), SLA policies
// (which tickets they cover and the targets per priority), the pure deadline
// arithmetic, the per-ticket SLA state kept up to date from ticket events,
// the timers that fire warnings and breaches by their due time, and the
// escalation rules that act on them. It calls the ticket service for every
// ticket change and knows nothing of HTTP or SQL.
package sla

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // a server without zoneinfo files still knows every IANA zone

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
)

// Limits of what a calendar may hold.
const (
	MaxPeriodsPerDay = 8
	MaxHolidays      = 1000
)

// Weekdays as the API names them, in time.Weekday order (Sunday first).
var Weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// Minute is a time of day in minutes since local midnight (0..1440); it is
// written "HH:MM" in JSON, and 24:00 ends a period at midnight.
type Minute int

// MarshalJSON writes "HH:MM".
func (m Minute) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// String is "HH:MM".
func (m Minute) String() string { return fmt.Sprintf("%02d:%02d", int(m)/60, int(m)%60) }

// ParseMinute reads "HH:MM" (00:00 to 24:00).
func ParseMinute(s string) (Minute, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h < 0 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, false
	}
	return Minute(h*60 + m), true
}

// UnmarshalJSON reads "HH:MM"; anything else becomes -1, which validation
// refuses with the field's name.
func (m *Minute) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		*m = -1
		return nil
	}
	v, ok := ParseMinute(s)
	if !ok {
		v = -1
	}
	*m = v
	return nil
}

// Period is a working period of one day, local time, [Start, End).
type Period struct {
	Start Minute `json:"start"`
	End   Minute `json:"end"`
}

// Holiday is a day without working time, by its local date.
type Holiday struct {
	Date string `json:"date"` // YYYY-MM-DD
	Name string `json:"name"`
}

// Calendar is a set of business hours: when a team works, in its zone.
type Calendar struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
	// Hours holds the working periods per weekday name ("monday" …).
	Hours    map[string][]Period `json:"hours"`
	Holidays []Holiday           `json:"holidays"`
	// TeamIDs are the teams whose tickets count time on this calendar when
	// their SLA policy names none.
	TeamIDs   []int64   `json:"team_ids"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	loc      *time.Location
	week     [7][]Period
	holidays map[string]bool
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (c *Calendar) CurrentVersion() int64 { return c.Version }

// Prepare validates the calendar and readies it for arithmetic. The errors
// name the field: an unknown zone, a period whose end is not after its
// start, periods of one day that overlap, a malformed holiday date.
func (c *Calendar) Prepare() error {
	errs := desk.Fields{}
	if name, msg := people.CleanName(c.Name, 200); msg.Key != "" {
		errs["name"] = msg
	} else {
		c.Name = name
	}
	c.TimeZone = strings.TrimSpace(c.TimeZone)
	loc, err := time.LoadLocation(c.TimeZone)
	if c.TimeZone == "" || c.TimeZone == "Local" || err != nil {
		errs["time_zone"] = desk.M("hours.invalid_zone", c.TimeZone)
	}
	c.loc = loc
	if c.Hours == nil {
		c.Hours = map[string][]Period{}
	}
	var week [7][]Period
	working := false
	for day, ps := range c.Hours {
		i := slices.Index(Weekdays, day)
		if i < 0 {
			errs["hours."+day] = desk.M("hours.invalid_day", strings.Join(Weekdays, ", "))
			continue
		}
		if len(ps) > MaxPeriodsPerDay {
			errs["hours."+day] = desk.M("hours.too_many_periods", MaxPeriodsPerDay)
			continue
		}
		sorted := slices.Clone(ps)
		slices.SortFunc(sorted, func(a, b Period) int { return int(a.Start - b.Start) })
		for j, p := range sorted {
			switch {
			case p.Start < 0 || p.End < 0:
				errs["hours."+day] = desk.M("hours.invalid_time")
			case p.End <= p.Start:
				errs["hours."+day] = desk.M("hours.inverted_period", p.Start.String(), p.End.String())
			case j > 0 && p.Start < sorted[j-1].End:
				errs["hours."+day] = desk.M("hours.overlapping_periods", sorted[j-1].Start.String(),
					sorted[j-1].End.String(), p.Start.String(), p.End.String())
			}
		}
		week[i] = sorted
		c.Hours[day] = sorted
		working = working || len(sorted) > 0
	}
	if !working && len(errs) == 0 {
		errs["hours"] = desk.M("hours.no_working_time")
	}
	if len(c.Holidays) > MaxHolidays {
		errs["holidays"] = desk.M("hours.too_many_holidays", MaxHolidays)
	}
	c.holidays = make(map[string]bool, len(c.Holidays))
	for i, h := range c.Holidays {
		key := fmt.Sprintf("holidays.%d", i)
		if _, err := time.Parse(time.DateOnly, h.Date); err != nil {
			errs[key+".date"] = desk.M("hours.invalid_date", h.Date)
			continue
		}
		if c.holidays[h.Date] {
			errs[key+".date"] = desk.M("hours.duplicate_holiday", h.Date)
		}
		c.holidays[h.Date] = true
		name, msg := people.CleanName(h.Name, 200)
		if msg.Key != "" {
			errs[key+".name"] = msg
		}
		c.Holidays[i].Name = name
	}
	slices.SortFunc(c.Holidays, func(a, b Holiday) int { return strings.Compare(a.Date, b.Date) })
	if c.TeamIDs == nil {
		c.TeamIDs = []int64{}
	}
	if c.Holidays == nil {
		c.Holidays = []Holiday{}
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	c.week = week
	return nil
}

// Location is the calendar's zone (after Prepare).
func (c *Calendar) Location() *time.Location { return c.loc }

// maxDays bounds a search for working time; a prepared calendar has some
// every week, so only a run of holidays this long could exhaust it.
const maxDays = 3 * 366

// day is one local date's working intervals in absolute time. Across a DST
// change an interval holds the time that really passes: a period of 01:00 to
// 04:00 on the night clocks go forward holds two hours.
func (c *Calendar) day(y int, m time.Month, d int) (wd time.Weekday, out [][2]time.Time) {
	noon := time.Date(y, m, d, 12, 0, 0, 0, c.loc)
	wd = noon.Weekday()
	if c.holidays[noon.Format(time.DateOnly)] {
		return wd, nil
	}
	for _, p := range c.week[wd] {
		a := time.Date(y, m, d, int(p.Start)/60, int(p.Start)%60, 0, 0, c.loc)
		b := time.Date(y, m, d, int(p.End)/60, int(p.End)%60, 0, 0, c.loc)
		if b.After(a) {
			out = append(out, [2]time.Time{a, b})
		}
	}
	return wd, out
}

// AddWorking returns the moment when d of working time has passed after
// start. A start outside working time waits for the next period; d of 0
// is start itself.
func (c *Calendar) AddWorking(start time.Time, d time.Duration) (time.Time, error) {
	if d <= 0 {
		return start, nil
	}
	local := start.In(c.loc)
	y, m, dd := local.Date()
	for i := 0; i < maxDays; i++ {
		_, ivs := c.day(y, m, dd+i)
		for _, iv := range ivs {
			if !iv[1].After(start) {
				continue
			}
			from := iv[0]
			if start.After(from) {
				from = start
			}
			avail := iv[1].Sub(from)
			if d <= avail {
				return from.Add(d), nil
			}
			d -= avail
		}
	}
	return time.Time{}, desk.E(desk.EUNPROCESSABLE, "hours.no_working_time")
}

// Working returns the working time between a and b (0 when b is not after a).
func (c *Calendar) Working(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	local := a.In(c.loc)
	y, m, dd := local.Date()
	var sum time.Duration
	for i := 0; ; i++ {
		midnight := time.Date(y, m, dd+i, 0, 0, 0, 0, c.loc)
		if midnight.After(b) {
			return sum
		}
		_, ivs := c.day(y, m, dd+i)
		for _, iv := range ivs {
			from, to := iv[0], iv[1]
			if a.After(from) {
				from = a
			}
			if b.Before(to) {
				to = b
			}
			if to.After(from) {
				sum += to.Sub(from)
			}
		}
	}
}

// IsWorking reports whether t falls inside a working period.
func (c *Calendar) IsWorking(t time.Time) bool {
	local := t.In(c.loc)
	y, m, d := local.Date()
	for _, off := range []int{-1, 0} {
		_, ivs := c.day(y, m, d+off)
		for _, iv := range ivs {
			if !t.Before(iv[0]) && t.Before(iv[1]) {
				return true
			}
		}
	}
	return false
}
