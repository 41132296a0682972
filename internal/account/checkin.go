package account

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// CheckinDue is the event of a check-in falling due (ticket_id NULL); its
// data: organization_id, name, owner_id, due_at. The notifier tells the owner.
const CheckinDue = "account.checkin_due"

// cadenceHorizon is how far ahead a cadence must have its next check-in.
const cadenceHorizon = 2 * 366 * 24 * time.Hour

// NextCheckin is the first check-in of a cadence (an RRULE counted from
// from) after after. A rule that is not an RRULE, that recurs more often
// than daily, or that has no check-in in the next two years is refused with
// a message for the field.
func NextCheckin(rule string, from, after time.Time) (time.Time, desk.Msg) {
	opt, err := rrule.StrToROption(strings.TrimPrefix(strings.TrimSpace(rule), "RRULE:"))
	if err != nil || strings.Contains(rule, "\n") {
		return time.Time{}, desk.M("account.invalid.cadence")
	}
	if opt.Freq == rrule.HOURLY || opt.Freq == rrule.MINUTELY || opt.Freq == rrule.SECONDLY {
		return time.Time{}, desk.M("account.invalid.cadence_often")
	}
	opt.Dtstart = from
	horizon := after.Add(cadenceHorizon)
	if opt.Until.IsZero() || opt.Until.After(horizon) {
		// Bounds the search: a rule that never matches ends here.
		opt.Until = horizon
	}
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return time.Time{}, desk.M("account.invalid.cadence")
	}
	next := r.After(after, false)
	if next.IsZero() {
		return time.Time{}, desk.M("account.invalid.cadence_never")
	}
	if then := r.After(next, false); !then.IsZero() && then.Sub(next) < 24*time.Hour {
		return time.Time{}, desk.M("account.invalid.cadence_often")
	}
	return next.UTC(), desk.Msg{}
}

// Checkin is a check-in held with an account: notes from the agenda,
// attendees, outcome and follow-up tasks.
type Checkin struct {
	ID             int64     `json:"id"`
	OrganizationID int64     `json:"organization_id"`
	AgentID        *int64    `json:"agent_id"`
	HeldAt         time.Time `json:"held_at"`
	Notes          string    `json:"notes"`
	Attendees      []string  `json:"attendees"`
	Outcome        string    `json:"outcome"`
	FollowUps      []string  `json:"follow_ups"`
	CreatedAt      time.Time `json:"created_at"`
	Version        int64     `json:"version"`
}

// CurrentVersion is the version the API sends as the ETag.
func (c *Checkin) CurrentVersion() int64 { return c.Version }

// Outcomes of a check-in.
var Outcomes = []string{"positive", "neutral", "concerned", "escalate"}

// CheckinTemplate is the agenda a new check-in's notes start from.
const CheckinTemplate = "Agenda:\n1. Open tickets and escalations\n2. Satisfaction since the last check-in\n3. Plans, new teams, seats\n4. Renewal\n\nNotes:\n"

// CheckinInput logs a check-in.
type CheckinInput struct {
	OrganizationID int64
	HeldAt         *time.Time // nil: now
	Notes          string
	Attendees      []string
	Outcome        string
	FollowUps      []string
}

// Due is an account whose next check-in is due (or overdue).
type Due struct {
	OrganizationID int64     `json:"organization_id"`
	Name           string    `json:"name"`
	OwnerID        *int64    `json:"owner_id"`
	DueAt          time.Time `json:"due_at"`
	Overdue        bool      `json:"overdue"`
}

// CheckinStore is what check-ins need persisted.
type CheckinStore interface {
	// SaveCheckin inserts c (setting its ID), moves the account's next
	// check-in to next (nil: none) and appends ev with the id.
	SaveCheckin(ctx context.Context, c *Checkin, next *time.Time, ev event.Event) error
	Checkin(ctx context.Context, id int64) (*Checkin, error)
	Checkins(ctx context.Context, orgID, beforeID int64, limit int) ([]*Checkin, error)
	DueCheckins(ctx context.Context, ownerID *int64, until time.Time, limit int) ([]Due, error)
	// RemindCheckins marks up to limit due check-ins not yet reminded and
	// appends an event for each (built by ev), one transaction each.
	RemindCheckins(ctx context.Context, now time.Time, limit int, ev func(Due) event.Event) (int, error)
}

// mayChange refuses a change to an account the actor does not own, unless
// they manage accounts or it has no owner.
func mayChange(actor desk.Actor, a *Account) error {
	if !actor.Can(auth.AccountsManage) && a.OwnerID != nil && *a.OwnerID != actor.ID {
		return desk.E(desk.EFORBIDDEN, "account.error.not_owner", a.OrganizationID)
	}
	return nil
}

// LogCheckin records a check-in held with an account and moves the next
// one due after it along the cadence.
func (s *Service) LogCheckin(ctx context.Context, in CheckinInput) (*Checkin, error) {
	actor, err := desk.Require(ctx, auth.OrganizationsWrite)
	if err != nil {
		return nil, err
	}
	a, err := s.store.Account(ctx, in.OrganizationID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return nil, desk.Invalid(desk.Fields{"organization_id": desk.M("account.invalid.no_parent", in.OrganizationID)})
	}
	if err != nil {
		return nil, err
	}
	if err := mayChange(actor, a); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	c := &Checkin{OrganizationID: a.OrganizationID, HeldAt: now, CreatedAt: now, Outcome: in.Outcome}
	if actor.Kind == desk.ActorAgent {
		id := actor.ID
		c.AgentID = &id
	}
	errs := desk.Fields{}
	if in.HeldAt != nil {
		if in.HeldAt.After(now.Add(time.Hour)) {
			errs["held_at"] = desk.M("account.invalid.held_future")
		}
		c.HeldAt = in.HeldAt.UTC()
	}
	if n, msg := cleanNotes(in.Notes); msg.Key != "" {
		errs["notes"] = msg
	} else {
		c.Notes = n
	}
	var msg desk.Msg
	if c.Attendees, msg = cleanList(in.Attendees, 50, 200); msg.Key != "" {
		errs["attendees"] = msg
	}
	if c.FollowUps, msg = cleanList(in.FollowUps, 50, 500); msg.Key != "" {
		errs["follow_ups"] = msg
	}
	if c.Outcome != "" && !contains(Outcomes, c.Outcome) {
		errs["outcome"] = desk.M("invalid.one_of", strings.Join(Outcomes, ", "))
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	var next *time.Time
	if a.CheckinRule != "" {
		after := c.HeldAt
		if now.After(after) {
			after = now
		}
		if t, msg := NextCheckin(a.CheckinRule, a.checkinFrom(), after); msg.Key == "" {
			next = &t
		}
	}
	ev := event.New(CheckinLogged, 0, map[string]any{"organization_id": a.OrganizationID, "held_at": c.HeldAt,
		"outcome": c.Outcome})
	ev.ActorKind, ev.ActorID, ev.CreatedAt = actor.Kind, actor.ID, c.HeldAt
	if err := s.checkins.SaveCheckin(ctx, c, next, ev); err != nil {
		return nil, fmt.Errorf("log check-in: %w", err)
	}
	return c, nil
}

// checkinFrom is the time the cadence counts from.
func (a *Account) checkinFrom() time.Time {
	if a.CheckinFrom != nil {
		return *a.CheckinFrom
	}
	return time.Date(2000, 1, 1, 9, 0, 0, 0, time.UTC)
}

// GetCheckin returns a check-in.
func (s *Service) GetCheckin(ctx context.Context, id int64) (*Checkin, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	return s.checkins.Checkin(ctx, id)
}

// Checkins lists an account's check-ins, newest first, before an id (0: from the newest).
func (s *Service) Checkins(ctx context.Context, orgID, beforeID int64, limit int) ([]*Checkin, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	return s.checkins.Checkins(ctx, orgID, beforeID, limit)
}

// DueCheckins lists accounts (of an owner, when given) whose next check-in
// is due by until, soonest first; those already past are overdue.
func (s *Service) DueCheckins(ctx context.Context, ownerID *int64, within time.Duration, limit int) ([]Due, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	list, err := s.checkins.DueCheckins(ctx, ownerID, now.Add(within), limit)
	for i := range list {
		list[i].Overdue = list[i].DueAt.Before(now)
	}
	return list, err
}

// RemindDue sends the reminders of check-ins that fell due: one event each
// (the notifier tells the owner), once per due time. A periodic job runs it.
func (s *Service) RemindDue(ctx context.Context) (int, error) {
	now := s.clock.Now()
	return s.checkins.RemindCheckins(ctx, now, 200, func(d Due) event.Event {
		var owner int64
		if d.OwnerID != nil {
			owner = *d.OwnerID
		}
		e := event.New(CheckinDue, 0, map[string]any{"organization_id": d.OrganizationID, "name": d.Name,
			"owner_id": owner, "due_at": d.DueAt})
		e.ActorKind, e.CreatedAt = desk.ActorSystem, now
		return e
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cleanNotes checks multi-line notes: valid UTF-8, no control characters
// but line breaks and tabs, at most 20,000 characters.
func cleanNotes(s string) (string, desk.Msg) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			return "", desk.M("invalid.control_chars")
		}
	}
	if len([]rune(s)) > 20000 {
		return "", desk.M("invalid.too_long")
	}
	return s, desk.Msg{}
}

// cleanList checks a list of short texts, dropping blank ones.
func cleanList(in []string, maxItems, maxLen int) ([]string, desk.Msg) {
	out := []string{}
	for _, s := range in {
		t, msg := cleanText(s, maxLen)
		if msg.Key != "" {
			return nil, msg
		}
		if t != "" {
			out = append(out, t)
		}
	}
	if len(out) > maxItems {
		return nil, desk.M("account.invalid.too_many", maxItems)
	}
	return out, desk.Msg{}
}
