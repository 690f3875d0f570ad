package watchcache_test

import (
	"testing"

	"github.com/krake-go/krake/apiserver/deptest"
)

func TestDeps(t *testing.T) {
	why := "the watch cache is storage: it knows nothing of HTTP, clients or auth"
	deptest.Check(t, "github.com/krake-go/krake/apiserver/store/watchcache", []deptest.Rule{
		{Prefix: "github.com/krake-go/krake/apiserver/server", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/client", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/auth", Reason: why},
		{Prefix: "github.com/julienschmidt/httprouter", Reason: why},
	}, nil)
}
