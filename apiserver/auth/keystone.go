package auth

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	json "github.com/go-json-experiment/json/v1"
)

// KeystoneConfig configures the Keystone authenticator (the original's
// "keystone" strategy).
type KeystoneConfig struct {
	URL    string // Keystone's identity endpoint, such as http://keystone:5000/v3
	Client *http.Client
	// MaxCache bounds how long a validated token is trusted without asking
	// Keystone again, so a revoked token stops working within it. Tokens
	// are never trusted past their own expiry.
	MaxCache time.Duration
	Now      func() time.Time
}

// Keystone validates OpenStack Keystone tokens, sent in X-Auth-Token (as
// OpenStack clients do) or as a bearer token, with Keystone's
// GET /v3/auth/tokens. The user is the token's user name; the groups are
// its role names, each as "keystone:<role>", and its project as
// "keystone:project:<name>".
type Keystone struct {
	cfg      KeystoneConfig
	tokenURL string

	mu    sync.Mutex
	cache map[[32]byte]keystoneEntry
}

type keystoneEntry struct {
	user  User
	until time.Time
}

var _ Authenticator = (*Keystone)(nil)

// keystoneCacheLimit bounds the cache; past it, expired entries go first,
// then everything (a flood of valid tokens costs Keystone calls, not memory).
const keystoneCacheLimit = 10000

// NewKeystone checks the URL.
func NewKeystone(cfg KeystoneConfig) (*Keystone, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("--keystone-url %q: give Keystone's identity endpoint, such as https://keystone.example.com:5000/v3", cfg.URL)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.MaxCache <= 0 {
		cfg.MaxCache = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	base := strings.TrimSuffix(cfg.URL, "/")
	if !strings.HasSuffix(base, "/v3") {
		base += "/v3"
	}
	return &Keystone{cfg: cfg, tokenURL: base + "/auth/tokens", cache: map[[32]byte]keystoneEntry{}}, nil
}

// keystoneToken is the part of Keystone's token response Krake reads.
type keystoneToken struct {
	Token struct {
		ExpiresAt time.Time `json:"expires_at"`
		User      struct {
			Name string `json:"name"`
		} `json:"user"`
		Roles []struct {
			Name string `json:"name"`
		} `json:"roles"`
		Project *struct {
			Name string `json:"name"`
		} `json:"project"`
	} `json:"token"`
}

// Authenticate validates the token with Keystone, or from the cache.
func (k *Keystone) Authenticate(r *http.Request) (User, error) {
	token := strings.TrimSpace(r.Header.Get("X-Auth-Token"))
	if token == "" {
		var ok bool
		if token, ok = bearer(r); !ok {
			return User{}, ErrNoCredentials
		}
	}
	key := sha256.Sum256([]byte(token))
	now := k.cfg.Now()
	k.mu.Lock()
	e, hit := k.cache[key]
	k.mu.Unlock()
	if hit && now.Before(e.until) {
		return e.user, nil
	}
	u, expires, err := k.validate(r, token)
	if err != nil {
		return User{}, err
	}
	until := expires
	if limit := now.Add(k.cfg.MaxCache); limit.Before(until) {
		until = limit
	}
	k.remember(key, keystoneEntry{user: u, until: until}, now)
	return u, nil
}

func (k *Keystone) remember(key [32]byte, e keystoneEntry, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.cache) >= keystoneCacheLimit {
		for h, old := range k.cache {
			if !now.Before(old.until) {
				delete(k.cache, h)
			}
		}
		if len(k.cache) >= keystoneCacheLimit {
			clear(k.cache)
		}
	}
	k.cache[key] = e
}

// validate asks Keystone. The token validates itself (Keystone lets a
// token's own user read it), so Krake needs no service account.
func (k *Keystone) validate(r *http.Request, token string) (User, time.Time, error) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, k.tokenURL, nil)
	if err != nil {
		return User{}, time.Time{}, err
	}
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("X-Subject-Token", token)
	req.Header.Set("Accept", "application/json")
	resp, err := k.cfg.Client.Do(req)
	if err != nil {
		return User{}, time.Time{}, fmt.Errorf("%w: Keystone at %s cannot be reached to check the token", ErrUnauthenticated, k.cfg.URL)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden:
		return User{}, time.Time{}, ErrNoCredentials // not a valid Keystone token: perhaps nobody's
	case resp.StatusCode != http.StatusOK:
		return User{}, time.Time{}, fmt.Errorf("%w: Keystone answered %s when checking the token", ErrUnauthenticated, resp.Status)
	}
	var body keystoneToken
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return User{}, time.Time{}, fmt.Errorf("%w: Keystone's token answer cannot be read: %v", ErrUnauthenticated, err)
	}
	t := body.Token
	if t.User.Name == "" || t.ExpiresAt.IsZero() {
		return User{}, time.Time{}, fmt.Errorf("%w: Keystone's token answer has no user name or expiry", ErrUnauthenticated)
	}
	if !k.cfg.Now().Before(t.ExpiresAt) {
		return User{}, time.Time{}, ErrNoCredentials
	}
	groups := make([]string, 0, len(t.Roles)+1)
	for _, role := range t.Roles {
		groups = append(groups, "keystone:"+role.Name)
	}
	if t.Project != nil && t.Project.Name != "" {
		groups = append(groups, "keystone:project:"+t.Project.Name)
	}
	return User{Name: t.User.Name, Groups: groups}, t.ExpiresAt, nil
}
