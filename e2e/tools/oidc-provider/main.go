// Command oidc-provider is a real OpenID provider for Krake's tests, made
// with zitadel/oidc's op package and its example storage: it serves
// discovery, JWKS, the authorization-code flow and the token endpoint on
// 127.0.0.1 only, with users, groups and clients read from a JSON file.
// Each start makes a new signing key, so a restart on the same address is
// a key rotation.
//
// It is its own module so that the OP's dependencies stay out of Krake's.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// config is the JSON file the tests write.
type config struct {
	Users []struct {
		ID       string   `json:"id"`
		Password string   `json:"password"`
		Groups   []string `json:"groups"`
	} `json:"users"`
	Clients []struct {
		ID                     string `json:"id"`
		Secret                 string `json:"secret"`
		RedirectURI            string `json:"redirectURI"`
		IDTokenLifetimeSeconds int    `json:"idTokenLifetimeSeconds"`
	} `json:"clients"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address (loopback only)")
	configFile := flag.String("config", "", "users and clients (JSON)")
	certFile := flag.String("tls-cert", "", "serve HTTPS with this certificate")
	keyFile := flag.String("tls-key", "", "and this key")
	flag.Parse()
	if err := run(*listen, *configFile, *certFile, *keyFile); err != nil {
		log.Fatal(err)
	}
}

func run(listen, configFile, certFile, keyFile string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("--listen %q: a loopback address is required", listen)
	}
	raw, err := os.ReadFile(configFile)
	if err != nil {
		return err
	}
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("%s: %w", configFile, err)
	}
	users := userStore{byID: map[string]*storage.User{}}
	groups := map[string][]string{}
	for _, u := range cfg.Users {
		users.byID[u.ID] = &storage.User{ID: u.ID, Username: u.ID, Password: u.Password, PreferredLanguage: language.English}
		groups[u.ID] = u.Groups
	}
	clients := map[string]*storage.Client{}
	lifetimes := map[string]time.Duration{}
	for _, c := range cfg.Clients {
		clients[c.ID] = storage.WebClient(c.ID, c.Secret, c.RedirectURI)
		if c.IDTokenLifetimeSeconds > 0 {
			lifetimes[c.ID] = time.Duration(c.IDTokenLifetimeSeconds) * time.Second
		}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	scheme := "http"
	if certFile != "" {
		scheme = "https"
	}
	issuer := fmt.Sprintf("%s://%s/", scheme, ln.Addr())
	store := &groupStorage{Storage: storage.NewStorageWithClients(users, clients), groups: groups, lifetimes: lifetimes}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	router := exampleop.SetupServer(issuer, store, logger, false)
	fmt.Println(issuer) // the tests read the issuer from the first line
	srv := &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}
	if certFile != "" {
		return srv.ServeTLS(ln, certFile, keyFile)
	}
	return srv.Serve(ln)
}

// userStore is the example storage's user lookup over the config's users.
type userStore struct{ byID map[string]*storage.User }

func (s userStore) GetUserByID(id string) *storage.User { return s.byID[id] }
func (s userStore) GetUserByUsername(name string) *storage.User {
	return s.byID[name]
}
func (s userStore) ExampleClientID() string { return "service" }

// groupStorage adds a "groups" claim (for the "groups" scope) and
// per-client ID token lifetimes to the example storage.
type groupStorage struct {
	*storage.Storage
	groups    map[string][]string
	lifetimes map[string]time.Duration
}

func (s *groupStorage) SetUserinfoFromScopes(ctx context.Context, info *oidc.UserInfo, userID, clientID string, scopes []string) error {
	if err := s.Storage.SetUserinfoFromScopes(ctx, info, userID, clientID, scopes); err != nil {
		return err
	}
	for _, scope := range scopes {
		if scope == "groups" {
			info.AppendClaims("groups", s.groups[userID])
		}
	}
	return nil
}

func (s *groupStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return testClient{Client: c, lifetime: s.lifetimes[id]}, nil
}

// testClient lets a client ask for the "groups" scope and overrides its
// ID token lifetime when one is configured.
type testClient struct {
	op.Client
	lifetime time.Duration
}

func (c testClient) IDTokenLifetime() time.Duration {
	if c.lifetime > 0 {
		return c.lifetime
	}
	return c.Client.IDTokenLifetime()
}

func (c testClient) IsScopeAllowed(scope string) bool {
	return scope == "groups" || c.Client.IsScopeAllowed(scope)
}
