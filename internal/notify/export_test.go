package notify

import "context"

// Dispatch runs one pass of the dispatcher, as Run does on every wake-up, so
// that tests decide exactly when events are read.
func (n *Notifier) Dispatch(ctx context.Context) error { return n.dispatch(ctx) }
