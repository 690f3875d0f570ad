package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/store"
)

// Problem is an RFC 7807 problem document, the body of every error.
type Problem struct {
	Type      string          `json:"type"`
	Title     string          `json:"title"`
	Status    int             `json:"status"`
	Detail    string          `json:"detail"`
	Instance  string          `json:"instance"`
	Errors    api.FieldErrors `json:"errors,omitempty"`     // 422: which fields and why
	RequestID string          `json:"request_id,omitempty"` // 500: find it in the log
}

// httpError is an error with a status, for conditions handlers detect
// themselves (bad query parameters, tokens, states).
type httpError struct {
	status int
	detail string
}

func (e *httpError) Error() string { return e.detail }

func errorf(status int, format string, args ...any) error {
	return &httpError{status: status, detail: fmt.Sprintf(format, args...)}
}

// problemTypes name each status's problem type, so clients can match on it.
var problemTypes = map[int]string{
	http.StatusBadRequest:            "bad-request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not-found",
	http.StatusMethodNotAllowed:      "method-not-allowed",
	http.StatusConflict:              "conflict",
	http.StatusGone:                  "gone",
	http.StatusRequestEntityTooLarge: "too-large",
	http.StatusUnsupportedMediaType:  "unsupported-media-type",
	http.StatusUnprocessableEntity:   "invalid",
	http.StatusInternalServerError:   "internal-error",
	http.StatusServiceUnavailable:    "unavailable",
	http.StatusGatewayTimeout:        "timeout",
}

// problemFor maps an error to its problem. Every error bad input can cause
// is typed; only an untyped error becomes a 500.
func problemFor(err error) Problem {
	var p Problem
	var httpErr *httpError
	var fieldErrs api.FieldErrors
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &httpErr):
		p = Problem{Status: httpErr.status, Detail: httpErr.detail}
	case errors.As(err, &fieldErrs):
		p = Problem{Status: http.StatusUnprocessableEntity, Detail: fieldErrs.Error(), Errors: fieldErrs}
	case errors.As(err, &maxBytes):
		p = Problem{Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("request body is larger than %d bytes", maxBytes.Limit)}
	case errors.Is(err, store.ErrNotFound):
		p = Problem{Status: http.StatusNotFound, Detail: err.Error()}
	case errors.Is(err, store.ErrAlreadyExists), errors.Is(err, store.ErrConflict):
		p = Problem{Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, store.ErrCompacted):
		p = Problem{Status: http.StatusGone, Detail: err.Error() + "; list again and watch from the list's resource_version"}
	case errors.Is(err, store.ErrBadContinue):
		p = Problem{Status: http.StatusBadRequest, Detail: "the continue token is invalid or expired; list again from the start"}
	case errors.Is(err, store.ErrTooLarge):
		p = Problem{Status: http.StatusRequestEntityTooLarge, Detail: "the object is larger than the store accepts; make the manifest smaller"}
	case errors.Is(err, store.ErrUnavailable):
		p = Problem{Status: http.StatusServiceUnavailable, Detail: "the store (etcd) is unavailable; retry shortly"}
	case errors.Is(err, auth.ErrUnauthenticated):
		p = Problem{Status: http.StatusUnauthorized, Detail: err.Error()}
	case errors.Is(err, auth.ErrForbidden):
		p = Problem{Status: http.StatusForbidden, Detail: err.Error()}
	default:
		p = Problem{Status: http.StatusInternalServerError, Detail: "internal error"}
	}
	p.Title = http.StatusText(p.Status)
	p.Type = "urn:krake:problem:" + problemTypes[p.Status]
	return p
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeProblem answers err; a 500 is logged with an ID the body carries.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	p.Instance = r.URL.Path
	if p.Status == http.StatusInternalServerError {
		p.RequestID = requestID(r)
		s.log.Error("internal error", "request_id", p.RequestID, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	if err := json.NewEncoder(w).Encode(p); err != nil {
		s.log.Debug("write problem", "err", err)
	}
}

func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" {
		return id
	}
	return "unknown"
}
