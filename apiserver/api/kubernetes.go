package api

import json "github.com/go-json-experiment/json/v1"

// Application states.
const (
	StatePending            = "PENDING"
	StateCreating           = "CREATING"
	StateRunning            = "RUNNING"
	StateReconciling        = "RECONCILING"
	StateMigrating          = "MIGRATING"
	StateDeleting           = "DELETING"
	StateDeleted            = "DELETED"
	StateDegraded           = "DEGRADED"
	StateFailed             = "FAILED"
	StateCompleted          = "COMPLETED"
	StateWaitingForCleaning = "WAITING_FOR_CLEANING"
	StateReadyForAction     = "READY_FOR_ACTION"
	StateTranslating        = "TRANSLATING"
	// WAITING_FOR_CLUSTER_CREATION: no cluster suits the app, and the
	// scheduler creates one for it on a cloud (auto_cluster_create).
	StateWaitingForClusterCreation = "WAITING_FOR_CLUSTER_CREATION"
)

// Cluster states (PENDING is shared with applications).
const (
	StateConnecting     = "CONNECTING"
	StateOnline         = "ONLINE"
	StateOffline        = "OFFLINE"
	StateUnhealthy      = "UNHEALTHY"
	StateNotReady       = "NOTREADY"
	StateFailingMetrics = "FAILING_METRICS"
	// FAILING_RECONCILIATION: the provider could not bring a created
	// cluster's infrastructure to its template (retried).
	StateFailingReconciliation = "FAILING_RECONCILIATION"
)

// Application hooks.
const (
	HookComplete = "complete"
	HookShutdown = "shutdown"
)

// RawObject is one Kubernetes object of a manifest, kept as the JSON the
// user sent. The API checks only apiVersion, kind and metadata.name; the
// application controller decodes the rest. Not decoding manifests into Go
// maps and back keeps the API's write and list paths cheap.
type RawObject = json.RawMessage

// RawObjects encodes Kubernetes objects for a manifest.
func RawObjects(objects ...map[string]any) ([]RawObject, error) {
	out := make([]RawObject, len(objects))
	for i, obj := range objects {
		data, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

// MustRawObjects is RawObjects for objects known to encode (tests, literals).
func MustRawObjects(objects ...map[string]any) []RawObject {
	out, err := RawObjects(objects...)
	if err != nil {
		panic(err)
	}
	return out
}

// Application is a set of Kubernetes manifests with placement constraints.
type Application struct {
	TypeMeta
	Metadata Metadata          `json:"metadata"`
	Spec     ApplicationSpec   `json:"spec"`
	Status   ApplicationStatus `json:"status"`
}

func (a *Application) GetMetadata() *Metadata { return &a.Metadata }

// ApplicationSpec is what the user declares.
type ApplicationSpec struct {
	Manifest       []RawObject `json:"manifest"`
	ObserverSchema []RawObject `json:"observer_schema"`
	// Tosca is a TOSCA service template (a JSON object), or the URL of
	// one (a JSON string); when set, the API translates it (fetching it
	// first, while the app is TRANSLATING) and the manifest is the
	// translation.
	Tosca RawObject `json:"tosca,omitempty"`
	// CSAR is the URL of a CSAR (a ZIP holding a TOSCA template) the API
	// fetches and translates, as it does a URL in Tosca.
	CSAR        string      `json:"csar,omitempty"`
	Constraints Constraints `json:"constraints"`
	Hooks       []string    `json:"hooks"`
	// The shutdown hook's settings. A request may leave them out (nil):
	// the server then fills in its defaults (krakectl --shutdown-grace,
	// --shutdown-failure-strategy, --shutdown-retries), so a stored object
	// always has them. ShutdownGraceTime is in seconds.
	ShutdownGraceTime *int `json:"shutdown_grace_time,omitempty"`
	// ShutdownFailureStrategy is what happens when the workload does not
	// call back within the grace time (after the retries): ShutdownDelete
	// removes its objects anyway, ShutdownGiveUp leaves them and marks the
	// app DEGRADED.
	ShutdownFailureStrategy *string `json:"shutdown_failure_strategy,omitempty"`
	// ShutdownRetryCount is how many more times the shutdown call is made
	// when a grace time passes without a callback.
	ShutdownRetryCount *int    `json:"shutdown_retry_count,omitempty"`
	Backoff            float64 `json:"backoff"`
	BackoffDelay       float64 `json:"backoff_delay"`
	BackoffLimit       int     `json:"backoff_limit"`
	AutoClusterCreate  bool    `json:"auto_cluster_create"`
}

// Constraints restrict where an application may run.
type Constraints struct {
	Cluster   ClusterConstraints `json:"cluster"`
	Migration bool               `json:"migration"`
}

// ClusterConstraints are kept as strings on the wire, as in the original;
// validation parses them with package constraint.
type ClusterConstraints struct {
	Labels          []string `json:"labels"`
	CustomResources []string `json:"custom_resources"`
	Metrics         []string `json:"metrics"`
}

// ApplicationStatus is what the controllers observe and decide.
type ApplicationStatus struct {
	State                   string            `json:"state"`
	Reason                  *Reason           `json:"reason"`
	Services                map[string]string `json:"services"`
	Scheduled               *Time             `json:"scheduled"`
	ScheduledTo             *ResourceRef      `json:"scheduled_to"`
	RunningOn               *ResourceRef      `json:"running_on"`
	KubeControllerTriggered *Time             `json:"kube_controller_triggered"`
	ContainerHealth         ContainerHealth   `json:"container_health"`
	// Objects is each applied object's health on its cluster (ours beyond
	// the original: rok ui shows it).
	Objects             []ObjectHealth `json:"objects"`
	Retries             int            `json:"retries"`
	LastAppliedManifest []RawObject    `json:"last_applied_manifest"`
	// LastObservedManifest is what Krake last saw on the cluster of the
	// observed fields of each object (the observer schema's, or, without
	// one, every field the manifest sets).
	LastObservedManifest []RawObject `json:"last_observed_manifest"`
	// FailedManifest is the manifest that last failed for good (ours): the
	// controller tries again when the manifest differs, or on retry.
	FailedManifest []RawObject `json:"failed_manifest"`
	CompleteToken  *string     `json:"complete_token"`
	ShutdownToken  *string     `json:"shutdown_token"`
	// Shutdown is the shutdown hook's progress during a delete or a
	// migration (ours beyond the original; nil when none is under way).
	Shutdown *ShutdownStatus `json:"shutdown"`
	// AutoClusterCreateStarted names the cluster the scheduler created for
	// the app (auto_cluster_create) while the app waits for it.
	AutoClusterCreateStarted *string `json:"auto_cluster_create_started"`
}

// ShutdownDefaults fill the shutdown settings a request leaves out.
type ShutdownDefaults struct {
	GraceTime int // seconds
	Strategy  string
	Retries   int
}

// DefaultShutdown is the original's: 30 seconds, delete, no retries.
var DefaultShutdown = ShutdownDefaults{GraceTime: 30, Strategy: ShutdownDelete, Retries: 0}

// Fill sets the settings s leaves out.
func (d ShutdownDefaults) Fill(s *ApplicationSpec) {
	if s.ShutdownGraceTime == nil {
		s.ShutdownGraceTime = &d.GraceTime
	}
	if s.ShutdownFailureStrategy == nil {
		s.ShutdownFailureStrategy = &d.Strategy
	}
	if s.ShutdownRetryCount == nil {
		s.ShutdownRetryCount = &d.Retries
	}
}

// Shutdown is s's settings, DefaultShutdown's where s has none.
func (s ApplicationSpec) Shutdown() ShutdownDefaults {
	DefaultShutdown.Fill(&s)
	return ShutdownDefaults{GraceTime: *s.ShutdownGraceTime, Strategy: *s.ShutdownFailureStrategy, Retries: *s.ShutdownRetryCount}
}

// defaults fills what the server fills when a request leaves it out.
func (a *Application) defaults() { DefaultShutdown.Fill(&a.Spec) }

// The shutdown hook's failure strategies.
const (
	ShutdownDelete = "delete"
	ShutdownGiveUp = "give_up"
)

// ShutdownServiceName is the Service through which Krake reaches a
// workload with the shutdown hook: it calls PUT http://ADDRESS/shutdown.
const ShutdownServiceName = "shutdown"

// ShutdownStatus is where a shutdown stands.
type ShutdownStatus struct {
	Attempts int   `json:"attempts"` // calls made to the workload
	Deadline *Time `json:"deadline"` // when the current wait for the callback ends
	// Outcome is "" while waiting, then ShutdownCalledBack,
	// ShutdownTimedOut (strategy delete), ShutdownGaveUp or ShutdownSkipped
	// (the app was FAILED or DEGRADED: nothing to hand over).
	Outcome string `json:"outcome"`
	// LastError is why the last call did not reach the workload, if so.
	LastError string `json:"last_error"`
}

// The outcomes of a shutdown.
const (
	ShutdownCalledBack = "called_back"
	ShutdownTimedOut   = "timed_out"
	ShutdownGaveUp     = "gave_up"
	ShutdownSkipped    = "skipped"
)

// ObjectHealth is one applied object as last seen on its cluster.
type ObjectHealth struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Healthy   bool   `json:"healthy"`
	Status    string `json:"status"` // "2/3 ready", "127.0.0.1:30080", "applied"
}

// ContainerHealth counts the pods of an application.
type ContainerHealth struct {
	DesiredPods   int `json:"desired_pods"`
	RunningPods   int `json:"running_pods"`
	CompletedPods int `json:"completed_pods"`
	FailedPods    int `json:"failed_pods"`
}

// Binding is the body of PUT .../applications/{name}/binding.
type Binding struct {
	API     string      `json:"api"`
	Kind    string      `json:"kind"`
	Cluster ResourceRef `json:"cluster"`
}

// BindingTo is the binding of an application to the cluster ref names.
func BindingTo(cluster ResourceRef) Binding {
	return Binding{API: "kubernetes", Kind: "ClusterBinding", Cluster: cluster}
}

// ClusterRef is the reference to a cluster of namespace.
func ClusterRef(namespace, name string) ResourceRef {
	return ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: namespace, Name: name}
}

// HookToken is the body of PUT .../complete and .../shutdown.
type HookToken struct {
	Token string `json:"token"`
}

// Cluster is a Kubernetes cluster registered with Krake.
type Cluster struct {
	TypeMeta
	Metadata Metadata      `json:"metadata"`
	Spec     ClusterSpec   `json:"spec"`
	Status   ClusterStatus `json:"status"`
}

func (c *Cluster) GetMetadata() *Metadata { return &c.Metadata }

// ClusterSpec holds the credentials and the metrics that score the
// cluster. A registered cluster has a kubeconfig; a cluster Krake creates
// has a TOSCA template instead (placed on a cloud by the scheduler, built
// by the infrastructure controller, which then writes the kubeconfig).
type ClusterSpec struct {
	Kubeconfig map[string]any `json:"kubeconfig"`
	// Tosca describes the infrastructure to create (a TOSCA service
	// template as a JSON object), as the cloud's provider reads it.
	Tosca           map[string]any          `json:"tosca"`
	CustomResources []string                `json:"custom_resources"`
	Constraints     ClusterCloudConstraints `json:"constraints"`
	Metrics         []MetricRef             `json:"metrics"`
	InheritMetrics  bool                    `json:"inherit_metrics"`
	Backoff         float64                 `json:"backoff"`
	BackoffDelay    float64                 `json:"backoff_delay"`
	BackoffLimit    int                     `json:"backoff_limit"`
	// AutoGenerated marks a cluster the scheduler created for an app with
	// auto_cluster_create; it is deleted once left empty.
	AutoGenerated bool `json:"auto_generated"`
}

// ClusterCloudConstraints restrict the cloud a created cluster goes to.
type ClusterCloudConstraints struct {
	Cloud CloudConstraints `json:"cloud"`
}

// CloudConstraints are label and metric constraints on clouds, strings on
// the wire as the app's cluster constraints are.
type CloudConstraints struct {
	Labels  []string `json:"labels"`
	Metrics []string `json:"metrics"`
}

// Created reports whether Krake creates the cluster (from its TOSCA
// template) rather than only using it.
func (c *Cluster) Created() bool { return len(c.Spec.Tosca) > 0 }

// Building reports whether the infrastructure controller owns a created
// cluster's state: before the hand-over (CONNECTING), while it changes the
// infrastructure, and when that failed. The cluster controller probes a
// cluster only when it is not Building.
func (c *Cluster) Building() bool {
	if !c.Created() {
		return false
	}
	switch c.Status.State {
	case StatePending, StateCreating, StateReconciling, StateFailingReconciliation, StateDeleting, StateFailed:
		return true
	}
	return len(c.Spec.Kubeconfig) == 0
}

// MetricRef weighs a Metric (namespaced) or GlobalMetric for scoring.
type MetricRef struct {
	Name       string  `json:"name"`
	Weight     float64 `json:"weight"`
	Namespaced bool    `json:"namespaced"`
}

// ClusterStatus is what the cluster controller observes.
type ClusterStatus struct {
	State          string            `json:"state"`
	Reason         *Reason           `json:"reason"`
	MetricsReasons map[string]Reason `json:"metrics_reasons"`
	// MetricValues are the values the scheduler last fetched, by metric
	// name (ours beyond the original: rok, the TUI and explain show them).
	MetricValues map[string]float64 `json:"metric_values"`
	Nodes        []Node             `json:"nodes"`
	Scheduled    *Time              `json:"scheduled"`
	// ScheduledTo and RunningOn are the cloud a created cluster is bound
	// to and the one its infrastructure is on.
	ScheduledTo *ResourceRef `json:"scheduled_to"`
	RunningOn   *ResourceRef `json:"running_on"`
	Retries     int          `json:"retries"`
	// LastAppliedTosca is the template the infrastructure was last
	// created or reconciled from; a spec that differs is reconciled.
	LastAppliedTosca map[string]any `json:"last_applied_tosca"`
	// ClusterID is the provider's name for the infrastructure.
	ClusterID               *string `json:"cluster_id"`
	KubeControllerTriggered *Time   `json:"kube_controller_triggered"`
}

// Node is one node of a cluster and its conditions.
type Node struct {
	Name       string          `json:"name"`
	Conditions []NodeCondition `json:"conditions"`
}

// NodeCondition mirrors a Kubernetes node condition.
type NodeCondition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func newApplication() Object {
	return &Application{
		TypeMeta: TypeMeta{API: "kubernetes", Kind: "Application"},
		Spec: ApplicationSpec{
			Constraints:  Constraints{Migration: true},
			Backoff:      1,
			BackoffDelay: 1,
			BackoffLimit: -1,
		},
		Status: ApplicationStatus{State: StatePending},
	}
}

func newCluster() Object {
	return &Cluster{
		TypeMeta: TypeMeta{API: "kubernetes", Kind: "Cluster"},
		Spec:     ClusterSpec{Backoff: 1, BackoffDelay: 1, BackoffLimit: -1},
		Status:   ClusterStatus{State: StatePending},
	}
}

// TemplateURL is the URL the API fetches the app's TOSCA template or CSAR
// from, and whether it is a CSAR; "" when the app has none.
func TemplateURL(s ApplicationSpec) (url string, csar bool) {
	if s.CSAR != "" {
		return s.CSAR, true
	}
	var u string
	if len(s.Tosca) > 0 && s.Tosca[0] == '"' && json.Unmarshal(s.Tosca, &u) == nil {
		return u, false
	}
	return "", false
}

// FetchesTemplate reports whether the API fetches the app's template.
func FetchesTemplate(s ApplicationSpec) bool {
	u, _ := TemplateURL(s)
	return u != ""
}
