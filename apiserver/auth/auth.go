// Package auth decides who a request comes from (authentication) and
// whether they may do what they ask (authorization). Both are interfaces so
// that TLS client certificates, tokens and RBAC over api.Role plug in
// without touching the server; for now Krake ships a static user and an
// allow-all authorizer.
package auth

import (
	"context"
	"errors"
	"net/http"
)

// User is an authenticated caller.
type User struct {
	Name   string   `json:"user"`
	Groups []string `json:"groups"`
}

// Anonymous is the user of unauthenticated requests.
var Anonymous = User{Name: "system:anonymous", Groups: []string{}}

// Errors an Authenticator or Authorizer returns; the server answers them
// with 401 and 403.
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrForbidden       = errors.New("forbidden")
)

// Authenticator finds the user of a request, or returns ErrUnauthenticated.
type Authenticator interface {
	Authenticate(r *http.Request) (User, error)
}

// Attributes describe one request for authorization.
type Attributes struct {
	User      User
	Verb      string // get, list, watch, create, update, delete
	API       string // kubernetes, core, infrastructure
	Resource  string // plural, with "/status" etc. for subresources
	Namespace string
	Name      string
}

// Authorizer allows a request or returns an error wrapping ErrForbidden.
type Authorizer interface {
	Authorize(ctx context.Context, attrs Attributes) error
}

// Static authenticates every request as one user: the single-user mode of
// a local `krakectl serve`.
type Static struct{ User User }

var _ Authenticator = Static{}

// Authenticate returns the static user.
func (s Static) Authenticate(*http.Request) (User, error) { return s.User, nil }

// AdminUser is the user of the static mode, as in the original.
var AdminUser = User{Name: "system:admin", Groups: []string{"system:masters"}}

// AllowAll allows every request.
type AllowAll struct{}

var _ Authorizer = AllowAll{}

// Authorize allows everything.
func (AllowAll) Authorize(context.Context, Attributes) error { return nil }

type userKey struct{}

// WithUser stores the request's user in its context (request-scoped data).
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the request's user, or Anonymous.
func UserFrom(ctx context.Context) User {
	if u, ok := ctx.Value(userKey{}).(User); ok {
		return u
	}
	return Anonymous
}
