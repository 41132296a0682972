package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/ticket"
)

// postMultipart submits form values and files (name → content) as the
// composer does: the csrf field first, then the others, then the files.
func (b *browser) postMultipart(path string, form url.Values, files map[string]string) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", form.Get("csrf"))
	for k, vs := range form {
		if k == "csrf" {
			continue
		}
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for name, content := range files {
		w, _ := mw.CreateFormFile("files", name)
		_, _ = w.Write([]byte(content))
	}
	_ = mw.Close()
	return b.do("POST", path, http.Header{"Accept": {"text/html"}, "Content-Type": {mw.FormDataContentType()}}, buf.String())
}

// mustRedirect fails unless the answer is a 303 and returns where it leads.
func mustRedirect(t *testing.T, submit func() (*http.Response, string)) string {
	t.Helper()
	res, page := submit()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303\n%s", res.StatusCode, page)
	}
	return res.Header.Get("Location")
}

func TestTicketPageComposer(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"lena": goodPassword}, func(t *testing.T, d *testDesk) {
		lena := d.signedIn(t, "lena")
		n := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[1].ID}).id("id")
		tid := id(n)

		t.Run("send and set status: one request, reply, files and status in one step", func(t *testing.T) {
			page := lena.page("/tickets/" + tid)
			for _, want := range []string{`enctype="multipart/form-data"`, `name="status" value="pending"`,
				`name="status" value="on_hold"`, `name="status" value="solved"`, `data-label-note="Add note"`} {
				if !strings.Contains(page, want) {
					t.Errorf("the composer lacks %s", want)
				}
			}
			form := formFields(t, page, "composer")
			form.Set("body", "Here is the log you asked for.")
			form.Set("status", "pending")
			to := mustRedirect(t, func() (*http.Response, string) {
				return lena.postMultipart("/tickets/"+tid+"/messages", form, map[string]string{"printer.log": "paper jam"})
			})
			if !strings.HasPrefix(to, "/tickets/"+tid+"#m") {
				t.Errorf("redirect to %q", to)
			}
			got := d.ticket(n)
			assertChecks(t, got, []check{{"status", "pending"}, {"status_category", "pending"}})
			msgs := d.mustCall(200, "GET", "/api/v1/tickets/"+tid+"/messages", "ada", nil)
			last := msgs.get("messages." + id(int64(msgs.get("messages.#").(int)-1)))
			m, _ := last.(map[string]any)
			if m["body"] != "Here is the log you asked for." || lookup(m, "attachments.0.filename") != "printer.log" {
				t.Errorf("the reply with its file: %v", m)
			}
			// The message and the status change are one transaction: their
			// events share a time and follow each other.
			evs, err := d.Tickets.Events(system(), n)
			if err != nil {
				t.Fatal(err)
			}
			var msg, status *event.Event
			for i := range evs {
				switch {
				case evs[i].Kind == event.MessageAdded:
					msg = &evs[i]
				case evs[i].Kind == event.FieldChanged && strings.Contains(string(evs[i].Data), `"field":"status"`):
					status = &evs[i]
				}
			}
			if msg == nil || status == nil || !msg.CreatedAt.Equal(status.CreatedAt) || status.ID < msg.ID {
				t.Errorf("the reply and its status change are not one step: %v", kinds(evs))
			}
			next := lena.page(to)
			if !strings.Contains(next, "Reply sent; status set to Pending.") {
				t.Errorf("no success message after send-and-set-status:\n%s", flashOf(next))
			}
			if again := lena.page("/tickets/" + tid); strings.Contains(again, `id="flash"`) {
				t.Errorf("the success message shows twice")
			}
		})

		t.Run("a note is added, not sent", func(t *testing.T) {
			form := formFields(t, lena.page("/tickets/"+tid), "composer")
			form.Set("internal", "true")
			form.Set("body", "Customer is on the enterprise plan.")
			form.Del("status")
			to := mustRedirect(t, func() (*http.Response, string) {
				return lena.postMultipart("/tickets/"+tid+"/messages", form, nil)
			})
			if page := lena.page(to); !strings.Contains(page, "Note added.") {
				t.Errorf("no note message: %s", flashOf(page))
			}
		})

		t.Run("a refused reply keeps the text and says nothing was saved", func(t *testing.T) {
			form := formFields(t, lena.page("/tickets/"+tid), "composer")
			form.Set("body", "Setting it back to new")
			form.Set("status", "new")
			res, page := lena.postMultipart("/tickets/"+tid+"/messages", form, nil)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Not saved.") ||
				!strings.Contains(page, "Setting it back to new</textarea>") {
				t.Errorf("refused status: %d\n%s", res.StatusCode, flashOf(page))
			}
		})

		t.Run("properties save says so", func(t *testing.T) {
			form := formFields(t, lena.page("/tickets/"+tid), "properties")
			form.Set("priority", "high")
			to := mustRedirect(t, func() (*http.Response, string) { return lena.post("/tickets/"+tid, form) })
			if page := lena.page(to); !strings.Contains(page, "Changes saved.") {
				t.Errorf("no saved message: %s", flashOf(page))
			}
		})

		t.Run("the status travels through the JSON API too", func(t *testing.T) {
			d.mustCall(201, "POST", "/api/v1/tickets/"+tid+"/messages", "lena", map[string]any{"body": "Solved, I think.", "status": "solved"})
			assertChecks(t, d.ticket(n), []check{{"status", "solved"}})
			r := d.call("POST", "/api/v1/tickets/"+tid+"/messages", "asha", map[string]any{"body": "x", "status": "pending"})
			if r.Status != http.StatusForbidden {
				t.Errorf("a status from someone without tickets:update: %d\n%s", r.Status, r.Raw)
			}
		})
	})
}

func kinds(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

var flashRe = regexp.MustCompile(`(?s)<p id="flash"[^>]*>.*?</p>`)

func flashOf(page string) string { return flashRe.FindString(page) }

func TestTicketPageCustomerContextAndHistory(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"lena": goodPassword}, func(t *testing.T, d *testDesk) {
		lena := d.signedIn(t, "lena")
		d.mustCall(201, "POST", "/api/v1/organizations", "ada", map[string]any{"name": "Kavya Traders", "domains": []string{"customer.test"}})
		d.mustCall(201, "POST", "/api/v1/fields", "ada", map[string]any{"key": "order_no", "label": "Order number", "kind": "text"})
		// The customer writes in (the system carries the mail in).
		in, err := d.Tickets.Create(system(), ticket.NewTicket{Subject: "Invoice missing", Body: "Where is it?", Channel: "email",
			Requester: ticket.Person{Email: "kavya@customer.test", Name: "Kavya"}, CustomFields: map[string]any{"order_no": "A-77"}})
		if err != nil {
			t.Fatal(err)
		}
		other := d.mustCreateTicket("ada", map[string]any{"subject": "Printer again"}).id("id")
		done := d.mustCreateTicket("ada", map[string]any{"subject": "Old question"}).id("id")
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(done), "ada", map[string]any{"status": "solved"})

		page := lena.page("/tickets/" + id(in.ID))
		for _, want := range []string{`id="customer"`, ">Kavya Traders</a>", `href="/tickets/` + id(other) + `"`,
			"Printer again", "Old question", "Order number", "A-77", `data-slot="account"`,
			"Kavya created the ticket"} {
			if !strings.Contains(page, want) {
				t.Errorf("the ticket page lacks %q", want)
			}
		}
		if strings.Contains(page, "Sahayak created the ticket") {
			t.Errorf("the history names Sahayak for the customer's ticket")
		}
		if page := lena.page("/tickets/" + id(other)); !strings.Contains(page, "Ada created the ticket for Kavya") {
			t.Errorf("an agent's ticket for a customer is not told so")
		}
	})
}

func TestTicketPageEscalationAndMerge(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"lena": goodPassword, "ravi": goodPassword, "tara": goodPassword}, func(t *testing.T, d *testDesk) {
		ravi, tara := d.signedIn(t, "ravi"), d.signedIn(t, "tara")
		front, spec, eng := d.Teams[1], d.Teams[2], d.Teams[3]

		t.Run("the lists offer only teams valid for each direction", func(t *testing.T) {
			n := d.mustCreateTicket("ada", map[string]any{"team_id": spec.ID}).id("id")
			page := tara.page("/tickets/" + id(n))
			escForm := between(page, `id="escalate"`, "</form>")
			downForm := between(page, `id="deescalate"`, "</form>")
			if !strings.Contains(escForm, "Engineering") || strings.Contains(escForm, "Frontline") || strings.Contains(escForm, "Specialists") {
				t.Errorf("escalate offers:\n%s", escForm)
			}
			if !strings.Contains(downForm, "Frontline") || strings.Contains(downForm, "Engineering") {
				t.Errorf("de-escalate offers:\n%s", downForm)
			}
			if !strings.Contains(escForm, `required`) || !strings.Contains(escForm, `class="req"`) {
				t.Errorf("required fields are not marked")
			}
			form := formFields(t, page, "deescalate")
			form.Set("team_id", id(front.ID))
			form.Set("reason", "Frontline can answer this")
			to := mustRedirect(t, func() (*http.Response, string) { return tara.post("/tickets/"+id(n)+"/deescalate", form) })
			assertChecks(t, d.ticket(n), []check{{"team_id", front.ID}})
			if p := tara.page(to); !strings.Contains(p, "De-escalated to Frontline.") {
				t.Errorf("no de-escalation message: %s", flashOf(p))
			}
		})

		t.Run("escalating out of one's sight leads back to the view, with a message", func(t *testing.T) {
			n := d.mustCreateTicket("ada", map[string]any{"team_id": front.ID}).id("id")
			form := formFields(t, ravi.page("/tickets/"+id(n)), "escalate")
			form.Set("team_id", id(spec.ID))
			form.Set("reason", "Needs a specialist")
			to := mustRedirect(t, func() (*http.Response, string) { return ravi.post("/tickets/"+id(n)+"/escalate", form) })
			if to != "/tickets" {
				t.Fatalf("redirect to %q, want the agent's view", to)
			}
			res, page := ravi.do("GET", to, htmlHeaders, "")
			if res.StatusCode != 200 || !strings.Contains(page, "is outside your teams now") {
				t.Errorf("the view after losing access: %d %s", res.StatusCode, flashOf(page))
			}
			evs, _ := d.Tickets.Events(system(), n)
			found := false
			for _, e := range evs {
				found = found || (e.Kind == event.Escalated && strings.Contains(string(e.Data), `"actor_lost_access":true`))
			}
			if !found {
				t.Errorf("the escalation event does not say its agent lost access")
			}
		})

		t.Run("a stale escalation form is refused, naming who moved the ticket", func(t *testing.T) {
			n := d.mustCreateTicket("ada", map[string]any{"team_id": front.ID}).id("id")
			form := formFields(t, tara.page("/tickets/"+id(n)), "escalate")
			d.mustCall(200, "POST", "/api/v1/tickets/"+id(n)+"/escalate", "lena", map[string]any{"team_id": spec.ID, "reason": "specialist"})
			form.Set("team_id", id(eng.ID))
			form.Set("reason", "engineering")
			res, page := tara.post("/tickets/"+id(n)+"/escalate", form)
			if res.StatusCode != http.StatusConflict || !strings.Contains(page, "Lena") || !strings.Contains(page, "Specialists") {
				t.Fatalf("stale escalation: %d\n%s", res.StatusCode, between(page, `id="conflict"`, "</div>"))
			}
			assertChecks(t, d.ticket(n), []check{{"team_id", spec.ID}})
		})

		t.Run("merge asks to confirm with both tickets, then leaves a ticket without dead actions", func(t *testing.T) {
			src := d.mustCreateTicket("ada", map[string]any{"subject": "Cannot log in"}).id("id")
			dst := d.mustCreateTicket("ada", map[string]any{"subject": "Login broken since Monday"}).id("id")
			page := tara.page("/tickets/" + id(src))
			if !strings.Contains(between(page, `<datalist id="merge-candidates">`, "</datalist>"), "#"+id(dst)+" Login broken since Monday") {
				t.Errorf("the merge picker does not suggest the requester's other ticket")
			}
			form := formFields(t, page, "merge")
			form.Set("into", "#"+id(dst)+" Login broken since Monday")
			res, confirm := tara.post("/tickets/"+id(src)+"/merge", form)
			if res.StatusCode != 200 || !strings.Contains(confirm, `id="merge-confirm"`) ||
				!strings.Contains(confirm, "Cannot log in") || !strings.Contains(confirm, "Login broken since Monday") {
				t.Fatalf("no confirmation: %d", res.StatusCode)
			}
			assertChecks(t, d.ticket(src), []check{{"merged_into_id", nil}})
			to := mustRedirect(t, func() (*http.Response, string) {
				return tara.post("/tickets/"+id(src)+"/merge", formFields(t, confirm, "merge-confirm-form"))
			})
			if to != "/tickets/"+id(dst) {
				t.Errorf("after merging: %q", to)
			}
			if p := tara.page(to); !strings.Contains(p, "was merged into this ticket") {
				t.Errorf("no merge message: %s", flashOf(p))
			}
			merged := tara.page("/tickets/" + id(src))
			if !strings.Contains(merged, `id="merged-banner"`) || !strings.Contains(merged, `href="/tickets/`+id(dst)+`"`) {
				t.Errorf("the merged ticket does not say where it went")
			}
			for _, dead := range []string{`id="composer"`, `id="escalate"`, `id="merge"`, `action="/tickets/` + id(src) + `/follow"`, ">Save</button>"} {
				if strings.Contains(merged, dead) {
					t.Errorf("the merged ticket still offers %s", dead)
				}
			}
		})
	})
}

func TestAssigneePickerFollowsTeamWithLoad(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"lena": goodPassword}, func(t *testing.T, d *testDesk) {
		lena := d.signedIn(t, "lena")
		for range 2 {
			d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[1].ID, "assignee_id": d.Agents["ravi"].ID})
		}
		n := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[1].ID}).id("id")
		picker := between(lena.page("/tickets/"+id(n)), `data-assignee-picker`, "</select>")
		ravi := regexp.MustCompile(`<option value="` + id(d.Agents["ravi"].ID) + `" data-teams="([^"]*)"([^>]*)>([^<]*)<`).FindStringSubmatch(picker)
		if ravi == nil || ravi[1] != id(d.Teams[1].ID) || strings.Contains(ravi[2], "hidden") || ravi[3] != "Ravi (2 open)" {
			t.Errorf("Ravi in the picker: %q", ravi)
		}
		meera := regexp.MustCompile(`<option value="` + id(d.Agents["meera"].ID) + `"[^>]*>`).FindString(picker)
		if !strings.Contains(meera, "hidden") {
			t.Errorf("Meera, outside the ticket's team, is offered: %q", meera)
		}
	})
}

// between returns the part of s from the first from to the next to.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

// The agent admin form sets the agent's teams, in the agent's transaction.
func TestAgentFormSetsTeams(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"ada": goodPassword}, func(t *testing.T, d *testDesk) {
		ada := d.signedIn(t, "ada")
		meera := d.Agents["meera"]
		form := formFields(t, ada.page("/admin/agents"), "agent-"+id(meera.ID))
		if got := form["team_ids"]; len(got) != 1 || got[0] != id(d.Teams[2].ID) {
			t.Fatalf("the form shows Meera's teams as %v", got)
		}
		form["team_ids"] = []string{id(d.Teams[1].ID), id(d.Teams[3].ID)}
		mustRedirect(t, func() (*http.Response, string) { return ada.post("/admin/agents/"+id(meera.ID), form) })
		got := d.mustCall(200, "GET", "/api/v1/agents/"+id(meera.ID), "ada", nil).str("team_ids")
		if want := []int64{d.Teams[1].ID, d.Teams[3].ID}; got != fmt.Sprint([]int64{min(want[0], want[1]), max(want[0], want[1])}) {
			t.Errorf("Meera's teams: %s", got)
		}
		assertChecks(t, d.mustCall(200, "GET", "/api/v1/teams/"+id(d.Teams[2].ID), "ada", nil), []check{{"member_ids.#", 1}})

		// A team's lead cannot be taken out of it here.
		tara := d.Agents["tara"]
		form = formFields(t, ada.page("/admin/agents"), "agent-"+id(tara.ID))
		form.Del("team_ids")
		res, page := ada.post("/admin/agents/"+id(tara.ID), form)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "leads Specialists") {
			t.Errorf("taking a lead out of their team: %d", res.StatusCode)
		}
	})
}

// The assignee on a stale properties form: a colleague's assignment is kept
// when this agent changed something else, and named when both assigned.
func TestStaleFormAssignee(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"lena": goodPassword}, func(t *testing.T, d *testDesk) {
		lena := d.signedIn(t, "lena")
		ravi, me := d.Agents["ravi"].ID, d.Agents["lena"].ID
		n := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[1].ID, "status": "open"}).id("id")
		form := formFields(t, lena.page("/tickets/"+id(n)), "properties")
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(n), "tara", map[string]any{"assignee_id": ravi})
		form.Set("status", "pending")
		mustRedirect(t, func() (*http.Response, string) { return lena.post("/tickets/"+id(n), form) })
		assertChecks(t, d.ticket(n), []check{{"assignee_id", ravi}, {"status", "pending"}})

		form = formFields(t, lena.page("/tickets/"+id(n)), "properties")
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(n), "tara", map[string]any{"assignee_id": nil})
		form.Set("assignee_id", id(me))
		res, page := lena.post("/tickets/"+id(n), form)
		if res.StatusCode != http.StatusConflict || !strings.Contains(between(page, `id="conflict"`, "</div>"), "Tara") {
			t.Fatalf("both assigned: %d\n%s", res.StatusCode, between(page, `id="conflict"`, "</div>"))
		}
		assertChecks(t, d.ticket(n), []check{{"assignee_id", nil}})
	})
}
