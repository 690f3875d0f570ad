// Package core holds `rok core`: metrics, metrics providers, RBAC and the
// controllers' leases.
package core

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/rok/internal/cmd/resource"
	"github.com/krake-go/krake/rok/internal/cmdutil"
)

// New returns `rok core`.
func New(f *cmdutil.Factory) *cobra.Command {
	return resource.NewTopicCommand(f, "core", map[string]resource.Custom{
		"Metric":                {Fields: &metricFields{providerFlag: "mp-name"}},
		"GlobalMetric":          {Fields: &metricFields{providerFlag: "gmp-name"}},
		"MetricsProvider":       {Fields: &providerFields{}},
		"GlobalMetricsProvider": {Fields: &providerFields{}},
		"Role":                  {Fields: &roleFields{}},
		"RoleBinding":           {Fields: &bindingFields{}},
		"Lease":                 {Fields: &leaseFields{}},
	})
}

// leaseFields: leases are the controllers' (leader election); people
// list and read them to see who leads, and may label them.
type leaseFields struct{ labels resource.Labels }

func (l *leaseFields) AddFlags(fs *pflag.FlagSet, update bool) { l.labels.AddFlags(fs, update) }

func (l *leaseFields) Apply(obj api.Object, fs *pflag.FlagSet, _ bool) error {
	return l.labels.Apply(obj, fs)
}

// metricFields are a metric's flags; the provider flag is --mp-name for
// namespaced metrics and --gmp-name for global ones, as in the original.
type metricFields struct {
	providerFlag string
	labels       resource.Labels
	min, max     float64
	provider     string
	metricName   string
}

func (m *metricFields) AddFlags(fs *pflag.FlagSet, update bool) {
	m.labels.AddFlags(fs, update)
	fs.Float64Var(&m.min, "min", 0, "lowest value (normalised to 0)")
	fs.Float64Var(&m.max, "max", 0, "highest value (normalised to 1)")
	fs.StringVar(&m.provider, m.providerFlag, "", "name of the metrics provider serving the metric")
	fs.StringVar(&m.metricName, "metric-name", "", "name of the metric at the provider (default: the metric's name)")
}

func (m *metricFields) Apply(obj api.Object, fs *pflag.FlagSet, update bool) error {
	metric := obj.(*api.Metric)
	if !update {
		for _, required := range []string{"min", "max", m.providerFlag} {
			if !fs.Changed(required) {
				return cmdutil.FlagErrorf("--%s is required", required)
			}
		}
	}
	if fs.Changed("min") {
		metric.Spec.Min = &m.min
	}
	if fs.Changed("max") {
		metric.Spec.Max = &m.max
	}
	if fs.Changed(m.providerFlag) {
		metric.Spec.Provider.Name = m.provider
	}
	if fs.Changed("metric-name") {
		metric.Spec.Provider.Metric = m.metricName
	} else if metric.Spec.Provider.Metric == "" {
		metric.Spec.Provider.Metric = metric.Metadata.Name
	}
	return m.labels.Apply(obj, fs)
}

type providerFields struct {
	labels           resource.Labels
	typ              string
	url              string
	metrics          []string
	table            string
	comparisonColumn string
	valueColumn      string
	token, org       string
	bucket           string
}

var providerTypes = []string{api.ProviderPrometheus, api.ProviderStatic, api.ProviderKafka, api.ProviderInflux}

func (p *providerFields) AddFlags(fs *pflag.FlagSet, update bool) {
	p.labels.AddFlags(fs, update)
	fs.StringVar(&p.typ, "type", "", "provider type: prometheus, static, kafka or influx")
	fs.StringVar(&p.url, "url", "", "endpoint (prometheus, kafka, influx)")
	fs.StringArrayVarP(&p.metrics, "metric", "m", nil, "static value: -m NAME VALUE (repeatable; on update, replaces all values)")
	fs.StringVar(&p.table, "table", "", "KSQL table (kafka)")
	fs.StringVar(&p.comparisonColumn, "comparison-column", "", "column holding the metric name (kafka)")
	fs.StringVar(&p.valueColumn, "value-column", "", "column holding the value (kafka)")
	fs.StringVar(&p.token, "token", "", "API token (influx)")
	fs.StringVar(&p.org, "org", "", "organisation (influx)")
	fs.StringVar(&p.bucket, "bucket", "", "bucket (influx)")
}

func (p *providerFields) Apply(obj api.Object, fs *pflag.FlagSet, update bool) error {
	mp := obj.(*api.MetricsProvider)
	s := &mp.Spec
	if fs.Changed("type") {
		if !slices.Contains(providerTypes, p.typ) {
			return cmdutil.FlagErrorf("--type %q: use one of %s", p.typ, strings.Join(providerTypes, ", "))
		}
		if p.typ != s.Type {
			*s = api.MetricsProviderSpec{Type: p.typ}
		}
	} else if !update {
		return cmdutil.FlagErrorf("--type is required: one of %s", strings.Join(providerTypes, ", "))
	}
	set := func(flag string, dst *string, value string) {
		if fs.Changed(flag) {
			*dst = value
		}
	}
	switch s.Type {
	case api.ProviderPrometheus:
		if s.Prometheus == nil {
			s.Prometheus = &api.PrometheusSpec{}
		}
		set("url", &s.Prometheus.URL, p.url)
	case api.ProviderStatic:
		if s.Static == nil {
			s.Static = &api.StaticSpec{Metrics: map[string]float64{}}
		}
		names, values, err := resource.Pairs("metric", p.metrics)
		if err != nil {
			return err
		}
		if fs.Changed("metric") {
			// The values given are the whole map, as in the original: an
			// update does not merge them into the old ones.
			s.Static.Metrics = make(map[string]float64, len(names))
		}
		for i := range names {
			s.Static.Metrics[names[i]] = values[i]
		}
	case api.ProviderKafka:
		if s.Kafka == nil {
			s.Kafka = &api.KafkaSpec{}
		}
		set("url", &s.Kafka.URL, p.url)
		set("table", &s.Kafka.Table, p.table)
		set("comparison-column", &s.Kafka.ComparisonColumn, p.comparisonColumn)
		set("value-column", &s.Kafka.ValueColumn, p.valueColumn)
	case api.ProviderInflux:
		if s.Influx == nil {
			s.Influx = &api.InfluxSpec{}
		}
		set("url", &s.Influx.URL, p.url)
		set("token", &s.Influx.Token, p.token)
		set("org", &s.Influx.Org, p.org)
		set("bucket", &s.Influx.Bucket, p.bucket)
	}
	return p.labels.Apply(obj, fs)
}

type roleFields struct {
	labels     resource.Labels
	apiName    string
	resources  []string
	verbs      []string
	namespaces []string
	replace    bool
}

func (r *roleFields) AddFlags(fs *pflag.FlagSet, update bool) {
	r.labels.AddFlags(fs, update)
	fs.StringVar(&r.apiName, "api", "", "API of the rule: kubernetes, core or infrastructure")
	fs.StringArrayVar(&r.resources, "resource", nil, "resource the rule covers, e.g. applications (repeatable)")
	fs.StringArrayVar(&r.verbs, "verb", nil, "verb the rule allows: "+strings.Join(api.Verbs, ", ")+" (repeatable)")
	fs.StringArrayVar(&r.namespaces, "rule-namespace", nil, "namespace the rule covers (repeatable; default all)")
	if update {
		fs.BoolVar(&r.replace, "remove-existing-rules", false, "drop the existing rules before adding this one")
	}
}

func (r *roleFields) Apply(obj api.Object, fs *pflag.FlagSet, update bool) error {
	role := obj.(*api.Role)
	if r.replace {
		role.Rules = nil
	}
	if fs.Changed("api") || !update {
		if r.apiName == "" || len(r.resources) == 0 || len(r.verbs) == 0 {
			return cmdutil.FlagErrorf("a rule needs --api, --resource and --verb")
		}
		namespaces := r.namespaces
		if len(namespaces) == 0 {
			namespaces = []string{"all"}
		}
		role.Rules = append(role.Rules, api.RoleRule{API: r.apiName, Resources: r.resources, Verbs: r.verbs, Namespaces: namespaces})
	}
	return r.labels.Apply(obj, fs)
}

type bindingFields struct {
	labels resource.Labels
	users  []string
	groups []string
	roles  []string
}

func (b *bindingFields) AddFlags(fs *pflag.FlagSet, update bool) {
	b.labels.AddFlags(fs, update)
	fs.StringArrayVar(&b.users, "user", nil, "user to bind (repeatable)")
	fs.StringArrayVar(&b.groups, "group", nil, "group to bind, e.g. from client certificates' O (repeatable)")
	fs.StringArrayVar(&b.roles, "role", nil, "role to bind (repeatable)")
}

func (b *bindingFields) Apply(obj api.Object, fs *pflag.FlagSet, update bool) error {
	binding := obj.(*api.RoleBinding)
	for _, u := range b.users {
		if !slices.Contains(binding.Users, u) {
			binding.Users = append(binding.Users, u)
		}
	}
	for _, g := range b.groups {
		if !slices.Contains(binding.Groups, g) {
			binding.Groups = append(binding.Groups, g)
		}
	}
	for _, r := range b.roles {
		if !slices.Contains(binding.Roles, r) {
			binding.Roles = append(binding.Roles, r)
		}
	}
	return b.labels.Apply(obj, fs)
}
