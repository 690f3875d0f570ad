//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"
	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// sideBySide is Krake as deployed next to what it is measured against:
// one etcd process, `krakectl api` and a kube-apiserver on it, each its
// own process, and the load from this one, all over TCP on loopback.
type sideBySide struct {
	kube  *framework.KubeEnv
	krake *framework.Krake
	etcd  *clientv3.Client
	api   *client.Client
	k8s   *kubernetes.Clientset
	// meters are every process on the machine's cores: etcd, krakectl,
	// kube-apiserver and this one, the load.
	meters []framework.Meter
}

var (
	sideOnce sync.Once
	side     *sideBySide
)

func setupSideBySide(b *testing.B) *sideBySide {
	b.Helper()
	sideOnce.Do(func() {
		kube := framework.StartKubeComponents(b, 1, "none")
		krake := framework.StartKrakeAPIArgs(b, "--etcd-endpoints", kube.EtcdURL)
		etcd, err := clientv3.New(clientv3.Config{Endpoints: []string{kube.EtcdURL}, DialTimeout: 5 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = etcd.Close() })
		cfg, err := clientcmd.BuildConfigFromFlags("", kube.Kubeconfigs[0])
		if err != nil {
			b.Fatal(err)
		}
		cfg.QPS = -1 // no client-side rate limit: measure the server
		k8s, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			b.Fatal(err)
		}
		api, err := client.New(krake.URL, client.Options{})
		if err != nil {
			b.Fatal(err)
		}
		side = &sideBySide{kube: kube, krake: krake, etcd: etcd, api: api, k8s: k8s}
		side.meters = []framework.Meter{
			{Name: "etcd", CPU: framework.ProcessCPU(kube.PID(b, "etcd"))},
			{Name: "krake", CPU: framework.ProcessCPU(krake.PID())},
			{Name: "kube", CPU: framework.ProcessCPU(kube.PID(b, "cluster-1-apiserver"))},
			{Name: "load", CPU: framework.SelfCPU},
		}
	})
	if side == nil {
		b.Fatal("side-by-side set-up failed")
	}
	return side
}

var sideSeq int

// BenchmarkSideBySide: creates at 1, 16 and 64 clients through `krakectl
// api`, through a kube-apiserver (ConfigMaps of the same size) and as raw
// etcd transactional puts of the same JSON, all on one etcd; each row's
// "cores" is the CPU of the process that serves it.
func BenchmarkSideBySide(b *testing.B) {
	s := setupSideBySide(b)
	template := newApp("template")
	value, _ := json.Marshal(template)
	for _, clients := range []int{1, 16, 64} {
		sideSeq++
		run := sideSeq
		b.Run(fmt.Sprintf("op=sep-etcd-put/clients=%d", clients), func(b *testing.B) {
			prefix := fmt.Sprintf("/bench/raw/%d-%d/", run, time.Now().UnixNano())
			framework.RunClientsMetered(b, clients, framework.ProcessCPU(s.kube.PID(b, "etcd")), s.meters, func(ctx context.Context, i int) error {
				key := prefix + strconv.Itoa(i)
				_, err := s.etcd.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
					Then(clientv3.OpPut(key, string(value))).Commit()
				return err
			})
		})
		b.Run(fmt.Sprintf("op=sep-create/clients=%d", clients), func(b *testing.B) {
			apps := s.api.Applications(fmt.Sprintf("side-%d-%d", run, time.Now().UnixNano()))
			framework.RunClientsMetered(b, clients, framework.ProcessCPU(s.krake.PID()), s.meters, func(ctx context.Context, i int) error {
				app := *template
				app.Metadata.Name = "app-" + strconv.Itoa(i)
				_, err := apps.Create(ctx, &app, client.WriteOptions{})
				return err
			})
		})
		b.Run(fmt.Sprintf("op=sep-kube-create/clients=%d", clients), func(b *testing.B) {
			ns := fmt.Sprintf("side-%d-%d", run, time.Now().UnixNano())
			if _, err := s.k8s.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			data := map[string]string{"app.json": string(value)}
			framework.RunClientsMetered(b, clients, framework.ProcessCPU(s.kube.PID(b, "cluster-1-apiserver")), s.meters, func(ctx context.Context, i int) error {
				cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm-" + strconv.Itoa(i)}, Data: data}
				_, err := s.k8s.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
				return err
			})
		})
	}
}

// BenchmarkSideBySideList: a whole list of 10,000 applications through
// `krakectl api` on the external etcd.
func BenchmarkSideBySideList(b *testing.B) {
	s := setupSideBySide(b)
	const n = 10000
	ns := fmt.Sprintf("side-list-%d", time.Now().UnixNano())
	apps := s.api.Applications(ns)
	framework.ForEach(b, n, 32, func(i int) error {
		_, err := apps.Create(context.Background(), newApp(fmt.Sprintf("app-%05d", i)), client.WriteOptions{})
		return err
	})
	b.Run("op=sep-list-10000/clients=1", func(b *testing.B) {
		framework.RunClients(b, 1, framework.ProcessCPU(s.krake.PID()), func(ctx context.Context, i int) error {
			list, err := apps.ListJSON(ctx, client.ListOptions{})
			if err == nil && len(list.Items) != n {
				err = fmt.Errorf("list of %d items, want %d", len(list.Items), n)
			}
			return err
		})
	})
}
