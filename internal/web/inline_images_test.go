package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A mail's inline image shows in the thread from its attachment's URL (the
// API's body_html and the ticket page), the attachment says it is inline
// with its Content-ID, the page links every attachment for download, and
// the image is served only to those who may see the ticket.
func TestInlineImagesOnTheTicket(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "channel", "email", "testdata", "inbound", "gmail_inline_image.eml"))
	if err != nil {
		t.Fatal(err)
	}
	eachBackendWithPasswords(t, map[string]string{"tara": goodPassword}, func(t *testing.T, d *testDesk) {
		// A mailbox of the Specialists: ravi (Frontline) may not see its tickets.
		box := d.mustCall(201, "POST", "/api/v1/mailboxes", "ada", map[string]any{"address": "support@acme.test",
			"team_id": d.Teams[2].ID})
		h := http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}, "Content-Type": {"message/rfc822"}}
		res := d.send("POST", "/api/v1/mailboxes/"+id(box.id("id"))+"/inbound", h, raw)
		if res.Status != 200 || res.str("outcome") != "new_ticket" {
			t.Fatalf("inbound: %d %s", res.Status, res.Raw)
		}
		tid := id(res.id("ticket_id"))
		msgs := d.mustCall(200, "GET", "/api/v1/tickets/"+tid+"/messages", "ada", nil)
		att := "/api/v1/attachments/" + id(int64(msgs.get("messages.0.attachments.0.id").(float64)))
		assertChecks(t, msgs, []check{{"messages.0.attachments.0.inline", true},
			{"messages.0.attachments.0.content_id", "ii_lq2x8k3n0"}, {"messages.0.attachments.0.filename", "login.png"}})
		if body := msgs.str("messages.0.body_html"); !strings.Contains(body, `src="`+att+`"`) || strings.Contains(body, "cid:") {
			t.Errorf("body_html: %s", body)
		}
		if r := d.call("GET", att, "ada", nil); r.Status != 200 || r.Header.Get("Content-Type") != "image/png" {
			t.Errorf("image as an admin: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		if r := d.call("GET", att, "ravi", nil); r.Status != 404 {
			t.Errorf("image as an agent outside the team: %d", r.Status)
		}
		page := d.signedIn(t, "tara").page("/tickets/" + tid)
		if !strings.Contains(page, `<img src="`+att+`"`) || !strings.Contains(page, `<a href="`+att+`">login.png</a>`) {
			t.Errorf("ticket page does not show or link the image:\n%s", page)
		}
	})
}
