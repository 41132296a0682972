package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/training"
)

// notificationOut is a notification as the API answers it: the stored
// fields, a sentence that says it in the agent's language ("Asha replied
// on #1998 Please add dark mode") and where it leads.
type notificationOut struct {
	ID        int64      `json:"id"`
	AgentID   int64      `json:"agent_id"`
	Kind      string     `json:"kind"`
	TicketID  int64      `json:"ticket_id"`
	EventID   int64      `json:"event_id"`
	Body      string     `json:"body"`
	ReadAt    *time.Time `json:"read_at"`
	CreatedAt time.Time  `json:"created_at"`
	Text      string     `json:"text"`
	URL       string     `json:"url"`
}

// describeNotifications says each notification as a sentence. A ticket is
// named by its subject only while the agent may still see it; one they can
// no longer see (escalated to another team) leads to their own view, not
// to a 404. Tickets and names are read once each per list.
func (s *Server) describeNotifications(r *http.Request, list []*notify.Notification) []notificationOut {
	ctx := r.Context()
	lang := s.lang(r)
	tickets := map[int64]*ticket.Ticket{}
	names := map[string]string{}
	who := func(n *notify.Notification, t *ticket.Ticket) string {
		key := n.ActorKind + ":" + id64(n.ActorID)
		if name, ok := names[key]; ok {
			return name
		}
		name := s.tr(r, "notif.someone")
		switch n.ActorKind {
		case desk.ActorAgent:
			if a, err := s.People.Agent(ctx, n.ActorID); err == nil {
				name = a.Name
			}
		case desk.ActorContact:
			if t != nil && t.Requester.Name != "" && t.Requester.ID == n.ActorID {
				name = t.Requester.Name
			} else if c, err := s.People.Contact(ctx, n.ActorID); err == nil {
				name = c.Name
			}
		case desk.ActorSystem:
			name = s.tr(r, "app.name")
		}
		names[key] = name
		return name
	}
	out := make([]notificationOut, 0, len(list))
	for _, n := range list {
		o := notificationOut{ID: n.ID, AgentID: n.AgentID, Kind: n.Kind, TicketID: n.TicketID, EventID: n.EventID, Body: n.Body,
			ReadAt: n.ReadAt, CreatedAt: n.CreatedAt}
		if n.Kind == notify.KindAccountAtRisk || n.Kind == notify.KindCheckinDue {
			var b struct {
				OrganizationID int64  `json:"organization_id"`
				Name           string `json:"name"`
				Score          int    `json:"score"`
			}
			_ = json.Unmarshal([]byte(n.Body), &b)
			o.Text, o.URL = s.Catalog.T(lang, "notif.text."+n.Kind, b.Name, b.Score), "/organizations/"+id64(b.OrganizationID)
			if n.Kind == notify.KindCheckinDue {
				o.Text = s.Catalog.T(lang, "notif.text.checkin_due", b.Name)
			}
			out = append(out, o)
			continue
		}
		if n.Kind == notify.KindGoalOffTrack {
			var b struct {
				Metric string `json:"metric"`
			}
			_ = json.Unmarshal([]byte(n.Body), &b)
			o.Text, o.URL = s.Catalog.T(lang, "notif.text.goal_off_track", s.Catalog.T(lang, report.GoalMetricWords[b.Metric])), "/reports#goals"
			out = append(out, o)
			continue
		}
		if tn, ok := trainingNotices[n.Kind]; ok {
			o.Text, o.URL = s.Catalog.T(lang, tn.key, who(n, nil)), tn.path+n.Body
			out = append(out, o)
			continue
		}
		if strings.HasPrefix(n.Kind, "coaching_") {
			var b quality.CoachingBody
			_ = json.Unmarshal([]byte(n.Body), &b)
			key := "notif.text." + n.Kind
			if !s.Catalog.Has(key) {
				key = "notif.text.coaching_session"
			}
			o.Text, o.URL = s.Catalog.T(lang, key, b.Title), "/coaching/"+id64(b.SessionID)
			out = append(out, o)
			continue
		}
		if n.TicketID == 0 {
			o.Text, o.URL = s.Catalog.T(lang, "notif.text."+n.Kind, n.Body), "/admin/webhooks"
			out = append(out, o)
			continue
		}
		t, seen := tickets[n.TicketID]
		if !seen {
			t, _ = s.Tickets.Get(ctx, n.TicketID) // nil: gone from the agent's sight
			tickets[n.TicketID] = t
		}
		ref := "#" + id64(n.TicketID)
		o.URL = "/tickets/" + id64(n.TicketID)
		if t != nil {
			ref += " " + t.Subject
		} else {
			ref = s.Catalog.T(lang, "notif.out_of_sight", n.TicketID)
			o.URL = "/tickets?view=mine"
		}
		key := "notif.text." + n.Kind
		if !s.Catalog.Has(key) {
			key = "notif.text.other"
		}
		o.Text = s.Catalog.T(lang, key, who(n, t), ref)
		if strings.HasPrefix(n.Kind, "qa_") && t != nil {
			o.URL = "/reviews/" + n.Body // the review's id
			if n.Kind == "qa_calibration_invited" {
				o.URL = "/calibrations/" + n.Body
			}
		}
		if n.Kind == notify.KindEscalated && n.Body != "" {
			o.Text = s.Catalog.T(lang, "notif.text.escalated_reason", who(n, t), ref, n.Body)
		}
		out = append(out, o)
	}
	return out
}

// trainingNotices are the notifications of training and performance
// reviews: no ticket; the body is the assignment's or review's id.
var trainingNotices = map[string]struct{ key, path string }{
	training.KindAssigned:  {"notif.text.training_assigned", "/training/assignments/"},
	training.KindDueSoon:   {"notif.text.training_due", "/training/assignments/"},
	training.KindOverdue:   {"notif.text.training_overdue", "/training/assignments/"},
	training.KindCompleted: {"notif.text.training_completed", "/training/assignments/"},
	"perf_shared":          {"notif.text.perf_shared", "/performance-reviews/"},
	"perf_acknowledged":    {"notif.text.perf_acknowledged", "/performance-reviews/"},
}

func id64(n int64) string { return strconv.FormatInt(n, 10) }
