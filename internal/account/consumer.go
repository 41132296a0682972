package account

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/nps"
)

// Consumer names the durable consumer of events that keeps health.
const Consumer = "account-health"

// Run keeps account health from events until ctx ends. Any node may run
// it: a batch's changes and the cursor's move commit together, so each
// event counts once.
func (s *Service) Run(ctx context.Context) {
	event.Loop(ctx, s.bus, Consumer, 200*time.Millisecond, 2*time.Second, s.Catchup, s.log)
}

// Catchup handles every event after the cursor, a batch at a time.
func (s *Service) Catchup(ctx context.Context) error {
	after, err := s.store.EventCursor(ctx, Consumer)
	if err != nil {
		return err
	}
	for {
		evs, err := s.store.EventsAfter(ctx, after, 500)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := s.handle(ctx, after, evs); err != nil {
			return err
		}
		after = evs[len(evs)-1].ID
	}
}

// handle applies a batch: it finds each event's account (one query for the
// batch's tickets), then changes each touched account once, in the batch's
// transaction. Each event costs the same whatever the desk's size.
func (s *Service) handle(ctx context.Context, from int64, evs []event.Event) error {
	var ids []int64
	for _, e := range evs {
		if e.TicketID != 0 && counts(e) && !slices.Contains(ids, e.TicketID) {
			ids = append(ids, e.TicketID)
		}
	}
	orgOf, err := s.store.TicketOrganizations(ctx, ids)
	if err != nil {
		return err
	}
	var touched []Touch
	at := map[int64]int{}
	for _, e := range evs {
		org := orgOf[e.TicketID]
		if e.TicketID == 0 {
			org = accountEventOrg(e)
		}
		if org == 0 || !counts(e) {
			continue
		}
		i, ok := at[org]
		if !ok {
			i = len(touched)
			at[org] = i
			touched = append(touched, Touch{OrganizationID: org})
		}
		touched[i].Events = append(touched[i].Events, e)
		if recounts(e) && !slices.Contains(touched[i].Tickets, e.TicketID) {
			touched[i].Tickets = append(touched[i].Tickets, e.TicketID)
		}
	}
	w, err := s.store.HealthWeights(ctx)
	if err != nil {
		return err
	}
	j := s.judge(w)
	if err := s.store.ApplyEvents(ctx, Consumer, from, evs[len(evs)-1].ID, s.clock.Now(), touched, j.fn); err != nil {
		return err
	}
	s.sendQueued(ctx, j.mails)
	return nil
}

// sendQueued hands committed mail to the send job; mail not written (a
// batch another node handled) has no id.
func (s *Service) sendQueued(ctx context.Context, mails map[int64]*email.Outbound) {
	var ids []int64
	for _, m := range mails {
		if m.ID != 0 {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 || s.mail.Sender == nil {
		return
	}
	if err := s.mail.Sender.Enqueue(ctx, ids...); err != nil {
		// The mail is stored: the send job's sweep sends it later.
		s.log.Warn("account: at-risk mail", "err", err)
	}
}

// judgement counts accounts' events and keeps the mail it queued, by
// account: a transaction run again replaces the mail of its first run.
type judgement struct {
	fn    func(ctx context.Context, a *Account, st *State, evs []event.Event) (Verdict, error)
	mails map[int64]*email.Outbound
}

// judge returns what ApplyEvents does to each account: count its events,
// score it, and tell its owner when it crossed into the risk band.
func (s *Service) judge(w Weights) *judgement {
	now := s.clock.Now()
	j := &judgement{mails: map[int64]*email.Outbound{}}
	j.fn = func(ctx context.Context, a *Account, st *State, evs []event.Event) (Verdict, error) {
		before := BandHealthy
		if a.Health != nil {
			before = a.Health.Band
		}
		for _, e := range evs {
			observe(st, e)
		}
		v := Verdict{Health: Score(*st, a.RenewalDate, w, now)}
		if v.Health.Band == BandAtRisk && before != BandAtRisk {
			v.Events = append(v.Events, s.atRisk(a, v.Health, now))
			m, err := s.atRiskMail(ctx, a, v.Health, now)
			if err != nil {
				return v, err
			}
			v.Mail = m
			if m != nil {
				j.mails[a.OrganizationID] = m
			}
		}
		return v, nil
	}
	return j
}

// atRiskMail is the mail telling an account's owner it crossed into the
// risk band, in the owner's language; nil without an owner, a mail sender
// or a mailbox. Its key names the crossing, so each crossing mails once.
func (s *Service) atRiskMail(ctx context.Context, a *Account, h Health, now time.Time) (*email.Outbound, error) {
	if a.OwnerID == nil || s.mail.Sender == nil {
		return nil, nil
	}
	owner, err := s.store.Agent(ctx, *a.OwnerID)
	if desk.ErrorCode(err) == desk.ENOTFOUND || (err == nil && (!owner.Active || owner.Email == "")) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	mb, err := s.opps.SystemMailbox(ctx)
	if err != nil || mb == 0 {
		return nil, err
	}
	lang, t := owner.Language, s.mail.T
	if lang == "" {
		lang = "en"
	}
	var text strings.Builder
	text.WriteString(t(lang, "account.mail_at_risk_intro", a.Name, h.Score) + "\n\n")
	for _, c := range h.Components {
		text.WriteString(t(lang, "account.mail_at_risk_component", c.Name, c.Score, c.Weight) + "\n")
	}
	if s.mail.PublicURL != "" {
		text.WriteString("\n" + s.mail.PublicURL + fmt.Sprintf("/organizations/%d", a.OrganizationID) + "\n")
	}
	m, err := s.mail.Sender.BuildSystemMail(ctx, email.SystemMail{MailboxID: mb, To: owner.Email,
		Subject: t(lang, "account.mail_at_risk_subject", a.Name), Text: text.String(), Purpose: PurposeAtRisk,
		Key: fmt.Sprintf("account:%d:at_risk:%d", a.OrganizationID, now.UnixMicro())})
	if desk.ErrorCode(err) == desk.EINVALID {
		// An owner address the mail cannot carry: the notification tells them.
		s.log.Warn("account: at-risk mail", "organization", a.OrganizationID, "err", err)
		return nil, nil
	}
	return m, err
}

// Refresh scores again every account that has health, for the time that
// passed (days since contact, to renewal) and the weights as they are now;
// a periodic job runs it. It reads accounts, never tickets.
func (s *Service) Refresh(ctx context.Context) error {
	w, err := s.store.HealthWeights(ctx)
	if err != nil {
		return err
	}
	var after int64
	for {
		list, err := s.store.Accounts(ctx, Filter{AfterID: after, Limit: 200})
		if err != nil || len(list) == 0 {
			return err
		}
		var touched []Touch
		for _, a := range list {
			if a.State != nil {
				touched = append(touched, Touch{OrganizationID: a.OrganizationID})
			}
		}
		j := s.judge(w)
		if err := s.store.ApplyEvents(ctx, "", 0, 0, s.clock.Now(), touched, j.fn); err != nil {
			return err
		}
		s.sendQueued(ctx, j.mails)
		after = list[len(list)-1].OrganizationID
	}
}

// atRisk is the event that tells an account's owner it crossed into the
// risk band.
func (s *Service) atRisk(a *Account, h Health, now time.Time) event.Event {
	var owner int64
	if a.OwnerID != nil {
		owner = *a.OwnerID
	}
	e := event.New(AtRisk, 0, map[string]any{"organization_id": a.OrganizationID, "name": a.Name,
		"owner_id": owner, "score": h.Score, "band": h.Band})
	e.ActorKind, e.CreatedAt = desk.ActorSystem, now
	return e
}

// counts reports whether an event can change an account's health.
func counts(e event.Event) bool {
	switch e.Kind {
	case event.TicketCreated, event.MessageAdded, event.Escalated, event.SLABreached, event.FieldChanged,
		event.Merged, event.SatisfactionRated, CheckinLogged, nps.Answered:
		return true
	}
	return false
}

// recounts reports whether an event may change the account's open or
// urgent tickets.
func recounts(e event.Event) bool {
	return e.Kind == event.TicketCreated || e.Kind == event.FieldChanged || e.Kind == event.Merged
}

// CheckinLogged is the event of a check-in logged (package account); the
// consumer counts it as a contact.
const CheckinLogged = "account.checkin_logged"

// accountEventOrg is the organization of an event without a ticket.
func accountEventOrg(e event.Event) int64 {
	var d struct {
		OrganizationID int64 `json:"organization_id"`
	}
	_ = json.Unmarshal(e.Data, &d)
	return d.OrganizationID
}

// observe counts one event into the state.
func observe(st *State, e event.Event) {
	switch e.Kind {
	case event.TicketCreated:
		st.Observe(ObserveTicket, e.CreatedAt)
	case event.MessageAdded:
		var d struct {
			Internal bool `json:"internal"`
		}
		_ = json.Unmarshal(e.Data, &d)
		if !d.Internal {
			st.Observe(ObserveContact, e.CreatedAt)
		}
	case CheckinLogged:
		st.Observe(ObserveContact, e.CreatedAt)
	case event.Escalated:
		st.Observe(ObserveEscalation, e.CreatedAt)
	case event.SLABreached:
		st.Observe(ObserveBreach, e.CreatedAt)
	case event.SatisfactionRated:
		// A rating of 4 or 5 is good, 1 or 2 bad (package csat).
		var d struct {
			Rating   int  `json:"rating"`
			Previous *int `json:"previous"`
		}
		_ = json.Unmarshal(e.Data, &d)
		answered(st, d.Previous, d.Rating, rated, e.CreatedAt)
	case nps.Answered:
		// An NPS answer is the account's own word on us: a promoter counts
		// as a good rating, a detractor as a bad one, a passive as neither
		// (package nps).
		var d struct {
			Score    int  `json:"score"`
			Previous *int `json:"previous"`
		}
		_ = json.Unmarshal(e.Data, &d)
		answered(st, d.Previous, d.Score, npsRated, e.CreatedAt)
	}
}

// answered counts a survey answer (as good, bad or neither by kind); a
// changed answer takes its previous one back first.
func answered(st *State, previous *int, answer int, kind func(int) int, at time.Time) {
	if previous != nil {
		st.Unobserve(kind(*previous))
	}
	if what := kind(answer); what >= 0 {
		st.Observe(what, at)
	}
}

// rated is what a satisfaction rating counts as (-1 for neither).
func rated(r int) int {
	switch {
	case r >= 4:
		return ObserveGood
	case r >= 1 && r <= 2:
		return ObserveBad
	}
	return -1
}

// npsRated is what an NPS score counts as (-1 for a passive).
func npsRated(score int) int {
	switch {
	case score >= 9:
		return ObserveGood
	case score >= 0 && score <= 6:
		return ObserveBad
	}
	return -1
}
