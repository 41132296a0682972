package app

import (
	"context"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/training"
)

// trainingFacts are the figures a performance review gathers from other
// packages: the agent's KPIs from the report rollups and QA scores from
// the reviews (exactly the period: quality's ScoresFor rounds to whole
// weeks), coaching sessions held in the period. Goals join here when
// that feature lands.
func trainingFacts(db *store.DB, reports *report.Service, qa *quality.Service) training.FactSources {
	return training.FactSources{
		KPIs:     training.ReportKPIs(reports),
		QA:       db.QAScores,
		Coaching: training.QualityCoaching(qa),
	}
}

// trainingSweep is the periodic job of training (standing team courses to
// new members, certifications renewed, due and overdue reminders); River's
// leader enqueues it, so it runs on one node at a time.
type trainingSweep struct{}

func (trainingSweep) Kind() string { return "training.sweep" }

func sweepTraining(q *jobs.Queue, svc *training.Service) error {
	if err := jobs.AddWorker(q, func(ctx context.Context, _ trainingSweep) error {
		_, err := svc.Sweep(desk.WithActor(ctx, desk.System))
		return err
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	return jobs.Every(q, 5*time.Minute, trainingSweep{})
}
