package auth_test

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/auth"
)

func TestChain(t *testing.T) {
	tokens, err := auth.ParseTokens(strings.NewReader("tok-alice,alice,1,\"team-a,viewers\"\n# a comment\ntok-bob,bob,2\n"), "tokens.csv")
	if err != nil {
		t.Fatal(err)
	}
	cert := &x509.Certificate{Subject: pkix.Name{CommonName: "carol", Organization: []string{"ops"}}}
	tests := []struct {
		name       string
		chain      auth.Chain
		token      string
		cert       *x509.Certificate
		wantUser   string
		wantGroups string
		wantErr    string
	}{
		{"token with groups", auth.Chain{auth.ClientCert{}, tokens}, "tok-alice", nil, "alice", "team-a,viewers", ""},
		{"token without groups", auth.Chain{tokens}, "tok-bob", nil, "bob", "", ""},
		{"client certificate first", auth.Chain{auth.ClientCert{}, tokens}, "tok-alice", cert, "carol", "ops", ""},
		{"unknown token", auth.Chain{auth.ClientCert{}, tokens}, "tok-mallory", nil, "", "", "no valid credentials"},
		{"no credentials", auth.Chain{auth.ClientCert{}, tokens}, "", nil, "", "", "no valid credentials"},
		{"anonymous at the end", auth.Chain{tokens, auth.AnonymousAuth{}}, "", nil, "system:anonymous", "", ""},
		{"a bad token is not anonymous", auth.Chain{tokens, auth.AnonymousAuth{}}, "tok-mallory", nil, "", "", "not valid"},
		{"certificate without a common name", auth.Chain{auth.ClientCert{}}, "", &x509.Certificate{}, "", "", "no common name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/me", nil)
			if tt.token != "" {
				r.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.cert != nil {
				r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{tt.cert}}}
			}
			u, err := tt.chain.Authenticate(r)
			if tt.wantErr != "" {
				if !errors.Is(err, auth.ErrUnauthenticated) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Authenticate = %v, %v; want ErrUnauthenticated with %q", u, err, tt.wantErr)
				}
				return
			}
			if err != nil || u.Name != tt.wantUser || strings.Join(u.Groups, ",") != tt.wantGroups {
				t.Errorf("Authenticate = %+v, %v; want %s in %q", u, err, tt.wantUser, tt.wantGroups)
			}
		})
	}
}

func TestParseTokens_errors(t *testing.T) {
	for content, want := range map[string]string{
		"tok,alice\n":          "want token,user,uid",
		",alice,1\n":           "must not be empty",
		"t,a,1\nt,b,2\n":       "appears twice",
		"# nothing\n":          "holds no token",
		"t,\"unterminated,1\n": "tokens.csv",
	} {
		if _, err := auth.ParseTokens(strings.NewReader(content), "tokens.csv"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTokens(%q) = %v, want %q", content, err, want)
		}
	}
}

// FuzzParseTokens: any token file content is parsed or refused with an
// error, never a panic.
func FuzzParseTokens(f *testing.F) {
	f.Add("tok,alice,1,\"a,b\"\n")
	f.Add("a,b,c\nd,e,f,g\n")
	f.Add("\"x\"\"y\",u,1\n")
	f.Fuzz(func(t *testing.T, content string) {
		_, _ = auth.ParseTokens(strings.NewReader(content), "fuzz")
	})
}

// FuzzAuthorizationHeader: any Authorization header gets a user or
// ErrUnauthenticated, never a panic, through the whole chain (OIDC with
// an issuer that is not reachable, Keystone that knows no token).
func FuzzAuthorizationHeader(f *testing.F) {
	tokens := auth.NewTokens(map[string]auth.User{"tok": {Name: "alice"}})
	oidc, err := auth.NewOIDC(f.Context(), auth.OIDCConfig{IssuerURL: unreachableIssuer, ClientID: "krake"})
	if err != nil {
		f.Fatal(err)
	}
	keystone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }))
	f.Cleanup(keystone.Close)
	ks, err := auth.NewKeystone(auth.KeystoneConfig{URL: keystone.URL + "/v3"})
	if err != nil {
		f.Fatal(err)
	}
	chain := auth.Chain{auth.ClientCert{}, tokens, oidc, ks}
	f.Add("Bearer tok")
	f.Add("Bearer " + jwtWithIssuer(unreachableIssuer))
	f.Add("Bearer a.b.c")
	f.Add("bearer   tok  ")
	f.Add("Basic dXNlcjpwYXNz")
	f.Add("Bearer")
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", header)
		u, err := chain.Authenticate(r)
		if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("header %q: %v", header, err)
		}
		if err == nil && u.Name != "alice" {
			t.Fatalf("header %q authenticated %+v", header, u)
		}
	})
}
