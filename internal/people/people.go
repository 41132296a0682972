// Package people owns who is in the help desk: agents with roles, contacts
// and their organizations, and teams with tiers. It validates them and
// enforces who may change them; the store only persists.
package people

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/desk"
)

// Agent is a member of the support staff.
type Agent struct {
	ID           int64   `json:"id"`
	Email        string  `json:"email"`
	Name         string  `json:"name"`
	RoleID       int64   `json:"role_id"`
	Role         string  `json:"role"`
	Language     string  `json:"language"`
	Active       bool    `json:"active"`
	TeamIDs      []int64 `json:"team_ids"`
	PasswordHash string  `json:"-"`
	// PasswordChangedAt ends the sessions begun before it.
	PasswordChangedAt time.Time `json:"-"`
	// CredentialsValidFrom ends the sessions and API tokens issued before
	// it (deactivation sets it: reactivating revives none of them).
	CredentialsValidFrom time.Time `json:"-"`
	// TokensValidFrom ends the API tokens issued before it (a password
	// change sets it when the tokens are to go too).
	TokensValidFrom time.Time `json:"-"`
	FailedLogins    int       `json:"-"`
	LockedUntil     time.Time `json:"-"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// Version counts the changes; the API sends it as the ETag.
	Version int64 `json:"version"`
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (a *Agent) CurrentVersion() int64 { return a.Version }

// Contact is a customer who writes in.
type Contact struct {
	ID             int64    `json:"id"`
	Name           string   `json:"name"`
	Emails         []string `json:"emails"`
	Phone          string   `json:"phone"`
	Language       string   `json:"language"`
	OrganizationID *int64   `json:"organization_id"`
	// AccountRole is the contact's part in their account (AccountRoles, ""
	// for none); PreferredLanguage ("" follows Language) and
	// PreferredChannel (Channels, "" for any) say how they like to be reached.
	AccountRole       string    `json:"account_role"`
	PreferredLanguage string    `json:"preferred_language"`
	PreferredChannel  string    `json:"preferred_channel"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	// Version counts the changes; the API sends it as the ETag.
	Version int64 `json:"version"`
}

// Roles of a contact in their account, and the channels they may prefer.
var (
	AccountRoles      = []string{"decision_maker", "champion", "technical", "billing"}
	PreferredChannels = []string{"email", "phone", "chat"}
)

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (c *Contact) CurrentVersion() int64 { return c.Version }

// Email returns the contact's primary email address, or "".
func (c *Contact) Email() string {
	if len(c.Emails) == 0 {
		return ""
	}
	return c.Emails[0]
}

// Organization is a customer company; new contacts whose email domain is one
// of its domains are attached to it automatically.
type Organization struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Domains []string `json:"domains"`
	Notes   string   `json:"notes"`
	// PortalSharesTickets lets the organization's contacts see each
	// other's tickets on the customer portal.
	PortalSharesTickets bool      `json:"portal_shares_tickets"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
	// Version counts the changes; the API sends it as the ETag.
	Version int64 `json:"version"`
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (o *Organization) CurrentVersion() int64 { return o.Version }

// Team is a queue of agents at a support tier.
type Team struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Tier      int       `json:"tier"`
	LeadID    *int64    `json:"lead_id"`
	MemberIDs []int64   `json:"member_ids"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Version counts the changes; the API sends it as the ETag.
	Version int64 `json:"version"`
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (t *Team) CurrentVersion() int64 { return t.Version }

// Role is a named set of object:action permissions.
type Role struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Permissions []string  `json:"permissions"`
	Builtin     bool      `json:"builtin"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Version counts the changes; the API sends it as the ETag.
	Version int64 `json:"version"`
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (r *Role) CurrentVersion() int64 { return r.Version }

// MinPassword is the least number of characters of an agent's password.
const MinPassword = 10

// Languages the product ships.
var Languages = []string{"en", "hi"}

// NormalizeEmail returns the lower-cased address, or an error for anything
// that is not a single plain address.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || lookalikeEmail(s) {
		return "", desk.E(desk.EINVALID, "error.not_email", s)
	}
	return strings.ToLower(s), nil
}

var domainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// NormalizeDomain returns the lower-cased domain or an error.
func NormalizeDomain(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 253 || !domainRE.MatchString(s) {
		return "", desk.E(desk.EINVALID, "error.not_domain", s)
	}
	return s, nil
}

// EmailDomain returns the part after the @ of a normalized address.
func EmailDomain(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return d
}

// CleanName checks a human-entered single-line name: valid UTF-8, no control
// characters, not blank, at most max characters. It returns the trimmed name
// or a message for the field (its Key is empty when the name is good).
func CleanName(s string, max int) (string, desk.Msg) {
	if !utf8.ValidString(s) {
		return "", desk.M("invalid.utf8")
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", desk.M("invalid.required")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "", desk.M("invalid.control_chars")
		}
	}
	if invisibleIn(s) {
		return "", desk.M("invalid.invisible_chars")
	}
	if utf8.RuneCountInString(s) > max {
		return "", desk.M("invalid.too_long")
	}
	return s, desk.Msg{}
}

func validLanguage(l string) bool {
	for _, x := range Languages {
		if x == l {
			return true
		}
	}
	return false
}
