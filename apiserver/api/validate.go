package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/krake-go/krake/apiserver/api/constraint"
)

// FieldError says which field is wrong and why.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// FieldErrors is a validation failure; the server answers it with 422.
type FieldErrors []FieldError

func (e FieldErrors) Error() string {
	parts := make([]string, len(e))
	for i, fe := range e {
		parts[i] = fe.Field + ": " + fe.Reason
	}
	return strings.Join(parts, "; ")
}

type validator struct{ errs FieldErrors }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

var (
	labelNameRE  = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// isName is `^\w([\w\-.:]*\w)?$` by hand (names are checked on every
// request); FuzzIsName keeps the two equal.
func isName(s string) bool {
	word := func(b byte) bool {
		return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
	}
	if !word(s[0]) || !word(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if b := s[i]; !word(b) && b != '-' && b != '.' && b != ':' {
			return false
		}
	}
	return true
}

// ValidateName checks a resource name or namespace: 1-255 characters, word
// characters at both ends, inner characters word, '-', '.' or ':'.
func ValidateName(s string) string {
	switch {
	case s == "":
		return "required"
	case len(s) > 255:
		return fmt.Sprintf("must be at most 255 characters, got %d", len(s))
	case !isName(s):
		return fmt.Sprintf("%q must start and end with a letter, digit or '_' and contain only those and '-', '.', ':'", s)
	}
	return ""
}

// ValidateLabel checks a Kubernetes-style label key and value.
func ValidateLabel(key, value string) (keyReason, valueReason string) {
	name := key
	if prefix, rest, ok := strings.Cut(key, "/"); ok {
		name = rest
		if prefix == "" || len(prefix) > 253 || !dnsSubdomain.MatchString(prefix) {
			keyReason = fmt.Sprintf("key prefix %q must be a DNS subdomain (lower case, digits, '-', '.')", prefix)
		}
	}
	if keyReason == "" {
		switch {
		case name == "":
			keyReason = "key must not be empty"
		case len(name) > 63:
			keyReason = fmt.Sprintf("key name %q must be at most 63 characters", name)
		case !labelNameRE.MatchString(name):
			keyReason = fmt.Sprintf("key %q must be alphanumeric with '-', '_' or '.' inside", key)
		}
	}
	switch {
	case len(value) > 63:
		valueReason = fmt.Sprintf("value of %q must be at most 63 characters", key)
	case value != "" && !labelNameRE.MatchString(value):
		valueReason = fmt.Sprintf("value %q of %q must be alphanumeric with '-', '_' or '.' inside", value, key)
	}
	return keyReason, valueReason
}

// Validate checks obj, of kind k, as the client sent it.
func Validate(k Kind, obj Object) error {
	v := &validator{}
	v.metadata(k, obj.GetMetadata())
	switch o := obj.(type) {
	case *Application:
		v.application(o)
	case *Cluster:
		v.cluster(o)
	case *Metric:
		v.metric(o)
	case *MetricsProvider:
		v.metricsProvider(o)
	case *Role:
		v.role(o)
	case *RoleBinding:
		v.roleBinding(o)
	case *Lease:
		if o.Spec.LeaseDurationSeconds < 0 || (o.Spec.HolderIdentity != "" && o.Spec.LeaseDurationSeconds < 1) {
			v.add("spec.lease_duration_seconds", "must be 1 or more seconds while the lease is held, got %d", o.Spec.LeaseDurationSeconds)
		}
		if o.Spec.LeaseTransitions < 0 {
			v.add("spec.lease_transitions", "must be zero or more, got %d", o.Spec.LeaseTransitions)
		}
	case *InfrastructureProvider:
		v.infrastructureProvider(o)
	case *Cloud:
		v.cloud(o)
	}
	return v.err()
}

// ValidateUpdate checks that an update keeps the immutable fields.
func ValidateUpdate(old, updated Object) error {
	v := &validator{}
	om, nm := old.GetMetadata(), updated.GetMetadata()
	if nm.Name != om.Name {
		v.add("metadata.name", "is immutable: %q cannot become %q", om.Name, nm.Name)
	}
	if nm.Namespace != om.Namespace {
		v.add("metadata.namespace", "is immutable: %q cannot become %q", om.Namespace, nm.Namespace)
	}
	return v.err()
}

func (v *validator) metadata(k Kind, m *Metadata) {
	if reason := ValidateName(m.Name); reason != "" {
		v.add("metadata.name", "%s", reason)
	}
	if k.Namespaced {
		if reason := ValidateName(m.Namespace); reason != "" {
			v.add("metadata.namespace", "%s", reason)
		}
	} else if m.Namespace != "" {
		v.add("metadata.namespace", "%s is a global kind and takes no namespace", k.Kind)
	}
	for _, key := range sortedKeys(m.Labels) {
		keyReason, valueReason := ValidateLabel(key, m.Labels[key])
		if keyReason != "" {
			v.add("metadata.labels", "%s", keyReason)
		}
		if valueReason != "" {
			v.add("metadata.labels."+key, "%s", valueReason)
		}
	}
	for i, f := range m.Finalizers {
		if f == "" {
			v.add(fmt.Sprintf("metadata.finalizers[%d]", i), "must not be empty")
		}
	}
	for i, o := range m.Owners {
		field := fmt.Sprintf("metadata.owners[%d]", i)
		if _, ok := KindFor(o.API, o.Kind); !ok {
			v.add(field, "unknown kind %s/%s", o.API, o.Kind)
		}
		if reason := ValidateName(o.Name); reason != "" {
			v.add(field+".name", "%s", reason)
		}
	}
}

// kubernetesObjects checks that each entry of list is a Kubernetes object
// with apiVersion, kind and metadata.name. Only what Krake needs is read;
// the cluster validates the rest.
func (v *validator) kubernetesObjects(field string, list []RawObject) {
	for i, raw := range list {
		apiVersion, kind, name, ok := manifestHeader(raw)
		if !ok {
			v.add(fmt.Sprintf("%s[%d]", field, i), "must be a Kubernetes object (a JSON/YAML mapping)")
			continue
		}
		if apiVersion == "" {
			v.add(fmt.Sprintf("%s[%d].apiVersion", field, i), "required: every Kubernetes object needs an apiVersion")
		}
		if kind == "" {
			v.add(fmt.Sprintf("%s[%d].kind", field, i), "required: every Kubernetes object needs a kind")
		}
		if name == "" {
			v.add(fmt.Sprintf("%s[%d].metadata.name", field, i), "required: every Kubernetes object needs a name")
		}
	}
}

func (v *validator) application(a *Application) {
	s := a.Spec
	if len(s.Manifest) == 0 && !(a.Status.State == StateTranslating && FetchesTemplate(s)) {
		v.add("spec.manifest", "required: give at least one Kubernetes object")
	}
	v.kubernetesObjects("spec.manifest", s.Manifest)
	// The observer schema names the manifest's objects (and the fields of
	// each that Krake watches), so its entries identify objects too.
	v.kubernetesObjects("spec.observer_schema", s.ObserverSchema)
	if len(s.Manifest) > 0 { // a fetched template's schema is checked once it is translated
		v.observerSchema(s.Manifest, s.ObserverSchema)
	}
	v.constraints("spec.constraints.cluster", s.Constraints.Cluster)
	for i, h := range s.Hooks {
		if h != HookComplete && h != HookShutdown {
			v.add(fmt.Sprintf("spec.hooks[%d]", i), "unknown hook %q: use %q or %q", h, HookComplete, HookShutdown)
		}
	}
	sd := s.Shutdown()
	if sd.GraceTime < 0 {
		v.add("spec.shutdown_grace_time", "must be zero or more seconds, got %d", sd.GraceTime)
	}
	if st := sd.Strategy; st != ShutdownDelete && st != ShutdownGiveUp {
		v.add("spec.shutdown_failure_strategy", "unknown strategy %q: use %q (remove the objects anyway) or %q (keep them, the app becomes DEGRADED)",
			st, ShutdownDelete, ShutdownGiveUp)
	}
	if sd.Retries < 0 {
		v.add("spec.shutdown_retry_count", "must be zero or more, got %d", sd.Retries)
	}
	if slices.Contains(s.Hooks, HookShutdown) && !hasService(s.Manifest, ShutdownServiceName) {
		v.add("spec.manifest", "the shutdown hook needs a Service named %q in the manifest: Krake calls PUT http://<its address>/shutdown to stop the workload",
			ShutdownServiceName)
	}
	v.backoff("spec", s.Backoff, s.BackoffDelay, s.BackoffLimit)
	v.state("status.state", a.Status.State, applicationStates)
}

// hasService reports whether the manifest holds a Service of that name.
func hasService(manifest []RawObject, name string) bool {
	for _, raw := range manifest {
		if apiVersion, kind, n, ok := manifestHeader(raw); ok && apiVersion == "v1" && kind == "Service" && n == name {
			return true
		}
	}
	return false
}

// manifestHeader reads apiVersion, kind and metadata.name of one manifest
// object in a single pass without decoding the rest (creates are the API's
// hot path). A field that is missing or not a string reads as "". ok is
// false when raw is not one JSON object.
func manifestHeader(raw []byte) (apiVersion, kind, name string, ok bool) {
	dec := manifestDecoders.Get().(*jsontext.Decoder)
	defer manifestDecoders.Put(dec)
	dec.Reset(bytes.NewBuffer(raw), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	err := readObject(dec, func(key []byte) error {
		switch string(key) {
		case "apiVersion":
			apiVersion = readString(dec)
		case "kind":
			kind = readString(dec)
		case "metadata":
			if dec.PeekKind() != '{' {
				return dec.SkipValue()
			}
			return readObject(dec, func(key []byte) error {
				if string(key) == "name" {
					name = readString(dec)
					return nil
				}
				return dec.SkipValue()
			})
		default:
			return dec.SkipValue()
		}
		return nil
	})
	if err != nil {
		return "", "", "", false
	}
	_, err = dec.ReadToken() // anything after the object is an error
	return apiVersion, kind, name, err == io.EOF
}

// manifestDecoders are reused: a decoder's buffers and name stacks are most
// of what reading a manifest header allocates.
var manifestDecoders = sync.Pool{New: func() any { return jsontext.NewDecoder(bytes.NewBuffer(nil)) }}

// readObject reads one JSON object from dec, calling member for each key
// (unquoted; valid only during the call) with dec positioned at the key's
// value; member must consume the value.
func readObject(dec *jsontext.Decoder, member func(key []byte) error) error {
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return errors.New("not a JSON object")
	}
	var unquoted []byte
	for dec.PeekKind() == '"' {
		quoted, err := dec.ReadValue()
		if err != nil {
			return err
		}
		key := quoted[1 : len(quoted)-1]
		if bytes.IndexByte(key, '\\') >= 0 { // escapes: unquote properly
			if unquoted, err = jsontext.AppendUnquote(unquoted[:0], quoted); err != nil {
				return err
			}
			key = unquoted
		}
		if err := member(key); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken() // '}'
	return err
}

// readString consumes the next value: its text if it is a string, else "".
func readString(dec *jsontext.Decoder) string {
	if dec.PeekKind() != '"' {
		_ = dec.SkipValue()
		return ""
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return ""
	}
	return tok.String()
}

func (v *validator) constraints(field string, c ClusterConstraints) {
	v.labelConstraints(field+".labels", c.Labels)
	v.metricConstraints(field+".metrics", c.Metrics)
	v.customResources(field+".custom_resources", c.CustomResources)
}

func (v *validator) labelConstraints(field string, exprs []string) {
	for i, expr := range exprs {
		if _, err := constraint.ParseLabel(expr); err != nil {
			v.add(fmt.Sprintf("%s[%d]", field, i), "%s", err.(*constraint.SyntaxError).Reason+" in "+fmt.Sprintf("%q", expr))
		}
	}
}

func (v *validator) metricConstraints(field string, exprs []string) {
	for i, expr := range exprs {
		if _, err := constraint.ParseMetric(expr); err != nil {
			v.add(fmt.Sprintf("%s[%d]", field, i), "%s", err.(*constraint.SyntaxError).Reason+" in "+fmt.Sprintf("%q", expr))
		}
	}
}

func (v *validator) customResources(field string, crds []string) {
	for i, crd := range crds {
		plural, group, ok := strings.Cut(crd, ".")
		if !ok || plural == "" || !dnsSubdomain.MatchString(plural) || !dnsSubdomain.MatchString(group) {
			v.add(fmt.Sprintf("%s[%d]", field, i), "%q must be <plural>.<group>, e.g. crontabs.stable.example.com", crd)
		}
	}
}

func (v *validator) backoff(field string, backoff, delay float64, limit int) {
	if backoff < 0 || math.IsNaN(backoff) {
		v.add(field+".backoff", "must be zero or more, got %v", backoff)
	}
	if delay < 0 || math.IsNaN(delay) {
		v.add(field+".backoff_delay", "must be zero or more seconds, got %v", delay)
	}
	if limit < -1 {
		v.add(field+".backoff_limit", "must be -1 (no limit) or more, got %d", limit)
	}
}

var (
	applicationStates = []string{StatePending, StateCreating, StateRunning, StateReconciling, StateMigrating,
		StateDeleting, StateDeleted, StateDegraded, StateFailed, StateCompleted, StateWaitingForCleaning, StateReadyForAction, StateTranslating,
		StateWaitingForClusterCreation}
	clusterStates = []string{StatePending, StateConnecting, StateOnline, StateOffline, StateUnhealthy, StateNotReady,
		StateFailingMetrics, StateDeleting, StateFailed, StateCreating, StateReconciling, StateDegraded, StateFailingReconciliation}
)

func (v *validator) state(field, state string, allowed []string) {
	if !slices.Contains(allowed, state) {
		v.add(field, "unknown state %q: use one of %s", state, strings.Join(allowed, ", "))
	}
}

func (v *validator) cluster(c *Cluster) {
	// A cluster Krake creates has no kubeconfig until its infrastructure
	// is up.
	if len(c.Spec.Kubeconfig) > 0 || !c.Created() {
		v.kubeconfig("spec.kubeconfig", c.Spec.Kubeconfig)
	}
	if _, ok := c.Spec.Tosca["tosca_definitions_version"]; c.Created() && !ok {
		v.add("spec.tosca", "is not a TOSCA template: tosca_definitions_version is missing")
	}
	v.labelConstraints("spec.constraints.cloud.labels", c.Spec.Constraints.Cloud.Labels)
	v.metricConstraints("spec.constraints.cloud.metrics", c.Spec.Constraints.Cloud.Metrics)
	v.customResources("spec.custom_resources", c.Spec.CustomResources)
	v.metricRefs("spec.metrics", c.Spec.Metrics)
	v.backoff("spec", c.Spec.Backoff, c.Spec.BackoffDelay, c.Spec.BackoffLimit)
	v.state("status.state", c.Status.State, clusterStates)
}

func (v *validator) metricRefs(field string, refs []MetricRef) {
	for i, m := range refs {
		if reason := ValidateName(m.Name); reason != "" {
			v.add(fmt.Sprintf("%s[%d].name", field, i), "%s", reason)
		}
		if math.IsNaN(m.Weight) || math.IsInf(m.Weight, 0) {
			v.add(fmt.Sprintf("%s[%d].weight", field, i), "must be a finite number")
		}
	}
}

// kubeconfig checks the shape Krake needs: exactly one context whose
// cluster (with a server URL) and user are defined in the file.
func (v *validator) kubeconfig(field string, kc map[string]any) {
	if len(kc) == 0 {
		v.add(field, "required: give the cluster's kubeconfig (rok kube cluster register -k FILE)")
		return
	}
	contexts, _ := kc["contexts"].([]any)
	if len(contexts) != 1 {
		v.add(field+".contexts", "must hold exactly one context, found %d; export one with `kubectl config view --minify --flatten --context NAME`", len(contexts))
		return
	}
	ctx, _ := contexts[0].(map[string]any)
	inner, _ := ctx["context"].(map[string]any)
	clusterName, _ := inner["cluster"].(string)
	userName, _ := inner["user"].(string)
	if clusterName == "" || userName == "" {
		v.add(field+".contexts[0].context", "must name a cluster and a user")
		return
	}
	cluster := findNamed(kc["clusters"], clusterName, "cluster")
	if cluster == nil {
		v.add(field+".clusters", "has no cluster named %q (the context's cluster)", clusterName)
	} else if server, _ := cluster["server"].(string); server == "" {
		v.add(field+".clusters", "cluster %q has no server URL", clusterName)
	} else if u, err := url.Parse(server); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		v.add(field+".clusters", "cluster %q server must be an http(s) URL", clusterName)
	}
	if findNamed(kc["users"], userName, "user") == nil {
		v.add(field+".users", "has no user named %q (the context's user)", userName)
	}
}

func findNamed(list any, name, inner string) map[string]any {
	items, _ := list.([]any)
	for _, item := range items {
		m, _ := item.(map[string]any)
		if n, _ := m["name"].(string); n == name {
			body, _ := m[inner].(map[string]any)
			if body == nil {
				body = map[string]any{}
			}
			return body
		}
	}
	return nil
}

func (v *validator) metric(m *Metric) {
	s := m.Spec
	switch {
	case s.Min == nil:
		v.add("spec.min", "required")
	case s.Max == nil:
		v.add("spec.max", "required")
	case !(*s.Min < *s.Max):
		v.add("spec.min", "must be less than spec.max (%v), got %v", *s.Max, *s.Min)
	}
	if reason := ValidateName(s.Provider.Name); reason != "" {
		v.add("spec.provider.name", "%s", reason)
	}
	if s.Provider.Metric == "" {
		v.add("spec.provider.metric", "required: the metric's name at the provider")
	}
}

func (v *validator) metricsProvider(p *MetricsProvider) {
	s := p.Spec
	present := map[string]bool{
		ProviderPrometheus: s.Prometheus != nil, ProviderStatic: s.Static != nil,
		ProviderKafka: s.Kafka != nil, ProviderInflux: s.Influx != nil,
	}
	v.polymorphic("spec", s.Type, present)
	switch {
	case s.Type == ProviderPrometheus && s.Prometheus != nil:
		v.providerURL("spec.prometheus.url", s.Prometheus.URL)
	case s.Type == ProviderKafka && s.Kafka != nil:
		v.providerURL("spec.kafka.url", s.Kafka.URL)
		v.required("spec.kafka.table", s.Kafka.Table)
		v.required("spec.kafka.comparison_column", s.Kafka.ComparisonColumn)
		v.required("spec.kafka.value_column", s.Kafka.ValueColumn)
	case s.Type == ProviderInflux && s.Influx != nil:
		v.providerURL("spec.influx.url", s.Influx.URL)
		v.required("spec.influx.token", s.Influx.Token)
		v.required("spec.influx.org", s.Influx.Org)
		v.required("spec.influx.bucket", s.Influx.Bucket)
	}
}

// polymorphic checks that type names one of the variants and that exactly
// that variant's section is present.
func (v *validator) polymorphic(field, typ string, present map[string]bool) {
	types := sortedKeys(present)
	if !present[typ] {
		if _, known := present[typ]; !known {
			v.add(field+".type", "unknown type %q: use one of %s", typ, strings.Join(types, ", "))
			return
		}
		v.add(field+"."+typ, "required for type %s", typ)
	}
	for _, other := range types {
		if other != typ && present[other] {
			v.add(field+"."+other, "not allowed with type %s", typ)
		}
	}
}

func (v *validator) required(field, value string) {
	if value == "" {
		v.add(field, "required")
	}
}

// providerURL checks a metrics provider's URL. A URL without a scheme
// (1.2.3.4:9090) is accepted and stored as given, as the original does;
// using it means http:// (see ProviderURL).
func (v *validator) providerURL(field, raw string) {
	if raw != "" && !strings.Contains(raw, "://") {
		if u, err := url.Parse(ProviderURL(raw)); err != nil || u.Host == "" {
			v.add(field, "%q must be host:port or an http:// or https:// URL", raw)
		}
		return
	}
	v.httpURL(field, raw)
}

// ProviderURL is the URL a metrics provider is reached at: raw, with
// http:// when it has no scheme.
func ProviderURL(raw string) string {
	if raw != "" && !strings.Contains(raw, "://") {
		return "http://" + raw
	}
	return raw
}

func (v *validator) httpURL(field, raw string) {
	if raw == "" {
		v.add(field, "required")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		v.add(field, "%q must be an http:// or https:// URL", raw)
	}
}

// role checks each rule; a role without rules is valid (it grants
// nothing), as in the original.
func (v *validator) role(r *Role) {
	for i, rule := range r.Rules {
		field := fmt.Sprintf("rules[%d]", i)
		if len(rule.Resources) == 0 {
			v.add(field+".resources", "required")
		}
		if len(rule.Verbs) == 0 {
			v.add(field+".verbs", "required")
		}
		for j, verb := range rule.Verbs {
			if verb != "" && verb != "all" && !slices.Contains(Verbs, verb) {
				v.add(fmt.Sprintf("%s.verbs[%d]", field, j), "unknown verb %q: use one of %s", verb, strings.Join(Verbs, ", "))
			}
		}
	}
}

// roleBinding checks the role names; empty users or roles are valid
// (the binding grants nothing), as in the original.
func (v *validator) roleBinding(b *RoleBinding) {
	for i, role := range b.Roles {
		if reason := ValidateName(role); reason != "" {
			v.add(fmt.Sprintf("roles[%d]", i), "%s", reason)
		}
	}
}

func (v *validator) infrastructureProvider(p *InfrastructureProvider) {
	v.polymorphic("spec", p.Spec.Type, map[string]bool{InfrastructureProviderIM: p.Spec.IM != nil,
		InfrastructureProviderKwok: p.Spec.Kwok != nil})
	if im := p.Spec.IM; im != nil {
		v.httpURL("spec.im.url", im.URL)
		if im.Token == nil && (im.Username == nil || im.Password == nil) {
			v.add("spec.im", "needs a token, or a username and a password (rok infra provider register --token T, or --username U --password P)")
		}
	}
}

func (v *validator) cloud(c *Cloud) {
	v.polymorphic("spec", c.Spec.Type, map[string]bool{CloudOpenstack: c.Spec.Openstack != nil, CloudKwok: c.Spec.Kwok != nil})
	if os := c.Spec.Openstack; os != nil {
		v.httpURL("spec.openstack.url", os.URL)
		v.required("spec.openstack.auth.password.user.username", os.Auth.Password.User.Username)
		v.required("spec.openstack.auth.password.project.name", os.Auth.Password.Project.Name)
	}
	ref, ok := c.Provider()
	if !ok {
		return
	}
	field := "spec." + c.Spec.Type
	if reason := ValidateName(ref.Name); reason != "" {
		v.add(field+".infrastructure_provider.name", "%s", reason)
	}
	v.metricRefs(field+".metrics", c.MetricRefs())
	if c.Kind == "GlobalCloud" { // it sees no namespace's objects
		if ref.Namespaced {
			v.add(field+".infrastructure_provider.namespaced", "a global cloud cannot use a namespaced infrastructure provider; register a global one")
		}
		for i, m := range c.MetricRefs() {
			if m.Namespaced {
				v.add(fmt.Sprintf("%s.metrics[%d].namespaced", field, i), "a global cloud cannot use the namespaced metric %s; use a global metric", m.Name)
			}
		}
	}
}

// ValidateCloudBinding checks the body of PUT .../clusters/{name}/binding.
func ValidateCloudBinding(b *CloudBinding) error {
	v := &validator{}
	if b.Cloud.API != "infrastructure" || (b.Cloud.Kind != "Cloud" && b.Cloud.Kind != "GlobalCloud") {
		v.add("cloud", "must reference an infrastructure/Cloud or infrastructure/GlobalCloud, got %s/%s", b.Cloud.API, b.Cloud.Kind)
	}
	if reason := ValidateName(b.Cloud.Name); reason != "" {
		v.add("cloud.name", "%s", reason)
	}
	if b.Cloud.Kind == "Cloud" {
		if reason := ValidateName(b.Cloud.Namespace); reason != "" {
			v.add("cloud.namespace", "%s", reason)
		}
	}
	return v.err()
}

// ValidateBinding checks the body of PUT .../binding.
func ValidateBinding(b *Binding) error {
	v := &validator{}
	if b.Cluster.API != "kubernetes" || b.Cluster.Kind != "Cluster" {
		v.add("cluster", "must reference a kubernetes/Cluster, got %s/%s", b.Cluster.API, b.Cluster.Kind)
	}
	if reason := ValidateName(b.Cluster.Name); reason != "" {
		v.add("cluster.name", "%s", reason)
	}
	if reason := ValidateName(b.Cluster.Namespace); reason != "" {
		v.add("cluster.namespace", "%s", reason)
	}
	return v.err()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
