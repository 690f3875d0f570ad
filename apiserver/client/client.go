// Package client is the typed Go client of Krake's API, shared by rok, the
// TUI and the controllers. One generic Resource serves every kind; typed
// accessors (Applications, Clusters, ...) come from the kind registry. It
// imports only package api and the standard library.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
)

// Client talks to a Krake API: one server, or several replicas of it
// (they share one store), failing over between them. The zero value is
// not usable; use New.
type Client struct {
	bases     []*url.URL
	current   atomic.Int32 // index of the base in use
	http      *http.Client
	userAgent string
	timeout   time.Duration
	token     string
}

// Options configure a Client.
type Options struct {
	// TLS for https API URLs (CA, client certificate).
	TLS *tls.Config
	// Transport replaces the HTTP transport (tests, proxies).
	Transport http.RoundTripper
	// Timeout bounds each request that has no deadline of its own (not
	// watches); default 60s.
	Timeout   time.Duration
	UserAgent string
	// Token is sent as a bearer token (Authorization: Bearer ...).
	Token string
}

// New returns a client for the API at baseURL (e.g. http://localhost:8080).
// Several URLs separated by commas name replicas of one API: requests go
// to one of them, and to the next when it cannot be reached.
func New(baseURL string, opts Options) (*Client, error) {
	var bases []*url.URL
	for _, raw := range strings.Split(baseURL, ",") {
		raw = strings.TrimSpace(raw)
		u, err := url.Parse(strings.TrimRight(raw, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("API URL %q must look like http://host:port or https://host:port (several: separated by commas)", raw)
		}
		bases = append(bases, u)
	}
	transport := opts.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = opts.TLS
		t.MaxIdleConnsPerHost = 64
		transport = t
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "krake-go-client"
	}
	return &Client{bases: bases, http: &http.Client{Transport: transport}, userAgent: opts.UserAgent, timeout: opts.Timeout, token: opts.Token}, nil
}

// base is the API URL in use.
func (c *Client) base() *url.URL { return c.bases[int(c.current.Load())%len(c.bases)] }

// BaseURL is the API's URL in use.
func (c *Client) BaseURL() string { return c.base().String() }

// APIError is a non-2xx answer: the server's problem document (or, for
// an answer that is not one, its status and text).
type APIError struct {
	api.Problem
	// retry is set for answers the server asks to retry (429, and 503
	// with Retry-After); retryAfter is how long to wait.
	retry      bool
	retryAfter time.Duration
	// Document is the problem document as the server sent it (nil when
	// the answer was not one), for callers that pass it on to scripts.
	Document []byte
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%d %s", e.Status, e.Title)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func statusIs(err error, status int) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Status == status
}

// IsNotFound reports a 404.
func IsNotFound(err error) bool { return statusIs(err, http.StatusNotFound) }

// IsConflict reports a 409: the object exists already, or changed since
// the resource_version the caller sent.
func IsConflict(err error) bool { return statusIs(err, http.StatusConflict) }

// IsInvalid reports a 422 validation failure.
func IsInvalid(err error) bool { return statusIs(err, http.StatusUnprocessableEntity) }

// IsForbidden reports a 403.
func IsForbidden(err error) bool { return statusIs(err, http.StatusForbidden) }

// IsUnauthorized reports a 401.
func IsUnauthorized(err error) bool { return statusIs(err, http.StatusUnauthorized) }

// IsGone reports a 410: a watch's resource_version is too old; list again.
func IsGone(err error) bool { return statusIs(err, http.StatusGone) }

// UnreachableError means no HTTP answer came back at all.
type UnreachableError struct {
	URL string
	Err error
	// notSent: the connection was never made (a retry elsewhere is safe).
	notSent bool
}

func (e *UnreachableError) Error() string {
	reason := e.Err.Error()
	var opErr *net.OpError
	switch {
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		reason = "connection refused"
	case errors.As(e.Err, &opErr):
		reason = opErr.Err.Error()
	}
	return fmt.Sprintf("cannot reach the Krake API at %s: %s", e.URL, reason)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// IsUnreachable reports that the server could not be reached.
func IsUnreachable(err error) bool {
	var u *UnreachableError
	return errors.As(err, &u)
}

func (c *Client) url(base *url.URL, path string, query url.Values) *url.URL {
	u := *base
	u.Path = strings.TrimRight(base.Path, "/") + path
	u.RawPath = ""
	u.RawQuery = query.Encode()
	return &u
}

// do sends a request and decodes a 2xx JSON answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body any, contentType string, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	resp, err := c.send(ctx, method, path, query, body, contentType)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 && resp.ContentLength < 64<<20 {
		buf.Grow(int(resp.ContentLength) + bytes.MinRead) // one read, no regrowth
	}
	_, err = buf.ReadFrom(resp.Body)
	data := buf.Bytes()
	if err == nil {
		err = json.Unmarshal(data, out)
	}
	if err != nil {
		return fmt.Errorf("decode %s %s answer: %w", method, path, err)
	}
	return nil
}

// send performs the request and turns non-2xx answers into *APIError.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body any, contentType string) (*http.Response, error) {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
	}
	for attempt := 1; ; attempt++ {
		resp, err := c.sendFailover(ctx, method, path, query, data, contentType)
		var apiErr *APIError
		if attempt >= maxAttempts || !errors.As(err, &apiErr) || !apiErr.retry {
			return resp, err
		}
		// The server is full (429) or starting (503 with Retry-After): it
		// did nothing; wait as it asks.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(apiErr.retryAfter):
		}
	}
}

// maxAttempts bounds the tries of a request the server answers with 429.
const maxAttempts = 5

// sendFailover sends the request to the URL in use and, when that server
// cannot be reached, to each other one in turn; the first that answers is
// used from then on. A request is sent again only when it cannot have
// reached the server (the connection was refused), or when it only reads.
func (c *Client) sendFailover(ctx context.Context, method, path string, query url.Values, body []byte, contentType string) (*http.Response, error) {
	first := int(c.current.Load())
	var err error
	for i := range len(c.bases) {
		idx := (first + i) % len(c.bases)
		var resp *http.Response
		resp, err = c.sendOnce(ctx, c.bases[idx], method, path, query, body, contentType)
		var u *UnreachableError
		if !errors.As(err, &u) || ctx.Err() != nil || !(u.notSent || method == http.MethodGet || method == http.MethodHead) {
			if err == nil && idx != first {
				c.current.CompareAndSwap(int32(first), int32(idx))
			}
			return resp, err
		}
	}
	return nil, err
}

// sendOnce performs the request once, against base.
func (c *Client) sendOnce(ctx context.Context, base *url.URL, method, path string, query url.Values, body []byte, contentType string) (*http.Response, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	// The URL is built rather than printed and parsed again: every call of
	// the client goes through here.
	req, err := http.NewRequestWithContext(ctx, method, "", reader)
	if err != nil {
		return nil, err
	}
	req.URL = c.url(base, path, query)
	req.Host = req.URL.Host
	if body != nil {
		if contentType == "" {
			contentType = "application/json"
		}
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if isConnectionError(err) {
			return nil, &UnreachableError{URL: base.String(), Err: err, notSent: notSent(err)}
		}
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, readAPIError(resp)
	}
	return resp, nil
}

// notSent reports a connection that was never made: the request cannot
// have reached the server.
func notSent(err error) bool {
	var opErr *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &opErr) && opErr.Op == "dial")
}

func isConnectionError(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	return errors.As(err, &opErr) || errors.As(err, &dnsErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func readAPIError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	apiErr := &APIError{retryAfter: time.Second}
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err == nil && secs >= 0 {
		apiErr.retryAfter = min(time.Duration(secs)*time.Second, 10*time.Second)
	}
	apiErr.retry = resp.StatusCode == http.StatusTooManyRequests || (resp.StatusCode == http.StatusServiceUnavailable && err == nil)
	if json.Unmarshal(data, &apiErr.Problem) == nil && apiErr.Title != "" {
		apiErr.Status = resp.StatusCode
		apiErr.Document = data
		return apiErr
	}
	apiErr.Problem = api.Problem{Status: resp.StatusCode}
	apiErr.Title = http.StatusText(resp.StatusCode)
	apiErr.Detail = strings.TrimSpace(string(data))
	if len(apiErr.Detail) > 200 {
		apiErr.Detail = apiErr.Detail[:200] + "..."
	}
	return apiErr
}

// Version is the server's GET / answer.
type Version struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	APIs    []string `json:"apis"`
}

// Version asks the server who it is.
func (c *Client) Version(ctx context.Context) (Version, error) {
	var v Version
	err := c.do(ctx, http.MethodGet, "/", nil, nil, "", &v)
	return v, err
}

// Me is the GET /me answer: who the server thinks the caller is.
type Me struct {
	User   string   `json:"user"`
	Groups []string `json:"groups"`
}

// Me asks the server who the caller is.
func (c *Client) Me(ctx context.Context) (Me, error) {
	var me Me
	err := c.do(ctx, http.MethodGet, "/me", nil, nil, "", &me)
	return me, err
}

// Explain asks why a stored application is (or would be) placed where.
func (c *Client) Explain(ctx context.Context, namespace, name string) (*placement.Explanation, error) {
	return c.ExplainKind(ctx, api.MustKind("kubernetes", "Application"), namespace, name)
}

// ExplainKind asks why a stored object of a kind with placement (an
// application on a cluster, a created cluster on a cloud) is placed where.
func (c *Client) ExplainKind(ctx context.Context, k api.Kind, namespace, name string) (*placement.Explanation, error) {
	var e placement.Explanation
	path := "/" + k.API + "/namespaces/" + url.PathEscape(namespace) + "/" + k.Plural + "/" + url.PathEscape(name) + "/placement"
	if err := c.do(ctx, http.MethodGet, path, nil, nil, "", &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// ExplainSpec asks where an application that is not stored would go.
func (c *Client) ExplainSpec(ctx context.Context, namespace string, app *api.Application) (*placement.Explanation, error) {
	var e placement.Explanation
	path := "/kubernetes/namespaces/" + url.PathEscape(namespace) + "/placements"
	if err := c.do(ctx, http.MethodPost, path, nil, app, "", &e); err != nil {
		return nil, err
	}
	return &e, nil
}
