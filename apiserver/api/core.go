package api

// Metric describes a value a provider reports, normalised between Min and
// Max for scoring. GlobalMetric has the same shape without a namespace.
type Metric struct {
	TypeMeta
	Metadata Metadata   `json:"metadata"`
	Spec     MetricSpec `json:"spec"`
}

func (m *Metric) GetMetadata() *Metadata { return &m.Metadata }

// MetricSpec bounds a metric and says which provider serves it.
type MetricSpec struct {
	AllowedValues []any              `json:"allowed_values"`
	Min           *float64           `json:"min"`
	Max           *float64           `json:"max"`
	Provider      MetricSpecProvider `json:"provider"`
}

// MetricSpecProvider names the provider and the metric's name there.
type MetricSpecProvider struct {
	Name   string `json:"name"`
	Metric string `json:"metric"`
}

// Metrics provider types.
const (
	ProviderPrometheus = "prometheus"
	ProviderStatic     = "static"
	ProviderKafka      = "kafka"
	ProviderInflux     = "influx"
)

// MetricsProvider is where metric values come from. GlobalMetricsProvider
// has the same shape without a namespace.
type MetricsProvider struct {
	TypeMeta
	Metadata Metadata            `json:"metadata"`
	Spec     MetricsProviderSpec `json:"spec"`
}

func (m *MetricsProvider) GetMetadata() *Metadata { return &m.Metadata }

// MetricsProviderSpec holds only the chosen type's settings.
type MetricsProviderSpec struct {
	Type       string          `json:"type"`
	Prometheus *PrometheusSpec `json:"prometheus,omitempty"`
	Static     *StaticSpec     `json:"static,omitempty"`
	Kafka      *KafkaSpec      `json:"kafka,omitempty"`
	Influx     *InfluxSpec     `json:"influx,omitempty"`
}

// PrometheusSpec is a Prometheus server's query API.
type PrometheusSpec struct {
	URL string `json:"url"`
}

// StaticSpec serves fixed values.
type StaticSpec struct {
	Metrics map[string]float64 `json:"metrics"`
}

// KafkaSpec queries a KSQL table.
type KafkaSpec struct {
	URL              string `json:"url"`
	Table            string `json:"table"`
	ComparisonColumn string `json:"comparison_column"`
	ValueColumn      string `json:"value_column"`
}

// InfluxSpec runs Flux queries.
type InfluxSpec struct {
	URL    string `json:"url"`
	Token  string `json:"token"`
	Org    string `json:"org"`
	Bucket string `json:"bucket"`
}

// RBAC verbs.
var Verbs = []string{"get", "list", "watch", "create", "update", "delete"}

// Role grants verbs on resources. As in the original it has no spec:
// rules sit at the top level.
type Role struct {
	TypeMeta
	Metadata Metadata   `json:"metadata"`
	Rules    []RoleRule `json:"rules"`
}

func (r *Role) GetMetadata() *Metadata { return &r.Metadata }

// RoleRule allows verbs on resources of an API in some namespaces.
type RoleRule struct {
	API        string   `json:"api"`
	Resources  []string `json:"resources"`
	Namespaces []string `json:"namespaces"`
	Verbs      []string `json:"verbs"`
}

// RoleBinding gives roles to users and (ours) groups.
type RoleBinding struct {
	TypeMeta
	Metadata Metadata `json:"metadata"`
	Users    []string `json:"users"`
	Groups   []string `json:"groups"`
	Roles    []string `json:"roles"`
}

func (r *RoleBinding) GetMetadata() *Metadata { return &r.Metadata }

func newMetric(kind string) func() Object {
	return func() Object { return &Metric{TypeMeta: TypeMeta{API: "core", Kind: kind}} }
}

func newMetricsProvider(kind string) func() Object {
	return func() Object { return &MetricsProvider{TypeMeta: TypeMeta{API: "core", Kind: kind}} }
}

func newRole() Object { return &Role{TypeMeta: TypeMeta{API: "core", Kind: "Role"}} }

func newRoleBinding() Object {
	return &RoleBinding{TypeMeta: TypeMeta{API: "core", Kind: "RoleBinding"}}
}

// Lease is held by one replica of a controller run apart (krakectl
// controller): the leader. Ours beyond the original, with the semantics
// of Kubernetes' coordination Lease: a holder renews it within
// LeaseDurationSeconds or another replica may take it, and every write
// carries metadata.resource_version, so two replicas cannot both win.
type Lease struct {
	TypeMeta
	Metadata Metadata  `json:"metadata"`
	Spec     LeaseSpec `json:"spec"`
}

func (l *Lease) GetMetadata() *Metadata { return &l.Metadata }

// LeaseSpec is the lease's record. An empty HolderIdentity is a lease
// released by its last holder.
type LeaseSpec struct {
	HolderIdentity       string `json:"holder_identity"`
	LeaseDurationSeconds int    `json:"lease_duration_seconds"`
	AcquireTime          *Time  `json:"acquire_time"`
	RenewTime            *Time  `json:"renew_time"`
	LeaseTransitions     int    `json:"lease_transitions"`
}

func newLease() Object { return &Lease{TypeMeta: TypeMeta{API: "core", Kind: "Lease"}} }
