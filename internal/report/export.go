package report

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/ticket"
)

// Exports stream: each row is written as it is read, through a buffer that
// is flushed per page, so an export of a million tickets holds one page of
// them in memory and has no row cap.

// CSV writes rows of text cells. A cell that a spreadsheet would run as a
// formula (starting with =, +, - or @) is written with a leading apostrophe.
type CSV struct {
	buf  *bufio.Writer
	w    *csv.Writer // writes into buf itself (see NewCSV)
	row  []string
	line []byte
}

// NewCSV writes to w (UTF-8 with a byte order mark, so that spreadsheet
// programs read Hindi right).
func NewCSV(w io.Writer) *CSV {
	buf := bufio.NewWriterSize(w, 64<<10)
	buf.WriteString("\uFEFF")
	// csv.NewWriter keeps a bufio.Writer as it is, so rows written by
	// WriteTicketRow straight into buf stay in order with the others.
	return &CSV{buf: buf, w: csv.NewWriter(buf)}
}

func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Write writes one row.
func (c *CSV) Write(cells ...string) error {
	c.row = c.row[:0]
	for _, s := range cells {
		c.row = append(c.row, safeCell(s))
	}
	return c.w.Write(c.row)
}

// Flush sends what is buffered on.
func (c *CSV) Flush() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.buf.Flush()
}

// appendCell appends a cell as Write writes it: safeCell's apostrophe,
// then quoted as encoding/csv quotes (a comma, quote or line break, a
// leading space, or `\.`), quotes doubled.
func appendCell(b []byte, s string) []byte {
	prefix := s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
	quote := s == `\.`
	for i := 0; i < len(s) && !quote; i++ {
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r'
	}
	if !quote && !prefix && s != "" {
		r, _ := utf8.DecodeRuneInString(s)
		quote = unicode.IsSpace(r)
	}
	if quote {
		b = append(b, '"')
	}
	if prefix {
		b = append(b, '\'')
	}
	if !quote {
		return append(b, s...)
	}
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

func appendID(b []byte, id int64) []byte {
	if id == 0 {
		return b
	}
	return strconv.AppendInt(b, id, 10)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return t.UTC().AppendFormat(b, time.RFC3339)
}

// WriteTicketRow writes a ticket as a row of TicketColumns, the same text
// as WriteTicket, encoded straight into the buffer: the export's inner
// loop, a few hundred nanoseconds a row.
func (c *CSV) WriteTicketRow(t *ticket.ExportRow) error {
	b := strconv.AppendInt(c.line[:0], t.ID, 10)
	for _, s := range [...]string{t.Subject, t.Status, t.StatusCategory, t.Priority, t.Type, t.Channel, t.RequesterEmail} {
		b = appendCell(append(b, ','), s)
	}
	b = appendID(append(b, ','), t.OrganizationID)
	b = appendID(append(b, ','), t.TeamID)
	b = appendID(append(b, ','), t.AssigneeID)
	b = append(b, ',')
	tags := len(b)
	for i, tag := range t.Tags {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, tag...)
	}
	if len(b) > tags {
		// Tags are clean words, but a cell is a cell: encode it whole.
		cell := string(b[tags:])
		b = appendCell(b[:tags], cell)
	}
	b = strconv.AppendInt(append(b, ','), int64(t.EscalationLevel), 10)
	b = appendTime(append(b, ','), t.CreatedAt)
	b = appendTime(append(b, ','), t.UpdatedAt)
	b = appendTime(append(b, ','), t.FirstRespondedAt)
	b = appendTime(append(b, ','), t.SolvedAt)
	c.line = append(b, '\n')
	_, err := c.buf.Write(c.line)
	return err
}

// TicketColumns are the columns of a ticket export.
var TicketColumns = []string{"id", "subject", "status", "status_category", "priority", "type", "channel",
	"requester_email", "organization_id", "team_id", "assignee_id", "tags", "escalation_level", "created_at",
	"updated_at", "first_responded_at", "solved_at"}

func optID(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func optTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// WriteTicket writes a ticket as a row of TicketColumns.
func (c *CSV) WriteTicket(t *ticket.Ticket) error { return c.Write(TicketRow(t)...) }

// TicketRow is a ticket as the cells of TicketColumns.
func TicketRow(t *ticket.Ticket) []string {
	return []string{strconv.FormatInt(t.ID, 10), t.Subject, t.Status, t.StatusCategory, t.Priority, t.Type, t.Channel,
		t.Requester.Email, optID(t.OrganizationID), optID(t.TeamID), optID(t.AssigneeID), strings.Join(t.Tags, " "),
		strconv.Itoa(t.EscalationLevel), t.CreatedAt.UTC().Format(time.RFC3339), t.UpdatedAt.UTC().Format(time.RFC3339),
		optTime(t.FirstRespondedAt), optTime(t.SolvedAt)}
}

// KPIColumns are the columns of a report export: one row per group (the
// whole first, with the key "*").
var KPIColumns = []string{"group", "created", "solved", "reopened", "escalated", "replies",
	"first_response_median_s", "first_response_p90_s", "first_response_business_median_s",
	"resolution_median_s", "resolution_p90_s", "resolution_business_median_s",
	"fcr_rate", "reopen_rate", "escalation_rate", "replies_per_ticket",
	"sla_first_response", "sla_next_response_breached", "sla_resolution", "backlog", "csat", "csat_answers",
	"occupancy", "online_s", "occupied_s"}

func optNum(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// WriteKPIs writes one group's figures as a row of KPIColumns.
func (c *CSV) WriteKPIs(group string, k KPIs) error { return c.Write(KPIRow(group, k)...) }

// KPIRow is one group's figures as the cells of KPIColumns.
func KPIRow(group string, k KPIs) []string {
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	sla := map[string]SLAFigure{}
	for _, f := range k.SLA {
		sla[f.Target] = f
	}
	return []string{group, i(k.Created), i(k.Solved), i(k.Reopened), i(k.Escalated), i(k.Replies),
		optNum(k.FirstResponse.Calendar.Median), optNum(k.FirstResponse.Calendar.P90), optNum(k.FirstResponse.Business.Median),
		optNum(k.Resolution.Calendar.Median), optNum(k.Resolution.Calendar.P90), optNum(k.Resolution.Business.Median),
		optNum(k.FCRRate), optNum(k.ReopenRate), optNum(k.EscalationRate), optNum(k.RepliesPerTicket),
		optNum(sla["first_response"].Compliance), i(sla["next_response"].Breached), optNum(sla["resolution"].Compliance),
		i(k.Backlog), optNum(k.CSAT), i(k.CSATAnswers), optNum(k.Occupancy), i(k.OnlineSeconds), i(k.OccupiedSeconds)}
}
