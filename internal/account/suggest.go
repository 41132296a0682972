package account

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// SuggestConsumer names the durable consumer that suggests opportunities
// from what customers write and how tickets are tagged.
const SuggestConsumer = "account-opportunities"

// OpportunitySuggested is the event of an opportunity a rule suggested.
const OpportunitySuggested = "opportunity.suggested"

// Kinds of rules (and of the opportunities they suggest).
var RuleKinds = []string{"seats", "plan_limit", "new_team", "feature_request", "other"}

// Rule suggests an opportunity when a customer's words on an account's
// ticket hold one of its phrases (any language; case does not matter) or
// the ticket gets one of its tags.
type Rule struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	Keywords  []string  `json:"keywords"`
	Tags      []string  `json:"tags"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// CurrentVersion is the version the API sends as the ETag.
func (r *Rule) CurrentVersion() int64 { return r.Version }

// RuleInput creates or changes a rule (nil fields stay).
type RuleInput struct {
	Name      *string
	Kind      *string
	Keywords  *[]string
	Tags      *[]string
	Active    *bool
	IfVersion int64
}

// SaidText is a customer's message on a ticket, for the rules.
type SaidText struct {
	MessageID      int64
	TicketID       int64
	OrganizationID int64
	Body           string
}

// RuleStore persists rules and the suggestions they make.
type RuleStore interface {
	OpportunityRules(ctx context.Context, activeOnly bool) ([]*Rule, error)
	OpportunityRule(ctx context.Context, id int64) (*Rule, error)
	CreateOpportunityRule(ctx context.Context, r *Rule) error
	// SaveOpportunityRule writes r at r.Version (ESTALE when it moved) and bumps it.
	SaveOpportunityRule(ctx context.Context, r *Rule) error
	DeleteOpportunityRule(ctx context.Context, id int64) error
	// SaidTexts returns the messages of ids that are on a ticket of an
	// account, by id.
	SaidTexts(ctx context.Context, ids []int64) (map[int64]SaidText, error)
	// ApplySuggestions inserts the suggestions whose evidence key is new,
	// appends ev of each one inserted, and moves the consumer's cursor from
	// from (else another node did: it writes nothing) to last, in one
	// transaction.
	ApplySuggestions(ctx context.Context, consumer string, from, last int64, opps []*Opportunity,
		ev func(*Opportunity) event.Event) error
}

// Rules lists the opportunity rules.
func (s *Service) Rules(ctx context.Context) ([]*Rule, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	return s.rules.OpportunityRules(ctx, false)
}

// GetRule returns one rule.
func (s *Service) GetRule(ctx context.Context, id int64) (*Rule, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	return s.rules.OpportunityRule(ctx, id)
}

// CreateRule adds a rule (accounts:manage).
func (s *Service) CreateRule(ctx context.Context, in RuleInput) (*Rule, error) {
	if _, err := desk.Require(ctx, auth.AccountsManage); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	r := &Rule{Active: true, CreatedAt: now, UpdatedAt: now, Keywords: []string{}, Tags: []string{}}
	errs := desk.Fields{}
	if in.Name == nil {
		errs["name"] = desk.M("invalid.required")
	}
	if in.Kind == nil {
		errs["kind"] = desk.M("invalid.required")
	}
	in.apply(r, errs)
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	return r, s.rules.CreateOpportunityRule(ctx, r)
}

// ChangeRule changes a rule (accounts:manage).
func (s *Service) ChangeRule(ctx context.Context, id int64, in RuleInput) (*Rule, error) {
	if _, err := desk.Require(ctx, auth.AccountsManage); err != nil {
		return nil, err
	}
	var r *Rule
	err := desk.Optimistic(in.IfVersion, func() (err error) {
		if r, err = s.rules.OpportunityRule(ctx, id); err != nil {
			return err
		}
		if err := desk.CheckVersion(in.IfVersion, r.Version); err != nil {
			return err
		}
		errs := desk.Fields{}
		in.apply(r, errs)
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		r.UpdatedAt = s.clock.Now()
		return s.rules.SaveOpportunityRule(ctx, r)
	})
	return r, err
}

// DeleteRule removes a rule; the opportunities it suggested stay.
func (s *Service) DeleteRule(ctx context.Context, id int64) error {
	if _, err := desk.Require(ctx, auth.AccountsManage); err != nil {
		return err
	}
	return s.rules.DeleteOpportunityRule(ctx, id)
}

func (in RuleInput) apply(r *Rule, errs desk.Fields) {
	var msg desk.Msg
	if in.Name != nil {
		if r.Name, msg = cleanText(*in.Name, 100); msg.Key != "" {
			errs["name"] = msg
		} else if r.Name == "" {
			errs["name"] = desk.M("invalid.required")
		}
	}
	if in.Kind != nil {
		r.Kind = strings.TrimSpace(*in.Kind)
		if !contains(RuleKinds, r.Kind) {
			errs["kind"] = desk.M("invalid.one_of", strings.Join(RuleKinds, ", "))
		}
	}
	if in.Keywords != nil {
		if r.Keywords, msg = cleanList(*in.Keywords, 100, 100); msg.Key != "" {
			errs["keywords"] = msg
		}
		for i, k := range r.Keywords {
			if utf8.RuneCountInString(k) < 3 {
				errs["keywords"] = desk.M("account.invalid.keyword_short", k)
			}
			r.Keywords[i] = strings.ToLower(k)
		}
	}
	if in.Tags != nil {
		if r.Tags, msg = cleanList(*in.Tags, 50, 50); msg.Key != "" {
			errs["tags"] = msg
		}
		for i, t := range r.Tags {
			r.Tags[i] = strings.ToLower(t)
		}
	}
	if in.Active != nil {
		r.Active = *in.Active
	}
	if len(errs) == 0 && len(r.Keywords) == 0 && len(r.Tags) == 0 {
		errs["keywords"] = desk.M("account.invalid.rule_empty")
	}
}

// MatchText returns the first of the rule's phrases in text (compared in
// lower case, so "More Seats" matches "more seats"; Hindi has no case) and
// the words around it.
func (r *Rule) MatchText(text string) (phrase, excerpt string, ok bool) {
	low := strings.ToLower(text)
	for _, k := range r.Keywords {
		if i := strings.Index(low, k); i >= 0 {
			return k, around(low, i, len(k)), true
		}
	}
	return "", "", false
}

// MatchTags returns the first of the rule's tags among tags.
func (r *Rule) MatchTags(tags []string) (string, bool) {
	for _, t := range tags {
		if slices.Contains(r.Tags, strings.ToLower(t)) {
			return t, true
		}
	}
	return "", false
}

// around is up to 60 bytes either side of text[i:i+n], cut at rune
// boundaries, on one line.
func around(text string, i, n int) string {
	from, to := max(0, i-60), min(len(text), i+n+60)
	for from > 0 && !utf8.RuneStart(text[from]) {
		from--
	}
	for to < len(text) && !utf8.RuneStart(text[to]) {
		to++
	}
	s := strings.Join(strings.Fields(text[from:to]), " ")
	if from > 0 {
		s = "…" + s
	}
	if to < len(text) {
		s += "…"
	}
	return s
}

// RunSuggestions suggests opportunities from events until ctx ends. Any
// node may run it: a batch's suggestions and the cursor's move commit
// together, and a suggestion's evidence key is unique, so none is made
// twice.
func (s *Service) RunSuggestions(ctx context.Context) {
	event.Loop(ctx, s.bus, SuggestConsumer, 200*time.Millisecond, 2*time.Second, s.CatchupSuggestions, s.log)
}

// CatchupSuggestions handles every event after the cursor, a batch at a time.
func (s *Service) CatchupSuggestions(ctx context.Context) error {
	after, err := s.store.EventCursor(ctx, SuggestConsumer)
	if err != nil {
		return err
	}
	for {
		evs, err := s.store.EventsAfter(ctx, after, 500)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := s.suggest(ctx, after, evs); err != nil {
			return err
		}
		after = evs[len(evs)-1].ID
	}
}

// heard is something the rules look at: a customer's words (a subject or
// a message) or tags newly on a ticket.
type heard struct {
	ticketID, messageID int64
	text                string
	tags                []string
}

// suggest matches a batch's customer words and new tags against the
// active rules: one suggestion per rule and ticket at most, whose evidence
// is the first message (or subject, or tag) that matched.
func (s *Service) suggest(ctx context.Context, from int64, evs []event.Event) error {
	last := evs[len(evs)-1].ID
	rules, err := s.rules.OpportunityRules(ctx, true)
	if err != nil {
		return err
	}
	var said []heard
	var msgIDs, ticketIDs []int64
	if len(rules) > 0 {
		said, msgIDs, ticketIDs = hear(evs)
	}
	texts, err := s.rules.SaidTexts(ctx, msgIDs)
	if err != nil {
		return err
	}
	orgOf, err := s.store.TicketOrganizations(ctx, ticketIDs)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	var opps []*Opportunity
	seen := map[string]bool{}
	for _, h := range said {
		if h.messageID != 0 {
			t, ok := texts[h.messageID]
			if !ok {
				continue
			}
			h.ticketID, h.text = t.TicketID, t.Body
		}
		org := orgOf[h.ticketID]
		if org == 0 {
			continue
		}
		for _, r := range rules {
			var phrase, excerpt string
			var ok bool
			if h.tags != nil {
				var tag string
				if tag, ok = r.MatchTags(h.tags); ok {
					phrase = "#" + tag
				}
			} else {
				phrase, excerpt, ok = r.MatchText(h.text)
			}
			key := fmt.Sprintf("rule:%d:ticket:%d", r.ID, h.ticketID)
			if !ok || seen[key] {
				continue
			}
			seen[key] = true
			rid, tid := r.ID, h.ticketID
			o := &Opportunity{OrganizationID: org, Title: r.Name, Kind: r.Kind, Stage: StageIdentified,
				Source: SourceSuggested, TicketID: &tid, RuleID: &rid, Evidence: phrase, EvidenceKey: key,
				Notes: excerpt, CreatedAt: now, UpdatedAt: now}
			if h.messageID != 0 {
				mid := h.messageID
				o.MessageID = &mid
			}
			opps = append(opps, o)
		}
	}
	return s.rules.ApplySuggestions(ctx, SuggestConsumer, from, last, opps, func(o *Opportunity) event.Event {
		return s.opportunityEvent(OpportunitySuggested, desk.System, o, now, "rule_id", o.RuleID, "evidence", o.Evidence,
			"message_id", o.MessageID)
	})
}

// hear picks what the rules look at from events: a new ticket's subject
// and first message, customers' later messages (not automatic replies)
// and tags added to a ticket.
func hear(evs []event.Event) (said []heard, msgIDs, ticketIDs []int64) {
	addTicket := func(id int64) {
		if id != 0 && !slices.Contains(ticketIDs, id) {
			ticketIDs = append(ticketIDs, id)
		}
	}
	for _, e := range evs {
		switch e.Kind {
		case event.TicketCreated:
			var d struct {
				Subject   string   `json:"subject"`
				Tags      []string `json:"tags"`
				MessageID int64    `json:"message_id"`
			}
			_ = json.Unmarshal(e.Data, &d)
			said = append(said, heard{ticketID: e.TicketID, text: d.Subject})
			if d.MessageID != 0 {
				said = append(said, heard{messageID: d.MessageID})
				msgIDs = append(msgIDs, d.MessageID)
			}
			if len(d.Tags) > 0 {
				said = append(said, heard{ticketID: e.TicketID, tags: d.Tags})
			}
			addTicket(e.TicketID)
		case event.MessageAdded:
			var d struct {
				MessageID  int64  `json:"message_id"`
				Internal   bool   `json:"internal"`
				AuthorKind string `json:"author_kind"`
				Automatic  bool   `json:"automatic"`
			}
			_ = json.Unmarshal(e.Data, &d)
			if d.Internal || d.Automatic || d.AuthorKind != desk.ActorContact || d.MessageID == 0 {
				continue
			}
			said = append(said, heard{messageID: d.MessageID})
			msgIDs = append(msgIDs, d.MessageID)
			addTicket(e.TicketID)
		case event.FieldChanged:
			var c struct {
				Field string   `json:"field"`
				Old   []string `json:"old"`
				New   []string `json:"new"`
			}
			if json.Unmarshal(e.Data, &c) != nil || c.Field != "tags" {
				continue
			}
			var added []string
			for _, t := range c.New {
				if !slices.Contains(c.Old, t) {
					added = append(added, t)
				}
			}
			if len(added) > 0 {
				said = append(said, heard{ticketID: e.TicketID, tags: added})
				addTicket(e.TicketID)
			}
		}
	}
	return said, msgIDs, ticketIDs
}
