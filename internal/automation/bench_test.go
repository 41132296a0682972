package automation_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/automation"
	"github.com/sahayak/sahayak/internal/ticket"
)

// BenchmarkEvaluate200Rules: one ticket event against 200 active rules,
// each with three conditions (text, enum, tags and a custom field), as the
// consumer evaluates them (trigger match, then conditions). evaluations/s
// counts rule evaluations; events/s whole events.
func BenchmarkEvaluate200Rules(b *testing.B) {
	var rules []*automation.Rule
	prios := []string{"low", "normal", "high", "urgent"}
	for i := range 200 {
		rules = append(rules, &automation.Rule{ID: int64(i + 1), Active: true, Trigger: automation.Trigger{Event: automation.OnUpdated},
			Conditions: []automation.Condition{{Field: "subject", Op: "contains", Value: fmt.Sprintf("word%d", i%17)},
				{Field: "priority", Op: "is", Value: prios[i%4]}, {Field: "tags", Op: "contains", Value: "vip"},
				{Field: "custom_fields.plan", Op: "is", Value: "gold"}},
			Match: []string{"all", "any"}[i%2]})
	}
	t := &ticket.Ticket{ID: 1, Subject: "Refund for word3 order", Priority: "high", Tags: []string{"billing", "vip"},
		CustomFields: map[string]any{"plan": "gold"}}
	now := time.Now()
	matched := 0
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		for _, tr := range automation.Triggers("ticket.field_changed", "priority", false) {
			for _, r := range rules {
				if r.Active && r.Trigger.Event == tr && r.Matches(t, now) {
					matched++
				}
			}
		}
	}
	s := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)*200/s, "evaluations/s")
	b.ReportMetric(float64(b.N)/s, "events/s")
	if matched == 0 {
		b.Fatal("nothing matched")
	}
}
