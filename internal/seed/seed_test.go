package seed_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/seed"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

func openApp(t *testing.T, b storetest.Backend) *app.App {
	t.Helper()
	sc := b.Config(t)
	a, err := app.Open(context.Background(), app.Config{DataDir: sc.DataDir, DatabaseURL: sc.DatabaseURL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func services(a *app.App) seed.Services {
	return seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}
}

// apiClient signs in an admin with an API token against a real HTTP server.
func apiClient(t *testing.T, a *app.App) func(method, path, body string, out any) int {
	t.Helper()
	ctx := app.SystemContext(context.Background())
	email, name, role := "boss@example.com", "Boss", auth.RoleAdmin
	ag, err := a.People.CreateAgent(ctx, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := a.Access.CreateToken(ctx, ag.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Web)
	t.Cleanup(srv.Close)
	return func(method, path, body string, out any) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if out != nil && res.StatusCode < 300 {
			if err := json.NewDecoder(res.Body).Decode(out); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
		}
		return res.StatusCode
	}
}

func TestSyntheticTicketsAreServedByTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		a := openApp(t, b)
		now := time.Now().UTC()
		res, err := seed.Synthetic(context.Background(), services(a), 2000, now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Tickets != 2000 || res.SizeBytes <= 0 {
			t.Fatalf("result = %+v", res)
		}
		// The notifier starts after the seeded history, not at its beginning.
		notifyAt, err := a.DB.EventCursor(context.Background(), "notify")
		if last, lerr := a.DB.LastEventID(context.Background()); err != nil || lerr != nil || notifyAt != last || last == 0 {
			t.Fatalf("notify cursor %d, last event %d: %v %v", notifyAt, last, err, lerr)
		}
		call := apiClient(t, a)

		// Every ticket comes back exactly once, newest change first.
		seen := map[int64]bool{}
		categories := map[string]int{}
		cursor, last := "", now.Add(time.Hour)
		for {
			var page struct {
				Tickets    []ticket.Ticket `json:"tickets"`
				NextCursor *string         `json:"next_cursor"`
			}
			if code := call("GET", "/api/v1/tickets?limit=100&cursor="+cursor, "", &page); code != 200 {
				t.Fatalf("list: status %d", code)
			}
			for _, tk := range page.Tickets {
				if seen[tk.ID] {
					t.Fatalf("ticket %d listed twice", tk.ID)
				}
				if tk.UpdatedAt.After(last) || tk.UpdatedAt.Before(tk.CreatedAt) || tk.UpdatedAt.After(now) {
					t.Fatalf("ticket %d updated at %s out of order or range", tk.ID, tk.UpdatedAt)
				}
				seen[tk.ID], last = true, tk.UpdatedAt
				categories[tk.StatusCategory]++
			}
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		if len(seen) != 2000 {
			t.Fatalf("listed %d tickets, want 2000", len(seen))
		}
		for _, c := range ticket.Categories {
			if categories[c] == 0 {
				t.Errorf("no ticket in category %s", c)
			}
		}

		// One ticket reads whole: its first message and its created event.
		var tk ticket.Ticket
		if code := call("GET", fmt.Sprintf("/api/v1/tickets/%d", res.FirstID), "", &tk); code != 200 || tk.Subject == "" || tk.Requester.Email == "" {
			t.Fatalf("get: status %d, ticket %+v", code, tk)
		}
		var msgs struct {
			Messages []ticket.Message `json:"messages"`
		}
		// Past new, the history has an agent's reply; solved or closed, the solve.
		wantMsgs, wantEvs := 1, 1
		if tk.StatusCategory != ticket.CategoryNew {
			wantMsgs, wantEvs = 2, 2
		}
		if tk.StatusCategory == ticket.CategorySolved || tk.StatusCategory == ticket.CategoryClosed {
			wantEvs = 3
		}
		if code := call("GET", fmt.Sprintf("/api/v1/tickets/%d/messages", res.FirstID), "", &msgs); code != 200 || len(msgs.Messages) != wantMsgs {
			t.Fatalf("messages: status %d, %d messages", code, len(msgs.Messages))
		}
		var evs struct {
			Events []struct {
				Kind string          `json:"kind"`
				Data json.RawMessage `json:"data"`
			} `json:"events"`
		}
		if code := call("GET", fmt.Sprintf("/api/v1/tickets/%d/events", res.FirstID), "", &evs); code != 200 || len(evs.Events) != wantEvs || evs.Events[0].Kind != "ticket.created" {
			t.Fatalf("events: status %d, %+v", code, evs)
		}
		var data map[string]any
		if err := json.Unmarshal(evs.Events[0].Data, &data); err != nil || data["subject"] != tk.Subject {
			t.Fatalf("event data %s: %v", evs.Events[0].Data, err)
		}

		// Ordinary writes carry on after the loaded ids.
		var created ticket.Ticket
		code := call("POST", "/api/v1/tickets", `{"subject":"After the load","body":"hello","requester":{"email":"new@example.com"}}`, &created)
		if code != 201 || created.ID != res.FirstID+2000 {
			t.Fatalf("create after load: status %d, id %d, want %d", code, created.ID, res.FirstID+2000)
		}
	})
}

func TestBigLoadsRebuildTheIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		a := openApp(t, b)
		ctx := app.SystemContext(context.Background())
		c := &people.Contact{Name: "Asha", Emails: []string{"asha@example.com"}, Language: "hi"}
		if err := a.DB.BulkInsertContacts(ctx, []*people.Contact{c}); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		given := false
		// A hint that crosses the rebuild threshold drops the indexes and
		// builds them again from the catalog's own definitions.
		first, err := a.DB.LoadTickets(ctx, desk.System, 50000, func(batch []store.BulkTicket) []store.BulkTicket {
			if given {
				return batch
			}
			given = true
			for i := range 300 {
				// Quotes, backslashes and markup reach the rows unchanged.
				batch = append(batch, store.BulkTicket{Subject: fmt.Sprintf("भुगतान विफल हुआ %d: can't pay <UPI> \\ \"x\"", i), Body: "पैसे कट गए ''",
					Status: "open", StatusCategory: "open", Priority: "high", Type: "incident", Channel: "web",
					RequesterID: c.ID, Tags: []string{"upi"}, CreatedAt: now, UpdatedAt: now.Add(time.Duration(i) * time.Second)})
			}
			return batch
		})
		if err != nil {
			t.Fatal(err)
		}
		tag := "upi"
		page, err := a.Tickets.List(ctx, ticket.Filter{Tag: &tag, Limit: 10})
		if err != nil || len(page.Tickets) != 10 || page.Tickets[0].ID != first+299 {
			t.Fatalf("list by tag after load: %v, %d tickets", err, len(page.Tickets))
		}
		got, err := a.Tickets.Get(ctx, first+7)
		if want := `भुगतान विफल हुआ 7: can't pay <UPI> \ "x"`; err != nil || got.Subject != want {
			t.Fatalf("subject %q, want %q: %v", got.Subject, want, err)
		}
		msgs, err := a.Tickets.Messages(ctx, first+7)
		if err != nil || len(msgs) == 0 || msgs[0].BodyText != "पैसे कट गए ''" {
			t.Fatalf("messages %+v: %v", msgs, err)
		}
		if _, err := a.DB.LoadTickets(ctx, desk.System, 50000, func(b []store.BulkTicket) []store.BulkTicket { return b }); err != nil {
			t.Fatalf("second load (the indexes must exist again): %v", err)
		}
	})
}

func TestDemoDesk(t *testing.T) {
	a := openApp(t, storetest.Backends()[0])
	ctx := context.Background()
	now := time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC)
	res, err := seed.Demo(ctx, services(a), now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tickets != seed.DemoTickets || res.Escalated == 0 || res.Merged == 0 || res.Contacts == 0 || res.Teams != 4 {
		t.Fatalf("demo = %+v", res)
	}
	roles := map[string]bool{}
	for _, ag := range res.Agents {
		roles[ag.Role] = true
	}
	for _, r := range auth.BuiltinRoles {
		if !roles[r.Name] {
			t.Errorf("no demo agent with role %s", r.Name)
		}
	}
	sys := app.SystemContext(ctx)
	for _, c := range ticket.Categories {
		page, err := a.Tickets.List(sys, ticket.Filter{Status: &c, Limit: 1})
		if err != nil || len(page.Tickets) == 0 {
			t.Errorf("no demo ticket in category %s (%v)", c, err)
		}
	}
	hindi := false
	page, err := a.Tickets.List(sys, ticket.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range page.Tickets {
		hindi = hindi || strings.ContainsRune(tk.Subject, 'ा')
		if tk.UpdatedAt.After(now) || tk.CreatedAt.Before(now.Add(-91*24*time.Hour)) {
			t.Errorf("ticket %d lives outside the 90 days: %s – %s", tk.ID, tk.CreatedAt, tk.UpdatedAt)
		}
	}
	if !hindi {
		t.Error("no Hindi subject among the latest tickets")
	}
	if _, _, _, err := a.Access.SignIn(ctx, "priya.sharma@sahayak.example", seed.DemoPassword); err != nil {
		t.Errorf("demo sign-in: %v", err)
	}
	if _, err := seed.Demo(ctx, services(a), now); !errors.Is(err, seed.ErrDemoExists) {
		t.Fatalf("second demo seed: %v, want ErrDemoExists", err)
	}
}

// After `seed --demo`, every demo agent and the admin land on a view with
// work in it: the landing view is the first of mine, my teams, unassigned,
// escalated, pending and all that has tickets, by the sidebar's counts.
func TestDemoAgentsLandOnWork(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			a := openApp(t, b)
			ctx := context.Background()
			if err := a.EnsureAdmin(ctx, io.Discard); err != nil {
				t.Fatal(err)
			}
			if _, err := seed.Demo(ctx, services(a), time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			agents, err := a.People.Agents(app.SystemContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			if len(agents) < 6 {
				t.Fatalf("only %d agents", len(agents))
			}
			for _, ag := range agents {
				actor, err := a.Access.ActorFor(ctx, ag)
				if err != nil {
					t.Fatal(err)
				}
				as := desk.WithActor(ctx, actor)
				sidebar, err := a.Views.Sidebar(as)
				if err != nil {
					t.Fatal(err)
				}
				key, err := a.Views.Landing(as, sidebar)
				if err != nil {
					t.Fatal(err)
				}
				entry, err := a.Views.Resolve(as, key)
				if err != nil {
					t.Fatal(err)
				}
				f, bad := entry.Query.Filter(actor, time.Now())
				if len(bad) > 0 {
					t.Fatal(bad)
				}
				f.Limit = 25
				page, err := a.Tickets.List(as, f)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Tickets) == 0 {
					t.Errorf("%s (%s) lands on %s, which is empty", ag.Name, ag.Role, key)
				} else {
					t.Logf("%s (%s) lands on %s: %d+ tickets", ag.Name, ag.Role, key, len(page.Tickets))
				}
			}
		})
	}
}

// A seed given the report service counts its history into the rollups
// itself (in big batches), with exactly the figures a rebuild from the
// events gives, whole days and the hours at either end alike.
func TestSyntheticCountsReportRollups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		a := openApp(t, b)
		ctx := app.SystemContext(context.Background())
		now := time.Now().UTC()
		svc := services(a)
		svc.Reports = a.Reports
		if _, err := seed.Synthetic(context.Background(), svc, 3000, now); err != nil {
			t.Fatal(err)
		}
		at, err := a.DB.EventCursor(ctx, report.Consumer)
		if last, lerr := a.DB.LastEventID(ctx); err != nil || lerr != nil || at != last {
			t.Fatalf("report cursor %d, last event %d: %v %v", at, last, err, lerr)
		}
		figures := func() string {
			var out []byte
			for _, g := range []string{"", report.DimTeam, report.DimAgent, report.DimTag, report.DimChannel} {
				for _, days := range []int{1, 30, 91} {
					q := report.Query{From: now.Add(-time.Duration(days) * 24 * time.Hour), To: now.Add(time.Hour), GroupBy: g}
					rep, err := a.Reports.KPIs(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					j, _ := json.Marshal(rep)
					out = append(out, j...)
				}
			}
			return string(out)
		}
		seeded := figures()
		if !strings.Contains(seeded, `"created":3000`) {
			t.Errorf("the seed's 3,000 tickets are not counted: %.300s", seeded)
		}
		// Whole days are read from the daily buckets, a series from the
		// hourly ones: they agree.
		q := report.Query{From: now.Add(-30 * 24 * time.Hour), To: now.Add(time.Hour)}
		rep, err := a.Reports.KPIs(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		points, err := a.Reports.Series(ctx, q, report.MCreated, report.MSolved)
		if err != nil {
			t.Fatal(err)
		}
		var created, solved int64
		for _, p := range points {
			created, solved = created+p.Values[report.MCreated], solved+p.Values[report.MSolved]
		}
		if created != rep.KPIs.Created || solved != rep.KPIs.Solved || created == 0 {
			t.Errorf("hourly series %d created, %d solved; daily KPIs %d, %d", created, solved, rep.KPIs.Created, rep.KPIs.Solved)
		}
		if err := a.Reports.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		if rebuilt := figures(); rebuilt != seeded {
			t.Errorf("after a rebuild the figures differ:\n%s\n%s", seeded, rebuilt)
		}
	})
}

// seed --tickets N --messages-per-ticket 5: every thread has five messages
// in time order, each after the first with its ticket.message_added event, the
// customer and the agent writing in turn, in Hindi on Hindi tickets.
func TestSyntheticThreads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		a := openApp(t, b)
		res, err := seed.SyntheticThreads(context.Background(), services(a), 200, 5, time.Now().UTC())
		if err != nil {
			t.Fatal(err)
		}
		if n, err := a.DB.SearchCount(context.Background(), "message"); err != nil || n != 1000 || res.Messages != 1000 {
			t.Fatalf("%d messages in the database, %d said, want 1000 (%v)", n, res.Messages, err)
		}
		call := apiClient(t, a)
		hindi := 0
		for id := res.FirstID; id < res.FirstID+40; id++ {
			var tk ticket.Ticket
			if code := call("GET", fmt.Sprintf("/api/v1/tickets/%d", id), "", &tk); code != 200 {
				t.Fatalf("ticket %d: status %d", id, code)
			}
			var msgs struct {
				Messages []ticket.Message `json:"messages"`
			}
			if code := call("GET", fmt.Sprintf("/api/v1/tickets/%d/messages", id), "", &msgs); code != 200 || len(msgs.Messages) != 5 {
				t.Fatalf("ticket %d: status %d, %d messages", id, code, len(msgs.Messages))
			}
			var evs struct {
				Events []struct {
					Kind string `json:"kind"`
				} `json:"events"`
			}
			if code := call("GET", fmt.Sprintf("/api/v1/tickets/%d/events?limit=100", id), "", &evs); code != 200 {
				t.Fatalf("events of %d: status %d", id, code)
			}
			added := 0
			for _, e := range evs.Events {
				if e.Kind == event.MessageAdded {
					added++
				}
			}
			if added != 4 {
				t.Errorf("ticket %d: %d message.added events, want 4", id, added)
			}
			m := msgs.Messages
			for i := 1; i < len(m); i++ {
				if m[i].CreatedAt.Before(m[i-1].CreatedAt) {
					t.Errorf("ticket %d: message %d written before the one above it", id, i)
				}
			}
			// The assignee answers; with none, the system (as the
			// first reply of seed --tickets always did).
			if m[0].AuthorKind != desk.ActorContact || m[2].AuthorKind != desk.ActorContact ||
				(tk.StatusCategory != ticket.CategoryNew && m[3].AuthorKind == desk.ActorContact) {
				t.Errorf("ticket %d (%s): authors %s %s %s %s %s", id, tk.StatusCategory, m[0].AuthorKind, m[1].AuthorKind,
					m[2].AuthorKind, m[3].AuthorKind, m[4].AuthorKind)
			}
			if strings.ContainsAny(m[4].BodyText+m[3].BodyText, "कखगघचजटडतदनपबमयरलवसह") {
				hindi++
			}
		}
		if hindi == 0 {
			t.Error("no thread written in Hindi")
		}
	})
}
