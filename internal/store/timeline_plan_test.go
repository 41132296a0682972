package store_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// A timeline page reads each kind newest first along an index of the
// organization and stops at the page: no part scans or sorts the account's
// rows, only the merged heads of the parts are sorted (once, at the top), on
// both databases, from the first page and after a cursor.
func TestTimelinePartsWalkAnIndexOfTheOrganization(t *testing.T) {
	index := map[string]string{
		account.ItemTicket: "tickets_org_created", account.ItemMessage: "messages_org_time",
		account.ItemNote: "messages_org_time", account.ItemCheckin: "checkins_org",
		account.ItemEscalation: "events_org_time", account.ItemBreach: "events_org_time",
		account.ItemNPS: "nps_responses_org", account.ItemFeedback: "feedback_org",
		account.ItemOpportunity: "opportunities_org",
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		ctx := desk.WithActor(context.Background(), desk.System)
		db := storetest.Open(t, b)
		cursor := &account.TimelineKey{At: time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC), Kind: account.ItemMessage, ID: 5}
		for _, before := range []*account.TimelineKey{nil, cursor} {
			q, args := store.TimelineQuery(1, account.TimelineFilter{Kinds: account.ItemKinds, Before: before, Limit: 31})
			plan, err := db.OrderedPlan(ctx, q, args...)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range account.ItemKinds {
				if !strings.Contains(plan, index[k]) {
					t.Errorf("kind %s does not read %s:\n%s", k, index[k], plan)
				}
			}
			if b.Name == "postgres" {
				// One sort of the merged heads; each part an index scan
				// backward under its own Limit.
				scans := regexp.MustCompile(`(?m)^\s*->  Limit .*\n\s*->  Index (Only )?Scan Backward using`).FindAllString(plan, -1)
				if strings.Count(plan, "Sort  (") > 1 || strings.Contains(plan, "Bitmap") || strings.Contains(plan, "Seq Scan") ||
					len(scans) != len(account.ItemKinds) {
					t.Errorf("a part sorts or scans (%d index scans under a limit):\n%s", len(scans), plan)
				}
				continue
			}
			searches := regexp.MustCompile(`SEARCH \w+ USING (COVERING )?INDEX \w+ \(organization_id=\?`).FindAllString(plan, -1)
			if strings.Count(plan, "TEMP B-TREE") != 1 || !strings.HasSuffix(plan, "USE TEMP B-TREE FOR ORDER BY") ||
				len(searches) != len(account.ItemKinds) {
				t.Errorf("a part sorts or scans (%d searches by organization):\n%s", len(searches), plan)
			}
		}
	})
}
