package account

import (
	"math"
	"time"
)

// Health is an account's score from 0 to 100, its band, and the components
// it was worked out from, each with its weight, so that a reader sees why.
type Health struct {
	Score      int         `json:"score"`
	Band       string      `json:"band"`
	Components []Component `json:"components"`
}

// Component is one part of the score: its own score 0–100, its weight, and
// the measured value it comes from (its unit depends on the component).
type Component struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	Score  int     `json:"score"`
	Value  float64 `json:"value"`
}

// Bands, from worst.
const (
	BandAtRisk  = "at_risk"
	BandWatch   = "watch"
	BandHealthy = "healthy"
)

// Bands lists the bands, worst first.
var Bands = []string{BandAtRisk, BandWatch, BandHealthy}

// BandOf names the band of a score: below 40 at risk, below 70 watch.
func BandOf(score int) string {
	switch {
	case score < 40:
		return BandAtRisk
	case score < 70:
		return BandWatch
	}
	return BandHealthy
}

// Components of the score.
const (
	CompVolume       = "ticket_volume" // value: recent daily rate ÷ the account's own baseline
	CompSLA          = "sla_breaches"  // value: breaches, decaying over about a month
	CompEscalations  = "escalations"   // value: escalations, decaying over about a month
	CompSatisfaction = "satisfaction"  // value: share of good answers (0–1): CSAT 4–5 of 1–5 and NPS promoters against CSAT 1–2 and NPS detractors
	CompContact      = "last_contact"  // value: days since the last contact
	CompUrgent       = "urgent_open"   // value: open urgent tickets
	CompRenewal      = "renewal"       // value: days to renewal
)

// Weights say how much each component counts; a component without data
// (no surveys, no renewal date) is left out and the others share its part.
type Weights map[string]float64

// DefaultWeights is what a new desk uses.
func DefaultWeights() Weights {
	return Weights{CompVolume: 15, CompSLA: 20, CompEscalations: 15, CompSatisfaction: 15, CompContact: 10,
		CompUrgent: 15, CompRenewal: 10}
}

// ComponentNames lists the components in the order pages show them.
var ComponentNames = []string{CompVolume, CompSLA, CompEscalations, CompSatisfaction, CompContact, CompUrgent, CompRenewal}

// Time constants of the decaying counts: a count with mean life τ holds
// about rate × τ in steady state.
const (
	recentLife   = 7 * 24 * time.Hour
	baselineLife = 90 * 24 * time.Hour
	incidentLife = 30 * 24 * time.Hour
)

// State is what the account consumer keeps of an account from its events;
// every event changes it in constant time.
type State struct {
	At          time.Time `json:"at"` // when the decaying counts were last decayed
	Since       time.Time `json:"since"`
	Recent      float64   `json:"recent"`   // new tickets, mean life recentLife
	Baseline    float64   `json:"baseline"` // new tickets, mean life baselineLife
	Breaches    float64   `json:"breaches"`
	Escalations float64   `json:"escalations"`
	Good        float64   `json:"good"`
	Bad         float64   `json:"bad"`
	LastContact time.Time `json:"last_contact"`
	Open        int       `json:"open"`
	Urgent      int       `json:"urgent"`
	// Counted says Open and Urgent follow account_open_tickets: a state
	// without it is counted once in full, then moved per ticket changed.
	Counted bool `json:"counted,omitempty"`
}

// decay brings the decaying counts forward to now.
func (s *State) decay(now time.Time) {
	if s.At.IsZero() {
		s.At, s.Since = now, now
		return
	}
	dt := now.Sub(s.At)
	if dt <= 0 {
		return
	}
	f := func(life time.Duration) float64 { return math.Exp(-float64(dt) / float64(life)) }
	s.Recent *= f(recentLife)
	s.Baseline *= f(baselineLife)
	inc := f(incidentLife)
	s.Breaches *= inc
	s.Escalations *= inc
	s.Good *= inc
	s.Bad *= inc
	s.At = now
}

// What an event does to an account's state.
const (
	ObserveTicket     = iota // a new ticket
	ObserveContact           // a public message either way, a check-in
	ObserveBreach            // an SLA target breached
	ObserveEscalation        // a ticket escalated
	ObserveGood              // a good satisfaction rating, an NPS promoter
	ObserveBad               // a bad one, an NPS detractor
)

// Observe counts one event at time at (events may arrive late; they count
// when they happened, never moving the decay clock back).
func (s *State) Observe(what int, at time.Time) {
	if at.After(s.At) {
		s.decay(at)
	} else if s.At.IsZero() {
		s.decay(at)
	}
	w := 1.0
	if at.Before(s.At) { // a late event has already decayed some
		w = math.Exp(-float64(s.At.Sub(at)) / float64(incidentLife))
	}
	switch what {
	case ObserveTicket:
		s.Recent += w
		s.Baseline += w
		if at.After(s.LastContact) {
			s.LastContact = at
		}
	case ObserveContact:
		if at.After(s.LastContact) {
			s.LastContact = at
		}
	case ObserveBreach:
		s.Breaches += w
	case ObserveEscalation:
		s.Escalations += w
	case ObserveGood:
		s.Good += w
	case ObserveBad:
		s.Bad += w
	}
}

// Unobserve takes back one good or bad rating (an answer changed), never
// below zero.
func (s *State) Unobserve(what int) {
	switch what {
	case ObserveGood:
		s.Good = math.Max(0, s.Good-1)
	case ObserveBad:
		s.Bad = math.Max(0, s.Bad-1)
	}
}

// linear maps v from [good, bad] to [100, 0], clamped.
func linear(v, good, bad float64) int {
	x := (v - good) / (bad - good)
	return int(math.Round(100 * (1 - math.Max(0, math.Min(1, x)))))
}

// Score works out an account's health at now from its state, its renewal
// date ("" when unknown) and the weights. It is pure: the same state, date
// and time give the same health.
func Score(st State, renewal string, w Weights, now time.Time) Health {
	s := st
	s.decay(now)
	var comps []Component
	add := func(name string, score int, value float64) {
		if w[name] <= 0 {
			return
		}
		comps = append(comps, Component{Name: name, Weight: w[name], Score: score, Value: math.Round(value*100) / 100})
	}
	// Volume: the recent daily rate against the account's own baseline,
	// once it has one (a few weeks of history and a handful of tickets).
	if now.Sub(s.Since) >= 14*24*time.Hour && s.Baseline >= 3 {
		ratio := (s.Recent / recentLife.Hours()) / (s.Baseline / baselineLife.Hours())
		add(CompVolume, linear(ratio, 1.2, 3), ratio)
	} else {
		add(CompVolume, 100, 1)
	}
	add(CompSLA, linear(s.Breaches, 0, 4), s.Breaches)
	add(CompEscalations, linear(s.Escalations, 0, 3), s.Escalations)
	if s.Good+s.Bad >= 0.5 {
		share := s.Good / (s.Good + s.Bad)
		add(CompSatisfaction, linear(share, 0.9, 0.4), share)
	}
	if !s.LastContact.IsZero() {
		days := now.Sub(s.LastContact).Hours() / 24
		add(CompContact, linear(days, 14, 60), days)
	}
	add(CompUrgent, linear(float64(s.Urgent), 0, 3), float64(s.Urgent))
	if d, ok := parseDay(renewal); ok {
		days := d.Sub(now.Truncate(24*time.Hour)).Hours() / 24
		add(CompRenewal, linear(days, 90, 0), days)
	}
	var sum, weight float64
	for _, c := range comps {
		sum += c.Weight * float64(c.Score)
		weight += c.Weight
	}
	score := 100
	if weight > 0 {
		score = int(math.Round(sum / weight))
	}
	if comps == nil {
		comps = []Component{}
	}
	return Health{Score: score, Band: BandOf(score), Components: comps}
}

// Point is the score of one day, for the chart.
type Point struct {
	Day   string `json:"day"`
	Score int    `json:"score"`
}
