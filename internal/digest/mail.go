package digest

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/accountreport"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
)

//go:embed mail.html
var mailHTML string

var mailTemplate = template.Must(template.New("mail").Funcs(template.FuncMap{"t": func(string, ...any) string { return "" }}).Parse(mailHTML))

// PurposeDigest marks a digest's mail in the outbox.
const PurposeDigest = email.PurposeReport

// SendDue mails every digest whose last whole period has not gone out:
// each period once per digest, whichever node runs the job and however
// often (the digest's last period moves in the transaction that stores
// its mails; each mail has its own key too). A periodic job runs it.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	mailbox, err := s.store.DefaultMailboxID(ctx)
	if err != nil || mailbox == 0 {
		return 0, err // no mailbox: nothing can be mailed; the periods wait
	}
	now := s.clock.Now()
	sent := 0
	for _, kind := range Periods {
		p := LastComplete(kind, now)
		n, err := email.SendEachDue(ctx,
			func(ctx context.Context, after int64, limit int) ([]*Digest, error) {
				return s.store.DueDigests(ctx, kind, p.Label, after, limit)
			},
			func(d *Digest) int64 { return d.ID },
			func(ctx context.Context, d *Digest) (bool, error) { return s.sendOne(ctx, mailbox, d, p) },
			func(d *Digest, err error) {
				s.log.Warn("digest mail", slog.Int64("digest", d.ID), slog.Any("err", err))
			})
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func (s *Service) sendOne(ctx context.Context, mailbox int64, d *Digest, p Period) (bool, error) {
	var mails []*email.Outbound
	for _, id := range d.RecipientIDs {
		m, err := s.mailFor(ctx, mailbox, d, p, id)
		if err != nil {
			// A recipient gone, deactivated or without the right to the
			// figures gets nothing; the others get theirs.
			s.log.Info("digest recipient skipped", slog.Int64("digest", d.ID), slog.Int64("agent", id), slog.Any("err", err))
			continue
		}
		mails = append(mails, m)
	}
	ok, err := s.store.MarkDigestSent(ctx, d.ID, d.LastPeriod, p.Label, mails)
	if err != nil || !ok {
		return false, err
	}
	var ids []int64
	for _, m := range mails {
		if m.ID != 0 {
			ids = append(ids, m.ID)
		}
	}
	return true, s.mail.Enqueue(ctx, ids...)
}

// mailFor renders one recipient's mail, with the figures read as that
// recipient: what they may see and no more.
func (s *Service) mailFor(ctx context.Context, mailbox int64, d *Digest, p Period, agentID int64) (*email.Outbound, error) {
	ag, err := s.store.Agent(ctx, agentID)
	if err != nil {
		return nil, err
	}
	if !ag.Active {
		return nil, fmt.Errorf("agent %d is deactivated", agentID)
	}
	actor, err := s.actors.ActorFor(ctx, ag)
	if err != nil {
		return nil, err
	}
	lang := actor.Language
	if lang != "hi" {
		lang = "en"
	}
	c, err := s.Build(desk.WithActor(ctx, actor), d, p, lang)
	if err != nil {
		return nil, err
	}
	return s.mail.BuildSystemMail(ctx, email.SystemMail{MailboxID: mailbox, To: ag.Email,
		Subject: c.Subject, Text: c.Text, HTML: c.HTML, Purpose: PurposeDigest,
		Key: fmt.Sprintf("digest:%d:%s:%d", d.ID, p.Label, agentID)})
}

// Content is a digest's mail for one reader.
type Content struct {
	Subject, Text, HTML string
	KPIs                report.KPIs
}

// Build reads the figures of a digest's period as the actor in ctx and
// renders its mail in a language: the trend chart as on the reports page,
// and every number in a table too (for mail clients that drop SVG).
func (s *Service) Build(ctx context.Context, d *Digest, p Period, lang string) (*Content, error) {
	q := report.Query{From: p.Start, To: p.End}
	if d.TeamID != nil {
		q.TeamID = *d.TeamID
	}
	rep, err := s.figures.KPIs(ctx, q)
	if err != nil {
		return nil, err
	}
	series, err := s.figures.Series(ctx, q, report.MCreated, report.MSolved)
	if err != nil {
		return nil, err
	}
	t := func(key string, args ...any) string { return s.t(lang, key, args...) }
	span := p.Start.Format(time.DateOnly) + " – " + p.End.Add(-time.Second).Format(time.DateOnly)
	link := s.publicURL + "/reports?" + reportLink(q)
	chart := report.TrendSVG(t("report.trend"), t("report.created"), t("report.solved"), series,
		func(from, to time.Time) string {
			step := q
			step.From, step.To = from, to
			return s.publicURL + "/reports/tickets?" + reportLink(step) + "&metric=" + report.DrillCreated
		})
	lines := Lines(rep.KPIs, t)
	c := &Content{Subject: t("digest.mail_subject", d.Name, span), KPIs: rep.KPIs}
	var text strings.Builder
	text.WriteString(t("digest.mail_intro", d.Name, span) + "\n\n")
	for _, l := range lines {
		fmt.Fprintf(&text, "%s: %s\n", l[0], l[1])
	}
	text.WriteString("\n" + t("digest.mail_link") + " " + link + "\n")
	c.Text = text.String()
	tpl, err := mailTemplate.Clone()
	if err != nil {
		return nil, err
	}
	var html bytes.Buffer
	err = tpl.Funcs(template.FuncMap{"t": t}).Execute(&html, struct {
		Name, Span, Link, Lang string
		Chart                  template.HTML
		Lines                  [][2]string
	}{d.Name, span, link, lang, template.HTML(chart), lines})
	c.HTML = html.String()
	return c, err
}

func reportLink(q report.Query) string {
	v := url.Values{}
	v.Set("from", q.From.Format(time.RFC3339))
	v.Set("to", q.To.Format(time.RFC3339))
	if q.TeamID != 0 {
		v.Set("team_id", strconv.FormatInt(q.TeamID, 10))
	}
	return v.Encode()
}

// Lines are the KPIs as label and value, as the reports page says them.
func Lines(k report.KPIs, t func(key string, args ...any) string) [][2]string {
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	out := [][2]string{
		{t("report.created"), n(k.Created)},
		{t("report.solved"), n(k.Solved)},
		{t("report.backlog"), n(k.Backlog)},
		{t("report.first_response"), accountreport.Duration(k.FirstResponse.Calendar.Median)},
		{t("report.resolution"), accountreport.Duration(k.Resolution.Calendar.Median)},
		{t("report.fcr"), accountreport.Percent(k.FCRRate)},
		{t("report.reopen_rate"), accountreport.Percent(k.ReopenRate)},
		{t("report.escalation_rate"), accountreport.Percent(k.EscalationRate)},
	}
	if k.RepliesPerTicket != nil {
		out = append(out, [2]string{t("report.replies_per_ticket"), strconv.FormatFloat(*k.RepliesPerTicket, 'f', 1, 64)})
	} else {
		out = append(out, [2]string{t("report.replies_per_ticket"), "—"})
	}
	for _, f := range k.SLA {
		key := map[string]string{"first_response": "report.sla_first_response", "next_response": "report.sla_next_response",
			"resolution": "report.sla_resolution"}[f.Target]
		if key != "" {
			out = append(out, [2]string{t(key), accountreport.Percent(f.Compliance) + " (" + t("report.sla_counts", f.Met, f.Breached) + ")"})
		}
	}
	out = append(out, [2]string{t("report.csat"), accountreport.Percent(k.CSAT) + " (" + t("report.csat_answers", k.CSATAnswers) + ")"})
	out = append(out, [2]string{t("report.occupancy"), accountreport.Percent(k.Occupancy) + " (" +
		t("report.occupancy_hours", k.OccupiedHours(), k.OnlineHours()) + ")"})
	return out
}
