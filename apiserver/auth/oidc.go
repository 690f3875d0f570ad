package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	json "github.com/go-json-experiment/json/v1"
)

// OIDCConfig configures the OpenID Connect authenticator (kube-apiserver's
// --oidc-* flags). Keycloak, Dex and any other OpenID provider fit.
type OIDCConfig struct {
	IssuerURL     string
	ClientID      string // the audience the ID tokens must name
	UsernameClaim string // "sub" when empty
	GroupsClaim   string // "groups" when empty
	CAFile        string // the issuer's CA; the system pool when empty
	// Now is the verifier's clock (tests); time.Now when nil.
	Now func() time.Time
}

// OIDC authenticates OpenID Connect ID tokens sent as bearer tokens. The
// issuer's keys come from its discovery document and JWKS; go-oidc caches
// them and fetches them again when a token names an unknown key.
type OIDC struct {
	cfg OIDCConfig

	mu       sync.RWMutex
	verifier *oidc.IDTokenVerifier // nil until discovery succeeded
	lastErr  error
}

var _ Authenticator = (*OIDC)(nil)

// NewOIDC checks the configuration and starts discovery, which is retried
// in the background until it succeeds or ctx ends, so an issuer that is
// down at start-up does not keep the API server from starting: until it
// answers, its tokens are refused with a 401 that says so.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("--oidc-client-id is required with --oidc-issuer-url: the ID tokens' audience")
	}
	u, err := url.Parse(cfg.IssuerURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("--oidc-issuer-url %q: give the issuer's URL, such as https://keycloak.example.com/realms/krake", cfg.IssuerURL)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("--oidc-issuer-url %q: the issuer must use https (plain http is only accepted on loopback)", cfg.IssuerURL)
	}
	if cfg.UsernameClaim == "" {
		cfg.UsernameClaim = "sub"
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	client, err := oidcHTTPClient(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	o := &OIDC{cfg: cfg, lastErr: errors.New("discovery has not finished")}
	go o.discover(oidc.ClientContext(ctx, client))
	return o, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func oidcHTTPClient(caFile string) (*http.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--oidc-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--oidc-ca-file %s: no PEM certificate in it", caFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: transport, Timeout: 10 * time.Second}, nil
}

// discover fetches the discovery document, retrying with back-off.
func (o *OIDC) discover(ctx context.Context) {
	delay := 500 * time.Millisecond
	for {
		provider, err := oidc.NewProvider(ctx, o.cfg.IssuerURL)
		if err == nil {
			v := provider.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, Now: o.cfg.Now})
			o.mu.Lock()
			o.verifier, o.lastErr = v, nil
			o.mu.Unlock()
			return
		}
		o.mu.Lock()
		o.lastErr = err
		o.mu.Unlock()
		slog.Warn("OIDC discovery failed; retrying", "issuer", o.cfg.IssuerURL, "err", err, "retry", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 30*time.Second)
	}
}

// Authenticate verifies a bearer token whose issuer is this one; other
// tokens (the token file's, Keystone's, another issuer's) are not its.
func (o *OIDC) Authenticate(r *http.Request) (User, error) {
	raw, ok := bearer(r)
	if !ok || unverifiedIssuer(raw) != o.cfg.IssuerURL {
		return User{}, ErrNoCredentials
	}
	o.mu.RLock()
	v, discoveryErr := o.verifier, o.lastErr
	o.mu.RUnlock()
	if v == nil {
		return User{}, fmt.Errorf("%w: the OIDC issuer %s cannot be reached to check the token (%v)", ErrUnauthenticated, o.cfg.IssuerURL, discoveryErr)
	}
	token, err := v.Verify(r.Context(), raw)
	if err != nil {
		return User{}, fmt.Errorf("%w: the OIDC token is not valid: %s", ErrUnauthenticated, verifyReason(err))
	}
	var claims map[string]any
	if err := token.Claims(&claims); err != nil {
		return User{}, fmt.Errorf("%w: the OIDC token's claims: %v", ErrUnauthenticated, err)
	}
	name, _ := claims[o.cfg.UsernameClaim].(string)
	if name == "" {
		return User{}, fmt.Errorf("%w: the OIDC token has no string claim %q (the user; see --oidc-username-claim)", ErrUnauthenticated, o.cfg.UsernameClaim)
	}
	groups, err := stringsClaim(claims[o.cfg.GroupsClaim])
	if err != nil {
		return User{}, fmt.Errorf("%w: the OIDC token's claim %q (see --oidc-groups-claim): %v", ErrUnauthenticated, o.cfg.GroupsClaim, err)
	}
	return User{Name: name, Groups: groups}, nil
}

// verifyReason says why go-oidc refused a token, in a stable sentence.
func verifyReason(err error) string {
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return "it expired at " + expired.Expiry.UTC().Format(time.RFC3339)
	}
	return strings.TrimPrefix(err.Error(), "oidc: ")
}

// stringsClaim reads a groups claim: a list of strings, one string, or
// nothing.
func stringsClaim(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return []string{}, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, g := range v {
			s, ok := g.(string)
			if !ok {
				return nil, fmt.Errorf("want strings, found %T", g)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list of strings, found %T", v)
}

// unverifiedIssuer reads the iss claim of a JWT without checking it: only
// to route the token to its authenticator, which then verifies it.
func unverifiedIssuer(raw string) string {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Issuer
}
