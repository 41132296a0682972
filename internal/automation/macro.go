package automation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Macro scopes: who may see and apply a macro.
const (
	ScopePersonal = "personal" // its owner
	ScopeTeam     = "team"     // the members of its team
	ScopeShared   = "shared"   // every agent
)

// Scopes lists the scopes in the order pages show them.
var Scopes = []string{ScopePersonal, ScopeTeam, ScopeShared}

// Macro is a named bundle of actions and a reply an agent applies to a
// ticket by hand.
type Macro struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Scope   string `json:"scope"`
	OwnerID *int64 `json:"owner_id"`
	TeamID  *int64 `json:"team_id"`
	// Reply is a template sent as a public reply (or a note when Internal)
	// after the actions; empty sends nothing.
	Reply      string    `json:"reply"`
	Internal   bool      `json:"internal"`
	Actions    []Action  `json:"actions"`
	UsageCount int64     `json:"usage_count"`
	Version    int64     `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// MacroStore keeps macros.
type MacroStore interface {
	Macros(ctx context.Context) ([]*Macro, error) // by name, then id
	Macro(ctx context.Context, id int64) (*Macro, error)
	CreateMacro(ctx context.Context, m *Macro) error
	UpdateMacro(ctx context.Context, m *Macro) error
	DeleteMacro(ctx context.Context, id, ifVersion int64) error
	CountMacroUse(ctx context.Context, id int64) error
}

// visible reports whether an agent may see and apply a macro.
func visible(a desk.Actor, m *Macro) bool {
	switch m.Scope {
	case ScopeShared:
		return true
	case ScopeTeam:
		return m.TeamID != nil && (a.InTeam(*m.TeamID) || a.Kind == desk.ActorSystem || a.Can(auth.MacrosWrite))
	}
	return m.OwnerID != nil && a.Kind == desk.ActorAgent && *m.OwnerID == a.ID
}

// editable reports whether an agent may change a macro: their own
// personal ones, and team and shared ones with macros:write.
func editable(a desk.Actor, m *Macro) bool {
	if m.Scope == ScopePersonal {
		return m.OwnerID != nil && (*m.OwnerID == a.ID && a.Kind == desk.ActorAgent || a.Kind == desk.ActorSystem)
	}
	return a.Can(auth.MacrosWrite)
}

func macroNotFound(id int64) error { return desk.E(desk.ENOTFOUND, "macro.not_found", id) }

// Macros lists the macros the agent may apply, matching q in the name.
func (s *Service) Macros(ctx context.Context, q string) ([]*Macro, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	all, err := s.store.Macros(ctx)
	if err != nil {
		return nil, err
	}
	q = strings.ToLower(strings.TrimSpace(q))
	out := []*Macro{}
	for _, m := range all {
		if visible(a, m) && (q == "" || strings.Contains(strings.ToLower(m.Name), q)) {
			out = append(out, m)
		}
	}
	return out, nil
}

// Macro returns a macro the agent may see.
func (s *Service) Macro(ctx context.Context, id int64) (*Macro, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	m, err := s.store.Macro(ctx, id)
	if err != nil {
		return nil, err
	}
	if !visible(a, m) {
		return nil, macroNotFound(id)
	}
	return m, nil
}

func (s *Service) checkMacro(ctx context.Context, a desk.Actor, m *Macro) error {
	schema, err := s.Schema(ctx)
	if err != nil {
		return err
	}
	errs := desk.Fields{}
	if name, msg := people.CleanName(m.Name, 200); msg.Key != "" {
		errs["name"] = msg
	} else {
		m.Name = name
	}
	switch m.Scope {
	case ScopePersonal:
		m.TeamID = nil
	case ScopeTeam:
		m.OwnerID = nil
		if m.TeamID == nil {
			errs["team_id"] = desk.M("invalid.required")
		} else if _, err := s.store.Team(ctx, *m.TeamID); desk.ErrorCode(err) == desk.ENOTFOUND {
			errs["team_id"] = desk.M("invalid.no_team")
		} else if err != nil {
			return err
		}
	case ScopeShared:
		m.OwnerID, m.TeamID = nil, nil
	default:
		errs["scope"] = desk.M("invalid.one_of", strings.Join(Scopes, ", "))
	}
	if m.Reply != "" {
		if _, msg := ParseTemplate(m.Reply, schema); msg.Key != "" {
			errs["reply"] = msg
		}
	}
	checkActions(errs, m.Actions, schema, true)
	if m.Reply == "" && len(m.Actions) == 0 {
		errs["reply"] = desk.M("macro.empty")
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	if !editable(a, m) {
		return desk.E(desk.EFORBIDDEN, "error.forbidden", auth.MacrosWrite)
	}
	return nil
}

// CreateMacro saves a macro; a personal one belongs to the acting agent.
func (s *Service) CreateMacro(ctx context.Context, m Macro) (*Macro, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	if m.Scope == ScopePersonal {
		m.OwnerID = &a.ID
	}
	if err := s.checkMacro(ctx, a, &m); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	m.CreatedAt, m.UpdatedAt, m.UsageCount = now, now, 0
	if err := s.store.CreateMacro(ctx, &m); err != nil {
		return nil, fmt.Errorf("create macro: %w", err)
	}
	return &m, nil
}

// UpdateMacro changes a macro by fn; its owner stays.
func (s *Service) UpdateMacro(ctx context.Context, id, ifVersion int64, fn func(m *Macro)) (*Macro, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	var out *Macro
	err = desk.Optimistic(ifVersion, func() error {
		m, err := s.Macro(ctx, id)
		if err != nil {
			return err
		}
		if !editable(a, m) {
			return desk.E(desk.EFORBIDDEN, "error.forbidden", auth.MacrosWrite)
		}
		if err := desk.CheckVersion(ifVersion, m.Version); err != nil {
			return err
		}
		owner := m.OwnerID
		fn(m)
		m.ID = id
		if m.Scope == ScopePersonal {
			if owner == nil {
				owner = &a.ID
			}
			m.OwnerID = owner
		}
		if err := s.checkMacro(ctx, a, m); err != nil {
			return err
		}
		m.UpdatedAt = s.clock.Now()
		out = m
		return s.store.UpdateMacro(ctx, m)
	})
	return out, err
}

// DeleteMacro removes a macro.
func (s *Service) DeleteMacro(ctx context.Context, id, ifVersion int64) error {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return err
	}
	m, err := s.Macro(ctx, id)
	if err != nil {
		return err
	}
	if !editable(a, m) {
		return desk.E(desk.EFORBIDDEN, "error.forbidden", auth.MacrosWrite)
	}
	return s.store.DeleteMacro(ctx, id, ifVersion)
}

// Preview is what applying a macro to a ticket would do.
type Preview struct {
	MacroID  int64    `json:"macro_id"`
	TicketID int64    `json:"ticket_id"`
	Reply    string   `json:"reply"`
	Internal bool     `json:"internal"`
	Changes  []string `json:"changes"`
}

// PreviewMacro renders a macro for a ticket without changing anything.
func (s *Service) PreviewMacro(ctx context.Context, id, ticketID int64) (*Preview, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	m, err := s.Macro(ctx, id)
	if err != nil {
		return nil, err
	}
	t, err := s.tickets.Get(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	p := &Preview{MacroID: m.ID, TicketID: t.ID, Internal: m.Internal, Changes: []string{}}
	if p.Reply, err = m.render(t, a); err != nil {
		return nil, err
	}
	for _, ac := range m.Actions {
		p.Changes = append(p.Changes, ac.describe())
	}
	return p, nil
}

// describe says in a line what an action does (for previews).
func (a Action) describe() string {
	switch a.Type {
	case ActSet:
		return fmt.Sprintf("%s → %v", a.Field, a.Value)
	case ActAssign:
		parts := []string{}
		if a.TeamID != nil {
			parts = append(parts, fmt.Sprintf("team #%d", *a.TeamID))
		}
		if a.AgentID != nil {
			parts = append(parts, fmt.Sprintf("agent #%d", *a.AgentID))
		}
		return "assign → " + strings.Join(parts, ", ")
	case ActAddTags:
		return "+ " + strings.Join(a.Tags, " ")
	case ActRemoveTags:
		return "− " + strings.Join(a.Tags, " ")
	case ActNote:
		return "note"
	}
	return a.Type
}

// ApplyMacro applies a macro to a ticket as the acting agent, with the
// agent's own permissions: the actions in order, then the reply. The
// ticket must still be at ifVersion (0: any) when the first change lands.
func (s *Service) ApplyMacro(ctx context.Context, id, ticketID, ifVersion int64) (*ticket.Ticket, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	m, err := s.Macro(ctx, id)
	if err != nil {
		return nil, err
	}
	t, err := s.tickets.Get(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	if err := desk.CheckVersion(ifVersion, t.Version); err != nil {
		return nil, err
	}
	data := Data{Ticket: t, Agent: a}
	for _, ac := range m.Actions {
		if err := s.apply(ctx, ac, t, 0, data); err != nil {
			return nil, err
		}
		if t, err = s.tickets.Get(ctx, ticketID); err != nil {
			return nil, err
		}
	}
	if m.Reply != "" {
		reply, err := m.render(t, a)
		if err != nil {
			return nil, err
		}
		if _, err := s.tickets.AddMessage(ctx, ticketID, ticket.NewMessage{Body: reply, Internal: m.Internal}); err != nil {
			return nil, err
		}
	}
	if err := s.store.CountMacroUse(ctx, id); err != nil {
		return nil, err
	}
	return s.tickets.Get(ctx, ticketID)
}

// render fills the macro's reply in for a ticket and the agent applying it.
func (m *Macro) render(t *ticket.Ticket, a desk.Actor) (string, error) {
	if m.Reply == "" {
		return "", nil
	}
	tpl, msg := ParseTemplate(m.Reply, Schema{Fields: fieldsOf(t)})
	if msg.Key != "" {
		return "", desk.Invalid(desk.Fields{"reply": msg})
	}
	return tpl.Render(Data{Ticket: t, Agent: a}), nil
}

// CurrentVersion is the version the API answers as the ETag.
func (m *Macro) CurrentVersion() int64 { return m.Version }
