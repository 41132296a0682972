package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/desk"
)

// timelineCursor is an item's place: micros, kind and id.
func timelineCursor(it account.TimelineItem) string {
	return strconv.FormatInt(it.At.UnixMicro(), 10) + " " + it.Kind + " " + strconv.FormatInt(it.ID, 10)
}

func (l *apiQuery) timelineKey() *account.TimelineKey {
	if l.cursor == "" {
		return nil
	}
	parts := strings.Split(l.cursor, " ")
	if len(parts) == 3 {
		at, err1 := strconv.ParseInt(parts[0], 10, 64)
		id, err2 := strconv.ParseInt(parts[2], 10, 64)
		if err1 == nil && err2 == nil {
			return &account.TimelineKey{At: time.UnixMicro(at).UTC(), Kind: parts[1], ID: id}
		}
	}
	l.errs["cursor"] = desk.M("invalid.cursor")
	return nil
}

// getTimeline pages an account's timeline, newest first, by kind.
func (s *Server) getTimeline(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l := readList(r, false, "kind")
	f := account.TimelineFilter{Kinds: l.values("kind", account.ItemKinds), Before: l.timelineKey(), Limit: l.limit + 1}
	if err := l.err(); err != nil {
		return err
	}
	items, err := s.Accounts.Timeline(r.Context(), id, f)
	if err != nil {
		return err
	}
	var next *string
	if len(items) > l.limit {
		items = items[:l.limit]
		c := encodeCursor(timelineCursor(items[l.limit-1]))
		next = &c
	}
	writePage(w, "items", items, next, nil)
	return nil
}

// getBook answers an owner's book (the caller's own without owner_id).
func (s *Server) getBook(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "owner_id")
	owner := l.id("owner_id")
	if err := l.err(); err != nil {
		return err
	}
	if owner == nil {
		a, _ := desk.ActorFrom(r.Context())
		owner = &a.ID
	}
	book, err := s.Accounts.Book(r.Context(), *owner)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": book})
	return nil
}

// --- check-ins

type checkinIn struct {
	OrganizationID int64      `json:"organization_id"`
	HeldAt         *time.Time `json:"held_at"`
	Notes          string     `json:"notes"`
	Attendees      []string   `json:"attendees"`
	Outcome        string     `json:"outcome"`
	FollowUps      []string   `json:"follow_ups"`
}

func (s *Server) createCheckin(w http.ResponseWriter, r *http.Request) error {
	var in checkinIn
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Accounts.LogCheckin(r.Context(), account.CheckinInput(in))
	if err == nil {
		locate(w, "/api/v1/checkins/", c.ID)
	}
	return respond(w, http.StatusCreated, c, err)
}

func (s *Server) getCheckin(w http.ResponseWriter, r *http.Request) error {
	c, err := withID(r, func(id int64) (*account.Checkin, error) { return s.Accounts.GetCheckin(r.Context(), id) })
	return respond(w, http.StatusOK, c, err)
}

// listCheckins pages an account's check-ins, newest first.
func (s *Server) listCheckins(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "organization_id")
	org := l.id("organization_id")
	if org == nil {
		l.errs["organization_id"] = desk.M("invalid.required")
	}
	before := l.cursorID()
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Accounts.Checkins(r.Context(), *org, before, l.limit+1)
	if err != nil {
		return err
	}
	var next *string
	if len(list) > l.limit {
		list = list[:l.limit]
		c := encodeCursor(idKey(list[l.limit-1].ID))
		next = &c
	}
	writePage(w, "checkins", list, next, nil)
	return nil
}

// listDueCheckins lists accounts whose check-in is due within days (default
// 7), overdue first.
func (s *Server) listDueCheckins(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "owner_id", "within_days")
	owner := l.id("owner_id")
	days := 7
	if v := l.q.Get("within_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 366 {
			l.errs["within_days"] = desk.M("invalid.range", 366)
		}
		days = n
	}
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Accounts.DueCheckins(r.Context(), owner, time.Duration(days)*24*time.Hour, l.limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"due": list})
	return nil
}
