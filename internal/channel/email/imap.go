package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sahayak/sahayak/internal/desk"
)

// States of a mailbox's IMAP poller, shown on the mailbox.
const (
	IMAPPending    = "pending"     // not polled yet
	IMAPOK         = "ok"          // the last poll worked
	IMAPAuthFailed = "auth_failed" // the server refused the username or password
	IMAPError      = "error"       // connection, TLS or protocol trouble; see the detail
)

// IMAPStatus is what the last poll of a mailbox found.
type IMAPStatus struct {
	MailboxID int64      `json:"mailbox_id"`
	Status    string     `json:"status"`
	Detail    string     `json:"detail"`
	CheckedAt *time.Time `json:"checked_at"`
	// LeaseOwner is the node polling the mailbox now ("" when none).
	LeaseOwner string `json:"lease_owner"`
}

// IMAPStore keeps the pollers' leases and statuses, shared by every node.
type IMAPStore interface {
	Mailboxes(ctx context.Context) ([]*Mailbox, error)
	Mailbox(ctx context.Context, id int64) (*Mailbox, error)
	// AcquireIMAPLease takes the mailbox's lease for owner until `until`
	// when it is free (expired by now) or owner's already, and reports
	// whether owner holds it.
	AcquireIMAPLease(ctx context.Context, mailboxID int64, owner string, now, until time.Time) (bool, error)
	ReleaseIMAPLease(ctx context.Context, mailboxID int64, owner string) error
	SetIMAPStatus(ctx context.Context, mailboxID int64, status, detail string, at time.Time) error
	IMAPStatus(ctx context.Context, mailboxID int64) (*IMAPStatus, error)
}

// Ingester takes in one raw message for a mailbox; nil means the message is
// committed (or was a duplicate), and only then is it flagged on the server.
type Ingester func(ctx context.Context, mb *Mailbox, raw []byte) error

// PollerConfig tunes IMAP polling. Zero fields take the defaults.
type PollerConfig struct {
	// Interval between polls of a server without IDLE, and between looks
	// for mailboxes whose lease is free (default 30 s).
	Interval time.Duration
	// Lease is how long a node holds a mailbox without renewing it
	// (default 2 min); it renews every Lease/3.
	Lease time.Duration
	// Timeout bounds a command (default 60 s).
	Timeout time.Duration
	// MaxMessage is the largest message fetched (default 25 MiB); larger
	// ones are flagged and left, with the mailbox's status saying so.
	MaxMessage int64
	TLS        *tls.Config // base TLS configuration (tests)
}

func (c *PollerConfig) defaults() {
	if c.Interval <= 0 {
		c.Interval = 30 * time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Minute
	}
	if c.MaxMessage <= 0 {
		c.MaxMessage = 25 << 20
	}
}

// Poller fetches new mail from the mailboxes that have an IMAP server. Each
// mailbox is worked by one node at a time, the holder of its lease in the
// database; a node that dies leaves the lease to expire and another takes
// over. A message is flagged \Seen only after ingest committed it, so a
// crash between the two fetches it again, and ingest's idempotency (mailbox
// + Message-ID) records it once.
type Poller struct {
	store  IMAPStore
	ingest Ingester
	clock  desk.Clock
	log    *slog.Logger
	owner  string
	cfg    PollerConfig

	mu      sync.Mutex
	running map[int64]bool
	wg      sync.WaitGroup
}

// NewPoller builds a poller; owner names this node in the leases.
func NewPoller(s IMAPStore, ingest Ingester, clock desk.Clock, log *slog.Logger, owner string, cfg PollerConfig) *Poller {
	cfg.defaults()
	return &Poller{store: s, ingest: ingest, clock: clock, log: log, owner: owner, cfg: cfg, running: map[int64]bool{}}
}

// Run looks for mailboxes to poll every Interval and works each one it
// holds the lease of in its own goroutine, until ctx ends; it returns once
// they have all stopped and released their leases.
func (p *Poller) Run(ctx context.Context) {
	defer p.wg.Wait()
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		p.claim(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *Poller) claim(ctx context.Context) {
	mbs, err := p.store.Mailboxes(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error("imap: list mailboxes", slog.Any("err", err))
		}
		return
	}
	for _, mb := range mbs {
		if !mb.Active || mb.IMAP.Host == "" {
			continue
		}
		p.mu.Lock()
		busy := p.running[mb.ID]
		p.mu.Unlock()
		if busy {
			continue
		}
		now := p.clock.Now()
		ok, err := p.store.AcquireIMAPLease(ctx, mb.ID, p.owner, now, now.Add(p.cfg.Lease))
		if err != nil || !ok {
			continue
		}
		p.mu.Lock()
		p.running[mb.ID] = true
		p.mu.Unlock()
		p.wg.Add(1)
		go func(id int64) {
			defer p.wg.Done()
			p.work(ctx, id)
			p.mu.Lock()
			delete(p.running, id)
			p.mu.Unlock()
			// Released on a fresh context: ctx may be what ended the work.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := p.store.ReleaseIMAPLease(rctx, id, p.owner); err != nil {
				p.log.Error("imap: release lease", slog.Int64("mailbox", id), slog.Any("err", err))
			}
		}(mb.ID)
	}
}

// PollOnce works a mailbox once if this node can take its lease: fetch,
// ingest and flag what is new. It reports whether it held the lease (tests
// and `sahayak mail poll`).
func (p *Poller) PollOnce(ctx context.Context, mailboxID int64) (bool, error) {
	now := p.clock.Now()
	ok, err := p.store.AcquireIMAPLease(ctx, mailboxID, p.owner, now, now.Add(p.cfg.Lease))
	if err != nil || !ok {
		return false, err
	}
	defer p.store.ReleaseIMAPLease(context.WithoutCancel(ctx), mailboxID, p.owner)
	mb, err := p.store.Mailbox(ctx, mailboxID)
	if err != nil {
		return true, err
	}
	c, err := p.connect(ctx, mb, nil)
	if err != nil {
		return true, err
	}
	defer c.Close()
	return true, p.fetchNew(ctx, c, mb)
}

// work holds one mailbox: a session that fetches what is new, then waits in
// IDLE (or sleeps, on a server without it), renewing the lease, until the
// lease is lost, the mailbox changes or ctx ends. Errors end the session;
// the next claim, an Interval later, starts a new one.
func (p *Poller) work(ctx context.Context, id int64) {
	mb, err := p.store.Mailbox(ctx, id)
	if err != nil {
		return
	}
	wake := make(chan struct{}, 1)
	c, err := p.connect(ctx, mb, wake)
	if err != nil {
		return
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	renew := p.cfg.Lease / 3
	for ctx.Err() == nil {
		if err := p.fetchNew(ctx, c, mb); err != nil {
			return
		}
		if !c.Caps().Has(imap.CapIdle) {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-time.After(min(p.cfg.Interval, renew)):
			}
		} else if err := p.idle(ctx, c, wake, renew); err != nil {
			return
		}
		now := p.clock.Now()
		if ok, err := p.store.AcquireIMAPLease(ctx, id, p.owner, now, now.Add(p.cfg.Lease)); err != nil || !ok {
			return
		}
		fresh, err := p.store.Mailbox(ctx, id)
		if err != nil || fresh.Version != mb.Version {
			return // settings changed: reconnect with the new ones
		}
	}
}

// idle waits in IDLE until the server announces mail or `max` passes.
func (p *Poller) idle(ctx context.Context, c *imapclient.Client, wake chan struct{}, max time.Duration) error {
	cmd, err := c.Idle()
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-wake:
	case <-time.After(max):
	case <-c.Closed():
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	return cmd.Wait()
}

// connect opens, secures and logs in a session and selects the folder,
// recording the outcome on the mailbox. A refused login is "auth_failed";
// no status, log line or error carries the password.
func (p *Poller) connect(ctx context.Context, mb *Mailbox, wake chan struct{}) (*imapclient.Client, error) {
	opts := &imapclient.Options{TLSConfig: tlsFor(p.cfg.TLS, mb.IMAP.Host), Dialer: &net.Dialer{Timeout: p.cfg.Timeout}}
	if wake != nil {
		opts.UnilateralDataHandler = &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}}
	}
	addr := serverAddr(&mb.IMAP)
	var c *imapclient.Client
	var err error
	switch mb.IMAP.Security {
	case SecurityTLS:
		c, err = imapclient.DialTLS(addr, opts)
	case SecurityStartTLS:
		c, err = imapclient.DialStartTLS(addr, opts)
	default:
		if mb.IMAP.Username != "" && !isLoopback(mb.IMAP.Host) {
			return nil, p.status(ctx, mb.ID, IMAPError, "refusing to send a password without TLS")
		}
		c, err = imapclient.DialInsecure(addr, opts)
	}
	if err != nil {
		return nil, p.status(ctx, mb.ID, IMAPError, "connect: "+err.Error())
	}
	if err := c.Login(mb.IMAP.Username, mb.IMAP.Password).Wait(); err != nil {
		c.Close()
		var ie *imap.Error
		if errors.As(err, &ie) && (ie.Type == imap.StatusResponseTypeNo || ie.Code == imap.ResponseCodeAuthenticationFailed) {
			return nil, p.status(ctx, mb.ID, IMAPAuthFailed, "the server refused the username or password")
		}
		return nil, p.status(ctx, mb.ID, IMAPError, "login: "+err.Error())
	}
	folder := mb.IMAP.Folder
	if folder == "" {
		folder = "INBOX"
	}
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		c.Close()
		return nil, p.status(ctx, mb.ID, IMAPError, "select "+folder+": "+err.Error())
	}
	return c, nil
}

// status records the mailbox's state and returns it as an error (nil for ok).
func (p *Poller) status(ctx context.Context, mailboxID int64, status, detail string) error {
	detail = CleanHeaderText(detail, 300)
	if err := p.store.SetIMAPStatus(context.WithoutCancel(ctx), mailboxID, status, detail, p.clock.Now()); err != nil {
		p.log.Error("imap: record status", slog.Int64("mailbox", mailboxID), slog.Any("err", err))
	}
	if status == IMAPOK {
		return nil
	}
	p.log.Warn("imap: mailbox", slog.Int64("mailbox", mailboxID), slog.String("status", status), slog.String("detail", detail))
	return errors.New(status + ": " + detail)
}

// fetchNew ingests every unseen message, oldest first, flagging each \Seen
// once ingest returned; a message ingest refuses is left unseen for the
// next poll and the mailbox's status names the trouble.
func (p *Poller) fetchNew(ctx context.Context, c *imapclient.Client, mb *Mailbox) error {
	data, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen, imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return p.status(ctx, mb.ID, IMAPError, "search: "+err.Error())
	}
	section := &imap.FetchItemBodySection{Peek: true}
	for _, uid := range data.AllUIDs() {
		set := imap.UIDSetNum(uid)
		msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return p.status(ctx, mb.ID, IMAPError, "fetch: "+err.Error())
		}
		if len(msgs) == 0 {
			continue
		}
		raw := msgs[0].FindBodySection(section)
		if msgs[0].RFC822Size > p.cfg.MaxMessage {
			p.status(ctx, mb.ID, IMAPError, fmt.Sprintf("message UID %d is larger than %d bytes; left on the server", uid, p.cfg.MaxMessage))
		} else if err := p.ingest(ctx, mb, raw); err != nil {
			return p.status(ctx, mb.ID, IMAPError, fmt.Sprintf("ingest UID %d: %v", uid, err))
		}
		if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			return p.status(ctx, mb.ID, IMAPError, "flag: "+err.Error())
		}
	}
	return p.status(ctx, mb.ID, IMAPOK, "")
}
