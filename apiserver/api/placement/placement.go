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
	Cluster string `json:"cluster"` // the home's name: a cluster, or a cloud
	// Kind is Cloud or GlobalCloud in a cluster's explanation, "" for an
	// app's (always a Cluster).
	Kind    string  `json:"kind,omitempty"`
	Verdict Verdict `json:"verdict"`
	Score   *Score  `json:"score,omitempty"`
}

// Explanation is the whole decision.
type Explanation struct {
	Chosen     string           `json:"chosen"`                // "" when no cluster passed
	ChosenKind string           `json:"chosen_kind,omitempty"` // Cloud or GlobalCloud for a cluster
	Clusters   []ClusterVerdict `json:"clusters"`
	// Move is how the app moves when a better cluster appears (MoveOf).
	Move string `json:"move"`
	// Home is what was chosen among: "" for clusters (an app's), "cloud"
	// for a cluster Krake creates.
	Home string `json:"home,omitempty"`
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
	cons := app.Spec.Constraints.Cluster
	return filter(app.Metadata.Namespace, home{what: "cluster", namespace: cl.Metadata.Namespace,
		labels: cl.Metadata.Labels, customResources: cl.Spec.CustomResources, state: cl.Status.State,
		deleted: cl.Metadata.Deleted != nil}, cons.Labels, cons.CustomResources, cons.Metrics, c.Metrics)
}

// home is what a filter reads of a place: a cluster for an app, a cloud
// for a cluster Krake creates.
type home struct {
	what            string // "cluster", "cloud"
	namespace       string // "" for a global cloud, which every namespace sees
	labels          map[string]string
	customResources []string
	state           string
	deleted         bool
}

// filter checks a home against constraints: namespace, state, labels,
// custom resources, metrics, in that order.
func filter(namespace string, h home, labels, customResources, metricExprs []string, metrics []MetricValue) Verdict {
	switch {
	case h.namespace != "" && h.namespace != namespace:
		return Verdict{Filter: "namespace", Reason: fmt.Sprintf("%s is in namespace %s, not %s", h.what, h.namespace, namespace)}
	case h.deleted:
		return Verdict{Filter: "state", Reason: h.what + " is being deleted"}
	case h.state != api.StateOnline:
		return Verdict{Filter: "state", Reason: h.what + " is " + h.state + ", not ONLINE"}
	}
	for _, expr := range labels {
		lc, err := constraint.ParseLabel(expr)
		if err != nil {
			return Verdict{Filter: "labels", Reason: err.Error()}
		}
		if !lc.Match(h.labels) {
			return Verdict{Filter: "labels", Reason: lc.ExplainFor(h.what, h.labels)}
		}
	}
	for _, crd := range customResources {
		if !slices.Contains(h.customResources, crd) {
			return Verdict{Filter: "custom_resources", Reason: h.what + " does not declare custom resource " + crd}
		}
	}
	for _, expr := range metricExprs {
		mc, err := constraint.ParseMetric(expr)
		if err != nil {
			return Verdict{Filter: "metrics", Reason: err.Error()}
		}
		i := slices.IndexFunc(metrics, func(m MetricValue) bool { return m.Name == mc.Name })
		switch {
		case i < 0:
			return Verdict{Filter: "metrics", Reason: h.what + " has no metric " + mc.Name}
		case metrics[i].Err != nil:
			return Verdict{Filter: "metrics", Reason: fmt.Sprintf("metric %s: %v", mc.Name, metrics[i].Err)}
		case !mc.Match(metrics[i].Value):
			return Verdict{Filter: "metrics", Reason: fmt.Sprintf("metric %s is %g, constraint wants %s", mc.Name, metrics[i].Value, mc.String())}
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
	isCurrent := current != nil && current.Namespace == c.Cluster.Metadata.Namespace && current.Name == c.Cluster.Metadata.Name
	return scoreOf(c.Metrics, isCurrent, stickiness)
}

func scoreOf(metrics []MetricValue, current bool, stickiness float64) Score {
	s := Score{Sticky: stickiness}
	var sum, weights float64
	for _, m := range metrics {
		if m.Err != nil {
			continue
		}
		n := Normalize(m.Value, m.Min, m.Max)
		s.Parts = append(s.Parts, MetricScore{Name: m.Name, Value: m.Value, Normalized: n, Weight: m.Weight})
		sum += m.Weight * n
		weights += m.Weight
	}
	s.HasMetrics = weights > 0
	s.Current = current
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
	verdicts := make([]ClusterVerdict, len(candidates))
	for i, c := range candidates {
		verdicts[i] = ClusterVerdict{Cluster: c.Cluster.Metadata.Name, Verdict: Filter(app, c)}
		if verdicts[i].Verdict.Passed {
			s := ScoreOf(c, app.Status.ScheduledTo, stickiness)
			verdicts[i].Score = &s
		}
	}
	e := rank(verdicts, rng, nil)
	e.Move = MoveOf(app)
	return e
}

// rank orders verdicts as Explain describes and chooses the first; tier,
// when given, ranks before everything else (lower first).
func rank(verdicts []ClusterVerdict, rng *rand.Rand, tier func(ClusterVerdict) int) Explanation {
	var passed, rejected []ClusterVerdict
	for _, v := range verdicts {
		if v.Verdict.Passed {
			passed = append(passed, v)
		} else {
			rejected = append(rejected, v)
		}
	}
	// Shuffle first, then a stable sort: equal homes end in random order.
	rng.Shuffle(len(passed), func(i, j int) { passed[i], passed[j] = passed[j], passed[i] })
	slices.SortStableFunc(passed, func(a, b ClusterVerdict) int {
		if tier != nil && tier(a) != tier(b) {
			return cmp.Compare(tier(a), tier(b))
		}
		if a.Score.HasMetrics != b.Score.HasMetrics {
			if a.Score.HasMetrics {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.Score.Total, a.Score.Total)
	})
	slices.SortFunc(rejected, func(a, b ClusterVerdict) int {
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Kind, b.Kind))
	})
	e := Explanation{Clusters: append(passed, rejected...)}
	if len(passed) > 0 {
		e.Chosen, e.ChosenKind = passed[0].Cluster, passed[0].Kind
	}
	return e
}

// CloudCandidate is a cloud (or global cloud) with its metrics.
type CloudCandidate struct {
	Cloud   *api.Cloud
	Metrics []MetricValue
}

// FilterCloud checks one cloud against the cloud constraints of a cluster
// Krake creates. A Cloud serves its own namespace, a GlobalCloud every one.
func FilterCloud(cl *api.Cluster, c CloudCandidate) Verdict {
	cloud := c.Cloud
	cons := cl.Spec.Constraints.Cloud
	return filter(cl.Metadata.Namespace, home{what: "cloud", namespace: cloud.Metadata.Namespace,
		labels: cloud.Metadata.Labels, state: cloud.Status.State, deleted: cloud.Metadata.Deleted != nil},
		cons.Labels, nil, cons.Metrics, c.Metrics)
}

// ExplainCluster chooses the cloud a cluster is created on, as Explain
// chooses an app's cluster (a created cluster never moves, so there is no
// stickiness), except that a Cloud of the cluster's namespace that passes
// wins over every GlobalCloud, as in the original. Each verdict's Kind
// says Cloud or GlobalCloud.
func ExplainCluster(cl *api.Cluster, candidates []CloudCandidate, rng *rand.Rand) Explanation {
	verdicts := make([]ClusterVerdict, len(candidates))
	for i, c := range candidates {
		verdicts[i] = ClusterVerdict{Cluster: c.Cloud.Metadata.Name, Kind: c.Cloud.Kind, Verdict: FilterCloud(cl, c)}
		if verdicts[i].Verdict.Passed {
			s := scoreOf(c.Metrics, false, 0)
			verdicts[i].Score = &s
		}
	}
	e := rank(verdicts, rng, func(v ClusterVerdict) int {
		if v.Kind == "GlobalCloud" {
			return 1
		}
		return 0
	})
	e.Move, e.Home = "stays: a created cluster is not moved to another cloud", "cloud"
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
	noun := "cluster"
	parts := make([]string, 0, len(e.Clusters))
	for _, c := range e.Clusters {
		name := c.Cluster
		if c.Kind != "" { // a cluster's explanation: clouds
			noun, name = "cloud", c.Kind+" "+c.Cluster
		}
		parts = append(parts, name+": "+c.Verdict.Reason)
	}
	return "no " + noun + " passed: " + strings.Join(parts, "; ")
}
