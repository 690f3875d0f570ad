package app

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuthenticator_modes(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("tok,alice,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		tls      TLSConfig
		auth     AuthConfig
		token    string
		wantUser string // "" means refused
	}{
		{"nothing configured: every request is system:admin (the local mode)", TLSConfig{}, AuthConfig{}, "", "system:admin"},
		{"a token file: no token is refused", TLSConfig{}, AuthConfig{TokenFile: tokens}, "", ""},
		{"a token file: its token is its user", TLSConfig{}, AuthConfig{TokenFile: tokens}, "tok", "alice"},
		{"a client CA: no certificate is refused", TLSConfig{ClientCAFile: "ca.pem"}, AuthConfig{}, "", ""},
		{"the static user beside a token file", TLSConfig{}, AuthConfig{TokenFile: tokens, StaticUser: "dev"}, "", "dev"},
		{"anonymous", TLSConfig{}, AuthConfig{TokenFile: tokens, AllowAnonymous: true}, "", "system:anonymous"},
		{"anonymous without other authentication", TLSConfig{}, AuthConfig{AllowAnonymous: true}, "", "system:anonymous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			self, err := newSelfIdentities()
			if err != nil {
				t.Fatal(err)
			}
			authn, err := authenticator(t.Context(), tt.tls, tt.auth, self)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/me", nil)
			if tt.token != "" {
				r.Header.Set("Authorization", "Bearer "+tt.token)
			}
			u, err := authn.Authenticate(r)
			if tt.wantUser == "" {
				if err == nil {
					t.Errorf("authenticated %+v, want a refusal", u)
				}
			} else if err != nil || u.Name != tt.wantUser {
				t.Errorf("user %+v, %v; want %s", u, err, tt.wantUser)
			}
			// Krake's own parts always get in, each as itself.
			for name, want := range map[string]string{"scheduler": "system:scheduler", "gc": "system:gc", "": "system:controller-informers", apiserverSelf: "system:apiserver"} {
				r.Header.Set("Authorization", "Bearer "+self.token(name))
				if u, err := authn.Authenticate(r); err != nil || u.Name != want {
					t.Errorf("%s's token: %+v, %v; want %s", want, u, err, want)
				}
			}
		})
	}
}

func TestCheckExposure(t *testing.T) {
	tlsOn := TLSConfig{CertFile: "c", KeyFile: "k", ClientCAFile: "ca"}
	for _, tc := range []struct {
		listen string
		tls    TLSConfig
		auth   AuthConfig
		want   string // "" means allowed
	}{
		{"127.0.0.1:8080", TLSConfig{}, AuthConfig{}, ""},
		{"localhost:8080", TLSConfig{}, AuthConfig{AllowAnonymous: true}, ""},
		{"[::1]:8080", TLSConfig{}, AuthConfig{}, ""},
		{"0.0.0.0:8080", TLSConfig{}, AuthConfig{}, "without TLS"},
		{"10.0.0.5:8080", tlsOn, AuthConfig{}, ""},
		{"10.0.0.5:8080", TLSConfig{CertFile: "c", KeyFile: "k"}, AuthConfig{}, "need no credentials"},
		{"10.0.0.5:8080", tlsOn, AuthConfig{StaticUser: "dev"}, "need no credentials"},
		{"10.0.0.5:8080", TLSConfig{}, AuthConfig{Insecure: true}, ""},
		{"8080", TLSConfig{}, AuthConfig{}, "host:port"},
	} {
		err := checkExposure(tc.listen, tc.tls, tc.auth)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("checkExposure(%s, %+v, %+v) = %v, want %q", tc.listen, tc.tls, tc.auth, err, tc.want)
		}
	}
}

func TestServerTLS_requireNeedsCA(t *testing.T) {
	if _, err := serverTLS(TLSConfig{CertFile: "c", KeyFile: "k", RequireClientCert: true}, nil); err == nil {
		t.Error("serverTLS accepted missing files")
	}
	if _, err := serverTLS(TLSConfig{CertFile: "c"}, nil); err == nil || !strings.Contains(err.Error(), "go together") {
		t.Errorf("a certificate without a key: %v", err)
	}
}
