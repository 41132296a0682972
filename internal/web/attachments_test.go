package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/store/storetest"
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
