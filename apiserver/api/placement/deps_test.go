package placement_test

import (
	"testing"

	"github.com/krake-go/krake/apiserver/deptest"
)

func TestDeps(t *testing.T) {
	why := "placement is pure: the scheduler and the API's explain share it"
	deptest.Check(t, "github.com/krake-go/krake/apiserver/api/placement", []deptest.Rule{
		{Prefix: "github.com/krake-go/krake/apiserver/store", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/server", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/client", Reason: why},
		{Prefix: "github.com/krake-go/krake/controllers", Reason: why},
	}, []deptest.Rule{
		{Prefix: "net/http", Reason: why + "; no I/O"},
		{Prefix: "time", Reason: why + "; no clock"},
	})
}
