package api_test

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"
	"github.com/google/go-cmp/cmp"

	"github.com/krake-go/krake/apiserver/api"
)

func TestTime_JSON(t *testing.T) {
	tm := api.NewTime(time.Date(2026, 11, 24, 10, 0, 0, 123456789, time.FixedZone("CET", 3600)))
	got, err := json.Marshal(tm)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"2026-11-24T09:00:00.123456+00:00"`; string(got) != want {
		t.Errorf("Marshal(Time) = %s, want %s", got, want)
	}
	var back api.Time
	if err := json.Unmarshal(got, &back); err != nil || !back.Equal(tm.Time) {
		t.Errorf("Unmarshal(%s) = %v, %v; want %v", got, back, err, tm)
	}
	if err := json.Unmarshal([]byte(`"yesterday"`), &back); err == nil {
		t.Error("Unmarshal of a non-time string succeeded")
	}
}

// TestKinds_wireShape checks the compatibility rules of DESIGN §6 for every
// kind: every field present, [] and {} rather than null for lists and maps,
// null only for unset scalars, and a null namespace for global kinds.
func TestKinds_wireShape(t *testing.T) {
	for _, k := range api.Kinds {
		t.Run(k.Kind, func(t *testing.T) {
			obj := k.New()
			api.Normalize(k, obj)
			data, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			if doc["api"] != k.API || doc["kind"] != k.Kind {
				t.Errorf("api/kind = %v/%v, want %s/%s", doc["api"], doc["kind"], k.API, k.Kind)
			}
			meta := doc["metadata"].(map[string]any)
			for _, field := range []string{"name", "namespace", "labels", "inherit_labels", "finalizers", "owners", "uid", "created", "modified", "deleted", "resource_version"} {
				if _, ok := meta[field]; !ok {
					t.Errorf("metadata.%s is missing", field)
				}
			}
			for _, field := range []string{"labels"} {
				if _, ok := meta[field].(map[string]any); !ok {
					t.Errorf("metadata.%s = %v, want {}", field, meta[field])
				}
			}
			for _, field := range []string{"finalizers", "owners"} {
				if _, ok := meta[field].([]any); !ok {
					t.Errorf("metadata.%s = %v, want []", field, meta[field])
				}
			}
			if meta["namespace"] != nil {
				t.Errorf("metadata.namespace of an empty object = %v, want null", meta["namespace"])
			}
			assertNoNullCollections(t, "", doc)
		})
	}
}

// assertNoNullCollections fails on a null whose key names a list or map
// field, found by checking the Go zero object: every collection must be
// [] or {} after Normalize, so any null left is a scalar or optional object.
func assertNoNullCollections(t *testing.T, path string, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for key, value := range x {
			assertNoNullCollections(t, path+"."+key, value)
		}
	case []any:
		for _, item := range x {
			assertNoNullCollections(t, path+"[]", item)
		}
	case nil:
		collections := []string{"manifest", "labels", "finalizers", "owners", "hooks", "services", "nodes", "metrics",
			"custom_resources", "allowed_values", "rules", "users", "roles", "metrics_reasons", "observer_schema",
			"last_applied_manifest", "last_observed_manifest", "failed_manifest"}
		for _, c := range collections {
			if strings.HasSuffix(path, "."+c) {
				t.Errorf("%s is null, want an empty list or map", path)
			}
		}
	}
}

func TestApplication_defaults(t *testing.T) {
	k := api.MustKind("kubernetes", "Application")
	obj, err := k.Decode([]byte(`{"metadata":{"name":"a"},"spec":{"manifest":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	app := obj.(*api.Application)
	if !app.Spec.Constraints.Migration || app.Spec.Backoff != 1 || app.Spec.BackoffDelay != 1 || app.Spec.BackoffLimit != -1 || app.Spec.AutoClusterCreate {
		t.Errorf("defaults = migration %v backoff %v delay %v limit %v auto %v; want true 1 1 -1 false",
			app.Spec.Constraints.Migration, app.Spec.Backoff, app.Spec.BackoffDelay, app.Spec.BackoffLimit, app.Spec.AutoClusterCreate)
	}
	if app.Status.State != api.StatePending {
		t.Errorf("status.state = %q, want PENDING", app.Status.State)
	}
	obj, _ = k.Decode([]byte(`{"spec":{"constraints":{"migration":false}}}`))
	if obj.(*api.Application).Spec.Constraints.Migration {
		t.Error("an explicit migration: false was overridden by the default")
	}
}

func TestPolymorphicSpec_onlyChosenType(t *testing.T) {
	p := api.MustKind("core", "MetricsProvider").New().(*api.MetricsProvider)
	p.Spec = api.MetricsProviderSpec{Type: "static", Static: &api.StaticSpec{Metrics: map[string]float64{"a": 1}}}
	data, _ := json.Marshal(p.Spec)
	if want := `{"type":"static","static":{"metrics":{"a":1}}}`; string(data) != want {
		t.Errorf("spec = %s, want %s", data, want)
	}
}

// TestWire_everyKind checks the wire shape of every kind through the one
// JSON engine: an empty namespace is null (in metadata and in references),
// timestamps are in TimeLayout, and the bytes read back to the same object.
func TestWire_everyKind(t *testing.T) {
	now := api.NewTime(time.Date(2026, 11, 24, 10, 0, 0, 123456000, time.UTC))
	for _, k := range api.Kinds {
		for _, namespace := range []string{"", "team-a"} {
			t.Run(k.Kind+"/namespace="+namespace, func(t *testing.T) {
				obj := k.New()
				api.Normalize(k, obj)
				m := obj.GetMetadata()
				m.Name, m.Namespace, m.UID, m.Created, m.Modified = "x", namespace, "u-1", now, now
				m.Labels = map[string]string{"b": "2", "a": "<&>"}
				m.Owners = []api.ResourceRef{{API: "kubernetes", Kind: "Cluster", Name: "c"}, {API: "kubernetes", Namespace: "n", Kind: "Application", Name: "a"}}
				if app, ok := obj.(*api.Application); ok {
					app.Spec.Manifest = []api.RawObject{api.RawObject(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}`)}
					app.Status.State = "RUNNING"
					app.Status.Scheduled = &now
				}
				data, err := json.Marshal(obj)
				if err != nil {
					t.Fatal(err)
				}
				var doc struct {
					Metadata struct {
						Namespace *string
						Created   string
						Owners    []map[string]*string
					}
				}
				if err := json.Unmarshal(data, &doc); err != nil {
					t.Fatal(err)
				}
				if want := namespace; (doc.Metadata.Namespace == nil) != (want == "") || want != "" && *doc.Metadata.Namespace != want {
					t.Errorf("metadata.namespace = %v, want %q (null when empty): %s", doc.Metadata.Namespace, want, data)
				}
				if ref := doc.Metadata.Owners[0]; ref["namespace"] != nil {
					t.Errorf("an owner without namespace has namespace %q, want null", *ref["namespace"])
				}
				if want := "2026-11-24T10:00:00.123456+00:00"; doc.Metadata.Created != want {
					t.Errorf("created = %q, want %q", doc.Metadata.Created, want)
				}
				back := k.New()
				if err := json.Unmarshal(data, back); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(obj, back); diff != "" {
					t.Errorf("read back differs (-written +read):\n%s", diff)
				}
			})
		}
	}
}

// TestTime_fastParseAgreesWithTimeParse checks the API's own timestamp
// reader against time.Parse on edge cases and on many random instants.
func TestTime_fastParseAgreesWithTimeParse(t *testing.T) {
	inputs := []string{
		`"2026-11-24T09:00:00.123456+00:00"`, `"2026-11-24T09:00:00.000000-07:30"`, `"2026-02-28T23:59:59.999999+14:00"`,
		`"2024-02-29T00:00:00.000000+00:00"`, `"2026-02-29T00:00:00.000000+00:00"`, `"2026-04-31T00:00:00.000000+00:00"`,
		`"2026-13-01T00:00:00.000000+00:00"`, `"2026-11-24T24:00:00.000000+00:00"`, `"2026-11-24T09:60:00.000000+00:00"`,
		`"2026-11-24T09:00:00.12345a+00:00"`, `"2026-11-24 09:00:00.000000+00:00"`, `"2026-11-24T09:00:00Z"`,
		`"2026-11-24T09:00:00.123456789+01:00"`, `"2026-11-24T09:00:00.123456"`, `"0000-01-01T00:00:00.000000+00:00"`,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		instant := time.Unix(rng.Int64N(1<<34), rng.Int64N(1e9))
		zone := time.FixedZone("z", (rng.IntN(28*60)-14*60)*60)
		inputs = append(inputs, `"`+instant.In(zone).Format(api.TimeLayout)+`"`)
	}
	for _, in := range inputs {
		var got api.Time
		gotErr := json.Unmarshal([]byte(in), &got)
		var want time.Time
		var wantErr error
		for _, layout := range []string{api.TimeLayout, time.RFC3339Nano, "2006-01-02T15:04:05.999999"} {
			if want, wantErr = time.Parse(layout, strings.Trim(in, `"`)); wantErr == nil {
				break
			}
		}
		if (gotErr != nil) != (wantErr != nil) || gotErr == nil && !got.Equal(api.NewTime(want).Time) {
			t.Errorf("Unmarshal(%s) = %v, %v; time.Parse gives %v, %v", in, got, gotErr, want, wantErr)
		}
		if gotErr == nil {
			if out, _ := json.Marshal(got); string(out) != `"`+got.UTC().Format(api.TimeLayout)+`"` {
				t.Errorf("Marshal(%v) = %s", got, out)
			}
		}
	}
}

// TestResetStatus_sharesNothing: ResetStatus copies a cached new object's
// status into every created object, which is safe only while a new
// object's status holds no map, slice or pointer that is set.
func TestResetStatus_sharesNothing(t *testing.T) {
	var check func(path string, v reflect.Value)
	check = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				t.Errorf("%s is set in a new object: ResetStatus would share it between objects", path)
			}
		case reflect.Struct:
			for i := range v.NumField() {
				check(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
	}
	for _, k := range api.Kinds {
		status := reflect.ValueOf(k.New()).Elem().FieldByName("Status")
		if !status.IsValid() {
			continue
		}
		check(k.Kind+".Status", status)
		obj := k.New()
		reflect.ValueOf(obj).Elem().FieldByName("Status").Set(reflect.Zero(status.Type()))
		api.ResetStatus(k, obj)
		if got, want := reflect.ValueOf(obj).Elem().FieldByName("Status").Interface(), status.Interface(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: ResetStatus gave %+v, want a new object's %+v", k.Kind, got, want)
		}
	}
}

// TestReasonCode_wire: reason codes travel as the original's names, in
// status.reason and in metrics_reasons; numbers (our earlier data) and
// names are both read.
func TestReasonCode_wire(t *testing.T) {
	st := api.ClusterStatus{
		Reason:         &api.Reason{Code: api.ReasonNoSuitableResource, Message: "m"},
		MetricsReasons: map[string]api.Reason{"heat": {Code: api.ReasonUnreachableMetricsProvider, Message: "down"}},
	}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"reason":{"code":"NO_SUITABLE_RESOURCE","message":"m"}`,
		`"metrics_reasons":{"heat":{"code":"UNREACHABLE_METRICS_PROVIDER","message":"down"}}`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("status JSON %s lacks %s", data, want)
		}
	}
	for _, tt := range []struct {
		in      string
		want    api.ReasonCode
		wantErr bool
	}{
		{`{"code":"UNKNOWN_METRIC"}`, api.ReasonUnknownMetric, false},
		{`{"code":"unknown_metric"}`, api.ReasonUnknownMetric, false},
		{`{"code":93}`, api.ReasonUnknownMetric, false},
		{`{"code":"SLEEPY"}`, 0, true},
		{`{"code":true}`, 0, true},
	} {
		var r api.Reason
		err := json.Unmarshal([]byte(tt.in), &r)
		if (err != nil) != tt.wantErr || r.Code != tt.want {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v (error: %v)", tt.in, r.Code, err, tt.want, tt.wantErr)
		}
	}
}

// TestKindSecrets checks Kind.Secrets against VisitSecrets: a kind says
// it carries credentials exactly when VisitSecrets finds some in a filled
// object of it.
func TestKindSecrets(t *testing.T) {
	for _, k := range api.Kinds {
		obj := k.New()
		secret := "s3cret"
		switch o := obj.(type) {
		case *api.Cluster:
			o.Spec.Kubeconfig = map[string]any{"users": []any{map[string]any{"name": "u", "user": map[string]any{"token": secret}}}}
		case *api.InfrastructureProvider:
			o.Spec.IM = &api.IMSpec{Password: &secret}
		case *api.Cloud:
			o.Spec.Openstack = &api.OpenstackSpec{}
			o.Spec.Openstack.Auth.Password.User.Password = secret
		case *api.MetricsProvider:
			o.Spec.Influx = &api.InfluxSpec{Token: secret}
		}
		visits := 0
		if err := api.VisitSecrets(obj, func(_ string, v any) (any, error) { visits++; return v, nil }); err != nil {
			t.Fatal(err)
		}
		if got := visits > 0; got != api.HasSecrets(k) {
			t.Errorf("%s: VisitSecrets found %d secrets, but Kind.Secrets is %v", k, visits, k.Secrets)
		}
	}
}
