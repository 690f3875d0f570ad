package auth

import (
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
)

// ErrNoCredentials is an authenticator's "not mine": the request carries
// no credential of its kind, so the chain tries the next one.
var ErrNoCredentials = errors.New("no credentials")

// Chain tries authenticators in order: the first that knows the
// request's credential decides (a bad credential is refused, not passed
// on); when none knows it, the request is unauthenticated.
type Chain []Authenticator

var _ Authenticator = Chain(nil)

// Authenticate returns the first authenticator's user.
func (c Chain) Authenticate(r *http.Request) (User, error) {
	for _, a := range c {
		u, err := a.Authenticate(r)
		if errors.Is(err, ErrNoCredentials) {
			continue
		}
		return u, err
	}
	return User{}, fmt.Errorf("%w: no valid credentials (a client certificate or a bearer token)", ErrUnauthenticated)
}

// ClientCert authenticates a verified TLS client certificate: the user is
// its subject's common name, the groups its organizations (as
// kube-apiserver's). Verification itself is the TLS server's (--client-ca).
type ClientCert struct{}

var _ Authenticator = ClientCert{}

// Authenticate reads the verified chain's leaf.
func (ClientCert) Authenticate(r *http.Request) (User, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return User{}, ErrNoCredentials
	}
	leaf := r.TLS.VerifiedChains[0][0]
	if leaf.Subject.CommonName == "" {
		return User{}, fmt.Errorf("%w: the client certificate has no common name (the user)", ErrUnauthenticated)
	}
	groups := slices.Clone(leaf.Subject.Organization)
	if groups == nil {
		groups = []string{}
	}
	return User{Name: leaf.Subject.CommonName, Groups: groups}, nil
}

// Tokens authenticates bearer tokens from a static list (kube-apiserver's
// token file format: token,user,uid,"group1,group2").
type Tokens struct {
	byHash map[[32]byte]User
}

var _ Authenticator = (*Tokens)(nil)

// NewTokens returns an authenticator of the given token -> user pairs.
func NewTokens(tokens map[string]User) *Tokens {
	t := &Tokens{byHash: make(map[[32]byte]User, len(tokens))}
	for token, u := range tokens {
		t.byHash[sha256.Sum256([]byte(token))] = u
	}
	return t
}

// LoadTokenFile reads a token file: one CSV record per line, token, user,
// uid and optionally the groups as one quoted, comma-separated field.
func LoadTokenFile(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	return ParseTokens(f, path)
}

// ParseTokens parses a token file's content; name is for messages.
func ParseTokens(r io.Reader, name string) (*Tokens, error) {
	reader := csv.NewReader(r)
	reader.FieldsPerRecord = -1
	reader.Comment = '#'
	tokens := map[string]User{}
	for {
		record, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("token file %s: %w", name, err)
		}
		line, _ := reader.FieldPos(0)
		if len(record) < 3 {
			return nil, fmt.Errorf("token file %s line %d: want token,user,uid[,\"group1,group2\"], got %d fields", name, line, len(record))
		}
		token, user := strings.TrimSpace(record[0]), strings.TrimSpace(record[1])
		if token == "" || user == "" {
			return nil, fmt.Errorf("token file %s line %d: the token and the user must not be empty", name, line)
		}
		if _, dup := tokens[token]; dup {
			return nil, fmt.Errorf("token file %s line %d: a token appears twice", name, line)
		}
		groups := []string{}
		if len(record) > 3 {
			for _, g := range strings.Split(record[3], ",") {
				if g = strings.TrimSpace(g); g != "" {
					groups = append(groups, g)
				}
			}
		}
		tokens[token] = User{Name: user, Groups: groups}
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("token file %s holds no token", name)
	}
	return NewTokens(tokens), nil
}

// Authenticate looks the bearer token up by its hash: the map compares
// hashes, so its timing says nothing about the stored tokens.
func (t *Tokens) Authenticate(r *http.Request) (User, error) {
	token, ok := bearer(r)
	if !ok {
		return User{}, ErrNoCredentials
	}
	if u, ok := t.byHash[sha256.Sum256([]byte(token))]; ok {
		return u, nil
	}
	return User{}, ErrNoCredentials // perhaps another authenticator's (OIDC, Keystone)
}

// bearer is the request's bearer token.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// AnonymousAuth lets requests without credentials in as system:anonymous
// (--allow-anonymous); it belongs at the end of a chain.
type AnonymousAuth struct{}

var _ Authenticator = AnonymousAuth{}

// Authenticate returns the anonymous user, unless the request carries a
// bearer token (a bad token is refused, not taken for anonymous).
func (AnonymousAuth) Authenticate(r *http.Request) (User, error) {
	if _, ok := bearer(r); ok {
		return User{}, fmt.Errorf("%w: the bearer token is not valid", ErrUnauthenticated)
	}
	return Anonymous, nil
}
