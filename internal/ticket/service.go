package ticket

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
)

// Limits of what a ticket may hold.
const (
	MaxSubject = 250
	MaxBody    = 256 << 10 // characters of a message body
	MaxTags    = 50
)

// Service is the one way tickets change.
type Service struct {
	store Store
	dir   Directory
	bus   *event.Bus
	clock desk.Clock
	sla   SLAKeeper

	// Statuses and field definitions are read on every write; they change
	// rarely, so they are cached briefly (and dropped on a local change).
	mu       sync.Mutex
	statuses []Status
	fields   []Field
	cachedAt time.Time
}

// NewService returns a ticket service.
func NewService(s Store, dir Directory, bus *event.Bus, clock desk.Clock) *Service {
	return &Service{store: s, dir: dir, bus: bus, clock: clock}
}

// SLAKeeper works out a ticket's SLA right after a change to it commits
// and puts it in t.SLA, so that the answer to the change (a create, a
// PATCH) carries it rather than the SLA consumer's later result. Package sla
// implements it; it cannot fail the change, which is committed already (a
// failure is its to log, and the consumer works the SLA out anyway).
type SLAKeeper interface {
	KeepSLA(ctx context.Context, t *Ticket)
}

// KeepSLA sets who works out a ticket's SLA after each change (nil: the SLA
// consumer alone, a moment later).
func (s *Service) KeepSLA(k SLAKeeper) { s.sla = k }

// settle completes a ticket just written with what derives from it, for
// the answer to a person's (or integration's) change. Changes the system
// makes — consumers assigning, escalating, running automations — answer
// nobody, so they leave the SLA to its consumer and keep their own locks
// short.
func (s *Service) settle(ctx context.Context, t *Ticket) {
	if a, _ := desk.ActorFrom(ctx); s.sla != nil && a.Kind != desk.ActorSystem {
		s.sla.KeepSLA(ctx, t)
	}
}

const cacheFor = 5 * time.Second

func (s *Service) definitions(ctx context.Context) ([]Status, []Field, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.statuses != nil && time.Since(s.cachedAt) < cacheFor {
		return s.statuses, s.fields, nil
	}
	st, err := s.store.Statuses(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load statuses: %w", err)
	}
	fs, err := s.store.Fields(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load fields: %w", err)
	}
	s.statuses, s.fields, s.cachedAt = st, fs, time.Now()
	return st, fs, nil
}

func (s *Service) forgetDefinitions() {
	s.mu.Lock()
	s.statuses, s.fields = nil, nil
	s.mu.Unlock()
}

func actor(ctx context.Context, permission string) (desk.Actor, error) {
	a, ok := desk.ActorFrom(ctx)
	if !ok {
		return desk.Actor{}, desk.E(desk.EUNAUTHORIZED, "error.sign_in")
	}
	if !a.Can(permission) {
		return a, desk.E(desk.EFORBIDDEN, "error.forbidden", permission)
	}
	return a, nil
}

// scope returns the visibility limit of the actor, nil for unlimited.
func scope(a desk.Actor) *Scope {
	if a.Kind == desk.ActorContact {
		return &Scope{RequesterID: a.ID, OrganizationID: a.OrganizationID}
	}
	if a.Kind != desk.ActorAgent || a.Can(auth.TicketsReadAll) {
		return nil
	}
	return AgentScope(a)
}

// AgentScope is the scope of an agent without tickets:read_all: an
// account executive's (tickets:read_accounts) adds the tickets of the
// accounts they own and leaves out unrouted tickets unless they are in a
// team.
func AgentScope(a desk.Actor) *Scope {
	s := &Scope{AgentID: a.ID, TeamIDs: a.TeamIDs}
	if a.Can(auth.TicketsReadAccounts) {
		s.Accounts, s.AccountIDs = true, a.AccountIDs
	}
	return s
}

// AudienceKeys names the ticket audiences (see Ticket.Audience) an actor may
// hear of on the event bus.
func AudienceKeys(a desk.Actor) []event.Key { return scope(a).Keys() }

// publish hands committed events to the bus, each addressed to who may see
// its ticket now.
func (s *Service) publish(evs []event.Event, tickets ...*Ticket) {
	for i := range evs {
		for _, t := range tickets {
			if t.ID == evs[i].TicketID {
				evs[i].To = t.Audience()
			}
		}
	}
	s.bus.Publish(evs...)
}

func stamp(a desk.Actor, now time.Time, evs []event.Event) []event.Event {
	for i := range evs {
		evs[i].ActorKind, evs[i].ActorID, evs[i].CreatedAt = a.Kind, a.ID, now
	}
	return evs
}

// NewTicket is what it takes to open a ticket.
type NewTicket struct {
	Subject      string
	Body         string
	BodyHTML     string
	Requester    Person // Email (required) and Name
	Status       string
	Priority     string
	Type         string
	Channel      string
	Tags         []string
	CustomFields map[string]any
	TeamID       *int64
	AssigneeID   *int64
	// Attachments of the first message: files already in the blob store.
	Attachments []Attachment
	// Within, when set, runs inside the transaction that writes the ticket,
	// after its first message, so that a channel's own records (which mail
	// this was, its Message-ID) commit with the ticket or not at all. Its
	// events are appended with the ticket's; an error rolls everything back.
	Within Within
}

// Within is a channel's part of a ticket change's transaction.
type Within func(ctx context.Context, tx Tx, t *Ticket, m *Message) ([]event.Event, error)

// Create opens a ticket with the requester's first message.
func (s *Service) Create(ctx context.Context, in NewTicket) (*Ticket, error) {
	a, err := actor(ctx, auth.TicketsCreate)
	if err != nil {
		return nil, err
	}
	statuses, fields, err := s.definitions(ctx)
	if err != nil {
		return nil, err
	}
	errs := desk.Fields{}
	subject, msg := CleanSubject(in.Subject)
	if msg.Key != "" {
		errs["subject"] = msg
	}
	body, html, msg := Body(in.Body, in.BodyHTML)
	if msg.Key != "" {
		errs["body"] = msg
	}
	email, err := people.NormalizeEmail(in.Requester.Email)
	if err != nil {
		errs["requester.email"] = desk.M("invalid.email")
	}
	name := strings.TrimSpace(in.Requester.Name)
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	if n, msg := people.CleanName(name, 200); msg.Key != "" {
		errs["requester.name"] = msg
	} else {
		name = n
	}
	t := &Ticket{
		Subject: subject, Priority: or(in.Priority, "normal"), Type: or(in.Type, "question"),
		Channel: or(in.Channel, "api"), Status: or(in.Status, CategoryNew),
	}
	checkEnum(errs, "priority", t.Priority, Priorities)
	checkEnum(errs, "type", t.Type, Types)
	checkEnum(errs, "channel", t.Channel, Channels)
	if st, ok := findStatus(statuses, t.Status); !ok || st.Category == CategoryClosed || st.Category == CategorySolved {
		errs["status"] = desk.M("invalid.open_status")
	} else {
		t.StatusCategory = st.Category
	}
	if t.Tags, msg = CleanTags(in.Tags); msg.Key != "" {
		errs["tags"] = msg
	}
	if t.Channel == ChannelPortal {
		// A customer fills in only what the portal shows them.
		fields = PortalFields(fields)
	}
	cf, err := ApplyFields(fields, nil, in.CustomFields, true)
	if err != nil {
		mergeFields(errs, err)
	}
	t.CustomFields = cf
	if err := s.checkRouting(ctx, errs, in.TeamID, in.AssigneeID); err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	t.TeamID, t.AssigneeID = nonZero(in.TeamID), nonZero(in.AssigneeID)
	if t.AssigneeID != nil && t.StatusCategory == CategoryNew {
		t.Status, t.StatusCategory = CategoryOpen, CategoryOpen
	}
	now := s.clock.Now()
	t.CreatedAt, t.UpdatedAt = now, now
	// The store completes ticket.created with requester_id and message_id.
	evs := []event.Event{event.New(event.TicketCreated, 0, map[string]any{
		"subject": t.Subject, "status": t.Status, "priority": t.Priority, "channel": t.Channel,
		"team_id": t.TeamID, "assignee_id": t.AssigneeID, "type": t.Type, "tags": t.Tags})}
	if t.AssigneeID != nil {
		evs = append(evs, event.New(event.Assigned, 0, map[string]any{"old": nil, "new": *t.AssigneeID}))
	}
	o := &Opening{Email: email, Name: name, Now: now, Ticket: t,
		Message: &Message{AuthorKind: desk.ActorContact, BodyText: body, BodyHTML: html, CreatedAt: now,
			Attachments: in.Attachments},
		Events: stamp(a, now, evs), ContactEvent: stamp(a, now, []event.Event{{Kind: event.ContactCreated}})[0]}
	var more []event.Event
	if in.Within == nil {
		err = s.store.OpenTicket(ctx, o)
	} else {
		// A channel's part shares the transaction, so the ticket is
		// written by the steps of one (Store.OpenTicket may share a
		// statement with other creates).
		err = s.store.InTx(ctx, func(tx Tx) error {
			if err := tx.OpenTicket(ctx, o); err != nil {
				return err
			}
			var err error
			if more, err = in.Within(ctx, tx, t, o.Message); err != nil {
				return err
			}
			more = stamp(a, now, more)
			return tx.AppendEvents(ctx, more)
		})
	}
	if err != nil {
		return nil, fmt.Errorf("create ticket: %w", err)
	}
	s.settle(ctx, t)
	s.publish(append(o.Events, more...), t)
	return t, nil
}

// Get returns a ticket the actor may see.
func (s *Service) Get(ctx context.Context, id int64) (*Ticket, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	t, err := s.store.Ticket(ctx, id)
	if err != nil {
		return nil, err
	}
	if !scope(a).Sees(t) {
		// A ticket outside one's teams does not exist for that agent.
		return nil, desk.E(desk.ENOTFOUND, "error.ticket_not_found", id)
	}
	return t, nil
}

// List returns a page of tickets the actor may see.
func (s *Service) List(ctx context.Context, f Filter) (*Page, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 25
	}
	if f.Limit > 100 {
		return nil, desk.Invalid(desk.Fields{"limit": desk.M("invalid.at_most", 100)})
	}
	f.Scope = scope(a)
	return s.store.Tickets(ctx, f)
}

// CountCap bounds what a view's count reads: a sidebar says "999+" past
// it instead of reading a million rows.
const CountCap = 1000

// Count counts the tickets of a filter the agent may see, at most atMost
// (CountCap when 0): the store stops reading at the bound.
func (s *Service) Count(ctx context.Context, f Filter, atMost int) (int, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return 0, err
	}
	if atMost <= 0 || atMost > CountCap {
		atMost = CountCap
	}
	f.Scope = scope(a)
	return s.store.CountTickets(ctx, f, atMost)
}

// Messages returns the thread of a ticket; internal notes only for agents.
func (s *Service) Messages(ctx context.Context, id int64) ([]*Message, error) {
	_, msgs, err := s.Thread(ctx, id)
	return msgs, err
}

// Thread returns a ticket the actor may see with its messages (without
// internal notes for a contact), reading the ticket once: what a page that
// shows the whole conversation needs.
func (s *Service) Thread(ctx context.Context, id int64) (*Ticket, []*Message, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	msgs, err := s.store.Messages(ctx, id, a.Kind != desk.ActorContact)
	if err != nil {
		return nil, nil, err
	}
	return t, msgs, nil
}

// Events returns the history of a ticket, oldest first.
func (s *Service) Events(ctx context.Context, id int64) ([]event.Event, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.store.TicketEvents(ctx, id)
}

// LoadCap bounds the open tickets OpenLoad counts per agent: a picker needs
// to tell a light load from a heavy one, not the exact size of a backlog.
const LoadCap = 100

// OpenLoad returns how many open tickets each active agent has assigned, at
// most LoadCap each.
func (s *Service) OpenLoad(ctx context.Context) (map[int64]int, error) {
	if _, err := actor(ctx, auth.TicketsRead); err != nil {
		return nil, err
	}
	return s.store.OpenLoad(ctx, LoadCap)
}

// Links returns the tickets related to a ticket.
func (s *Service) Links(ctx context.Context, id int64) ([]Link, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.store.Links(ctx, id)
}

// MessagesPage returns a page of a ticket's thread in id order.
func (s *Service) MessagesPage(ctx context.Context, id int64, p desk.Page) ([]*Message, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.store.MessagesPage(ctx, id, a.Kind != desk.ActorContact, p)
}

// EventsPage returns a page of a ticket's history in id order.
func (s *Service) EventsPage(ctx context.Context, id int64, p desk.Page) ([]event.Event, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.store.TicketEventsPage(ctx, id, p)
}

// LinksPage returns a page of the links from and to a ticket, after the
// link after (nil: from the start).
func (s *Service) LinksPage(ctx context.Context, id int64, after *Link, limit int) ([]Link, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.store.LinksPage(ctx, id, after, limit)
}

// Followers returns the agents following a ticket.
func (s *Service) Followers(ctx context.Context, id int64) ([]int64, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.store.Followers(ctx, id)
}

// change runs fn on the locked ticket inside a transaction, saves it, appends
// the events fn returns and publishes them after commit. Merged and closed
// tickets refuse every change, and so does a ticket whose version is not
// ifVersion (0 expects any): the row lock makes the comparison and the write
// one step, so of two writers expecting the same version one wins.
func (s *Service) change(ctx context.Context, a desk.Actor, id, ifVersion int64, fn func(tx Tx, t *Ticket, now time.Time) ([]event.Event, error)) (*Ticket, error) {
	now := s.clock.Now()
	var t *Ticket
	var evs []event.Event
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		if t, err = tx.TicketForUpdate(ctx, id); err != nil {
			return err
		}
		if !scope(a).Sees(t) {
			return desk.E(desk.ENOTFOUND, "error.ticket_not_found", id)
		}
		if err := desk.CheckVersion(ifVersion, t.Version); err != nil {
			return err
		}
		if err := changeable(t); err != nil {
			return err
		}
		if evs, err = fn(tx, t, now); err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		t.UpdatedAt = now
		if err := tx.SaveTicket(ctx, t); err != nil {
			return err
		}
		return tx.AppendEvents(ctx, stamp(a, now, evs))
	})
	if err != nil {
		return nil, fmt.Errorf("ticket %d: %w", id, err)
	}
	s.settle(ctx, t)
	s.publish(evs, t)
	return t, nil
}

// changeable refuses every change to a merged or closed ticket.
func changeable(t *Ticket) error {
	if t.MergedIntoID != nil {
		return desk.E(desk.EUNPROCESSABLE, "error.ticket_merged", t.ID, *t.MergedIntoID)
	}
	if t.StatusCategory == CategoryClosed {
		return desk.E(desk.EUNPROCESSABLE, "error.ticket_closed", t.ID)
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func nonZero(p *int64) *int64 {
	if p == nil || *p == 0 {
		return nil
	}
	return p
}

func checkEnum(errs desk.Fields, field, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		errs[field] = desk.M("invalid.one_of", strings.Join(allowed, ", "))
	}
}

func findStatus(statuses []Status, name string) (Status, bool) {
	for _, s := range statuses {
		if s.Name == name {
			return s, true
		}
	}
	return Status{}, false
}

func mergeFields(errs desk.Fields, err error) {
	for k, v := range desk.ErrorFields(err) {
		errs[k] = v
	}
}

// CleanSubject trims a subject and rejects invalid UTF-8, control
// characters, blank and over-long subjects.
func CleanSubject(s string) (string, desk.Msg) {
	return people.CleanName(s, MaxSubject)
}

// CleanTags lower-cases, trims and de-duplicates tags.
func CleanTags(tags []string) ([]string, desk.Msg) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || !utf8.ValidString(t) || utf8.RuneCountInString(t) > 64 || strings.ContainsAny(t, " ,\t\r\n") {
			return nil, desk.M("invalid.tags")
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, desk.M("invalid.tags_max", MaxTags)
	}
	slices.Sort(out)
	return out, desk.Msg{}
}

// checkRouting validates a team and an assignee given together: both must
// exist, the assignee must be active and, when a team is given, a member.
func (s *Service) checkRouting(ctx context.Context, errs desk.Fields, teamID, assigneeID *int64) error {
	var team *people.Team
	if teamID != nil && *teamID != 0 {
		t, err := s.dir.Team(ctx, *teamID)
		switch {
		case desk.ErrorCode(err) == desk.ENOTFOUND:
			errs["team_id"] = desk.M("invalid.no_team")
		case err != nil:
			return err
		default:
			team = t
		}
	}
	if assigneeID != nil && *assigneeID != 0 {
		ag, err := s.dir.Agent(ctx, *assigneeID)
		switch {
		case desk.ErrorCode(err) == desk.ENOTFOUND:
			errs["assignee_id"] = desk.M("invalid.no_agent")
		case err != nil:
			return err
		case !ag.Active:
			errs["assignee_id"] = desk.M("invalid.agent_inactive")
		case team != nil && !slices.Contains(team.MemberIDs, ag.ID):
			errs["assignee_id"] = desk.M("invalid.not_team_member")
		}
	}
	return nil
}

// ExportRow is a ticket as an export writes it. EachRow reuses one for
// every row: it is valid only during the call that hands it over.
type ExportRow struct {
	ID                                                       int64
	Subject, Status, StatusCategory, Priority, Type, Channel string
	RequesterEmail                                           string
	OrganizationID, TeamID, AssigneeID                       int64 // 0: none
	Tags                                                     []string
	EscalationLevel                                          int
	CreatedAt, UpdatedAt                                     time.Time
	FirstRespondedAt, SolvedAt                               time.Time // zero: not yet
}

// EachRow hands fn every ticket of the filter the actor may see, in id
// order, read by one cursor (no pages, no per-page extras): the export
// path, whose memory stays flat at any size. The filter's order, limit
// and cursor are ignored.
func (s *Service) EachRow(ctx context.Context, f Filter, fn func(*ExportRow) error) error {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return err
	}
	f.Scope, f.Limit, f.Cursor, f.Sort = scope(a), 0, "", ""
	return s.store.ExportTickets(ctx, f, fn)
}

// ExportCount counts every ticket of the filter the actor may see, without
// a bound: what an export announces before its rows (EachRow's filter).
func (s *Service) ExportCount(ctx context.Context, f Filter) (int, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return 0, err
	}
	f.Scope, f.Limit, f.Cursor, f.Sort = scope(a), 0, "", ""
	return s.store.CountTickets(ctx, f, math.MaxInt32)
}

// ExportPage is how many tickets Each reads at a time.
const ExportPage = 1000

// Each hands fn every ticket of the filter the actor may see, a page at a
// time in the filter's order (keyset, as List pages), so that an export of
// any size holds one page in memory. The filter's limit and cursor are
// ignored.
func (s *Service) Each(ctx context.Context, f Filter, fn func([]*Ticket) error) error {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return err
	}
	f.Scope, f.Limit, f.Cursor = scope(a), ExportPage, ""
	for {
		p, err := s.store.Tickets(ctx, f)
		if err != nil {
			return err
		}
		if err := fn(p.Tickets); err != nil {
			return err
		}
		if p.NextCursor == "" {
			return nil
		}
		f.Cursor = p.NextCursor
	}
}
