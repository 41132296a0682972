package desk

import (
	"context"
	"slices"
	"time"
)

// Actor is who is acting: an agent (through the web app or an API token), a
// contact, or the system itself (jobs, rules).
type Actor struct {
	Kind        string // ActorAgent, ActorContact or ActorSystem
	ID          int64
	Name        string
	Role        string
	Permissions []string
	TeamIDs     []int64
	Language    string
	// OrganizationID, for a contact, is the organization whose tickets
	// they may see besides their own (it shares tickets on the portal);
	// 0 for none.
	OrganizationID int64
	// AccountIDs are the organizations the agent owns, read only for those
	// whose ticket scope includes them (tickets:read_accounts).
	AccountIDs []int64
}

// Actor kinds.
const (
	ActorAgent   = "agent"
	ActorContact = "contact"
	ActorSystem  = "system"
)

// System is the actor for work the product does by itself.
var System = Actor{Kind: ActorSystem, Name: "Sahayak"}

// Can reports whether the actor holds the permission. The system may do anything.
func (a Actor) Can(permission string) bool {
	if a.Kind == ActorSystem {
		return true
	}
	return slices.Contains(a.Permissions, permission)
}

// InTeam reports whether the actor is a member of the team.
func (a Actor) InTeam(teamID int64) bool { return slices.Contains(a.TeamIDs, teamID) }

type actorKey struct{}

// WithActor returns a context carrying the acting user.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the acting user of ctx; ok is false when there is none.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// Clock tells the time; tests inject a fixed one.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock, in UTC with microsecond precision (what both
// databases store).
type SystemClock struct{}

// Now returns the current UTC time truncated to microseconds.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Require returns the acting user of ctx if it holds the permission ("" for
// anyone signed in): EUNAUTHORIZED without an actor, EFORBIDDEN without
// the permission.
func Require(ctx context.Context, permission string) (Actor, error) {
	a, ok := ActorFrom(ctx)
	if !ok {
		return Actor{}, E(EUNAUTHORIZED, "error.sign_in")
	}
	if permission != "" && !a.Can(permission) {
		return a, E(EFORBIDDEN, "error.forbidden", permission)
	}
	return a, nil
}
