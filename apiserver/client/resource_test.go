package client_test

import (
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
)

func TestFor_checksTheKindsGoType(t *testing.T) {
	c, err := client.New("http://127.0.0.1:1", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	apps := api.MustKind("kubernetes", "Application")
	for range 2 { // the second call uses the cached type
		if r := client.For[*api.Application](c, apps, "ns"); r == nil {
			t.Fatal("For returned nil")
		}
	}
	if r := client.For[api.Object](c, apps, "ns"); r == nil { // generic over kinds, as rok is
		t.Fatal("For[api.Object] returned nil")
	}
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "does not hold *api.Cluster") {
			t.Errorf("For with the wrong type: panic %q, want one naming *api.Cluster", msg)
		}
	}()
	client.For[*api.Cluster](c, apps, "ns")
}
