package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/store/storetest"
)

// liveStream is an open GET /events as some agent: the events it delivered,
// in order; the channel closes when the server ends the stream.
type liveStream struct {
	t      testing.TB
	Status int
	Body   string // the answer when the stream was refused
	events chan liveEvent
	cancel context.CancelFunc
}

type liveEvent struct {
	Kind     string
	TicketID int64
}

// openStream opens the event stream with the given headers and waits until
// the server says it is connected (so that nothing published afterwards can
// be missed).
func openStream(t testing.TB, base string, h http.Header) *liveStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream") // as a browser's EventSource sends
	for k, v := range h {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /events: %v", err)
	}
	s := &liveStream{t: t, Status: res.StatusCode, events: make(chan liveEvent, 64), cancel: cancel}
	if res.StatusCode != http.StatusOK {
		var b strings.Builder
		_, _ = bufio.NewReader(res.Body).WriteTo(&b)
		res.Body.Close()
		s.Body = b.String()
		close(s.events)
		return s
	}
	connected := make(chan struct{})
	go func() {
		defer close(s.events)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var kind, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == ": connected":
				close(connected)
			case strings.HasPrefix(line, "event: "):
				kind = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && kind != "":
				var e struct {
					TicketID int64 `json:"ticket_id"`
				}
				_ = json.Unmarshal([]byte(data), &e)
				s.events <- liveEvent{Kind: kind, TicketID: e.TicketID}
				kind, data = "", ""
			}
		}
	}()
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the event stream never said it was connected")
	}
	return s
}

// openStreamAs opens the event stream with a cast member's API token.
func (d *testDesk) openStreamAs(name string) *liveStream {
	d.t.Helper()
	return openStream(d.t, d.URL, http.Header{"Authorization": {"Bearer " + d.Tokens[name]}})
}

// next returns the next event, or ok=false when the stream ended. The
// deadline only keeps a broken server from hanging the test.
func (s *liveStream) next() (liveEvent, bool) {
	s.t.Helper()
	select {
	case e, ok := <-s.events:
		return e, ok
	case <-time.After(time.Minute):
		s.t.Fatal("no event and no end of stream")
		return liveEvent{}, false
	}
}

// expect reads the next event and fails unless it is kind on ticketID.
func (s *liveStream) expect(kind string, ticketID int64) {
	s.t.Helper()
	e, ok := s.next()
	if !ok {
		s.t.Fatalf("the stream ended; want %s on ticket %d", kind, ticketID)
	}
	if e.Kind != kind || e.TicketID != ticketID {
		s.t.Fatalf("got %s on ticket %d, want %s on ticket %d", e.Kind, e.TicketID, kind, ticketID)
	}
}

// expectEnd reads the stream to its end and fails if it delivers anything.
func (s *liveStream) expectEnd() {
	s.t.Helper()
	if e, ok := s.next(); ok {
		s.t.Fatalf("the stream delivered %s on ticket %d after its credential lost its right to it", e.Kind, e.TicketID)
	}
}

// tokenID is the id of the named cast member's API token.
func (d *testDesk) tokenID(name string) int64 {
	d.t.Helper()
	list, err := d.Access.Tokens(context.Background(), d.Agents[name].ID)
	if err != nil || len(list) == 0 {
		d.t.Fatalf("tokens of %s: %v", name, err)
	}
	return list[0].ID
}

// credentialLosses are the ways a token's stream loses its right to hear
// anything; each must end the stream.
var credentialLosses = []struct {
	name string
	take func(d *testDesk)
}{
	{"a revoked API token", func(d *testDesk) {
		d.mustCall(204, "DELETE", "/api/v1/tokens/"+id(d.tokenID("ravi")), "ravi", nil)
	}},
	{"deactivating the agent", func(d *testDesk) {
		d.mustCall(204, "DELETE", "/api/v1/agents/"+id(d.Agents["ravi"].ID), "ada", nil)
	}},
	{"a deactivation through PATCH", func(d *testDesk) {
		d.mustCall(200, "PATCH", "/api/v1/agents/"+id(d.Agents["ravi"].ID), "ada", map[string]any{"active": false})
	}},
}

func TestLiveStreamsAreReauthorized(t *testing.T) {
	// Each case opens ravi's stream (tier 1 "Frontline", role agent), takes
	// something away, then commits a change ravi could have seen before.
	// The stream must not deliver it: it ends.
	for _, tc := range credentialLosses {
		for _, backend := range storetest.Backends() {
			t.Run(tc.name+" ends the stream/"+backend.Name, func(t *testing.T) {
				t.Parallel()
				d := newDesk(t, backend, nil)
				s := d.openStreamAs("ravi")
				tid := d.mustCreateTicket("ada", nil).id("id")
				s.expect("ticket.created", tid)
				tc.take(d)
				d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(tid), "ada", map[string]any{"priority": "urgent"})
				s.expectEnd()
			})
		}
	}
}

func TestLiveStreamsFollowTeamChanges(t *testing.T) {
	// Removed from his team, ravi stops hearing of its tickets and goes
	// on hearing what he may still see.
	eachBackend(t, func(t *testing.T, d *testDesk) {
		s := d.openStreamAs("ravi")
		frontline := d.Teams[1].ID
		tid := d.mustCreateTicket("ada", map[string]any{"team_id": frontline}).id("id")
		s.expect("ticket.created", tid)
		lead := d.Agents["lena"].ID
		d.mustCall(200, "PATCH", "/api/v1/teams/"+id(frontline), "ada", map[string]any{"member_ids": []int64{lead}})
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(tid), "ada", map[string]any{"priority": "urgent"})
		other := d.mustCreateTicket("ada", nil).id("id") // no team: every agent sees it
		s.expect("ticket.created", other)
	})
}

func TestLiveStreamsEndWithTheirSession(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		take func(d *testDesk, b *browser, csrf string)
	}{
		{"signing out ends the stream", func(d *testDesk, b *browser, csrf string) {
			if res, _ := b.do("POST", "/logout", http.Header{"X-CSRF-Token": {csrf}}, ""); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-out: %d", res.StatusCode)
			}
		}},
		{"a password change ends the stream", func(d *testDesk, b *browser, csrf string) {
			d.mustCall(200, "PATCH", "/api/v1/agents/"+id(d.Agents["ravi"].ID), "ada", map[string]any{"password": "another good passphrase"})
		}},
	} {
		for _, backend := range storetest.Backends() {
			t.Run(tc.name+"/"+backend.Name, func(t *testing.T) {
				t.Parallel()
				d := newDesk(t, backend, map[string]string{"ravi": goodPassword})
				b := newBrowser(t, d.URL)
				if res := b.login("ravi@desk.test", goodPassword, b.loginForm()); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("sign-in: %d", res.StatusCode)
				}
				_, csrf, err := d.Access.Session(context.Background(), b.jar["sahayak_session"].Value)
				if err != nil {
					t.Fatal(err)
				}
				s := openStream(t, d.URL, http.Header{"Cookie": {b.jar["sahayak_session"].String()}})
				tid := d.mustCreateTicket("ada", nil).id("id")
				s.expect("ticket.created", tid)
				tc.take(d, b, csrf)
				d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(tid), "ada", map[string]any{"priority": "urgent"})
				s.expectEnd()
			})
		}
	}
}

func TestLiveStreamsPerAgentAreLimited(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], nil)
	var open []*liveStream
	for i := 1; i <= 8; i++ {
		s := d.openStreamAs("ravi")
		if s.Status != http.StatusOK {
			t.Fatalf("stream %d: %d %s", i, s.Status, s.Body)
		}
		open = append(open, s)
	}
	ninth := d.openStreamAs("ravi")
	if ninth.Status != http.StatusTooManyRequests || !strings.Contains(ninth.Body, `"code":"rate_limited"`) {
		t.Errorf("the ninth stream of one agent: %d %s, want 429 rate_limited", ninth.Status, ninth.Body)
	}
	if s := d.openStreamAs("meera"); s.Status != http.StatusOK {
		t.Errorf("another agent's stream: %d %s", s.Status, s.Body)
	}
	// The streams still open go on delivering.
	tid := d.mustCreateTicket("ada", nil).id("id")
	for _, s := range open {
		s.expect("ticket.created", tid)
	}
	// Closing one frees its place once the server notices the hang-up.
	open[0].cancel()
	for deadline := time.Now().Add(10 * time.Second); ; {
		s := d.openStreamAs("ravi")
		if s.Status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed stream's place was never freed: %d %s", s.Status, s.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLiveStreamsHearOnlyWhatTheirAgentMaySee(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		ravi, meera, sunil := d.openStreamAs("ravi"), d.openStreamAs("meera"), d.openStreamAs("sunil")
		specialists := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[2].ID}).id("id")
		frontline := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[1].ID, "assignee_id": d.Agents["ravi"].ID}).id("id")
		everyone := d.mustCreateTicket("ada", nil).id("id")
		// ravi (tier 1) and meera (tier 2) hear only their team's tickets
		// and those of no team; a supervisor hears every ticket.
		ravi.expect("ticket.created", frontline)
		ravi.expect("ticket.assigned", frontline)
		ravi.expect("ticket.created", everyone)
		meera.expect("ticket.created", specialists)
		meera.expect("ticket.created", everyone)
		sunil.expect("ticket.created", specialists)
		sunil.expect("ticket.created", frontline)
		sunil.expect("ticket.assigned", frontline)
		sunil.expect("ticket.created", everyone)
	})
}

// expectKind reads events until one of kind on ticketID, skipping others
// (relayed ticket events arrive alongside transient ones).
func (s *liveStream) expectKind(kind string, ticketID int64) {
	s.t.Helper()
	for {
		e, ok := s.next()
		if !ok {
			s.t.Fatalf("the stream ended; want %s on ticket %d", kind, ticketID)
		}
		if e.Kind == kind && e.TicketID == ticketID {
			return
		}
	}
}
