package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/search"
)

// searchParams are the query parameters of GET /api/v1/search and /search
// beside limit and cursor.
var searchParams = []string{"q", "type", "status", "assignee_id", "team_id", "tag", "organization_id", "from", "to"}

// searchRequest reads a search from the query string; any problem is a 400
// naming the parameter.
func searchRequest(r *http.Request) (search.Request, error) {
	l := readList(r, false, searchParams...)
	req := search.Request{Q: l.q.Get("q"), Types: l.values("type", nil), Statuses: l.values("status", nil),
		Tags: l.values("tag", nil), AssigneeID: l.id("assignee_id"), TeamID: l.id("team_id"),
		OrganizationID: l.id("organization_id"), Cursor: l.cursor, Limit: l.limit}
	if strings.TrimSpace(req.Q) == "" {
		l.errs["q"] = desk.M("invalid.required")
	}
	date := func(name string, end bool) *time.Time {
		v := l.q.Get(name)
		if v == "" {
			return nil
		}
		t, ok := search.ParseDate(v, end)
		if !ok {
			l.errs[name] = desk.M("invalid.date")
		}
		return &t
	}
	req.From, req.To = date("from", false), date("to", true)
	return req, l.err()
}

// apiSearch is GET /api/v1/search: tickets, messages, contacts and
// organizations the caller may see, newest first, with snippets.
func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) error {
	req, err := searchRequest(r)
	if err != nil {
		return err
	}
	page, err := s.searchPage(r, req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, page, nil)
}

// searchPage runs a search and makes its cursor opaque like every list's.
func (s *Server) searchPage(r *http.Request, req search.Request) (*search.Page, error) {
	if s.FullText == nil {
		return nil, desk.E(desk.EUNAVAILABLE, "error.search_off")
	}
	page, err := s.FullText.Search(r.Context(), req)
	if err != nil {
		return nil, err
	}
	if page.NextCursor != nil {
		c := encodeCursor(*page.NextCursor)
		page.NextCursor = &c
	}
	return page, nil
}

// searchData is what the results page shows.
type searchData struct {
	Query      string
	Type       string
	Types      []search.Kind
	Results    []searchResult
	NextCursor string
	Errors     desk.Fields
	Searched   bool
}

type searchResult struct {
	search.Result
	URL     string
	Snippet template.HTML
}

// searchResultsPage is /search?q=: the results page, where the jump box
// (/go) sends words that are not a ticket number. A ticket number typed
// here goes straight to the ticket too.
func (s *Server) searchResultsPage(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if n, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64); err == nil && n > 0 && len(r.URL.Query()) == 1 {
		http.Redirect(w, r, "/tickets/"+strconv.FormatInt(n, 10), http.StatusSeeOther)
		return nil
	}
	d := searchData{Query: q, Type: r.URL.Query().Get("type"), Types: search.Kinds}
	status := http.StatusOK
	if q != "" {
		d.Searched = true
		req, err := searchRequest(r)
		var found *search.Page
		if err == nil {
			found, err = s.searchPage(r, req)
		}
		switch {
		case desk.ErrorCode(err) == desk.EINVALID:
			d.Errors, status = desk.ErrorFields(err), http.StatusBadRequest
		case err != nil:
			return err
		default:
			for _, res := range found.Results {
				d.Results = append(d.Results, searchResult{Result: res, URL: resultURL(res),
					// search.Snippet escapes the text and adds only <mark>.
					Snippet: template.HTML(res.Snippet)})
			}
			if found.NextCursor != nil {
				d.NextCursor = *found.NextCursor
			}
		}
	}
	return s.render(w, r, status, "search.html", page{Title: "search.title", Nav: "search", Data: d})
}

// searchURL is where the jump box sends words: the results page.
func searchURL(q string) string { return "/search?q=" + url.QueryEscape(q) }

// resultURL is the page of a result.
func resultURL(r search.Result) string {
	id := strconv.FormatInt(r.ID, 10)
	switch r.Type {
	case search.KindMessage:
		return "/tickets/" + strconv.FormatInt(*r.TicketID, 10) + "#m" + id
	case search.KindContact:
		return "/contacts/" + id
	case search.KindOrganization:
		return "/organizations/" + id
	case search.KindArticle:
		return "/kb/articles/" + id
	}
	return "/tickets/" + id
}
