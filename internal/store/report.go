package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
)

var _ report.Store = (*DB)(nil)

// chunkSizes cut a list into pieces of a few fixed sizes, so that the
// statements built for them are a handful of texts (each prepared once per
// connection), not one per list length.
var chunkSizes = []int{256, 64, 16, 4, 1}

// inChunks calls fn with each piece of n items as [i, j).
func inChunks(n int, fn func(i, j int) error) error {
	for i := 0; i < n; {
		size := 1
		for _, s := range chunkSizes {
			if n-i >= s {
				size = s
				break
			}
		}
		if err := fn(i, i+size); err != nil {
			return err
		}
		i += size
	}
	return nil
}

// marks returns "($1, $2, …), (…)" for rows of cols values from first.
func marks(rows, cols, first int) string {
	var b strings.Builder
	n := first
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// idMarks returns "$1, $2, …" for n ids and the ids as arguments.
func idMarks(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	m := make([]string, len(ids))
	for i, id := range ids {
		args[i], m[i] = id, "$"+strconv.Itoa(i+1)
	}
	return strings.Join(m, ", "), args
}

// CountEvents runs fn in a transaction that moves the consumer's cursor
// from `from` to `to` first (a compare-and-set: it takes the cursor's row,
// so a second node counting the same batch waits, then finds it moved).
func (db *DB) CountEvents(ctx context.Context, consumer string, from, to int64, fn func(report.Tx) error) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE event_cursors SET event_id = $3 WHERE consumer = $1 AND event_id = $2`,
			consumer, from, to)
		if err != nil {
			return fmt.Errorf("move cursor %s: %w", consumer, err)
		}
		moved, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if moved == 0 && from == 0 {
			res, err = tx.ExecContext(ctx, `INSERT INTO event_cursors (consumer, event_id) VALUES ($1, $2)
				ON CONFLICT (consumer) DO NOTHING`, consumer, to)
			if err != nil {
				return fmt.Errorf("move cursor %s: %w", consumer, err)
			}
			if moved, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		if moved == 0 {
			return desk.E(desk.ECONFLICT, "error.cursor_moved", consumer)
		}
		return fn(reportTx{tx: tx, db: db})
	})
}

// ResetReports empties the rollups and sets the consumer back to the start.
func (db *DB) ResetReports(ctx context.Context, consumer string) error {
	return db.inTx(ctx, func(tx *txn) error {
		for _, q := range []string{`DELETE FROM report_rollups`, `DELETE FROM report_rollups_day`, `DELETE FROM report_tickets`,
			`DELETE FROM report_backlog`, `DELETE FROM report_agents`,
			`DELETE FROM event_cursors WHERE consumer = $1`} {
			var args []any
			if strings.Contains(q, "$1") {
				args = []any{consumer}
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("reset reports: %w", err)
			}
		}
		return nil
	})
}

type reportTx struct {
	tx *txn
	db *DB
}

const reportTicketColumns = `ticket_id, created_at, is_open, team_id, agent_id, channel, priority, type, org_id,
	first_solved_at, state`

func (r reportTx) TicketStates(ctx context.Context, ids []int64) (map[int64]*report.TicketState, error) {
	out := make(map[int64]*report.TicketState, len(ids))
	err := inChunks(len(ids), func(i, j int) error {
		in, args := idMarks(ids[i:j])
		rows, err := r.tx.QueryContext(ctx, `SELECT `+reportTicketColumns+` FROM report_tickets WHERE ticket_id IN (`+in+`)`, args...)
		if err != nil {
			return fmt.Errorf("report tickets: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			st := &report.TicketState{}
			var created int64
			var solved sql.NullInt64
			var state string
			if err := rows.Scan(&st.TicketID, &created, &st.Open, &st.TeamID, &st.AgentID, &st.Channel, &st.Priority,
				&st.Type, &st.OrgID, &solved, &state); err != nil {
				return fmt.Errorf("report tickets: %w", err)
			}
			st.CreatedAt, st.FirstSolvedAt = fromMicros(created), fromNullMicros(solved)
			if err := json.Unmarshal([]byte(state), st); err != nil {
				return fmt.Errorf("report ticket %d: %w", st.TicketID, err)
			}
			out[st.TicketID] = st
		}
		return rows.Err()
	})
	return out, err
}

func (r reportTx) TicketFacts(ctx context.Context, ids []int64) (map[int64]report.Facts, error) {
	out := make(map[int64]report.Facts, len(ids))
	err := inChunks(len(ids), func(i, j int) error {
		in, args := idMarks(ids[i:j])
		rows, err := r.tx.QueryContext(ctx, `SELECT id, organization_id, type, tags FROM tickets WHERE id IN (`+in+`)`, args...)
		if err != nil {
			return fmt.Errorf("ticket facts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var org sql.NullInt64
			var f report.Facts
			var tags string
			if err := rows.Scan(&id, &org, &f.Type, &tags); err != nil {
				return fmt.Errorf("ticket facts: %w", err)
			}
			f.OrgID = org.Int64
			_ = json.Unmarshal([]byte(tags), &f.Tags)
			out[id] = f
		}
		return rows.Err()
	})
	return out, err
}

func (r reportTx) SLACovered(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(ids))
	err := inChunks(len(ids), func(i, j int) error {
		in, args := idMarks(ids[i:j])
		rows, err := r.tx.QueryContext(ctx, `SELECT ticket_id FROM ticket_sla WHERE policy_id IS NOT NULL AND ticket_id IN (`+in+`)`, args...)
		if err != nil {
			return fmt.Errorf("sla covered: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return fmt.Errorf("sla covered: %w", err)
			}
			out[id] = true
		}
		return rows.Err()
	})
	return out, err
}

func (r reportTx) SaveTicketStates(ctx context.Context, sts []*report.TicketState) error {
	return inChunks(len(sts), func(i, j int) error {
		args := make([]any, 0, (j-i)*11)
		for _, st := range sts[i:j] {
			state, err := json.Marshal(st)
			if err != nil {
				return err
			}
			args = append(args, st.TicketID, micros(st.CreatedAt), st.Open, st.TeamID, st.AgentID, st.Channel, st.Priority,
				st.Type, st.OrgID, nullMicros(st.FirstSolvedAt), string(state))
		}
		_, err := r.tx.ExecContext(ctx, `INSERT INTO report_tickets (`+reportTicketColumns+`) VALUES `+marks(j-i, 11, 1)+`
			ON CONFLICT (ticket_id) DO UPDATE SET is_open = excluded.is_open, team_id = excluded.team_id,
			agent_id = excluded.agent_id, channel = excluded.channel, priority = excluded.priority, type = excluded.type,
			first_solved_at = excluded.first_solved_at, state = excluded.state`, args...)
		if err != nil {
			return fmt.Errorf("save report tickets: %w", err)
		}
		return nil
	})
}

func (r reportTx) AgentStates(ctx context.Context, ids []int64) (map[int64]*report.AgentState, error) {
	out := make(map[int64]*report.AgentState, len(ids))
	err := inChunks(len(ids), func(i, j int) error {
		in, args := idMarks(ids[i:j])
		sts, err := scanAgentStates(r.tx.QueryContext(ctx, `SELECT agent_id, is_online, state FROM report_agents
			WHERE agent_id IN (`+in+`)`, args...))
		for _, st := range sts {
			out[st.AgentID] = st
		}
		return err
	})
	return out, err
}

func scanAgentStates(rows *sql.Rows, err error) ([]*report.AgentState, error) {
	if err != nil {
		return nil, fmt.Errorf("report agents: %w", err)
	}
	defer rows.Close()
	var out []*report.AgentState
	for rows.Next() {
		st := &report.AgentState{}
		var state string
		if err := rows.Scan(&st.AgentID, &st.Online, &state); err != nil {
			return nil, fmt.Errorf("report agents: %w", err)
		}
		if err := json.Unmarshal([]byte(state), st); err != nil {
			return nil, fmt.Errorf("report agent %d: %w", st.AgentID, err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

func (r reportTx) SaveAgentStates(ctx context.Context, sts []*report.AgentState) error {
	return inChunks(len(sts), func(i, j int) error {
		args := make([]any, 0, (j-i)*3)
		for _, st := range sts[i:j] {
			state, err := json.Marshal(st)
			if err != nil {
				return err
			}
			args = append(args, st.AgentID, st.Online, string(state))
		}
		_, err := r.tx.ExecContext(ctx, `INSERT INTO report_agents (agent_id, is_online, state) VALUES `+marks(j-i, 3, 1)+`
			ON CONFLICT (agent_id) DO UPDATE SET is_online = excluded.is_online, state = excluded.state`, args...)
		if err != nil {
			return fmt.Errorf("save report agents: %w", err)
		}
		return nil
	})
}

// OnlineAgents returns the report states of the agents online now.
func (db *DB) OnlineAgents(ctx context.Context) ([]*report.AgentState, error) {
	return scanAgentStates(db.read.QueryContext(ctx, `SELECT agent_id, is_online, state FROM report_agents WHERE is_online = TRUE`))
}

// allTeams is the team of the daily rows that hold every team together.
const allTeams = -1

// AddRollup adds the increments to the hourly buckets and to the daily ones
// (each team's and all teams'), each table's rows in key order, so that
// the upserts walk the primary key's B-tree forward instead of jumping
// about it.
func (r reportTx) AddRollup(ctx context.Context, ru report.Rollup) error {
	day := make(report.Rollup, len(ru)/4)
	for k, c := range ru {
		k.Hour -= k.Hour % 86400
		day.AddDelta(k, c.N, c.Total)
		k.TeamID = allTeams
		day.AddDelta(k, c.N, c.Total)
	}
	if err := r.upsertRollup(ctx, "report_rollups", ru); err != nil {
		return err
	}
	return r.upsertRollup(ctx, "report_rollups_day", day)
}

func (r reportTx) upsertRollup(ctx context.Context, table string, ru report.Rollup) error {
	keys := make([]report.Key, 0, len(ru))
	for k := range ru {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b report.Key) int {
		return cmp.Or(cmp.Compare(a.Dim, b.Dim), cmp.Compare(a.Metric, b.Metric), cmp.Compare(a.Hour, b.Hour),
			cmp.Compare(a.Val, b.Val), cmp.Compare(a.TeamID, b.TeamID), cmp.Compare(a.Bin, b.Bin))
	})
	return inChunks(len(keys), func(i, j int) error {
		args := make([]any, 0, (j-i)*8)
		for _, k := range keys[i:j] {
			c := ru[k]
			args = append(args, k.Dim, k.Metric, k.Hour*1e6, k.Val, k.TeamID, k.Bin, c.N, c.Total)
		}
		// table is one of two constants.
		_, err := r.tx.ExecContext(ctx, `INSERT INTO `+table+` (dim, metric, hour, val, team_id, bin, n, total)
			VALUES `+marks(j-i, 8, 1)+` ON CONFLICT (dim, metric, hour, val, team_id, bin)
			DO UPDATE SET n = `+table+`.n + excluded.n, total = `+table+`.total + excluded.total`, args...)
		if err != nil {
			return fmt.Errorf("add rollup: %w", err)
		}
		return nil
	})
}

// AddBacklog adds the changes to the open counts, in key order, and deletes
// the rows a change took to zero (a row stands for open tickets only).
func (r reportTx) AddBacklog(ctx context.Context, b report.Backlog) error {
	keys := make([]report.BacklogKey, 0, len(b))
	for k, d := range b {
		if d != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b report.BacklogKey) int {
		return cmp.Or(cmp.Compare(a.Dim, b.Dim), cmp.Compare(a.Val, b.Val), cmp.Compare(a.TeamID, b.TeamID),
			cmp.Compare(a.Hour, b.Hour))
	})
	err := inChunks(len(keys), func(i, j int) error {
		args := make([]any, 0, (j-i)*5)
		for _, k := range keys[i:j] {
			args = append(args, k.Dim, k.Val, k.TeamID, k.Hour*1e6, b[k])
		}
		_, err := r.tx.ExecContext(ctx, `INSERT INTO report_backlog (dim, val, team_id, hour, n) VALUES `+marks(j-i, 5, 1)+`
			ON CONFLICT (dim, val, team_id, hour) DO UPDATE SET n = report_backlog.n + excluded.n`, args...)
		if err != nil {
			return fmt.Errorf("add backlog: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var fell []report.BacklogKey
	for _, k := range keys {
		if b[k] < 0 {
			fell = append(fell, k)
		}
	}
	return inChunks(len(fell), func(i, j int) error {
		args := make([]any, 0, (j-i)*4)
		conds := make([]string, 0, j-i)
		for _, k := range fell[i:j] {
			args = append(args, k.Dim, k.Val, k.TeamID, k.Hour*1e6)
			n := len(args)
			conds = append(conds, fmt.Sprintf("(dim = $%d AND val = $%d AND team_id = $%d AND hour = $%d)", n-3, n-2, n-1, n))
		}
		if _, err := r.tx.ExecContext(ctx, `DELETE FROM report_backlog WHERE n = 0 AND (`+strings.Join(conds, " OR ")+`)`, args...); err != nil {
			return fmt.Errorf("prune backlog: %w", err)
		}
		return nil
	})
}

// rollupWhere is the condition every rollup question shares, with its
// arguments after the first ones given.
func rollupWhere(q report.RollupQuery, args []any) (string, []any) {
	n := func() string { return "$" + strconv.Itoa(len(args)) }
	args = append(args, q.Dim)
	w := "dim = " + n()
	ms := make([]string, len(q.Metrics))
	for i, m := range q.Metrics {
		args = append(args, m)
		ms[i] = n()
	}
	w += " AND metric IN (" + strings.Join(ms, ", ") + ")"
	if q.Val != nil {
		args = append(args, *q.Val)
		w += " AND val = " + n()
	}
	w, args = inTeams(w, args, q.TeamIDs)
	return w, args
}

// inTeams adds "AND team_id IN (…)" for the teams given, if any.
func inTeams(w string, args []any, teams []int64) (string, []any) {
	if len(teams) == 0 {
		return w, args
	}
	ts := make([]string, len(teams))
	for i, t := range teams {
		args = append(args, t)
		ts[i] = "$" + strconv.Itoa(len(args))
	}
	return w + " AND team_id IN (" + strings.Join(ts, ", ") + ")", args
}

// groupBy is "g, rest", or rest when g is the constant of no grouping
// (PostgreSQL refuses a constant in GROUP BY).
func groupBy(g, rest string) string {
	if g == "''" {
		return rest
	}
	return g + ", " + rest
}

// rollupGroup is the grouping expression (allow-listed).
func rollupGroup(group string) string {
	switch group {
	case "val":
		return "val"
	case "team":
		return "CAST(team_id AS TEXT)"
	case "hour":
		return "CAST(hour AS TEXT)"
	}
	return "''"
}

// rollupSource is a subquery of the buckets of [from, to) (Unix seconds,
// whole hours) of the query's slice: the whole UTC days in the range from
// the daily buckets (all teams' rows when the question is desk-wide), the
// hours at either end from the hourly ones. A grouping by hour reads hours
// only.
func rollupSource(q report.RollupQuery, from, to int64, args []any) (string, []any) {
	var parts []string
	span := func(table string, team func(string, []any) (string, []any), a, b int64) {
		if a >= b {
			return
		}
		w, more := rollupWhere(q, args)
		w, more = team(w, more)
		more = append(more, a*1e6, b*1e6)
		args = more
		parts = append(parts, `SELECT val, team_id, hour, metric, bin, n, total FROM `+table+` WHERE `+w+
			` AND hour >= $`+strconv.Itoa(len(args)-1)+` AND hour < $`+strconv.Itoa(len(args)))
	}
	byTeam := func(w string, a []any) (string, []any) { return inTeams(w, a, q.TeamIDs) }
	dayFrom, dayTo := (from+86399)/86400*86400, to/86400*86400
	if q.Group == "hour" || dayFrom >= dayTo {
		span("report_rollups", byTeam, from, to)
	} else {
		span("report_rollups", byTeam, from, dayFrom)
		dayTeams := byTeam
		if len(q.TeamIDs) == 0 {
			dayTeams = func(w string, a []any) (string, []any) {
				if q.Group == "team" {
					return w + " AND team_id >= 0", a
				}
				return w + " AND team_id = " + strconv.Itoa(allTeams), a
			}
		}
		span("report_rollups_day", dayTeams, dayFrom, dayTo)
		span("report_rollups", byTeam, dayTo, to)
	}
	if len(parts) == 0 { // an empty range: no rows
		parts = append(parts, `SELECT val, team_id, hour, metric, bin, n, total FROM report_rollups WHERE 1 = 0`)
	}
	return "(" + strings.Join(parts, " UNION ALL ") + ") AS r", args
}

// Rollups sums the buckets of the query's hours by group, metric and bin.
func (db *DB) Rollups(ctx context.Context, q report.RollupQuery) ([]report.Row, error) {
	src, args := rollupSource(q, q.From, q.To, []any{})
	g := rollupGroup(q.Group)
	return db.rollupRows(ctx, `SELECT `+g+`, metric, bin, SUM(n), SUM(total) FROM `+src+`
		GROUP BY `+groupBy(g, "metric, bin"), args, q.Group == "team")
}

// Backlog sums created, solved and reopened over every hour before the
// query's end, by group.
func (db *DB) Backlog(ctx context.Context, q report.RollupQuery) ([]report.Row, error) {
	q.Metrics = []string{report.MCreated, report.MSolved, report.MReopened}
	src, args := rollupSource(q, report.Earliest.Unix(), q.To, []any{})
	g := rollupGroup(q.Group)
	return db.rollupRows(ctx, `SELECT `+g+`, metric, 0, SUM(n), 0 FROM `+src+` GROUP BY `+groupBy(g, "metric"), args, q.Group == "team")
}

// rollupRows reads summed buckets; byTeam says the group is a team id,
// whose 0 (no team) is given as "".
func (db *DB) rollupRows(ctx context.Context, query string, args []any, byTeam bool) ([]report.Row, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("rollups: %w", err)
	}
	defer rows.Close()
	var out []report.Row
	for rows.Next() {
		var r report.Row
		if err := rows.Scan(&r.Group, &r.Metric, &r.Bin, &r.N, &r.Total); err != nil {
			return nil, fmt.Errorf("rollups: %w", err)
		}
		if byTeam && r.Group == "0" {
			r.Group = ""
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ticketColumn is the report_tickets column of a dimension (allow-listed).
func ticketColumn(dim string) string {
	switch dim {
	case report.DimAgent:
		return "agent_id"
	case report.DimChannel:
		return "channel"
	case report.DimPriority:
		return "priority"
	case report.DimType:
		return "type"
	case report.DimOrganization:
		return "org_id"
	}
	return ""
}

// BacklogAges counts the open tickets of the query's slice (not tags) by
// age band at now, by group: the creation hours wholly inside a band from
// the maintained counts (report_backlog), and the hours a band's edge falls
// in (at most one per edge) from the open tickets' own records, so that
// the bands are exact to the microsecond without a scan of the backlog.
func (db *DB) BacklogAges(ctx context.Context, q report.RollupQuery, now time.Time) ([]report.AgeRow, error) {
	edges := make([]int64, len(report.AgeBands))
	for i, b := range report.AgeBands {
		edges[i] = micros(now.Add(-b))
	}
	counted, err := db.backlogCounts(ctx, q, edges)
	if err != nil {
		return nil, err
	}
	edged, err := db.backlogEdges(ctx, q, edges)
	if err != nil {
		return nil, err
	}
	return append(counted, edged...), nil
}

// edgeHour is the start of the hour an edge (microseconds) falls in.
func edgeHour(e int64) int64 { return e - e%3600e6 }

// ageBand is the CASE that puts col (microseconds) in its band by the
// edges, with the edges appended to args.
func ageBand(col string, edges []int64, args []any) (string, []any) {
	band := "CASE"
	for i, e := range edges {
		args = append(args, e)
		band += " WHEN " + col + " > $" + strconv.Itoa(len(args)) + " THEN " + strconv.Itoa(i)
	}
	return band + " ELSE " + strconv.Itoa(len(edges)) + " END", args
}

// backlogCounts sums the maintained counts of every creation hour but the
// edges' by band and group.
func (db *DB) backlogCounts(ctx context.Context, q report.RollupQuery, edges []int64) ([]report.AgeRow, error) {
	dim := q.Dim
	if ticketColumn(dim) == "" {
		dim = report.DimAll
	}
	args := []any{dim}
	w := "dim = $1"
	if q.Val != nil && dim != report.DimAll {
		args = append(args, *q.Val)
		w += " AND val = $" + strconv.Itoa(len(args))
	}
	w, args = inTeams(w, args, q.TeamIDs)
	for _, e := range edges {
		args = append(args, edgeHour(e))
		w += " AND hour <> $" + strconv.Itoa(len(args))
	}
	// A whole hour after an edge is younger than it: its start is.
	band, args := ageBand("hour", edges, args)
	g := "''"
	switch {
	case q.Group == "team":
		g = "CAST(team_id AS TEXT)"
	case q.Group == "val" && dim != report.DimAll:
		g = "val"
	}
	return db.ageRows(ctx, `SELECT `+g+`, `+band+`, SUM(n) FROM report_backlog WHERE `+w+`
		GROUP BY `+groupBy(g, "2"), args, q.Group == "team")
}

// backlogEdges counts the open tickets created in the edges' hours by band
// and group, from their records.
func (db *DB) backlogEdges(ctx context.Context, q report.RollupQuery, edges []int64) ([]report.AgeRow, error) {
	args := []any{}
	n := func() string { return "$" + strconv.Itoa(len(args)) }
	// Open is counted, not filtered on: a condition on is_open would lead
	// the planner to report_tickets_open, every open ticket, instead of
	// the creation index's three hours.
	w := "TRUE"
	col := ticketColumn(q.Dim)
	if q.Val != nil && col != "" {
		if col == "agent_id" || col == "org_id" {
			v, _ := strconv.ParseInt(*q.Val, 10, 64)
			args = append(args, v)
		} else {
			args = append(args, *q.Val)
		}
		w += " AND " + col + " = " + n()
	}
	w, args = inTeams(w, args, q.TeamIDs)
	hours := make([]string, 0, len(edges))
	seen := map[int64]bool{}
	for _, e := range edges {
		h := edgeHour(e)
		if seen[h] {
			continue
		}
		seen[h] = true
		args = append(args, h)
		from := n()
		args = append(args, h+3600e6)
		hours = append(hours, "(created_at >= "+from+" AND created_at < "+n()+")")
	}
	w += " AND (" + strings.Join(hours, " OR ") + ")"
	band, args := ageBand("created_at", edges, args)
	g := "''"
	switch {
	case q.Group == "team":
		g = "CAST(team_id AS TEXT)"
	case q.Group == "val" && col != "":
		g = "CAST(" + col + " AS TEXT)"
	}
	open := "SUM(CASE WHEN is_open = TRUE THEN 1 ELSE 0 END)"
	rows, err := db.ageRows(ctx, `SELECT `+g+`, `+band+`, `+open+` FROM report_tickets WHERE `+w+`
		GROUP BY `+groupBy(g, "2")+` HAVING `+open+` > 0`, args, q.Group == "team")
	if err != nil {
		return nil, err
	}
	if q.Group == "val" && (col == "agent_id" || col == "org_id") {
		for i := range rows {
			if rows[i].Group == "0" {
				rows[i].Group = "" // none, as the buckets say it
			}
		}
	}
	return rows, nil
}

// ageRows reads counts by group and band; byTeam says the group is a team
// id, whose 0 (no team) is given as "".
func (db *DB) ageRows(ctx context.Context, query string, args []any, byTeam bool) ([]report.AgeRow, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("backlog ages: %w", err)
	}
	defer rows.Close()
	var out []report.AgeRow
	for rows.Next() {
		var r report.AgeRow
		if err := rows.Scan(&r.Group, &r.Band, &r.N); err != nil {
			return nil, fmt.Errorf("backlog ages: %w", err)
		}
		if byTeam && r.Group == "0" {
			r.Group = ""
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DrillTickets returns the ids of the tickets behind a figure: created or
// first solved in the range, or open now, of the query's slice.
func (db *DB) DrillTickets(ctx context.Context, q report.DrillQuery) ([]int64, error) {
	args := []any{q.AfterID}
	w := "ticket_id > $1"
	switch q.Metric {
	case report.DrillCreated:
		args = append(args, q.From*1e6, q.To*1e6)
		w += " AND created_at >= $2 AND created_at < $3"
	case report.DrillSolved:
		args = append(args, q.From*1e6, q.To*1e6)
		w += " AND first_solved_at >= $2 AND first_solved_at < $3"
	default:
		w += " AND is_open = TRUE"
	}
	if q.Val != nil {
		switch col := ticketColumn(q.Dim); {
		case q.Dim == report.DimTag:
			args = append(args, *q.Val)
			w += " AND ticket_id IN (SELECT ticket_id FROM ticket_tags WHERE tag = $" + strconv.Itoa(len(args)) + ")"
		case col == "agent_id" || col == "org_id":
			v, _ := strconv.ParseInt(*q.Val, 10, 64)
			args = append(args, v)
			w += " AND " + col + " = $" + strconv.Itoa(len(args))
		case col != "":
			args = append(args, *q.Val)
			w += " AND " + col + " = $" + strconv.Itoa(len(args))
		}
	}
	w, args = inTeams(w, args, q.TeamIDs)
	args = append(args, q.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT ticket_id FROM report_tickets WHERE `+w+`
		ORDER BY ticket_id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("drill tickets: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("drill tickets: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// BacklogCounts returns every maintained count of open tickets, for checks
// (a rebuild must give the same, and a count never stays at zero).
func (db *DB) BacklogCounts(ctx context.Context) (report.Backlog, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT dim, val, team_id, hour, n FROM report_backlog`)
	if err != nil {
		return nil, fmt.Errorf("backlog counts: %w", err)
	}
	defer rows.Close()
	out := report.Backlog{}
	for rows.Next() {
		var k report.BacklogKey
		var n int64
		if err := rows.Scan(&k.Dim, &k.Val, &k.TeamID, &k.Hour, &n); err != nil {
			return nil, fmt.Errorf("backlog counts: %w", err)
		}
		k.Hour /= 1e6
		out[k] = n
	}
	return out, rows.Err()
}

// RollupGroups counts the values of the query's dimension with buckets in
// its range, and those with open tickets now, each count stopping at
// limit; it returns the larger.
func (db *DB) RollupGroups(ctx context.Context, q report.RollupQuery, limit int) (int, error) {
	src, args := rollupSource(q, q.From, q.To, []any{})
	args = append(args, limit)
	var inRange, open int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT DISTINCT val FROM `+src+`
		LIMIT $`+strconv.Itoa(len(args))+`) AS g`, args...).Scan(&inRange)
	if err != nil {
		return 0, fmt.Errorf("count groups: %w", err)
	}
	if ticketColumn(q.Dim) != "" {
		w, args := inTeams("dim = $1", []any{q.Dim}, q.TeamIDs)
		args = append(args, limit)
		err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT DISTINCT val FROM report_backlog WHERE `+w+`
			LIMIT $`+strconv.Itoa(len(args))+`) AS g`, args...).Scan(&open)
		if err != nil {
			return 0, fmt.Errorf("count groups: %w", err)
		}
	}
	return max(inRange, open), nil
}
