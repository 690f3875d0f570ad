package auth_test

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/auth"
)

// unreachableIssuer is a loopback port nothing listens on.
const unreachableIssuer = "http://127.0.0.1:1/"

// jwtWithIssuer is a JWT-shaped string (unsigned) naming iss.
func jwtWithIssuer(iss string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(`{"iss":"`+iss+`","sub":"x"}`)) + ".c2ln"
}

// TestNewOIDC_config: the flags are checked at start-up, with the flag
// named in the message.
func TestNewOIDC_config(t *testing.T) {
	for _, tt := range []struct {
		cfg  auth.OIDCConfig
		want string
	}{
		{auth.OIDCConfig{IssuerURL: "https://idp.example.com"}, "--oidc-client-id is required"},
		{auth.OIDCConfig{IssuerURL: "idp.example.com", ClientID: "k"}, "--oidc-issuer-url"},
		{auth.OIDCConfig{IssuerURL: "http://idp.example.com", ClientID: "k"}, "must use https"},
		{auth.OIDCConfig{IssuerURL: "https://idp.example.com", ClientID: "k", CAFile: "/nonexistent/ca.pem"}, "--oidc-ca-file"},
	} {
		if _, err := auth.NewOIDC(t.Context(), tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewOIDC(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

// TestOIDC_routing: only tokens of the configured issuer are the OIDC
// authenticator's; while its issuer cannot be reached they get a 401 that
// says so. (Real tokens: e2e TestOIDC against a real provider.)
func TestOIDC_routing(t *testing.T) {
	o, err := auth.NewOIDC(t.Context(), auth.OIDCConfig{IssuerURL: unreachableIssuer, ClientID: "krake"})
	if err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]error{
		"":                                      auth.ErrNoCredentials,
		"opaque-token":                          auth.ErrNoCredentials,
		jwtWithIssuer("https://other.example/"): auth.ErrNoCredentials,
		jwtWithIssuer(unreachableIssuer):        auth.ErrUnauthenticated,
	} {
		r := httptest.NewRequest("GET", "/me", nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		_, err := o.Authenticate(r)
		if !errors.Is(err, want) {
			t.Errorf("token %q: %v, want %v", token, err, want)
		}
		if want == auth.ErrUnauthenticated && (err == nil || !strings.Contains(err.Error(), "cannot be reached")) {
			t.Errorf("token of the unreachable issuer: %v, want it to say the issuer cannot be reached", err)
		}
	}
}
