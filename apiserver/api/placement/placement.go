// Package placement is the pure core of scheduling (DESIGN §5): which
// clusters may run an application (filters), how good each is (score), and
// why (explain). No I/O, no clock, no global randomness: the caller passes
// the metric values it fetched and a *rand.Rand for tie-breaks.
//
// It lives beside the wire types because two sides use it: the scheduler
// decides with it, and the API explains with it (the server may not import
// controllers).
package placement

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/constraint"
)

// DefaultStickiness is the weight of the "runs here already" term in
// the score, so apps do not flap between near-equal clusters.
const DefaultStickiness = 0.1

// NoStickiness, as an option, turns the "runs here already" term off.
const NoStickiness = -1.0

// EffectiveStickiness is the weight an option means: 0 (unset) is
// DefaultStickiness, negative (NoStickiness) is none. The scheduler and
// the API's explain both resolve their option here.
func EffectiveStickiness(option float64) float64 {
	switch {
	case option == 0:
		return DefaultStickiness
	case option < 0:
		return 0
	}
	return option
}

// MetricValue is one metric of a cluster as fetched for this pass.
type MetricValue struct {
	Name     string
	Weight   float64
	Value    float64
	Min, Max float64
	Err      error // the metric could not be fetched
}

// Candidate is a cluster with its metrics.
type Candidate struct {
	Cluster *api.Cluster
	Metrics []MetricValue
}

// Verdict says whether a cluster passed the filters, or which one
// rejected it and why.
type Verdict struct {
	Passed bool   `json:"passed"`
	Filter string `json:"filter,omitempty"` // state, namespace, labels, custom_resources, metrics
	Reason string `json:"reason,omitempty"`
}

// MetricScore is one metric's part of a score.
type MetricScore struct {
	Name       string  `json:"name"`
	Value      float64 `json:"value"`
	Normalized float64 `json:"normalized"`
	Weight     float64 `json:"weight"`
}

// Score is a cluster's rank, the original's weighted mean in which
// stickiness is one more term: (sum of normalised value x weight +
// stickiness x 1 on the app's current cluster, x 0 elsewhere) / (sum of
// weights + stickiness). It damps flapping without blocking a migration
// the metrics justify.
type Score struct {
	Total      float64       `json:"total"`
	HasMetrics bool          `json:"has_metrics"`
	Sticky     float64       `json:"stickiness"` // the stickiness weight in the mean
	Current    bool          `json:"current"`    // the app runs here: its stickiness term is 1
	Parts      []MetricScore `json:"metrics"`
}

// ClusterVerdict is one line of an explanation.
type ClusterVerdict struct {
	Cluster string  `json:"cluster"`
	Verdict Verdict `json:"verdict"`
	Score   *Score  `json:"score,omitempty"`
}

// Explanation is the whole decision.
type Explanation struct {
	Chosen   string           `json:"chosen"` // "" when no cluster passed
	Clusters []ClusterVerdict `json:"clusters"`
	// Move is how the app moves when a better cluster appears (MoveOf).
	Move string `json:"move"`
}

// MoveOf says how app moves to another cluster: not at all without
// migration; break-before-make with the shutdown hook (the old copy hands
// over its state and goes before the new one is applied); else
// make-before-break (the new copy is ready before the old one goes).
func MoveOf(app *api.Application) string {
	switch {
	case !app.Spec.Constraints.Migration:
		return "stays: migration is disabled (--enable-migration allows it)"
	case slices.Contains(app.Spec.Hooks, api.HookShutdown):
		return "break-before-make: the shutdown hook stops the old copy, which is removed before the new one is applied"
	}
	return "make-before-break: the new copy is ready before the old one is removed"
}

// Filter checks one cluster against the app's constraints, in a fixed
// order, and stops at the first that rejects it.
func Filter(app *api.Application, c Candidate) Verdict {
	cl := c.Cluster
	switch {
	case cl.Metadata.Namespace != app.Metadata.Namespace:
		return Verdict{Filter: "namespace", Reason: fmt.Sprintf("cluster is in namespace %s, the app in %s", cl.Metadata.Namespace, app.Metadata.Namespace)}
	case cl.Metadata.Deleted != nil:
		return Verdict{Filter: "state", Reason: "cluster is being deleted"}
	case cl.Status.State != api.StateOnline:
		return Verdict{Filter: "state", Reason: "cluster is " + cl.Status.State + ", not ONLINE"}
	}
	cons := app.Spec.Constraints.Cluster
	for _, expr := range cons.Labels {
		lc, err := constraint.ParseLabel(expr)
		if err != nil {
			return Verdict{Filter: "labels", Reason: err.Error()}
		}
		if !lc.Match(cl.Metadata.Labels) {
			return Verdict{Filter: "labels", Reason: lc.Explain(cl.Metadata.Labels)}
		}
	}
	for _, crd := range cons.CustomResources {
		if !slices.Contains(cl.Spec.CustomResources, crd) {
			return Verdict{Filter: "custom_resources", Reason: "cluster does not declare custom resource " + crd}
		}
	}
	for _, expr := range cons.Metrics {
		mc, err := constraint.ParseMetric(expr)
		if err != nil {
			return Verdict{Filter: "metrics", Reason: err.Error()}
		}
		i := slices.IndexFunc(c.Metrics, func(m MetricValue) bool { return m.Name == mc.Name })
		switch {
		case i < 0:
			return Verdict{Filter: "metrics", Reason: "cluster has no metric " + mc.Name}
		case c.Metrics[i].Err != nil:
			return Verdict{Filter: "metrics", Reason: fmt.Sprintf("metric %s: %v", mc.Name, c.Metrics[i].Err)}
		case !mc.Match(c.Metrics[i].Value):
			return Verdict{Filter: "metrics", Reason: fmt.Sprintf("metric %s is %g, constraint wants %s", mc.Name, c.Metrics[i].Value, mc.String())}
		}
	}
	return Verdict{Passed: true}
}

// Normalize maps value into [0, 1] between min and max (clamped); with
// min >= max it is 1 when value reaches max, else 0.
func Normalize(value, lo, hi float64) float64 {
	if !(lo < hi) {
		if value >= hi {
			return 1
		}
		return 0
	}
	return math.Min(1, math.Max(0, (value-lo)/(hi-lo)))
}

// ScoreOf ranks a cluster that passed the filters. current is the cluster
// the app runs on (nil when none).
func ScoreOf(c Candidate, current *api.ResourceRef, stickiness float64) Score {
	s := Score{Sticky: stickiness}
	var sum, weights float64
	for _, m := range c.Metrics {
		if m.Err != nil {
			continue
		}
		n := Normalize(m.Value, m.Min, m.Max)
		s.Parts = append(s.Parts, MetricScore{Name: m.Name, Value: m.Value, Normalized: n, Weight: m.Weight})
		sum += m.Weight * n
		weights += m.Weight
	}
	s.HasMetrics = weights > 0
	s.Current = current != nil && current.Namespace == c.Cluster.Metadata.Namespace && current.Name == c.Cluster.Metadata.Name
	if s.Current {
		sum += stickiness
	}
	if total := weights + stickiness; total > 0 {
		s.Total = sum / total
	}
	return s
}

// Explain filters and scores every candidate and chooses: clusters with
// metrics outrank clusters without, then the higher score, ties broken by
// rng. Clusters are listed in that order, rejected ones last by name.
func Explain(app *api.Application, candidates []Candidate, stickiness float64, rng *rand.Rand) Explanation {
	var passed, rejected []ClusterVerdict
	for _, c := range candidates {
		v := Filter(app, c)
		if !v.Passed {
			rejected = append(rejected, ClusterVerdict{Cluster: c.Cluster.Metadata.Name, Verdict: v})
			continue
		}
		s := ScoreOf(c, app.Status.ScheduledTo, stickiness)
		passed = append(passed, ClusterVerdict{Cluster: c.Cluster.Metadata.Name, Verdict: v, Score: &s})
	}
	// Shuffle first, then a stable sort: equal clusters end in random order.
	rng.Shuffle(len(passed), func(i, j int) { passed[i], passed[j] = passed[j], passed[i] })
	slices.SortStableFunc(passed, func(a, b ClusterVerdict) int {
		if a.Score.HasMetrics != b.Score.HasMetrics {
			if a.Score.HasMetrics {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.Score.Total, a.Score.Total)
	})
	slices.SortFunc(rejected, func(a, b ClusterVerdict) int { return strings.Compare(a.Cluster, b.Cluster) })
	e := Explanation{Clusters: append(passed, rejected...), Move: MoveOf(app)}
	if len(passed) > 0 {
		e.Chosen = passed[0].Cluster
	}
	return e
}

// Summary says in one line why nothing was chosen, for the app's reason.
func (e Explanation) Summary() string {
	if e.Chosen != "" {
		return "chose " + e.Chosen
	}
	if len(e.Clusters) == 0 {
		return "no cluster in the namespace"
	}
	parts := make([]string, 0, len(e.Clusters))
	for _, c := range e.Clusters {
		parts = append(parts, c.Cluster+": "+c.Verdict.Reason)
	}
	return "no cluster passed: " + strings.Join(parts, "; ")
}
