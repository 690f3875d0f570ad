package server

import (
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// guard refuses, before any route, what a browser or a crafted path could
// abuse: paths with empty or dot segments (httprouter would match an
// empty namespace as "all namespaces", and a cleaned path can name
// another object), a foreign Host on a loopback-only server (DNS
// rebinding), and cross-origin browser requests from origins not allowed.
// It answers allowed CORS preflights itself.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := badPath(r.URL.Path); reason != "" {
			s.writeProblem(w, r, errorf(http.StatusBadRequest, "path %q %s", r.URL.Path, reason))
			return
		}
		if s.loopback && !loopbackHost(r.Host) {
			s.writeProblem(w, r, errorf(http.StatusForbidden,
				"Host %q is not this server's: it listens on loopback only, so use 127.0.0.1, [::1] or localhost", r.Host))
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			if !s.originAllowed(origin) {
				s.writeProblem(w, r, errorf(http.StatusForbidden,
					"cross-origin request from %s refused; the operator allows origins with krakectl --cors-origin", origin))
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", "X-Request-Id")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Auth-Token, X-Request-Id")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// badPath says what is wrong with a request path, or "".
func badPath(path string) string {
	if !strings.HasPrefix(path, "/") {
		return "must start with /"
	}
	for _, seg := range strings.Split(path[1:], "/") {
		switch seg {
		case "":
			if path != "/" {
				return "has an empty segment (a missing namespace or name?)"
			}
		case ".", "..":
			return "has a . or .. segment; name the object directly"
		}
	}
	return ""
}

// loopbackHost reports whether a Host header names this machine's loopback.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) originAllowed(origin string) bool {
	return slices.Contains(s.corsOrigins, "*") || slices.Contains(s.corsOrigins, origin)
}

// parseSeconds reads a query parameter of seconds: a finite number within
// [lo, hi] (NaN and infinities are not numbers of seconds).
func parseSeconds(name, raw string, lo, hi float64) (time.Duration, error) {
	n, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || n < lo || n > hi {
		return 0, errorf(http.StatusBadRequest, "%s=%q must be a number of seconds from %g to %g", name, raw, lo, hi)
	}
	return time.Duration(n * float64(time.Second)), nil
}

// limit answers 429 when the read or write requests in flight fill their
// slots, so a flood of requests queues in the clients (which retry after
// Retry-After), not in the server's memory. Watches, health and metrics
// are not counted.
func (s *Server) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var slots chan struct{}
		switch {
		case r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics":
		case r.Method == http.MethodGet && isWatch(r):
		case r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions:
			slots = s.reads
		default:
			slots = s.writes
		}
		if slots != nil {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			default:
				w.Header().Set("Retry-After", "1")
				s.writeProblem(w, r, errorf(http.StatusTooManyRequests,
					"the server is serving %d requests of this kind already; retry after a second", cap(slots)))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
