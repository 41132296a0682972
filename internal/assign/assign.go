// Package assign owns who works which ticket without a person deciding:
// agent availability (online, away, offline — chosen by the agent and
// overridden by inactivity), what agents can take (skills, languages,
// capacity), and each team's way of handing out tickets (round robin, least
// loaded, skills). It consumes events from a durable cursor and assigns
// through ticket.Service; it knows nothing of HTTP or SQL.
package assign

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/sahayak/sahayak/internal/ticket"
)

// Availability of an agent.
const (
	Online  = "online"
	Away    = "away"
	Offline = "offline"
)

// Statuses lists the availabilities in the order pages show them.
var Statuses = []string{Online, Away, Offline}

// Ways a team hands out tickets.
const (
	ModeOff          = "off"
	ModeRoundRobin   = "round_robin"
	ModeLoadBalanced = "load_balanced"
	ModeSkills       = "skills"
)

// Modes lists the ways in the order pages show them.
var Modes = []string{ModeOff, ModeRoundRobin, ModeLoadBalanced, ModeSkills}

// TeamSettings is how a team hands out its tickets.
type TeamSettings struct {
	TeamID int64  `json:"team_id"`
	Mode   string `json:"mode"`
	// Capacity is how many open tickets an agent of the team may hold when
	// the agent's own capacity is 0; 0 here means no limit.
	Capacity int `json:"capacity"`
	// HandBack unassigns an agent's open tickets of the team when the
	// agent goes offline, so that the team's online agents get them.
	HandBack  bool      `json:"hand_back"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Profile is what an agent can take.
type Profile struct {
	AgentID   int64     `json:"agent_id"`
	Skills    []string  `json:"skills"`
	Languages []string  `json:"languages"`
	Capacity  int       `json:"capacity"` // 0: the team's
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Presence is an agent's availability and load as a team lead sees it.
type Presence struct {
	AgentID      int64     `json:"agent_id"`
	Name         string    `json:"name"`
	Status       string    `json:"status"`
	ByInactivity bool      `json:"by_inactivity"`
	LastSeenAt   time.Time `json:"last_seen_at"`
	ChangedAt    time.Time `json:"changed_at"`
	Open         int       `json:"open_tickets"`
	Capacity     int       `json:"capacity"` // the agent's, 0 when the team's applies
}

// Candidate is a team member as an assignment decision sees them, read
// under lock inside the ticket's transaction.
type Candidate struct {
	AgentID   int64
	Status    string
	Skills    []string
	Languages []string
	Capacity  int
	Open      int
}

// Decision is the outcome of Choose: the agent (0: nobody now) and why.
type Decision struct {
	AgentID int64
	Reason  string
}

// limit is the number of open tickets c may hold, 0 for no limit.
func (c Candidate) limit(team TeamSettings) int {
	if c.Capacity > 0 {
		return c.Capacity
	}
	return team.Capacity
}

func (c Candidate) free(team TeamSettings) bool {
	l := c.limit(team)
	return c.Status == Online && (l == 0 || c.Open < l)
}

// Choose decides who of the candidates takes the ticket; it is pure, so
// every mode's rules are tested without a database. lastAgentID is the
// agent the team's round robin gave the previous ticket.
func Choose(team TeamSettings, lastAgentID int64, cands []Candidate, t *ticket.Ticket) Decision {
	free := make([]Candidate, 0, len(cands))
	for _, c := range cands {
		if c.free(team) {
			free = append(free, c)
		}
	}
	slices.SortFunc(free, func(a, b Candidate) int { return int(a.AgentID - b.AgentID) })
	switch team.Mode {
	case ModeRoundRobin:
		if len(free) == 0 {
			return Decision{Reason: "nobody_free"}
		}
		for _, c := range free {
			if c.AgentID > lastAgentID {
				return Decision{c.AgentID, ModeRoundRobin}
			}
		}
		return Decision{free[0].AgentID, ModeRoundRobin}
	case ModeLoadBalanced:
		return leastLoaded(free, ModeLoadBalanced)
	case ModeSkills:
		return bySkills(free, cands, t)
	}
	return Decision{Reason: "off"}
}

// leastLoaded picks the free agent with the fewest open tickets (the
// lowest id among equals, so the choice is repeatable).
func leastLoaded(free []Candidate, reason string) Decision {
	if len(free) == 0 {
		return Decision{Reason: "nobody_free"}
	}
	best := free[0]
	for _, c := range free[1:] {
		if c.Open < best.Open {
			best = c
		}
	}
	return Decision{best.AgentID, reason}
}

// bySkills sends a ticket in a language to an agent who speaks it when the
// team has such an agent at all (the ticket waits for one rather than go
// to someone who cannot read it), and prefers the agents holding most of
// the ticket's tags as skills, then the least loaded.
func bySkills(free, all []Candidate, t *ticket.Ticket) Decision {
	lang := Language(t)
	reason := ModeSkills
	if lang != "" && slices.ContainsFunc(all, func(c Candidate) bool { return slices.Contains(c.Languages, lang) }) {
		free = slices.DeleteFunc(slices.Clone(free), func(c Candidate) bool { return !slices.Contains(c.Languages, lang) })
		reason += ":" + lang
		if len(free) == 0 {
			return Decision{Reason: "no_speaker_free:" + lang}
		}
	}
	best, bestScore := -1, -1
	for i, c := range free {
		score := 0
		for _, tag := range t.Tags {
			if slices.Contains(c.Skills, tag) {
				score++
			}
		}
		if score > bestScore || (score == bestScore && c.Open < free[best].Open) {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return Decision{Reason: "nobody_free"}
	}
	return Decision{free[best].AgentID, reason}
}

// Language is the language a ticket is written in, as far as routing
// needs it: the custom field "language" when the desk has one, else Hindi
// when the subject is in Devanagari, else "" (any agent reads it).
func Language(t *ticket.Ticket) string {
	if v, ok := t.CustomFields["language"].(string); ok && v != "" {
		return strings.ToLower(strings.TrimSpace(v))
	}
	for _, r := range t.Subject {
		if unicode.Is(unicode.Devanagari, r) {
			return "hi"
		}
	}
	return ""
}

// CurrentVersion is the version the API answers as the ETag.
func (s *TeamSettings) CurrentVersion() int64 { return s.Version }

// CurrentVersion is the version the API answers as the ETag.
func (p *Profile) CurrentVersion() int64 { return p.Version }
