package ticket

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// Patch changes a ticket's properties. Nil fields stay as they are; an
// AssigneeID or TeamID of 0 clears it; a nil value in CustomFields clears
// that field.
type Patch struct {
	Subject    *string
	Status     *string
	Priority   *string
	Type       *string
	AssigneeID *int64
	TeamID     *int64
	Tags       *[]string
	// AddTags and RemoveTags change the tags the ticket has when it is
	// locked, so that a bulk action keeps tags it does not name; Tags, when
	// given, wins over both.
	AddTags, RemoveTags []string
	CustomFields        map[string]any
	// IfVersion, when not 0, applies the patch only to that version of the
	// ticket (else ESTALE).
	IfVersion int64
}

// Update applies a patch, recording one event per changed field.
func (s *Service) Update(ctx context.Context, id int64, p Patch) (*Ticket, error) {
	a, err := actor(ctx, auth.TicketsUpdate)
	if err != nil {
		return nil, err
	}
	apply, err := s.checkPatch(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, a, id, p.IfVersion, apply)
}

// checkPatch validates a patch once and returns what applies it to a locked
// ticket (Update applies it to one ticket, Bulk to many).
func (s *Service) checkPatch(ctx context.Context, p Patch) (func(tx Tx, t *Ticket, now time.Time) ([]event.Event, error), error) {
	statuses, fields, err := s.definitions(ctx)
	if err != nil {
		return nil, err
	}
	errs := desk.Fields{}
	var subject string
	if p.Subject != nil {
		var msg desk.Msg
		if subject, msg = CleanSubject(*p.Subject); msg.Key != "" {
			errs["subject"] = msg
		}
	}
	var newStatus Status
	if p.Status != nil {
		st, ok := findStatus(statuses, *p.Status)
		switch {
		case !ok:
			errs["status"] = desk.M("invalid.no_status")
		case st.Category == CategoryNew:
			errs["status"] = desk.M("invalid.back_to_new")
		}
		newStatus = st
	}
	if p.Priority != nil {
		checkEnum(errs, "priority", *p.Priority, Priorities)
	}
	if p.Type != nil {
		checkEnum(errs, "type", *p.Type, Types)
	}
	var tags, add, remove []string
	if p.Tags != nil {
		var msg desk.Msg
		if tags, msg = CleanTags(*p.Tags); msg.Key != "" {
			errs["tags"] = msg
		}
	}
	for field, in := range map[string]struct {
		raw []string
		out *[]string
	}{"add_tags": {p.AddTags, &add}, "remove_tags": {p.RemoveTags, &remove}} {
		var msg desk.Msg
		if *in.out, msg = CleanTags(in.raw); msg.Key != "" {
			errs[field] = msg
		}
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	return func(tx Tx, t *Ticket, now time.Time) ([]event.Event, error) {
		var evs []event.Event
		changed := func(field string, old, new any) {
			evs = append(evs, event.New(event.FieldChanged, t.ID, event.Change{Field: field, Old: old, New: new}))
		}
		if p.Subject != nil && subject != t.Subject {
			changed("subject", t.Subject, subject)
			t.Subject = subject
		}
		if p.Priority != nil && *p.Priority != t.Priority {
			changed("priority", t.Priority, *p.Priority)
			t.Priority = *p.Priority
		}
		if p.Type != nil && *p.Type != t.Type {
			changed("type", t.Type, *p.Type)
			t.Type = *p.Type
		}
		want := tags
		if p.Tags == nil && (len(add) > 0 || len(remove) > 0) {
			if want = editTags(t.Tags, add, remove); len(want) > MaxTags {
				return nil, desk.Invalid(desk.Fields{"add_tags": desk.M("invalid.tags_max", MaxTags)})
			}
		}
		if want != nil && !slices.Equal(want, t.Tags) {
			if err := tx.EnsureTags(ctx, want, now); err != nil {
				return nil, err
			}
			changed("tags", t.Tags, want)
			t.Tags = want
		}
		if p.CustomFields != nil {
			cf, err := ApplyFields(fields, t.CustomFields, p.CustomFields, false)
			if err != nil {
				return nil, err
			}
			if !maps.EqualFunc(cf, t.CustomFields, func(x, y any) bool { return x == y }) {
				changed("custom_fields", t.CustomFields, cf)
				t.CustomFields = cf
			}
		}
		route, err := s.route(ctx, t, p.TeamID, p.AssigneeID)
		if err != nil {
			return nil, err
		}
		evs = append(evs, route...)
		if p.Status != nil && newStatus.Name != t.Status {
			changed("status", t.Status, newStatus.Name)
			setStatus(t, newStatus, now)
		} else if t.AssigneeID != nil && t.StatusCategory == CategoryNew {
			changed("status", t.Status, CategoryOpen)
			setStatus(t, Status{Name: CategoryOpen, Category: CategoryOpen}, now)
		}
		return evs, nil
	}, nil
}

// editTags returns tags with add added and remove taken away, sorted, never
// nil (nil means "no tag change" to the patch).
func editTags(tags, add, remove []string) []string {
	out := make([]string, 0, len(tags)+len(add))
	for _, t := range slices.Concat(tags, add) {
		if !slices.Contains(remove, t) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// route applies a team and assignee change, validated together.
func (s *Service) route(ctx context.Context, t *Ticket, teamID, assigneeID *int64) ([]event.Event, error) {
	if teamID == nil && assigneeID == nil {
		return nil, nil
	}
	team, assignee := t.TeamID, t.AssigneeID
	if teamID != nil {
		team = nonZero(teamID)
		if assigneeID == nil && !sameID(team, t.TeamID) {
			// Moving to another team's queue unassigns, unless an assignee
			// is given too.
			assignee = nil
		}
	}
	if assigneeID != nil {
		assignee = nonZero(assigneeID)
	}
	errs := desk.Fields{}
	if err := s.checkRouting(ctx, errs, team, assignee); err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	var evs []event.Event
	if !sameID(team, t.TeamID) {
		evs = append(evs, event.New(event.FieldChanged, t.ID, event.Change{Field: "team_id", Old: t.TeamID, New: team}))
		t.TeamID = team
	}
	if !sameID(assignee, t.AssigneeID) {
		evs = append(evs, event.New(event.Assigned, t.ID, map[string]any{"old": t.AssigneeID, "new": assignee}))
		t.AssigneeID = assignee
	}
	return evs, nil
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// setStatus moves the ticket to a status and keeps solved_at true to it.
func setStatus(t *Ticket, st Status, now time.Time) {
	t.Status, t.StatusCategory = st.Name, st.Category
	switch st.Category {
	case CategorySolved, CategoryClosed:
		if t.SolvedAt == nil {
			t.SolvedAt = &now
		}
	default:
		t.SolvedAt = nil
	}
}

// NewMessage is a reply or a note.
type NewMessage struct {
	Body     string
	BodyHTML string
	Internal bool
	// Attachments are files already put in the blob store.
	Attachments []Attachment
	// Status, when set, moves the ticket to that status in the same
	// transaction as the message ("send and set status"); it needs
	// tickets:update as well.
	Status string
}

// AddMessage adds a public reply or an internal note by the acting agent (or
// contact), notifies mentioned agents, and moves the status along: an agent's
// first public reply sets first_responded_at and opens a new ticket; a
// customer's reply reopens a pending, on-hold or solved one.
func (s *Service) AddMessage(ctx context.Context, id int64, in NewMessage) (*Message, error) {
	perm := auth.TicketsReply
	if in.Internal {
		perm = auth.TicketsNote
	}
	a, err := actor(ctx, perm)
	if err != nil {
		return nil, err
	}
	if in.Internal && a.Kind == desk.ActorContact {
		return nil, desk.E(desk.EFORBIDDEN, "error.internal_note_customer")
	}
	next, err := s.messageStatus(ctx, a, in.Status)
	if err != nil {
		return nil, err
	}
	body, html, msg := Body(in.Body, in.BodyHTML)
	if msg.Key != "" {
		return nil, desk.Invalid(desk.Fields{"body": msg})
	}
	var mentioned []int64
	if a.Kind == desk.ActorAgent {
		// Only colleagues can call an agent in; a customer's "@" is just text.
		if mentioned, err = s.mentions(ctx, body); err != nil {
			return nil, err
		}
	}
	var m *Message
	_, err = s.change(ctx, a, id, 0, func(tx Tx, t *Ticket, now time.Time) ([]event.Event, error) {
		m = &Message{TicketID: t.ID, AuthorKind: a.Kind, AuthorID: a.ID, AuthorName: a.Name,
			Internal: in.Internal, BodyText: body, BodyHTML: html, CreatedAt: now, Attachments: in.Attachments}
		if err := tx.InsertMessage(ctx, m); err != nil {
			return nil, err
		}
		evs := []event.Event{event.New(event.MessageAdded, t.ID, map[string]any{
			"message_id": m.ID, "internal": m.Internal, "author_kind": a.Kind, "author_id": a.ID})}
		for _, ag := range mentioned {
			if err := tx.AddFollower(ctx, t.ID, ag); err != nil {
				return nil, err
			}
			evs = append(evs, event.New(event.Mentioned, t.ID, map[string]any{"agent_id": ag, "message_id": m.ID}))
		}
		if next != nil && next.Name != t.Status {
			// The agent chose the status: it replaces the automatic moves.
			evs = append(evs, event.New(event.FieldChanged, t.ID, event.Change{Field: "status", Old: t.Status, New: next.Name}))
			setStatus(t, *next, now)
		}
		if in.Internal {
			return evs, nil
		}
		switch {
		case a.Kind == desk.ActorAgent:
			if t.FirstRespondedAt == nil {
				t.FirstRespondedAt = &now
				evs = append(evs, event.New(event.FieldChanged, t.ID, event.Change{Field: "first_responded_at", New: now}))
			}
			if t.StatusCategory == CategoryNew && next == nil {
				evs = append(evs, event.New(event.FieldChanged, t.ID, event.Change{Field: "status", Old: t.Status, New: CategoryOpen}))
				setStatus(t, Status{Name: CategoryOpen, Category: CategoryOpen}, now)
			}
		case a.Kind == desk.ActorContact && slices.Contains([]string{CategoryPending, CategoryOnHold, CategorySolved}, t.StatusCategory):
			evs = append(evs, event.New(event.FieldChanged, t.ID, event.Change{Field: "status", Old: t.Status, New: CategoryOpen}))
			setStatus(t, Status{Name: CategoryOpen, Category: CategoryOpen}, now)
		}
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// messageStatus validates the status a message sets (nil: none).
func (s *Service) messageStatus(ctx context.Context, a desk.Actor, name string) (*Status, error) {
	if name == "" {
		return nil, nil
	}
	if a.Kind != desk.ActorAgent || !a.Can(auth.TicketsUpdate) {
		return nil, desk.E(desk.EFORBIDDEN, "error.forbidden", auth.TicketsUpdate)
	}
	statuses, _, err := s.definitions(ctx)
	if err != nil {
		return nil, err
	}
	st, ok := findStatus(statuses, name)
	switch {
	case !ok:
		return nil, desk.Invalid(desk.Fields{"status": desk.M("invalid.no_status")})
	case st.Category == CategoryNew:
		return nil, desk.Invalid(desk.Fields{"status": desk.M("invalid.back_to_new")})
	}
	return &st, nil
}

// CheckMessage answers, without writing, whether the acting user may now
// add the message to the ticket (nil: any message the user may write). It
// makes the checks of AddMessage that do not depend on the files —
// permission for a reply or a note, the body, the ticket's scope, a ticket
// neither closed nor merged — so that uploads are refused before their
// files are kept.
func (s *Service) CheckMessage(ctx context.Context, id int64, in *NewMessage) error {
	a, ok := desk.ActorFrom(ctx)
	if !ok {
		return desk.E(desk.EUNAUTHORIZED, "error.sign_in")
	}
	switch {
	case in == nil:
		if !a.Can(auth.TicketsReply) && !a.Can(auth.TicketsNote) {
			return desk.E(desk.EFORBIDDEN, "error.forbidden", auth.TicketsReply)
		}
	case in.Internal:
		if _, err := actor(ctx, auth.TicketsNote); err != nil {
			return err
		}
		if a.Kind == desk.ActorContact {
			return desk.E(desk.EFORBIDDEN, "error.internal_note_customer")
		}
	default:
		if _, err := actor(ctx, auth.TicketsReply); err != nil {
			return err
		}
	}
	if in != nil {
		if _, _, msg := Body(in.Body, in.BodyHTML); msg.Key != "" {
			return desk.Invalid(desk.Fields{"body": msg})
		}
		if _, err := s.messageStatus(ctx, a, in.Status); err != nil {
			return err
		}
	}
	t, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	return changeable(t)
}

// Escalate moves a ticket to a higher-tier team's queue, recording who and
// why; the team's lead is notified by the consumer of the event.
func (s *Service) Escalate(ctx context.Context, id, teamID int64, reason string) (*Ticket, error) {
	return s.Reroute(ctx, id, Escalation{TeamID: teamID, Reason: reason, Up: true})
}

// Rule names the automatic rule an escalation comes from.
type Rule struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// EscalateByRule is Escalate done by a rule: the same checks, the same
// event (so the team's lead is told the same way), naming the rule.
func (s *Service) EscalateByRule(ctx context.Context, id, teamID int64, reason string, rule Rule) (*Ticket, error) {
	return s.Reroute(ctx, id, Escalation{TeamID: teamID, Reason: reason, Up: true, Rule: &rule})
}

// Deescalate hands a ticket back to a lower-tier team.
func (s *Service) Deescalate(ctx context.Context, id, teamID int64, reason string) (*Ticket, error) {
	return s.Reroute(ctx, id, Escalation{TeamID: teamID, Reason: reason})
}

// Escalation is a move up (Up) or down the tiers.
type Escalation struct {
	TeamID int64
	Reason string
	Up     bool
	// IfVersion, when not 0, applies the move only to that version of the
	// ticket (else ESTALE).
	IfVersion int64
	// Rule, when set, names the escalation rule that made the move.
	Rule *Rule
}

// Reroute escalates or de-escalates a ticket. When the move takes the
// ticket out of what the acting agent may see, the event says so
// ("actor_lost_access"), so that the agent's notification can.
func (s *Service) Reroute(ctx context.Context, id int64, e Escalation) (*Ticket, error) {
	teamID, reason, up := e.TeamID, e.Reason, e.Up
	a, err := actor(ctx, auth.TicketsEscalate)
	if err != nil {
		return nil, err
	}
	reason, msg := CleanSubject(reason)
	errs := desk.Fields{}
	if msg.Key != "" {
		errs["reason"] = msg
	}
	team, err := s.dir.Team(ctx, teamID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		errs["team_id"] = desk.M("invalid.no_team")
	} else if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	return s.change(ctx, a, id, e.IfVersion, func(tx Tx, t *Ticket, now time.Time) ([]event.Event, error) {
		if t.TeamID != nil && *t.TeamID == team.ID {
			return nil, desk.E(desk.EUNPROCESSABLE, "error.already_in_queue", team.Name)
		}
		if t.TeamID != nil {
			// Escalation climbs the tiers and de-escalation descends them;
			// a move between teams of one tier is a transfer (team_id).
			cur, err := s.dir.Team(ctx, *t.TeamID)
			if err != nil {
				return nil, fmt.Errorf("ticket %d: current team: %w", t.ID, err)
			}
			if up && team.Tier <= cur.Tier {
				return nil, desk.E(desk.EUNPROCESSABLE, "error.escalate_needs_higher_tier", team.Name, team.Tier, cur.Name, cur.Tier)
			}
			if !up && team.Tier >= cur.Tier {
				return nil, desk.E(desk.EUNPROCESSABLE, "error.deescalate_needs_lower_tier", team.Name, team.Tier, cur.Name, cur.Tier)
			}
		}
		kind := event.Escalated
		if up {
			t.EscalationLevel++
		} else {
			kind = event.Deescalated
			t.EscalationLevel = max(0, t.EscalationLevel-1)
		}
		data := map[string]any{"from_team_id": t.TeamID, "to_team_id": team.ID, "tier": team.Tier, "reason": reason,
			"lead_id": team.LeadID, "level": t.EscalationLevel}
		moved := *t
		moved.TeamID, moved.AssigneeID = &team.ID, nil
		if scope(a) != nil && !scope(a).Sees(&moved) {
			data["actor_lost_access"] = true
		}
		if e.Rule != nil {
			data["rule"] = e.Rule
		}
		evs := []event.Event{event.New(kind, t.ID, data)}
		if t.AssigneeID != nil {
			evs = append(evs, event.New(event.Assigned, t.ID, map[string]any{"old": t.AssigneeID, "new": nil}))
		}
		evs = append(evs, event.New(event.FieldChanged, t.ID, event.Change{Field: "team_id", Old: t.TeamID, New: team.ID}))
		t.TeamID, t.AssigneeID = &team.ID, nil
		return evs, nil
	})
}

// Merge moves the source ticket's messages into the target and closes the
// source with a pointer to it.
func (s *Service) Merge(ctx context.Context, sourceID, targetID int64) (*Ticket, error) {
	a, err := actor(ctx, auth.TicketsMerge)
	if err != nil {
		return nil, err
	}
	if sourceID == targetID {
		return nil, desk.Invalid(desk.Fields{"into_id": desk.M("invalid.merge_self")})
	}
	statuses, _, err := s.definitions(ctx)
	if err != nil {
		return nil, err
	}
	closed := Status{Name: CategoryClosed, Category: CategoryClosed}
	if st, ok := findStatus(statuses, CategoryClosed); ok {
		closed = st
	}
	now := s.clock.Now()
	var src, target *Ticket
	var evs []event.Event
	err = s.store.InTx(ctx, func(tx Tx) error {
		// Lock in id order so that two opposite merges cannot deadlock.
		locked := map[int64]*Ticket{}
		for _, id := range []int64{min(sourceID, targetID), max(sourceID, targetID)} {
			t, err := tx.TicketForUpdate(ctx, id)
			if desk.ErrorCode(err) == desk.ENOTFOUND && id == targetID {
				return desk.Invalid(desk.Fields{"into_id": desk.M("invalid.no_ticket")})
			} else if err != nil {
				return err
			}
			locked[id] = t
		}
		src, target = locked[sourceID], locked[targetID]
		sc := scope(a)
		if !sc.Sees(src) {
			return desk.E(desk.ENOTFOUND, "error.ticket_not_found", sourceID)
		}
		if !sc.Sees(target) {
			return desk.Invalid(desk.Fields{"into_id": desk.M("invalid.no_ticket")})
		}
		for _, t := range []*Ticket{src, target} {
			if t.MergedIntoID != nil || t.StatusCategory == CategoryClosed {
				return desk.E(desk.EUNPROCESSABLE, "error.merge_closed", t.ID)
			}
		}
		if err := tx.MoveMessages(ctx, src.ID, target.ID); err != nil {
			return err
		}
		oldStatus := src.Status
		src.MergedIntoID = &target.ID
		setStatus(src, closed, now)
		src.UpdatedAt, target.UpdatedAt = now, now
		if err := tx.SaveTicket(ctx, src); err != nil {
			return err
		}
		if err := tx.SaveTicket(ctx, target); err != nil {
			return err
		}
		evs = stamp(a, now, []event.Event{
			event.New(event.Merged, src.ID, map[string]any{"into_id": target.ID}),
			event.New(event.FieldChanged, src.ID, event.Change{Field: "status", Old: oldStatus, New: closed.Name}),
			event.New(event.MergedInto, target.ID, map[string]any{"source_id": src.ID}),
		})
		return tx.AppendEvents(ctx, evs)
	})
	if err != nil {
		return nil, fmt.Errorf("merge ticket %d into %d: %w", sourceID, targetID, err)
	}
	s.publish(evs, src, target)
	return target, nil
}

// Link relates two tickets: "related" both ways, or "parent" (id is the
// parent of otherID).
func (s *Service) Link(ctx context.Context, id, otherID int64, kind string) error {
	a, err := actor(ctx, auth.TicketsUpdate)
	if err != nil {
		return err
	}
	if kind != LinkRelated && kind != LinkParent {
		return desk.Invalid(desk.Fields{"kind": desk.M("invalid.link_kind")})
	}
	if id == otherID {
		return desk.Invalid(desk.Fields{"other_id": desk.M("invalid.link_self")})
	}
	if _, err := s.Get(ctx, otherID); desk.ErrorCode(err) == desk.ENOTFOUND {
		return desk.Invalid(desk.Fields{"other_id": desk.M("invalid.no_ticket")})
	} else if err != nil {
		return err
	}
	_, err = s.change(ctx, a, id, 0, func(tx Tx, t *Ticket, now time.Time) ([]event.Event, error) {
		if err := tx.InsertLink(ctx, Link{TicketID: id, OtherID: otherID, Kind: kind}, now); err != nil {
			return nil, err
		}
		return []event.Event{event.New(event.Linked, id, map[string]any{"other_id": otherID, "kind": kind})}, nil
	})
	return err
}

// Follow adds the acting agent to the ticket's followers.
func (s *Service) Follow(ctx context.Context, id int64) error {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return err
	}
	_, err = s.change(ctx, a, id, 0, func(tx Tx, t *Ticket, now time.Time) ([]event.Event, error) {
		if err := tx.AddFollower(ctx, id, a.ID); err != nil {
			return nil, err
		}
		return []event.Event{event.New(event.FollowerAdded, id, map[string]any{"agent_id": a.ID})}, nil
	})
	return err
}
