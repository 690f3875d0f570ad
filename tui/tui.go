// Package tui is `rok ui`: a live terminal dashboard of clusters,
// applications and their state transitions, fed by API watches (no
// polling) and driven from the keyboard. Update is pure; I/O (the client,
// informers, health checks) happens in commands and comes back as messages.
package tui

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	json "github.com/go-json-experiment/json/v1"
	"github.com/muesli/termenv"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
	"github.com/krake-go/krake/tui/styles"
)

// Options configure Run.
type Options struct {
	Client    *client.Client
	Namespace string // "" shows all namespaces
	In        io.Reader
	Out       io.Writer
	NoColor   bool
}

// Run shows the dashboard until the user quits or ctx ends.
func Run(ctx context.Context, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	renderer := lipgloss.NewRenderer(opts.Out)
	if opts.NoColor {
		renderer.SetColorProfile(termenv.Ascii)
	}
	c := opts.Client
	actions := Actions{
		DeleteApp: func(ns, name string) tea.Cmd {
			return func() tea.Msg {
				_, err := c.Applications(ns).Delete(ctx, name, client.WriteOptions{})
				return deletedMsg{what: "application " + ns + "/" + name, err: err}
			}
		},
		DeleteCluster: func(ns, name string) tea.Cmd {
			return func() tea.Msg {
				_, err := c.Clusters(ns).Delete(ctx, name, client.WriteOptions{})
				return deletedMsg{what: "cluster " + ns + "/" + name, err: err}
			}
		},
		Health: func() tea.Cmd {
			return func() tea.Msg {
				hctx, hcancel := context.WithTimeout(ctx, 2*time.Second)
				defer hcancel()
				_, err := c.Version(hctx)
				return healthMsg{err: err}
			}
		},
		YAML: toYAML,
		Explain: func(ns, name string) tea.Cmd {
			return func() tea.Msg {
				e, err := c.Explain(ctx, ns, name)
				return explainMsg{key: ns + "/" + name, explanation: e, err: err}
			}
		},
		Move: func(app *api.Application) tea.Cmd {
			return func() tea.Msg { return movedMsg{text: move(ctx, c, app)} }
		},
	}
	// The informers list, then watch; they are the UI's cache, and every
	// change they apply also reaches the model as a message.
	quiet := slog.New(slog.DiscardHandler)
	objects := informerObjects{apps: informer.New(c.Applications(""), quiet), clusters: informer.New(c.Clusters(""), quiet)}
	model := NewModel(objects, opts.Namespace, c.BaseURL(), actions, time.Now).
		WithStyles(styles.New(renderer)).ListingFirst("application", "cluster")
	p := tea.NewProgram(model, tea.WithInput(opts.In), tea.WithOutput(opts.Out), tea.WithAltScreen(), tea.WithContext(ctx))
	objects.apps.AddHandler(func(typ string, a *api.Application) { p.Send(appMsg{typ: typ, app: a}) })
	objects.clusters.AddHandler(func(typ string, cl *api.Cluster) { p.Send(clusterMsg{typ: typ, cluster: cl}) })
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel: the informers end with ctx
	wg.Go(func() { _ = objects.apps.Start(ctx) })
	wg.Go(func() { _ = objects.clusters.Start(ctx) })
	// The informers send the first list's objects before Synced closes,
	// and Send delivers in order, so listedMsg comes after all of them.
	listed := func(kind string, synced <-chan struct{}) {
		select {
		case <-synced:
			p.Send(listedMsg{kind: kind})
		case <-ctx.Done():
		}
	}
	wg.Go(func() { listed("application", objects.apps.Synced()) })
	wg.Go(func() { listed("cluster", objects.clusters.Synced()) })

	_, err := p.Run()
	cancel()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// informerObjects reads the informers' caches.
type informerObjects struct {
	apps     *informer.Informer[*api.Application]
	clusters *informer.Informer[*api.Cluster]
}

func (o informerObjects) Applications() []*api.Application { return o.apps.List() }
func (o informerObjects) Clusters() []*api.Cluster         { return o.clusters.List() }

// move re-schedules an app: a FAILED or DEGRADED one is retried; a running
// one is re-bound to the cluster the placement prefers, if it may migrate.
func move(ctx context.Context, c *client.Client, app *api.Application) string {
	ns, name := app.Metadata.Namespace, app.Metadata.Name
	switch app.Status.State {
	case api.StateFailed, api.StateDegraded:
		if _, err := c.Applications(ns).Subresource(ctx, name, api.SubRetry, nil); err != nil {
			return "retry " + name + " failed: " + err.Error()
		}
		return "retrying " + name
	}
	if !app.Spec.Constraints.Migration {
		return name + " does not allow migration (--enable-migration allows it)"
	}
	e, err := c.Explain(ctx, ns, name)
	if err != nil {
		return "explain " + name + " failed: " + err.Error()
	}
	current := ""
	if app.Status.ScheduledTo != nil {
		current = app.Status.ScheduledTo.Name
	}
	if e.Chosen == "" || e.Chosen == current {
		return name + " is already on the best cluster (" + current + ")"
	}
	ref := api.ClusterRef(ns, e.Chosen)
	if _, err := c.Applications(ns).Subresource(ctx, name, api.SubBinding, api.BindingTo(ref)); err != nil {
		return "move " + name + " failed: " + err.Error()
	}
	return "moving " + name + " to " + e.Chosen
}

func toYAML(obj any) string {
	data, err := json.Marshal(obj)
	if err != nil {
		return err.Error()
	}
	out, err := yaml.JSONToYAML(data)
	if err != nil {
		return err.Error()
	}
	return string(out)
}
