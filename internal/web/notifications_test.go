package web_test

import (
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/notify"
)

// Notifications read as sentences in the agent's language with who did
// what on which ticket, and lead where the agent can go: the ticket, or
// their own view once the ticket is out of their sight.
func TestNotificationSentences(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tier1, tier2 := d.Teams[1].ID, d.Teams[2].ID
		ravi := d.Agents["ravi"].ID
		tk := d.mustCreateTicket("ada", map[string]any{"subject": "Please add dark mode", "team_id": tier1}).id("id")
		ev := d.mustCall(200, "GET", "/api/v1/tickets/"+id(tk)+"/events", "ada", nil).id("events.0.id")
		add := func(kind, body string) {
			if _, err := d.DB.AddNotification(system(), &notify.Notification{AgentID: ravi, Kind: kind, TicketID: tk, EventID: ev,
				Body: body, CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		add(notify.KindAssigned, "")
		r := d.mustCall(200, "GET", "/api/v1/notifications", "ravi", nil)
		assertChecks(t, r, []check{{"notifications.0.text", "Ada assigned you #" + id(tk) + " Please add dark mode"},
			{"notifications.0.url", "/tickets/" + id(tk)}})

		speakHindi(t, d, "ravi")
		r = d.mustCall(200, "GET", "/api/v1/notifications", "ravi", nil)
		assertChecks(t, r, []check{{"notifications.0.text", "Ada ने आपको #" + id(tk) + " Please add dark mode सौंपा"}})

		// Escalated away: ravi no longer sees the ticket, so neither its
		// subject nor a link that would be a 404.
		d.mustCall(200, "POST", "/api/v1/tickets/"+id(tk)+"/escalate", "ada", map[string]any{"team_id": tier2, "reason": "needs a specialist"})
		add(notify.KindMentioned, "")
		r = d.mustCall(200, "GET", "/api/v1/notifications", "ravi", nil)
		assertChecks(t, r, []check{{"notifications.0.text", "Ada ने #" + id(tk) + " (अब आपकी कतारों में नहीं) पर आपका ज़िक्र किया"},
			{"notifications.0.url", "/tickets?view=mine"}, {"notifications.1.url", "/tickets?view=mine"}})
	})
}
