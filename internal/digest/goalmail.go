package digest

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/accountreport"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
)

// PurposeGoalAlert marks an off-track goal's mail in the outbox.
const PurposeGoalAlert = "goal_alert"

var _ report.GoalMailer = (*Service)(nil)

var goalMailTemplate = template.Must(template.New("goal").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:sans-serif;color:#222;max-width:640px">
<h1 style="font-size:20px">{{.Subject}}</h1>
<table style="border-collapse:collapse">
{{range .Lines}}<tr><th style="text-align:left;border-bottom:1px solid #ddd;padding:4px">{{index . 0}}</th><td style="border-bottom:1px solid #ddd;padding:4px">{{index . 1}}</td></tr>
{{end}}</table>
<p><a href="{{.Link}}">{{.LinkText}}</a></p>
</body></html>`))

// GoalAlertMail writes the mail telling an agent (a team's lead, or the
// agent whose goal it is) that a goal went off track, in their language,
// keyed by the goal, its period and the moment of the check (the caller
// stores it only in the transaction that records the crossing, so it goes
// once per crossing).
func (s *Service) GoalAlertMail(ctx context.Context, p report.Progress, recipientID int64) (*email.Outbound, error) {
	mailbox, err := s.store.DefaultMailboxID(ctx)
	if err != nil {
		return nil, err
	}
	if mailbox == 0 {
		return nil, desk.E(desk.ENOTFOUND, "error.mailbox_not_found", 0)
	}
	ag, err := s.store.Agent(ctx, recipientID)
	if err != nil {
		return nil, err
	}
	if !ag.Active {
		return nil, fmt.Errorf("agent %d is deactivated", recipientID)
	}
	lang := ag.Language
	if lang != "hi" {
		lang = "en"
	}
	t := func(key string, args ...any) string { return s.t(lang, key, args...) }
	g := p.Goal
	metric := t(report.GoalMetricWords[g.Metric])
	op := "≥"
	if g.Op == report.AtMost {
		op = "≤"
	}
	period := map[string]string{report.PeriodWeek: "goals.p_week", report.PeriodMonth: "goals.p_month",
		report.PeriodQuarter: "goals.p_quarter"}[g.Period]
	lines := [][2]string{
		{t("goals.metric"), metric},
		{t("goals.target"), op + " " + goalValue(g.Metric, &g.Target) + " (" + t(period) + ")"},
		{t("goals.actual"), goalValue(g.Metric, p.Actual)},
		{t("goals.projected"), goalValue(g.Metric, p.Projected)},
	}
	subject := t("notif.text.goal_off_track", metric)
	link := s.publicURL + "/reports/goals"
	var text strings.Builder
	text.WriteString(subject + "\n\n")
	for _, l := range lines {
		fmt.Fprintf(&text, "%s: %s\n", l[0], l[1])
	}
	text.WriteString("\n" + t("goals.title") + ": " + link + "\n")
	var html bytes.Buffer
	if err := goalMailTemplate.Execute(&html, struct {
		Lang, Subject, Link, LinkText string
		Lines                         [][2]string
	}{lang, subject, link, t("goals.title"), lines}); err != nil {
		return nil, err
	}
	return s.mail.BuildSystemMail(ctx, email.SystemMail{MailboxID: mailbox, To: ag.Email, Subject: subject,
		Text: text.String(), HTML: html.String(), Purpose: PurposeGoalAlert,
		Key: fmt.Sprintf("goal:%d:%d:%d:%d", g.ID, p.Start.Unix(), recipientID, s.clock.Now().UnixMicro())})
}

// Enqueue hands stored mails to the send job.
func (s *Service) Enqueue(ctx context.Context, outboundIDs ...int64) error {
	return s.mail.Enqueue(ctx, outboundIDs...)
}

// goalValue says a goal figure as its metric reads (times, shares, counts).
func goalValue(metric string, v *float64) string {
	if v == nil {
		return "—"
	}
	switch metric {
	case "first_response_median", "resolution_median":
		return accountreport.Duration(v)
	case "fcr_rate", "reopen_rate", "escalation_rate", "csat":
		return accountreport.Percent(v)
	}
	return strconv.FormatFloat(float64(int64(*v*10+0.5))/10, 'f', -1, 64)
}
