package resource

import (
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/rok/internal/cmdutil"
)

// Labels is the -l/--label K=V flag of create and update, with
// --remove-existing-labels on update.
type Labels struct {
	values []string
	remove bool
}

// AddFlags declares the flags.
func (l *Labels) AddFlags(fs *pflag.FlagSet, update bool) {
	fs.StringArrayVarP(&l.values, "label", "l", nil, "label K=V (repeatable)")
	if update {
		fs.BoolVar(&l.remove, "remove-existing-labels", false, "drop the labels the object has before adding -l ones")
	}
}

// Apply sets the labels on obj.
func (l *Labels) Apply(obj api.Object, fs *pflag.FlagSet) error {
	m := obj.GetMetadata()
	if l.remove || m.Labels == nil {
		m.Labels = map[string]string{}
	}
	for _, kv := range l.values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cmdutil.FlagErrorf("--label %q: use KEY=VALUE", kv)
		}
		m.Labels[k] = v
	}
	return nil
}

// Pairs parses NAME=VALUE flags (the two-value flags, joined by cli) into
// names and numbers.
func Pairs(flag string, values []string) ([]string, []float64, error) {
	names := make([]string, 0, len(values))
	numbers := make([]float64, 0, len(values))
	for _, raw := range values {
		name, value, ok := strings.Cut(raw, "=")
		if !ok || name == "" {
			return nil, nil, cmdutil.FlagErrorf("--%s %q: give a name and a number, e.g. --%s heat 0.5", flag, raw, flag)
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, nil, cmdutil.FlagErrorf("--%s %s: %q is not a number", flag, name, value)
		}
		names, numbers = append(names, name), append(numbers, n)
	}
	return names, numbers, nil
}

// MetricRefs parses --metric NAME WEIGHT (namespaced metrics) and
// --global-metric NAME WEIGHT into metric references, in that order.
func MetricRefs(namespaced, global []string) ([]api.MetricRef, error) {
	var refs []api.MetricRef
	for _, set := range []struct {
		flag       string
		values     []string
		namespaced bool
	}{{"metric", namespaced, true}, {"global-metric", global, false}} {
		names, weights, err := Pairs(set.flag, set.values)
		if err != nil {
			return nil, err
		}
		for i := range names {
			refs = append(refs, api.MetricRef{Name: names[i], Weight: weights[i], Namespaced: set.namespaced})
		}
	}
	return refs, nil
}

// Backoff are the --backoff, --backoff_delay and --backoff_limit flags.
type Backoff struct {
	backoff, delay float64
	limit          int
}

// AddFlags declares the flags (underscore names, as in the original).
func (b *Backoff) AddFlags(fs *pflag.FlagSet) {
	fs.Float64Var(&b.backoff, "backoff", 1, "back-off multiplier between retries")
	fs.Float64Var(&b.delay, "backoff_delay", 1, "seconds before the first retry")
	fs.IntVar(&b.limit, "backoff_limit", -1, "retries before FAILED (-1: no limit)")
}

// Apply sets the changed values.
func (b *Backoff) Apply(fs *pflag.FlagSet, backoff, delay *float64, limit *int) {
	if fs.Changed("backoff") {
		*backoff = b.backoff
	}
	if fs.Changed("backoff_delay") {
		*delay = b.delay
	}
	if fs.Changed("backoff_limit") {
		*limit = b.limit
	}
}

// Exclusive fails when more than one of the flags is set.
func Exclusive(fs *pflag.FlagSet, names ...string) error {
	var set []string
	for _, n := range names {
		if fs.Changed(n) {
			set = append(set, "--"+n)
		}
	}
	if len(set) > 1 {
		return cmdutil.FlagErrorf("%s cannot be used together", strings.Join(set, " and "))
	}
	return nil
}

// FlagAliases makes each alias another name of its flag (--user for
// --username), for grammars that differ between the original CLI and
// ours: both spellings work, help shows the canonical one.
func FlagAliases(fs *pflag.FlagSet, aliases map[string]string) {
	previous := fs.GetNormalizeFunc()
	fs.SetNormalizeFunc(func(f *pflag.FlagSet, name string) pflag.NormalizedName {
		if canonical, ok := aliases[name]; ok {
			name = canonical
		}
		return previous(f, name)
	})
}
