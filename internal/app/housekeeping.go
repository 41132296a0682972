package app

import (
	"context"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/automation"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/store"
)

// purgeAPIState is the periodic job that deletes what the API keeps for a
// while only: expired idempotency keys, old rate-limit counts and old
// mail-loop counts. It runs
// on one node (see jobs.Every).
type purgeAPIState struct{}

func (purgeAPIState) Kind() string { return "api.purge" }

// purgeEvery is how often the job runs; an expired key is refused as
// expired before then, so this only bounds the table's size.
const purgeEvery = 10 * time.Minute

func addHousekeeping(q *jobs.Queue, db *store.DB, clock interface{ Now() time.Time }) error {
	if err := jobs.AddWorker(q, func(ctx context.Context, _ purgeAPIState) error {
		now := clock.Now()
		if _, err := db.PurgeIdempotencyKeys(ctx, now); err != nil {
			return err
		}
		if err := db.PurgeRequestCounts(ctx, now.Add(-time.Hour)); err != nil {
			return err
		}
		if err := db.PurgePortalState(ctx, now, now.Add(-24*time.Hour)); err != nil {
			return err
		}
		// Mail loop counts cover an hour by default; a day is ample.
		return db.PurgeMailCounts(ctx, now.Add(-24*time.Hour))
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	return jobs.Every(q, purgeEvery, purgeAPIState{})
}

// presenceSweep is the periodic job that applies inactivity to agents'
// availability; it runs on one node (see jobs.Every).
type presenceSweep struct{}

func (presenceSweep) Kind() string { return "assign.sweep_presence" }

func sweepPresence(q *jobs.Queue, svc *assign.Service) error {
	if err := jobs.AddWorker(q, func(ctx context.Context, _ presenceSweep) error {
		_, err := svc.Sweep(ctx)
		return err
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	return jobs.Every(q, time.Minute, presenceSweep{})
}

// automationsDue is the periodic job that fires the time rules whose
// timers are due (read in due order; see automation.Service.RunDue).
type automationsDue struct{}

func (automationsDue) Kind() string { return "automation.due" }

func runDueAutomations(q *jobs.Queue, svc *automation.Service) error {
	if err := jobs.AddWorker(q, func(ctx context.Context, _ automationsDue) error {
		for {
			n, err := svc.RunDue(desk.WithActor(ctx, desk.System))
			if err != nil || n < 500 {
				return err
			}
		}
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	return jobs.Every(q, time.Minute, automationsDue{})
}

// accountsRefresh is the periodic job that scores every account again for
// the time that passed (days since contact, to renewal), so that an
// account drifting into the risk band without events is noticed; it reads
// accounts, not tickets, and runs on one node.
type accountsRefresh struct{}

func (accountsRefresh) Kind() string { return "account.refresh" }

func refreshAccounts(q *jobs.Queue, svc *account.Service) error {
	if err := jobs.AddWorker(q, func(ctx context.Context, _ accountsRefresh) error {
		return svc.Refresh(desk.WithActor(ctx, desk.System))
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	if err := jobs.Every(q, time.Hour, accountsRefresh{}); err != nil {
		return err
	}
	if err := jobs.AddWorker(q, func(ctx context.Context, _ checkinsDue) error {
		_, err := svc.RemindDue(desk.WithActor(ctx, desk.System))
		return err
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	return jobs.Every(q, 5*time.Minute, checkinsDue{})
}

// checkinsDue is the periodic job that reminds owners of check-ins that
// fell due (once per due time; see account.Service.RemindDue).
type checkinsDue struct{}

func (checkinsDue) Kind() string { return "account.checkins_due" }

// coachingDue is the periodic job that reminds owners of coaching action
// items due within a day, and again once overdue (each once; see
// quality.Service.RemindActions); it runs on one node.
type coachingDue struct{}

func (coachingDue) Kind() string { return "quality.coaching_due" }

func remindCoaching(q *jobs.Queue, svc *quality.Service) error {
	if err := jobs.AddWorker(q, func(ctx context.Context, _ coachingDue) error {
		_, err := svc.RemindActions(desk.WithActor(ctx, desk.System))
		return err
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	return jobs.Every(q, 5*time.Minute, coachingDue{})
}

// goalsCheck is the periodic job that assesses every goal and alerts when
// one goes off track (once per crossing: report.Service.CheckGoals). Like
// every jobs.Every job it is enqueued by the leader only.
type goalsCheck struct{}

func (goalsCheck) Kind() string { return "report.goals_check" }

// GoalsEvery is how often goals are checked.
const GoalsEvery = 15 * time.Minute

func checkGoals(q *jobs.Queue, svc *report.Service) error {
	if err := jobs.AddWorker(q, func(ctx context.Context, _ goalsCheck) error {
		_, err := svc.CheckGoals(desk.WithActor(ctx, desk.System))
		return err
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	return jobs.Every(q, GoalsEvery, goalsCheck{})
}
