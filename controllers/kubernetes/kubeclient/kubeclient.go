// Package kubeclient turns a Cluster's kubeconfig into Kubernetes clients
// (typed, dynamic, REST mapper), cached per cluster and kubeconfig version.
// Errors never carry the kubeconfig or its credentials.
package kubeclient

import (
	"fmt"
	"net/url"
	"sync"
	"time"

	json "github.com/go-json-experiment/json/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/krake-go/krake/apiserver/api"
)

// Clients reach one Kubernetes cluster.
type Clients struct {
	Typed     kubernetes.Interface
	Dynamic   dynamic.Interface
	Mapper    meta.ResettableRESTMapper // discovery-backed; Reset after a CRD appears
	Host      string                    // the API server's host name, for service addresses
	Namespace string                    // the kubeconfig context's namespace, else "default"
}

// Cache keeps clients per cluster; a changed kubeconfig builds new ones.
type Cache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
	timeout time.Duration
}

type cacheEntry struct {
	fingerprint string
	clients     *Clients
}

// NewCache returns a cache whose clients time out requests after timeout.
func NewCache(timeout time.Duration) *Cache {
	return &Cache{entries: map[string]cacheEntry{}, timeout: timeout}
}

// For returns clients for the cluster.
func (c *Cache) For(cluster *api.Cluster) (*Clients, error) {
	raw, err := json.Marshal(cluster.Spec.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: kubeconfig cannot be encoded", cluster.Metadata.Name)
	}
	key := cluster.Metadata.Namespace + "/" + cluster.Metadata.Name
	fingerprint := string(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && e.fingerprint == fingerprint {
		return e.clients, nil
	}
	clients, err := build(raw, c.timeout)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cluster.Metadata.Name, err)
	}
	c.entries[key] = cacheEntry{fingerprint: fingerprint, clients: clients}
	return clients, nil
}

func build(kubeconfig []byte, timeout time.Duration) (*Clients, error) {
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig is not valid (%s)", redact(err))
	}
	namespace := "default"
	if ctx, ok := cfg.Contexts[cfg.CurrentContext]; ok && ctx.Namespace != "" {
		namespace = ctx.Namespace
	}
	restConfig, err := clientcmd.NewDefaultClientConfig(*cfg, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig cannot be used (%s)", redact(err))
	}
	restConfig.Timeout = timeout
	restConfig.QPS, restConfig.Burst = 50, 100
	restConfig.UserAgent = "krake"
	return fromREST(restConfig, namespace)
}

func fromREST(restConfig *rest.Config, namespace string) (*Clients, error) {
	typed, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %s", redact(err))
	}
	dyn, err := dynamic.NewForConfig(restConfig)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %s", redact(err))
	}
	disco, err := discovery.NewDiscoveryClientForConfig(restConfig)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %s", redact(err))
	}
	host := restConfig.Host
	if u, err := url.Parse(restConfig.Host); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return &Clients{
		Typed: typed, Dynamic: dyn, Host: host, Namespace: namespace,
		Mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco)),
	}, nil
}

// redact keeps an error's text short and free of credentials: client-go
// errors name files and URLs, never tokens or keys, but long ones are cut.
func redact(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
