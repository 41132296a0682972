package sla

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/ticket"
)

// zones with and without DST: New York and London move their clocks on
// different dates; Kolkata never does.
var zones = []string{"America/New_York", "Europe/London", "Asia/Kolkata"}

func genCalendar(t *rapid.T) *Calendar {
	c := &Calendar{Name: "Gen", TimeZone: rapid.SampledFrom(zones).Draw(t, "zone"), Hours: map[string][]Period{}}
	for i, day := range Weekdays {
		n := rapid.IntRange(0, 3).Draw(t, "n"+day)
		at := Minute(0)
		for j := 0; j < n && at < 1440-15; j++ {
			start := at + Minute(rapid.IntRange(0, int(1440-15-at)/2).Draw(t, fmt.Sprintf("s%d%d", i, j)))
			end := start + Minute(rapid.IntRange(15, int(1440-start)).Draw(t, fmt.Sprintf("e%d%d", i, j)))
			c.Hours[day] = append(c.Hours[day], Period{Start: start, End: end})
			at = end
		}
	}
	if len(c.Hours) == 0 || func() bool {
		for _, ps := range c.Hours {
			if len(ps) > 0 {
				return false
			}
		}
		return true
	}() {
		c.Hours["wednesday"] = []Period{{Start: 60, End: 180}} // 01:00-03:00 crosses the DST hour on some zones
	}
	for i := rapid.IntRange(0, 6).Draw(t, "holidays"); i > 0; i-- {
		d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rapid.IntRange(0, 730).Draw(t, "hday"))
		h := Holiday{Date: d.Format(time.DateOnly), Name: "H"}
		if c.holidays == nil {
			c.holidays = map[string]bool{}
		}
		if !c.holidays[h.Date] {
			c.holidays[h.Date] = true
			c.Holidays = append(c.Holidays, h)
		}
	}
	if err := c.Prepare(); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return c
}

// genTime draws a moment in 2026-2027, with extra weight on the nights
// the clocks change.
func genTime(t *rapid.T, label string) time.Time {
	dst := []time.Time{
		time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC), // New York
		time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), // London
	}
	if rapid.Bool().Draw(t, label+"near_dst") {
		base := rapid.SampledFrom(dst).Draw(t, label+"dst")
		return base.Add(time.Duration(rapid.IntRange(-48*60, 48*60).Draw(t, label+"off")) * time.Minute)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(rapid.Int64Range(0, 2*365*24*60).Draw(t, label+"min")) * time.Minute)
}

// within bounds a working duration drawn for c to what c works in half a
// year: a calendar of one 15-minute period a week holds 300 hours only after
// 23 years, past AddWorking's search (maxDays), which no real target needs.
func within(c *Calendar, minutes int) int {
	week := 0
	for _, ps := range c.Hours {
		for _, p := range ps {
			week += int(p.End - p.Start)
		}
	}
	return max(1, min(minutes, week*26))
}

func TestAddWorkingInvertsWorking(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCalendar(t)
		start := genTime(t, "start")
		d := time.Duration(rapid.IntRange(0, within(c, 300*60)).Draw(t, "minutes")) * time.Minute
		due, err := c.AddWorking(start, d)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Working(start, due); got != d {
			t.Fatalf("Working(%v, %v) = %v, want %v", start, due, got, d)
		}
		if d > 0 {
			// due is the earliest such moment: it ends working time, so
			// the minute before it was working.
			if !c.IsWorking(due.Add(-time.Second)) {
				t.Fatalf("the second before due %v is not working time", due.In(c.loc))
			}
		}
	})
}

func TestAddWorkingIsAdditive(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCalendar(t)
		start := genTime(t, "start")
		a := time.Duration(rapid.IntRange(1, within(c, 100*60)).Draw(t, "a")) * time.Minute
		b := time.Duration(rapid.IntRange(1, within(c, 100*60)).Draw(t, "b")) * time.Minute
		mid, _ := c.AddWorking(start, a)
		two, _ := c.AddWorking(mid, b)
		one, _ := c.AddWorking(start, a+b)
		if !one.Equal(two) {
			t.Fatalf("add %v then %v = %v, at once = %v", a, b, two, one)
		}
	})
}

func TestHolidaysCountNothing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCalendar(t)
		if len(c.Holidays) == 0 {
			return
		}
		h := rapid.SampledFrom(c.Holidays).Draw(t, "holiday")
		day, _ := time.ParseInLocation(time.DateOnly, h.Date, c.loc)
		y, m, d := day.Date()
		if got := c.Working(time.Date(y, m, d, 0, 0, 0, 0, c.loc), time.Date(y, m, d+1, 0, 0, 0, 0, c.loc)); got != 0 {
			t.Fatalf("holiday %s counts %v", h.Date, got)
		}
	})
}

// A paused clock moves a deadline by exactly the working time of the pause;
// editing the calendar later keeps the time counted before the edit.
func TestPausesAndCalendarEdits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCalendar(t)
		m := Meter{Cal: c}
		target := rapid.IntRange(1, 40*60).Draw(t, "target")
		p := &Policy{ID: 1, Time: BusinessTime, PauseOn: DefaultPauseOn, Targets: map[string]Target{"normal": {Resolution: target}}}
		u := Setup{Policy: p, Meter: m, Category: func(s string) string { return s }}
		created := genTime(t, "created")
		evs := []event.Event{{ID: 1, Kind: event.TicketCreated, Data: []byte(`{"status":"open"}`), CreatedAt: created}}
		at := created
		var pausedWork time.Duration
		n := rapid.IntRange(0, 4).Draw(t, "pauses")
		for i := 0; i < n; i++ {
			at = at.Add(time.Duration(rapid.IntRange(1, 3000).Draw(t, "gap")) * time.Minute)
			end := at.Add(time.Duration(rapid.IntRange(1, 3000).Draw(t, "len")) * time.Minute)
			evs = append(evs,
				event.Event{ID: int64(len(evs) + 1), Kind: event.FieldChanged, CreatedAt: at, Data: []byte(`{"field":"status","new":"pending"}`)},
				event.Event{ID: int64(len(evs) + 2), Kind: event.FieldChanged, CreatedAt: end, Data: []byte(`{"field":"status","new":"open"}`)})
			pausedWork += c.Working(at, end)
			at = end
		}
		var s State
		s.Apply(u, evs)
		tk := &ticket.Ticket{ID: 7, Priority: "normal"}
		if _, err := s.Schedule(u, tk, at); err != nil {
			t.Fatal(err)
		}
		want := time.Duration(target) * time.Minute
		if s.Counted < want {
			if got := c.Working(created, *s.ResolutionDue) - pausedWork; got != want {
				t.Fatalf("working time to due less pauses = %v, want %v", got, want)
			}
		}
		// An edit: the next 30 days become holidays. What was counted
		// stays counted; the rest waits for the first working day after.
		counted := s.Counted
		edited := *c
		edited.Holidays = nil
		for i := 0; i < 30; i++ {
			edited.Holidays = append(edited.Holidays, Holiday{Date: at.In(c.loc).AddDate(0, 0, i).Format(time.DateOnly), Name: "x"})
		}
		if err := edited.Prepare(); err != nil {
			t.Fatal(err)
		}
		u.Meter = Meter{Cal: &edited}
		if _, err := s.Schedule(u, tk, at); err != nil {
			t.Fatal(err)
		}
		if s.Counted != counted {
			t.Fatalf("counted %v changed to %v by a calendar edit", counted, s.Counted)
		}
		if counted < want && edited.Working(at, *s.ResolutionDue) != want-counted {
			t.Fatalf("after the edit, working time to due = %v, want %v", edited.Working(at, *s.ResolutionDue), want-counted)
		}
	})
}

func TestDSTDayLength(t *testing.T) {
	all := map[string][]Period{}
	for _, d := range Weekdays {
		all[d] = []Period{{Start: 0, End: 1440}}
	}
	for _, tc := range []struct {
		zone, date string
		want       time.Duration
	}{
		{"America/New_York", "2026-03-08", 23 * time.Hour},
		{"America/New_York", "2026-11-01", 25 * time.Hour},
		{"Europe/London", "2026-03-29", 23 * time.Hour},
		{"Europe/London", "2026-10-25", 25 * time.Hour},
		{"Asia/Kolkata", "2026-03-08", 24 * time.Hour},
	} {
		c := &Calendar{Name: "24h", TimeZone: tc.zone, Hours: all}
		if err := c.Prepare(); err != nil {
			t.Fatal(err)
		}
		day, _ := time.ParseInLocation(time.DateOnly, tc.date, c.loc)
		if got := c.Working(day, day.AddDate(0, 0, 1)); got != tc.want {
			t.Errorf("%s %s: working day = %v, want %v", tc.zone, tc.date, got, tc.want)
		}
	}
}

func TestCalendarRefusesBadInput(t *testing.T) {
	p := func(a, b string) Period {
		x, ok1 := ParseMinute(a)
		y, ok2 := ParseMinute(b)
		if !ok1 {
			x = -1
		}
		if !ok2 {
			y = -1
		}
		return Period{Start: x, End: y}
	}
	for _, tc := range []struct {
		name  string
		cal   Calendar
		field string
		key   string
	}{
		{"unknown zone", Calendar{Name: "x", TimeZone: "Mars/Olympus", Hours: map[string][]Period{"monday": {p("09:00", "17:00")}}}, "time_zone", "hours.invalid_zone"},
		{"inverted", Calendar{Name: "x", TimeZone: "Asia/Kolkata", Hours: map[string][]Period{"monday": {p("17:00", "09:00")}}}, "hours.monday", "hours.inverted_period"},
		{"overlap", Calendar{Name: "x", TimeZone: "Asia/Kolkata", Hours: map[string][]Period{"monday": {p("09:00", "13:00"), p("12:00", "18:00")}}}, "hours.monday", "hours.overlapping_periods"},
		{"bad time", Calendar{Name: "x", TimeZone: "Asia/Kolkata", Hours: map[string][]Period{"monday": {p("25:00", "26:00")}}}, "hours.monday", "hours.invalid_time"},
		{"unknown day", Calendar{Name: "x", TimeZone: "Asia/Kolkata", Hours: map[string][]Period{"funday": {p("09:00", "10:00")}}}, "hours.funday", "hours.invalid_day"},
		{"no hours", Calendar{Name: "x", TimeZone: "Asia/Kolkata"}, "hours", "hours.no_working_time"},
		{"bad holiday", Calendar{Name: "x", TimeZone: "Asia/Kolkata", Hours: map[string][]Period{"monday": {p("09:00", "10:00")}}, Holidays: []Holiday{{Date: "2026-02-30", Name: "x"}}}, "holidays.0.date", "hours.invalid_date"},
	} {
		err := tc.cal.Prepare()
		if got := desk.ErrorFields(err)[tc.field].Key; got != tc.key {
			t.Errorf("%s: field %s = %q, want %q (%v)", tc.name, tc.field, got, tc.key, err)
		}
	}
}

func TestIndiaAndICS(t *testing.T) {
	hs, err := IndiaNationalHolidays([]int{2026})
	if err != nil || len(hs) != 3 || hs[0].Date != "2026-01-26" || hs[1].Date != "2026-08-15" || hs[2].Date != "2026-10-02" {
		t.Fatalf("india 2026 = %v, %v", hs, err)
	}
	if _, err := IndiaNationalHolidays([]int{1990}); desk.ErrorCode(err) != desk.EINVALID {
		t.Fatalf("1990: %v", err)
	}
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261108\r\nSUMMARY:Diwali\\, Deepavali\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260303\r\nDTEND;VALUE=DATE:20260305\r\nSUMMARY:Holi (two\r\n  days)\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nDTSTART:20260310T090000Z\r\nSUMMARY:A meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	got, err := ParseICS(ics)
	if err != nil {
		t.Fatal(err)
	}
	want := []Holiday{{"2026-11-08", "Diwali, Deepavali"}, {"2026-03-03", "Holi (two days)"}, {"2026-03-04", "Holi (two days)"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ics = %v, want %v", got, want)
	}
	if _, err := ParseICS("not a calendar"); desk.ErrorCode(err) != desk.EINVALID {
		t.Fatalf("garbage: %v", err)
	}
}
