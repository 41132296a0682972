package app

import (
	"context"
	"time"

	"github.com/sahayak/sahayak/internal/accountreport"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/digest"
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

// digestsDue is the periodic job that mails the report digests whose last
// whole day, week or month has not gone out. It is enqueued by the leader
// only; should two runs overlap, each digest's period still goes once
// (digest.Service.SendDue moves it in the transaction that stores the mail).
type digestsDue struct{}

func (digestsDue) Kind() string { return "digest.due" }

// DigestsEvery is how often digests are looked at: a daily digest goes out
// within this of midnight UTC.
const DigestsEvery = 15 * time.Minute

func mailDigests(q *jobs.Queue, svc *digest.Service) error {
	if err := jobs.AddWorker(q, func(ctx context.Context, _ digestsDue) error {
		_, err := svc.SendDue(desk.WithActor(ctx, desk.System))
		return err
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	return jobs.Every(q, DigestsEvery, digestsDue{})
}
