package provider

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/tosca"
)

// kwok builds real Kubernetes control planes on this machine (etcd,
// kube-apiserver, controller-manager, scheduler, and kwok for nodes that
// go Ready and pods that go Running), with the kube-testenv.sh script and
// binaries Krake's e2e harness builds. Everything listens on 127.0.0.1.
// A cluster's node count is its template's scalable count
// (tosca.ScalableCount), 1 when it has none.
type kwok struct {
	script, dir string
}

// kwokPrefix names the clusters' kubeconfig entries: kwok-1.
const kwokPrefix = "kwok-"

func newKwok(opts Options) (*kwok, error) {
	if opts.KwokTestenv == "" || opts.KwokDir == "" {
		return nil, Errorf(api.ReasonInvalidResource, "the kwok provider needs krakectl --kwok-testenv (the path of e2e/kube-testenv.sh) and --kwok-dir")
	}
	return &kwok{script: opts.KwokTestenv, dir: opts.KwokDir}, nil
}

// nodes is the node count the cluster's template asks for.
func kwokNodes(cl *api.Cluster) (int, error) {
	n, found, err := tosca.ScalableCount(cl.Spec.Tosca)
	switch {
	case err != nil:
		return 0, Errorf(api.ReasonInvalidResource, "cluster %s: %v", cl.Metadata.Name, err)
	case !found:
		return 1, nil
	case n < 1 || n > 50:
		return 0, Errorf(api.ReasonInvalidResource, "cluster %s: the kwok provider makes 1 to 50 nodes, the template asks for %d", cl.Metadata.Name, n)
	}
	return n, nil
}

// idFor names a cluster's directory: short (unix socket paths are
// bounded) and unique (the uid).
func idFor(cl *api.Cluster) string {
	id := strings.ReplaceAll(cl.Metadata.UID, "-", "")
	if len(id) > 12 {
		id = id[:12]
	}
	if id == "" {
		id = cl.Metadata.Namespace + "_" + cl.Metadata.Name
	}
	return id
}

func (k *kwok) dirOf(cl *api.Cluster) (string, error) {
	id := idFor(cl)
	if cl.Status.ClusterID != nil && *cl.Status.ClusterID != "" {
		id = *cl.Status.ClusterID
	}
	if strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return "", Errorf(api.ReasonInvalidResource, "cluster %s: %q is no kwok cluster id", cl.Metadata.Name, id)
	}
	return filepath.Join(k.dir, id), nil
}

// run runs the script on one cluster's directory and returns its output.
func (k *kwok) run(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, k.script, args...)
	cmd.Env = append(os.Environ(), append([]string{"KUBE_TESTENV_DIR=" + dir, "KUBE_TESTENV_NAME_PREFIX=" + kwokPrefix,
		"KUBE_TESTENV_TIMEOUT=120"}, env...)...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (k *kwok) Create(ctx context.Context, cl *api.Cluster) (string, error) {
	nodes, err := kwokNodes(cl)
	if err != nil {
		return "", err
	}
	id := idFor(cl)
	dir := filepath.Join(k.dir, id)
	if exists(filepath.Join(dir, "pids")) {
		if _, err := k.run(ctx, dir, nil, "status"); err == nil {
			return id, nil // up already: a retry after the controller stopped mid-create
		}
		_, _ = k.run(ctx, dir, nil, "down")
	}
	if err := os.MkdirAll(k.dir, 0o755); err != nil {
		return "", Errorf(api.ReasonCreateFailed, "kwok: %v", err)
	}
	var out string
	// Ports are a block from a base (base+1 to base+401), below the
	// ephemeral and NodePort ranges; a taken port means another base.
	for attempt := 0; attempt < 5; attempt++ {
		base := 10000 + rand.IntN(38)*500
		out, err = k.run(ctx, dir, []string{"KUBE_TESTENV_NODES=" + strconv.Itoa(nodes), "KUBE_TESTENV_PORT_BASE=" + strconv.Itoa(base)}, "up", "1")
		if err == nil {
			return id, nil
		}
		if !strings.Contains(out, "already in use") {
			break
		}
	}
	return "", Errorf(api.ReasonCreateFailed, "kwok: starting the cluster failed: %v: %s", err, lastLines(out, 3))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func (k *kwok) State(ctx context.Context, cl *api.Cluster) (State, error) {
	dir, err := k.dirOf(cl)
	if err != nil {
		return "", err
	}
	if !exists(filepath.Join(dir, ".kube-testenv")) {
		return "", ErrNotFound
	}
	if _, err := k.run(ctx, dir, nil, "status"); err != nil {
		return Unconfigured, nil
	}
	return Configured, nil
}

func (k *kwok) kubeconfigData(cl *api.Cluster) ([]byte, error) {
	dir, err := k.dirOf(cl)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, "kubeconfigs", kwokPrefix+"1.kubeconfig"))
	if os.IsNotExist(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, Errorf(api.ReasonRetrieveFailed, "kwok: reading the kubeconfig: %v", err)
	}
	return data, nil
}

func (k *kwok) Kubeconfig(_ context.Context, cl *api.Cluster) (map[string]any, error) {
	data, err := k.kubeconfigData(cl)
	if err != nil {
		return nil, err
	}
	var kc map[string]any
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return nil, Errorf(api.ReasonRetrieveFailed, "kwok: the cluster's kubeconfig is not YAML")
	}
	return kc, nil
}

// kwokNodeAnnotation marks the nodes kwok keeps Ready (the script's
// --manage-nodes-with-annotation-selector).
const kwokNodeAnnotation = "kwok.x-k8s.io/node"

// Reconcile makes the node count the template's: kwok-node-1 to N, as
// the script names them.
func (k *kwok) Reconcile(ctx context.Context, cl *api.Cluster) error {
	want, err := kwokNodes(cl)
	if err != nil {
		return err
	}
	data, err := k.kubeconfigData(cl)
	if err != nil {
		return err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		return Errorf(api.ReasonReconcileFailed, "kwok: the cluster's kubeconfig: %v", err)
	}
	cfg.Timeout = 30 * time.Second
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return Errorf(api.ReasonReconcileFailed, "kwok: %v", err)
	}
	list, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return Errorf(api.ReasonReconcileFailed, "kwok: listing the nodes: %v", err)
	}
	have := map[string]bool{}
	for _, n := range list.Items {
		if n.Annotations[kwokNodeAnnotation] != "fake" {
			continue
		}
		have[n.Name] = true
		i, err := strconv.Atoi(strings.TrimPrefix(n.Name, "kwok-node-"))
		if err == nil && i > want {
			if err := kube.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{}); err != nil {
				return Errorf(api.ReasonReconcileFailed, "kwok: deleting node %s: %v", n.Name, err)
			}
		}
	}
	for i := 1; i <= want; i++ {
		name := fmt.Sprintf("kwok-node-%d", i)
		if have[name] {
			continue
		}
		if _, err := kube.CoreV1().Nodes().Create(ctx, kwokNode(name, i), metav1.CreateOptions{}); err != nil {
			return Errorf(api.ReasonReconcileFailed, "kwok: creating node %s: %v", name, err)
		}
	}
	return nil
}

// kwokNode is a node as the script creates them.
func kwokNode(name string, i int) *corev1.Node {
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"), corev1.ResourcePods: resource.MustParse("110")}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name,
			Annotations: map[string]string{kwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{"type": "kwok", "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux",
				"kubernetes.io/hostname": name, "kubernetes.io/role": "agent", "node-role.kubernetes.io/agent": "",
				"topology.kubernetes.io/zone": fmt.Sprintf("zone-%d", i)}},
		Status: corev1.NodeStatus{Allocatable: capacity, Capacity: capacity},
	}
}

// Reconfigure starts the cluster again from scratch: a kwok cluster has
// nothing worth repairing in place (its workloads are fake), and the new
// kubeconfig reaches Krake when the cluster is CONNECTING again.
func (k *kwok) Reconfigure(ctx context.Context, cl *api.Cluster) error {
	dir, err := k.dirOf(cl)
	if err != nil {
		return err
	}
	nodes, err := kwokNodes(cl) // before the cluster goes: a bad template keeps it as it is
	if err != nil {
		return err
	}
	if out, err := k.run(ctx, dir, nil, "down"); err != nil {
		return Errorf(api.ReasonReconfigureFailed, "kwok: stopping the cluster: %v: %s", err, lastLines(out, 3))
	}
	base := 10000 + rand.IntN(38)*500
	if out, err := k.run(ctx, dir, []string{"KUBE_TESTENV_NODES=" + strconv.Itoa(nodes), "KUBE_TESTENV_PORT_BASE=" + strconv.Itoa(base)}, "up", "1"); err != nil {
		return Errorf(api.ReasonReconfigureFailed, "kwok: starting the cluster again: %v: %s", err, lastLines(out, 3))
	}
	return nil
}

// Delete stops exactly the cluster's processes (by their PID files) and
// removes its directory.
func (k *kwok) Delete(ctx context.Context, cl *api.Cluster) error {
	dir, err := k.dirOf(cl)
	if err != nil {
		return err
	}
	if !exists(dir) {
		return nil
	}
	if exists(filepath.Join(dir, ".kube-testenv")) {
		if out, err := k.run(ctx, dir, nil, "down"); err != nil {
			return Errorf(api.ReasonDeleteFailed, "kwok: stopping the cluster: %v: %s", err, lastLines(out, 3))
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return Errorf(api.ReasonDeleteFailed, "kwok: %v", err)
	}
	return nil
}
