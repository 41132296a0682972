// Package accountreport owns the account report: for one account and one
// month or quarter, ticket volume, first response and resolution against
// SLA, satisfaction, top issues, escalations, open items and check-ins held
// — read from the report rollups and the account's own indexes, never by
// scanning the desk's tickets — and its scheduled mail to the account's
// owner (and, when chosen, a contact of the customer), queued by a periodic
// job once per period. It knows nothing of HTTP or SQL.
package accountreport

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
)

// Limits of the lists a report holds.
const (
	TopIssues = 5
	OpenItems = 20
)

// Account is what a report says of its account, and whom it is mailed to.
type Account struct {
	OrganizationID int64
	Name           string
	OwnerID        *int64
	OwnerName      string
	OwnerEmail     string
	OwnerLanguage  string
}

// Issue is a ticket type or tag and how many of the period's new tickets
// carried it.
type Issue struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// OpenItem is an open ticket of the account.
type OpenItem struct {
	TicketID  int64     `json:"ticket_id"`
	Subject   string    `json:"subject"`
	Status    string    `json:"status"`
	Priority  string    `json:"priority"`
	CreatedAt time.Time `json:"created_at"`
}

// CheckinHeld is a check-in held in the period.
type CheckinHeld struct {
	ID      int64     `json:"id"`
	HeldAt  time.Time `json:"held_at"`
	Outcome string    `json:"outcome"`
}

// Report is one account's report for one period.
type Report struct {
	OrganizationID int64  `json:"organization_id"`
	Name           string `json:"name"`
	OwnerID        *int64 `json:"owner_id"`
	OwnerName      string `json:"owner_name"`
	Period
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Ticket volume of the period.
	Created   int64 `json:"created"`
	Solved    int64 `json:"solved"`
	Reopened  int64 `json:"reopened"`
	Escalated int64 `json:"escalated"`
	// FirstResponse and Resolution: calendar seconds (median, 90th).
	FirstResponse report.Dist `json:"first_response"`
	Resolution    report.Dist `json:"resolution"`
	// SLA is compliance per target; SLACompliance over every target.
	SLA           []report.SLAFigure `json:"sla"`
	SLACompliance *float64           `json:"sla_compliance"`
	// CSAT is the share of good answers (4-5 of 5).
	CSAT        *float64 `json:"csat"`
	CSATAnswers int64    `json:"csat_answers"`
	TopTypes    []Issue  `json:"top_types"`
	TopTags     []Issue  `json:"top_tags"`
	// Open is the open tickets now; OpenItems the oldest of them.
	Open      int64         `json:"open"`
	OpenItems []OpenItem    `json:"open_items"`
	Checkins  []CheckinHeld `json:"checkins"`
	// Generated is when the report was read.
	Generated time.Time `json:"generated_at"`
}

// Schedule is when an account's report is mailed.
type Schedule struct {
	OrganizationID int64  `json:"organization_id"`
	Schedule       string `json:"schedule"`
	// ContactID, when set, is a contact of the account who gets it too.
	ContactID *int64 `json:"contact_id"`
	// LastPeriod is the last period mailed ("" before any).
	LastPeriod string    `json:"last_period"`
	Version    int64     `json:"version"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Contact is a customer's contact a report may go to.
type Contact struct {
	ID             int64
	OrganizationID *int64
	Name, Email    string
	Language       string
}

// Figures reads an organization's figures from the rollups (report.Service).
type Figures interface {
	OrganizationKPIs(ctx context.Context, orgID int64, from, to time.Time) (report.KPIs, error)
}

// Store reads what the rollups do not hold and keeps schedules. Single
// reads return a desk ENOTFOUND error.
type Store interface {
	ReportAccount(ctx context.Context, orgID int64) (*Account, error)
	// TopIssues counts the types and the tags of the account's tickets
	// created in [from, to), most first, at most limit of each.
	TopIssues(ctx context.Context, orgID int64, from, to time.Time, limit int) (types, tags []Issue, err error)
	// OpenItems returns the oldest open tickets of the account.
	OpenItems(ctx context.Context, orgID int64, limit int) ([]OpenItem, error)
	CheckinsHeld(ctx context.Context, orgID int64, from, to time.Time) ([]CheckinHeld, error)
	// ReportSchedule is the account's schedule (off, version 0, when none
	// was ever set).
	ReportSchedule(ctx context.Context, orgID int64) (*Schedule, error)
	// SaveReportSchedule writes s if the stored version is s.Version (0:
	// none stored yet) and bumps it; ESTALE otherwise.
	SaveReportSchedule(ctx context.Context, s *Schedule) error
	ReportContact(ctx context.Context, id int64) (*Contact, error)
	// DueReportSchedules returns schedules of kind whose last period is
	// before period, in organization order after afterOrg.
	DueReportSchedules(ctx context.Context, kind, period string, afterOrg int64, limit int) ([]Schedule, error)
	// MarkReportSent moves a schedule's last period from prev to period
	// and stores the mails, in one transaction; false (nothing written)
	// when another run moved it first.
	MarkReportSent(ctx context.Context, orgID int64, prev, period string, mails []*email.Outbound) (bool, error)
	// DefaultMailboxID is the desk's first active mailbox (0: none).
	DefaultMailboxID(ctx context.Context) (int64, error)
}

// Mailer builds and hands over the desk's own mail (package email).
type Mailer interface {
	BuildSystemMail(ctx context.Context, m email.SystemMail) (*email.Outbound, error)
	Enqueue(ctx context.Context, outboundIDs ...int64) error
}

// Translate formats a message of the catalog in a language.
type Translate func(lang, key string, args ...any) string

// Service answers account reports and mails them on schedule.
type Service struct {
	store     Store
	figures   Figures
	mail      Mailer
	clock     desk.Clock
	log       *slog.Logger
	t         Translate
	publicURL string
}

// New returns the service; publicURL (no trailing slash) starts the links
// in the mail.
func New(s Store, f Figures, m Mailer, clock desk.Clock, log *slog.Logger, t Translate, publicURL string) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: s, figures: f, mail: m, clock: clock, log: log, t: t, publicURL: publicURL}
}

// Get returns an account's report for a period.
func (s *Service) Get(ctx context.Context, orgID int64, p Period) (*Report, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	a, err := s.store.ReportAccount(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return s.build(ctx, a, p)
}

func (s *Service) build(ctx context.Context, a *Account, p Period) (*Report, error) {
	k, err := s.figures.OrganizationKPIs(ctx, a.OrganizationID, p.Start, p.End)
	if err != nil {
		return nil, fmt.Errorf("account report %d: %w", a.OrganizationID, err)
	}
	r := &Report{OrganizationID: a.OrganizationID, Name: a.Name, OwnerID: a.OwnerID, OwnerName: a.OwnerName,
		Period: p, From: p.Start, To: p.End, Generated: s.clock.Now(),
		Created: k.Created, Solved: k.Solved, Reopened: k.Reopened, Escalated: k.Escalated,
		FirstResponse: k.FirstResponse.Calendar, Resolution: k.Resolution.Calendar,
		SLA: k.SLA, CSAT: k.CSAT, CSATAnswers: k.CSATAnswers, Open: k.Backlog}
	var met, all int64
	for _, f := range k.SLA {
		met, all = met+f.Met, all+f.Met+f.Breached
	}
	if all > 0 {
		v := float64(met) / float64(all)
		r.SLACompliance = &v
	}
	if r.TopTypes, r.TopTags, err = s.store.TopIssues(ctx, a.OrganizationID, p.Start, p.End, TopIssues); err != nil {
		return nil, err
	}
	if r.OpenItems, err = s.store.OpenItems(ctx, a.OrganizationID, OpenItems); err != nil {
		return nil, err
	}
	if r.Checkins, err = s.store.CheckinsHeld(ctx, a.OrganizationID, p.Start, p.End); err != nil {
		return nil, err
	}
	return r, nil
}

// GetSchedule returns an account's report schedule.
func (s *Service) GetSchedule(ctx context.Context, orgID int64) (*Schedule, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	if _, err := s.store.ReportAccount(ctx, orgID); err != nil {
		return nil, err
	}
	return s.store.ReportSchedule(ctx, orgID)
}

// ScheduleInput changes a schedule at a version (If-Match).
type ScheduleInput struct {
	Schedule  string
	ContactID *int64 // nil or 0: the owner only
	IfVersion int64
}

// SetSchedule changes an account's report schedule. Without
// accounts:manage an agent changes only the accounts they own or that have
// no owner. The contact must belong to the account and have an address.
func (s *Service) SetSchedule(ctx context.Context, orgID int64, in ScheduleInput) (*Schedule, error) {
	actor, err := desk.Require(ctx, auth.OrganizationsWrite)
	if err != nil {
		return nil, err
	}
	a, err := s.store.ReportAccount(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !actor.Can(auth.AccountsManage) && a.OwnerID != nil && *a.OwnerID != actor.ID {
		return nil, desk.E(desk.EFORBIDDEN, "account.error.not_owner", orgID)
	}
	sc, err := s.store.ReportSchedule(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if err := desk.CheckVersion(in.IfVersion, sc.Version); err != nil {
		return nil, err
	}
	errs := desk.Fields{}
	if !slices.Contains(Schedules, in.Schedule) {
		errs["schedule"] = desk.M("acctreport.invalid.schedule")
	}
	sc.ContactID = nil
	if in.ContactID != nil && *in.ContactID != 0 {
		c, err := s.store.ReportContact(ctx, *in.ContactID)
		switch {
		case desk.ErrorCode(err) == desk.ENOTFOUND:
			errs["contact_id"] = desk.M("acctreport.invalid.contact")
		case err != nil:
			return nil, err
		case c.OrganizationID == nil || *c.OrganizationID != orgID || c.Email == "":
			errs["contact_id"] = desk.M("acctreport.invalid.contact")
		default:
			id := c.ID
			sc.ContactID = &id
		}
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	if sc.Schedule != in.Schedule && in.Schedule != Off {
		// A new schedule starts with the next whole period, not a mail
		// for one long past.
		sc.LastPeriod = LastComplete(in.Schedule, s.clock.Now()).Label
	}
	sc.Schedule, sc.UpdatedAt = in.Schedule, s.clock.Now()
	if err := s.store.SaveReportSchedule(ctx, sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// CurrentVersion is the schedule's version, for its ETag.
func (s *Schedule) CurrentVersion() int64 { return s.Version }
