package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// XLSX writes rows to a spreadsheet through excelize's stream writer, which
// keeps rows in a temporary file past a small buffer (not in memory), so an
// export of a million tickets runs in flat memory like the CSV one. A sheet
// holds at most SheetRows rows: past that the rows go on in a new sheet,
// which starts with the header again, so there is no row cap.
//
// Unlike CSV, nothing reaches the client until Close: a zip file is written
// whole at the end. Cells that are numbers in every row of their column
// (Numeric) are written as numbers; all others as text, never as formulas.
type XLSX struct {
	f       *excelize.File
	sw      *excelize.StreamWriter
	header  []string
	numeric []bool
	sheet   int
	row     int // rows written to the current sheet
	cells   []any
	Rows    int64 // data rows written
}

// SheetRows is the most rows a sheet takes (the spreadsheet format's limit).
var SheetRows = 1048576

// NewXLSX starts a workbook whose sheets begin with header; numeric says
// which columns hold numbers (nil: none).
func NewXLSX(header []string, numeric []bool) (*XLSX, error) {
	x := &XLSX{f: excelize.NewFile(), header: header, numeric: numeric, cells: make([]any, len(header))}
	if err := x.nextSheet(); err != nil {
		x.f.Close()
		return nil, err
	}
	return x, nil
}

func (x *XLSX) nextSheet() error {
	x.sheet++
	name := "Sheet" + strconv.Itoa(x.sheet)
	if x.sw != nil {
		if err := x.sw.Flush(); err != nil {
			return fmt.Errorf("xlsx flush sheet: %w", err)
		}
		if _, err := x.f.NewSheet(name); err != nil {
			return fmt.Errorf("xlsx new sheet: %w", err)
		}
	}
	sw, err := x.f.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("xlsx stream: %w", err)
	}
	x.sw, x.row = sw, 0
	for i, h := range x.header {
		x.cells[i] = h
	}
	return x.put(x.cells)
}

func (x *XLSX) put(cells []any) error {
	x.row++
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, cells)
}

// Write writes one data row of text cells.
func (x *XLSX) Write(cells ...string) error {
	if x.row >= SheetRows {
		if err := x.nextSheet(); err != nil {
			return err
		}
	}
	x.cells = x.cells[:0]
	for i, c := range cells {
		var v any = c
		if i < len(x.numeric) && x.numeric[i] && c != "" {
			if n, err := strconv.ParseFloat(c, 64); err == nil {
				v = n
			}
		}
		x.cells = append(x.cells, v)
	}
	x.Rows++
	return x.put(x.cells)
}

// Close finishes the workbook, writes it to w and frees its temporary files.
func (x *XLSX) Close(w io.Writer) error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	if _, err := x.f.WriteTo(w); err != nil {
		return fmt.Errorf("xlsx write: %w", err)
	}
	return nil
}

// Discard frees the workbook's temporary files without writing it.
func (x *XLSX) Discard() { x.f.Close() }

// TicketNumeric says which TicketColumns are numbers.
var TicketNumeric = numericColumns(TicketColumns, "id", "organization_id", "team_id", "assignee_id", "escalation_level")

// KPINumeric says which KPIColumns are numbers (every one but the group).
var KPINumeric = numericColumns(KPIColumns, KPIColumns[1:]...)

func numericColumns(cols []string, numeric ...string) []bool {
	out := make([]bool, len(cols))
	for i, c := range cols {
		for _, n := range numeric {
			if c == n {
				out[i] = true
			}
		}
	}
	return out
}
