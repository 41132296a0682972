// Package quality owns conversation QA: scorecards (a rubric of weighted
// sections and criteria, kept in numbered revisions), reviews that score a
// ticket's conversation against one revision, the agent's acknowledgement or
// dispute and its resolution, and the review queue filled by sampling rules.
// It knows nothing of HTTP or SQL: the Store interface is what it keeps.
package quality

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
)

// Scales a criterion is answered on.
const (
	ScaleYesNo  = "yes_no"  // yes, no, or na (not applicable: left out of the score)
	ScaleFive   = "scale_5" // 1 to 5
	ScalePoints = "points"  // 0 to MaxPoints
)

// Scales lists the scales in the order forms offer them.
var Scales = []string{ScaleYesNo, ScaleFive, ScalePoints}

// Criterion is one thing a reviewer judges. Weight is its share (in
// percent) of its section. A critical criterion answered at or below its
// FailAnswer fails the whole review (score 0), whatever the rest says.
type Criterion struct {
	Key        string  `json:"key"`
	Title      string  `json:"title"`
	Weight     float64 `json:"weight"`
	Scale      string  `json:"scale"`
	MaxPoints  int     `json:"max_points"`
	Critical   bool    `json:"critical"`
	FailAnswer string  `json:"fail_answer"`
}

// Section groups criteria; Weight is its share (in percent) of the score.
type Section struct {
	Title    string      `json:"title"`
	Weight   float64     `json:"weight"`
	Criteria []Criterion `json:"criteria"`
}

// Scorecard is a rubric. Revision numbers its definition (Sections): every
// change to the sections makes a new revision, and a review keeps the one
// it was made with. Version counts every change (the API's ETag).
type Scorecard struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Active      bool      `json:"active"`
	Revision    int       `json:"revision"`
	Sections    []Section `json:"sections"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CurrentVersion is the scorecard's version, for ETags.
func (s *Scorecard) CurrentVersion() int64 { return s.Version }

// Limits that keep a rubric something a person can fill in.
const (
	maxSections  = 20
	maxCriteria  = 30
	maxNameRunes = 200
)

// weightsAddUp reports whether weights make 100 (to a hundredth).
func weightsAddUp(sum float64) bool { return math.Abs(sum-100) < 0.01 }

// Validate checks a scorecard before it is written: a name, at least one
// section, section weights adding up to 100, and in each section criteria
// with unique keys, known scales and weights adding up to 100; a critical
// criterion must say which answer fails.
func (s *Scorecard) Validate() error {
	f := desk.Fields{}
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		f["name"] = desk.M("invalid.required")
	} else if len([]rune(s.Name)) > maxNameRunes {
		f["name"] = desk.M("invalid.too_long")
	}
	if len(s.Sections) == 0 {
		f["sections"] = desk.M("quality.invalid.no_sections")
	}
	if len(s.Sections) > maxSections {
		f["sections"] = desk.M("invalid.at_most", maxSections)
	}
	keys := map[string]bool{}
	var total float64
	for i := range s.Sections {
		sec := &s.Sections[i]
		at := "sections[" + strconv.Itoa(i) + "]"
		sec.Title = strings.TrimSpace(sec.Title)
		if sec.Title == "" {
			f[at+".title"] = desk.M("invalid.required")
		}
		if sec.Weight < 0 || math.IsNaN(sec.Weight) {
			f[at+".weight"] = desk.M("quality.invalid.weight")
		}
		total += sec.Weight
		if len(sec.Criteria) == 0 {
			f[at+".criteria"] = desk.M("quality.invalid.no_criteria")
		}
		if len(sec.Criteria) > maxCriteria {
			f[at+".criteria"] = desk.M("invalid.at_most", maxCriteria)
		}
		var sum float64
		for j := range sec.Criteria {
			c := &sec.Criteria[j]
			cat := at + ".criteria[" + strconv.Itoa(j) + "]"
			validCriterion(c, cat, keys, f)
			sum += c.Weight
		}
		if len(sec.Criteria) > 0 && !weightsAddUp(sum) {
			f[at+".criteria"] = desk.M("quality.invalid.criteria_weights", sum)
		}
	}
	if len(s.Sections) > 0 && !weightsAddUp(total) {
		f["sections"] = desk.M("quality.invalid.section_weights", total)
	}
	if len(f) > 0 {
		return desk.Invalid(f)
	}
	return nil
}

func validCriterion(c *Criterion, at string, keys map[string]bool, f desk.Fields) {
	c.Key, c.Title = strings.TrimSpace(c.Key), strings.TrimSpace(c.Title)
	switch {
	case c.Key == "":
		f[at+".key"] = desk.M("invalid.required")
	case keys[c.Key]:
		f[at+".key"] = desk.M("quality.invalid.duplicate_key", c.Key)
	}
	keys[c.Key] = true
	if c.Title == "" {
		f[at+".title"] = desk.M("invalid.required")
	}
	if c.Weight < 0 || math.IsNaN(c.Weight) {
		f[at+".weight"] = desk.M("quality.invalid.weight")
	}
	switch c.Scale {
	case ScaleYesNo, ScaleFive:
		c.MaxPoints = 0
	case ScalePoints:
		if c.MaxPoints < 1 || c.MaxPoints > 100 {
			f[at+".max_points"] = desk.M("invalid.range", 100)
		}
	default:
		f[at+".scale"] = desk.M("quality.invalid.scale", strings.Join(Scales, ", "))
		return
	}
	if !c.Critical {
		c.FailAnswer = ""
		return
	}
	if c.FailAnswer == "" {
		f[at+".fail_answer"] = desk.M("quality.invalid.critical_fail_answer")
		return
	}
	v, ok := c.value(c.FailAnswer)
	if !ok || v >= 1 || (c.Scale == ScaleYesNo && c.FailAnswer != "no") {
		f[at+".fail_answer"] = desk.M("quality.invalid.fail_answer")
	}
}

// value is an answer as a share of the best answer (0 to 1); na answers
// false as not applicable, as does anything that is not an answer.
func (c *Criterion) value(answer string) (float64, bool) {
	switch c.Scale {
	case ScaleYesNo:
		switch answer {
		case "yes":
			return 1, true
		case "no":
			return 0, true
		}
	case ScaleFive:
		if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= 5 {
			return float64(n-1) / 4, true
		}
	case ScalePoints:
		if n, err := strconv.Atoi(answer); err == nil && n >= 0 && n <= c.MaxPoints {
			return float64(n) / float64(c.MaxPoints), true
		}
	}
	return 0, false
}

// fails reports whether an answer fails a critical criterion.
func (c *Criterion) fails(answer string) bool {
	if !c.Critical {
		return false
	}
	v, ok := c.value(answer)
	fail, _ := c.value(c.FailAnswer)
	return ok && v <= fail
}

// Criteria lists every criterion of the scorecard in order.
func (s *Scorecard) Criteria() []Criterion {
	var out []Criterion
	for _, sec := range s.Sections {
		out = append(out, sec.Criteria...)
	}
	return out
}

// Result is a scored review: the score in percent (0 when a critical
// criterion failed) and each criterion's share of its best answer (absent
// when not applicable).
type Result struct {
	Score          float64
	CriticalFailed bool
	Criteria       map[string]float64
}

// Score checks that answers name every criterion with an answer its scale
// allows, and computes the score: each section's weighted mean of its
// applicable criteria, weighted by section, over the sections with any
// applicable criterion.
func (s *Scorecard) Score(answers map[string]string) (Result, error) {
	f := desk.Fields{}
	res := Result{Criteria: map[string]float64{}}
	known := map[string]bool{}
	var score, weights float64
	for _, sec := range s.Sections {
		var sum, w float64
		for i := range sec.Criteria {
			c := &sec.Criteria[i]
			known[c.Key] = true
			a, ok := answers[c.Key]
			if !ok || a == "" {
				f["answers."+c.Key] = desk.M("invalid.required")
				continue
			}
			if a == "na" && c.Scale == ScaleYesNo && !c.Critical {
				continue
			}
			v, ok := c.value(a)
			if !ok {
				f["answers."+c.Key] = desk.M("quality.invalid.answer", a)
				continue
			}
			res.Criteria[c.Key] = v
			if c.fails(a) {
				res.CriticalFailed = true
			}
			sum += v * c.Weight
			w += c.Weight
		}
		if w > 0 {
			score += sum / w * sec.Weight
			weights += sec.Weight
		}
	}
	for k := range answers {
		if !known[k] {
			f["answers."+k] = desk.M("quality.invalid.unknown_criterion", k)
		}
	}
	if len(f) > 0 {
		return Result{}, desk.Invalid(f)
	}
	if weights > 0 {
		res.Score = math.Round(score/weights*100*100) / 100
	} else if !res.CriticalFailed && len(res.Criteria) == 0 {
		return Result{}, desk.Invalid(desk.Fields{"answers": desk.M("quality.invalid.all_na")})
	}
	if res.CriticalFailed {
		res.Score = 0
	}
	return res, nil
}
