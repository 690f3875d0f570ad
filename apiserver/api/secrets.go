package api

import "fmt"

// kubeconfigSecrets are the keys of a kubeconfig user entry that hold
// credentials (the values may be strings or, for exec and auth-provider,
// objects).
var kubeconfigSecrets = []string{"token", "client-key-data", "password", "exec", "auth-provider"}

// SecretFunc replaces one secret value: a string for the typed fields, a
// string or an object for a kubeconfig's. For a typed field it must return
// a string.
type SecretFunc func(value any) (any, error)

// HasSecrets reports whether objects of kind k carry credentials.
func HasSecrets(k Kind) bool {
	switch k.Kind {
	case "Cluster", "InfrastructureProvider", "GlobalInfrastructureProvider", "Cloud", "GlobalCloud",
		"MetricsProvider", "GlobalMetricsProvider":
		return true
	}
	return false
}

// VisitSecrets calls fn on every credential of obj and stores what it
// returns in its place: kubeconfig tokens, client keys, passwords and
// exec/auth-provider configs; infrastructure provider passwords and
// tokens; cloud passwords; InfluxDB tokens. Encryption at rest and
// redaction both go through here, so a new secret field is added once.
func VisitSecrets(obj Object, fn SecretFunc) error {
	str := func(p *string) error {
		if p == nil || *p == "" {
			return nil
		}
		v, err := fn(*p)
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
		for _, entry := range users {
			e, _ := entry.(map[string]any)
			user, _ := e["user"].(map[string]any)
			for _, key := range kubeconfigSecrets {
				v, ok := user[key]
				if !ok || v == nil || v == "" {
					continue
				}
				replaced, err := fn(v)
				if err != nil {
					return err
				}
				user[key] = replaced
			}
		}
	case *InfrastructureProvider:
		if im := o.Spec.IM; im != nil {
			if err := str(im.Password); err != nil {
				return err
			}
			return str(im.Token)
		}
	case *Cloud:
		if os := o.Spec.Openstack; os != nil {
			return str(&os.Auth.Password.User.Password)
		}
	case *MetricsProvider:
		if in := o.Spec.Influx; in != nil {
			return str(&in.Token)
		}
	}
	return nil
}
