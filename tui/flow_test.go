package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/krake-go/krake/apiserver/api"
)

// TestFlow drives the program through teatest at 80x24: a new app arrives,
// the user opens it, goes back, filters, and deletes with a confirmation.
func TestFlow(t *testing.T) {
	rec := &recorder{}
	m := newTestModel(rec)
	objects := m.objects.(*memObjects)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	tm.Send(objects.feed(clusterMsg{api.Added, cluster("demo", "cluster-1", api.StateOnline, nil)}))
	tm.Send(objects.feed(appMsg{api.Added, app("demo", "echo-demo", api.StatePending, "", nil)}))
	waitFor(t, tm, "APPLICATIONS (1)")
	tm.Send(objects.feed(appMsg{api.Modified, app("demo", "echo-demo", api.StateRunning, "cluster-1", nil)}))
	waitFor(t, tm, "PENDING → RUNNING")

	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "TIMELINE")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Type("/echo")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "filter: echo")
	tm.Type("d")
	waitFor(t, tm, "delete application/demo/echo-demo?")
	tm.Type("y")
	waitFor(t, tm, "deleting echo-demo")
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if strings.Join(rec.deleted, ",") != "application/demo/echo-demo" {
		t.Errorf("deleted %v, want the app chosen on screen", rec.deleted)
	}
	golden(t, final.View())
}

func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(out []byte) bool { return bytes.Contains(out, []byte(text)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}
