package client_test

import (
	"reflect"
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

// TestAccessors checks the typed accessors against api.Kinds: every kind
// has one, named after it (Applications, GlobalClouds, ...), that returns
// the client of that kind, and global kinds take no namespace.
func TestAccessors(t *testing.T) {
	c, err := client.New("http://127.0.0.1:1", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cv := reflect.ValueOf(c)
	for _, k := range api.Kinds {
		m := cv.MethodByName(k.Kind + "s")
		if !m.IsValid() {
			t.Errorf("kind %s has no accessor Client.%ss", k, k.Kind)
			continue
		}
		var args []reflect.Value
		if m.Type().NumIn() == 1 {
			args = []reflect.Value{reflect.ValueOf("ns")}
		}
		if k.Namespaced != (len(args) == 1) {
			t.Errorf("Client.%ss takes %d arguments; the kind is namespaced: %v", k.Kind, m.Type().NumIn(), k.Namespaced)
			continue
		}
		res, ok := m.Call(args)[0].Interface().(interface{ Kind() api.Kind })
		if !ok || res.Kind().String() != k.String() {
			t.Errorf("Client.%ss is not the client of %s", k.Kind, k)
		}
	}
}
