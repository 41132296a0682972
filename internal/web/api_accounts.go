package web

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
)

// organizationView is an organization with its account attributes and
// health: what GET /api/v1/organizations/{id} answers. The ETag is the
// organization's version, which account changes bump too.
type organizationView struct {
	*people.Organization
	*account.Account
}

// accountIn is the account part of an organization's create or change.
type accountIn struct {
	OwnerID      optionalID      `json:"owner_id"`
	Tier         *string         `json:"tier"`
	ARR          optionalAmount  `json:"arr"`
	MRR          optionalAmount  `json:"mrr"`
	Currency     *string         `json:"currency"`
	RenewalDate  *string         `json:"renewal_date"`
	Industry     *string         `json:"industry"`
	ParentID     optionalID      `json:"parent_id"`
	CustomFields *map[string]any `json:"custom_fields"`
	CheckinRule  *string         `json:"checkin_rule"`
}

// optionalAmount is an amount that may be absent, null (clear) or a number.
type optionalAmount struct {
	set bool
	v   *float64
}

func (o *optionalAmount) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeOf(0.0)}
	}
	o.v = &f
	return nil
}

func (in accountIn) input() account.Input {
	zeroIfNull := func(o optionalID) *int64 {
		if !o.set {
			return nil
		}
		v := o.id // 0 when null: clears
		return &v
	}
	out := account.Input{OwnerID: zeroIfNull(in.OwnerID), Tier: in.Tier, ARR: in.ARR.v, MRR: in.MRR.v,
		ClearARR: in.ARR.set && in.ARR.v == nil, ClearMRR: in.MRR.set && in.MRR.v == nil, Currency: in.Currency,
		RenewalDate: in.RenewalDate, Industry: in.Industry, ParentID: zeroIfNull(in.ParentID), CheckinRule: in.CheckinRule}
	if in.CustomFields != nil {
		// The decoder reads numbers as json.Number; the account takes floats.
		m := map[string]any{}
		for k, v := range *in.CustomFields {
			if n, ok := v.(json.Number); ok {
				f, _ := n.Float64()
				v = f
			}
			m[k] = v
		}
		out.CustomFields = &m
	}
	return out
}

// organizationBody is the body of an organization's create or change: the
// organization's fields and the account's.
type organizationBody struct {
	organizationIn
	accountIn
}

// viewOrganizations joins organizations with their accounts.
func (s *Server) viewOrganizations(r *http.Request, orgs []*people.Organization) ([]organizationView, error) {
	ids := make([]int64, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	accs, err := s.Accounts.ByID(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	out := make([]organizationView, 0, len(orgs))
	for _, o := range orgs {
		if a := accs[o.ID]; a != nil {
			out = append(out, organizationView{o, a})
		}
	}
	return out, nil
}

func (s *Server) viewOrganization(r *http.Request, o *people.Organization, err error) (*organizationView, error) {
	if err != nil {
		return nil, err
	}
	list, err := s.viewOrganizations(r, []*people.Organization{o})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, desk.E(desk.ENOTFOUND, "error.organization_not_found", o.ID)
	}
	return &list[0], nil
}

// listOrganizations pages organizations in id order, filtered by owner,
// health band and renewal window.
func (s *Server) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, true, "owner_id", "band", "renewal_from", "renewal_to", "renewal_within_days")
	f := account.Filter{OwnerID: l.id("owner_id"), Band: l.q.Get("band"), RenewalFrom: l.q.Get("renewal_from"),
		RenewalTo: l.q.Get("renewal_to"), Limit: l.limit + 1}
	if v := l.q.Get("renewal_within_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3660 {
			l.errs["renewal_within_days"] = desk.M("invalid.range", 3660)
		}
		now := s.Clock.Now()
		f.RenewalFrom, f.RenewalTo = now.Format(time.DateOnly), now.AddDate(0, 0, n).Format(time.DateOnly)
	}
	if l.since != nil {
		f.Since = *l.since
	}
	if l.cursor != "" {
		f.AfterID = l.cursorID()
	}
	if err := l.err(); err != nil {
		return err
	}
	accs, err := s.Accounts.List(r.Context(), f)
	if err != nil {
		return err
	}
	var next *string
	if len(accs) > l.limit {
		accs = accs[:l.limit]
		c := encodeCursor(idKey(accs[l.limit-1].OrganizationID))
		next = &c
	}
	ids := make([]int64, len(accs))
	for i, a := range accs {
		ids[i] = a.OrganizationID
	}
	orgs, err := s.People.OrganizationsByID(r.Context(), ids)
	if err != nil {
		return err
	}
	byID := map[int64]*account.Account{}
	for _, a := range accs {
		byID[a.OrganizationID] = a
	}
	out := make([]organizationView, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, organizationView{o, byID[o.ID]})
	}
	writePage(w, "organizations", out, next, nil)
	return nil
}

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) error {
	o, err := withID(r, func(id int64) (*people.Organization, error) { return s.People.Organization(r.Context(), id) })
	v, err := s.viewOrganization(r, o, err)
	return respond(w, http.StatusOK, v, err)
}

func (s *Server) createOrganization(w http.ResponseWriter, r *http.Request) error {
	var in organizationBody
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := s.People.CreateOrganization(r.Context(), in.organizationIn.input())
	if err != nil {
		return err
	}
	locate(w, "/api/v1/organizations/", o.ID)
	if ai := in.accountIn.input(); !ai.Empty() {
		// The organization stands; an account part refused is the answer,
		// and the organization can be completed by PATCH.
		ai.IfVersion = o.Version
		if _, err := s.Accounts.Update(r.Context(), o.ID, ai); err != nil {
			return err
		}
		o, err = s.People.Organization(r.Context(), o.ID)
	}
	v, err := s.viewOrganization(r, o, err)
	return respond(w, http.StatusCreated, v, err)
}

// updateOrganization changes the organization's fields, then the
// account's, each expecting the version the one before left (If-Match
// applies to the first).
func (s *Server) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	var in organizationBody
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := withPrecondition(r, func(id, v int64) (*people.Organization, error) {
		pi := in.organizationIn.input()
		ai := in.accountIn.input()
		if ai.Empty() || pi.Name != nil || pi.Domains != nil || pi.Notes != nil {
			pi.IfVersion = v
			o, err := s.People.UpdateOrganization(r.Context(), id, pi)
			if err != nil || ai.Empty() {
				return o, err
			}
			v = o.Version
		}
		ai.IfVersion = v
		if _, err := s.Accounts.Update(r.Context(), id, ai); err != nil {
			return nil, err
		}
		return s.People.Organization(r.Context(), id)
	})
	view, err := s.viewOrganization(r, o, err)
	return respond(w, http.StatusOK, view, err)
}

// --- health weights and history

func (s *Server) getHealthWeights(w http.ResponseWriter, r *http.Request) error {
	wts, err := s.Accounts.Weights(r.Context())
	return respond(w, http.StatusOK, map[string]any{"weights": wts}, err)
}

func (s *Server) putHealthWeights(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Weights map[string]float64 `json:"weights"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	wts, err := s.Accounts.SetWeights(r.Context(), in.Weights)
	return respond(w, http.StatusOK, map[string]any{"weights": wts}, err)
}

func (s *Server) getHealthHistory(w http.ResponseWriter, r *http.Request) error {
	days := 90
	l := readList(r, false, "days")
	if v := l.q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 730 {
			l.errs["days"] = desk.M("invalid.range", 730)
		}
		days = n
	}
	if err := l.err(); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.Accounts.Get(r.Context(), id); err != nil {
		return err
	}
	pts, err := s.Accounts.History(r.Context(), id, days)
	return respond(w, http.StatusOK, map[string]any{"points": pts}, err)
}
