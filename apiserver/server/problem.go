package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/store"
)

// Problem is the problem document (one type, api.Problem, shared with
// the client).
type Problem = api.Problem

// Problem titles. Where the original Krake has a title for a condition,
// ours is the same (scripts match on it); for the conditions the original
// lacks, the title is in the same upper-snake style.
const (
	TitleNotFound             = "NOT_FOUND_ERROR"
	TitleAlreadyExists        = "RESOURCE_ALREADY_EXISTS"
	TitleTransaction          = "TRANSACTION_ERROR" // a conflicting write
	TitleUpdate               = "UPDATE_ERROR"      // an update the original refuses (changes nothing)
	TitleInvalidKeystoneToken = "INVALID_KEYSTONE_TOKEN"
	TitleInvalidKeycloakToken = "INVALID_KEYCLOAK_TOKEN"
	TitleInternal             = "INTERNAL_ERROR"
	TitleBadRequest           = "BAD_REQUEST"
	TitleUnauthorized         = "UNAUTHORIZED"
	TitleForbidden            = "FORBIDDEN"
	TitleMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	TitleInvalidState         = "INVALID_STATE" // e.g. retry of an app that did not fail
	TitleGone                 = "RESOURCE_VERSION_TOO_OLD"
	TitlePayloadTooLarge      = "PAYLOAD_TOO_LARGE"
	TitleUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	TitleValidation           = "VALIDATION_ERROR"
	TitleUnavailable          = "SERVICE_UNAVAILABLE"
	TitleTimeout              = "TIMEOUT"
	TitleRequestTimeout       = "REQUEST_TIMEOUT"
	TitleInsufficientStorage  = "INSUFFICIENT_STORAGE"
	TitleTooManyRequests      = "TOO_MANY_REQUESTS"
	TitleWatchTooSlow         = "WATCH_TOO_SLOW" // 503: resume from the last resource_version
)

// DefaultProblemBaseURL prefixes problem types unless the operator points
// them at their own documentation (krakectl --problem-base-url).
const DefaultProblemBaseURL = "urn:krake:problem"

// statusTitles are the titles of errors that name no title of their own.
var statusTitles = map[int]string{
	http.StatusBadRequest:            TitleBadRequest,
	http.StatusUnauthorized:          TitleUnauthorized,
	http.StatusForbidden:             TitleForbidden,
	http.StatusNotFound:              TitleNotFound,
	http.StatusMethodNotAllowed:      TitleMethodNotAllowed,
	http.StatusConflict:              TitleTransaction,
	http.StatusGone:                  TitleGone,
	http.StatusRequestTimeout:        TitleRequestTimeout,
	http.StatusRequestEntityTooLarge: TitlePayloadTooLarge,
	http.StatusUnsupportedMediaType:  TitleUnsupportedMediaType,
	http.StatusUnprocessableEntity:   TitleValidation,
	http.StatusInternalServerError:   TitleInternal,
	http.StatusServiceUnavailable:    TitleUnavailable,
	http.StatusInsufficientStorage:   TitleInsufficientStorage,
	http.StatusTooManyRequests:       TitleTooManyRequests,
	http.StatusGatewayTimeout:        TitleTimeout,
}

// ProblemType is the type URI of a title: base/kebab-case-title, e.g.
// urn:krake:problem/not-found-error.
func ProblemType(base, title string) string {
	return strings.TrimRight(base, "/") + "/" + strings.ToLower(strings.ReplaceAll(title, "_", "-"))
}

// httpError is an error with a status, for conditions handlers detect
// themselves (bad query parameters, tokens, states). Its title is the
// status's unless it names one.
type httpError struct {
	status int
	title  string
	detail string
}

func (e *httpError) Error() string { return e.detail }

func errorf(status int, format string, args ...any) error {
	return &httpError{status: status, detail: fmt.Sprintf(format, args...)}
}

// titledf is errorf with a title other than the status's.
func titledf(status int, title, format string, args ...any) error {
	return &httpError{status: status, title: title, detail: fmt.Sprintf(format, args...)}
}

// problemFor maps an error to its problem, with types under base. Every
// error bad input can cause is typed; only an untyped error becomes a 500.
func problemFor(err error, base string) Problem {
	var p Problem
	var httpErr *httpError
	var fieldErrs api.FieldErrors
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &httpErr):
		p = Problem{Status: httpErr.status, Title: httpErr.title, Detail: httpErr.detail}
	case errors.As(err, &fieldErrs):
		p = Problem{Status: http.StatusUnprocessableEntity, Detail: fieldErrs.Error(), Errors: fieldErrs}
	case errors.As(err, &maxBytes):
		p = Problem{Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("request body is larger than %d bytes", maxBytes.Limit)}
	case errors.Is(err, store.ErrNotFound):
		p = Problem{Status: http.StatusNotFound, Detail: err.Error()}
	case errors.Is(err, store.ErrAlreadyExists):
		p = Problem{Status: http.StatusConflict, Title: TitleAlreadyExists, Detail: err.Error()}
	case errors.Is(err, store.ErrConflict):
		p = Problem{Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, store.ErrCompacted):
		p = Problem{Status: http.StatusGone, Detail: err.Error() + "; list again and watch from the list's resource_version"}
	case errors.Is(err, store.ErrBadContinue):
		p = Problem{Status: http.StatusBadRequest, Detail: "the continue token is invalid or expired; list again from the start"}
	case errors.Is(err, store.ErrTooLarge):
		p = Problem{Status: http.StatusRequestEntityTooLarge, Detail: "the object is larger than the store accepts; make the manifest smaller"}
	case errors.Is(err, store.ErrTooSlow):
		p = Problem{Status: http.StatusServiceUnavailable, Title: TitleWatchTooSlow, Detail: err.Error()}
	case errors.Is(err, store.ErrNoSpace):
		p = Problem{Status: http.StatusInsufficientStorage,
			Detail: "the store (etcd) is out of space: reads work, writes fail until the operator frees space (compaction and defragmentation run every 5 minutes) or raises --etcd-quota-bytes"}
	case errors.Is(err, store.ErrUnavailable):
		p = Problem{Status: http.StatusServiceUnavailable, Detail: "the store (etcd) is unavailable; retry shortly"}
	case errors.Is(err, auth.ErrUnauthenticated):
		p = Problem{Status: http.StatusUnauthorized, Detail: err.Error()}
	case errors.Is(err, auth.ErrForbidden):
		p = Problem{Status: http.StatusForbidden, Detail: err.Error()}
	default:
		p = Problem{Status: http.StatusInternalServerError, Detail: "internal error"}
	}
	if p.Title == "" {
		p.Title = statusTitles[p.Status]
	}
	if p.Title == "" { // a status without a title of ours: still upper snake
		p.Title = strings.ToUpper(strings.ReplaceAll(http.StatusText(p.Status), " ", "_"))
	}
	p.Type = ProblemType(base, p.Title)
	return p
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeProblem answers err; a 500 is logged with an ID the body carries.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err, s.problemBase)
	p.Instance = r.URL.Path
	switch p.Status {
	case http.StatusInternalServerError:
		p.RequestID = requestID(r)
		s.log.Error("internal error", "request_id", p.RequestID, "method", r.Method, "path", r.URL.Path, "err", err)
	case http.StatusInsufficientStorage:
		s.log.Error("write refused: etcd is out of space (NOSPACE)", "method", r.Method, "path", r.URL.Path)
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="krake"`)
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
