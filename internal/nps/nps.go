// Package nps owns Net Promoter Score campaigns: a campaign asks the
// contacts (with an email address) of chosen accounts — or of a segment by
// tier, industry or owner — "how likely are you to recommend us", 0 to 10
// with a reason. Each contact gets one survey per campaign, by mail with a
// random link kept only as its digest, which expires; a periodic job sends
// the mail in small batches. An answer may be changed for a few days and
// is an account event (nps.answered) on the account's timeline. The score
// is the share of promoters (9-10) less the share of detractors (0-6), per
// campaign, per account and per segment. It knows nothing of HTTP or SQL.
package nps

import (
	"math"
	"time"
)

// Answered is the account event of an answer (first or changed); its
// data: organization_id, campaign_id, contact_id, score, previous, reason.
const Answered = "nps.answered"

// Campaign statuses.
const (
	StatusDraft   = "draft"   // made, not sent
	StatusSending = "sending" // recipients chosen, mail going out
)

// Limits.
const (
	MaxName      = 200
	MaxQuestion  = 500
	MaxReason    = 2000
	MaxAccounts  = 1000
	MaxRecipient = 20000 // contacts one campaign may reach
)

// Campaign is an NPS survey sent to the contacts of some accounts.
type Campaign struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Question string `json:"question"`
	// OrganizationIDs are the accounts chosen; empty means the segment.
	OrganizationIDs []int64    `json:"organization_ids"`
	Segment         Segment    `json:"segment"`
	Status          string     `json:"status"`
	CreatedBy       *int64     `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
	SentAt          *time.Time `json:"sent_at"`
	Version         int64      `json:"version"`
	// Recipients, Sent and Answers count the campaign's surveys (reads).
	Recipients int64 `json:"recipients"`
	Sent       int64 `json:"sent"`
	Answers    int64 `json:"answers"`
}

// CurrentVersion is the campaign's version, for its ETag.
func (c *Campaign) CurrentVersion() int64 { return c.Version }

// Segment picks accounts by their attributes ("" or nil: any).
type Segment struct {
	Tier     string `json:"tier"`
	Industry string `json:"industry"`
	OwnerID  *int64 `json:"owner_id"`
}

// Empty reports whether the segment picks every account.
func (s Segment) Empty() bool { return s.Tier == "" && s.Industry == "" && s.OwnerID == nil }

// Response is one contact's survey of a campaign.
type Response struct {
	ID              int64      `json:"id"`
	CampaignID      int64      `json:"campaign_id"`
	ContactID       int64      `json:"contact_id"`
	OrganizationID  int64      `json:"organization_id"`
	Language        string     `json:"language"`
	Score           *int       `json:"score"`
	Reason          string     `json:"reason"`
	SentAt          *time.Time `json:"sent_at"`
	AnsweredAt      *time.Time `json:"answered_at"`
	ChangeableUntil *time.Time `json:"changeable_until"`
	ExpiresAt       *time.Time `json:"expires_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	// Question and the account's name, for the survey page.
	Question     string `json:"-"`
	Organization string `json:"-"`
	TokenDigest  string `json:"-"`
}

// Open reports whether the survey takes an answer at now.
func (r *Response) Open(now time.Time) bool {
	if r.ExpiresAt == nil || !now.Before(*r.ExpiresAt) {
		return false
	}
	return r.ChangeableUntil == nil || now.Before(*r.ChangeableUntil)
}

// Category of a score: promoter (9-10), passive (7-8), detractor (0-6).
func Category(score int) string {
	switch {
	case score >= 9:
		return "promoter"
	case score >= 7:
		return "passive"
	}
	return "detractor"
}

// Tally counts answers by category.
type Tally struct {
	Promoters  int64 `json:"promoters"`
	Passives   int64 `json:"passives"`
	Detractors int64 `json:"detractors"`
}

// Add counts one score.
func (t *Tally) Add(score int) { t.AddN(score, 1) }

// AddN counts n answers of a score.
func (t *Tally) AddN(score int, n int64) {
	switch Category(score) {
	case "promoter":
		t.Promoters += n
	case "passive":
		t.Passives += n
	default:
		t.Detractors += n
	}
}

// Answers is how many answered.
func (t Tally) Answers() int64 { return t.Promoters + t.Passives + t.Detractors }

// Score is the NPS, -100 to 100, rounded to a whole number: the percentage
// of promoters less the percentage of detractors; nil without answers.
func (t Tally) Score() *int {
	n := t.Answers()
	if n == 0 {
		return nil
	}
	v := int(math.Round(100 * float64(t.Promoters-t.Detractors) / float64(n)))
	return &v
}

// Result is the score of a group of answers (a campaign, an account, a
// tier or an industry).
type Result struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Tally
	Answers int64 `json:"answers"`
	Score   *int  `json:"score"`
}

// result finishes a tally as a result.
func result(key, name string, t Tally) Result {
	return Result{Key: key, Name: name, Tally: t, Answers: t.Answers(), Score: t.Score()}
}
