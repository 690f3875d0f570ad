package server

import (
	"bytes"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/tosca"
)

// translateTosca makes an application's manifest the translation of its
// TOSCA template, when it has one. An invalid template is a 422 naming
// the place, with the original's reason INVALID_TOSCA_MANIFEST.
func translateTosca(obj api.Object) error {
	app, ok := obj.(*api.Application)
	if !ok {
		return nil
	}
	raw := bytes.TrimSpace(app.Spec.Tosca)
	if len(raw) == 0 || string(raw) == "null" {
		app.Spec.Tosca = nil
		return nil
	}
	invalid := func(field, msg string) error {
		return api.FieldErrors{{Field: field, Reason: api.ReasonInvalidToscaManifest.String() + ": " + msg}}
	}
	if raw[0] == '"' {
		return invalid("spec.tosca", "a URL: Krake does not fetch templates yet; give the template itself (rok kube app create NAME -f template.yaml)")
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil || doc == nil {
		return invalid("spec.tosca", "must be a TOSCA service template (a mapping)")
	}
	objects, err := tosca.Translate(doc)
	if e, ok := tosca.AsError(err); ok {
		field := "spec.tosca"
		if e.Path != "" {
			field += "." + e.Path
		}
		return invalid(field, e.Msg)
	} else if err != nil {
		return err
	}
	manifest, err := api.RawObjects(objects...)
	if err != nil {
		return invalid("spec.tosca", err.Error())
	}
	app.Spec.Manifest = manifest
	return nil
}
