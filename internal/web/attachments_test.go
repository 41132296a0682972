package web_test

import (
	"bytes"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// multipartMessage builds a multipart reply with files (name → content).
func multipartMessage(t *testing.T, fields map[string]string, files [][2]string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		fw, err := w.CreateFormFile("files", f[0])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(f[1]))
	}
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

// A reply can carry files; the same content is stored once; a download is
// permission-checked like its ticket, and never rendered as a page.
func TestAttachments(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tk := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[2].ID})
		path := "/api/v1/tickets/" + id(tk.id("id")) + "/messages"
		ct, body := multipartMessage(t, map[string]string{"body": "Logs attached"},
			[][2]string{{"../../logs.txt", "line 1\nline 2"}, {"copy.txt", "line 1\nline 2"}, {"page.html", "<script>alert(1)</script>"}})
		h := http.Header{"Authorization": {"Bearer " + d.Tokens["meera"]}, "Content-Type": {ct}}
		r := d.send("POST", path, h, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("multipart reply: %d %s", r.Status, r.Raw)
		}
		if r.str("attachments.#") != "3" || r.str("attachments.0.filename") != "logs.txt" ||
			r.str("attachments.0.sha256") != r.str("attachments.1.sha256") || r.str("attachments.0.size") != "13" {
			t.Fatalf("attachments: %s", r.Raw)
		}
		first := "/api/v1/attachments/" + r.str("attachments.0.id")
		got := d.mustCall(http.StatusOK, "GET", first, "meera", nil)
		if string(got.Raw) != "line 1\nline 2" || !strings.HasPrefix(got.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download: %q %v", got.Raw, got.Header)
		}
		html := d.mustCall(http.StatusOK, "GET", "/api/v1/attachments/"+r.str("attachments.2.id"), "meera", nil)
		if !strings.Contains(html.Header.Get("Content-Security-Policy"), "sandbox") ||
			!strings.HasPrefix(html.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("an uploaded page must download sandboxed: %v", html.Header)
		}
		// ravi (tier 1) cannot see the tier-2 ticket, so not its files either.
		d.mustCall(http.StatusNotFound, "GET", first, "ravi", nil)
		d.mustCall(http.StatusNotFound, "GET", "/api/v1/attachments/999999", "ada", nil)
		// Unknown form fields and files outside "files" are refused.
		ct, body = multipartMessage(t, map[string]string{"body": "x", "colour": "red"}, nil)
		h.Set("Content-Type", ct)
		if r := d.send("POST", path, h, body); r.Status != http.StatusBadRequest {
			t.Fatalf("unknown multipart field: %d %s", r.Status, r.Raw)
		}
	})
}

// A download answers the content type the file was uploaded with (else one
// guessed from its name); images but SVG are shown inline, the rest downloads.
func TestAttachmentDownloadKeepsItsType(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], nil)
	tk := d.mustCreateTicket("ada", nil)
	for _, tc := range []struct{ filename, declared, wantType, wantDisposition string }{
		{"photo.png", "image/png", "image/png", "inline"},
		{"report.pdf", "", "application/pdf", "attachment"},
		{"logo.svg", "image/svg+xml", "image/svg+xml", "attachment"},
		{"blob", "", "application/octet-stream", "attachment"},
	} {
		t.Run(tc.filename, func(t *testing.T) {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			w.WriteField("body", "see attached")
			h := textproto.MIMEHeader{"Content-Disposition": {`form-data; name="files"; filename="` + tc.filename + `"`}}
			if tc.declared != "" {
				h.Set("Content-Type", tc.declared)
			}
			part, _ := w.CreatePart(h)
			part.Write([]byte("content"))
			w.Close()
			r := d.send("POST", "/api/v1/tickets/"+id(tk.id("id"))+"/messages",
				http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}, "Content-Type": {w.FormDataContentType()}}, buf.Bytes())
			if r.Status != http.StatusCreated || r.str("attachments.0.content_type") != tc.wantType {
				t.Fatalf("upload: %d %s", r.Status, r.Raw)
			}
			got := d.mustCall(http.StatusOK, "GET", "/api/v1/attachments/"+r.str("attachments.0.id"), "ada", nil)
			if got.Header.Get("Content-Type") != tc.wantType ||
				!strings.HasPrefix(got.Header.Get("Content-Disposition"), tc.wantDisposition) {
				t.Errorf("download: %v", got.Header)
			}
		})
	}
}

// files lists every file under dir (stored blobs and temporary uploads).
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Security finding 5: a refused upload leaves no file in the blob store —
// scope, permission and the ticket's state are checked before a file is
// kept, and a file received for a message that is then refused is removed.
func TestRefusedUploadsLeaveNoFiles(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tier2 := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[2].ID}).id("id")
		closed := d.mustCreateTicket("ada", nil).id("id")
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(closed), "ada", map[string]any{"status": "closed"})
		one := [][2]string{{"logs.txt", "secret logs"}}
		eleven := [][2]string{}
		for i := range 11 {
			eleven = append(eleven, [2]string{"f" + id(int64(i)) + ".txt", "file " + id(int64(i))})
		}
		huge := [][2]string{{"small.txt", "small"}, {"huge.bin", strings.Repeat("x", ticket.MaxAttachment+1)}}
		for _, c := range []struct {
			name       string
			as         string
			ticket     int64
			fields     map[string]string
			files      [][2]string
			wantStatus int
		}{
			{"a ticket outside the agent's teams", "ravi", tier2, map[string]string{"body": "hi"}, one, 404},
			{"a closed ticket", "ada", closed, map[string]string{"body": "hi"}, one, 422},
			{"a ticket that does not exist", "ada", 999999, map[string]string{"body": "hi"}, one, 404},
			{"more files than a message may carry", "meera", tier2, map[string]string{"body": "hi"}, eleven, 400},
			{"a file over the size limit", "meera", tier2, map[string]string{"body": "hi"}, huge, 413},
			{"an empty body", "meera", tier2, map[string]string{"body": " "}, one, 400},
		} {
			t.Run(c.name, func(t *testing.T) {
				ct, body := multipartMessage(t, c.fields, c.files)
				r := d.send("POST", "/api/v1/tickets/"+id(c.ticket)+"/messages",
					http.Header{"Authorization": {"Bearer " + d.Tokens[c.as]}, "Content-Type": {ct}}, body)
				if r.Status != c.wantStatus {
					t.Fatalf("status %d, want %d\n%.300s", r.Status, c.wantStatus, r.Raw)
				}
				if left := files(t, d.BlobDir); len(left) > 0 {
					t.Errorf("a refused upload left %d files: %v", len(left), left)
				}
			})
		}
		ct, body := multipartMessage(t, map[string]string{"body": "logs"}, one)
		r := d.send("POST", "/api/v1/tickets/"+id(tier2)+"/messages",
			http.Header{"Authorization": {"Bearer " + d.Tokens["meera"]}, "Content-Type": {ct}}, body)
		if r.Status != 201 || len(files(t, d.BlobDir)) != 1 {
			t.Errorf("an accepted upload: status %d, %d files stored, want 201 and 1", r.Status, len(files(t, d.BlobDir)))
		}
	})
}
