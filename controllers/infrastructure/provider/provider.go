// Package provider is what the infrastructure controller asks of an
// infrastructure provider: create a cluster's infrastructure from its
// TOSCA template, say how it is, give its kubeconfig, bring it to a
// changed template, repair it, and delete it. One implementation per
// provider type: im (the Infrastructure Manager's REST API, as the
// original uses it) and kwok (real local control planes, ours).
package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/krake-go/krake/apiserver/api"
)

// State is a provider's view of an infrastructure, mapped from its own
// states (the original's generic states).
type State string

const (
	Pending      State = "PENDING"
	Creating     State = "CREATING"     // machines exist, not yet configured
	Configured   State = "CONFIGURED"   // the cluster is up: its kubeconfig can be read
	Unconfigured State = "UNCONFIGURED" // configuration failed: reconfigure may repair it
	Deleting     State = "DELETING"
	Failed       State = "FAILED"
)

// Provider acts on the infrastructure of clusters. cl.Status.ClusterID
// names the infrastructure for every call but Create, which returns it.
type Provider interface {
	Create(ctx context.Context, cl *api.Cluster) (id string, err error)
	State(ctx context.Context, cl *api.Cluster) (State, error)
	Kubeconfig(ctx context.Context, cl *api.Cluster) (map[string]any, error)
	// Reconcile brings the infrastructure to cl.Spec.Tosca (e.g. another
	// node count); State then says when it is done.
	Reconcile(ctx context.Context, cl *api.Cluster) error
	// Reconfigure asks the provider to repair an UNCONFIGURED one.
	Reconfigure(ctx context.Context, cl *api.Cluster) error
	// Delete starts removing the infrastructure; State answers ErrNotFound
	// once it is gone. Deleting one that is gone is no error.
	Delete(ctx context.Context, cl *api.Cluster) error
}

// Error is a provider call that failed, with the reason code the cluster's
// status gets (CREATE_FAILED, RECONCILE_FAILED, ...). Messages never hold
// credentials.
type Error struct {
	Code api.ReasonCode
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Errorf is an Error with code.
func Errorf(code api.ReasonCode, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ErrNotFound: the provider has no such infrastructure.
var ErrNotFound = &Error{Code: api.ReasonNotFound, Msg: "the infrastructure does not exist"}

// IsNotFound reports whether err says the infrastructure is gone.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == api.ReasonNotFound
}

// ReasonOf is the status reason for a provider error: its code, or
// fallback when err is no *Error.
func ReasonOf(err error, fallback api.ReasonCode) api.Reason {
	var e *Error
	if errors.As(err, &e) {
		return api.Reason{Code: e.Code, Message: e.Msg}
	}
	return api.Reason{Code: fallback, Message: err.Error()}
}

// Options are what providers need of the machine the controller runs on.
type Options struct {
	// KwokTestenv is the kube-testenv.sh script that starts and stops the
	// kwok provider's clusters (e2e/kube-testenv.sh of Krake's tree).
	KwokTestenv string
	// KwokDir holds the kwok provider's clusters' state, one directory each.
	KwokDir string
}

// For returns the provider for a cloud and the infrastructure provider it
// names.
func For(p *api.InfrastructureProvider, cloud *api.Cloud, opts Options) (Provider, error) {
	switch p.Spec.Type {
	case api.InfrastructureProviderIM:
		return newIM(p, cloud)
	case api.InfrastructureProviderKwok:
		return newKwok(opts)
	}
	return nil, Errorf(api.ReasonInvalidResource, "infrastructure provider %s has the unknown type %q", p.Metadata.Name, p.Spec.Type)
}
