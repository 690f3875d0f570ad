// Package metrics fetches metric values from metrics providers: static
// values, Prometheus's HTTP query API, a KSQL table over Kafka's KSQL REST
// API, and InfluxDB with a Flux query.
package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
)

// Provider returns the current value of a metric.
type Provider interface {
	Value(ctx context.Context, metric string) (float64, error)
}

// New returns the provider a spec describes.
func New(spec api.MetricsProviderSpec, hc *http.Client) (Provider, error) {
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	switch {
	case spec.Type == api.ProviderStatic && spec.Static != nil:
		return static(spec.Static.Metrics), nil
	case spec.Type == api.ProviderPrometheus && spec.Prometheus != nil:
		return &prometheus{url: api.ProviderURL(spec.Prometheus.URL), http: hc}, nil
	case spec.Type == api.ProviderKafka && spec.Kafka != nil:
		k := *spec.Kafka
		k.URL = api.ProviderURL(k.URL)
		return &kafka{spec: k, http: hc}, nil
	case spec.Type == api.ProviderInflux && spec.Influx != nil:
		f := *spec.Influx
		f.URL = api.ProviderURL(f.URL)
		return &influx{spec: f, http: hc}, nil
	}
	return nil, fmt.Errorf("metrics provider type %q is not supported yet", spec.Type)
}

type static map[string]float64

func (s static) Value(_ context.Context, metric string) (float64, error) {
	v, ok := s[metric]
	if !ok {
		return 0, fmt.Errorf("static provider has no metric %q", metric)
	}
	return v, nil
}

type prometheus struct {
	url  string
	http *http.Client
}

// Value runs `metric` as an instant query and takes the first sample.
func (p *prometheus) Value(ctx context.Context, metric string) (float64, error) {
	u, err := url.Parse(p.url)
	if err != nil {
		return 0, fmt.Errorf("prometheus URL %q: %w", p.url, err)
	}
	u = u.JoinPath("api", "v1", "query")
	u.RawQuery = url.Values{"query": {metric}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, err
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("prometheus at %s unreachable: %w", p.url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var answer struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return 0, fmt.Errorf("prometheus answered %d with no JSON", resp.StatusCode)
	}
	if answer.Status != "success" {
		return 0, fmt.Errorf("prometheus query %q failed: %s", metric, answer.Error)
	}
	if len(answer.Data.Result) == 0 || len(answer.Data.Result[0].Value) != 2 {
		return 0, fmt.Errorf("prometheus has no sample for %q", metric)
	}
	s, _ := answer.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("prometheus sample %q for %q is not a number", s, metric)
	}
	return v, nil
}
