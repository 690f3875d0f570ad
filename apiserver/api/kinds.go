package api

import (
	"fmt"
	"reflect"
	"sync"

	json "github.com/go-json-experiment/json/v1"
)

// Subresources an object may have beyond its main record.
const (
	SubStatus   = "status"
	SubBinding  = "binding"
	SubComplete = "complete"
	SubShutdown = "shutdown"
	SubRetry    = "retry"
)

// Kind describes one resource kind. Routes, the client, rok's commands and
// completion are all generated from Kinds, so a kind is added in one place.
type Kind struct {
	API          string   // "kubernetes"
	Kind         string   // "Application"
	Plural       string   // "applications"
	Namespaced   bool     // false for Global* kinds and RBAC
	Subresources []string // status, binding, ...
	New          func() Object
	// ReadyState is the state a wait for "ready" waits for (?blocking,
	// rok's --wait): RUNNING, ONLINE; "" for kinds without one.
	ReadyState string
	// Placement: the kind has the placement explanation route
	// (.../{name}/placement): the clusters an app may go to, the clouds a
	// cluster Krake creates may go to.
	Placement bool
	// PlacementDryRun: also .../placements, the explanation for an object
	// that is not stored.
	PlacementDryRun bool
	// Secrets: its objects carry credentials (VisitSecrets finds them),
	// encrypted at rest and redacted for readers without the right.
	Secrets bool
}

// HasSubresource reports whether sub is served for this kind.
func (k Kind) HasSubresource(sub string) bool {
	for _, s := range k.Subresources {
		if s == sub {
			return true
		}
	}
	return false
}

// String is "api/Kind".
func (k Kind) String() string { return k.API + "/" + k.Kind }

// Kinds is the registry of every kind the API serves.
var Kinds = []Kind{
	{API: "kubernetes", Kind: "Application", Plural: "applications", Namespaced: true,
		Subresources: []string{SubStatus, SubBinding, SubComplete, SubShutdown, SubRetry}, New: newApplication,
		ReadyState: StateRunning, Placement: true, PlacementDryRun: true},
	{API: "kubernetes", Kind: "Cluster", Plural: "clusters", Namespaced: true,
		Subresources: []string{SubStatus, SubBinding}, New: newCluster, ReadyState: StateOnline, Secrets: true, Placement: true},
	{API: "core", Kind: "Metric", Plural: "metrics", Namespaced: true, New: newMetric("Metric")},
	{API: "core", Kind: "GlobalMetric", Plural: "globalmetrics", New: newMetric("GlobalMetric")},
	{API: "core", Kind: "MetricsProvider", Plural: "metricsproviders", Namespaced: true,
		New: newMetricsProvider("MetricsProvider"), Secrets: true},
	{API: "core", Kind: "GlobalMetricsProvider", Plural: "globalmetricsproviders",
		New: newMetricsProvider("GlobalMetricsProvider"), Secrets: true},
	{API: "core", Kind: "Role", Plural: "roles", New: newRole},
	{API: "core", Kind: "RoleBinding", Plural: "rolebindings", New: newRoleBinding},
	{API: "core", Kind: "Lease", Plural: "leases", New: newLease},
	{API: "infrastructure", Kind: "InfrastructureProvider", Plural: "infrastructureproviders", Namespaced: true,
		New: newInfrastructureProvider("InfrastructureProvider"), Secrets: true},
	{API: "infrastructure", Kind: "GlobalInfrastructureProvider", Plural: "globalinfrastructureproviders",
		New: newInfrastructureProvider("GlobalInfrastructureProvider"), Secrets: true},
	{API: "infrastructure", Kind: "Cloud", Plural: "clouds", Namespaced: true,
		Subresources: []string{SubStatus}, New: newCloud("Cloud"), Secrets: true},
	{API: "infrastructure", Kind: "GlobalCloud", Plural: "globalclouds",
		Subresources: []string{SubStatus}, New: newCloud("GlobalCloud"), Secrets: true},
}

// KindFor finds a kind by api and kind name.
func KindFor(apiName, kind string) (Kind, bool) {
	for _, k := range Kinds {
		if k.API == apiName && k.Kind == kind {
			return k, true
		}
	}
	return Kind{}, false
}

// MustKind is KindFor for names known at compile time.
func MustKind(apiName, kind string) Kind {
	k, ok := KindFor(apiName, kind)
	if !ok {
		panic(fmt.Sprintf("api: unknown kind %s/%s", apiName, kind))
	}
	return k
}

// Decode unmarshals JSON into a new object of kind k, over its defaults.
func (k Kind) Decode(data []byte) (Object, error) {
	obj := k.New()
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// Normalize makes every nil slice and map in obj empty, so the JSON holds
// [] and {} rather than null (scripts of the original rely on that), and
// resets api and kind to the kind's own.
func Normalize(k Kind, obj Object) {
	fillEmpty(reflect.ValueOf(obj).Elem())
	if d, ok := obj.(interface{ defaults() }); ok {
		d.defaults()
	}
	if tm := typeMeta(obj); tm != nil {
		tm.API, tm.Kind = k.API, k.Kind
	}
}

func typeMeta(obj Object) *TypeMeta {
	v := reflect.ValueOf(obj).Elem().FieldByName("TypeMeta")
	if !v.IsValid() {
		return nil
	}
	return v.Addr().Interface().(*TypeMeta)
}

func fillEmpty(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			fillEmpty(v.Elem())
		}
	case reflect.Struct:
		for _, i := range fillPlan(v.Type()) {
			fillEmpty(v.Field(i))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // raw JSON (api.RawObject): bytes, nothing to fill
		}
		if v.IsNil() {
			v.Set(emptySlice(v.Type()))
			return
		}
		for i := range v.Len() {
			fillEmpty(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
	}
}

// fillPlans caches, per struct type, the exported fields that can hold a
// slice or map: Normalize runs on every write, and most fields are scalars.
var fillPlans sync.Map // reflect.Type -> []int

func fillPlan(t reflect.Type) []int {
	if plan, ok := fillPlans.Load(t); ok {
		return plan.([]int)
	}
	plan := []int{}
	if t != reflect.TypeFor[Time]() {
		for i := range t.NumField() {
			f := t.Field(i)
			switch f.Type.Kind() {
			case reflect.Pointer, reflect.Struct, reflect.Slice, reflect.Map:
				if f.IsExported() {
					plan = append(plan, i)
				}
			}
		}
	}
	fillPlans.Store(t, plan)
	return plan
}

// emptySlices holds one empty, non-nil slice per type: Normalize runs on
// every write, and a zero-capacity slice can be shared (append copies).
var emptySlices sync.Map // reflect.Type -> reflect.Value

func emptySlice(t reflect.Type) reflect.Value {
	if v, ok := emptySlices.Load(t); ok {
		return v.(reflect.Value)
	}
	v := reflect.MakeSlice(t, 0, 0)
	emptySlices.Store(t, v)
	return v
}

// CopySpec copies everything the user declares (every top-level field but
// api, kind, metadata and status) from src to dst: what PUT replaces.
func CopySpec(dst, src Object) {
	dv, sv := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for i := range dv.NumField() {
		switch dv.Type().Field(i).Name {
		case "TypeMeta", "Metadata", "Status":
			continue
		}
		dv.Field(i).Set(sv.Field(i))
	}
}

// ResetStatus gives obj the status of a new object of kind k: what a
// create does with a status the client sent (read-only fields are
// ignored). The defaults come from the kind's prototype, whose status holds
// only scalars and nil collections, so sharing them is safe.
func ResetStatus(k Kind, obj Object) { CopyStatus(obj, k.prototype()) }

// GoType is the Go type of the kind's objects, e.g. *api.Application.
func (k Kind) GoType() reflect.Type { return reflect.TypeOf(k.prototype()) }

// prototypes hold one new, untouched object per registered kind, built
// once: creates and typed clients need a kind's defaults and Go type on
// every call, and a new object is kilobytes to allocate.
var prototypes = func() map[kindKey]Object {
	m := make(map[kindKey]Object, len(Kinds))
	for _, k := range Kinds {
		m[kindKey{k.API, k.Kind}] = k.New()
	}
	return m
}()

type kindKey struct{ api, kind string }

// prototype is the kind's shared new object; callers must not change it.
func (k Kind) prototype() Object {
	if p, ok := prototypes[kindKey{k.API, k.Kind}]; ok {
		return p
	}
	return k.New() // a kind built outside the registry
}

// CopyStatus copies the status from src to dst (PUT .../status). It reports
// false when the kind has no status.
func CopyStatus(dst, src Object) bool {
	d := reflect.ValueOf(dst).Elem().FieldByName("Status")
	if !d.IsValid() {
		return false
	}
	d.Set(reflect.ValueOf(src).Elem().FieldByName("Status"))
	return true
}

// State returns the object's status.state, or "" when it has none.
func State(obj Object) string {
	s := reflect.ValueOf(obj).Elem().FieldByName("Status")
	if !s.IsValid() {
		return ""
	}
	st := s.FieldByName("State")
	if !st.IsValid() {
		return ""
	}
	return st.String()
}

// Health is how a state reads at a glance (rok colours it, the TUI styles
// it): good, bad, or on its way.
type Health int

const (
	HealthBusy Health = iota // PENDING, CREATING, RECONCILING, MIGRATING, DELETING ...
	HealthGood               // RUNNING, ONLINE, COMPLETED
	HealthBad                // FAILED, OFFLINE, UNHEALTHY, NOTREADY, FAILING_METRICS, DEGRADED
)

// HealthOf is the health of a state of any kind.
func HealthOf(state string) Health {
	switch state {
	case StateRunning, StateOnline, StateCompleted:
		return HealthGood
	case StateFailed, StateOffline, StateUnhealthy, StateNotReady, StateFailingMetrics, StateDegraded, StateFailingReconciliation:
		return HealthBad
	}
	return HealthBusy
}

// DeepCopyMap returns an independent copy of a JSON object (a TOSCA
// template, a kubeconfig), through JSON as DeepCopy.
func DeepCopyMap(m map[string]any) map[string]any {
	out := map[string]any{}
	data, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("api: marshal a JSON object: %v", err))
	}
	if err := json.Unmarshal(data, &out); err != nil {
		panic(fmt.Sprintf("api: unmarshal a JSON object: %v", err))
	}
	return out
}

// DeepCopy returns an independent copy of obj through JSON.
func DeepCopy[T Object](obj T) T {
	data, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("api: marshal %T: %v", obj, err))
	}
	out := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(T)
	if err := json.Unmarshal(data, out); err != nil {
		panic(fmt.Sprintf("api: unmarshal %T: %v", obj, err))
	}
	return out
}
