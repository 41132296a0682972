package nps

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// Recipient is a survey waiting for its mail.
type Recipient struct {
	ResponseID     int64
	CampaignID     int64
	ContactID      int64
	ContactName    string
	ContactEmail   string
	Language       string
	Question       string
	OrganizationID int64
	Organization   string
}

// ScoreRow counts the answers of one score in one group.
type ScoreRow struct {
	Key, Name string
	Score     int
	N         int64
}

// ScoreQuery asks for answer counts grouped by "campaign",
// "organization", "tier" or "industry", optionally of one campaign or one
// account.
type ScoreQuery struct {
	GroupBy        string
	CampaignID     *int64
	OrganizationID *int64
}

// Store persists campaigns and surveys. Single reads return a desk
// ENOTFOUND error.
type Store interface {
	CreateCampaign(ctx context.Context, c *Campaign) error
	Campaign(ctx context.Context, id int64) (*Campaign, error)
	Campaigns(ctx context.Context, limit int) ([]*Campaign, error)
	// MissingOrganizations returns those of ids that are no organization.
	MissingOrganizations(ctx context.Context, ids []int64) ([]int64, error)
	// StartCampaign, in one transaction, if the campaign is still a draft
	// at c.Version: adds a survey for every contact with an address of its
	// accounts (chosen, or of its segment; at most max), marks it sending
	// at now and bumps its version; ESTALE when the version moved.
	StartCampaign(ctx context.Context, c *Campaign, now time.Time, max int) error
	// UnsentResponses returns surveys without their mail yet, oldest first.
	UnsentResponses(ctx context.Context, limit int) ([]Recipient, error)
	// MarkResponseSent sets a survey's token digest, sent and expiry times
	// and stores its mail (nil: none), in one transaction, if it was not
	// sent yet; false otherwise.
	MarkResponseSent(ctx context.Context, responseID int64, digest string, now, expires time.Time, mail *email.Outbound) (bool, error)
	ResponseByToken(ctx context.Context, digest string) (*Response, error)
	// AnswerResponse writes r's score, reason, answered_at,
	// changeable_until and updated_at if the survey is still at
	// prevUpdated, and appends ev, in one transaction; ECONFLICT otherwise.
	AnswerResponse(ctx context.Context, r *Response, prevUpdated time.Time, ev event.Event) error
	ScoreCounts(ctx context.Context, q ScoreQuery) ([]ScoreRow, error)
	DefaultMailboxID(ctx context.Context) (int64, error)
}

// Mailer builds and hands over the desk's own mail (package email).
type Mailer interface {
	BuildSystemMail(ctx context.Context, m email.SystemMail) (*email.Outbound, error)
	Enqueue(ctx context.Context, outboundIDs ...int64) error
}

// Translate formats a message of the catalog in a language.
type Translate func(lang, key string, args ...any) string

// Config tunes campaigns; zero fields take the defaults.
type Config struct {
	PublicURL string        // links start with it (no trailing slash)
	LinkFor   time.Duration // how long a link works (default 30 days)
	ChangeFor time.Duration // how long an answer may change (default 3 days)
	Batch     int           // mails one run of the job sends (default 50)
}

// Service runs campaigns and takes answers.
type Service struct {
	store Store
	mail  Mailer
	clock desk.Clock
	log   *slog.Logger
	t     Translate
	cfg   Config
}

// New builds the service.
func New(s Store, m Mailer, clock desk.Clock, log *slog.Logger, t Translate, cfg Config) *Service {
	if cfg.LinkFor <= 0 {
		cfg.LinkFor = 30 * 24 * time.Hour
	}
	if cfg.ChangeFor <= 0 {
		cfg.ChangeFor = 3 * 24 * time.Hour
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 50
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: s, mail: m, clock: clock, log: log, t: t, cfg: cfg}
}

// CampaignInput makes a campaign.
type CampaignInput struct {
	Name            string
	Question        string // "": the standard question, in the contact's language
	OrganizationIDs []int64
	Segment         Segment
}

// Create makes a draft campaign: a name, and accounts chosen or a
// segment (not both empty: a campaign never goes to every customer by
// accident).
func (s *Service) Create(ctx context.Context, in CampaignInput) (*Campaign, error) {
	actor, err := desk.Require(ctx, auth.NPSManage)
	if err != nil {
		return nil, err
	}
	errs := desk.Fields{}
	name, msg := cleanLine(in.Name, MaxName)
	switch {
	case msg.Key != "":
		errs["name"] = msg
	case name == "":
		errs["name"] = desk.M("invalid.required")
	}
	question, msg := cleanLine(in.Question, MaxQuestion)
	if msg.Key != "" {
		errs["question"] = msg
	}
	seg := in.Segment
	if seg.Tier, msg = cleanLine(seg.Tier, 50); msg.Key != "" {
		errs["segment.tier"] = msg
	}
	if seg.Industry, msg = cleanLine(seg.Industry, 100); msg.Key != "" {
		errs["segment.industry"] = msg
	}
	if seg.OwnerID != nil && *seg.OwnerID <= 0 {
		seg.OwnerID = nil
	}
	ids := []int64{}
	for _, id := range in.OrganizationIDs {
		if id <= 0 {
			errs["organization_ids"] = desk.M("nps.invalid.accounts")
			break
		}
		if !contains(ids, id) {
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) > MaxAccounts:
		errs["organization_ids"] = desk.M("nps.invalid.too_many_accounts", MaxAccounts)
	case len(ids) == 0 && seg.Empty():
		errs["organization_ids"] = desk.M("nps.invalid.no_audience")
	case len(ids) > 0 && !seg.Empty():
		errs["segment"] = desk.M("nps.invalid.both")
	}
	if len(errs) == 0 && len(ids) > 0 {
		missing, err := s.store.MissingOrganizations(ctx, ids)
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			errs["organization_ids"] = desk.M("nps.invalid.no_account", missing[0])
		}
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	c := &Campaign{Name: name, Question: question, OrganizationIDs: ids, Segment: seg, Status: StatusDraft,
		CreatedAt: s.clock.Now(), Version: 1}
	if actor.Kind == desk.ActorAgent {
		id := actor.ID
		c.CreatedBy = &id
	}
	if err := s.store.CreateCampaign(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Get returns a campaign with its counts.
func (s *Service) Get(ctx context.Context, id int64) (*Campaign, error) {
	if _, err := desk.Require(ctx, auth.NPSManage); err != nil {
		return nil, err
	}
	return s.store.Campaign(ctx, id)
}

// List returns the newest campaigns.
func (s *Service) List(ctx context.Context) ([]*Campaign, error) {
	if _, err := desk.Require(ctx, auth.NPSManage); err != nil {
		return nil, err
	}
	return s.store.Campaigns(ctx, 200)
}

// Send chooses a draft campaign's recipients (once: a campaign is sent
// once) for the job to mail; ESTALE at another version.
func (s *Service) Send(ctx context.Context, id, ifVersion int64) (*Campaign, error) {
	if _, err := desk.Require(ctx, auth.NPSManage); err != nil {
		return nil, err
	}
	c, err := s.store.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := desk.CheckVersion(ifVersion, c.Version); err != nil {
		return nil, err
	}
	if c.Status != StatusDraft {
		return nil, desk.E(desk.EUNPROCESSABLE, "nps.error.already_sent")
	}
	if err := s.store.StartCampaign(ctx, c, s.clock.Now(), MaxRecipient); err != nil {
		return nil, err
	}
	return s.store.Campaign(ctx, id)
}

// SendPending mails up to a batch of surveys not mailed yet: the job runs
// it every minute, which throttles a large campaign. A survey is mailed
// once, however often the job runs or fails half-way (its row and its
// mail's key say so).
func (s *Service) SendPending(ctx context.Context) (int, error) {
	list, err := s.store.UnsentResponses(ctx, s.cfg.Batch)
	if err != nil || len(list) == 0 {
		return 0, err
	}
	mailbox, err := s.store.DefaultMailboxID(ctx)
	if err != nil || mailbox == 0 {
		return 0, err // no mailbox: the surveys wait
	}
	now := s.clock.Now()
	var ids []int64
	sent := 0
	for _, rc := range list {
		token, digest, err := auth.NewSecret("nps_")
		if err != nil {
			return sent, err
		}
		lang := rc.Language
		if lang != "hi" {
			lang = "en"
		}
		mail, err := s.mail.BuildSystemMail(ctx, email.SystemMail{MailboxID: mailbox, To: rc.ContactEmail,
			Subject: s.t(lang, "nps.mail_subject", rc.Organization), Text: s.mailText(rc, lang, token),
			Purpose: email.PurposeSurvey,
			Key:     "nps:" + strconv.FormatInt(rc.CampaignID, 10) + ":" + strconv.FormatInt(rc.ContactID, 10)})
		if err != nil {
			// An address the mail cannot carry: the survey is marked sent
			// without mail, so it is not tried again and again.
			s.log.Warn("nps: survey mail", slog.Int64("response", rc.ResponseID), slog.Any("err", err))
			mail = nil
		}
		ok, err := s.store.MarkResponseSent(ctx, rc.ResponseID, digest, now, now.Add(s.cfg.LinkFor), mail)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
			if mail != nil && mail.ID != 0 {
				ids = append(ids, mail.ID)
			}
		}
	}
	return sent, s.mail.Enqueue(ctx, ids...)
}

func (s *Service) mailText(rc Recipient, lang, token string) string {
	q := rc.Question
	if q == "" {
		q = s.t(lang, "nps.question_default")
	}
	link := s.Link(token)
	var b strings.Builder
	b.WriteString(s.t(lang, "nps.mail_greeting", rc.ContactName) + "\n\n")
	b.WriteString(q + "\n\n")
	for n := 10; n >= 0; n-- {
		fmt.Fprintf(&b, "%d: %s?score=%d\n", n, link, n)
	}
	b.WriteString("\n" + s.t(lang, "nps.mail_expiry", int(s.cfg.LinkFor.Hours()/24)) + "\n")
	return b.String()
}

// Link is the survey page of a token.
func (s *Service) Link(token string) string { return s.cfg.PublicURL + "/nps/" + token }

// ByToken finds the survey of a link; ENOTFOUND for a token never issued.
func (s *Service) ByToken(ctx context.Context, token string) (*Response, error) {
	if !strings.HasPrefix(token, "nps_") || len(token) > 100 {
		return nil, desk.E(desk.ENOTFOUND, "nps.not_found")
	}
	return s.store.ResponseByToken(ctx, auth.Digest(token))
}

// Answer records a score (0-10) and reason for the survey of token: the
// first answer, or a change while it is changeable.
func (s *Service) Answer(ctx context.Context, token string, score int, reason string) (*Response, error) {
	r, err := s.ByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	fields := desk.Fields{}
	if score < 0 || score > 10 {
		fields["score"] = desk.M("nps.score_required")
	}
	if !utf8.ValidString(reason) {
		fields["reason"] = desk.M("invalid.utf8")
	} else if utf8.RuneCountInString(reason) > MaxReason {
		fields["reason"] = desk.M("invalid.too_long")
	}
	if len(fields) > 0 {
		return r, desk.Invalid(fields)
	}
	now := s.clock.Now()
	switch {
	case r.ExpiresAt == nil || !now.Before(*r.ExpiresAt):
		return r, desk.E(desk.EUNPROCESSABLE, "nps.expired")
	case !r.Open(now):
		return r, desk.E(desk.EUNPROCESSABLE, "nps.closed")
	}
	previous := r.Score
	prevUpdated := r.UpdatedAt
	r.Score, r.Reason, r.UpdatedAt = &score, reason, now
	if r.AnsweredAt == nil {
		until := now.Add(s.cfg.ChangeFor)
		if until.After(*r.ExpiresAt) {
			until = *r.ExpiresAt
		}
		r.AnsweredAt, r.ChangeableUntil = &now, &until
	}
	ev := event.New(Answered, 0, map[string]any{"organization_id": r.OrganizationID, "campaign_id": r.CampaignID,
		"contact_id": r.ContactID, "score": score, "previous": previous, "reason": reason})
	ev.ActorKind, ev.ActorID, ev.CreatedAt = desk.ActorContact, r.ContactID, now
	if err := s.store.AnswerResponse(ctx, r, prevUpdated, ev); err != nil {
		return nil, err
	}
	return r, nil
}

// Results are a campaign's score, and by account, tier and industry.
type Results struct {
	Campaign   Result   `json:"campaign"`
	Accounts   []Result `json:"accounts"`
	Tiers      []Result `json:"tiers"`
	Industries []Result `json:"industries"`
}

// CampaignResults scores a campaign's answers.
func (s *Service) CampaignResults(ctx context.Context, id int64) (*Results, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &Results{}
	for _, g := range []struct {
		by   string
		into *[]Result
	}{{"organization", &out.Accounts}, {"tier", &out.Tiers}, {"industry", &out.Industries}} {
		rows, err := s.store.ScoreCounts(ctx, ScoreQuery{GroupBy: g.by, CampaignID: &c.ID})
		if err != nil {
			return nil, err
		}
		*g.into = Tallies(rows)
	}
	total := Tally{}
	for _, r := range out.Accounts {
		total.Promoters, total.Passives, total.Detractors = total.Promoters+r.Promoters, total.Passives+r.Passives,
			total.Detractors+r.Detractors
	}
	out.Campaign = result(strconv.FormatInt(c.ID, 10), c.Name, total)
	return out, nil
}

// AccountScore is an account's NPS over every campaign's answers.
func (s *Service) AccountScore(ctx context.Context, orgID int64) (Result, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return Result{}, err
	}
	rows, err := s.store.ScoreCounts(ctx, ScoreQuery{GroupBy: "organization", OrganizationID: &orgID})
	if err != nil {
		return Result{}, err
	}
	if list := Tallies(rows); len(list) > 0 {
		return list[0], nil
	}
	return result(strconv.FormatInt(orgID, 10), "", Tally{}), nil
}

// Tallies turns answer counts into results, in the order of the rows'
// first appearance.
func Tallies(rows []ScoreRow) []Result {
	var keys []string
	tallies := map[string]*Tally{}
	names := map[string]string{}
	for _, r := range rows {
		t, ok := tallies[r.Key]
		if !ok {
			t = &Tally{}
			tallies[r.Key], names[r.Key] = t, r.Name
			keys = append(keys, r.Key)
		}
		t.AddN(r.Score, r.N)
	}
	out := []Result{}
	for _, k := range keys {
		out = append(out, result(k, names[k], *tallies[k]))
	}
	return out
}

func contains(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// cleanLine checks a one-line text of at most max characters.
func cleanLine(s string, max int) (string, desk.Msg) {
	if !utf8.ValidString(s) {
		return "", desk.M("invalid.utf8")
	}
	s = strings.TrimSpace(s)
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", desk.M("invalid.control_chars")
		}
	}
	if utf8.RuneCountInString(s) > max {
		return "", desk.M("invalid.too_long")
	}
	return s, desk.Msg{}
}
