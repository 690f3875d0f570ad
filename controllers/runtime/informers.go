package runtime

import (
	"context"
	"log/slog"
	"sync"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
)

// Informers are the caches the controllers of one process share: one list
// + watch per kind, however many controllers follow it. Controllers add
// their handlers when built; the process starts the informers after.
type Informers struct {
	Apps     *informer.Informer[*api.Application]
	Clusters *informer.Informer[*api.Cluster]
}

// NewInformers returns unstarted informers for every namespace.
func NewInformers(c *client.Client, log *slog.Logger) *Informers {
	return &Informers{Apps: informer.New(c.Applications(""), log), Clusters: informer.New(c.Clusters(""), log)}
}

// Run runs the informers until ctx ends and returns once they stopped.
func (i *Informers) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { _ = i.Apps.Start(ctx) })
	wg.Go(func() { _ = i.Clusters.Start(ctx) })
	wg.Wait()
}
