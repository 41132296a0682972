package nps_test

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/nps"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

func TestScoreMath(t *testing.T) {
	for _, c := range []struct {
		name   string
		scores []int
		want   *int
	}{
		{"no answers has no score", nil, nil},
		{"all promoters", []int{9, 10, 10}, ptr(100)},
		{"all detractors", []int{0, 3, 6}, ptr(-100)},
		{"passives count in the whole only", []int{7, 8}, ptr(0)},
		{"the textbook mix: 5 promoters, 3 passives, 2 detractors", []int{10, 10, 9, 9, 9, 8, 7, 7, 6, 0}, ptr(30)},
		{"rounded to a whole number: 1 of 3 promoters", []int{10, 7, 8}, ptr(33)},
		{"rounded half away: 1 promoter 7 passives", []int{9, 7, 7, 7, 7, 7, 7, 7}, ptr(13)},
		{"the edges: 6 is a detractor, 9 a promoter", []int{6, 9}, ptr(0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			var tl nps.Tally
			for _, s := range c.scores {
				tl.Add(s)
			}
			got := tl.Score()
			if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
				t.Errorf("score of %v = %v, want %v", c.scores, deref(got), deref(c.want))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type fixture struct {
	db     *store.DB
	clock  *storetest.Clock
	people *people.Service
	svc    *nps.Service
	sys    context.Context
	acme   *people.Organization
	globex *people.Organization
}

func newFixture(t *testing.T, b storetest.Backend) *fixture {
	db := storetest.Open(t, b)
	clock := storetest.NewClock(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	bus := event.NewBus()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	q := storetest.Queue(t, db, jobs.Config{Logger: quiet, PollInterval: 20 * time.Millisecond, MaxWorkers: 2})
	sender, err := email.NewSender(db, blob.New(t.TempDir()), q, bus, clock, quiet, email.SenderConfig{Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, clock: clock, people: people.NewService(db, clock), sys: desk.WithActor(context.Background(), desk.System),
		svc: nps.New(db, sender, clock, quiet, i18n.Builtin().T, nps.Config{PublicURL: "https://help.desk.test",
			LinkFor: 10 * 24 * time.Hour, ChangeFor: 2 * 24 * time.Hour, Batch: 2})}
	mb := &email.Mailbox{Address: "support@desk.test", Name: "Support", Active: true, CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	mb.IMAP.Folder, mb.IMAP.Security, mb.SMTP.Security = "INBOX", email.SecurityTLS, email.SecurityStartTLS
	if err := db.CreateMailbox(f.sys, mb, audit.New(f.sys, clock.Now(), audit.MailboxCreated, "mailbox", 0, nil)); err != nil {
		t.Fatal(err)
	}
	accounts := account.New(db, bus, clock, quiet)
	f.acme = must(f.people.CreateOrganization(f.sys, people.OrganizationInput{Name: ptr("Acme")}))
	f.globex = must(f.people.CreateOrganization(f.sys, people.OrganizationInput{Name: ptr("Globex")}))
	tier := "Gold"
	must(accounts.Update(f.sys, f.acme.ID, account.Input{Tier: &tier}))
	for _, c := range []struct {
		name, mail, lang string
		org              int64
	}{{"Chitra", "chitra@acme.test", "hi", f.acme.ID}, {"Dev", "dev@acme.test", "en", f.acme.ID},
		{"Nomail", "", "en", f.acme.ID}, {"Gita", "gita@globex.test", "en", f.globex.ID}} {
		in := people.ContactInput{Name: ptr(c.name), Language: ptr(c.lang), OrganizationID: ptr(c.org)}
		if c.mail != "" {
			in.Emails = &[]string{c.mail}
		}
		must(f.people.CreateContact(f.sys, in))
	}
	return f
}

var linkRE = regexp.MustCompile(`/nps/(nps_[A-Za-z0-9_\-]+)\?score=10`)

// mails returns the NPS survey mails queued, by recipient, with their
// link's token.
func (f *fixture) mails(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, m := range must(f.db.OutboundList(f.sys, 0, 100)) {
		full := must(f.db.Outbound(f.sys, m.ID))
		raw := string(full.Raw)
		raw = strings.ReplaceAll(raw, "=\r\n", "")
		raw = strings.ReplaceAll(raw, "=3D", "=")
		if tk := linkRE.FindStringSubmatch(raw); tk != nil {
			out[strings.Join(m.Recipients, ",")] = tk[1]
		}
	}
	return out
}

func TestCampaignSendsOncePerContactAndTakesAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		c := must(f.svc.Create(f.sys, nps.CampaignInput{Name: "Q4 pulse", Segment: nps.Segment{Tier: "Gold"}}))
		c = must(f.svc.Send(f.sys, c.ID, c.Version))
		if c.Recipients != 2 || c.Status != nps.StatusSending {
			t.Fatalf("campaign = %+v, want 2 recipients (Acme's contacts with an address), sending", c)
		}
		if _, err := f.svc.Send(f.sys, c.ID, 0); desk.ErrorCode(err) != desk.EUNPROCESSABLE {
			t.Errorf("second send: %v, want EUNPROCESSABLE", err)
		}
		// Batches of 2: the job runs three times, the last finds nothing.
		total := 0
		for i := 0; i < 3; i++ {
			total += must(f.svc.SendPending(f.sys))
		}
		if total != 2 {
			t.Fatalf("sent %d surveys over three runs, want 2", total)
		}
		mails := f.mails(t)
		if len(mails) != 2 || mails["chitra@acme.test"] == "" || mails["dev@acme.test"] == "" {
			t.Fatalf("survey mails = %v, want one each to Chitra and Dev", mails)
		}
		token := mails["dev@acme.test"]
		// Forged and mistyped links find nothing.
		for _, bad := range []string{"nps_forged", "csat_" + token[4:], token + "x", "", strings.Repeat("nps_", 40)} {
			if _, err := f.svc.ByToken(f.sys, bad); desk.ErrorCode(err) != desk.ENOTFOUND {
				t.Errorf("token %q: %v, want ENOTFOUND", bad, err)
			}
		}
		if _, err := f.svc.Answer(f.sys, token, 11, ""); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("score 11: %v, want EINVALID", err)
		}
		must(f.svc.Answer(f.sys, token, 6, "slow replies"))
		f.clock.Advance(24 * time.Hour)
		r := must(f.svc.Answer(f.sys, token, 9, "better now"))
		if *r.Score != 9 {
			t.Errorf("changed answer = %d, want 9", *r.Score)
		}
		must(f.svc.Answer(f.sys, mails["chitra@acme.test"], 3, "बहुत देर"))
		res := must(f.svc.CampaignResults(f.sys, c.ID))
		if res.Campaign.Score == nil || *res.Campaign.Score != 0 || res.Campaign.Answers != 2 {
			t.Errorf("campaign result = %+v, want NPS 0 of 2 answers (one promoter, one detractor)", res.Campaign)
		}
		if len(res.Tiers) != 1 || res.Tiers[0].Key != "Gold" || len(res.Accounts) != 1 || res.Accounts[0].Name != "Acme" {
			t.Errorf("by tier %+v, by account %+v", res.Tiers, res.Accounts)
		}
		acme := must(f.svc.AccountScore(f.sys, f.acme.ID))
		if acme.Answers != 2 {
			t.Errorf("Acme's score = %+v", acme)
		}
		// The answers count into Acme's health as they arrive: Dev's 6 was a
		// detractor until he changed it to 9 (a promoter), Chitra's 3 is a
		// detractor; the satisfaction component is half good.
		accounts := account.New(f.db, event.NewBus(), f.clock, quiet)
		storetest.CatchUpWith(t, f.db, account.Consumer, func(ctx context.Context) error {
			return accounts.Catchup(desk.WithActor(ctx, desk.System))
		})
		health := must(accounts.Get(f.sys, f.acme.ID))
		if st := health.State; st == nil || st.Good < 0.99 || st.Good > 1.01 || st.Bad < 0.99 || st.Bad > 1.01 {
			t.Errorf("Acme's state after the answers = %+v, want one good and one bad", st)
		}
		var sat *account.Component
		for i, c := range health.Health.Components {
			if c.Name == account.CompSatisfaction {
				sat = &health.Health.Components[i]
			}
		}
		if sat == nil || sat.Value != 0.5 {
			t.Errorf("satisfaction component = %+v, want a share of 0.5", sat)
		}
		// Two days after the first answer it may no longer change; after
		// ten days from sending the link has expired.
		f.clock.Advance(25 * time.Hour)
		if _, err := f.svc.Answer(f.sys, token, 10, ""); desk.ErrorCode(err) != desk.EUNPROCESSABLE {
			t.Errorf("late change: %v, want EUNPROCESSABLE", err)
		}
		f.clock.Advance(10 * 24 * time.Hour)
		if _, err := f.svc.Answer(f.sys, mails["chitra@acme.test"], 10, ""); desk.ErrorCode(err) != desk.EUNPROCESSABLE {
			t.Errorf("answer after expiry: %v, want EUNPROCESSABLE", err)
		}
		// The answers are on the account's timeline.
		items := must(account.New(f.db, event.NewBus(), f.clock, quiet).Timeline(f.sys, f.acme.ID,
			account.TimelineFilter{Kinds: []string{account.ItemNPS}, Limit: 10}))
		if len(items) != 2 || !strings.HasPrefix(items[0].Text, "3 ") && !strings.HasPrefix(items[0].Text, "9 ") {
			t.Errorf("timeline = %+v, want the two NPS answers", items)
		}
	})
}

func TestCampaignInputIsChecked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		for _, c := range []struct {
			name  string
			in    nps.CampaignInput
			field string
		}{
			{"no name", nps.CampaignInput{OrganizationIDs: []int64{f.acme.ID}}, "name"},
			{"no audience", nps.CampaignInput{Name: "x"}, "organization_ids"},
			{"an account that does not exist", nps.CampaignInput{Name: "x", OrganizationIDs: []int64{999999}}, "organization_ids"},
			{"accounts and a segment", nps.CampaignInput{Name: "x", OrganizationIDs: []int64{f.acme.ID},
				Segment: nps.Segment{Tier: "Gold"}}, "segment"},
			{"a control character", nps.CampaignInput{Name: "x\x00", OrganizationIDs: []int64{f.acme.ID}}, "name"},
		} {
			_, err := f.svc.Create(f.sys, c.in)
			if desk.ErrorCode(err) != desk.EINVALID || desk.ErrorFields(err)[c.field].Key == "" {
				t.Errorf("%s: %v, want EINVALID on %s", c.name, err, c.field)
			}
		}
	})
}
