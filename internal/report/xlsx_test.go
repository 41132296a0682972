package report_test

import (
	"bytes"
	"testing"

	"github.com/sahayak/sahayak/internal/report"
	"github.com/xuri/excelize/v2"
)

// A spreadsheet export puts numbers as numbers and text as text (a formula
// stays text), and goes on in a new sheet, header first, when one is full.
func TestXLSXSheetsAndCells(t *testing.T) {
	old := report.SheetRows
	report.SheetRows = 3 // header + 2 rows a sheet
	t.Cleanup(func() { report.SheetRows = old })

	x, err := report.NewXLSX([]string{"id", "subject"}, []bool{true, false})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][]string{{"1", "=SUM(A1)"}, {"2", "b"}, {"3", "c"}, {"", "d"}, {"5", "e"}} {
		if err := x.Write(r...); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := x.Close(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string][][]string{
		"Sheet1": {{"id", "subject"}, {"1", "=SUM(A1)"}, {"2", "b"}},
		"Sheet2": {{"id", "subject"}, {"3", "c"}, {"", "d"}},
		"Sheet3": {{"id", "subject"}, {"5", "e"}},
	}
	for sheet, rows := range want {
		got, err := f.GetRows(sheet)
		if err != nil {
			t.Fatalf("%s: %v", sheet, err)
		}
		if len(got) != len(rows) {
			t.Fatalf("%s: %q, want %q", sheet, got, rows)
		}
		for i := range rows {
			for j := range rows[i] {
				if j >= len(got[i]) && rows[i][j] == "" {
					continue
				}
				if got[i][j] != rows[i][j] {
					t.Errorf("%s row %d: %q, want %q", sheet, i, got[i], rows[i])
				}
			}
		}
	}
	if f, _ := f.GetCellFormula("Sheet1", "B2"); f != "" {
		t.Errorf("a text cell became the formula %q", f)
	}
	if typ, _ := f.GetCellType("Sheet1", "A2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("the id is of type %v, not a number", typ)
	}
	if x.Rows != 5 {
		t.Errorf("counted %d rows, want 5", x.Rows)
	}
}
