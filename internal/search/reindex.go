package search

import "context"

// reindexBatch is how many tickets (with their messages), contacts or
// organizations one transaction of a reindex writes. Bigger transactions
// mean fewer commits and fewer, larger FTS5 segments to merge; 2,000
// tickets of five messages are about 12,000 entries, a few MB.
const reindexBatch = 2000

// Progress is told, after each batch of a reindex, how many things of the
// kind are done out of how many.
type Progress func(kind Kind, done, total int64)

// reindexStep is one batch of a reindex, read and split into words, ready
// to write; or the count of a kind before its first batch.
type reindexStep struct {
	kind  Kind
	refs  []Ref
	docs  []Doc
	total int64 // with refs nil: the kind starts, with this many things
	err   error
}

// Reindex builds the index again from the tickets, messages, contacts,
// organizations and published articles, in batches; the indexer's cursor is set first to where the
// events stand, so that changes made meanwhile are indexed after (again,
// which is harmless). With clear, the index is emptied first (searches find
// less until it is done); without, entries are replaced as it goes.
// Reading a batch and splitting its text into words (on one goroutine)
// goes on while the batch before is written (on this one): on two cores
// neither waits for the other.
func (x *Indexer) Reindex(ctx context.Context, clear bool, progress Progress) error {
	last, err := x.store.LastEventID(ctx)
	if err != nil {
		return err
	}
	if clear {
		if err := x.store.ClearSearch(ctx); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	steps := make(chan reindexStep, 1)
	go x.readForReindex(ctx, steps)
	var done, total int64
	for s := range steps {
		switch {
		case s.err != nil:
			return s.err
		case s.refs == nil:
			done, total = 0, s.total
		default:
			if err := x.store.ReplaceSearch(ctx, s.refs, s.docs); err != nil {
				cancel()
				for range steps { // let the reader end
				}
				return err
			}
			done += int64(len(s.refs))
			total = max(total, done)
		}
		if progress != nil {
			progress(s.kind, done, total)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := x.store.AnalyzeSearch(ctx); err != nil {
		return err
	}
	return x.store.SetEventCursor(ctx, Consumer, last)
}

// readForReindex sends every batch to write, kind by kind, and closes
// steps at the end, after an error, or when ctx ends.
func (x *Indexer) readForReindex(ctx context.Context, steps chan<- reindexStep) {
	defer close(steps)
	send := func(s reindexStep) bool {
		select {
		case steps <- s:
			return s.err == nil
		case <-ctx.Done():
			return false
		}
	}
	// Organizations and contacts first, tickets last: newer entries come
	// first in results, and tickets are what agents look for most.
	for _, kind := range []Kind{KindArticle, KindOrganization, KindContact, KindTicket} {
		total, err := x.store.SearchCount(ctx, kind)
		if !send(reindexStep{kind: kind, total: total, err: err}) {
			return
		}
		var after int64
		for {
			ids, err := x.store.SearchIDs(ctx, kind, after, reindexBatch)
			if err != nil {
				send(reindexStep{err: err})
				return
			}
			if len(ids) == 0 {
				break
			}
			refs := make([]Ref, len(ids))
			for i, id := range ids {
				refs[i] = Ref{kind, id}
			}
			docs, err := x.docs(ctx, refs)
			if !send(reindexStep{kind: kind, refs: refs, docs: docs, err: err}) {
				return
			}
			after = ids[len(ids)-1]
		}
	}
}
