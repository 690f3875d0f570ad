package resource

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/rok/internal/cmdutil"
)

// Topic is one of rok's top-level groups: the kinds of one API.
type Topic struct {
	API     string // "kubernetes"
	Use     string // "kube"
	Aliases []string
	Short   string
}

// Topics are rok's groups, one per API of api.Kinds.
var Topics = []Topic{
	{API: "kubernetes", Use: "kube", Aliases: []string{"kubernetes", "k8s"}, Short: "Kubernetes applications and clusters"},
	{API: "core", Use: "core", Short: "Metrics, metrics providers, roles, role bindings and leases"},
	{API: "infrastructure", Use: "infra", Aliases: []string{"infrastructure"}, Short: "Infrastructure providers and clouds"},
}

// Command is how rok names one kind: `rok <topic> <Use> <verb>`. The
// names and aliases are the original rok's first; our earlier names stay
// as aliases, so scripts keep working.
type Command struct {
	API, Kind string
	Use       string
	Aliases   []string
	Short     string
	// Register: the create verb is "register" (create stays an alias).
	Register bool
}

// Commands is rok's table of kinds; TestCommands checks it against
// api.Kinds, so a new kind cannot lack its commands.
var Commands = []Command{
	{API: "kubernetes", Kind: "Application", Use: "app", Aliases: []string{"application", "apps", "applications"},
		Short: "Applications: Kubernetes manifests Krake places on a cluster"},
	{API: "kubernetes", Kind: "Cluster", Use: "cluster", Aliases: []string{"clusters", "cl"},
		Short: "Clusters: the Kubernetes clusters Krake deploys to", Register: true},
	{API: "core", Kind: "Metric", Use: "metric", Aliases: []string{"metrics", "m"}, Short: "Namespaced metrics"},
	{API: "core", Kind: "GlobalMetric", Use: "globalmetric", Aliases: []string{"globalmetrics", "gm"}, Short: "Global metrics"},
	{API: "core", Kind: "MetricsProvider", Use: "metricsprovider", Aliases: []string{"metricsproviders", "mp"}, Short: "Namespaced metrics providers"},
	{API: "core", Kind: "GlobalMetricsProvider", Use: "globalmetricsprovider", Aliases: []string{"globalmetricsproviders", "gmp"}, Short: "Global metrics providers"},
	{API: "core", Kind: "Role", Use: "role", Aliases: []string{"roles"}, Short: "RBAC roles"},
	{API: "core", Kind: "RoleBinding", Use: "rolebinding", Aliases: []string{"rolebindings", "rb"}, Short: "RBAC role bindings"},
	{API: "core", Kind: "Lease", Use: "lease", Aliases: []string{"leases"}, Short: "Leases: which replica of a controller run apart leads"},
	{API: "infrastructure", Kind: "InfrastructureProvider", Use: "infrastructureprovider",
		Aliases: []string{"infrastructureproviders", "provider", "providers", "ip"}, Short: "Namespaced infrastructure providers", Register: true},
	{API: "infrastructure", Kind: "GlobalInfrastructureProvider", Use: "globalinfrastructureprovider",
		Aliases: []string{"globalinfrastructureproviders", "gprovider", "gip", "globalprovider", "globalproviders"},
		Short:   "Global infrastructure providers", Register: true},
	{API: "infrastructure", Kind: "Cloud", Use: "cloud", Aliases: []string{"clouds"}, Short: "Namespaced clouds", Register: true},
	{API: "infrastructure", Kind: "GlobalCloud", Use: "globalcloud", Aliases: []string{"globalclouds", "gcloud", "gc"}, Short: "Global clouds", Register: true},
}

// Custom is what a topic package adds to a kind's generated group: its
// flags (required), and optionally examples, a dry-run explanation and
// verbs of its own.
type Custom struct {
	Fields         Fields
	NameFromFields bool
	Examples       map[string]string
	Explain        ExplainFunc
	Extra          func(k api.Kind) []*cobra.Command
}

// NewTopicCommand returns `rok <topic>` with a group per kind of its API,
// named from Commands; custom holds each kind's flags, by kind name.
func NewTopicCommand(f *cmdutil.Factory, apiName string, custom map[string]Custom) *cobra.Command {
	topic, ok := topicFor(apiName)
	if !ok {
		panic("rok: no topic for API " + apiName)
	}
	cmd := NewTopic(topic.Use, topic.Aliases, topic.Short)
	for _, c := range Commands {
		if c.API != apiName {
			continue
		}
		k := api.MustKind(c.API, c.Kind)
		cu, ok := custom[c.Kind]
		if !ok || cu.Fields == nil {
			panic(fmt.Sprintf("rok: kind %s has no flags in rok %s", k, topic.Use))
		}
		spec := Spec{Kind: k, Use: c.Use, Aliases: c.Aliases, Short: c.Short, Fields: cu.Fields,
			NameFromFields: cu.NameFromFields, Wait: k.ReadyState != "", Examples: cu.Examples, Explain: cu.Explain}
		if c.Register {
			spec.Create = "register"
		}
		var extra []*cobra.Command
		if cu.Extra != nil {
			extra = cu.Extra(k)
		}
		cmd.AddCommand(NewGroup(f, spec, extra...))
	}
	return cmd
}

func topicFor(apiName string) (Topic, bool) {
	for _, t := range Topics {
		if t.API == apiName {
			return t, true
		}
	}
	return Topic{}, false
}
