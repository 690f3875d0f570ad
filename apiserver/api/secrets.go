package api

import "fmt"

// kubeconfigSecrets are the keys of a kubeconfig user entry that hold
// credentials (the values may be strings or, for exec and auth-provider,
// objects).
var kubeconfigSecrets = []string{"token", "client-key-data", "password", "exec", "auth-provider"}

// SecretFunc replaces one secret value: a string for the typed fields, a
// string or an object for a kubeconfig's. For a typed field it must return
// a string. path names the field (spec.kubeconfig.users[0].user.token).
type SecretFunc func(path string, value any) (any, error)

// Redacted replaces secrets in answers to readers without the right to
// them; sent back in an update, it keeps the stored value.
const Redacted = "REDACTED"

// HasSecrets reports whether objects of kind k carry credentials
// (Kind.Secrets; TestVisitSecrets checks it against VisitSecrets).
func HasSecrets(k Kind) bool { return k.Secrets }

// VisitSecrets calls fn on every credential of obj and stores what it
// returns in its place: kubeconfig tokens, client keys, passwords and
// exec/auth-provider configs; infrastructure provider passwords and
// tokens; cloud passwords; InfluxDB tokens. Encryption at rest and
// redaction both go through here, so a new secret field is added once.
func VisitSecrets(obj Object, fn SecretFunc) error {
	str := func(path string, p *string) error {
		if p == nil || *p == "" {
			return nil
		}
		v, err := fn(path, *p)
		if err != nil {
			return err
		}
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("secret replaced by a %T, want a string", v)
		}
		*p = s
		return nil
	}
	switch o := obj.(type) {
	case *Cluster:
		users, _ := o.Spec.Kubeconfig["users"].([]any)
		for i, entry := range users {
			e, _ := entry.(map[string]any)
			user, _ := e["user"].(map[string]any)
			for _, key := range kubeconfigSecrets {
				v, ok := user[key]
				if !ok || v == nil || v == "" {
					continue
				}
				replaced, err := fn(fmt.Sprintf("spec.kubeconfig.users[%d].user.%s", i, key), v)
				if err != nil {
					return err
				}
				user[key] = replaced
			}
		}
	case *InfrastructureProvider:
		if im := o.Spec.IM; im != nil {
			if err := str("spec.im.password", im.Password); err != nil {
				return err
			}
			return str("spec.im.token", im.Token)
		}
	case *Cloud:
		if os := o.Spec.Openstack; os != nil {
			return str("spec.openstack.auth.password.user.password", &os.Auth.Password.User.Password)
		}
	case *MetricsProvider:
		if in := o.Spec.Influx; in != nil {
			return str("spec.influx.token", &in.Token)
		}
	}
	return nil
}

// Redact replaces every secret of obj by Redacted.
func Redact(obj Object) {
	_ = VisitSecrets(obj, func(string, any) (any, error) { return Redacted, nil })
}

// KeepRedacted puts current's secrets back where update holds Redacted:
// a client that read a redacted object and writes it back changes no
// secret it could not see.
func KeepRedacted(update, current Object) {
	stored := map[string]any{}
	_ = VisitSecrets(current, func(path string, v any) (any, error) { stored[path] = v; return v, nil })
	_ = VisitSecrets(update, func(path string, v any) (any, error) {
		if v == Redacted {
			if old, ok := stored[path]; ok {
				return old, nil
			}
		}
		return v, nil
	})
}
