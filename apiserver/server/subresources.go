package server

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/julienschmidt/httprouter"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/store"
)

// subresource serves PUT .../{name}/{sub}.
func (s *Server) subresource(k api.Kind, sub string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
		ns, name := p.ByName("namespace"), p.ByName("name")
		dryRun, err := queryBool(r, "dry_run")
		if err != nil {
			return err
		}
		var mutate store.MutateFunc
		var expected int64
		switch sub {
		case api.SubStatus:
			mutate, expected, err = s.statusUpdate(w, r, k)
		case api.SubBinding:
			if _, cluster := k.New().(*api.Cluster); cluster {
				mutate, err = s.cloudBinding(w, r) // a created cluster's cloud
			} else {
				mutate, err = s.binding(w, r)
			}
		case api.SubComplete:
			mutate, err = s.hookCallback(w, r, k, ns, name, api.HookComplete)
		case api.SubShutdown:
			mutate, err = s.hookCallback(w, r, k, ns, name, api.HookShutdown)
		case api.SubRetry:
			mutate = s.retry(k, ns, name)
		default:
			return errorf(http.StatusNotFound, "unknown subresource %s", sub)
		}
		if err != nil {
			return err
		}
		var result api.Object
		obj, _, err := s.store.GuaranteedUpdate(r.Context(), k, ns, name, expected, func(current api.Object) error {
			if err := mutate(current); err != nil {
				return err
			}
			result = current
			if dryRun {
				return errDryRun
			}
			return nil
		})
		switch {
		case errors.Is(err, errDryRun):
			return s.writeObject(w, r, k, result)
		case err != nil:
			return storeError(err, k, ns, name, expected)
		}
		if app, ok := obj.(*api.Application); ok && sub == api.SubRetry && app.Status.State == api.StateTranslating {
			s.fetchTemplate(ns, name)
		}
		return s.writeObject(w, r, k, obj)
	}
}

// statusUpdate replaces the status (the controllers' view); spec and
// metadata stay.
func (s *Server) statusUpdate(w http.ResponseWriter, r *http.Request, k api.Kind) (store.MutateFunc, int64, error) {
	data, err := s.readBody(w, r, false)
	if err != nil {
		return nil, 0, err
	}
	body := k.New()
	if err := decodeJSON(data, body); err != nil {
		return nil, 0, err
	}
	expected, err := store.ParseResourceVersion(body.GetMetadata().ResourceVersion)
	if err != nil {
		return nil, 0, api.FieldErrors{{Field: "metadata.resource_version", Reason: err.Error()}}
	}
	api.Normalize(k, body)
	return func(current api.Object) error {
		api.CopyStatus(current, body)
		return api.Validate(k, current)
	}, expected, nil
}

// binding records the scheduler's choice: scheduled_to, scheduled, and the
// cluster as an owner of the application.
func (s *Server) binding(w http.ResponseWriter, r *http.Request) (store.MutateFunc, error) {
	data, err := s.readBody(w, r, false)
	if err != nil {
		return nil, err
	}
	var b api.Binding
	if err := decodeJSON(data, &b); err != nil {
		return nil, err
	}
	if err := api.ValidateBinding(&b); err != nil {
		return nil, err
	}
	return func(current api.Object) error {
		app := current.(*api.Application)
		if app.Metadata.Deleted != nil {
			return errorf(http.StatusConflict, "application %q is being deleted and cannot be bound", app.Metadata.Name)
		}
		cluster := b.Cluster
		app.Status.ScheduledTo = &cluster
		app.Status.Scheduled = api.NewTimePtr(s.now())
		app.Status.KubeControllerTriggered = nil
		app.Status.AutoClusterCreateStarted = nil // bound: no longer waiting for a created cluster
		// The app belongs to the cluster it is bound to, and only that one:
		// a re-binding (migration) moves the owner too.
		app.Metadata.Owners = slices.DeleteFunc(app.Metadata.Owners, func(o api.ResourceRef) bool {
			return o.API == "kubernetes" && o.Kind == "Cluster"
		})
		app.Metadata.Owners = append(app.Metadata.Owners, cluster)
		return nil
	}, nil
}

// cloudBinding records the scheduler's choice of a cloud for a cluster
// Krake creates: scheduled_to, scheduled, and the cloud as the cluster's
// owner (deleting the cloud deletes its clusters, as in the original).
func (s *Server) cloudBinding(w http.ResponseWriter, r *http.Request) (store.MutateFunc, error) {
	data, err := s.readBody(w, r, false)
	if err != nil {
		return nil, err
	}
	var b api.CloudBinding
	if err := decodeJSON(data, &b); err != nil {
		return nil, err
	}
	if err := api.ValidateCloudBinding(&b); err != nil {
		return nil, err
	}
	return func(current api.Object) error {
		cl := current.(*api.Cluster)
		switch {
		case cl.Metadata.Deleted != nil:
			return errorf(http.StatusConflict, "cluster %q is being deleted and cannot be bound", cl.Metadata.Name)
		case !cl.Created():
			return errorf(http.StatusConflict, "cluster %q is registered (it has no TOSCA template): only a cluster Krake creates is bound to a cloud", cl.Metadata.Name)
		case b.Cloud.Kind == "Cloud" && b.Cloud.Namespace != cl.Metadata.Namespace:
			return api.FieldErrors{{Field: "cloud.namespace", Reason: fmt.Sprintf("%q is not the cluster's namespace %q", b.Cloud.Namespace, cl.Metadata.Namespace)}}
		}
		cloud := b.Cloud
		if cloud.Kind == "GlobalCloud" {
			cloud.Namespace = ""
		}
		cl.Status.ScheduledTo = &cloud
		cl.Status.Scheduled = api.NewTimePtr(s.now())
		cl.Metadata.Owners = slices.DeleteFunc(cl.Metadata.Owners, func(o api.ResourceRef) bool {
			return o.API == "infrastructure" && (o.Kind == "Cloud" || o.Kind == "GlobalCloud")
		})
		cl.Metadata.Owners = append(cl.Metadata.Owners, cloud)
		return nil
	}, nil
}

// hookCallback serves the complete and shutdown hooks: the workload calls
// back with the token Krake injected. complete deletes the application;
// shutdown tells the controller it may go on.
func (s *Server) hookCallback(w http.ResponseWriter, r *http.Request, k api.Kind, ns, name, hook string) (store.MutateFunc, error) {
	data, err := s.readBody(w, r, false)
	if err != nil {
		return nil, err
	}
	var body api.HookToken
	if err := decodeJSON(data, &body); err != nil {
		return nil, err
	}
	return func(current api.Object) error {
		app := current.(*api.Application)
		expected := app.Status.CompleteToken
		if hook == api.HookShutdown {
			expected = app.Status.ShutdownToken
		}
		if !slices.Contains(app.Spec.Hooks, hook) || expected == nil {
			return errorf(http.StatusUnauthorized, "the %s hook is not enabled for %s", hook, describe(k, ns, name))
		}
		if subtle.ConstantTimeCompare([]byte(*expected), []byte(body.Token)) != 1 {
			return errorf(http.StatusUnauthorized, "the %s token does not match", hook)
		}
		if hook == api.HookComplete {
			if app.Metadata.Deleted == nil {
				markDeleted(app, s.now())
			}
			return nil
		}
		if app.Status.State != api.StateWaitingForCleaning {
			return titledf(http.StatusConflict, TitleInvalidState, "%s is %s: Krake is not waiting for its shutdown (it calls the workload first, then waits for this callback)",
				describe(k, ns, name), app.Status.State)
		}
		app.Status.State = api.StateReadyForAction
		return nil
	}, nil
}

// retry restarts a failed or degraded application from scratch.
func (s *Server) retry(k api.Kind, ns, name string) store.MutateFunc {
	return func(current api.Object) error {
		app := current.(*api.Application)
		if st := app.Status.State; st != api.StateFailed && st != api.StateDegraded {
			return titledf(http.StatusConflict, TitleInvalidState, "%s is %s; only FAILED or DEGRADED applications can be retried",
				describe(k, ns, name), st)
		}
		app.Status.State = api.StatePending
		switch {
		case app.Metadata.Deleted != nil:
			app.Status.State = api.StateDeleting
		case len(app.Spec.Manifest) == 0 && api.FetchesTemplate(app.Spec):
			app.Status.State = api.StateTranslating // its template failed: fetch it again
		}
		app.Status.Reason = nil
		app.Status.Retries = 0
		app.Status.Shutdown = nil // a shutdown that gave up starts again
		app.Status.KubeControllerTriggered = api.NewTimePtr(s.now())
		return nil
	}
}
