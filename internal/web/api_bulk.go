package web

import (
	"log/slog"
	"net/http"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

type bulkIn struct {
	IDs         []int64    `json:"ids"`
	Status      *string    `json:"status"`
	Priority    *string    `json:"priority"`
	TeamID      optionalID `json:"team_id"`
	AssigneeID  optionalID `json:"assignee_id"`
	AddTags     []string   `json:"add_tags"`
	RemoveTags  []string   `json:"remove_tags"`
	MergeIntoID int64      `json:"merge_into_id"`
}

// bulkResultOut is one ticket of a bulk answer; code and message say why a
// skipped ticket was skipped, in the caller's language.
type bulkResultOut struct {
	ID      int64  `json:"id"`
	Outcome string `json:"outcome"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

type bulkOut struct {
	Results   []bulkResultOut `json:"results"`
	Updated   int             `json:"updated"`
	Unchanged int             `json:"unchanged"`
	Skipped   int             `json:"skipped"`
}

// bulkTickets applies one change to many tickets (ticket.Service.Bulk). The
// answer is 200 whenever the change itself was valid, however many tickets
// were skipped: each result says what became of its ticket.
func (s *Server) bulkTickets(w http.ResponseWriter, r *http.Request) error {
	var in bulkIn
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.runBulk(r, in.IDs, ticket.BulkChange{Status: in.Status, Priority: in.Priority, TeamID: in.TeamID.ptr(),
		AssigneeID: in.AssigneeID.ptr(), AddTags: in.AddTags, RemoveTags: in.RemoveTags, MergeInto: in.MergeIntoID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// runBulk runs a bulk action for the API and the list page alike, and says
// each skipped ticket's reason in the viewer's language. A ticket that
// failed for a reason of ours is logged and reported, never a 500 for the
// tickets that went through.
func (s *Server) runBulk(r *http.Request, ids []int64, c ticket.BulkChange) (bulkOut, error) {
	results, err := s.Tickets.Bulk(r.Context(), ids, c)
	if err != nil {
		return bulkOut{}, err
	}
	lang := s.lang(r)
	out := bulkOut{Results: make([]bulkResultOut, 0, len(results))}
	for _, res := range results {
		o := bulkResultOut{ID: res.ID, Outcome: res.Outcome}
		switch res.Outcome {
		case ticket.BulkUpdated:
			out.Updated++
		case ticket.BulkUnchanged:
			out.Unchanged++
		default:
			out.Skipped++
			o.Code, o.Message = desk.ErrorCode(res.Err), s.msg(lang, desk.ErrorMsg(res.Err))
			if fields := desk.ErrorFields(res.Err); len(fields) > 0 {
				o.Message = fields.Text(lang)
			}
			if o.Code == desk.EINTERNAL {
				s.log.ErrorContext(r.Context(), "bulk action", slog.Int64("ticket", res.ID), slog.Any("err", res.Err))
			}
		}
		out.Results = append(out.Results, o)
	}
	return out, nil
}
