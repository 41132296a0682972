package account

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
)

// Events of opportunities (ticket_id NULL; data: opportunity_id,
// organization_id, stage, and more by kind). Handed-off is
// event.OpportunityHandedOff, which webhooks may subscribe to.
const (
	OpportunityCreated = "opportunity.created"
	OpportunityStaged  = "opportunity.stage_changed"
)

// Stages of an opportunity.
const (
	StageIdentified = "identified"
	StageQualified  = "qualified"
	StageHandedOff  = "handed_to_sales"
	StageWon        = "won"
	StageLost       = "lost"
)

// Stages lists the stages in the order a board shows them.
var Stages = []string{StageIdentified, StageQualified, StageHandedOff, StageWon, StageLost}

// nextStages are the moves an opportunity may make from each stage: on
// along identified → qualified → handed to sales → won, or out to lost
// from any open stage. Won and lost are final.
var nextStages = map[string][]string{
	StageIdentified: {StageQualified, StageLost},
	StageQualified:  {StageHandedOff, StageLost},
	StageHandedOff:  {StageWon, StageLost},
}

// Sources of an opportunity.
const (
	SourceFlagged   = "flagged"
	SourceSuggested = "suggested"
)

// Opportunity is an upsell or cross-sell chance of an account.
type Opportunity struct {
	ID               int64  `json:"id"`
	OrganizationID   int64  `json:"organization_id"`
	OrganizationName string `json:"organization_name"`
	OwnerID          *int64 `json:"owner_id"` // the account's owner
	Title            string `json:"title"`
	// Kind is what the chance is about: a rule's kind (seats, plan_limit,
	// new_team, feature_request) or what the agent flagged ("" for none).
	Kind     string `json:"kind"`
	Stage    string `json:"stage"`
	Value    *Money `json:"value"`
	Currency string `json:"currency"`
	Source   string `json:"source"`
	TicketID *int64 `json:"ticket_id"`
	// MessageID is the message whose words matched a rule (or that the
	// agent flagged); Evidence the phrase or tag matched.
	MessageID   *int64     `json:"message_id"`
	CheckinID   *int64     `json:"checkin_id"`
	RuleID      *int64     `json:"rule_id"`
	Evidence    string     `json:"evidence"`
	EvidenceKey string     `json:"-"`
	SalesEmail  string     `json:"sales_email"`
	Notes       string     `json:"notes"`
	AgentID     *int64     `json:"agent_id"`
	OutboundID  *int64     `json:"outbound_id"`
	HandedOffAt *time.Time `json:"handed_off_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Version     int64      `json:"version"`
}

// CurrentVersion is the version the API sends as the ETag.
func (o *Opportunity) CurrentVersion() int64 { return o.Version }

// OpportunityInput flags an opportunity, or changes one (nil fields stay).
type OpportunityInput struct {
	OrganizationID int64
	Title          *string
	Kind           *string
	Value          *float64
	ClearValue     bool
	Currency       *string
	TicketID       *int64
	MessageID      *int64
	CheckinID      *int64
	SalesEmail     *string
	Notes          *string
	// Stage moves the opportunity (a change only).
	Stage     *string
	IfVersion int64
}

// OpportunityFilter selects opportunities, newest first.
type OpportunityFilter struct {
	OrganizationID *int64
	OwnerID        *int64
	Stage          string
	BeforeID       int64
	Limit          int
}

// HandOff is what a hand-off to sales writes besides the opportunity: the
// mail to the sales contact (nil without a mailbox to send from) and the
// event.
type HandOff struct {
	Mail  *email.Outbound
	Event event.Event
}

// OpportunityStore persists opportunities.
type OpportunityStore interface {
	// CreateOpportunity inserts o and appends ev completed with its id.
	CreateOpportunity(ctx context.Context, o *Opportunity, ev event.Event) error
	// SaveOpportunity writes o at o.Version (ESTALE when it moved), bumps
	// it, and writes the hand-off's mail (setting o.OutboundID) and the
	// events, in one transaction.
	SaveOpportunity(ctx context.Context, o *Opportunity, h *HandOff, evs []event.Event) error
	Opportunity(ctx context.Context, id int64) (*Opportunity, error)
	Opportunities(ctx context.Context, f OpportunityFilter) ([]*Opportunity, error)
	// SystemMailbox is the mailbox the desk's own mail comes from (the
	// first active one; 0 when there is none).
	SystemMailbox(ctx context.Context) (int64, error)
	// AgentByEmail returns the agent with the address (ENOTFOUND for none).
	AgentByEmail(ctx context.Context, email string) (*people.Agent, error)
	AccountSetting(ctx context.Context, name string) (string, error)
	SaveAccountSetting(ctx context.Context, name, value string) error
}

// Mailer builds and hands over the desk's own mail (package email).
type Mailer interface {
	BuildSystemMail(ctx context.Context, m email.SystemMail) (*email.Outbound, error)
	Enqueue(ctx context.Context, outboundIDs ...int64) error
}

// Translate formats a message of the catalog in a language.
type Translate func(lang, key string, args ...any) string

// Mail names how the service sends its mail: the sender, the catalog, and
// the public address of the desk (for links).
type Mail struct {
	Sender    Mailer
	T         Translate
	PublicURL string
}

const (
	maxTitle = 200
	maxNotes = 5000
)

// FlagOpportunity records an opportunity an agent spotted, from a ticket
// (maybe one of its messages) or a check-in, on an account they may change.
func (s *Service) FlagOpportunity(ctx context.Context, in OpportunityInput) (*Opportunity, error) {
	actor, err := desk.Require(ctx, auth.OrganizationsWrite)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	o := &Opportunity{Stage: StageIdentified, Source: SourceFlagged, CreatedAt: now, UpdatedAt: now}
	errs := desk.Fields{}
	if in.Title == nil || strings.TrimSpace(*in.Title) == "" {
		errs["title"] = desk.M("invalid.required")
	}
	org, err := s.sourceOrg(ctx, in.OrganizationID, in.TicketID, in.MessageID, in.CheckinID, errs)
	if err != nil {
		return nil, err
	}
	in.Stage = nil
	in.apply(o, errs)
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	a, err := s.store.Account(ctx, org)
	if err != nil {
		return nil, err
	}
	if err := mayChange(actor, a); err != nil {
		return nil, err
	}
	o.OrganizationID, o.OrganizationName, o.OwnerID = a.OrganizationID, a.Name, a.OwnerID
	o.TicketID, o.MessageID, o.CheckinID = in.TicketID, in.MessageID, in.CheckinID
	if o.Currency == "" {
		o.Currency = a.Currency
	}
	if o.Value != nil && o.Currency == "" {
		return nil, desk.Invalid(desk.Fields{"currency": desk.M("account.invalid.currency_needed")})
	}
	if actor.Kind == desk.ActorAgent {
		id := actor.ID
		o.AgentID = &id
	}
	ev := s.opportunityEvent(OpportunityCreated, actor, o, now)
	if err := s.opps.CreateOpportunity(ctx, o, ev); err != nil {
		return nil, fmt.Errorf("flag opportunity: %w", err)
	}
	return o, nil
}

// apply checks and sets the fields that need no lookup.
func (in OpportunityInput) apply(o *Opportunity, errs desk.Fields) {
	var msg desk.Msg
	if in.Title != nil {
		if o.Title, msg = cleanText(*in.Title, maxTitle); msg.Key != "" {
			errs["title"] = msg
		} else if o.Title == "" {
			errs["title"] = desk.M("invalid.required")
		}
	}
	if in.Kind != nil {
		if o.Kind, msg = cleanText(*in.Kind, 50); msg.Key != "" {
			errs["kind"] = msg
		}
	}
	if in.ClearValue {
		o.Value = nil
	}
	if in.Value != nil {
		if m, ok := MoneyFrom(*in.Value); ok {
			o.Value = &m
		} else {
			errs["value"] = desk.M("account.invalid.amount")
		}
	}
	if in.Currency != nil {
		c := strings.TrimSpace(*in.Currency)
		if c != "" && !validCurrency(c) {
			errs["currency"] = desk.M("account.invalid.currency", c)
		}
		o.Currency = c
	}
	if in.SalesEmail != nil {
		e := strings.TrimSpace(*in.SalesEmail)
		if e != "" && !validEmail(e) {
			errs["sales_email"] = desk.M("invalid.email")
		}
		o.SalesEmail = e
	}
	if in.Notes != nil {
		if o.Notes, msg = cleanNotes(*in.Notes); msg.Key != "" {
			errs["notes"] = msg
		} else if len([]rune(o.Notes)) > maxNotes {
			errs["notes"] = desk.M("invalid.too_long")
		}
	}
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 254
}

// ChangeOpportunity changes an opportunity of an account the actor may
// change and moves its stage; a move to handed_to_sales mails the sales
// contact (the opportunity's, else the desk's default) in the same
// transaction and appends event.OpportunityHandedOff.
func (s *Service) ChangeOpportunity(ctx context.Context, id int64, in OpportunityInput) (*Opportunity, error) {
	actor, err := desk.Require(ctx, auth.OrganizationsWrite)
	if err != nil {
		return nil, err
	}
	var o *Opportunity
	var h *HandOff
	err = desk.Optimistic(in.IfVersion, func() (err error) {
		if o, err = s.opps.Opportunity(ctx, id); err != nil {
			return err
		}
		if err := desk.CheckVersion(in.IfVersion, o.Version); err != nil {
			return err
		}
		a, err := s.store.Account(ctx, o.OrganizationID)
		if err != nil {
			return err
		}
		if err := mayChange(actor, a); err != nil {
			return err
		}
		errs := desk.Fields{}
		in.apply(o, errs)
		if o.Value != nil && o.Currency == "" {
			errs["currency"] = desk.M("account.invalid.currency_needed")
		}
		now := s.clock.Now()
		var evs []event.Event
		h = nil
		if in.Stage != nil && *in.Stage != o.Stage {
			if msg := stageMove(o.Stage, *in.Stage); msg.Key != "" {
				errs["stage"] = msg
			}
		}
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		if in.Stage != nil && *in.Stage != o.Stage {
			from := o.Stage
			o.Stage = *in.Stage
			switch o.Stage {
			case StageHandedOff:
				if h, err = s.handOff(ctx, actor, o, now); err != nil {
					return err
				}
			case StageWon, StageLost:
				o.ClosedAt = &now
			}
			evs = append(evs, s.opportunityEvent(OpportunityStaged, actor, o, now, "from", from))
		}
		o.UpdatedAt = now
		return s.opps.SaveOpportunity(ctx, o, h, evs)
	})
	if err != nil {
		return nil, fmt.Errorf("change opportunity %d: %w", id, err)
	}
	if h != nil && h.Mail != nil && s.mail.Sender != nil {
		if err := s.mail.Sender.Enqueue(ctx, h.Mail.ID); err != nil {
			// The mail is stored: the send job's sweep sends it later.
			s.log.Warn("account: hand-off mail", "opportunity", o.ID, "err", err)
		}
	}
	return o, nil
}

// Moves are the stages the opportunity may move to next.
func (o *Opportunity) Moves() []string { return nextStages[o.Stage] }

// stageMove is the message refusing a move, or none.
func stageMove(from, to string) desk.Msg {
	if !contains(Stages, to) {
		return desk.M("invalid.one_of", strings.Join(Stages, ", "))
	}
	if !contains(nextStages[from], to) {
		return desk.M("account.invalid.stage_move", from, to)
	}
	return desk.Msg{}
}

// handOff readies the hand-off of o to sales: the sales contact's mail
// and the event. Without a sales contact it is refused.
func (s *Service) handOff(ctx context.Context, actor desk.Actor, o *Opportunity, now time.Time) (*HandOff, error) {
	def, err := s.salesContact(ctx)
	if err != nil {
		return nil, err
	}
	to := o.SalesEmail
	if to == "" {
		to = def.Email
	}
	if to == "" {
		return nil, desk.Invalid(desk.Fields{"sales_email": desk.M("account.invalid.no_sales_contact")})
	}
	o.SalesEmail, o.HandedOffAt = to, &now
	h := &HandOff{Event: s.opportunityEvent(event.OpportunityHandedOff, actor, o, now, "sales_email", to,
		"agent_id", actor.ID)}
	if s.mail.Sender == nil {
		return h, nil
	}
	mb, err := s.opps.SystemMailbox(ctx)
	if err != nil || mb == 0 {
		return h, err
	}
	lang, err := s.mailLanguage(ctx, to, def)
	if err != nil {
		return nil, err
	}
	t := s.mail.T
	var text strings.Builder
	text.WriteString(t(lang, "opportunity.mail_intro", actor.Name, o.OrganizationName) + "\n\n")
	text.WriteString(t(lang, "opportunity.mail_title", o.Title) + "\n")
	if o.Value != nil {
		text.WriteString(t(lang, "opportunity.mail_value", fmt.Sprintf("%.2f", o.Value.Major()), o.Currency) + "\n")
	}
	if o.Evidence != "" {
		text.WriteString(t(lang, "opportunity.mail_evidence", o.Evidence) + "\n")
	}
	if o.Notes != "" {
		text.WriteString("\n" + o.Notes + "\n")
	}
	if s.mail.PublicURL != "" {
		text.WriteString("\n" + s.mail.PublicURL + fmt.Sprintf("/opportunities/%d", o.ID) + "\n")
	}
	m, err := s.mail.Sender.BuildSystemMail(ctx, email.SystemMail{MailboxID: mb, To: to,
		Subject: t(lang, "opportunity.mail_subject", o.OrganizationName, o.Title), Text: text.String(),
		Purpose: PurposeHandOff, Key: fmt.Sprintf("opportunity:%d:handoff", o.ID)})
	if err != nil {
		return nil, err
	}
	h.Mail = m
	return h, nil
}

// Purposes of the mail the accounts work sends.
const (
	PurposeHandOff = "opportunity_handoff"
	PurposeAtRisk  = "account_at_risk"
)

// Settings of the desk's default sales contact: the address and the
// language of the hand-off mail sent to it.
const (
	settingSalesEmail    = "sales_email"
	settingSalesLanguage = "sales_language"
)

// SalesContact is the desk's default sales contact ("" for none) and the
// language its hand-off mail is written in (en or hi).
type SalesContact struct {
	Email    string `json:"sales_email"`
	Language string `json:"language"`
}

// SalesContact returns the desk's default sales contact.
func (s *Service) SalesContact(ctx context.Context) (SalesContact, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return SalesContact{}, err
	}
	return s.salesContact(ctx)
}

func (s *Service) salesContact(ctx context.Context) (SalesContact, error) {
	addr, err := s.opps.AccountSetting(ctx, settingSalesEmail)
	if err != nil {
		return SalesContact{}, err
	}
	lang, err := s.opps.AccountSetting(ctx, settingSalesLanguage)
	if lang == "" {
		lang = people.Languages[0]
	}
	return SalesContact{Email: addr, Language: lang}, err
}

// SetSalesContact sets the desk's default sales contact (an empty address
// removes it) and, when lang is given, the language of its mail.
func (s *Service) SetSalesContact(ctx context.Context, addr string, lang *string) (SalesContact, error) {
	if _, err := desk.Require(ctx, auth.AccountsManage); err != nil {
		return SalesContact{}, err
	}
	addr = strings.TrimSpace(addr)
	errs := desk.Fields{}
	if addr != "" && !validEmail(addr) {
		errs["sales_email"] = desk.M("invalid.email")
	}
	if lang != nil && !contains(people.Languages, *lang) {
		errs["language"] = desk.M("invalid.one_of", strings.Join(people.Languages, ", "))
	}
	if len(errs) > 0 {
		return SalesContact{}, desk.Invalid(errs)
	}
	if err := s.opps.SaveAccountSetting(ctx, settingSalesEmail, addr); err != nil {
		return SalesContact{}, err
	}
	if lang != nil {
		if err := s.opps.SaveAccountSetting(ctx, settingSalesLanguage, *lang); err != nil {
			return SalesContact{}, err
		}
	}
	return s.salesContact(ctx)
}

// mailLanguage is the language of the hand-off mail to an address: the
// language of the desk's agent who has it, else the default sales
// contact's (set with it), else the desk's first.
func (s *Service) mailLanguage(ctx context.Context, to string, def SalesContact) (string, error) {
	ag, err := s.opps.AgentByEmail(ctx, to)
	switch {
	case err == nil && ag.Active && contains(people.Languages, ag.Language):
		return ag.Language, nil
	case err != nil && desk.ErrorCode(err) != desk.ENOTFOUND:
		return "", err
	case strings.EqualFold(to, def.Email):
		return def.Language, nil
	}
	return people.Languages[0], nil
}

// opportunityEvent is an event about o; more are name, value pairs of data.
func (s *Service) opportunityEvent(kind string, actor desk.Actor, o *Opportunity, now time.Time, more ...any) event.Event {
	data := map[string]any{"organization_id": o.OrganizationID, "stage": o.Stage, "title": o.Title,
		"kind": o.Kind, "value": o.Value, "currency": o.Currency, "ticket_id": o.TicketID, "source": o.Source}
	for i := 0; i+1 < len(more); i += 2 {
		data[more[i].(string)] = more[i+1]
	}
	ev := event.New(kind, 0, data)
	if o.ID != 0 {
		ev.Data = event.WithFields(ev.Data, event.Field{Name: "opportunity_id", Value: o.ID})
	}
	ev.ActorKind, ev.ActorID, ev.CreatedAt = actor.Kind, actor.ID, now
	return ev
}

// GetOpportunity returns one opportunity.
func (s *Service) GetOpportunity(ctx context.Context, id int64) (*Opportunity, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	return s.opps.Opportunity(ctx, id)
}

// Opportunities lists opportunities newest first: of one account for
// anyone who reads organizations, across accounts of the actor's own book
// unless they read every book.
func (s *Service) Opportunities(ctx context.Context, f OpportunityFilter) ([]*Opportunity, error) {
	actor, err := desk.Require(ctx, auth.OrganizationsRead)
	if err != nil {
		return nil, err
	}
	if f.Stage != "" && !contains(Stages, f.Stage) {
		return nil, desk.Invalid(desk.Fields{"stage": desk.M("invalid.one_of", strings.Join(Stages, ", "))})
	}
	if err := s.bookFilter(actor, f.OrganizationID, &f.OwnerID); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 501 {
		f.Limit = 50
	}
	return s.opps.Opportunities(ctx, f)
}
