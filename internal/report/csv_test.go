package report_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/ticket"
)

// The export's fast row encoder writes exactly what the general one writes
// for the same ticket, whatever its cells hold.
func TestWriteTicketRowMatchesWriteTicket(t *testing.T) {
	at := time.Date(2026, 11, 29, 13, 5, 0, 0, time.UTC)
	org, team, agent := int64(3), int64(2), int64(7)
	for _, subject := range []string{"", "plain", "comma, inside", `a "quoted" word`, "line\nbreak", "cr\rhere",
		" leading space", "\tleading tab", "=SUM(A1)", "+1", "-2", "@cmd", "=a,\"b\"", `\.`, "हिंदी में विषय", "\u00a0nbsp"} {
		for _, full := range []bool{false, true} {
			tk := &ticket.Ticket{ID: 42, Subject: subject, Status: "open", StatusCategory: "open", Priority: "high",
				Type: "question", Channel: "email", Tags: []string{}, CreatedAt: at, UpdatedAt: at.Add(time.Hour)}
			tk.Requester.Email = "a@b.example"
			row := &ticket.ExportRow{ID: 42, Subject: subject, Status: "open", StatusCategory: "open", Priority: "high",
				Type: "question", Channel: "email", RequesterEmail: "a@b.example", Tags: []string{}, CreatedAt: at,
				UpdatedAt: at.Add(time.Hour)}
			if full {
				solved := at.Add(2 * time.Hour)
				tk.OrganizationID, tk.TeamID, tk.AssigneeID, tk.Tags = &org, &team, &agent, []string{"billing", "vip"}
				tk.EscalationLevel, tk.FirstRespondedAt, tk.SolvedAt = 2, &at, &solved
				row.OrganizationID, row.TeamID, row.AssigneeID, row.Tags = org, team, agent, tk.Tags
				row.EscalationLevel, row.FirstRespondedAt, row.SolvedAt = 2, at, solved
			}
			var want, got bytes.Buffer
			w := report.NewCSV(&want)
			if err := w.WriteTicket(tk); err != nil || w.Flush() != nil {
				t.Fatal(err)
			}
			g := report.NewCSV(&got)
			if err := g.WriteTicketRow(row); err != nil || g.Flush() != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("subject %q (full %v):\n got %q\nwant %q", subject, full, got.String(), want.String())
			}
		}
	}
}
