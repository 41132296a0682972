// Package ticket owns tickets and their threads: statuses and their
// categories, priorities, types, channels, tags, typed custom fields,
// messages, followers, escalation, merge and links. The Service enforces
// permissions, validation and state transitions and records an event for
// every change in the same transaction; the store only persists.
package ticket

import (
	"slices"
	"time"
)

// Status categories. Admins may add statuses inside a category.
const (
	CategoryNew     = "new"
	CategoryOpen    = "open"
	CategoryPending = "pending"
	CategoryOnHold  = "on_hold"
	CategorySolved  = "solved"
	CategoryClosed  = "closed"
)

// Categories in their workflow order.
var Categories = []string{CategoryNew, CategoryOpen, CategoryPending, CategoryOnHold, CategorySolved, CategoryClosed}

// Priorities, lowest first.
var Priorities = []string{"low", "normal", "high", "urgent"}

// Types of ticket.
var Types = []string{"question", "incident", "problem", "task"}

// Channels a ticket can come in by.
var Channels = []string{"email", "chat", "phone", "web", "api", ChannelPortal}

// ChannelPortal is the channel of tickets customers open on the portal:
// they take only the custom fields shown there.
const ChannelPortal = "portal"

// Link kinds.
const (
	LinkRelated = "related"
	LinkParent  = "parent" // ticket_id is the parent of other_id
)

// Person is the short form of a requester or author shown with a ticket.
type Person struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// Ticket is a customer request and its state.
type Ticket struct {
	ID              int64          `json:"id"`
	Subject         string         `json:"subject"`
	Status          string         `json:"status"`
	StatusCategory  string         `json:"status_category"`
	Priority        string         `json:"priority"`
	Type            string         `json:"type"`
	Channel         string         `json:"channel"`
	Requester       Person         `json:"requester"`
	OrganizationID  *int64         `json:"organization_id"`
	AssigneeID      *int64         `json:"assignee_id"`
	TeamID          *int64         `json:"team_id"`
	Tags            []string       `json:"tags"`
	CustomFields    map[string]any `json:"custom_fields"`
	EscalationLevel int            `json:"escalation_level"`
	MergedIntoID    *int64         `json:"merged_into_id"`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
	// Version counts the changes; the API sends it as the ETag.
	Version          int64      `json:"version"`
	FirstRespondedAt *time.Time `json:"first_responded_at"`
	SolvedAt         *time.Time `json:"solved_at"`
	// SLA is the ticket's SLA clock as package sla last worked it out; nil
	// while no policy covers the ticket. Reads fill it; writes ignore it.
	SLA *SLA `json:"sla"`
}

// SLA is the state of a ticket's SLA targets: due times of those running
// (nil when met, without a target, or paused) and the targets breached.
type SLA struct {
	PolicyID           int64      `json:"policy_id"`
	FirstResponseDueAt *time.Time `json:"first_response_due_at"`
	NextResponseDueAt  *time.Time `json:"next_response_due_at"`
	ResolutionDueAt    *time.Time `json:"resolution_due_at"`
	Paused             bool       `json:"paused"`
	Breached           []string   `json:"breached"`
}

// NextDue is the nearest running due time (zero when none runs).
func (s *SLA) NextDue() time.Time {
	var min time.Time
	for _, d := range []*time.Time{s.FirstResponseDueAt, s.NextResponseDueAt, s.ResolutionDueAt} {
		if d != nil && (min.IsZero() || d.Before(min)) {
			min = *d
		}
	}
	return min
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (t *Ticket) CurrentVersion() int64 { return t.Version }

// Message is a public reply or an internal note on a ticket.
type Message struct {
	ID          int64        `json:"id"`
	TicketID    int64        `json:"ticket_id"`
	AuthorKind  string       `json:"author_kind"` // agent, contact or system
	AuthorID    int64        `json:"author_id"`
	AuthorName  string       `json:"author_name"`
	Internal    bool         `json:"internal"`
	BodyText    string       `json:"body"`
	BodyHTML    string       `json:"body_html"`
	CreatedAt   time.Time    `json:"created_at"`
	Attachments []Attachment `json:"attachments"`
	// Delivery is the state of the mail of a reply on an email ticket, nil
	// for a message not sent as mail.
	Delivery *Delivery `json:"delivery"`
}

// Attachment is a file on a message, stored once per content digest.
type Attachment struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	// ContentID is the mail part's Content-ID (without angle brackets) that
	// the message's HTML may show as "cid:…"; "" for files of other origin.
	ContentID string `json:"content_id"`
	// Inline is true for a part the sender showed in the text (an inline
	// image) rather than attached.
	Inline bool `json:"inline"`
}

// Status is a named status inside a category.
type Status struct {
	Name     string `json:"name"`
	Category string `json:"category"`
	Builtin  bool   `json:"builtin"`
	Position int    `json:"position"`
}

// Link relates two tickets.
type Link struct {
	TicketID int64  `json:"ticket_id"`
	OtherID  int64  `json:"other_id"`
	Kind     string `json:"kind"`
}

// Filter selects tickets for lists and views. Nil fields do not filter.
type Filter struct {
	Status         *string // a status name or a category
	Priority       *string
	AssigneeID     *int64  // 0 selects unassigned tickets
	TeamID         *int64  // 0 selects tickets with no team
	TeamIDs        []int64 // any of these teams
	OrganizationID *int64
	RequesterID    *int64
	RequesterEmail *string
	Tag            *string
	// Any of: status names or categories, categories, priorities, tags.
	Statuses     []string
	Categories   []string
	Priorities   []string
	Tags         []string
	UpdatedSince *time.Time
	Escalated    *bool
	SolvedSince  *time.Time // solved at or after (a "recently solved" view)
	// SLA selects by SLA state: "breached" (a target passed), "running" (a
	// due time runs), "paused".
	SLA *string
	// DueBefore selects tickets whose nearest SLA due time is before it.
	DueBefore *time.Time
	Open      bool   // only categories new, open, pending, on_hold
	Sort      string // "updated" (default, newest first), "created", "oldest", "due" (nearest SLA due first; only tickets with one)
	Cursor    string
	Limit     int
	// Scope, when set, limits the result to what an agent without
	// tickets:read_all may see.
	Scope *Scope
}

// Scope is the part of the desk an agent may see: tickets assigned to them,
// tickets of their teams, and tickets no team has yet. A customer sees only
// the tickets they requested.
type Scope struct {
	AgentID int64
	TeamIDs []int64
	// Accounts, when set, narrows the scope to an account executive's: the
	// tickets of the organizations AccountIDs, their own and their teams',
	// and unrouted tickets only when they are in a team.
	Accounts   bool
	AccountIDs []int64
	// RequesterID, when set, limits a customer to their own tickets.
	RequesterID int64
	// OrganizationID, with RequesterID, adds the tickets of the customer's
	// organization (one that shares tickets on the portal).
	OrganizationID int64
}

// Sees reports whether a ticket is inside the scope.
func (s *Scope) Sees(t *Ticket) bool {
	if s == nil {
		return true
	}
	if s.RequesterID != 0 {
		return t.Requester.ID == s.RequesterID ||
			(s.OrganizationID != 0 && t.OrganizationID != nil && *t.OrganizationID == s.OrganizationID)
	}
	if t.AssigneeID != nil && *t.AssigneeID == s.AgentID {
		return true
	}
	if s.Accounts && t.OrganizationID != nil && slices.Contains(s.AccountIDs, *t.OrganizationID) {
		return true
	}
	if t.TeamID == nil {
		return !s.Accounts || len(s.TeamIDs) > 0
	}
	for _, id := range s.TeamIDs {
		if id == *t.TeamID {
			return true
		}
	}
	return false
}

// Page is one page of a list.
type Page struct {
	Tickets    []*Ticket `json:"tickets"`
	NextCursor string    `json:"next_cursor"`
}

// Delivery is how far the mail of a reply got: queued, sent or failed
// (with the reason).
type Delivery struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}
