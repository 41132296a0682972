package access_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

func signInDesk(t *testing.T) (*access.Service, *people.Service) {
	t.Helper()
	db := storetest.Open(t, storetest.Backends()[0])
	clock := desk.SystemClock{}
	ppl := people.NewService(db, clock)
	email, name, role, pw := "ada@desk.test", "Ada", auth.RoleAdmin, "correct horse battery"
	ctx := desk.WithActor(context.Background(), desk.System)
	if _, err := ppl.CreateAgent(ctx, people.AgentInput{Email: &email, Name: &name, Role: &role, Password: &pw}, auth.HashPassword); err != nil {
		t.Fatal(err)
	}
	return access.NewService(db, clock), ppl
}

// Each argon2id check takes 64 MiB: sign-ins beyond the bound wait a moment
// for a slot and are then answered "busy" (503), not hashed.
func TestSignInIsBusyWhileEveryHashingSlotIsTaken(t *testing.T) {
	svc, _ := signInDesk(t)
	gate := access.NewHashGate(2, 20*time.Millisecond)
	svc.SetHashGate(gate)
	release := make(chan struct{})
	var held sync.WaitGroup
	for range 2 {
		held.Add(1)
		go gate.Do(context.Background(), func() { held.Done(); <-release })
	}
	held.Wait()
	for _, email := range []string{"ada@desk.test", "nobody@desk.test"} {
		_, _, _, err := svc.SignIn(context.Background(), email, "wrong password")
		if desk.ErrorCode(err) != desk.EUNAVAILABLE {
			t.Errorf("%s with every slot taken: %v, want %s", email, err, desk.EUNAVAILABLE)
		}
	}
	close(release)
	if _, _, _, err := svc.SignIn(context.Background(), "ada@desk.test", "correct horse battery"); err != nil {
		t.Fatalf("with slots free again: %v", err)
	}
}

// However many sign-ins arrive at once, no more hashes run than the bound.
func TestConcurrentSignInsStayWithinTheHashingBound(t *testing.T) {
	svc, _ := signInDesk(t)
	gate := access.NewHashGate(2, time.Minute)
	svc.SetHashGate(gate)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := "ada@desk.test"
			if i%2 == 1 {
				email = "nobody@desk.test"
			}
			_, _, _, err := svc.SignIn(context.Background(), email, "wrong password")
			if c := desk.ErrorCode(err); c != desk.EUNAUTHORIZED && c != desk.ERATELIMIT {
				t.Errorf("sign-in %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if p := gate.Peak(); p < 1 || p > 2 {
		t.Fatalf("%d hashes ran at once, bound 2", p)
	}
}

// A sign-in costs one password hash whatever the account: unknown,
// deactivated, without a password, locked or active alike. (A deactivated
// account used to answer at once, 1 ms against 120 ms, which told an
// attacker the address was real.)
func TestEverySignInCostsOneHash(t *testing.T) {
	svc, ppl := signInDesk(t)
	gate := access.NewHashGate(2, time.Minute)
	svc.SetHashGate(gate)
	ctx := desk.WithActor(context.Background(), desk.System)
	for _, a := range []struct{ email, pw string }{{"off@desk.test", "correct horse battery"}, {"nopw@desk.test", ""}} {
		email, name, role := a.email, "Someone", auth.RoleAgent
		in := people.AgentInput{Email: &email, Name: &name, Role: &role}
		if a.pw != "" {
			in.Password = &a.pw
		}
		ag, err := ppl.CreateAgent(ctx, in, auth.HashPassword)
		if err != nil {
			t.Fatal(err)
		}
		if a.pw != "" {
			off := false
			if _, err := ppl.UpdateAgent(ctx, ag.ID, people.AgentInput{Active: &off}, auth.HashPassword); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct{ name, email, pw string }{
		{"unknown address", "nobody@desk.test", "correct horse battery"},
		{"deactivated agent", "off@desk.test", "correct horse battery"},
		{"agent without a password", "nopw@desk.test", "anything at all"},
		{"active agent, wrong password", "ada@desk.test", "wrong password"},
		{"active agent, right password", "ada@desk.test", "correct horse battery"},
	} {
		before := gate.Runs()
		_, _, _, err := svc.SignIn(context.Background(), tc.email, tc.pw)
		if got := gate.Runs() - before; got != 1 {
			t.Errorf("%s: %d hashes (err %v), want 1", tc.name, got, err)
		}
	}
}
