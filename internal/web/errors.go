package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/sahayak/sahayak/internal/desk"
)

// statusOf maps error codes to HTTP statuses, in one place.
var statusOf = map[string]int{
	desk.EINVALID:       http.StatusBadRequest,
	desk.EUNAUTHORIZED:  http.StatusUnauthorized,
	desk.EFORBIDDEN:     http.StatusForbidden,
	desk.ENOTFOUND:      http.StatusNotFound,
	desk.EMETHOD:        http.StatusMethodNotAllowed,
	desk.EMEDIATYPE:     http.StatusUnsupportedMediaType,
	desk.EKEYREUSED:     http.StatusUnprocessableEntity,
	desk.EKEYINFLIGHT:   http.StatusConflict,
	desk.ECONFLICT:      http.StatusConflict,
	desk.ESTALE:         http.StatusPreconditionFailed,
	desk.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	desk.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	desk.ERATELIMIT:     http.StatusTooManyRequests,
	desk.EUNAVAILABLE:   http.StatusServiceUnavailable,
	desk.EINTERNAL:      http.StatusInternalServerError,
}

// HTTPStatus returns the status for an error's code.
func HTTPStatus(err error) int {
	if s, ok := statusOf[desk.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
		// CurrentVersion comes with "stale": the version to re-read.
		CurrentVersion int64 `json:"current_version,omitempty"`
	} `json:"error"`
}

// writeError answers with the JSON error shape, its message and field
// messages in the caller's language (the code stays the same in every
// language); only internal errors are logged, since everything else is the
// caller's to fix.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := desk.ErrorCode(err)
	if code == desk.EINTERNAL {
		s.log.ErrorContext(r.Context(), "internal error", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	status := HTTPStatus(err)
	if status == http.StatusUnauthorized {
		// RFC 6750: say which scheme to use, and that a token sent was refused.
		challenge := `Bearer realm="sahayak"`
		if r.Header.Get("Authorization") != "" {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	if code == desk.EUNAVAILABLE {
		w.Header().Set("Retry-After", "1")
	}
	lang := s.lang(r)
	var b errorBody
	b.Error.Code, b.Error.Message = code, s.msg(lang, desk.ErrorMsg(err))
	if fields := desk.ErrorFields(err); len(fields) > 0 {
		b.Error.Fields = make(map[string]string, len(fields))
		for k, m := range fields {
			b.Error.Fields[k] = s.msg(lang, m)
		}
	}
	if v, ok := desk.StaleVersion(err); ok {
		b.Error.CurrentVersion = v
		w.Header().Set("ETag", etag(v))
	}
	writeJSON(w, status, b)
}

// msg renders a service's message in lang.
func (s *Server) msg(lang string, m desk.Msg) string { return localize(s.Catalog, lang, m) }

// jsonAppender is a value that writes its own JSON, as encoding/json would
// but faster (see ticket.Ticket.AppendJSON).
type jsonAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// writeJSON answers with v encoded whole before anything is sent: the
// answer carries its length (no chunked encoding, fewer writes for a page of
// tickets), and a value that fails to encode becomes a 500, not a truncated
// 200.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	var err error
	if a, ok := v.(jsonAppender); ok {
		b, err = a.AppendJSON(make([]byte, 0, 1024))
	} else {
		b, err = json.Marshal(v)
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"`+desk.EINTERNAL+`"}}`)
	}
	b = append(b, '\n')
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
