package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"

	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/controllers"
)

// AuthConfig says who may talk to the API.
type AuthConfig struct {
	// TokenFile holds bearer tokens (token,user,uid,"group1,group2").
	TokenFile string
	// OIDC authenticates ID tokens of this issuer when IssuerURL is set.
	OIDC auth.OIDCConfig
	// KeystoneURL validates Keystone tokens with this Keystone.
	KeystoneURL string
	// StaticUser authenticates every request as this user, in the group
	// system:masters (development only). With no other authenticator
	// configured, every request is system:admin, as before.
	StaticUser     string
	AllowAnonymous bool
	// Insecure allows listening beyond loopback without TLS or with the
	// static user or anonymous access.
	Insecure bool
	// Authorization is always-allow, always-deny or rbac; "" means rbac
	// when authentication is configured, else always-allow.
	Authorization string
}

// authorizationMode resolves the mode.
func (c AuthConfig) authorizationMode(tlsCfg TLSConfig) (string, error) {
	switch c.Authorization {
	case "always-allow", "always-deny", "rbac":
		return c.Authorization, nil
	case "":
		if c.credentialsConfigured(tlsCfg) {
			return "rbac", nil
		}
		return "always-allow", nil
	}
	return "", fmt.Errorf("--authorization %q: use always-allow, always-deny or rbac", c.Authorization)
}

// credentialsConfigured says whether requests must prove who they are:
// a client CA, a token file, OIDC or Keystone.
func (c AuthConfig) credentialsConfigured(tlsCfg TLSConfig) bool {
	return tlsCfg.ClientCAFile != "" || c.TokenFile != "" || c.OIDC.IssuerURL != "" || c.KeystoneURL != ""
}

// selfIdentities are the users of Krake's own parts inside one process:
// the API server itself (system:masters, to create the base roles) and
// each controller with its least-privilege role. They authenticate with
// tokens made at start-up that never leave the process.
type selfIdentities struct {
	tokens map[string]string // controller name ("" informers, apiserverSelf) -> token
	users  map[string]auth.User
}

// apiserverSelf names the API server's own identity among selfIdentities.
const apiserverSelf = "\x00apiserver"

var apiserverUser = auth.User{Name: "system:apiserver", Groups: []string{auth.MastersGroup}}

func newSelfIdentities() (*selfIdentities, error) {
	ids := &selfIdentities{tokens: map[string]string{}, users: map[string]auth.User{}}
	names := append([]string{"", apiserverSelf}, controllers.Names()...)
	for _, name := range names {
		token, err := randomToken()
		if err != nil {
			return nil, err
		}
		u := auth.User{Name: controllers.User(name), Groups: []string{"system:controllers"}}
		if name == apiserverSelf {
			u = apiserverUser
		}
		ids.tokens[name], ids.users[token] = token, u
	}
	return ids, nil
}

// token is the named part's token ("" for the shared informers).
func (ids *selfIdentities) token(name string) string { return ids.tokens[name] }

// authenticator builds the chain: Krake's own parts' tokens, client
// certificates (when a client CA is set), the token file, OIDC, Keystone, then
// the static user or anonymous access. ctx bounds OIDC discovery.
func authenticator(ctx context.Context, tlsCfg TLSConfig, cfg AuthConfig, self *selfIdentities) (auth.Authenticator, error) {
	// Krake's own tokens first: an in-process client may also present the
	// transport certificate that --require-client-cert asks of it.
	chain := auth.Chain{auth.NewTokens(self.users)}
	configured := false
	if tlsCfg.ClientCAFile != "" {
		chain = append(chain, auth.ClientCert{})
		configured = true
	}
	if cfg.TokenFile != "" {
		tokens, err := auth.LoadTokenFile(cfg.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("--token-auth-file: %w", err)
		}
		chain = append(chain, tokens)
		configured = true
	}
	if cfg.OIDC.IssuerURL != "" {
		oidc, err := auth.NewOIDC(ctx, cfg.OIDC)
		if err != nil {
			return nil, err
		}
		chain = append(chain, oidc)
		configured = true
	}
	if cfg.KeystoneURL != "" {
		keystone, err := auth.NewKeystone(auth.KeystoneConfig{URL: cfg.KeystoneURL})
		if err != nil {
			return nil, err
		}
		chain = append(chain, keystone)
		configured = true
	}
	switch {
	case cfg.StaticUser != "":
		chain = append(chain, auth.Static{User: auth.User{Name: cfg.StaticUser, Groups: []string{auth.MastersGroup}}})
	case !configured && !cfg.AllowAnonymous:
		chain = append(chain, auth.Static{User: auth.AdminUser}) // no authentication set up: today's local mode
	}
	if cfg.AllowAnonymous {
		chain = append(chain, auth.AnonymousAuth{})
	}
	return chain, nil
}

// checkExposure refuses a listener beyond loopback that anyone on the
// network could use: one without TLS, or where requests need no
// credentials (the static user, anonymous access).
func checkExposure(listen string, tlsCfg TLSConfig, cfg AuthConfig) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: give host:port, such as 127.0.0.1:8080", listen)
	}
	if isLoopbackHost(host) || cfg.Insecure {
		return nil
	}
	openAccess := cfg.StaticUser != "" || cfg.AllowAnonymous || !cfg.credentialsConfigured(tlsCfg)
	switch {
	case !tlsCfg.Enabled():
		return fmt.Errorf("refusing to listen on %s without TLS: give --tls-cert and --tls-key (or --insecure to accept the risk)", listen)
	case openAccess:
		return errors.New("refusing to listen on " + listen + " where requests need no credentials: configure --client-ca, --token-auth-file, --oidc-issuer-url or --keystone-url, drop --static-user/--allow-anonymous (or --insecure to accept the risk)")
	}
	return nil
}

func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
