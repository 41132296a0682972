package portal_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/csat"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var attachmentRE = regexp.MustCompile(`/portal/attachments/(\d+)`)

// A customer opens a ticket with a file on the portal: it is theirs, on
// the portal channel, with the fields the portal shows; they see it, and
// download its file.
func TestCustomerOpensATicketWithAFile(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		c := d.contact("Priya", "priya@customer.test", nil)
		shown := ticket.Field{Key: "order_number", Label: "Order number", Kind: ticket.FieldText, Required: true, Portal: true}
		hidden := ticket.Field{Key: "root_cause", Label: "Root cause", Kind: ticket.FieldText, Required: true}
		for _, f := range []ticket.Field{shown, hidden} {
			if _, err := d.tickets.CreateField(d.sys, f); err != nil {
				t.Fatal(err)
			}
		}
		b := d.browser("en")
		b.signIn("priya@customer.test")
		form := b.get("/portal/tickets/new")
		for _, want := range []string{`id="portal-subject"`, `<div id="kb-suggestions"></div>`, `name="cf_order_number"`, `href="/portal/tickets"`} {
			if !strings.Contains(form.Body, want) {
				t.Fatalf("new-ticket form lacks %s", want)
			}
		}
		if strings.Contains(form.Body, "cf_root_cause") {
			t.Fatal("the form shows a field not marked for the portal")
		}
		// The required portal field is asked for; nothing is kept.
		p := b.upload("/portal/tickets", [][2]string{{"subject", "Refund"}, {"body", "Please refund order 7."}}, map[string]string{"receipt.txt": "paid 10"})
		if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Please refund order 7.") {
			t.Fatalf("missing required field: %d", p.Status)
		}
		p = b.upload("/portal/tickets", [][2]string{{"subject", "Refund"}, {"body", "Please refund order 7."}, {"cf_order_number", "A-7"}},
			map[string]string{"receipt.txt": "paid 10"})
		if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/portal/tickets/") {
			t.Fatalf("create: %d %s", p.Status, p.Body)
		}
		id, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(p.Location, "/portal/tickets/"), "?created=1"), 10, 64)
		tk, err := d.tickets.Get(d.sys, id)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Channel != ticket.ChannelPortal || tk.Requester.ID != c.ID || tk.CustomFields["order_number"] != "A-7" {
			t.Fatalf("ticket: channel %s requester %d fields %v", tk.Channel, tk.Requester.ID, tk.CustomFields)
		}
		page := b.get(p.Location)
		if page.Status != 200 || !strings.Contains(page.Body, "Please refund order 7.") || !strings.Contains(page.Body, "receipt.txt") {
			t.Fatalf("ticket page: %d", page.Status)
		}
		m := attachmentRE.FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatal("no attachment link")
		}
		if f := b.get("/portal/attachments/" + m[1]); f.Status != 200 || f.Body != "paid 10" ||
			!strings.Contains(f.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("download: %d %q", f.Status, f.Body)
		}
	})
}

// The agent's public reply shows, the internal note never does; the
// customer's reply to a solved ticket opens it again.
func TestCustomerFollowsAndReopens(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.contact("Priya", "priya@customer.test", nil)
		tk := d.open("Printer jams", "priya@customer.test")
		agent := desk.WithActor(d.sys, desk.System)
		if _, err := d.tickets.AddMessage(agent, tk.ID, ticket.NewMessage{Body: "Please restart it."}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.tickets.AddMessage(agent, tk.ID, ticket.NewMessage{Body: "SECRET: customer is on the watch list", Internal: true,
			Attachments: nil}); err != nil {
			t.Fatal(err)
		}
		solved := ticket.CategorySolved
		if _, err := d.tickets.Update(agent, tk.ID, ticket.Patch{Status: &solved}); err != nil {
			t.Fatal(err)
		}
		b := d.browser("en")
		b.signIn("priya@customer.test")
		p := b.get("/portal/tickets/" + itoa(tk.ID))
		if !strings.Contains(p.Body, "Please restart it.") || strings.Contains(p.Body, "SECRET") {
			t.Fatalf("thread shows the public reply and hides the note? %v", p.Status)
		}
		if !strings.Contains(p.Body, "Replying opens it again") {
			t.Fatal("no word that a reply reopens a solved ticket")
		}
		r := b.upload("/portal/tickets/"+itoa(tk.ID)+"/replies", [][2]string{{"body", "Still jams."}}, map[string]string{"photo.txt": "jam"})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("reply: %d %s", r.Status, r.Body)
		}
		got, _ := d.tickets.Get(d.sys, tk.ID)
		if got.StatusCategory != ticket.CategoryOpen {
			t.Fatalf("reply to a solved ticket left it %s", got.StatusCategory)
		}
		if p := b.get("/portal/tickets/" + itoa(tk.ID)); !strings.Contains(p.Body, "Still jams.") || !strings.Contains(p.Body, "photo.txt") {
			t.Fatal("the reply is not on the page")
		}
		// An empty reply is a message on the page, not an error page.
		if r := b.upload("/portal/tickets/"+itoa(tk.ID)+"/replies", [][2]string{{"body", "  "}}, nil); r.Status != http.StatusBadRequest ||
			!strings.Contains(r.Body, `id="form-errors"`) {
			t.Fatalf("empty reply: %d", r.Status)
		}
	})
}

// Once the ticket is solved, its requester sees the survey on the ticket
// page and answers it there; a colleague who shares the ticket sees where
// it stands but cannot answer for them.
func TestCustomerAnswersTheSurveyOnTheTicketPage(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		org := d.organization("Globex", true)
		d.contact("Gita", "gita@globex.test", org)
		d.contact("Gopal", "gopal@globex.test", org)
		tk := d.open("Invoice", "gita@globex.test")
		b := d.browser("hi")
		b.signIn("gita@globex.test")
		if p := b.get("/portal/tickets/" + itoa(tk.ID)); !strings.Contains(p.Body, `id="survey-none"`) {
			t.Fatal("an unsolved ticket's page does not say a survey comes later")
		}
		solved := ticket.CategorySolved
		if _, err := d.tickets.Update(d.sys, tk.ID, ticket.Patch{Status: &solved}); err != nil {
			t.Fatal(err)
		}
		storetest.CatchUpWith(t, d.db, csat.Consumer, d.csat.Dispatch)
		p := b.get("/portal/tickets/" + itoa(tk.ID))
		if !strings.Contains(p.Body, `id="survey-form"`) || !strings.Contains(p.Body, "उत्कृष्ट") {
			t.Fatalf("no survey form in Hindi on the solved ticket: %d", p.Status)
		}
		if r := b.post("/portal/tickets/"+itoa(tk.ID)+"/satisfaction", map[string][]string{"rating": {"9"}}); r.Status != http.StatusBadRequest {
			t.Fatalf("rating 9: %d", r.Status)
		}
		b.get("/portal/tickets/" + itoa(tk.ID))
		r := b.post("/portal/tickets/"+itoa(tk.ID)+"/satisfaction", map[string][]string{"rating": {"4"}, "comment": {"जल्दी हल हुआ"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("answer: %d %s", r.Status, r.Body)
		}
		sv, err := d.csat.ForTicket(d.sys, tk.ID)
		if err != nil || sv == nil || sv.Rating == nil || *sv.Rating != 4 || sv.Comment != "जल्दी हल हुआ" {
			t.Fatalf("survey after the portal's answer: %+v %v", sv, err)
		}
		if p := b.get(r.Location); !strings.Contains(p.Body, `id="survey-answer"`) {
			t.Fatal("the answer is not shown")
		}
		colleague := d.browser("en")
		colleague.signIn("gopal@globex.test")
		if p := colleague.get("/portal/tickets/" + itoa(tk.ID)); p.Status != 200 || strings.Contains(p.Body, `id="survey-form"`) {
			t.Fatalf("a colleague may answer the requester's survey: %d", p.Status)
		}
		colleague.get("/portal/tickets")
		if r := colleague.post("/portal/tickets/"+itoa(tk.ID)+"/satisfaction", map[string][]string{"rating": {"1"}}); r.Status != http.StatusNotFound {
			t.Fatalf("a colleague's answer: %d", r.Status)
		}
	})
}

// Bad input on the portal gets a clear 4xx page, never a 500.
func TestBadInputIsAClearPage(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.contact("Priya", "priya@customer.test", nil)
		tk := d.open("Printer", "priya@customer.test")
		b := d.browser("en")
		b.signIn("priya@customer.test")
		for _, tc := range []struct {
			name, path string
			want       int
		}{
			{"ticket id not a number", "/portal/tickets/abc", http.StatusNotFound},
			{"ticket id too big", "/portal/tickets/99999999999999999999", http.StatusNotFound},
			{"ticket id negative", "/portal/tickets/-1", http.StatusNotFound},
			{"missing ticket", "/portal/tickets/424242", http.StatusNotFound},
			{"attachment id not a number", "/portal/attachments/x", http.StatusNotFound},
			{"missing attachment", "/portal/attachments/424242", http.StatusNotFound},
			{"unknown page", "/portal/admin", http.StatusNotFound},
			{"unknown language", "/portal/lang/fr", http.StatusNotFound},
			{"language back to another site", "/portal/lang/hi?back=//evil.test/", http.StatusSeeOther},
		} {
			p := b.get(tc.path)
			if p.Status != tc.want {
				t.Errorf("%s: %d, want %d", tc.name, p.Status, tc.want)
			}
			if p.Status == http.StatusSeeOther && p.Location != "/portal" {
				t.Errorf("%s: goes to %q", tc.name, p.Location)
			}
		}
		for _, tc := range []struct {
			name   string
			fields [][2]string
			want   int
		}{
			{"empty subject", [][2]string{{"subject", ""}, {"body", "x"}}, http.StatusBadRequest},
			{"10,000-character subject", [][2]string{{"subject", strings.Repeat("स", 10000)}, {"body", "x"}}, http.StatusBadRequest},
			{"empty description", [][2]string{{"subject", "Hello"}, {"body", " "}}, http.StatusBadRequest},
			{"NUL in the subject", [][2]string{{"subject", "a\x00b"}, {"body", "x"}}, http.StatusBadRequest},
			{"invalid UTF-8", [][2]string{{"subject", "a\xffb"}, {"body", "x"}}, http.StatusBadRequest},
			{"SQL in the subject", [][2]string{{"subject", "'); DROP TABLE tickets;--"}, {"body", "x"}}, http.StatusSeeOther},
			{"a field the portal does not show", [][2]string{{"subject", "Hi"}, {"body", "x"}, {"cf_secret", "1"}}, http.StatusSeeOther},
		} {
			b.get("/portal/tickets/new")
			if p := b.upload("/portal/tickets", tc.fields, nil); p.Status != tc.want {
				t.Errorf("%s: %d, want %d", tc.name, p.Status, tc.want)
			}
		}
		b.get("/portal/tickets/" + itoa(tk.ID))
		if p := b.upload("/portal/tickets/"+itoa(tk.ID)+"/replies", [][2]string{{"body", strings.Repeat("x", 2<<20)}}, nil); p.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("a 2 MB reply part: %d", p.Status)
		}
	})
}
