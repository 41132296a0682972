package web

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/desk"
)

// Every list of the API pages the same way: limit (1 to maxLimit, default
// defaultLimit) and an opaque cursor in, {"<things>": [...], "next_cursor":
// "…" or null} out; updated_since where the rows have a time; multi-value
// filters as repeated parameters or comma-separated values. A parameter the
// list does not know, or a value it cannot use, is a 400 naming it — never
// an empty 200.
const (
	defaultLimit = 25
	maxLimit     = 100
)

// apiQuery is a list's query string, read and checked.
type apiQuery struct {
	q      url.Values
	errs   desk.Fields
	limit  int
	cursor string // decoded
	since  *time.Time
}

// readList reads limit, cursor, updated_since (when since) and the named
// filters; any other parameter is an error.
func readList(r *http.Request, since bool, filters ...string) *apiQuery {
	l := &apiQuery{q: r.URL.Query(), errs: desk.Fields{}, limit: defaultLimit}
	for k := range l.q {
		if k != "limit" && k != "cursor" && !(since && k == "updated_since") && !slices.Contains(filters, k) {
			l.errs[k] = desk.M("invalid.unknown_param")
		}
	}
	if v := l.q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			l.errs["limit"] = desk.M("invalid.range", maxLimit)
		}
		l.limit = n
	}
	if v := l.q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		// Cursors we make are names or padded ids: text without NUL, which
		// PostgreSQL would refuse as a parameter.
		if err != nil || len(b) == 0 || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			l.errs["cursor"] = desk.M("invalid.cursor")
		}
		l.cursor = string(b)
	}
	if v := l.q.Get("updated_since"); since && v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			l.errs["updated_since"] = desk.M("invalid.rfc3339")
		}
		l.since = &t
	}
	return l
}

// values returns a multi-value filter: repeated (tag=a&tag=b) and
// comma-separated (status=open,pending) alike. Values outside allowed, when
// given, are an error.
func (l *apiQuery) values(name string, allowed []string) []string {
	var out []string
	for _, v := range l.q[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	for _, v := range out {
		if allowed != nil && !slices.Contains(allowed, v) {
			l.errs[name] = desk.M("invalid.one_of", strings.Join(allowed, ", "))
		}
	}
	if _, given := l.q[name]; given && len(out) == 0 {
		l.errs[name] = desk.M("invalid.required")
	}
	return out
}

// id returns an optional id filter (0 allowed: "none").
func (l *apiQuery) id(name string) *int64 {
	v := l.q.Get(name)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		l.errs[name] = desk.M("invalid.id")
	}
	return &n
}

// bool returns an optional true/false filter.
func (l *apiQuery) bool(name string) *bool {
	v := l.q.Get(name)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.errs[name] = desk.M("invalid.bool")
	}
	return &b
}

// err is every problem found, or nil.
func (l *apiQuery) err() error {
	if len(l.errs) > 0 {
		return desk.Invalid(l.errs)
	}
	return nil
}

// encodeCursor makes a position opaque (and URL-safe).
func encodeCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// idKey is the sort key of an id: digits padded so that strings sort as
// numbers do.
func idKey(id int64) string { return strconv.FormatInt(1e18+id, 10) }

// cursorID is the id a cursor of idKey names, 0 without a cursor.
func (l *apiQuery) cursorID() int64 {
	if l.cursor == "" {
		return 0
	}
	n, err := strconv.ParseInt(l.cursor, 10, 64)
	if err != nil || n <= 1e18 {
		l.errs["cursor"] = desk.M("invalid.cursor")
		return 0
	}
	return n - 1e18
}

// sqlPage finishes a page that SQL read in keyset order with limit+1 rows:
// the extra row only says that another page follows.
func sqlPage[T any](l *apiQuery, list []T, id func(T) int64) (items []T, next *string) {
	if len(list) <= l.limit {
		return list, nil
	}
	list = list[:l.limit]
	c := encodeCursor(idKey(id(list[l.limit-1])))
	return list, &c
}

// pageOf cuts a list that a service keeps whole (short catalogs: teams,
// roles, fields, a ticket's thread…) into pages in the same keyset order a
// query would use: ascending key, after the cursor, since updated_since
// when the things have a time (updated is nil otherwise).
func pageOf[T any](l *apiQuery, list []T, key func(T) string, updated func(T) time.Time) (items []T, next *string) {
	list = slices.Clone(list)
	slices.SortStableFunc(list, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	items = make([]T, 0, min(len(list), l.limit))
	for _, it := range list {
		if l.cursor != "" && key(it) <= l.cursor || l.since != nil && updated != nil && updated(it).Before(*l.since) {
			continue
		}
		if len(items) == l.limit {
			c := encodeCursor(key(items[len(items)-1]))
			return items, &c
		}
		items = append(items, it)
	}
	return items, nil
}

// writePage answers one page of a list.
func writePage[T any](w http.ResponseWriter, name string, items []T, next *string, extra map[string]any) {
	body := map[string]any{name: nonNil(items), "next_cursor": next}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, http.StatusOK, body)
}

// listPage answers one page of a list that the store reads in keyset
// order (desk.Page): at turns the cursor into the page's position, read asks
// for one row more than the page shows (the extra row only says that another
// page follows) and key gives the cursor of an item. since says whether the
// list takes updated_since.
func listPage[T any](w http.ResponseWriter, r *http.Request, name string, since bool, at func(*apiQuery, *desk.Page),
	read func(desk.Page) ([]T, error), key func(T) string, extra map[string]any) error {
	l := readList(r, since)
	p := desk.Page{Limit: l.limit + 1}
	if l.since != nil {
		p.Since = *l.since
	}
	if l.cursor != "" {
		at(l, &p)
	}
	if err := l.err(); err != nil {
		return err
	}
	list, err := read(p)
	if err != nil {
		return err
	}
	var next *string
	if len(list) > l.limit {
		list = list[:l.limit]
		c := encodeCursor(key(list[l.limit-1]))
		next = &c
	}
	writePage(w, name, list, next, extra)
	return nil
}

// afterID reads a cursor of idKey: lists in id order.
func afterID(l *apiQuery, p *desk.Page) { p.AfterID = l.cursorID() }

// afterName reads a cursor that is the last name shown: lists in name order.
func afterName(l *apiQuery, p *desk.Page) { p.AfterName = l.cursor }

// listWhole answers a page of a list a service returns whole.
func listWhole[T any](w http.ResponseWriter, r *http.Request, name string, list []T, err error, key func(T) string,
	updated func(T) time.Time, extra map[string]any) error {
	l := readList(r, updated != nil)
	if err := l.err(); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	items, next := pageOf(l, list, key, updated)
	writePage(w, name, items, next, extra)
	return nil
}
