package portal_test

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// shows reports whether a page shows text (as HTML escapes it).
func shows(body, text string) bool { return strings.Contains(body, html.EscapeString(text)) }

// attach adds a message with a file to a ticket as the desk, answering
// the attachment's id.
func (d *testDesk) attach(tk *ticket.Ticket, body, content string, internal bool) int64 {
	d.t.Helper()
	digest, size, err := d.blobs.Put(strings.NewReader(content), 1<<20)
	if err != nil {
		d.t.Fatal(err)
	}
	m, err := d.tickets.AddMessage(d.sys, tk.ID, ticket.NewMessage{Body: body, Internal: internal,
		Attachments: []ticket.Attachment{{Filename: "file.txt", ContentType: "text/plain", Size: size, SHA256: digest}}})
	if err != nil {
		d.t.Fatal(err)
	}
	return m.Attachments[0].ID
}

// Across organizations, and inside one that does not share, a customer
// sees only their own tickets and files: not in the list, not by id, not
// by file id, not by replying or rating. An organization that shares shows
// its contacts each other's tickets, and still nobody else's.
func TestCustomersSeeOnlyWhatIsTheirs(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		acme := d.organization("Acme", false)
		globex := d.organization("Globex", true)
		d.contact("Asha", "asha@acme.test", acme)
		d.contact("Arjun", "arjun@acme.test", acme)
		d.contact("Gita", "gita@globex.test", globex)
		d.contact("Gopal", "gopal@globex.test", globex)
		d.contact("Lone", "lone@nowhere.test", nil)
		own := d.open("Asha's laptop", "asha@acme.test")
		colleague := d.open("Arjun's salary slip", "arjun@acme.test")
		foreign := d.open("Gita's contract", "gita@globex.test")
		shared := d.open("Gopal's invoice", "gopal@globex.test")
		lone := d.open("Lone's order", "lone@nowhere.test")
		ownFile := d.attach(own, "Here is your file", "own file", false)
		noteFile := d.attach(own, "internal: do not show", "note file", true)
		colleagueFile := d.attach(colleague, "slip", "colleague file", false)
		foreignFile := d.attach(foreign, "contract", "foreign file", false)
		sharedFile := d.attach(shared, "invoice", "shared file", false)

		type visit struct {
			tk   *ticket.Ticket
			file int64
		}
		for _, tc := range []struct {
			who     string
			sees    []visit
			notSees []visit
		}{
			{"asha@acme.test", []visit{{own, ownFile}},
				[]visit{{colleague, colleagueFile}, {foreign, foreignFile}, {shared, sharedFile}, {lone, 0}, {own, noteFile}}},
			{"gita@globex.test", []visit{{foreign, foreignFile}, {shared, sharedFile}},
				[]visit{{own, ownFile}, {colleague, colleagueFile}, {lone, 0}, {own, noteFile}}},
			{"lone@nowhere.test", []visit{{lone, 0}},
				[]visit{{own, ownFile}, {colleague, colleagueFile}, {foreign, foreignFile}, {shared, sharedFile}}},
		} {
			b := d.browser("en")
			b.signIn(tc.who)
			list := b.get("/portal/tickets")
			for _, v := range tc.sees {
				if !shows(list.Body, v.tk.Subject) {
					t.Errorf("%s does not see %q in the list", tc.who, v.tk.Subject)
				}
				if p := b.get("/portal/tickets/" + itoa(v.tk.ID)); p.Status != 200 {
					t.Errorf("%s opens %q: %d", tc.who, v.tk.Subject, p.Status)
				}
				if v.file != 0 {
					if p := b.get("/portal/attachments/" + itoa(v.file)); p.Status != 200 {
						t.Errorf("%s downloads the file of %q: %d", tc.who, v.tk.Subject, p.Status)
					}
				}
			}
			for _, v := range tc.notSees {
				if v.file != noteFile && shows(list.Body, v.tk.Subject) {
					t.Errorf("%s sees %q in the list", tc.who, v.tk.Subject)
				}
				if v.file != noteFile {
					p := b.get("/portal/tickets/" + itoa(v.tk.ID))
					if p.Status != http.StatusNotFound || shows(p.Body, v.tk.Subject) {
						t.Errorf("%s opens %q by id: %d", tc.who, v.tk.Subject, p.Status)
					}
					b.get("/portal/tickets") // a page with a form, for its CSRF value
					r := b.upload("/portal/tickets/"+itoa(v.tk.ID)+"/replies", [][2]string{{"body", "let me in"}}, nil)
					if r.Status != http.StatusNotFound {
						t.Errorf("%s replies to %q: %d", tc.who, v.tk.Subject, r.Status)
					}
					b.get("/portal/tickets")
					if r := b.post("/portal/tickets/"+itoa(v.tk.ID)+"/satisfaction", map[string][]string{"rating": {"1"}}); r.Status != http.StatusNotFound {
						t.Errorf("%s rates %q: %d", tc.who, v.tk.Subject, r.Status)
					}
				}
				if v.file != 0 {
					if p := b.get("/portal/attachments/" + itoa(v.file)); p.Status != http.StatusNotFound || strings.Contains(p.Body, "file") && p.Status == 200 {
						t.Errorf("%s downloads file %d of %q: %d", tc.who, v.file, v.tk.Subject, p.Status)
					}
				}
			}
			// The internal note is on Asha's ticket, and never shown to her.
			if tc.who == "asha@acme.test" {
				if p := b.get("/portal/tickets/" + itoa(own.ID)); strings.Contains(p.Body, "do not show") {
					t.Error("an internal note shows on the portal")
				}
			}
		}
		for _, v := range []*ticket.Ticket{colleague, foreign, shared, lone} {
			msgs, err := d.tickets.Messages(d.sys, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if strings.Contains(m.BodyText, "let me in") {
					t.Fatalf("a stranger's reply reached %q", v.Subject)
				}
			}
		}

		// Turning sharing on for Acme shows Asha her colleague's ticket at
		// once; off again, it is gone.
		b := d.browser("en")
		b.signIn("asha@acme.test")
		share := func(on bool) {
			o, err := d.people.Organization(d.sys, acme.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.people.UpdateOrganization(d.sys, o.ID, people.OrganizationInput{PortalSharesTickets: &on}); err != nil {
				t.Fatal(err)
			}
		}
		share(true)
		if p := b.get("/portal/tickets"); !shows(p.Body, colleague.Subject) || shows(p.Body, foreign.Subject) {
			t.Error("with sharing on, Asha does not see exactly her organization's tickets")
		}
		if p := b.get("/portal/tickets/" + itoa(colleague.ID)); p.Status != 200 {
			t.Errorf("with sharing on, Asha cannot open her colleague's ticket: %d", p.Status)
		}
		share(false)
		if p := b.get("/portal/tickets/" + itoa(colleague.ID)); p.Status != http.StatusNotFound {
			t.Errorf("with sharing off again, Asha opens her colleague's ticket: %d", p.Status)
		}
	})
}
