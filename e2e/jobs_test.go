//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/e2e/framework"
)

// TestJobs: an application whose workload is a Job becomes COMPLETED on a
// real cluster once the Job's pods have succeeded, and its container
// health counts them.
func TestJobs(t *testing.T) {
	kube := framework.StartKube(t, 1)
	krake := framework.StartKrake(t, "", "--probe-interval", "1s", "--resync", "2s")
	rok := newRok(t, krake.URL)
	rok.must("kube", "cluster", "register", "-k", kube.Kubeconfigs[0], "--wait", "--timeout", "30s")
	manifest := writeManifest(t, "job.yaml", `apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  completions: 2
  parallelism: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: registry.k8s.io/echoserver:1.10}]
`)
	rok.must("kube", "app", "create", "batch", "-f", manifest)
	eventually(t, 90*time.Second, "COMPLETED with both pods counted", func() (bool, string) {
		app := rok.app("batch")
		h := app.Status.ContainerHealth
		return app.Status.State == api.StateCompleted && h.CompletedPods == 2 && h.DesiredPods == 2,
			fmt.Sprintf("%s, health %+v, objects %+v", app.Status.State, h, app.Status.Objects)
	})
	rok.must("kube", "app", "delete", "batch")
	eventually(t, 30*time.Second, "the app, its Job and the Job's pods gone", func() (bool, string) {
		_, _, err := rok.run("kube", "app", "get", "batch")
		job, _ := execKubectl(kube, kube.Kubeconfigs[0], "get", "job", "batch", "--ignore-not-found", "-o", "name")
		pods, _ := execKubectl(kube, kube.Kubeconfigs[0], "get", "pods", "-l", "job-name=batch", "-o", "name")
		return err != nil && job == "" && pods == "", fmt.Sprintf("app err=%v job=%q pods=%q", err, job, pods)
	})
}
