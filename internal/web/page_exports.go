package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/view"
)

// Exports are CSV files streamed as they are read (report.CSV), recorded in
// the audit log before the first byte goes out: who exported what.

// rowsHeader announces how many data rows an export holds, before the
// first: the page counts the rows as they arrive and shows rows done of
// this total (static/export.js). It is read from the request alone, so any
// node can answer any export.
const rowsHeader = "X-Export-Rows"

func exportRows(w http.ResponseWriter, n int) {
	w.Header().Set(rowsHeader, strconv.Itoa(n))
}

func csvHeaders(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`-`+time.Now().UTC().Format("20060102-1504")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
}

// exportFormats are the formats an export is written in.
const (
	formatCSV  = "csv"
	formatXLSX = "xlsx"
)

func xlsxHeaders(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`-`+time.Now().UTC().Format("20060102-1504")+`.xlsx"`)
	w.Header().Set("Cache-Control", "no-store")
}

// exportTicketsFilter reads the list a ticket export is of (the list page's
// view and filters).
func (s *Server) exportTicketsFilter(r *http.Request) (ticket.Filter, string, error) {
	ctx := r.Context()
	a, _ := desk.ActorFrom(ctx)
	q := readListQuery(r)
	if q.View == "" {
		q.View = view.Mine
	}
	entry := view.Entry{Key: view.Mine, Query: view.Builtins[0].Query}
	if s.Views != nil {
		var err error
		if entry, err = s.Views.Resolve(ctx, q.View); err != nil {
			return ticket.Filter{}, "", err
		}
	}
	f, errs := q.apply(entry.Query).Filter(a, s.Clock.Now())
	if len(errs) > 0 {
		return f, "", desk.Invalid(errs)
	}
	return f, q.View, nil
}

// exportTickets streams every ticket of a list the agent may see as CSV,
// without a row cap.
func (s *Server) exportTickets(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, viewKey, err := s.exportTicketsFilter(r)
	if err != nil {
		return err
	}
	if err := s.Audit.Record(ctx, audit.Export, "tickets", 0, map[string]any{"format": formatCSV, "view": viewKey,
		"query": r.URL.RawQuery}); err != nil {
		return err
	}
	total, err := s.Tickets.ExportCount(ctx, f)
	if err != nil {
		return err
	}
	exportRows(w, total)
	csvHeaders(w, "tickets")
	out := report.NewCSV(w)
	if err := out.Write(report.TicketColumns...); err != nil {
		return nil // the client went away
	}
	// Rows go out as they are read, in id order, the buffer sent on every
	// thousand rows, so the client sees progress and memory stays flat.
	flusher, _ := w.(http.Flusher)
	n := 0
	err = s.Tickets.EachRow(ctx, f, func(t *ticket.ExportRow) error {
		if err := out.WriteTicketRow(t); err != nil {
			return err
		}
		if n++; n%ticket.ExportPage != 0 {
			return nil
		}
		if err := out.Flush(); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	})
	if err != nil {
		// The answer has begun: all that is left is to stop it short, which
		// the client sees as a broken download, and log why.
		if ctx.Err() == nil {
			s.log.Error("export tickets", "err", err)
		}
		return nil
	}
	return out.Flush()
}

// exportTicketsXLSX writes the same list as a spreadsheet. The workbook is
// built in excelize's stream writer (rows spill to a temporary file, so
// memory stays flat) and sent whole at the end, so a failure on the way is
// still a proper error answer.
func (s *Server) exportTicketsXLSX(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, viewKey, err := s.exportTicketsFilter(r)
	if err != nil {
		return err
	}
	if err := s.Audit.Record(ctx, audit.Export, "tickets", 0, map[string]any{"format": formatXLSX, "view": viewKey,
		"query": r.URL.RawQuery}); err != nil {
		return err
	}
	out, err := report.NewXLSX(report.TicketColumns, report.TicketNumeric)
	if err != nil {
		return err
	}
	n := 0
	err = s.Tickets.Each(ctx, f, func(ts []*ticket.Ticket) error {
		for _, t := range ts {
			if err := out.Write(report.TicketRow(t)...); err != nil {
				return err
			}
		}
		n += len(ts)
		return nil
	})
	if err != nil {
		out.Discard()
		return err
	}
	exportRows(w, n)
	xlsxHeaders(w, "tickets")
	if err := out.Close(w); err != nil && ctx.Err() == nil {
		s.log.Error("export tickets xlsx", "err", err)
	}
	return nil
}

// exportReport writes a KPI report (the same question as the page and the
// API) as CSV: the whole, then one row per group.
func (s *Server) exportReport(w http.ResponseWriter, r *http.Request) error {
	q, err := reportQuery(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	rep, err := s.Reports.KPIs(ctx, q)
	if err != nil {
		return err
	}
	if err := s.Audit.Record(ctx, audit.Export, "report", 0, map[string]any{"format": formatCSV, "query": r.URL.RawQuery}); err != nil {
		return err
	}
	exportRows(w, 1+len(rep.Groups))
	csvHeaders(w, "report")
	out := report.NewCSV(w)
	if err := out.Write(report.KPIColumns...); err != nil {
		return nil
	}
	if err := out.WriteKPIs("*", rep.KPIs); err != nil {
		return nil
	}
	for _, g := range rep.Groups {
		if err := out.WriteKPIs(g.Key, g.KPIs); err != nil {
			return nil
		}
	}
	return out.Flush()
}

// exportReportXLSX writes the same report as a spreadsheet.
func (s *Server) exportReportXLSX(w http.ResponseWriter, r *http.Request) error {
	q, err := reportQuery(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	rep, err := s.Reports.KPIs(ctx, q)
	if err != nil {
		return err
	}
	if err := s.Audit.Record(ctx, audit.Export, "report", 0, map[string]any{"format": formatXLSX, "query": r.URL.RawQuery}); err != nil {
		return err
	}
	out, err := report.NewXLSX(report.KPIColumns, report.KPINumeric)
	if err != nil {
		return err
	}
	if err := out.Write(report.KPIRow("*", rep.KPIs)...); err != nil {
		out.Discard()
		return err
	}
	for _, g := range rep.Groups {
		if err := out.Write(report.KPIRow(g.Key, g.KPIs)...); err != nil {
			out.Discard()
			return err
		}
	}
	exportRows(w, 1+len(rep.Groups))
	xlsxHeaders(w, "report")
	if err := out.Close(w); err != nil && ctx.Err() == nil {
		s.log.Error("export report xlsx", "err", err)
	}
	return nil
}
