// Package view owns the ticket views an agent works from: the built-in
// ones (mine, unassigned, my teams, escalated, pending, recently solved,
// all), saved views (personal, or shared with a team), each view's bounded
// count, and the view an agent lands on.
package view

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Scopes of a saved view: who sees it.
const (
	ScopePersonal = "personal" // its owner
	ScopeTeam     = "team"     // the members of its team
)

// Scopes lists the scopes in the order pages show them.
var Scopes = []string{ScopePersonal, ScopeTeam}

// Unsolved is the status filter value for every unsolved category (new,
// open, pending, on hold).
const Unsolved = "unsolved"

// RecentlySolved is how far back "recently solved" looks.
const RecentlySolved = 7 * 24 * time.Hour

// Query is what a view selects, in the words of the list's filter form.
// The zero Query is every ticket the agent may see.
type Query struct {
	// Statuses are status names, categories, or "unsolved"; any of them.
	Statuses   []string `json:"statuses"`
	Priorities []string `json:"priorities"`
	// Team is "" (any), "none", "mine" (the agent's teams) or a team id.
	Team string `json:"team"`
	// Assignee is "" (anyone), "none", "me" or an agent id.
	Assignee string `json:"assignee"`
	// Tags: any of them; matched without regard to case.
	Tags      []string `json:"tags"`
	Escalated bool     `json:"escalated"`
	// SolvedWithinDays keeps tickets solved in the last N days.
	SolvedWithinDays int `json:"solved_within_days"`
	// Sort is the list's order: "updated" (default), "created", "oldest", "due".
	Sort string `json:"sort"`
}

// MarshalJSON writes every field, lists as [] rather than null, so that
// an answer always has the same shape.
func (q Query) MarshalJSON() ([]byte, error) {
	type plain Query
	for _, l := range []*[]string{&q.Statuses, &q.Priorities, &q.Tags} {
		if *l == nil {
			*l = []string{}
		}
	}
	return json.Marshal(plain(q))
}

// Sorts are the orders a view may have.
var Sorts = []string{"updated", "created", "oldest", "due"}

// Filter turns a query into the ticket filter it means for an agent at
// now, or the fields that are wrong.
func (q Query) Filter(a desk.Actor, now time.Time) (ticket.Filter, desk.Fields) {
	f := ticket.Filter{Sort: q.Sort}
	errs := desk.Fields{}
	for _, s := range q.Statuses {
		if s == Unsolved {
			// Spelled as the partial indexes' predicate (migration 00028),
			// so both databases may use them.
			f.Open = true
		} else {
			f.Statuses = append(f.Statuses, s)
		}
	}
	if f.Open && len(f.Statuses) > 0 {
		// "unsolved or pending" is unsolved; keep the wider one.
		f.Statuses = nil
	}
	f.Priorities = q.Priorities
	for _, t := range q.Tags {
		f.Tags = append(f.Tags, strings.ToLower(strings.TrimSpace(t)))
	}
	switch q.Team {
	case "":
	case "mine":
		f.TeamIDs = append([]int64{}, a.TeamIDs...)
	default:
		if id, ok := parseID(q.Team); ok {
			f.TeamID = &id
		} else {
			errs["team"] = desk.M("invalid.id")
		}
	}
	switch q.Assignee {
	case "":
	case "me":
		f.AssigneeID = &a.ID
	default:
		if id, ok := parseID(q.Assignee); ok {
			f.AssigneeID = &id
		} else {
			errs["assignee"] = desk.M("invalid.id")
		}
	}
	if q.Escalated {
		yes := true
		f.Escalated = &yes
	}
	if q.SolvedWithinDays > 0 {
		since := now.Add(-time.Duration(q.SolvedWithinDays) * 24 * time.Hour)
		f.SolvedSince = &since
		f.Categories = append(f.Categories, ticket.CategorySolved)
	}
	if q.Sort != "" && !slices.Contains(Sorts, q.Sort) {
		errs["sort"] = desk.M("invalid.sort")
	}
	return f, errs
}

// parseID reads "none" (0) or a positive id.
func parseID(v string) (int64, bool) {
	if v == "none" || v == "0" {
		return 0, true
	}
	id, err := strconv.ParseInt(v, 10, 64)
	return id, err == nil && id > 0
}

// clean checks and normalizes a query for saving.
func (q *Query) clean(errs desk.Fields) {
	if len(q.Statuses)+len(q.Priorities)+len(q.Tags) > 60 {
		errs["query"] = desk.M("invalid.too_long")
	}
	tags, msg := ticket.CleanTags(q.Tags)
	if msg.Key != "" {
		errs["query.tags"] = msg
	}
	q.Tags = tags
	for _, p := range q.Priorities {
		if !slices.Contains(ticket.Priorities, p) {
			errs["query.priorities"] = desk.M("invalid.one_of", strings.Join(ticket.Priorities, ", "))
		}
	}
	for _, s := range q.Statuses {
		if s == "" || len(s) > 100 {
			errs["query.statuses"] = desk.M("invalid.no_status")
		}
	}
	if q.SolvedWithinDays < 0 || q.SolvedWithinDays > 366 {
		errs["query.solved_within_days"] = desk.M("invalid.range", 366)
	}
	if _, bad := q.Filter(desk.Actor{}, time.Time{}); len(bad) > 0 {
		for k, v := range bad {
			errs["query."+k] = v
		}
	}
}

// View is a saved view: a named query, personal or shared with a team.
type View struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Scope     string    `json:"scope"`
	OwnerID   *int64    `json:"owner_id"`
	TeamID    *int64    `json:"team_id"`
	Query     Query     `json:"query"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CurrentVersion is the version the API sends as the ETag.
func (v *View) CurrentVersion() int64 { return v.Version }

// Key names a saved view among the views: "saved:<id>".
func (v *View) Key() string { return "saved:" + strconv.FormatInt(v.ID, 10) }

// Store keeps saved views and each agent's landing view.
type Store interface {
	// SavedViews lists an agent's personal views and the views of the
	// teams given, by name then id.
	SavedViews(ctx context.Context, ownerID int64, teamIDs []int64) ([]*View, error)
	// SavedView returns one view; ENOTFOUND when there is none.
	SavedView(ctx context.Context, id int64) (*View, error)
	CreateSavedView(ctx context.Context, v *View) error
	// UpdateSavedView writes a view still at v.Version (ECONFLICT/stale
	// otherwise) and bumps it.
	UpdateSavedView(ctx context.Context, v *View) error
	DeleteSavedView(ctx context.Context, id, ifVersion int64) error
	// LandingView is the key of the view an agent chose to land on, "" if none.
	LandingView(ctx context.Context, agentID int64) (string, error)
	SetLandingView(ctx context.Context, agentID int64, key string) error
}

// Counter counts a filter's tickets in the acting agent's scope, at most
// atMost (ticket.Service.Count).
type Counter interface {
	Count(ctx context.Context, f ticket.Filter, atMost int) (int, error)
}

// Teams reads a team (for its lead).
type Teams interface {
	Team(ctx context.Context, id int64) (*people.Team, error)
}
