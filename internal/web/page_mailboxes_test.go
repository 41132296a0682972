package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// An admin manages mailboxes on their page, in both languages: reached from
// the navigation, a password set and never shown, kept when the field is left
// empty, a refused form shown again with its reason, a stale form refused,
// and a way back.
func TestAdminManagesMailboxesOnThePage(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ada": goodPassword})
	session, csrf, _, err := d.Access.SignIn(system(), "ada@desk.test", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, d.URL)
	b.jar["sahayak_session"] = &http.Cookie{Name: "sahayak_session", Value: session}
	html := http.Header{"Accept": {"text/html"}}
	post := func(path string, form url.Values) (*http.Response, string) {
		return b.do("POST", path, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}}, form.Encode())
	}
	if _, page := b.do("GET", "/tickets", html, ""); !strings.Contains(page, `href="/admin/mailboxes"`) {
		t.Fatal("the navigation has no link to the mailboxes page")
	}
	form := url.Values{"address": {"help@acme.test"}, "name": {"Acme Help"}, "team_id": {"0"}, "signature": {"Acme"},
		"imap_host": {"imap.acme.test"}, "imap_port": {"993"}, "imap_security": {"tls"}, "imap_username": {"help"},
		"imap_password": {"hunter2-imap"}, "imap_folder": {"INBOX"}, "smtp_host": {""}, "smtp_port": {""},
		"smtp_security": {"starttls"}, "smtp_username": {""}, "smtp_password": {""}}
	if res, _ := post("/admin/mailboxes", form); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a form without its CSRF value: %d, want 403", res.StatusCode)
	}
	form.Set("csrf", csrf)
	if res, page := post("/admin/mailboxes", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", res.StatusCode, page)
	}
	boxes, err := d.DB.Mailboxes(context.Background())
	if err != nil || len(boxes) != 1 || boxes[0].IMAP.Password != "hunter2-imap" {
		t.Fatalf("mailboxes after the form: %v %v", boxes, err)
	}
	m := boxes[0]
	_, page := b.do("GET", "/admin/mailboxes", html, "")
	if strings.Contains(page, "hunter2") || !strings.Contains(page, "help@acme.test") || !strings.Contains(page, `id="back"`) {
		t.Fatal("the page shows a password, not the mailbox, or no way back")
	}

	// Saved with the password field empty: the password stays.
	edit := url.Values{"csrf": {csrf}, "version": {id(m.Version)}, "address": {"help@acme.test"}, "name": {"Acme Care"},
		"imap_password": {""}, "imap_host": {"imap.acme.test"}}
	if res, page := post("/admin/mailboxes/"+id(m.ID), edit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", res.StatusCode, page)
	}
	if got, _ := d.DB.Mailbox(context.Background(), m.ID); got.Name != "Acme Care" || got.IMAP.Password != "hunter2-imap" {
		t.Fatalf("after the edit: %+v", got)
	}
	// The same (now stale) form again is refused; a bad port is named.
	edit.Set("name", "Old tab")
	if res, page := post("/admin/mailboxes/"+id(m.ID), edit); res.StatusCode != http.StatusPreconditionFailed ||
		!strings.Contains(page, "class=\"errors") && !strings.Contains(page, "error") {
		t.Fatalf("stale edit: %d", res.StatusCode)
	}
	bad := url.Values{"csrf": {csrf}, "address": {"not-an-address"}, "imap_port": {"99999"}}
	res, page := post("/admin/mailboxes", bad)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "must be a port number") ||
		!strings.Contains(page, `value="not-an-address"`) {
		t.Fatalf("bad form: %d\n%s", res.StatusCode, page)
	}
	// In Hindi.
	hi := "hi"
	if _, err := d.People.UpdateAgent(system(), d.Agents["ada"].ID, people.AgentInput{Language: &hi}, nil); err != nil {
		t.Fatal(err)
	}
	if _, page := b.do("GET", "/admin/mailboxes", html, ""); !strings.Contains(page, "मेलबॉक्स") || !strings.Contains(page, "टिकटों पर वापस") {
		t.Fatal("the page is not in Hindi")
	}
	if res, _ := post("/admin/mailboxes/"+id(m.ID)+"/delete", url.Values{"csrf": {csrf}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
}
