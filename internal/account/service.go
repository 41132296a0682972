package account

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
)

// Kinds of account events (ticket_id NULL). AtRisk tells the owner; its
// data: organization_id, name, owner_id, score, band.
const (
	Updated = "account.updated"
	AtRisk  = "account.at_risk"
)

// Store persists accounts and their health. Reads of one account return a
// desk ENOTFOUND error when the organization is missing; SaveAccount
// returns ESTALE when the organization's version moved.
type Store interface {
	event.Cursor
	Account(ctx context.Context, orgID int64) (*Account, error)
	Accounts(ctx context.Context, f Filter) ([]*Account, error)
	// AccountsByID returns the accounts of the organizations that exist.
	AccountsByID(ctx context.Context, ids []int64) (map[int64]*Account, error)
	// SaveAccount writes the account attributes at a.Version, bumps the
	// organization's version (into a.Version) and appends ev.
	SaveAccount(ctx context.Context, a *Account, ev event.Event) error
	Agent(ctx context.Context, id int64) (*people.Agent, error)
	HealthWeights(ctx context.Context) (Weights, error)
	SaveHealthWeights(ctx context.Context, w Weights) error
	HealthHistory(ctx context.Context, orgID int64, since string) ([]Point, error)
	// ApplyEvents runs one transaction: for each touched organization it
	// hands fn the account and its state (fresh when there is none), with
	// its open and urgent ticket counts moved by the tickets of its Touch
	// that changed (an organization a ticket left is touched too; a state
	// never counted is counted once in full), stores what
	// fn left, the events and the mail of its verdict (setting the mail's
	// ID), and moves the consumer's cursor from from (else another node
	// did: it writes nothing) to last.
	ApplyEvents(ctx context.Context, consumer string, from, last int64, now time.Time, touched []Touch,
		fn func(ctx context.Context, a *Account, s *State, evs []event.Event) (Verdict, error)) error
	// TicketOrganizations returns the organization of each ticket that has one.
	TicketOrganizations(ctx context.Context, ticketIDs []int64) (map[int64]int64, error)
}

// Verdict is what counting an account's events came to: its health, the
// events to append and a mail to queue with them (nil for none).
type Verdict struct {
	Health Health
	Events []event.Event
	Mail   *email.Outbound
}

// Touch names an organization a batch of events concerns, the events, and
// the tickets whose open or urgent standing they may have changed.
type Touch struct {
	OrganizationID int64
	Tickets        []int64
	Events         []event.Event
}

// Service is the accounts work.
type Service struct {
	store    Store
	checkins CheckinStore
	book     BookStore
	feedback FeedbackStore
	opps     OpportunityStore
	rules    RuleStore
	mail     Mail
	bus      *event.Bus
	clock    desk.Clock
	log      *slog.Logger
}

// New returns the service.
func New(s interface {
	Store
	CheckinStore
	BookStore
	FeedbackStore
	OpportunityStore
	RuleStore
}, bus *event.Bus, clock desk.Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: s, checkins: s, book: s, feedback: s, opps: s, rules: s, bus: bus, clock: clock, log: log}
}

// SendMail has the service mail the sales contact on a hand-off and an
// account's owner when it falls into the risk band. Without it no mail
// is written.
func (s *Service) SendMail(m Mail) { s.mail = m }

// Get returns an account with its health worked out for now.
func (s *Service) Get(ctx context.Context, orgID int64) (*Account, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	a, err := s.store.Account(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return a, s.fresh(ctx, a)
}

// fresh works an account's health out again for the time of reading
// (days since contact and to renewal move without events).
func (s *Service) fresh(ctx context.Context, as ...*Account) error {
	w, err := s.store.HealthWeights(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, a := range as {
		st := State{}
		if a.State != nil {
			st = *a.State
		}
		h := Score(st, a.RenewalDate, w, now)
		a.Health = &h
	}
	return nil
}

// ByID returns the accounts of the given organizations, keyed by id, with
// their health for now (for lists of organizations read elsewhere).
func (s *Service) ByID(ctx context.Context, ids []int64) (map[int64]*Account, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	m, err := s.store.AccountsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	list := make([]*Account, 0, len(m))
	for _, a := range m {
		list = append(list, a)
	}
	return m, s.fresh(ctx, list...)
}

// List returns accounts in organization id order by owner, band (as last
// stored) and renewal window.
func (s *Service) List(ctx context.Context, f Filter) ([]*Account, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	errs := desk.Fields{}
	if f.Band != "" && BandOf(bandFloor(f.Band)) != f.Band {
		errs["band"] = desk.M("account.invalid.band", f.Band)
	}
	for k, v := range map[string]string{"renewal_from": f.RenewalFrom, "renewal_to": f.RenewalTo} {
		if v != "" && !validDay(v) {
			errs[k] = desk.M("account.invalid.date", v)
		}
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	if f.Limit <= 0 || f.Limit > 201 {
		f.Limit = 50
	}
	list, err := s.store.Accounts(ctx, f)
	if err != nil {
		return nil, err
	}
	return list, s.fresh(ctx, list...)
}

// bandFloor is the least score of a band (-1 for no band).
func bandFloor(b string) int {
	switch b {
	case BandAtRisk:
		return 0
	case BandWatch:
		return 40
	case BandHealthy:
		return 70
	}
	return -1
}

// Update changes the account attributes of an organization. Without
// accounts:manage an agent changes only accounts they own or that have no
// owner, and may make only themselves the owner.
func (s *Service) Update(ctx context.Context, orgID int64, in Input) (*Account, error) {
	actor, err := desk.Require(ctx, auth.OrganizationsWrite)
	if err != nil {
		return nil, err
	}
	var a *Account
	err = desk.Optimistic(in.IfVersion, func() (err error) {
		if a, err = s.store.Account(ctx, orgID); err != nil {
			return err
		}
		if err := desk.CheckVersion(in.IfVersion, a.Version); err != nil {
			return err
		}
		if err := mayChange(actor, a); err != nil {
			return err
		}
		if !actor.Can(auth.AccountsManage) {
			if in.OwnerID != nil && *in.OwnerID != 0 && *in.OwnerID != actor.ID {
				return desk.E(desk.EFORBIDDEN, "account.error.owner_manage")
			}
		}
		errs := in.apply(a, s.clock.Now())
		if err := s.checkOwner(ctx, in.OwnerID, a, errs); err != nil {
			return err
		}
		if err := s.checkParent(ctx, in.ParentID, a, errs); err != nil {
			return err
		}
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		ev := event.New(Updated, 0, a)
		ev.ActorKind, ev.ActorID, ev.CreatedAt = actor.Kind, actor.ID, s.clock.Now()
		ev.Data = event.WithFields(ev.Data, event.Field{Name: "id", Value: a.OrganizationID})
		return s.store.SaveAccount(ctx, a, ev)
	})
	if err != nil {
		return nil, fmt.Errorf("update account %d: %w", orgID, err)
	}
	return a, s.fresh(ctx, a)
}

// checkOwner refuses an owner who is not an active account executive.
func (s *Service) checkOwner(ctx context.Context, owner *int64, a *Account, errs desk.Fields) error {
	if owner == nil {
		return nil
	}
	if *owner == 0 {
		a.OwnerID = nil
		return nil
	}
	ag, err := s.store.Agent(ctx, *owner)
	switch {
	case desk.ErrorCode(err) == desk.ENOTFOUND:
		errs["owner_id"] = desk.M("account.invalid.no_owner", *owner)
	case err != nil:
		return err
	case !ag.Active || ag.Role != auth.RoleAccountExecutive:
		errs["owner_id"] = desk.M("account.invalid.owner_not_ae", ag.Name)
	default:
		id := *owner
		a.OwnerID = &id
	}
	return nil
}

// checkParent refuses a parent that does not exist or that would make a
// circle (the account itself among the parent's ancestors).
func (s *Service) checkParent(ctx context.Context, parent *int64, a *Account, errs desk.Fields) error {
	if parent == nil {
		return nil
	}
	if *parent == 0 {
		a.ParentID = nil
		return nil
	}
	at := *parent
	for depth := 0; ; depth++ {
		if at == a.OrganizationID {
			errs["parent_id"] = desk.M("account.invalid.parent_circle")
			return nil
		}
		if depth >= maxParentDepth {
			errs["parent_id"] = desk.M("account.invalid.parent_deep", maxParentDepth)
			return nil
		}
		p, err := s.store.Account(ctx, at)
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			errs["parent_id"] = desk.M("account.invalid.no_parent", *parent)
			return nil
		}
		if err != nil {
			return err
		}
		if p.ParentID == nil {
			break
		}
		at = *p.ParentID
	}
	id := *parent
	a.ParentID = &id
	return nil
}

// Weights returns the health weights.
func (s *Service) Weights(ctx context.Context) (Weights, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	return s.store.HealthWeights(ctx)
}

// SetWeights changes the health weights: every component named, each from 0
// to 100, not all 0. Scores follow at each account's next event or read.
func (s *Service) SetWeights(ctx context.Context, w Weights) (Weights, error) {
	if _, err := desk.Require(ctx, auth.AccountsManage); err != nil {
		return nil, err
	}
	errs := desk.Fields{}
	var sum float64
	for k, v := range w {
		if !known(k) {
			errs[k] = desk.M("invalid.unknown_field")
		} else if v < 0 || v > 100 {
			errs[k] = desk.M("account.invalid.weight")
		}
		sum += v
	}
	if len(errs) == 0 && sum <= 0 {
		errs["weights"] = desk.M("account.invalid.weights_zero")
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	full := Weights{}
	for _, k := range ComponentNames {
		full[k] = w[k]
	}
	return full, s.store.SaveHealthWeights(ctx, full)
}

func known(name string) bool {
	for _, k := range ComponentNames {
		if k == name {
			return true
		}
	}
	return false
}

// History returns the account's daily scores since a date.
func (s *Service) History(ctx context.Context, orgID int64, days int) ([]Point, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	since := s.clock.Now().AddDate(0, 0, -days).Format(time.DateOnly)
	return s.store.HealthHistory(ctx, orgID, since)
}
