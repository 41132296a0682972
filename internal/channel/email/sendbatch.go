package email

import (
	"context"
	"fmt"
	"sync"

	"github.com/sahayak/sahayak/internal/desk"
)

// sendBatchMax is how many replies of one mailbox one job sends. The job
// queue's own work (taking a job, recording its end) cost as much CPU as
// building and handing over the mail; shared by a batch it is small, while
// a few batches still run side by side on the relay's pooled sessions.
const sendBatchMax = 25

// sendBatchArgs is the job of a batch of replies (the mails whose batch
// column holds Batch).
type sendBatchArgs struct {
	Batch int64 `json:"batch"`
}

// Kind names the job in the queue; never rename it.
func (sendBatchArgs) Kind() string { return "mail_send_batch" }

// batchGroups numbers the replies queued together into groups of at most
// sendBatchMax of one mailbox; QueueOutbound makes each group a batch.
type batchGroups struct {
	n       int64
	current map[int64]int64 // mailbox → its open group
	size    map[int64]int   // group → mails in it
}

func (g *batchGroups) next(mailboxID int64) int64 {
	if g.current == nil {
		g.current, g.size = map[int64]int64{}, map[int64]int{}
	}
	id, ok := g.current[mailboxID]
	if !ok || g.size[id] >= sendBatchMax {
		g.n++
		id = g.n
		g.current[mailboxID] = id
	}
	g.size[id]++
	return id
}

// sendBatch is the job of a batch: every mail of it still queued is built
// (once, kept for retries) and handed over, on the relay's pooled session,
// and their states are written in one transaction. A mail the relay
// refuses for now is tried again with the job's backoff; so are the mails
// after it in this run (the relay is likely down for them too, and one run
// must not wait out a timeout per mail), each counting the attempt. Mail
// sent by a run that dies before writing its state is sent again by the
// next run: at least once, as with a job per mail. Each mail is in one
// batch only, so no two jobs ever hold it.
func (s *Sender) sendBatch(ctx context.Context, a sendBatchArgs) error {
	list, err := s.store.OutboundBatch(ctx, a.Batch)
	if err != nil || len(list) == 0 {
		return err
	}
	mb, err := s.store.Mailbox(ctx, list[0].MailboxID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		for _, o := range list {
			s.settle(o, DeliveryFailed, "mailbox deleted", "")
		}
		return s.saveBatch(ctx, list)
	}
	if err != nil {
		return err
	}
	dkim := sync.OnceValues(func() (*DKIM, error) { return s.mailboxDKIM(ctx, mb.ID) })
	var retry *RelayError
	for _, o := range list {
		if retry == nil {
			retry = s.deliver(ctx, mb, o, dkim)
			continue
		}
		o.Attempts++
		if o.Attempts >= s.cfg.MaxAttempts {
			s.settle(o, DeliveryFailed, retry.Reason, mb.SMTP.Host)
		} else {
			o.Reason, o.UpdatedAt = retry.Reason, s.clock.Now()
		}
	}
	if err := s.saveBatch(ctx, list); err != nil {
		return err
	}
	if retry != nil {
		return fmt.Errorf("mail batch %d: %w", a.Batch, retry)
	}
	return nil
}

func (s *Sender) saveBatch(ctx context.Context, list []*Outbound) error {
	if err := s.store.SaveOutbounds(ctx, list); err != nil {
		return fmt.Errorf("mail batch: %w", err)
	}
	for _, o := range list {
		s.logFailed(o)
	}
	return nil
}
