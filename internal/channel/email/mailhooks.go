package email

import (
	"context"
	"strings"
)

// Outcomes of mail that the outbound side's hooks stop before it makes or
// joins a ticket. The raw message stays recorded either way.
const (
	OutcomeBounce      = "bounce"       // a delivery report of the desk's own mail, marked on that mail
	OutcomeRateLimited = "rate_limited" // past its sender's limit: most likely a loop with an autoresponder
)

// Hooks let the outbound side look at received mail first.
type Hooks struct {
	// Bounce reports whether raw is a delivery report about mail the desk
	// sent, having recorded it there (Sender.HandleBounce).
	Bounce func(ctx context.Context, raw []byte) (bool, error)
	// AllowSender counts a mail from the address and reports whether it is
	// within the sender's limit (Sender.AllowInbound).
	AllowSender func(ctx context.Context, address string) (bool, error)
}

// SetHooks installs the hooks; call it before the service takes mail.
func (s *Service) SetHooks(h Hooks) { s.hooks = h }

// hookOutcome is the outcome the hooks give a received message, "" to go
// on as usual.
func (s *Service) hookOutcome(ctx context.Context, raw []byte, from string) (string, error) {
	if s.hooks.Bounce != nil {
		bounce, err := s.hooks.Bounce(ctx, raw)
		if err != nil || bounce {
			return OutcomeBounce, err
		}
	}
	if s.hooks.AllowSender != nil && from != "" && from != unknownSender {
		ok, err := s.hooks.AllowSender(ctx, strings.ToLower(from))
		if err != nil {
			return "", err
		}
		if !ok {
			return OutcomeRateLimited, nil
		}
	}
	return "", nil
}
