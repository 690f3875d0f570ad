package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/metrics"
)

// A stand-in KSQL server: it answers POST /query like KSQL's REST API.
func TestKafka(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			KSQL string `json:"ksql"`
		}
		if r.Method != http.MethodPost || r.URL.Path != "/query" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		switch req.KSQL {
		case "SELECT value FROM heat_demand WHERE zone = 'heat_zone_1';":
			_, _ = w.Write([]byte(`[{"header":{"queryId":"q1","schema":"` + "`VALUE` DOUBLE" + `"}},{"row":{"columns":[0.42]}}]`))
		case "SELECT value FROM heat_demand WHERE zone = 'missing';":
			_, _ = w.Write([]byte(`[{"header":{"queryId":"q2","schema":"x"}}]`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"@type":"statement_error","message":"line 1: syntax error: ` + req.KSQL + `"}`))
		}
	}))
	defer srv.Close()
	p, err := metrics.New(api.MetricsProviderSpec{Type: "kafka", Kafka: &api.KafkaSpec{URL: srv.URL, Table: "heat_demand", ComparisonColumn: "zone", ValueColumn: "value"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := p.Value(context.Background(), "heat_zone_1"); err != nil || v != 0.42 {
		t.Errorf("heat_zone_1 = %v, %v; want 0.42", v, err)
	}
	if _, err := p.Value(context.Background(), "missing"); err == nil || !strings.Contains(err.Error(), "no row") {
		t.Errorf("missing: %v", err)
	}
	if _, err := p.Value(context.Background(), "it's"); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("quoted name: %v (the quote must be escaped, and KSQL's error shown)", err)
	}
}

// A stand-in InfluxDB: it answers POST /api/v2/query with annotated CSV.
func TestInflux(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flux, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/api/v2/query" || r.URL.Query().Get("org") != "krake" || r.Header.Get("Authorization") != "Token secret" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"code":"unauthorized","message":"unauthorized access"}`))
			return
		}
		if !strings.Contains(string(flux), `from(bucket: "metrics")`) {
			http.Error(w, "wrong bucket", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		if strings.Contains(string(flux), `"latency"`) {
			_, _ = w.Write([]byte("#datatype,string,long,dateTime:RFC3339,double,string\n#group,false,false,false,false,true\n#default,_result,,,,\n,result,table,_time,_value,_measurement\n,,0,2026-11-24T10:00:00Z,12.5,latency\n\n"))
			return
		}
		_, _ = w.Write([]byte("\n"))
	}))
	defer srv.Close()
	spec := api.InfluxSpec{URL: srv.URL, Token: "secret", Org: "krake", Bucket: "metrics"}
	p, _ := metrics.New(api.MetricsProviderSpec{Type: "influx", Influx: &spec}, nil)
	if v, err := p.Value(context.Background(), "latency"); err != nil || v != 12.5 {
		t.Errorf("latency = %v, %v; want 12.5", v, err)
	}
	if _, err := p.Value(context.Background(), "energy"); err == nil || !strings.Contains(err.Error(), "no value") {
		t.Errorf("energy: %v", err)
	}
	spec.Token = "wrong"
	p, _ = metrics.New(api.MetricsProviderSpec{Type: "influx", Influx: &spec}, nil)
	if _, err := p.Value(context.Background(), "latency"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong token: %v", err)
	}
}
