package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/webhook"
)

// Optimistic concurrency over HTTP: every resource has a version, sent as a
// strong entity tag ("v7") with the resource; a PATCH or DELETE carrying
// If-Match applies only to that version, else 412 with the code "stale" and
// the current version. If-Match is optional (no header, or "*", applies to
// whatever version is current) but recommended.

// etag is the strong entity tag of a version.
func etag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// ifMatch reads the If-Match precondition: 0 when absent or "*", the version
// of one of our entity tags, and -1 for another well-formed entity tag (a
// weak one included: If-Match compares strongly), which never matches. A
// list of several tags, or anything else, is a 400.
func ifMatch(r *http.Request) (int64, error) {
	vals := r.Header.Values("If-Match")
	if len(vals) == 0 {
		return 0, nil
	}
	v := strings.TrimSpace(strings.Join(vals, ","))
	if v == "*" {
		return 0, nil
	}
	weak := strings.HasPrefix(v, "W/")
	tag := strings.TrimPrefix(v, "W/")
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' || strings.ContainsAny(tag[1:len(tag)-1], `",`) {
		return 0, desk.E(desk.EINVALID, "error.if_match")
	}
	if n, err := strconv.ParseInt(strings.TrimPrefix(tag[1:len(tag)-1], "v"), 10, 64); err == nil && n > 0 &&
		!weak && strings.HasPrefix(tag, `"v`) {
		return n, nil
	}
	return -1, nil
}

// withPrecondition parses the {id} path value and If-Match and calls fn with
// them.
func withPrecondition[T any](r *http.Request, fn func(id, ifVersion int64) (T, error)) (T, error) {
	var zero T
	id, err := pathID(r, "id")
	if err != nil {
		return zero, err
	}
	v, err := ifMatch(r)
	if err != nil {
		return zero, err
	}
	return fn(id, v)
}

// versioned is a resource with a version the API answers as its ETag.
type versioned interface{ CurrentVersion() int64 }

var (
	_ versioned = (*ticket.Ticket)(nil)
	_ versioned = (*ticket.Field)(nil)
	_ versioned = (*people.Contact)(nil)
	_ versioned = (*people.Organization)(nil)
	_ versioned = (*people.Agent)(nil)
	_ versioned = (*people.Team)(nil)
	_ versioned = (*people.Role)(nil)
	_ versioned = (*access.Token)(nil)
	_ versioned = (*webhook.Webhook)(nil)
	_ versioned = (*email.Mailbox)(nil)
	_ versioned = (*sla.Calendar)(nil)
	_ versioned = (*sla.Policy)(nil)
	_ versioned = (*sla.Rule)(nil)
	_ versioned = (*account.Feedback)(nil)
	_ versioned = (*account.Opportunity)(nil)
	_ versioned = (*account.Rule)(nil)
)

// setETag sets the entity tag of a resource about to be answered (a
// versioned one, or a value embedding one, as a webhook with its secret).
func setETag(w http.ResponseWriter, v any) {
	if x, ok := v.(versioned); ok {
		if n := x.CurrentVersion(); n > 0 {
			w.Header().Set("ETag", etag(n))
		}
	}
}
