package metrics

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
)

// kafka reads a metric from a KSQL table through the KSQL REST API: the
// row whose comparison column names the metric, its value column.
type kafka struct {
	spec api.KafkaSpec
	http *http.Client
}

func (k *kafka) Value(ctx context.Context, metric string) (float64, error) {
	query := fmt.Sprintf("SELECT %s FROM %s WHERE %s = '%s';", k.spec.ValueColumn, k.spec.Table, k.spec.ComparisonColumn, strings.ReplaceAll(metric, "'", "''"))
	body, _ := json.Marshal(map[string]any{"ksql": query, "streamsProperties": map[string]any{}})
	resp, err := post(ctx, k.http, strings.TrimRight(k.spec.URL, "/")+"/query", body, map[string]string{
		"Content-Type": "application/vnd.ksql.v1+json; charset=utf-8", "Accept": "application/vnd.ksql.v1+json"})
	if err != nil {
		return 0, fmt.Errorf("KSQL at %s unreachable: %w", k.spec.URL, err)
	}
	if resp.status != http.StatusOK {
		return 0, fmt.Errorf("KSQL query for %q failed: %d %s", metric, resp.status, snippet(resp.body))
	}
	var rows []struct {
		Row *struct {
			Columns []any `json:"columns"`
		} `json:"row"`
	}
	if err := json.Unmarshal(resp.body, &rows); err != nil {
		return 0, fmt.Errorf("KSQL answered something else than rows: %s", snippet(resp.body))
	}
	for _, r := range rows {
		if r.Row != nil && len(r.Row.Columns) > 0 {
			return number(r.Row.Columns[0], metric)
		}
	}
	return 0, fmt.Errorf("KSQL table %s has no row for %q", k.spec.Table, metric)
}

// influx reads the last value of a measurement with a Flux query.
type influx struct {
	spec api.InfluxSpec
	http *http.Client
}

func (f *influx) Value(ctx context.Context, metric string) (float64, error) {
	flux := fmt.Sprintf(`from(bucket: %q) |> range(start: -1h) |> filter(fn: (r) => r._measurement == %q) |> last()`, f.spec.Bucket, metric)
	u := strings.TrimRight(f.spec.URL, "/") + "/api/v2/query?" + url.Values{"org": {f.spec.Org}}.Encode()
	resp, err := post(ctx, f.http, u, []byte(flux), map[string]string{
		"Content-Type": "application/vnd.flux", "Accept": "application/csv", "Authorization": "Token " + f.spec.Token})
	if err != nil {
		return 0, fmt.Errorf("InfluxDB at %s unreachable: %w", f.spec.URL, err)
	}
	if resp.status != http.StatusOK {
		return 0, fmt.Errorf("InfluxDB query for %q failed: %d %s", metric, resp.status, snippet(resp.body))
	}
	r := csv.NewReader(bytes.NewReader(resp.body))
	r.FieldsPerRecord = -1
	r.Comment = '#'
	records, err := r.ReadAll()
	if err != nil {
		return 0, fmt.Errorf("InfluxDB answered no CSV: %w", err)
	}
	col := -1
	for _, rec := range records {
		if col < 0 {
			for i, name := range rec {
				if name == "_value" {
					col = i
				}
			}
			continue
		}
		if col < len(rec) && rec[col] != "" {
			return number(rec[col], metric)
		}
	}
	return 0, fmt.Errorf("InfluxDB has no value for %q in bucket %s", metric, f.spec.Bucket)
}

type response struct {
	status int
	body   []byte
}

func post(ctx context.Context, hc *http.Client, u string, body []byte, headers map[string]string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return response{status: resp.StatusCode, body: data}, nil
}

func number(v any, metric string) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f, nil
		}
	}
	return 0, fmt.Errorf("value %v of %q is not a number", v, metric)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
