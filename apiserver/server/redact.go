package server

import (
	"net/http"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/store"
)

// Credentials (kubeconfig tokens and keys, provider passwords, ...) are
// shown only to users who may get the kind's credentials subresource
// (clusters/credentials, ...) in the object's namespace; everyone else
// reads "REDACTED" in their place, in gets, lists, watches and the answers
// to writes. With the default always-allow authorizer everyone may.

// mayReadSecrets reports whether the request's user sees kind k's
// secrets in namespace ns.
func (s *Server) mayReadSecrets(r *http.Request, k api.Kind, ns string) bool {
	if !api.HasSecrets(k) {
		return true
	}
	attrs := auth.Attributes{User: auth.UserFrom(r.Context()), Verb: "get", API: k.API,
		Resource: k.Plural + "/credentials", Namespace: ns}
	return s.authz.Authorize(r.Context(), attrs) == nil
}

// presentObject is obj as the user may see it (a redacted copy if need be).
func (s *Server) presentObject(r *http.Request, k api.Kind, obj api.Object) api.Object {
	if s.mayReadSecrets(r, k, obj.GetMetadata().Namespace) {
		return obj
	}
	shown := api.DeepCopy(obj)
	api.Redact(shown)
	return shown
}

// secretsEverywhere reports whether the user sees kind k's secrets in
// every namespace (always so with the default always-allow authorizer),
// so answers need no decoding to find the namespace of each object.
func (s *Server) secretsEverywhere(r *http.Request, k api.Kind) bool {
	if !api.HasSecrets(k) {
		return true
	}
	attrs := auth.Attributes{User: auth.UserFrom(r.Context()), Verb: "get", API: k.API, Resource: k.Plural + "/credentials"}
	if filter, ok := s.authz.(auth.NamespaceFilter); ok {
		all, _ := filter.Namespaces(attrs)
		return all
	}
	return s.authz.Authorize(r.Context(), attrs) == nil
}

// presentJSON is stored JSON as the user may see it.
func (s *Server) presentJSON(r *http.Request, k api.Kind, data []byte) ([]byte, error) {
	if s.secretsEverywhere(r, k) {
		return data, nil
	}
	return s.redactHidden(r, k, data)
}

// redactHidden redacts data unless the user may see secrets in its
// object's namespace.
func (s *Server) redactHidden(r *http.Request, k api.Kind, data []byte) ([]byte, error) {
	obj, err := k.Decode(data)
	if err != nil {
		return nil, err
	}
	if s.mayReadSecrets(r, k, obj.GetMetadata().Namespace) {
		return data, nil
	}
	api.Redact(obj)
	return json.Marshal(obj)
}

// presentItems redacts list items where the user may not see secrets.
func (s *Server) presentItems(r *http.Request, k api.Kind, items []store.Item) ([]store.Item, error) {
	if s.secretsEverywhere(r, k) {
		return items, nil
	}
	out := make([]store.Item, len(items))
	for i, it := range items {
		data, err := s.redactHidden(r, k, it.Data)
		if err != nil {
			return nil, err
		}
		out[i] = store.Item{Data: data, Revision: it.Revision}
	}
	return out, nil
}

// writeObject answers one object of kind k, redacted as need be.
func (s *Server) writeObject(w http.ResponseWriter, r *http.Request, k api.Kind, obj api.Object) error {
	return writeJSON(w, http.StatusOK, s.presentObject(r, k, obj))
}

// writeItem answers one stored object, redacted as need be.
func (s *Server) writeItem(w http.ResponseWriter, r *http.Request, k api.Kind, data []byte) error {
	data, err := s.presentJSON(r, k, data)
	if err != nil {
		return err
	}
	return writeRaw(w, http.StatusOK, data)
}
