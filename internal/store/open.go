package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/idempotency"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// OpenTicket writes a new ticket (ticket.Opening) in one transaction: on
// PostgreSQL one statement (dialect.openTicket), through the openers below;
// on SQLite the steps of a ticket transaction, which cost nothing extra
// in-process and share commits through group.go.
func (db *DB) OpenTicket(ctx context.Context, o *ticket.Opening) error {
	// A create under an Idempotency-Key claim takes the transaction, which
	// marks the claim in the same commit (see inTx); a shared statement
	// would not.
	if _, claimed := idempotency.ClaimIn(ctx); db.opens != nil && len(o.Message.Attachments) == 0 && !claimed {
		return db.submitOpening(ctx, o)
	}
	return db.inTx(ctx, func(tx *txn) error { return (&ticketTx{db: db, tx: tx}).OpenTicket(ctx, o) })
}

// Openers. On PostgreSQL a statement and its commit, not its rows, are most
// of what a create costs: each commit waits for its WAL flush, and each
// statement opens and locks every table and index it writes anew (pgbench
// here: 16-row INSERTs ran at the rate of 1-row ones). So concurrent creates
// share one statement, as SQLite's writes share commits: a few opener
// goroutines each take the creates waiting and write them with one
// statement, its own transaction. With nobody waiting a create is written
// alone. If the shared statement fails, nothing of it was written, and each
// create runs again alone, so that one bad create fails by itself.

const (
	// openers is how many create statements run at once.
	openers = 4
	// maxOpenBatch bounds the creates of one statement.
	maxOpenBatch = 32
)

type openJob struct {
	ctx    context.Context
	o      *ticket.Opening
	events []event.Event // as given, to start again from
	done   chan error
}

func (db *DB) startOpeners() {
	db.opens = make(chan *openJob)
	db.opensClosed = make(chan struct{})
	for range openers {
		db.openersDone.Add(1)
		go func() {
			defer db.openersDone.Done()
			for {
				select {
				case <-db.opensClosed:
					return
				case first := <-db.opens:
					batch := []*openJob{first}
				drain:
					for len(batch) < maxOpenBatch {
						select {
						case j := <-db.opens:
							batch = append(batch, j)
						default:
							break drain
						}
					}
					db.openBatch(batch)
				}
			}
		}()
	}
}

func (db *DB) stopOpeners() {
	if db.opens != nil {
		close(db.opensClosed)
		db.openersDone.Wait()
	}
}

func (db *DB) submitOpening(ctx context.Context, o *ticket.Opening) error {
	j := &openJob{ctx: ctx, o: o, events: slices.Clone(o.Events), done: make(chan error, 1)}
	select {
	case db.opens <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.opensClosed:
		return errClosed
	}
	// Once taken, a job always reports: it may commit even if the caller
	// stops waiting.
	return <-j.done
}

// openBatch writes the jobs' tickets in one transaction, or each alone.
func (db *DB) openBatch(batch []*openJob) {
	q := db.dialect.openTicket()
	live := batch[:0:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- err
			continue
		}
		live = append(live, j)
	}
	if len(live) > 1 {
		os := make([]*ticket.Opening, len(live))
		for k, j := range live {
			os[k] = j.o
		}
		if err := db.openTickets(context.Background(), db.write, q, os); err == nil {
			for _, j := range live {
				j.done <- nil
			}
			return
		}
	}
	for _, j := range live {
		j.o.Events, j.o.Contact = slices.Clone(j.events), nil
		j.done <- db.openAlone(context.WithoutCancel(j.ctx), q, j.o)
	}
}

// openAlone runs one create as its own statement and transaction. Two
// creates for the same new email can both find no contact; the second
// fails on the email's key once the first commits, and finds the contact
// when tried again.
func (db *DB) openAlone(ctx context.Context, q string, o *ticket.Opening) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = db.openTickets(ctx, db.write, q, []*ticket.Opening{o}); err == nil || db.dialect.constraint(err) != "contact_emails.pkey" {
			break
		}
	}
	return db.mapErr(err)
}

// OpenTicket writes a new ticket inside the transaction.
func (x *ticketTx) OpenTicket(ctx context.Context, o *ticket.Opening) error {
	if q := x.db.dialect.openTicket(); q != "" {
		if err := x.db.openTickets(ctx, x.tx, q, []*ticket.Opening{o}); err != nil {
			return err
		}
		return x.insertAttachments(ctx, o.Message)
	}
	if err := checkOpening(o); err != nil {
		return err
	}
	c, created, err := x.ensureContact(ctx, o.Email, o.Name, o.Now)
	if err != nil {
		return err
	}
	if err := x.InsertTicket(ctx, opened(o, c.ID, c.Name, c.OrganizationID)); err != nil {
		return err
	}
	o.Message.TicketID = o.Ticket.ID
	if err := x.InsertMessage(ctx, o.Message); err != nil {
		return err
	}
	evs := completeEvents(o, c.ID)
	if created {
		o.Contact, o.ContactEvent.Data = c, mustJSON(c)
		evs = append([]event.Event{o.ContactEvent}, evs...)
	}
	if err := x.db.appendEvents(ctx, x.tx, evs); err != nil {
		return err
	}
	if created {
		o.ContactEvent.ID, evs = evs[0].ID, evs[1:]
	}
	copy(o.Events, evs)
	return nil
}

func checkOpening(o *ticket.Opening) error {
	if len(o.Events) == 0 || o.Events[0].Kind != event.TicketCreated {
		return fmt.Errorf("open ticket: the first event must be %s", event.TicketCreated)
	}
	return nil
}

// opened sets what the requester gives the ticket and returns it.
func opened(o *ticket.Opening, contactID int64, name string, org *int64) *ticket.Ticket {
	o.Ticket.Requester = ticket.Person{ID: contactID, Name: name, Email: o.Email}
	o.Ticket.OrganizationID = org
	o.Message.AuthorID, o.Message.AuthorName = contactID, name
	return o.Ticket
}

// completeEvents sets the ticket of the events and completes ticket.created
// (the first) with the requester and the message.
func completeEvents(o *ticket.Opening, contactID int64) []event.Event {
	evs := make([]event.Event, len(o.Events))
	copy(evs, o.Events)
	for i := range evs {
		evs[i].TicketID = o.Ticket.ID
	}
	evs[0].Data = event.WithFields(evs[0].Data,
		event.Field{Name: "requester_id", Value: contactID}, event.Field{Name: "message_id", Value: o.Message.ID})
	return evs
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("store: marshal: " + err.Error()) // only plain values reach here
	}
	return b
}

// openTickets runs the dialect's statement for the openings on q.
func (db *DB) openTickets(ctx context.Context, q querier, stmt string, os []*ticket.Opening) error {
	n := len(os)
	col := func() []string { return make([]string, n) }
	emails, names, domains, actorKinds, contactJSON, contactJSONEnd := col(), col(), col(), col(), col(), col()
	subjects, statuses, categories, priorities, types, channels := col(), col(), col(), col(), col(), col()
	tags, custom, authorKinds, bodies, htmls := col(), col(), col(), col(), col()
	nows, actorIDs := make([]int64, n), make([]int64, n)
	assignees, teams := make([]*int64, n), make([]*int64, n)
	escalations := make([]int32, n)
	var evOwner []int64
	var evKind, evData []string
	var evFirst []bool
	for k, o := range os {
		if err := checkOpening(o); err != nil {
			return err
		}
		t, m := o.Ticket, o.Message
		if t.Tags == nil {
			t.Tags = []string{}
		}
		if t.CustomFields == nil {
			t.CustomFields = map[string]any{}
		}
		// The contact.created data is the contact's JSON with its id and
		// organization written by the statement: a template split around
		// them.
		tmpl := string(mustJSON(&people.Contact{Name: o.Name, Emails: []string{o.Email}, Language: "en",
			CreatedAt: o.Now, UpdatedAt: o.Now, Version: 1}))
		afterID, ok := strings.CutPrefix(tmpl, `{"id":0`)
		beforeOrg, afterOrg, ok2 := strings.Cut(afterID, `"organization_id":null`)
		if !ok || !ok2 {
			return fmt.Errorf("open ticket: unexpected contact JSON %s", tmpl)
		}
		emails[k], names[k], domains[k], nows[k] = o.Email, o.Name, people.EmailDomain(o.Email), micros(o.Now)
		actorKinds[k], actorIDs[k] = o.Events[0].ActorKind, o.Events[0].ActorID
		contactJSON[k], contactJSONEnd[k] = beforeOrg+`"organization_id":`, afterOrg
		subjects[k], statuses[k], categories[k], priorities[k], types[k], channels[k] =
			t.Subject, t.Status, t.StatusCategory, t.Priority, t.Type, t.Channel
		assignees[k], teams[k], tags[k], custom[k], escalations[k] =
			t.AssigneeID, t.TeamID, marshal(t.Tags), marshal(t.CustomFields), int32(t.EscalationLevel)
		authorKinds[k], bodies[k], htmls[k] = m.AuthorKind, m.BodyText, m.BodyHTML
		for i, e := range o.Events {
			data := string(e.Data)
			if i == 0 {
				data = event.OpenObject(e.Data)
			}
			evOwner, evKind, evData, evFirst = append(evOwner, int64(k+1)), append(evKind, e.Kind), append(evData, data), append(evFirst, i == 0)
		}
	}
	rows, err := q.QueryContext(ctx, stmt, emails, names, domains, nows, actorKinds, actorIDs, contactJSON, contactJSONEnd,
		subjects, statuses, categories, priorities, types, channels, assignees, teams, tags, custom, escalations,
		authorKinds, bodies, htmls, evOwner, evKind, evData, evFirst)
	if err != nil {
		return fmt.Errorf("open tickets: %w", err)
	}
	defer rows.Close()
	type written struct {
		ticketID, messageID, contactID int64
		name, eventIDs                 string
		org                            sql.NullInt64
		created                        bool
	}
	got := make([]*written, n)
	for rows.Next() {
		var w written
		var ord int
		if err := rows.Scan(&ord, &w.ticketID, &w.messageID, &w.contactID, &w.name, &w.org, &w.created, &w.eventIDs); err != nil {
			return fmt.Errorf("open tickets: %w", err)
		}
		if ord < 1 || ord > n {
			return fmt.Errorf("open tickets: row for opening %d of %d", ord, n)
		}
		got[ord-1] = &w
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("open tickets: %w", err)
	}
	for k, w := range got {
		if w == nil {
			return fmt.Errorf("open tickets: nothing written for opening %d of %d", k+1, n)
		}
	}
	// Written: only now is anything of the openings changed.
	for k, o := range os {
		w := got[k]
		o.Ticket.ID, o.Ticket.Version = w.ticketID, 1
		opened(o, w.contactID, w.name, fromNullID(w.org))
		o.Message.ID, o.Message.TicketID = w.messageID, w.ticketID
		if o.Message.Attachments == nil {
			o.Message.Attachments = []ticket.Attachment{}
		}
		evs := completeEvents(o, w.contactID)
		if w.created {
			o.Contact = &people.Contact{ID: w.contactID, Name: w.name, Emails: []string{o.Email}, Language: "en",
				OrganizationID: fromNullID(w.org), CreatedAt: o.Now, UpdatedAt: o.Now, Version: 1}
			o.ContactEvent.Data = mustJSON(o.Contact)
			evs = append([]event.Event{o.ContactEvent}, evs...)
		}
		ids := strings.Split(w.eventIDs, ",")
		if len(ids) != len(evs) {
			return fmt.Errorf("open ticket %d: %d events written, %d expected", w.ticketID, len(ids), len(evs))
		}
		for i := range evs {
			var err error
			if evs[i].ID, err = strconv.ParseInt(ids[i], 10, 64); err != nil {
				return fmt.Errorf("open ticket %d: event id %q: %w", w.ticketID, ids[i], err)
			}
		}
		if w.created {
			o.ContactEvent.ID, evs = evs[0].ID, evs[1:]
		}
		copy(o.Events, evs)
	}
	return nil
}
