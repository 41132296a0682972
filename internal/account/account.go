// Package account owns what an account executive works with: the account
// attributes of an organization (owner, tier, revenue, renewal, parent,
// custom fields), its health score worked out from events, the book of an
// owner and the account's timeline. It knows nothing of HTTP or SQL: the
// web layer calls the Service, the store implements Store.
package account

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/currency"

	"github.com/sahayak/sahayak/internal/desk"
)

// Account is an organization seen as a customer account. OrganizationID is
// the organization's id; Version is the organization's, so that one ETag
// covers both.
type Account struct {
	OrganizationID int64          `json:"-"`
	Name           string         `json:"-"`
	OwnerID        *int64         `json:"owner_id"`
	Tier           string         `json:"tier"`
	ARR            *Money         `json:"arr"`
	MRR            *Money         `json:"mrr"`
	Currency       string         `json:"currency"`
	RenewalDate    string         `json:"renewal_date"` // YYYY-MM-DD, "" when unknown
	Industry       string         `json:"industry"`
	ParentID       *int64         `json:"parent_id"`
	CustomFields   map[string]any `json:"custom_fields"`
	// CheckinRule is the check-in cadence, an RRULE ("" for none), counted
	// from CheckinFrom; NextCheckinAt is the next check-in due.
	CheckinRule   string     `json:"checkin_rule"`
	CheckinFrom   *time.Time `json:"-"`
	NextCheckinAt *time.Time `json:"next_checkin_at"`
	Version       int64      `json:"-"`
	// Health is the score as last worked out (stored); reads refresh it
	// for the time of reading.
	Health *Health `json:"health"`
	// State is what the health was worked out from (nil before any event).
	State *State `json:"-"`
}

// Money is an amount in minor units (hundredths) of the account's currency.
type Money int64

// MarshalJSON writes the amount in major units (12.5 for 1250).
func (m Money) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%.2f", float64(m)/100)), nil
}

// Major is the amount in major units.
func (m Money) Major() float64 { return float64(m) / 100 }

// MoneyFrom converts an amount in major units, refusing negative amounts,
// more than two decimals and amounts past a trillion.
func MoneyFrom(v float64) (Money, bool) {
	c := v * 100
	r := math.Round(c)
	if v < 0 || v > 1e12 || math.Abs(c-r) > 1e-6 || math.IsNaN(v) {
		return 0, false
	}
	return Money(r), true
}

// Tier, industry and field limits.
const (
	maxTier        = 50
	maxIndustry    = 100
	maxFields      = 50
	maxFieldValue  = 500
	maxParentDepth = 20
)

var fieldKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)

// validCurrency reports whether code is an ISO 4217 currency in use.
func validCurrency(code string) bool {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return false
	}
	u, err := currency.ParseISO(code)
	return err == nil && u.String() == code && code != "XXX" && code != "XTS"
}

// parseDay reads a YYYY-MM-DD date.
func parseDay(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil && t.Format(time.DateOnly) == s
}

// cleanText checks a single-line text of at most max characters.
func cleanText(s string, max int) (string, desk.Msg) {
	if !utf8.ValidString(s) {
		return "", desk.M("invalid.utf8")
	}
	s = strings.TrimSpace(s)
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", desk.M("invalid.control_chars")
		}
	}
	if utf8.RuneCountInString(s) > max {
		return "", desk.M("invalid.too_long")
	}
	return s, desk.Msg{}
}

// cleanFields checks custom fields: lower-case keys, values that are text,
// numbers or true/false (null removes a key).
func cleanFields(in map[string]any) (map[string]any, desk.Msg) {
	out := map[string]any{}
	if len(in) > maxFields {
		return nil, desk.M("account.invalid.too_many_fields", maxFields)
	}
	for k, v := range in {
		if !fieldKeyRE.MatchString(k) {
			return nil, desk.M("account.invalid.field_key", k)
		}
		switch x := v.(type) {
		case nil:
			continue
		case string:
			t, msg := cleanText(x, maxFieldValue)
			if msg.Key != "" {
				return nil, msg
			}
			out[k] = t
		case float64, bool:
			out[k] = x
		default:
			return nil, desk.M("account.invalid.field_value", k)
		}
	}
	return out, desk.Msg{}
}

// Input changes the account attributes of an organization. Nil fields stay
// unchanged; OwnerID and ParentID 0 clear them, RenewalDate "" clears it.
type Input struct {
	OwnerID      *int64
	Tier         *string
	ARR          *float64
	MRR          *float64
	ClearARR     bool
	ClearMRR     bool
	Currency     *string
	RenewalDate  *string
	Industry     *string
	ParentID     *int64
	CustomFields *map[string]any
	// CheckinRule sets the check-in cadence (an RRULE; "" removes it),
	// counted from the time it is set.
	CheckinRule *string
	// IfVersion, when not 0, applies the change only to that version.
	IfVersion int64
}

// Empty reports whether the input changes nothing.
func (in Input) Empty() bool {
	return in.OwnerID == nil && in.Tier == nil && in.ARR == nil && in.MRR == nil && !in.ClearARR && !in.ClearMRR &&
		in.Currency == nil && in.RenewalDate == nil && in.Industry == nil && in.ParentID == nil && in.CustomFields == nil &&
		in.CheckinRule == nil
}

// apply checks the fields that need no lookup and sets them on a; now
// dates renewals (not before today) and starts a new cadence.
func (in Input) apply(a *Account, now time.Time) desk.Fields {
	today := now.Format(time.DateOnly)
	errs := desk.Fields{}
	text := func(field string, p *string, max int, dst *string) {
		if p == nil {
			return
		}
		t, msg := cleanText(*p, max)
		if msg.Key != "" {
			errs[field] = msg
		}
		*dst = t
	}
	text("tier", in.Tier, maxTier, &a.Tier)
	text("industry", in.Industry, maxIndustry, &a.Industry)
	money := func(field string, v *float64, clear bool, dst **Money) {
		if clear {
			*dst = nil
		}
		if v == nil {
			return
		}
		m, ok := MoneyFrom(*v)
		if !ok {
			errs[field] = desk.M("account.invalid.amount")
			return
		}
		*dst = &m
	}
	money("arr", in.ARR, in.ClearARR, &a.ARR)
	money("mrr", in.MRR, in.ClearMRR, &a.MRR)
	if in.Currency != nil {
		c := strings.TrimSpace(*in.Currency)
		if c != "" && !validCurrency(c) {
			errs["currency"] = desk.M("account.invalid.currency", c)
		}
		a.Currency = c
	}
	if (a.ARR != nil || a.MRR != nil) && a.Currency == "" && errs["currency"].Key == "" {
		errs["currency"] = desk.M("account.invalid.currency_needed")
	}
	if in.RenewalDate != nil {
		d := strings.TrimSpace(*in.RenewalDate)
		switch {
		case d == "":
		case !validDay(d):
			errs["renewal_date"] = desk.M("account.invalid.date", d)
		case d < today && d != a.RenewalDate:
			errs["renewal_date"] = desk.M("account.invalid.renewal_past", d)
		}
		a.RenewalDate = d
	}
	if in.CustomFields != nil {
		f, msg := cleanFields(*in.CustomFields)
		if msg.Key != "" {
			errs["custom_fields"] = msg
		}
		a.CustomFields = f
	}
	if a.CustomFields == nil {
		a.CustomFields = map[string]any{}
	}
	if in.CheckinRule != nil {
		rule := strings.TrimSpace(*in.CheckinRule)
		switch {
		case rule == "":
			a.CheckinRule, a.CheckinFrom, a.NextCheckinAt = "", nil, nil
		case len(rule) > 500:
			errs["checkin_rule"] = desk.M("invalid.too_long")
		case rule != a.CheckinRule:
			from := now.Truncate(time.Minute)
			next, msg := NextCheckin(rule, from, now)
			if msg.Key != "" {
				errs["checkin_rule"] = msg
				break
			}
			a.CheckinRule, a.CheckinFrom, a.NextCheckinAt = rule, &from, &next
		}
	}
	return errs
}

func validDay(s string) bool {
	_, ok := parseDay(s)
	return ok
}

// Filter selects accounts for a list, in organization id order.
type Filter struct {
	OwnerID *int64
	Band    string
	// RenewalFrom and RenewalTo bound the renewal date (YYYY-MM-DD,
	// inclusive) when not "".
	RenewalFrom, RenewalTo string
	// Since, when not zero, keeps accounts changed since then.
	Since   time.Time
	AfterID int64
	Limit   int
}
