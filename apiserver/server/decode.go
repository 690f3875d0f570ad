package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/yamljson"
)

// MaxBodyBytes is the largest request body the API reads (2 MiB).
const MaxBodyBytes = 2 << 20

// yamlConversions is how many YAML bodies outside yamljson's subset are
// converted at once.
const yamlConversions = 2

// readBody returns the request body as JSON, converting YAML. It answers
// 413 for a body over the limit, 415 for a missing Content-Type or one it
// cannot read (a browser's form post carries none of ours, so a web page
// cannot submit objects), and 408 for a body that does not arrive within
// the server's body timeout.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, patch bool) ([]byte, error) {
	isYAML := false
	hint := "application/json or application/yaml"
	if patch {
		hint = "application/merge-patch+json or application/json"
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil, errorf(http.StatusUnsupportedMediaType,
			"the request has no Content-Type; send %s (curl: -H 'Content-Type: application/json')", hint)
	}
	mediaType, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, errorf(http.StatusUnsupportedMediaType, "cannot parse Content-Type %q; send application/json", ct)
	}
	switch {
	case mediaType == "application/json", mediaType == "application/merge-patch+json",
		strings.HasSuffix(mediaType, "+json"):
	case mediaType == "application/yaml", mediaType == "application/x-yaml", mediaType == "text/yaml":
		isYAML = true
	default:
		return nil, errorf(http.StatusUnsupportedMediaType,
			"Content-Type %s is not supported; send %s (curl: -H 'Content-Type: application/json')", mediaType, hint)
	}
	// A slow body holds a connection and a goroutine: it gets a deadline
	// of its own (the server's ReadTimeout would also end watch streams).
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(s.bodyTimeout)) == nil
	data, err := readAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes), r.ContentLength)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The deadline stays: the server would otherwise wait for the
			// rest of the body before answering. The connection closes.
			w.Header().Set("Connection", "close")
			return nil, errorf(http.StatusRequestTimeout, "the request body did not arrive within %s", s.bodyTimeout)
		}
		return nil, errorf(http.StatusBadRequest, "reading the request body: %v", err)
	}
	if deadline {
		_ = rc.SetReadDeadline(time.Time{}) // the connection may serve more requests
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errorf(http.StatusBadRequest, "the request body is empty; send a JSON object")
	}
	if isYAML {
		converted, err := s.yamlToJSON(r, data)
		if err != nil {
			return nil, err
		}
		data = converted
	}
	return data, nil
}

// yamlToJSON converts a YAML body. Manifests in the usual block style are
// converted in one pass (memory about the body's size); anything else goes
// through sigs.k8s.io/yaml, whose trees cost many times the body (a 2 MB
// body: about 90 MB), so only a few of those run at once.
func (s *Server) yamlToJSON(r *http.Request, data []byte) ([]byte, error) {
	if converted, ok := yamljson.Convert(data); ok {
		return converted, nil
	}
	select {
	case s.yamlSlots <- struct{}{}:
		defer func() { <-s.yamlSlots }()
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	converted, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "the body is not valid YAML: %v", err)
	}
	return converted, nil
}

// readAll reads r to the end into a buffer sized for the announced length
// (when there is one that fits the limit), instead of io.ReadAll's doubling.
func readAll(r io.Reader, contentLength int64) ([]byte, error) {
	var buf bytes.Buffer
	if contentLength > 0 && contentLength <= MaxBodyBytes {
		buf.Grow(int(contentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// decodeJSON unmarshals data into v, turning decoder errors into 400s that
// name the field and the expected type.
func decodeJSON(data []byte, v any) error {
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return errorf(http.StatusBadRequest, "the body must be a JSON object")
	}
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return errorf(http.StatusBadRequest, "the body is not valid JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(root)"
		}
		return errorf(http.StatusBadRequest, "field %s: expected %s, got JSON %s", field, typeName(typeErr.Type.String()), typeErr.Value)
	}
	return errorf(http.StatusBadRequest, "the body is not a valid object: %v", err)
}

func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "an object"
	case strings.Contains(goType, "int"):
		return "a whole number (64-bit)"
	case strings.Contains(goType, "float"):
		return "a number"
	case goType == "string", goType == "*string":
		return "a string"
	case goType == "bool":
		return "true or false"
	}
	return fmt.Sprintf("an object (%s)", strings.TrimPrefix(goType, "api."))
}
