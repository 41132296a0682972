package accountreport

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
)

//go:embed mail.html
var mailHTML string

// SendDue mails the reports of the last whole month or quarter to the
// accounts whose schedule asks for it and that have not had it: each
// period once per account, whichever node runs the job and however often
// (the schedule's last period moves in the transaction that queues the
// mail, and each mail has its own key). A periodic job runs it.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	mailbox, err := s.store.DefaultMailboxID(ctx)
	if err != nil || mailbox == 0 {
		return 0, err // no mailbox: nothing can be mailed; the periods wait
	}
	now := s.clock.Now()
	sent := 0
	for _, kind := range []string{Monthly, Quarterly} {
		p := LastComplete(kind, now)
		n, err := email.SendEachDue(ctx,
			func(ctx context.Context, after int64, limit int) ([]Schedule, error) {
				return s.store.DueReportSchedules(ctx, kind, p.Label, after, limit)
			},
			func(sc Schedule) int64 { return sc.OrganizationID },
			func(ctx context.Context, sc Schedule) (bool, error) { return s.sendOne(ctx, mailbox, sc, p) },
			func(sc Schedule, err error) {
				s.log.Warn("account report mail", slog.Int64("organization", sc.OrganizationID), slog.Any("err", err))
			})
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func (s *Service) sendOne(ctx context.Context, mailbox int64, sc Schedule, p Period) (bool, error) {
	a, err := s.store.ReportAccount(ctx, sc.OrganizationID)
	if err != nil {
		return false, err
	}
	r, err := s.build(ctx, a, p)
	if err != nil {
		return false, err
	}
	type to struct{ addr, lang, key string }
	var tos []to
	if a.OwnerEmail != "" {
		tos = append(tos, to{a.OwnerEmail, a.OwnerLanguage, "owner"})
	}
	if sc.ContactID != nil {
		c, err := s.store.ReportContact(ctx, *sc.ContactID)
		if err == nil && c.Email != "" && c.OrganizationID != nil && *c.OrganizationID == sc.OrganizationID {
			tos = append(tos, to{c.Email, c.Language, "contact:" + strconv.FormatInt(c.ID, 10)})
		} else if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
			return false, err
		}
	}
	var mails []*email.Outbound
	for _, t := range tos {
		lang := t.lang
		if lang != "hi" {
			lang = "en"
		}
		text, html, err := s.Render(r, lang)
		if err != nil {
			return false, err
		}
		m, err := s.mail.BuildSystemMail(ctx, email.SystemMail{MailboxID: mailbox, To: t.addr,
			Subject: s.t(lang, "acctreport.mail_subject", r.Name, r.Label), Text: text, HTML: html,
			Purpose: email.PurposeReport,
			Key:     fmt.Sprintf("acctreport:%d:%s:%s", r.OrganizationID, r.Label, t.key)})
		if err != nil {
			s.log.Warn("account report mail", slog.Int64("organization", r.OrganizationID), slog.Any("err", err))
			continue
		}
		mails = append(mails, m)
	}
	ok, err := s.store.MarkReportSent(ctx, sc.OrganizationID, sc.LastPeriod, p.Label, mails)
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

// Lines are a report's figures as label and value in a language: what
// the mail, the CSV and the XLSX say (the page lays out the same).
func (s *Service) Lines(r *Report, lang string) [][2]string {
	t := func(key string, args ...any) string { return s.t(lang, key, args...) }
	var out [][2]string
	add := func(label, value string) { out = append(out, [2]string{label, value}) }
	add(t("acctreport.account"), r.Name)
	add(t("acctreport.period"), r.Label)
	add(t("acctreport.owner"), dash(r.OwnerName))
	add(t("acctreport.created"), strconv.FormatInt(r.Created, 10))
	add(t("acctreport.solved"), strconv.FormatInt(r.Solved, 10))
	add(t("acctreport.reopened"), strconv.FormatInt(r.Reopened, 10))
	add(t("acctreport.escalated"), strconv.FormatInt(r.Escalated, 10))
	add(t("acctreport.first_response_median"), Duration(r.FirstResponse.Median))
	add(t("acctreport.resolution_median"), Duration(r.Resolution.Median))
	add(t("acctreport.sla_compliance"), Percent(r.SLACompliance))
	for _, f := range r.SLA {
		label := t("acctreport.sla_first_response")
		switch f.Target {
		case "next_response":
			label = t("acctreport.sla_next_response")
		case "resolution":
			label = t("acctreport.sla_resolution")
		}
		add(label, fmt.Sprintf("%s (%d / %d)", Percent(f.Compliance), f.Met, f.Met+f.Breached))
	}
	add(t("acctreport.csat"), fmt.Sprintf("%s (%d)", Percent(r.CSAT), r.CSATAnswers))
	add(t("acctreport.open"), strconv.FormatInt(r.Open, 10))
	add(t("acctreport.checkins"), strconv.Itoa(len(r.Checkins)))
	for _, i := range r.TopTypes {
		add(t("acctreport.top_type", i.Name), strconv.FormatInt(i.Count, 10))
	}
	for _, i := range r.TopTags {
		add(t("acctreport.top_tag", i.Name), strconv.FormatInt(i.Count, 10))
	}
	return out
}

// Render is the report's mail in a language: text and HTML.
func (s *Service) Render(r *Report, lang string) (string, string, error) {
	t := func(key string, args ...any) string { return s.t(lang, key, args...) }
	lines := s.Lines(r, lang)
	var text strings.Builder
	text.WriteString(t("acctreport.mail_intro", r.Name, r.Label) + "\n\n")
	for _, l := range lines {
		fmt.Fprintf(&text, "%s: %s\n", l[0], l[1])
	}
	if len(r.OpenItems) > 0 {
		text.WriteString("\n" + t("acctreport.open_items") + "\n")
		for _, o := range r.OpenItems {
			fmt.Fprintf(&text, "#%d %s (%s)\n", o.TicketID, o.Subject, o.Status)
		}
	}
	link := s.publicURL + "/organizations/" + strconv.FormatInt(r.OrganizationID, 10) + "/report?period=" + r.Label
	text.WriteString("\n" + t("acctreport.mail_link") + " " + link + "\n")
	tpl, err := template.New("mail").Funcs(template.FuncMap{"t": t}).Parse(mailHTML)
	if err != nil {
		return "", "", err
	}
	var html bytes.Buffer
	err = tpl.Execute(&html, struct {
		R     *Report
		Lines [][2]string
		Link  string
		Lang  string
	}{r, lines, link, lang})
	return text.String(), html.String(), err
}

// Duration says seconds as days, hours and minutes ("—" for none).
func Duration(sec *float64) string {
	if sec == nil {
		return "—"
	}
	d := time.Duration(*sec) * time.Second
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

// Percent says a share as a whole percentage ("—" for none).
func Percent(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.Itoa(int(*v*100+0.5)) + "%"
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
