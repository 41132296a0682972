package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
)

type bookData struct {
	Owner    int64
	Own      bool
	Accounts []account.BookEntry
	Due      []account.Due
}

// bookPage is the account executive's home: their accounts, at risk first,
// and the check-ins due this week.
func (s *Server) bookPage(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	owner := a.ID
	if v := r.URL.Query().Get("owner"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return desk.Invalid(desk.Fields{"owner": desk.M("invalid.id")})
		}
		owner = n
	}
	book, err := s.Accounts.Book(r.Context(), owner)
	if err != nil {
		return err
	}
	due, err := s.Accounts.DueCheckins(r.Context(), &owner, 7*24*time.Hour, 50)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "book.html", page{Title: "book.title", Nav: "book",
		Data: bookData{Owner: owner, Own: owner == a.ID, Accounts: book, Due: due}})
}

// accountPanel is what the organization page shows of the account.
type accountPanel struct {
	Account  *account.Account
	Spark    string // SVG polyline points of the last 90 days' scores
	Timeline []account.TimelineItem
	Kinds    []string
	Kind     string
	Next     string // cursor of the timeline's next page
	Checkins []*account.Checkin
	Outcomes []string
	Template string
	CanLog   bool
	// Feedback and the opportunities by stage; AEs are the owners the
	// account form offers; KeyContacts the contacts with a role.
	Feedback      []*account.Feedback
	FeedbackKinds []string
	Board         []stageColumn
	AEs           []*people.Agent
	KeyContacts   []*people.Contact
	Roles         []string
}

// readAccountPanel gathers the account part of the organization page.
func (s *Server) readAccountPanel(r *http.Request, orgID int64) (*accountPanel, error) {
	ctx := r.Context()
	a, err := s.Accounts.Get(ctx, orgID)
	if err != nil {
		return nil, err
	}
	actor, _ := desk.ActorFrom(ctx)
	p := &accountPanel{Account: a, Kinds: account.ItemKinds, Outcomes: account.Outcomes, Template: account.CheckinTemplate,
		CanLog: actor.Can(auth.OrganizationsWrite) && (actor.Can(auth.AccountsManage) || a.OwnerID == nil || *a.OwnerID == actor.ID)}
	pts, err := s.Accounts.History(ctx, orgID, 90)
	if err != nil {
		return nil, err
	}
	p.Spark = sparkline(pts)
	q := r.URL.Query()
	f := account.TimelineFilter{Limit: 31}
	if k := q.Get("kind"); k != "" {
		p.Kind, f.Kinds = k, []string{k}
	}
	if c := q.Get("tl"); c != "" {
		l := &apiQuery{cursor: c, errs: desk.Fields{}}
		if f.Before = l.timelineKey(); f.Before == nil {
			return nil, desk.Invalid(desk.Fields{"tl": desk.M("invalid.cursor")})
		}
	}
	if p.Timeline, err = s.Accounts.Timeline(ctx, orgID, f); err != nil {
		return nil, err
	}
	if len(p.Timeline) > 30 {
		p.Timeline = p.Timeline[:30]
		p.Next = timelineCursor(p.Timeline[29])
	}
	if p.Checkins, err = s.Accounts.Checkins(ctx, orgID, 0, 5); err != nil {
		return nil, err
	}
	p.FeedbackKinds, p.Roles = account.FeedbackKinds, people.AccountRoles
	if p.Feedback, err = s.Accounts.ListFeedback(ctx, account.FeedbackFilter{OrganizationID: &orgID, Limit: 10}); err != nil {
		return nil, err
	}
	opps, err := s.Accounts.Opportunities(ctx, account.OpportunityFilter{OrganizationID: &orgID, Limit: 200})
	if err != nil {
		return nil, err
	}
	p.Board = board(opps)
	if p.CanLog {
		if list, err := s.People.Agents(ctx); err == nil {
			for _, ag := range list {
				if ag.Active && ag.Role == auth.RoleAccountExecutive {
					p.AEs = append(p.AEs, ag)
				}
			}
		}
	}
	if actor.Can(auth.ContactsRead) {
		cs, err := s.People.Contacts(ctx, people.ContactFilter{OrganizationID: &orgID, Limit: 100})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.AccountRole != "" {
				p.KeyContacts = append(p.KeyContacts, c)
			}
		}
	}
	return p, nil
}

// sparkline draws daily scores into a 300×60 box, oldest left.
func sparkline(pts []account.Point) string {
	if len(pts) == 0 {
		return ""
	}
	var b strings.Builder
	step := 300.0
	if len(pts) > 1 {
		step = 300.0 / float64(len(pts)-1)
	}
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatFloat(float64(i)*step, 'f', 1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(58 - p.Score*56/100))
	}
	return b.String()
}

// logCheckinPage logs a check-in from the organization page's form.
func (s *Server) logCheckinPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := formOnly(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.body_unreadable")
	}
	lines := func(name string) []string { return strings.Split(r.PostForm.Get(name), "\n") }
	_, err = s.Accounts.LogCheckin(r.Context(), account.CheckinInput{OrganizationID: id, Notes: r.PostForm.Get("notes"),
		Attendees: lines("attendees"), Outcome: r.PostForm.Get("outcome"), FollowUps: lines("follow_ups")})
	if errs, ok := refusal(err); ok {
		return s.showOrganization(w, r, HTTPStatus(err), nil, errs)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/organizations/"+strconv.FormatInt(id, 10)+"?saved#checkins", http.StatusSeeOther)
	return nil
}

// ticketAccountPanel is what an agent sees of the account on a ticket
// (read-only): owner, health, last and next check-in.
type ticketAccountPanel struct {
	Account     *account.Account
	Owner       string
	LastCheckin *time.Time
	// CanWrite offers the forms that record feedback and flag an
	// opportunity (to whoever may change the account).
	CanWrite      bool
	FeedbackKinds []string
	RuleKinds     []string
}

// ticketAccount reads the ticket page's account panel; nil when it cannot
// be read (the page goes on without it).
func (s *Server) ticketAccount(r *http.Request, orgID int64) *ticketAccountPanel {
	ctx := r.Context()
	a, err := s.Accounts.Get(ctx, orgID)
	if err != nil {
		return nil
	}
	actor, _ := desk.ActorFrom(ctx)
	p := &ticketAccountPanel{Account: a, FeedbackKinds: account.FeedbackKinds, RuleKinds: account.RuleKinds,
		CanWrite: actor.Can(auth.OrganizationsWrite) && (actor.Can(auth.AccountsManage) || a.OwnerID == nil || *a.OwnerID == actor.ID)}
	if a.OwnerID != nil {
		if ag, err := s.People.Agent(ctx, *a.OwnerID); err == nil {
			p.Owner = ag.Name
		}
	}
	if cs, err := s.Accounts.Checkins(ctx, orgID, 0, 1); err == nil && len(cs) > 0 {
		p.LastCheckin = &cs[0].HeldAt
	}
	return p
}
