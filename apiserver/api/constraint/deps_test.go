package constraint_test

import (
	"testing"

	"github.com/krake-go/krake/apiserver/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, "github.com/krake-go/krake/apiserver/api/constraint", []deptest.Rule{
		{Prefix: "github.com/krake-go/krake", Reason: "the constraint grammar is a pure leaf: no in-repo imports"},
	}, nil)
}
