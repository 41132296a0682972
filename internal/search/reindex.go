package search

import "context"

// reindexBatch is how many tickets (with their messages), contacts or
// organizations one transaction of a reindex writes.
const reindexBatch = 500

// Progress is told, after each batch of a reindex, how many things of the
// kind are done out of how many.
type Progress func(kind Kind, done, total int64)

// Reindex builds the index again from the tickets, messages, contacts,
// organizations and published articles, in batches; the indexer's cursor is set first to where the
// events stand, so that changes made meanwhile are indexed after (again,
// which is harmless). With clear, the index is emptied first (searches find
// less until it is done); without, entries are replaced as it goes.
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
	// Organizations and contacts first, tickets last: newer entries come
	// first in results, and tickets are what agents look for most.
	for _, kind := range []Kind{KindArticle, KindOrganization, KindContact, KindTicket} {
		total, err := x.store.SearchCount(ctx, kind)
		if err != nil {
			return err
		}
		var done, after int64
		if progress != nil {
			progress(kind, 0, total)
		}
		for {
			ids, err := x.store.SearchIDs(ctx, kind, after, reindexBatch)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				break
			}
			refs := make([]Ref, len(ids))
			for i, id := range ids {
				refs[i] = Ref{kind, id}
			}
			if err := x.Index(ctx, refs); err != nil {
				return err
			}
			after, done = ids[len(ids)-1], done+int64(len(ids))
			if progress != nil {
				progress(kind, min(done, max(total, done)), max(total, done))
			}
		}
	}
	if err := x.store.AnalyzeSearch(ctx); err != nil {
		return err
	}
	return x.store.SetEventCursor(ctx, Consumer, last)
}
