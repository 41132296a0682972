package ticket

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// A ticket's own JSON is byte for byte what encoding/json writes, for
// tickets with and without every optional part.
func TestTicketJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	texts := []string{"", "Login fails", "भुगतान विफल हुआ", `say "hi" \ <b>&`, "bad \xff", "sep\u2028", "ctl\x01"}
	text := func() string { return texts[rng.IntN(len(texts))] }
	id := func() *int64 {
		if rng.IntN(2) == 0 {
			return nil
		}
		n := rng.Int64N(1 << 40)
		return &n
	}
	when := func() time.Time {
		return time.Unix(rng.Int64N(2e9), rng.Int64N(1e9)).In(time.FixedZone("z", (rng.IntN(27)-12)*1800))
	}
	for i := range 500 {
		tk := &Ticket{ID: rng.Int64N(1 << 50), Subject: text(), Status: text(), StatusCategory: text(), Priority: text(),
			Type: text(), Channel: text(), Requester: Person{ID: rng.Int64N(1000), Name: text(), Email: text()},
			OrganizationID: id(), AssigneeID: id(), TeamID: id(), EscalationLevel: rng.IntN(4), MergedIntoID: id(),
			CreatedAt: when(), UpdatedAt: when()}
		switch i % 3 {
		case 0:
			tk.Tags, tk.CustomFields = []string{}, map[string]any{}
		case 1:
			tk.Tags = []string{text(), "vip"}
			tk.CustomFields = map[string]any{"order": 12.5, "ok": true, "note": text(), "when": "2026-11-23", "none": nil}
		}
		if rng.IntN(2) == 0 {
			a, b := when(), when()
			tk.FirstRespondedAt, tk.SolvedAt = &a, &b
		}
		if rng.IntN(2) == 0 {
			a, b := when(), when()
			tk.SLA = &SLA{PolicyID: rng.Int64N(100), FirstResponseDueAt: &a, ResolutionDueAt: &b, Paused: rng.IntN(2) == 0,
				Breached: []string{"first_response", "resolution"}[:rng.IntN(3)]}
		}
		want, err := json.Marshal(tk)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tk.AppendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Fatalf("ticket %d:\n got %s (%v)\nwant %s", i, got, err, want)
		}
	}
}
