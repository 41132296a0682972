package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/csat"
)

// surveyLink finds the survey token in the desk's survey mail for a ticket,
// after running the survey consumer until it has read every event.
func (d *testDesk) surveyToken(t *testing.T, ticketID int64) string {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no survey mail")
		}
		if err := d.CSAT.Dispatch(ctx); err != nil {
			t.Fatal(err)
		}
		list, err := d.DB.OutboundList(ctx, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list {
			if o.Purpose != email.PurposeSurvey || o.TicketID != ticketID {
				continue
			}
			full, err := d.DB.Outbound(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			mr, err := gomail.CreateReader(strings.NewReader(string(full.Raw)))
			if err != nil {
				t.Fatal(err)
			}
			p, err := mr.NextPart() // the text part, transfer encoding undone
			if err != nil {
				t.Fatal(err)
			}
			text, _ := io.ReadAll(p.Body)
			m := regexp.MustCompile(`/survey/(csat_[A-Za-z0-9_-]+)`).FindStringSubmatch(string(text))
			if m == nil {
				t.Fatalf("no survey link in the mail:\n%s", text)
			}
			return m[1]
		}
	}
}

// A customer answers the survey of a solved ticket from the mail's link
// without signing in: the rating the link chose is selected, a missing
// rating is named, the answer is thanked for and may be changed; the agent
// sees it on the ticket page and through the API; a forged link finds
// nothing, with a way on, in the customer's language.
func TestCustomerAnswersTheSatisfactionSurvey(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"ada": goodPassword}, func(t *testing.T, d *testDesk) {
		d = d.in(t)
		d.mustCall(201, "POST", "/api/v1/mailboxes", "ada", map[string]any{"address": "help@desk.test", "name": "Help"})
		tid := d.mustCreateTicket("ada", nil).id("id")
		sat := "/api/v1/tickets/" + id(tid) + "/satisfaction"
		if got := d.mustCall(200, "GET", sat, "ada", nil); got.str("status") != csat.StatusNone {
			t.Fatalf("satisfaction of an open ticket: %s", got.Raw)
		}
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(tid), "ada", map[string]any{"status": "solved"})
		token := d.surveyToken(t, tid)
		if got := d.mustCall(200, "GET", sat, "ada", nil); got.str("status") != csat.StatusSent || got.str("mailed") != "true" {
			t.Fatalf("satisfaction once surveyed: %s", got.Raw)
		}

		customer := newBrowser(t, d.URL)
		page := customer.page("/survey/" + token + "?rating=4")
		for _, want := range []string{`value="4" checked`, "#" + id(tid), `id="back"`, `<html lang="en">`} {
			if !strings.Contains(page, want) {
				t.Fatalf("the survey page lacks %s\n%s", want, page)
			}
		}
		form := url.Values{"comment": {"Fast and kind."}}
		if res, page := customer.post("/survey/"+token, form); res.StatusCode != http.StatusBadRequest ||
			!strings.Contains(page, "choose how satisfied you are") || !strings.Contains(page, "Fast and kind.") {
			t.Fatalf("an answer without a rating: %d\n%s", res.StatusCode, page)
		}
		form.Set("rating", "4")
		res, _ := customer.post("/survey/"+token, form)
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "thanks=1") {
			t.Fatalf("an answer: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		page = customer.page(res.Header.Get("Location"))
		if !strings.Contains(page, `id="survey-thanks"`) || !strings.Contains(page, "Change my answer") {
			t.Fatalf("after answering:\n%s", page)
		}
		form.Set("rating", "5")
		if res, _ := customer.post("/survey/"+token, form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("a changed answer: %d", res.StatusCode)
		}
		got := d.mustCall(200, "GET", sat, "ada", nil)
		if got.str("status") != csat.StatusAnswered || got.str("rating") != "5" || got.str("comment") != "Fast and kind." {
			t.Fatalf("satisfaction after the answers: %s", got.Raw)
		}
		if page := d.signedIn(t, "ada").page("/tickets/" + id(tid)); !strings.Contains(page, "Rated 5 of 5 (Excellent)") {
			t.Fatal("the ticket page does not show the rating")
		}

		// In Hindi, by the page's switch; a forged link is a 404 page in the
		// browser's language with a way on.
		if page := customer.page("/survey/" + token + "?lang=hi"); !strings.Contains(page, "हमारी सेवा कैसी रही?") {
			t.Fatal("the survey page is not in Hindi")
		}
		res, page = customer.do("GET", "/survey/csat_forged", http.Header{"Accept": {"text/html"}, "Accept-Language": {"hi"}}, "")
		if res.StatusCode != http.StatusNotFound || !strings.Contains(page, "यह सर्वेक्षण लिंक मान्य नहीं है") ||
			!strings.Contains(page, `id="back"`) || strings.Contains(page, `id="survey-form"`) {
			t.Fatalf("a forged link: %d\n%s", res.StatusCode, page)
		}
		if res, _ := customer.post("/survey/csat_forged", url.Values{"rating": {"1"}}); res.StatusCode != http.StatusNotFound {
			t.Fatalf("an answer on a forged link: %d", res.StatusCode)
		}
		// The API refuses what the caller may not see.
		d.mustCall(404, "GET", "/api/v1/tickets/999999/satisfaction", "ada", nil)
	})
}
