package backoff_test

import (
	"context"
	"testing"
	"time"

	"github.com/krake-go/krake/internal/backoff"
)

func TestBackoff_endsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if backoff.New(time.Hour).Wait(ctx) {
		t.Error("Wait returned true on an ended context")
	}
}

func TestBackoff_waitsAndResets(t *testing.T) {
	b := backoff.New(time.Millisecond)
	for range 3 {
		if !b.Wait(context.Background()) {
			t.Fatal("Wait returned false on a live context")
		}
	}
	b.Reset()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if !b.Wait(ctx) {
		t.Error("after Reset the wait is the initial millisecond, not the doubled one; yet it outlived a second")
	}
}
