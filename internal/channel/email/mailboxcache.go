package email

import (
	"context"
	"strings"
	"sync"
	"time"
)

// mailboxTTL is how long a node trusts its copy of the mailboxes. Ingest
// asks for a mailbox two or three times per message (the one mail came to,
// whether the sender is one of ours, each recipient of an SMTP session), a
// read each; on PostgreSQL those round trips were a fifth of a message's.
// A change made on another node shows here within this time; this
// process's own changes (Service.Create, Update, Delete) drop the copy at
// once.
const mailboxTTL = 2 * time.Second

// mailboxCache is a service's copy of every mailbox (a desk has a handful),
// read again when older than mailboxTTL. Nothing depends on it being the
// same on every node: each node's copy is at most mailboxTTL behind the
// database, which is what a mailbox just added or switched off elsewhere
// may take to be seen.
type mailboxCache struct {
	store MailboxStore

	mu     sync.Mutex
	loaded time.Time // monotonic: the age of the copy, not the desk's clock
	byID   map[int64]*Mailbox
	byAddr map[string]*Mailbox
}

// snapshot returns the current copy, reading the mailboxes again when it
// is missing or older than mailboxTTL. The maps are never changed once
// made, so callers read them without the lock.
func (c *mailboxCache) snapshot(ctx context.Context) (map[int64]*Mailbox, map[string]*Mailbox, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The age is real elapsed time (time.Since), not the injected desk
	// clock: tests freeze that clock, and the copy must still age.
	if c.byID != nil && time.Since(c.loaded) < mailboxTTL {
		return c.byID, c.byAddr, nil
	}
	list, err := c.store.Mailboxes(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[int64]*Mailbox, len(list))
	byAddr := make(map[string]*Mailbox, len(list))
	for _, m := range list {
		byID[m.ID], byAddr[m.Address] = m, m
	}
	c.byID, c.byAddr, c.loaded = byID, byAddr, time.Now()
	return byID, byAddr, nil
}

// forget drops the copy (after a change through this process).
func (c *mailboxCache) forget() {
	c.mu.Lock()
	c.byID, c.byAddr = nil, nil
	c.mu.Unlock()
}

// mailbox returns a copy of one mailbox. One the copy does not know yet (just
// made on another node) is read from the store.
func (c *mailboxCache) mailbox(ctx context.Context, id int64) (*Mailbox, error) {
	byID, _, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if m, ok := byID[id]; ok {
		cp := *m
		return &cp, nil
	}
	return c.store.Mailbox(ctx, id)
}

// byAddress returns a copy of the mailbox with a (lower-case) address,
// asking the store when the copy does not know it: a recipient is refused
// only on the database's word.
func (c *mailboxCache) byAddress(ctx context.Context, address string) (*Mailbox, error) {
	_, byAddr, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if m, ok := byAddr[strings.ToLower(address)]; ok {
		cp := *m
		return &cp, nil
	}
	return c.store.MailboxByAddress(ctx, address)
}

// isOurs tells whether an address is one of the mailboxes', by the copy
// alone: asked of every sender, most of whom are not, it must cost no read.
// A mailbox added on another node counts after at most mailboxTTL.
func (c *mailboxCache) isOurs(ctx context.Context, address string) (bool, error) {
	_, byAddr, err := c.snapshot(ctx)
	if err != nil {
		return false, err
	}
	_, ok := byAddr[strings.ToLower(address)]
	return ok, nil
}
