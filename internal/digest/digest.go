// Package digest owns report digests: a report of the KPIs and the trend
// chart the reports page shows, mailed daily, weekly or monthly to chosen
// agents, each in their language and with only the figures they may see
// (read as that agent: a team lead's teams, an agent's own work). A
// periodic job mails each period once, whichever node runs it. It knows
// nothing of HTTP or SQL.
package digest

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/report"
)

// Periods a digest may cover.
const (
	Daily   = "daily"
	Weekly  = "weekly"
	Monthly = "monthly"
)

// Periods lists the periods a digest may have.
var Periods = []string{Daily, Weekly, Monthly}

// Limits of a digest.
const (
	MaxRecipients = 50
	MaxName       = 120
)

// Digest is a report mailed on schedule to chosen agents.
type Digest struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Period string `json:"period"`
	// TeamID narrows the figures to one team; nil: everything each
	// recipient may see.
	TeamID       *int64  `json:"team_id"`
	RecipientIDs []int64 `json:"recipient_ids"`
	// LastPeriod is the start (YYYY-MM-DD) of the last period mailed.
	LastPeriod string    `json:"last_period"`
	CreatedBy  int64     `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int64     `json:"version"`
}

// CurrentVersion is the digest's version (its ETag).
func (d *Digest) CurrentVersion() int64 { return d.Version }

// Input creates or changes a digest (nil: unchanged; a team_id of 0 takes
// the team away).
type Input struct {
	Name         *string  `json:"name"`
	Period       *string  `json:"period"`
	TeamID       *int64   `json:"team_id"`
	RecipientIDs *[]int64 `json:"recipient_ids"`
}

// Store keeps digests. Single reads return a desk ENOTFOUND error.
type Store interface {
	// Digests lists digests by id: all (teamIDs and createdBy nil), or
	// those of the teams or made by that agent.
	Digests(ctx context.Context, teamIDs []int64, createdBy *int64) ([]*Digest, error)
	Digest(ctx context.Context, id int64) (*Digest, error)
	// SaveDigest inserts (ID 0) or updates d at ifVersion (ESTALE
	// otherwise), recipients with it, and sets its ID and Version.
	SaveDigest(ctx context.Context, d *Digest, ifVersion int64) error
	// DeleteDigest deletes a digest at ifVersion (0: any).
	DeleteDigest(ctx context.Context, id, ifVersion int64) error
	// DueDigests returns digests of a period kind whose last period is
	// before label, by id after afterID.
	DueDigests(ctx context.Context, period, label string, afterID int64, limit int) ([]*Digest, error)
	// MarkDigestSent moves a digest's last period from prev to label and
	// stores its mails, in one transaction; false (nothing written) when
	// it had moved already.
	MarkDigestSent(ctx context.Context, id int64, prev, label string, mails []*email.Outbound) (bool, error)
	Agent(ctx context.Context, id int64) (*people.Agent, error)
	Team(ctx context.Context, id int64) (*people.Team, error)
	DefaultMailboxID(ctx context.Context) (int64, error)
}

// Figures answers the KPIs and their series (report.Service), for the
// actor in the context.
type Figures interface {
	KPIs(ctx context.Context, q report.Query) (*report.Report, error)
	Series(ctx context.Context, q report.Query, metrics ...string) ([]report.Point, error)
}

// Actors builds the acting user of an agent (access.Service).
type Actors interface {
	ActorFor(ctx context.Context, a *people.Agent) (desk.Actor, error)
}

// Mailer builds and hands over the desk's own mail (email.Sender).
type Mailer interface {
	BuildSystemMail(ctx context.Context, m email.SystemMail) (*email.Outbound, error)
	Enqueue(ctx context.Context, outboundIDs ...int64) error
}

// Translate formats a message of the catalog in a language.
type Translate func(lang, key string, args ...any) string

// Service manages digests and mails them.
type Service struct {
	store     Store
	figures   Figures
	actors    Actors
	mail      Mailer
	clock     desk.Clock
	log       *slog.Logger
	t         Translate
	publicURL string
}

// New returns the service.
func New(s Store, f Figures, a Actors, m Mailer, clock desk.Clock, log *slog.Logger, t Translate, publicURL string) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: s, figures: f, actors: a, mail: m, clock: clock, log: log, t: t, publicURL: publicURL}
}

// leads says whether the actor leads the team (supervisors lead every
// team for this purpose); a team that does not exist is bad input.
func (s *Service) leads(ctx context.Context, a desk.Actor, teamID int64) (bool, error) {
	t, err := s.store.Team(ctx, teamID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return false, desk.Invalid(desk.Fields{"team_id": desk.M("error.team_not_found", teamID)})
	}
	if err != nil {
		return false, err
	}
	return a.Can(auth.ReportsReadAll) || (t.LeadID != nil && *t.LeadID == a.ID), nil
}

// mayManage says whether the actor may see and change a digest:
// supervisors and admins every digest; a team lead the digests of the
// teams they lead.
func (s *Service) mayManage(ctx context.Context, a desk.Actor, d *Digest) (bool, error) {
	if a.Can(auth.ReportsReadAll) {
		return true, nil
	}
	if d.TeamID == nil {
		return false, nil
	}
	ok, err := s.leads(ctx, a, *d.TeamID)
	if desk.ErrorCode(err) == desk.EINVALID {
		return false, nil // its team is gone (the digest goes with it)
	}
	return ok, err
}

func (s *Service) apply(ctx context.Context, a desk.Actor, d *Digest, in Input) error {
	if in.Name != nil {
		d.Name = strings.TrimSpace(*in.Name)
	}
	if in.Period != nil {
		d.Period = *in.Period
	}
	if in.TeamID != nil {
		d.TeamID = in.TeamID
		if *in.TeamID == 0 {
			d.TeamID = nil
		}
	}
	if in.RecipientIDs != nil {
		ids := slices.Clone(*in.RecipientIDs)
		slices.Sort(ids)
		d.RecipientIDs = slices.Compact(ids)
	}
	errs := desk.Fields{}
	if d.Name == "" || utf8.RuneCountInString(d.Name) > MaxName {
		errs["name"] = desk.M("invalid.digest_name", MaxName)
	}
	if !slices.Contains(Periods, d.Period) {
		errs["period"] = desk.M("invalid.one_of", strings.Join(Periods, ", "))
	}
	if len(d.RecipientIDs) == 0 || len(d.RecipientIDs) > MaxRecipients {
		errs["recipient_ids"] = desk.M("invalid.digest_recipients", MaxRecipients)
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	// Who may send what: a lead only their own teams' digest.
	if d.TeamID == nil && !a.Can(auth.ReportsReadAll) {
		return desk.Invalid(desk.Fields{"team_id": desk.M("invalid.digest_team_required")})
	}
	if d.TeamID != nil {
		ok, err := s.leads(ctx, a, *d.TeamID)
		if err != nil {
			return err
		}
		if !ok {
			return desk.E(desk.EFORBIDDEN, "error.digest_team")
		}
	}
	for _, id := range d.RecipientIDs {
		ag, err := s.store.Agent(ctx, id)
		if desk.ErrorCode(err) == desk.ENOTFOUND || (err == nil && !ag.Active) {
			return desk.Invalid(desk.Fields{"recipient_ids": desk.M("invalid.digest_recipient", id)})
		}
		if err != nil {
			return err
		}
		// A lead subscribes the people of their team (and themselves).
		if !a.Can(auth.ReportsReadAll) && id != a.ID && !slices.Contains(ag.TeamIDs, *d.TeamID) {
			return desk.Invalid(desk.Fields{"recipient_ids": desk.M("invalid.digest_recipient_team", id)})
		}
	}
	return nil
}

// Create sets up a digest. Its first mail is of the first whole period
// after now.
func (s *Service) Create(ctx context.Context, in Input) (*Digest, error) {
	a, err := desk.Require(ctx, auth.ReportsTeam)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	d := &Digest{CreatedBy: a.ID, CreatedAt: now, UpdatedAt: now}
	if err := s.apply(ctx, a, d, in); err != nil {
		return nil, err
	}
	d.LastPeriod = LastComplete(d.Period, now).Label
	if err := s.store.SaveDigest(ctx, d, 0); err != nil {
		return nil, err
	}
	return d, nil
}

// Get returns a digest the actor may manage (ENOTFOUND otherwise).
func (s *Service) Get(ctx context.Context, id int64) (*Digest, error) {
	a, err := desk.Require(ctx, auth.ReportsTeam)
	if err != nil {
		return nil, err
	}
	d, err := s.store.Digest(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.mayManage(ctx, a, d)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, desk.E(desk.ENOTFOUND, "error.digest_not_found", id)
	}
	return d, nil
}

// Update changes a digest at ifVersion (0: any). A changed period starts
// from the last whole period of its new length.
func (s *Service) Update(ctx context.Context, id, ifVersion int64, in Input) (*Digest, error) {
	a, err := desk.Require(ctx, auth.ReportsTeam)
	if err != nil {
		return nil, err
	}
	d, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := desk.CheckVersion(ifVersion, d.Version); err != nil {
		return nil, err
	}
	was := d.Period
	if err := s.apply(ctx, a, d, in); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if d.Period != was {
		d.LastPeriod = LastComplete(d.Period, now).Label
	}
	d.UpdatedAt = now
	if err := s.store.SaveDigest(ctx, d, d.Version); err != nil {
		return nil, err
	}
	return d, nil
}

// Delete removes a digest at ifVersion (0: any).
func (s *Service) Delete(ctx context.Context, id, ifVersion int64) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	return s.store.DeleteDigest(ctx, id, ifVersion)
}

// List returns the digests the actor may manage.
func (s *Service) List(ctx context.Context) ([]*Digest, error) {
	a, err := desk.Require(ctx, auth.ReportsTeam)
	if err != nil {
		return nil, err
	}
	if a.Can(auth.ReportsReadAll) {
		return s.store.Digests(ctx, nil, nil)
	}
	list, err := s.store.Digests(ctx, append([]int64{-1}, a.TeamIDs...), &a.ID)
	if err != nil {
		return nil, err
	}
	out := []*Digest{}
	for _, d := range list {
		if ok, err := s.mayManage(ctx, a, d); err != nil {
			return nil, err
		} else if ok {
			out = append(out, d)
		}
	}
	return out, nil
}
