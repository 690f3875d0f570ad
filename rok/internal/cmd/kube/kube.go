// Package kube holds `rok kube`: applications and clusters.
package kube

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	json "github.com/go-json-experiment/json/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/tosca"
	"github.com/krake-go/krake/apiserver/yamljson"
	"github.com/krake-go/krake/rok/internal/cmd/resource"
	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/rok/internal/output"
)

// New returns `rok kube`.
func New(f *cmdutil.Factory) *cobra.Command {
	return resource.NewTopicCommand(f, "kubernetes", map[string]resource.Custom{
		"Application": {
			Fields: &appFields{in: f.IO.In},
			Explain: func(ctx context.Context, c *client.Client, obj api.Object) (*placement.Explanation, error) {
				return c.ExplainSpec(ctx, obj.GetMetadata().Namespace, obj.(*api.Application))
			},
			Examples: map[string]string{
				"create": `  rok kube app create echo-demo -f echo-demo.yaml
  rok kube app create echo-demo -f echo-demo.yaml -L 'location in (DE, FR)' --wait
  kubectl create deployment x --image=nginx --dry-run=client -o yaml | rok kube app create x -f -`,
				"list":   "  rok kube app list -A -o wide\n  rok kube app list -l app=echo -w",
				"update": "  rok kube app update echo-demo -f echo-demo-v2.yaml\n  rok kube app update echo-demo --disable-migration",
			},
			Extra: func(k api.Kind) []*cobra.Command {
				return []*cobra.Command{NewCmdRetry(f, k, nil), NewCmdExplain(f, k, nil)}
			},
		},
		"Cluster": {
			Fields: &clusterFields{in: f.IO.In}, NameFromFields: true,
			Examples: map[string]string{
				"create": `  rok kube cluster register -k ~/.kube/config -c kind-dev
  rok kube cluster register -k edge.yaml -l location=DE --metric heat 0.5
  rok kube cluster create lab -f manifests/infrastructure/kwok-cluster.yaml -L location=DE --inherit-labels`,
			},
			Extra: func(k api.Kind) []*cobra.Command {
				return []*cobra.Command{NewCmdExplain(f, k, nil)}
			},
		},
	})
}

// ExplainOptions are `app explain`'s.
type ExplainOptions struct {
	Kind   api.Kind // Application or Cluster
	Name   string
	Format string
}

// NewCmdExplain returns `app explain NAME`; runF nil runs it for real.
func NewCmdExplain(f *cmdutil.Factory, k api.Kind, runF func(context.Context, *ExplainOptions) error) *cobra.Command {
	opts := &ExplainOptions{}
	cmd := &cobra.Command{
		Use:               "explain NAME",
		Short:             "Why the application runs where it does: every cluster's verdict and score",
		Example:           "  rok kube app explain echo-demo\n  rok kube app explain echo-demo -o json",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNames(f, k),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runExplain(cmd.Context(), f, opts)
		},
	}
	if _, cluster := k.New().(*api.Cluster); cluster {
		cmd.Short = "Why a cluster Krake creates goes to its cloud: every cloud's verdict and score"
		cmd.Example = "  rok kube cluster explain lab\n  rok kube cluster explain lab -o json"
	}
	opts.Kind = k
	cmd.Flags().StringVarP(&opts.Format, "output", "o", "table", "output format: table, json, yaml")
	return cmd
}

func runExplain(ctx context.Context, f *cmdutil.Factory, opts *ExplainOptions) error {
	printer, err := output.New(output.Options{Format: opts.Format, TTY: f.IO.IsStdoutTTY()})
	if err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	c, err := f.Client()
	if err != nil {
		return err
	}
	ns, err := f.Namespace()
	if err != nil {
		return err
	}
	e, err := c.ExplainKind(ctx, opts.Kind, ns, opts.Name)
	if err != nil {
		return err
	}
	return printer.PrintExplanation(f.IO.Out, e)
}

// RetryOptions are `app retry`'s.
type RetryOptions struct{ Name string }

// NewCmdRetry returns `app retry NAME`; runF nil runs it for real.
func NewCmdRetry(f *cmdutil.Factory, k api.Kind, runF func(context.Context, *RetryOptions) error) *cobra.Command {
	opts := &RetryOptions{}
	return &cobra.Command{
		Use:               "retry NAME",
		Short:             "Retry a FAILED or DEGRADED application from the start",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNames(f, k),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRetry(cmd.Context(), f, opts)
		},
	}
}

func runRetry(ctx context.Context, f *cmdutil.Factory, opts *RetryOptions) error {
	c, err := f.Client()
	if err != nil {
		return err
	}
	ns, err := f.Namespace()
	if err != nil {
		return err
	}
	app, err := c.Applications(ns).Subresource(ctx, opts.Name, api.SubRetry, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "application %q is %s again\n", app.Metadata.Name, app.Status.State)
	return nil
}

// appFields are the application flags of the original rok.
type appFields struct {
	in                  io.Reader
	file                string
	templateURL         string
	observerSchema      string
	labels              resource.Labels
	backoff             resource.Backoff
	labelConstraints    []string
	resourceConstraints []string
	metricConstraints   []string
	enableMigration     bool
	disableMigration    bool
	autoClusterCreate   bool
	hookComplete        bool
	hookShutdown        string
	inject              []string
	removeLabelC        bool
	removeResourceC     bool
	removeMetricC       bool
}

func (a *appFields) AddFlags(fs *pflag.FlagSet, update bool) {
	fs.StringVarP(&a.file, "file", "f", "", "Kubernetes manifest, or a TOSCA service template (multi-document YAML or JSON; - reads stdin)")
	fs.StringVarP(&a.templateURL, "url", "u", "", "URL of a TOSCA template or a CSAR (.csar, .zip) the API fetches and translates")
	fs.StringVarP(&a.observerSchema, "observer-schema", "O", "", "observer schema: the fields of each manifest object Krake watches (multi-document YAML)")
	a.labels.AddFlags(fs, update)
	fs.StringArrayVarP(&a.inject, "inject", "i", nil, "KEY=VALUE: set the value of the env entries named KEY in every container of the manifest (repeatable)")
	fs.StringArrayVarP(&a.labelConstraints, "cluster-label-constraint", "L", nil, "cluster label constraint, e.g. 'location in (DE, FR)' (repeatable)")
	fs.StringArrayVarP(&a.resourceConstraints, "cluster-resource-constraint", "R", nil, "custom resource the cluster must serve, <plural>.<group> (repeatable)")
	fs.StringArrayVarP(&a.metricConstraints, "cluster-metric-constraint", "M", nil, "cluster metric constraint, e.g. 'latency < 0.5' (repeatable)")
	fs.BoolVar(&a.enableMigration, "enable-migration", false, "allow Krake to move the application to a better cluster (default)")
	fs.BoolVar(&a.disableMigration, "disable-migration", false, "keep the application where it first lands")
	fs.BoolVar(&a.autoClusterCreate, "auto-cluster-create", false, "when no cluster suits the application, create one on a cloud that does (krakectl --auto-cluster-template)")
	fs.BoolVar(&a.hookComplete, "hook-complete", false, "enable the complete hook (the workload ends itself)")
	fs.StringVar(&a.hookShutdown, "hook-shutdown", "", "enable the shutdown hook: --hook-shutdown [GRACE] [STRATEGY] [RETRIES] "+
		"(grace seconds, default 30; strategy delete (default) or give_up; retries, default 0); the manifest needs a Service named shutdown")
	fs.Lookup("hook-shutdown").NoOptDefVal = "default" // bare: the hook with the server's settings
	a.backoff.AddFlags(fs)
	if update {
		fs.BoolVar(&a.removeLabelC, "remove-existing-label-constraints", false, "drop the label constraints before adding -L ones")
		fs.BoolVar(&a.removeResourceC, "remove-existing-resource-constraints", false, "drop the resource constraints before adding -R ones")
		fs.BoolVar(&a.removeMetricC, "remove-existing-metric-constraints", false, "drop the metric constraints before adding -M ones")
	}
}

func (a *appFields) Apply(obj api.Object, fs *pflag.FlagSet, update bool) error {
	app := obj.(*api.Application)
	if err := resource.Exclusive(fs, "enable-migration", "disable-migration"); err != nil {
		return err
	}
	if err := resource.Exclusive(fs, "file", "url"); err != nil {
		return err
	}
	if a.file == "" && a.templateURL == "" && !update {
		return cmdutil.FlagErrorf("give the application's Kubernetes manifest with -f FILE (or -f - for stdin), or a TOSCA template or CSAR with -u URL")
	}
	if a.templateURL != "" {
		app.Spec.Manifest, app.Spec.Tosca, app.Spec.CSAR = nil, nil, ""
		if p := strings.ToLower(strings.SplitN(a.templateURL, "?", 2)[0]); strings.HasSuffix(p, ".csar") || strings.HasSuffix(p, ".zip") {
			app.Spec.CSAR = a.templateURL
		} else {
			quoted, _ := json.Marshal(a.templateURL)
			app.Spec.Tosca = quoted
		}
	}
	if a.file != "" {
		manifest, err := readManifest(a.file, a.in)
		if err != nil {
			return err
		}
		app.Spec.Manifest, app.Spec.Tosca, app.Spec.CSAR = manifest, nil, ""
		if template := toscaTemplate(manifest); template != nil {
			// The API translates it; the manifest is its translation.
			app.Spec.Manifest, app.Spec.Tosca = nil, template
		}
	}
	for _, kv := range a.inject {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			return cmdutil.FlagErrorf("--inject %q: use KEY=VALUE", kv)
		}
		manifest, n, err := api.InjectEnv(app.Spec.Manifest, key, value)
		if err != nil {
			return err
		}
		if n == 0 {
			return cmdutil.FlagErrorf("--inject %s: no container of the manifest has an env entry named %s", kv, key)
		}
		app.Spec.Manifest = manifest
	}
	if a.observerSchema != "" {
		if a.observerSchema == "-" && a.file == "-" {
			return cmdutil.FlagErrorf("-f - and -O - cannot both read stdin")
		}
		schema, err := readManifest(a.observerSchema, a.in)
		if err != nil {
			return fmt.Errorf("observer schema: %w", err)
		}
		app.Spec.ObserverSchema = schema
	}
	if err := a.labels.Apply(obj, fs); err != nil {
		return err
	}
	c := &app.Spec.Constraints.Cluster
	c.Labels = extend(c.Labels, a.labelConstraints, a.removeLabelC)
	c.CustomResources = extend(c.CustomResources, a.resourceConstraints, a.removeResourceC)
	c.Metrics = extend(c.Metrics, a.metricConstraints, a.removeMetricC)
	if a.enableMigration {
		app.Spec.Constraints.Migration = true
	}
	if a.disableMigration {
		app.Spec.Constraints.Migration = false
	}
	if fs.Changed("auto-cluster-create") {
		app.Spec.AutoClusterCreate = a.autoClusterCreate
	}
	if a.hookComplete {
		app.Spec.Hooks = addOnce(app.Spec.Hooks, api.HookComplete)
	}
	if fs.Changed("hook-shutdown") {
		if err := applyShutdownHook(app, a.hookShutdown); err != nil {
			return err
		}
	}
	a.backoff.Apply(fs, &app.Spec.Backoff, &app.Spec.BackoffDelay, &app.Spec.BackoffLimit)
	return nil
}

// toscaTemplate is the file's TOSCA service template, when it is one
// (tosca_definitions_version at the top), else nil.
func toscaTemplate(docs []api.RawObject) api.RawObject {
	if len(docs) != 1 {
		return nil
	}
	var doc map[string]any
	if json.Unmarshal(docs[0], &doc) != nil || !tosca.IsTemplate(doc) {
		return nil
	}
	return docs[0]
}

// applyShutdownHook reads --hook-shutdown's [GRACE[,STRATEGY[,RETRIES]]];
// what is not given keeps the app's value (on create: none is sent, and
// the server's default applies).
func applyShutdownHook(app *api.Application, value string) error {
	app.Spec.Hooks = addOnce(app.Spec.Hooks, api.HookShutdown)
	if value == "default" {
		return nil
	}
	parts := strings.Split(value, ",")
	if len(parts) > 3 {
		return cmdutil.FlagErrorf("--hook-shutdown %q: give at most GRACE STRATEGY RETRIES", value)
	}
	grace, err := strconv.Atoi(parts[0])
	if err != nil || grace < 0 {
		return cmdutil.FlagErrorf("--hook-shutdown %q: the grace time %q is a whole number of seconds", value, parts[0])
	}
	app.Spec.ShutdownGraceTime = &grace
	if len(parts) > 1 {
		if s := parts[1]; s != api.ShutdownDelete && s != api.ShutdownGiveUp {
			return cmdutil.FlagErrorf("--hook-shutdown %q: the strategy %q is %s or %s", value, s, api.ShutdownDelete, api.ShutdownGiveUp)
		}
		app.Spec.ShutdownFailureStrategy = &parts[1]
	}
	if len(parts) > 2 {
		retries, err := strconv.Atoi(parts[2])
		if err != nil || retries < 0 {
			return cmdutil.FlagErrorf("--hook-shutdown %q: the retry count %q is a whole number", value, parts[2])
		}
		app.Spec.ShutdownRetryCount = &retries
	}
	return nil
}

func extend(current, added []string, reset bool) []string {
	if reset || current == nil {
		current = []string{}
	}
	for _, v := range added {
		current = addOnce(current, v)
	}
	return current
}

func addOnce(list []string, v string) []string {
	for _, existing := range list {
		if existing == v {
			return list
		}
	}
	return append(list, v)
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

// readManifest reads a multi-document YAML (or JSON) file into manifest
// objects; `-` reads stdin. Empty documents are skipped; a List kind is
// not unpacked (Krake applies objects one by one, as the original).
func readManifest(path string, stdin io.Reader) ([]api.RawObject, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var out []api.RawObject
	for i, doc := range docSeparator.Split(string(data), -1) {
		if len(bytes.TrimSpace([]byte(stripComments(doc)))) == 0 {
			continue
		}
		js, err := yamljson.ToJSON([]byte(doc)) // keeps key order, as the original
		if err != nil {
			return nil, fmt.Errorf("%s: document %d is not valid YAML: %w", path, i+1, err)
		}
		if !bytes.HasPrefix(bytes.TrimSpace(js), []byte("{")) {
			return nil, fmt.Errorf("%s: document %d is not a Kubernetes object (a mapping with apiVersion, kind, metadata)", path, i+1)
		}
		out = append(out, js)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no Kubernetes object", path)
	}
	return out, nil
}

func stripComments(doc string) string {
	var b bytes.Buffer
	for _, line := range bytes.Split([]byte(doc), []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// clusterFields are the cluster flags of the original rok.
type clusterFields struct {
	name            string
	kubeconfig      string
	context         string
	labels          resource.Labels
	backoff         resource.Backoff
	customResources []string
	metrics         []string
	globalMetrics   []string
	removeCRs       bool
	removeMetrics   bool
	// A cluster Krake creates: its TOSCA template and cloud constraints.
	in             io.Reader
	tosca          string
	cloudLabels    []string
	cloudMetrics   []string
	inheritLabels  bool
	inheritMetrics bool
}

func (c *clusterFields) AddFlags(fs *pflag.FlagSet, update bool) {
	fs.StringVarP(&c.kubeconfig, "kubeconfig", "k", "", "kubeconfig of the cluster")
	fs.StringVarP(&c.tosca, "file", "f", "", "TOSCA template of a cluster for Krake to create on a cloud (instead of -k; - reads stdin)")
	fs.StringArrayVarP(&c.cloudLabels, "cloud-label-constraint", "L", nil, "label constraint on the cloud a created cluster goes to, e.g. 'location=DE' (repeatable)")
	fs.StringArrayVarP(&c.cloudMetrics, "cloud-metric-constraint", "M", nil, "metric constraint on the cloud a created cluster goes to, e.g. 'green > 0.5' (repeatable)")
	if !update {
		fs.BoolVar(&c.inheritLabels, "inherit-labels", false, "a created cluster takes its cloud's labels (those it has not got)")
		fs.BoolVar(&c.inheritMetrics, "inherit-metrics", false, "a created cluster takes its cloud's metrics (those it has not got)")
	}
	if !update {
		fs.StringVar(&c.name, "name", "", "name of the cluster (default: the kubeconfig's cluster entry the context points to, as the original)")
	}
	fs.StringVarP(&c.context, "context-name", "c", "", "context of the kubeconfig to use (default: its current context)")
	c.labels.AddFlags(fs, update)
	fs.StringArrayVarP(&c.customResources, "custom-resource", "R", nil, "custom resource the cluster serves, <plural>.<group> (repeatable)")
	fs.StringArrayVar(&c.metrics, "metric", nil, "namespaced metric and its weight: --metric NAME WEIGHT (repeatable)")
	fs.StringArrayVar(&c.globalMetrics, "global-metric", nil, "global metric and its weight: --global-metric NAME WEIGHT (repeatable)")
	c.backoff.AddFlags(fs)
	if update {
		fs.BoolVar(&c.removeCRs, "remove-existing-custom-resources", false, "drop the custom resources before adding -R ones")
		fs.BoolVar(&c.removeMetrics, "remove-existing-metrics", false, "drop the metrics before adding new ones")
	}
}

func (c *clusterFields) Apply(obj api.Object, fs *pflag.FlagSet, update bool) error {
	cluster := obj.(*api.Cluster)
	// Flag mistakes first, before any file is read.
	refs, err := resource.MetricRefs(c.metrics, c.globalMetrics)
	if err != nil {
		return err
	}
	if c.removeMetrics || cluster.Spec.Metrics == nil {
		cluster.Spec.Metrics = []api.MetricRef{}
	}
	cluster.Spec.Metrics = append(cluster.Spec.Metrics, refs...)
	if err := resource.Exclusive(fs, "kubeconfig", "file"); err != nil {
		return err
	}
	if c.kubeconfig == "" && c.tosca == "" && !update {
		return cmdutil.FlagErrorf("give the cluster's kubeconfig with -k FILE (register a cluster), or a TOSCA template with -f FILE (Krake creates it)")
	}
	if c.tosca != "" {
		if err := c.applyTosca(cluster, fs, update); err != nil {
			return err
		}
	} else if len(c.cloudLabels)+len(c.cloudMetrics) > 0 && !cluster.Created() {
		return cmdutil.FlagErrorf("-L and -M constrain the cloud of a cluster Krake creates: give its TOSCA template with -f")
	}
	if c.name != "" {
		if n := cluster.Metadata.Name; n != "" && n != c.name {
			return cmdutil.FlagErrorf("the name is given twice: %q and --name %q", n, c.name)
		}
		cluster.Metadata.Name = c.name
	}
	if c.kubeconfig != "" {
		kc, clusterName, err := loadKubeconfig(c.kubeconfig, c.context)
		if err != nil {
			return err
		}
		cluster.Spec.Kubeconfig = kc
		if cluster.Metadata.Name == "" {
			cluster.Metadata.Name = clusterName
		}
	}
	if err := c.labels.Apply(obj, fs); err != nil {
		return err
	}
	cluster.Spec.CustomResources = extend(cluster.Spec.CustomResources, c.customResources, c.removeCRs)
	c.backoff.Apply(fs, &cluster.Spec.Backoff, &cluster.Spec.BackoffDelay, &cluster.Spec.BackoffLimit)
	return nil
}

// applyTosca sets a created cluster's template and cloud constraints.
func (c *clusterFields) applyTosca(cluster *api.Cluster, fs *pflag.FlagSet, update bool) error {
	if cluster.Metadata.Name == "" && !update {
		return cmdutil.FlagErrorf("give the name of the cluster to create: rok kube cluster create NAME -f %s", c.tosca)
	}
	var data []byte
	var err error
	if c.tosca == "-" {
		data, err = io.ReadAll(c.in)
	} else {
		data, err = os.ReadFile(c.tosca)
	}
	if err != nil {
		return fmt.Errorf("read the TOSCA template: %w", err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return fmt.Errorf("%s is not valid YAML: %w", c.tosca, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil || doc == nil {
		return fmt.Errorf("%s is not a YAML mapping", c.tosca)
	}
	if _, ok := doc["tosca_definitions_version"]; !ok {
		return cmdutil.FlagErrorf("%s is not a TOSCA template (it has no tosca_definitions_version); to register a running cluster, give its kubeconfig with -k", c.tosca)
	}
	cluster.Spec.Tosca = doc
	cons := &cluster.Spec.Constraints.Cloud
	if fs.Changed("cloud-label-constraint") {
		cons.Labels = c.cloudLabels
	}
	if fs.Changed("cloud-metric-constraint") {
		cons.Metrics = c.cloudMetrics
	}
	if !update {
		cluster.Metadata.InheritLabels, cluster.Spec.InheritMetrics = c.inheritLabels, c.inheritMetrics
	}
	return nil
}

// loadKubeconfig reads a kubeconfig and reduces it to one context (the
// chosen or current one) with its cluster and user, inlining certificate
// files so Krake needs nothing from this machine. It returns the name of
// the context's cluster entry, which names the Krake cluster by default
// (the original's rule).
func loadKubeconfig(path, contextName string) (map[string]any, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read kubeconfig: %w", err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig %s is not valid YAML: %w", path, err)
	}
	var kc map[string]any
	if err := json.Unmarshal(js, &kc); err != nil || kc == nil {
		return nil, "", fmt.Errorf("kubeconfig %s is not a mapping", path)
	}
	if contextName == "" {
		contextName, _ = kc["current-context"].(string)
	}
	contexts, _ := kc["contexts"].([]any)
	if len(contexts) == 0 {
		return nil, "", fmt.Errorf("kubeconfig %s defines no contexts: give a kubeconfig that kubectl can use (one with a context naming a cluster and a user)", path)
	}
	if contextName == "" && len(contexts) == 1 {
		first, _ := contexts[0].(map[string]any)
		contextName, _ = first["name"].(string)
	}
	var names []string
	for _, c := range contexts {
		m, _ := c.(map[string]any)
		names = append(names, fmt.Sprint(m["name"]))
	}
	if contextName == "" {
		return nil, "", cmdutil.FlagErrorf("kubeconfig %s has no current context; choose one with -c CONTEXT (it has %s)", path, strings.Join(names, ", "))
	}
	ctx := named(contexts, contextName)
	if ctx == nil {
		return nil, "", cmdutil.FlagErrorf("kubeconfig %s has no context %q (it has %s)", path, contextName, strings.Join(names, ", "))
	}
	inner, _ := ctx["context"].(map[string]any)
	clusterName, _ := inner["cluster"].(string)
	userName, _ := inner["user"].(string)
	clusters, _ := kc["clusters"].([]any)
	users, _ := kc["users"].([]any)
	cluster, user := named(clusters, clusterName), named(users, userName)
	if cluster == nil || user == nil {
		return nil, "", fmt.Errorf("kubeconfig %s: context %q needs cluster %q and user %q, which are not both defined", path, contextName, clusterName, userName)
	}
	dir := filepath.Dir(path)
	if err := inline(cluster["cluster"], dir, "certificate-authority"); err != nil {
		return nil, "", err
	}
	for _, key := range []string{"client-certificate", "client-key"} {
		if err := inline(user["user"], dir, key); err != nil {
			return nil, "", err
		}
	}
	return map[string]any{
		"apiVersion":      "v1",
		"kind":            "Config",
		"current-context": contextName,
		"contexts":        []any{ctx},
		"clusters":        []any{cluster},
		"users":           []any{user},
	}, clusterName, nil
}

func named(list []any, name string) map[string]any {
	for _, item := range list {
		m, _ := item.(map[string]any)
		if n, _ := m["name"].(string); n == name && name != "" {
			return m
		}
	}
	return nil
}

// inline replaces a file reference (key) by its base64 content (key-data).
func inline(section any, dir, key string) error {
	m, _ := section.(map[string]any)
	file, _ := m[key].(string)
	if file == "" {
		return nil
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", key, err)
	}
	delete(m, key)
	m[key+"-data"] = base64.StdEncoding.EncodeToString(data)
	return nil
}
