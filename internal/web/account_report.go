package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/sahayak/sahayak/internal/accountreport"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/report"
)

// The account report (package accountreport): JSON, a printable page, CSV
// and XLSX of one account and one month or quarter, and the schedule of
// its mail.

// reportPeriod reads ?period= (the current month when absent).
func (s *Server) reportPeriod(r *http.Request) (accountreport.Period, error) {
	p := r.URL.Query().Get("period")
	if p == "" {
		return accountreport.Current(s.Clock.Now()), nil
	}
	return accountreport.ParsePeriod(p)
}

// accountReport reads the report a request names.
func (s *Server) accountReport(r *http.Request) (*accountreport.Report, error) {
	if s.AccountReports == nil {
		return nil, desk.E(desk.ENOTFOUND, "error.organization_not_found", 0)
	}
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	p, err := s.reportPeriod(r)
	if err != nil {
		return nil, err
	}
	return s.AccountReports.Get(r.Context(), id, p)
}

// getAccountReport answers GET /api/v1/organizations/{id}/report.
func (s *Server) getAccountReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.accountReport(r)
	return respond(w, http.StatusOK, rep, err)
}

// scheduleBody is the JSON of a report schedule change.
type scheduleBody struct {
	Schedule  string `json:"schedule"`
	ContactID *int64 `json:"contact_id"`
}

func (s *Server) getReportSchedule(w http.ResponseWriter, r *http.Request) error {
	if s.AccountReports == nil {
		return desk.E(desk.ENOTFOUND, "error.organization_not_found", 0)
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc, err := s.AccountReports.GetSchedule(r.Context(), id)
	return respond(w, http.StatusOK, sc, err)
}

func (s *Server) putReportSchedule(w http.ResponseWriter, r *http.Request) error {
	if s.AccountReports == nil {
		return desk.E(desk.ENOTFOUND, "error.organization_not_found", 0)
	}
	var in scheduleBody
	if err := decode(r, &in); err != nil {
		return err
	}
	sc, err := withPrecondition(r, func(id, v int64) (*accountreport.Schedule, error) {
		return s.AccountReports.SetSchedule(r.Context(), id, accountreport.ScheduleInput{Schedule: in.Schedule,
			ContactID: in.ContactID, IfVersion: v})
	})
	return respond(w, http.StatusOK, sc, err)
}

// accountReportData is what the printable page shows.
type accountReportData struct {
	Report     *accountreport.Report
	Lines      [][2]string
	Prev, Next string
	Schedule   *accountreport.Schedule
	Contacts   []reportContact
	Errors     desk.Fields
	Saved      bool
	CanEdit    bool
}

type reportContact struct {
	ID    int64
	Label string
}

func (s *Server) accountReportPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAccountReport(w, r, http.StatusOK, nil)
}

func (s *Server) showAccountReport(w http.ResponseWriter, r *http.Request, status int, errs desk.Fields) error {
	rep, err := s.accountReport(r)
	if err != nil {
		if desk.ErrorCode(err) == desk.EINVALID && errs == nil {
			// A period that is not one: the current month, with the reason.
			errs = desk.ErrorFields(err)
			q := r.URL.Query()
			q.Del("period")
			r.URL.RawQuery = q.Encode()
			if rep, err = s.accountReport(r); err != nil {
				return err
			}
			status = http.StatusBadRequest
		} else {
			return err
		}
	}
	lang := s.lang(r)
	d := accountReportData{Report: rep, Lines: s.AccountReports.Lines(rep, lang), Prev: rep.Previous().Label,
		Next: rep.Next().Label, Errors: errs, Saved: r.URL.Query().Has("saved")}
	if d.Schedule, err = s.AccountReports.GetSchedule(r.Context(), rep.OrganizationID); err != nil {
		return err
	}
	a, _ := desk.ActorFrom(r.Context())
	d.CanEdit = a.Can("organizations:write")
	if d.CanEdit {
		org := rep.OrganizationID
		contacts, err := s.People.Contacts(r.Context(), people.ContactFilter{OrganizationID: &org, Limit: 100})
		if err != nil {
			return err
		}
		for _, c := range contacts {
			if c.Email() != "" {
				d.Contacts = append(d.Contacts, reportContact{ID: c.ID, Label: c.Name + " <" + c.Email() + ">"})
			}
		}
	}
	return s.render(w, r, status, "account_report.html", page{Title: "acctreport.title", Nav: "organizations", Data: d})
}

// saveReportSchedulePage takes the schedule form of the report page.
func (s *Server) saveReportSchedulePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := formOnly(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.body_unreadable")
	}
	v, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	contact, _ := strconv.ParseInt(r.PostForm.Get("contact_id"), 10, 64)
	_, err = s.AccountReports.SetSchedule(r.Context(), id, accountreport.ScheduleInput{
		Schedule: r.PostForm.Get("schedule"), ContactID: &contact, IfVersion: v})
	if errs, ok := refusal(err); ok {
		return s.showAccountReport(w, r, HTTPStatus(err), errs)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/organizations/%d/report?period=%s&saved", id, r.URL.Query().Get("period")),
		http.StatusSeeOther)
	return nil
}

// exportAccountReport answers the report as CSV or XLSX: one row a figure,
// then the open items and check-ins.
func (s *Server) exportAccountReport(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		rep, err := s.accountReport(r)
		if err != nil {
			return err
		}
		lang := s.lang(r)
		rows := [][]string{}
		for _, l := range s.AccountReports.Lines(rep, lang) {
			rows = append(rows, []string{l[0], l[1]})
		}
		if len(rep.OpenItems) > 0 {
			rows = append(rows, []string{}, []string{s.tr(r, "acctreport.open_items")})
			for _, o := range rep.OpenItems {
				rows = append(rows, []string{"#" + strconv.FormatInt(o.TicketID, 10), o.Subject, o.Status, o.Priority,
					o.CreatedAt.Format("2006-01-02")})
			}
		}
		if len(rep.Checkins) > 0 {
			rows = append(rows, []string{}, []string{s.tr(r, "acctreport.checkins")})
			for _, c := range rep.Checkins {
				rows = append(rows, []string{c.HeldAt.Format("2006-01-02"), c.Outcome})
			}
		}
		name := fmt.Sprintf("account-%d-%s.%s", rep.OrganizationID, rep.Label, format)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Cache-Control", "no-store")
		if format == "csv" {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			cw := report.NewCSV(w)
			for _, row := range rows {
				if err := cw.Write(row...); err != nil {
					return err
				}
			}
			return cw.Flush()
		}
		f := excelize.NewFile()
		defer f.Close()
		sheet := f.GetSheetName(0)
		for i, row := range rows {
			for j, v := range row {
				cell, err := excelize.CoordinatesToCellName(j+1, i+1)
				if err != nil {
					return err
				}
				if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@') {
					v = "'" + v // a text, never a formula
				}
				if err := f.SetCellStr(sheet, cell, v); err != nil {
					return err
				}
			}
		}
		_ = f.SetColWidth(sheet, "A", "B", 40)
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		return f.Write(w)
	}
}
