package app

import (
	"context"
	"time"

	"github.com/sahayak/sahayak/internal/accountreport"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/nps"
)

// accountReportsDue is the periodic job that mails the account reports of
// the last whole month or quarter to the accounts scheduled for them. It
// runs on one node (jobs.Every: River's leader); a period goes out once per
// account even if two runs overlap (accountreport.Service.SendDue).
type accountReportsDue struct{}

func (accountReportsDue) Kind() string { return "accountreport.due" }

func mailAccountReports(q *jobs.Queue, svc *accountreport.Service) error {
	if err := jobs.AddWorker(q, func(ctx context.Context, _ accountReportsDue) error {
		_, err := svc.SendDue(desk.WithActor(ctx, desk.System))
		return err
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	return jobs.Every(q, time.Hour, accountReportsDue{})
}

// npsSend is the periodic job that mails a batch of NPS surveys not yet
// mailed (throttling a large campaign to a batch a minute), on one node.
type npsSend struct{}

func (npsSend) Kind() string { return "nps.send" }

func sendNPS(q *jobs.Queue, svc *nps.Service) error {
	if err := jobs.AddWorker(q, func(ctx context.Context, _ npsSend) error {
		_, err := svc.SendPending(desk.WithActor(ctx, desk.System))
		return err
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	return jobs.Every(q, time.Minute, npsSend{})
}
