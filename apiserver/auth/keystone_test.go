package auth_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/auth"
)

// TestKeystone_cache: against Keystone's documented token answer (the
// real Keystone is e2e TestKeystone), a validated token is cached, but
// never past MaxCache nor its own expiry; unknown tokens are not
// Keystone's, a broken Keystone is a 401 that says so.
func TestKeystone_cache(t *testing.T) {
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	now := start
	var calls atomic.Int32
	keystone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		subject := r.Header.Get("X-Subject-Token")
		if r.URL.Path != "/v3/auth/tokens" || r.Header.Get("X-Auth-Token") != subject {
			t.Errorf("%s with X-Auth-Token %q, X-Subject-Token %q", r.URL.Path, r.Header.Get("X-Auth-Token"), subject)
		}
		switch subject {
		case "good", "short":
			expires := start.Add(time.Hour)
			if subject == "short" {
				expires = start.Add(7 * time.Minute)
			}
			fmt.Fprintf(w, `{"token": {"methods": ["password"], "user": {"domain": {"id": "default", "name": "Default"}, "id": "7536", "name": "alice"},
				"expires_at": %q, "issued_at": "2026-12-01T12:00:00.000000Z",
				"project": {"domain": {"id": "default", "name": "Default"}, "id": "5e0d", "name": "team-a"},
				"roles": [{"id": "4816", "name": "member"}, {"id": "ed94", "name": "reader"}]}}`, expires.Format("2006-01-02T15:04:05.000000Z"))
		case "broken":
			http.Error(w, "database down", http.StatusInternalServerError)
		default:
			http.Error(w, `{"error": {"code": 404, "message": "Could not find token"}}`, http.StatusNotFound)
		}
	}))
	defer keystone.Close()
	k, err := auth.NewKeystone(auth.KeystoneConfig{URL: keystone.URL, MaxCache: 5 * time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	authenticate := func(token string) (auth.User, error) {
		r := httptest.NewRequest("GET", "/me", nil)
		r.Header.Set("X-Auth-Token", token)
		return k.Authenticate(r)
	}
	u, err := authenticate("good")
	if err != nil || u.Name != "alice" || fmt.Sprint(u.Groups) != "[keystone:member keystone:reader keystone:project:team-a]" {
		t.Fatalf("good token: %+v, %v", u, err)
	}
	if _, err := authenticate("good"); err != nil || calls.Load() != 1 {
		t.Errorf("second use: %v after %d Keystone calls, want the cache", err, calls.Load())
	}
	now = now.Add(6 * time.Minute)
	if _, err := authenticate("good"); err != nil || calls.Load() != 2 {
		t.Errorf("past MaxCache: %v after %d calls, want Keystone asked again", err, calls.Load())
	}
	if _, err := authenticate("short"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute) // past the short token's expiry (cached until then), within MaxCache
	if _, err := authenticate("short"); !errors.Is(err, auth.ErrNoCredentials) {
		t.Errorf("an expired token: %v, want it refused", err)
	}
	if _, err := authenticate("unknown"); !errors.Is(err, auth.ErrNoCredentials) {
		t.Errorf("an unknown token: %v, want ErrNoCredentials", err)
	}
	if _, err := authenticate("broken"); !errors.Is(err, auth.ErrUnauthenticated) || errors.Is(err, auth.ErrNoCredentials) {
		t.Errorf("Keystone failing: %v, want ErrUnauthenticated", err)
	}
	r := httptest.NewRequest("GET", "/me", nil)
	if _, err := k.Authenticate(r); !errors.Is(err, auth.ErrNoCredentials) {
		t.Errorf("no token: %v", err)
	}
}
