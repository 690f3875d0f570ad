// Package api holds Krake's wire types: every kind, its defaults and its
// validation, in the JSON shape of the original Krake API. It imports only
// the standard library, the constraint grammar and the JSON engine, so the
// client, rok, the TUI and the controllers can share it without pulling in
// server code.
//
// All of Krake's JSON (server, store, client, watch, controllers, rok, the
// TUI) goes through one engine, github.com/go-json-experiment/json/v1: the
// encoding/json API and semantics on the engine that becomes encoding/json/v2,
// about twice as fast to decode (see docs/benchmarks.md). The types carry
// that engine's methods only (MarshalJSONTo), so encoding/json would write
// them wrongly: apiserver/deptest forbids importing it.
package api

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	json "github.com/go-json-experiment/json/v1"
)

// TimeLayout is the original API's timestamp format: ISO-8601 in UTC with six
// fraction digits and an explicit +00:00 offset.
const TimeLayout = "2006-01-02T15:04:05.000000-07:00"

// Time is a timestamp that marshals in TimeLayout.
type Time struct{ time.Time }

// NewTime returns t in UTC truncated to microseconds, as it will round-trip.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Microsecond)} }

// NewTimePtr is NewTime for optional fields.
func NewTimePtr(t time.Time) *Time {
	v := NewTime(t)
	return &v
}

// MarshalJSONTo writes TimeLayout (null when zero) without an intermediate
// allocation.
func (t Time) MarshalJSONTo(enc *jsontext.Encoder) error {
	if t.IsZero() {
		return enc.WriteToken(jsontext.Null)
	}
	var buf [len(TimeLayout) + 2]byte
	return enc.WriteValue(t.appendJSON(buf[:0]))
}

func (t Time) appendJSON(b []byte) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeLayout)
	return append(b, '"')
}

func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	s, ok := plainJSONString(b)
	if !ok && json.Unmarshal(b, &s) != nil {
		return fmt.Errorf("time must be an ISO-8601 string")
	}
	if parsed, ok := parseTimeLayout(s); ok {
		*t = NewTime(parsed)
		return nil
	}
	for _, layout := range []string{TimeLayout, time.RFC3339Nano, "2006-01-02T15:04:05.999999"} {
		if parsed, err := time.Parse(layout, s); err == nil {
			*t = NewTime(parsed)
			return nil
		}
	}
	return fmt.Errorf("time %q is not ISO-8601 (e.g. 2026-11-24T10:00:00.123456+00:00)", s)
}

// parseTimeLayout reads s when it is exactly in TimeLayout, as every
// timestamp the API writes is, at a fraction of time.Parse's cost (every
// answer a client decodes carries two). Anything else, including a day
// past the 28th (left to time.Parse to check against the month), is not ok.
func parseTimeLayout(s string) (time.Time, bool) {
	// 2006-01-02T15:04:05.000000-07:00
	if len(s) != len(TimeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
		s[19] != '.' || (s[26] != '+' && s[26] != '-') || s[29] != ':' {
		return time.Time{}, false
	}
	num := func(from, to int) int {
		n := 0
		for _, c := range []byte(s[from:to]) {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec, micro := num(11, 13), num(14, 16), num(17, 19), num(20, 26)
	offHour, offMin := num(27, 29), num(30, 32)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > 28 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
		sec < 0 || sec > 59 || micro < 0 || offHour < 0 || offHour > 23 || offMin < 0 || offMin > 59 {
		return time.Time{}, false
	}
	offset := time.Duration(offHour)*time.Hour + time.Duration(offMin)*time.Minute
	if s[26] == '-' {
		offset = -offset
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, time.UTC)
	return t.Add(-offset), true
}

// plainJSONString is the text of a JSON string without escapes, which
// every timestamp is, without the cost of a JSON decoder.
func plainJSONString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	for _, c := range b[1 : len(b)-1] {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	return string(b[1 : len(b)-1]), true
}

// Metadata is common to every object. Name and namespace are immutable;
// uid, created, modified, deleted and resource_version are set by the server.
type Metadata struct {
	Name            string            `json:"name"`
	Namespace       string            `json:"namespace"`
	Labels          map[string]string `json:"labels"`
	InheritLabels   bool              `json:"inherit_labels"`
	Finalizers      []string          `json:"finalizers"`
	Owners          []ResourceRef     `json:"owners"`
	UID             string            `json:"uid"`
	Created         Time              `json:"created"`
	Modified        Time              `json:"modified"`
	Deleted         *Time             `json:"deleted"`
	ResourceVersion string            `json:"resource_version"`
}

// metadataJSON and resourceRefJSON are the wire shapes: an empty namespace
// (global kinds) is null, as in the original.
type (
	plainMetadata    Metadata
	plainResourceRef ResourceRef
	metadataJSON     struct {
		plainMetadata
		Namespace *string `json:"namespace"`
	}
	resourceRefJSON struct {
		plainResourceRef
		Namespace *string `json:"namespace"`
	}
)

// MarshalJSONTo writes an empty namespace as null, straight into the
// engine's output rather than through returned bytes.
func (m Metadata) MarshalJSONTo(enc *jsontext.Encoder) error {
	return jsonv2.MarshalEncode(enc, metadataJSON{plainMetadata(m), nullIfEmpty(m.Namespace)})
}

// ResourceRef points at another object (owners, binding targets).
type ResourceRef struct {
	API       string `json:"api"`
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
}

func (r ResourceRef) MarshalJSONTo(enc *jsontext.Encoder) error {
	return jsonv2.MarshalEncode(enc, resourceRefJSON{plainResourceRef(r), nullIfEmpty(r.Namespace)})
}

// String is `api/Kind ns/name`, for messages.
func (r ResourceRef) String() string {
	if r.Namespace == "" {
		return r.API + "/" + r.Kind + " " + r.Name
	}
	return r.API + "/" + r.Kind + " " + r.Namespace + "/" + r.Name
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Object is implemented by every kind.
type Object interface {
	GetMetadata() *Metadata
	GetAPI() string
	GetKind() string
}

// Ref returns a reference to obj.
func Ref(obj Object) ResourceRef {
	m := obj.GetMetadata()
	return ResourceRef{API: obj.GetAPI(), Kind: obj.GetKind(), Namespace: m.Namespace, Name: m.Name}
}

// TypeMeta is embedded by every kind for api and kind.
type TypeMeta struct {
	API  string `json:"api"`
	Kind string `json:"kind"`
}

func (t *TypeMeta) GetAPI() string  { return t.API }
func (t *TypeMeta) GetKind() string { return t.Kind }

// ReasonCode is one of Krake's reason codes. On the wire it is the
// original's name ("NO_SUITABLE_RESOURCE"); numbers, which earlier
// versions of ours wrote, are accepted on input.
type ReasonCode int

// Reason codes of the original Krake.
const (
	ReasonInternalError              ReasonCode = 1
	ReasonInvalidResource            ReasonCode = 10
	ReasonUnsupportedResource        ReasonCode = 11
	ReasonInvalidCustomResource      ReasonCode = 12
	ReasonInvalidToscaManifest       ReasonCode = 13
	ReasonClusterNotReachable        ReasonCode = 20
	ReasonNoSuitableResource         ReasonCode = 50
	ReasonKubernetesError            ReasonCode = 60
	ReasonCreateFailed               ReasonCode = 70
	ReasonReconcileFailed            ReasonCode = 71
	ReasonReconfigureFailed          ReasonCode = 72
	ReasonDeleteFailed               ReasonCode = 73
	ReasonRetrieveFailed             ReasonCode = 74
	ReasonNotFound                   ReasonCode = 75
	ReasonInvalidMetric              ReasonCode = 91
	ReasonUnreachableMetricsProvider ReasonCode = 92
	ReasonUnknownMetric              ReasonCode = 93
	ReasonUnknownMetricsProvider     ReasonCode = 94
)

var reasonNames = map[ReasonCode]string{
	ReasonInternalError:              "INTERNAL_ERROR",
	ReasonInvalidResource:            "INVALID_RESOURCE",
	ReasonUnsupportedResource:        "UNSUPPORTED_RESOURCE",
	ReasonInvalidCustomResource:      "INVALID_CUSTOM_RESOURCE",
	ReasonInvalidToscaManifest:       "INVALID_TOSCA_MANIFEST",
	ReasonClusterNotReachable:        "CLUSTER_NOT_REACHABLE",
	ReasonNoSuitableResource:         "NO_SUITABLE_RESOURCE",
	ReasonKubernetesError:            "KUBERNETES_ERROR",
	ReasonCreateFailed:               "CREATE_FAILED",
	ReasonReconcileFailed:            "RECONCILE_FAILED",
	ReasonReconfigureFailed:          "RECONFIGURE_FAILED",
	ReasonDeleteFailed:               "DELETE_FAILED",
	ReasonRetrieveFailed:             "RETRIEVE_FAILED",
	ReasonNotFound:                   "NOT_FOUND",
	ReasonInvalidMetric:              "INVALID_METRIC",
	ReasonUnreachableMetricsProvider: "UNREACHABLE_METRICS_PROVIDER",
	ReasonUnknownMetric:              "UNKNOWN_METRIC",
	ReasonUnknownMetricsProvider:     "UNKNOWN_METRICS_PROVIDER",
}

// String is the code's name (NO_SUITABLE_RESOURCE) or its number.
func (c ReasonCode) String() string {
	if name, ok := reasonNames[c]; ok {
		return name
	}
	return strconv.Itoa(int(c))
}

// MarshalJSON writes the name, as the original does; a code without a
// name (none of ours) stays a number.
func (c ReasonCode) MarshalJSON() ([]byte, error) {
	if name, ok := reasonNames[c]; ok {
		return []byte(`"` + name + `"`), nil
	}
	return []byte(strconv.Itoa(int(c))), nil
}

// ParseReasonCode reads a name (any case) or a number.
func ParseReasonCode(s string) (ReasonCode, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return ReasonCode(n), true
	}
	for code, known := range reasonNames {
		if strings.EqualFold(known, s) {
			return code, true
		}
	}
	return 0, false
}

// UnmarshalJSON accepts the name or the number.
func (c *ReasonCode) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*c = ReasonCode(n)
		return nil
	}
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("reason code must be a name such as NO_SUITABLE_RESOURCE (or a number)")
	}
	code, ok := ParseReasonCode(name)
	if !ok {
		return fmt.Errorf("unknown reason code %q", name)
	}
	*c = code
	return nil
}

// Reason says why an object is in its state.
type Reason struct {
	Code    ReasonCode `json:"code"`
	Message string     `json:"message"`
}

// List is the wire shape of a list response.
type List[T any] struct {
	API      string       `json:"api"`
	Kind     string       `json:"kind"`
	Metadata ListMetadata `json:"metadata"`
	Items    []T          `json:"items"`
}

// ListMetadata carries the list's revision (to start a watch from) and the
// token for the next page.
type ListMetadata struct {
	ResourceVersion string `json:"resource_version,omitempty"`
	Continue        string `json:"continue,omitempty"`
}

// Watch event types.
const (
	Added    = "ADDED"
	Modified = "MODIFIED"
	Deleted  = "DELETED"
)

// WatchEvent is one line of a watch stream.
type WatchEvent[T any] struct {
	Type   string `json:"type"`
	Object T      `json:"object"`
}

// Finalizer the API adds on delete; the garbage collector removes it once
// the object's dependents are gone.
const FinalizerCascadeDeletion = "cascade_deletion"
