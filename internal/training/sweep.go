package training

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// DueSoon is how long before its due time an open assignment is reminded.
const DueSoon = 48 * time.Hour

// SweepResult counts what one sweep did.
type SweepResult struct {
	Expanded int `json:"expanded"` // members who joined a team with a standing assignment
	Renewed  int `json:"renewed"`  // expired certifications assigned again
	Reminded int `json:"reminded"` // due-soon and overdue reminders
}

// Sweep is the periodic work of training, run by one node at a time (a
// periodic job): it assigns standing team courses to members who joined
// since, closes certifications whose validity ran out and assigns them
// again (due the span the expired one was given), and reminds agents once
// when an assignment falls due within DueSoon and once when it is overdue.
// Each step is its own transaction and is safe to repeat.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	a, err := desk.Require(ctx, auth.TrainingManage)
	if err != nil {
		return SweepResult{}, err
	}
	var r SweepResult
	now := s.clock.Now()
	assigned := func(l []*Assignment) Notice { return s.notice(a, EventAssigned, KindAssigned, l) }
	if r.Expanded, err = s.store.ExpandTeamAssignments(ctx, now, assigned); err != nil {
		return r, fmt.Errorf("expand team assignments: %w", err)
	}
	for {
		n, err := s.store.RenewExpired(ctx, now, 200, assigned)
		if err != nil {
			return r, fmt.Errorf("renew certifications: %w", err)
		}
		r.Renewed += n
		if n < 200 {
			break
		}
	}
	for {
		n, err := s.store.RemindDue(ctx, now, now.Add(DueSoon), 200, func(kind string, l []*Assignment) Notice {
			return s.notice(a, EventReminded, kind, l)
		})
		if err != nil {
			return r, fmt.Errorf("remind training: %w", err)
		}
		r.Reminded += n
		if n < 200 {
			break
		}
	}
	return r, nil
}

// Suggestion is a course offered for a criterion the agent fails.
type Suggestion struct {
	Course    *Course `json:"course"`
	Criterion string  `json:"criterion"`
	Fails     int     `json:"fails"`
	Reviews   int     `json:"reviews"`
}

// SuggestWindow is how far back suggestions read an agent's QA reviews.
const SuggestWindow = 90 * 24 * time.Hour

// failBelow is the share of a criterion's best answer below which it
// counts as failed.
const failBelow = 0.5

// Suggest offers courses for the scorecard criteria the agent failed most
// often in their QA reviews of the last SuggestWindow: active courses
// tagged with those criteria, that the agent has no live assignment of,
// most failed criterion first. The agent themselves, or a holder of
// training:manage, may ask.
func (s *Service) Suggest(ctx context.Context, agentID int64) ([]Suggestion, error) {
	a, err := desk.Require(ctx, "")
	if err != nil {
		return nil, err
	}
	if agentID != a.ID && !a.Can(auth.TrainingManage) {
		return nil, desk.E(desk.EFORBIDDEN, "error.forbidden", auth.TrainingManage)
	}
	results, err := s.store.CriterionResults(ctx, agentID, s.clock.Now().Add(-SuggestWindow))
	if err != nil {
		return nil, err
	}
	fails := map[string]int{}
	for _, r := range results {
		for k, v := range r {
			if v < failBelow {
				fails[k]++
			}
		}
	}
	if len(fails) == 0 {
		return []Suggestion{}, nil
	}
	courses, err := s.store.Courses(ctx)
	if err != nil {
		return nil, err
	}
	live, err := s.store.Assignments(ctx, AssignmentFilter{AgentID: &agentID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	has := map[int64]bool{}
	for _, x := range live {
		if x.State != StateExpired {
			has[x.CourseID] = true
		}
	}
	out := []Suggestion{}
	for _, c := range courses {
		if !c.Active || has[c.ID] {
			continue
		}
		best := Suggestion{Course: c, Reviews: len(results)}
		for _, k := range c.Criteria {
			if fails[k] > best.Fails {
				best.Criterion, best.Fails = k, fails[k]
			}
		}
		if best.Fails > 0 {
			out = append(out, best)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Fails != out[j].Fails {
			return out[i].Fails > out[j].Fails
		}
		return out[i].Course.Title < out[j].Course.Title
	})
	if len(out) > 5 {
		out = out[:5]
	}
	return out, nil
}
