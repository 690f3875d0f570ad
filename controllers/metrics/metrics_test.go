package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/metrics"
)

func TestStatic(t *testing.T) {
	p, err := metrics.New(api.MetricsProviderSpec{Type: "static", Static: &api.StaticSpec{Metrics: map[string]float64{"heat": 0.4}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := p.Value(context.Background(), "heat"); err != nil || v != 0.4 {
		t.Errorf("heat = %v, %v", v, err)
	}
	if _, err := p.Value(context.Background(), "cold"); err == nil || !strings.Contains(err.Error(), "no metric") {
		t.Errorf("unknown metric: %v", err)
	}
}

// A narrow test of error handling on a stand-in query API; the proof
// against a real Prometheus is TestPrometheus_realServer.
func TestPrometheus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		switch r.URL.Query().Get("query") {
		case "heat":
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.1,"0.75"]}]}}`))
		case "empty":
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"parse error"}`))
		}
	}))
	defer srv.Close()
	p, _ := metrics.New(api.MetricsProviderSpec{Type: "prometheus", Prometheus: &api.PrometheusSpec{URL: srv.URL}}, nil)
	if v, err := p.Value(context.Background(), "heat"); err != nil || v != 0.75 {
		t.Errorf("heat = %v, %v", v, err)
	}
	for query, want := range map[string]string{"empty": "no sample", "bad(": "parse error"} {
		if _, err := p.Value(context.Background(), query); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", query, err, want)
		}
	}
	srv.Close()
	if _, err := p.Value(context.Background(), "heat"); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("down: %v", err)
	}
}
