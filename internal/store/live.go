package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/ticket"
)

// TicketAudiences returns, for each id that names a ticket, the ticket's
// team and assignee: what ticket.Audience reads to address an event relayed
// from another node. Ids that name no ticket are left out.
func (db *DB) TicketAudiences(ctx context.Context, ids []int64) (map[int64]*ticket.Ticket, error) {
	out := map[int64]*ticket.Ticket{}
	if len(ids) == 0 {
		return out, nil
	}
	var in strings.Builder
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			in.WriteByte(',')
		}
		in.WriteString("$" + strconv.Itoa(i+1))
		args[i] = id
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, team_id, assignee_id FROM tickets WHERE id IN (`+in.String()+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("ticket audiences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t ticket.Ticket
		var team, assignee sql.NullInt64
		if err := rows.Scan(&t.ID, &team, &assignee); err != nil {
			return nil, fmt.Errorf("ticket audiences: %w", err)
		}
		t.TeamID, t.AssigneeID = fromNullID(team), fromNullID(assignee)
		out[t.ID] = &t
	}
	return out, rows.Err()
}
