package sla

import (
	"bufio"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
)

// India's three national holidays fall on fixed Gregorian dates every year,
// so they are generated for any year asked for within BundledYears. The
// other gazetted holidays (Holi, Diwali, Eid, Guru Nanak Jayanti, …) follow
// lunar or lunisolar calendars and move every year; they are not bundled:
// import the year's list as an .ics file.
var indiaNational = []struct {
	month time.Month
	day   int
	name  string
}{
	{time.January, 26, "Republic Day"},
	{time.August, 15, "Independence Day"},
	{time.October, 2, "Gandhi Jayanti"},
}

// BundledYears is the range of years the bundled Indian list covers.
var BundledYears = [2]int{2024, 2035}

// PresetIndiaNational names the bundled list of Indian national holidays.
const PresetIndiaNational = "india_national"

// IndiaNationalHolidays returns Republic Day, Independence Day and Gandhi
// Jayanti for each year, which must lie within BundledYears.
func IndiaNationalHolidays(years []int) ([]Holiday, error) {
	if len(years) == 0 {
		return nil, desk.Invalid(desk.Fields{"years": desk.M("invalid.required")})
	}
	var out []Holiday
	for _, y := range years {
		if y < BundledYears[0] || y > BundledYears[1] {
			return nil, desk.Invalid(desk.Fields{"years": desk.M("hours.year_not_bundled", BundledYears[0], BundledYears[1], y)})
		}
		for _, h := range indiaNational {
			out = append(out, Holiday{Date: time.Date(y, h.month, h.day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), Name: h.name})
		}
	}
	return out, nil
}

// MaxICS bounds an imported calendar file.
const MaxICS = 512 << 10

// ParseICS reads the all-day events of an iCalendar file (RFC 5545) as
// holidays: DTSTART;VALUE=DATE with SUMMARY, an event of several days
// (DTEND, exclusive) giving one holiday per day. Events with a time of day
// are not holidays and are skipped; a file with no VCALENDAR or a malformed
// date is refused.
func ParseICS(text string) ([]Holiday, error) {
	if len(text) > MaxICS {
		return nil, desk.Invalid(desk.Fields{"ics": desk.M("hours.ics_too_large", MaxICS>>10)})
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), MaxICS)
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		// Folded lines continue with a space or a tab.
		if len(lines) > 0 && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil || !slices.Contains(lines, "BEGIN:VCALENDAR") {
		return nil, desk.Invalid(desk.Fields{"ics": desk.M("hours.ics_invalid")})
	}
	var out []Holiday
	var in bool
	var start, end, summary string
	var timed bool
	for n, l := range lines {
		name, value, _ := strings.Cut(l, ":")
		prop, params, _ := strings.Cut(name, ";")
		switch strings.ToUpper(prop) {
		case "BEGIN":
			if value == "VEVENT" {
				in, start, end, summary, timed = true, "", "", "", false
			}
		case "DTSTART":
			start, timed = value, len(value) != 8 && !strings.Contains(strings.ToUpper(params), "VALUE=DATE")
		case "DTEND":
			end = value
		case "SUMMARY":
			summary = unescapeICS(value)
		case "END":
			if value != "VEVENT" || !in {
				continue
			}
			in = false
			if timed {
				continue
			}
			days, err := icsDays(start, end)
			if err != nil {
				return nil, desk.Invalid(desk.Fields{"ics": desk.M("hours.ics_bad_date", n+1, start)})
			}
			for _, d := range days {
				out = append(out, Holiday{Date: d, Name: strings.TrimSpace(summary)})
			}
		}
	}
	return out, nil
}

func icsDays(start, end string) ([]string, error) {
	a, err := time.Parse("20060102", start)
	if err != nil {
		return nil, err
	}
	b := a.AddDate(0, 0, 1)
	if end != "" {
		if b, err = time.Parse("20060102", end); err != nil {
			return nil, err
		}
	}
	if b.Sub(a) > 31*24*time.Hour {
		return nil, fmt.Errorf("event longer than a month")
	}
	var out []string
	for d := a; d.Before(b); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	if len(out) == 0 {
		out = append(out, a.Format(time.DateOnly))
	}
	return out, nil
}

func unescapeICS(s string) string {
	r := strings.NewReplacer(`\,`, ",", `\;`, ";", `\n`, " ", `\N`, " ", `\\`, `\`)
	return r.Replace(s)
}

// MergeHolidays adds holidays to a list: a date already there keeps its
// name, so an import never overwrites what an admin typed.
func MergeHolidays(have, add []Holiday) []Holiday {
	seen := map[string]bool{}
	out := slices.Clone(have)
	for _, h := range have {
		seen[h.Date] = true
	}
	for _, h := range add {
		if h.Name == "" {
			h.Name = h.Date
		}
		if !seen[h.Date] {
			seen[h.Date] = true
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b Holiday) int { return strings.Compare(a.Date, b.Date) })
	return out
}
