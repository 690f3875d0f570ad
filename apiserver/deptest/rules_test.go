package deptest_test

import (
	"testing"

	"github.com/krake-go/krake/apiserver/deptest"
)

const mod = "github.com/krake-go/krake"

func forbid(reason string, prefixes ...string) []deptest.Rule {
	rules := make([]deptest.Rule, len(prefixes))
	for i, p := range prefixes {
		rules[i] = deptest.Rule{Prefix: p, Reason: reason}
	}
	return rules
}

// TestRules is the dependency rules of STYLE.md §2, one row per guarded
// package: what it must never depend on (transitively), what it must not
// import itself (standard-library packages others may use), or, for the
// packages whose few dependencies are the point, an allowlist.
func TestRules(t *testing.T) {
	const (
		wire       = "api holds wire types only (stdlib, constraint, the JSON engine), so every client can import it cheaply"
		leaf       = "the constraint grammar is a pure leaf: the standard library only"
		pure       = "placement is pure: the scheduler and the API's explain share it"
		storage    = "storage knows nothing of HTTP, clients or auth"
		serverSide = "the server serves the store; clients, controllers and UIs sit on the other side of HTTP"
		clientSide = "the client is shared by rok, the TUI and controllers and talks HTTP only"
		authn      = "auth decides who and whether from api types; it stores nothing and calls no Krake API"
		etcd       = "embedetcd runs etcd; it knows nothing of Krake's types, HTTP or auth"
		ctrl       = "controllers talk to the API over HTTP only, so each can run alone"
		ui         = "the TUI reaches Krake through the client only, and knows nothing of rok"
		cli        = "rok is a client: it talks to the API over HTTP only"
		jsonEngine = "all of Krake's JSON goes through github.com/go-json-experiment/json/v1; the api types carry only its MarshalJSONTo, so encoding/json would write them wrongly"
		e2e        = "end-to-end tests drive the real binaries; they use only what any client may (api, client) and their framework"
	)
	tests := []struct {
		pkg             string
		forbid, direct  []deptest.Rule
		allow           []string // when set: the only packages under scope allowed
		scope, allowWhy string
		withTests, tags bool
	}{
		{pkg: mod + "/apiserver/api", allow: []string{mod + "/apiserver/api/constraint", "github.com/go-json-experiment/json"}, allowWhy: wire},
		{pkg: mod + "/apiserver/api/constraint", allow: []string{}, allowWhy: leaf},
		{pkg: mod + "/apiserver/api/placement", forbid: forbid(pure, mod+"/apiserver/store", mod+"/apiserver/server", mod+"/apiserver/client", mod+"/controllers"),
			direct: forbid(pure+"; no I/O, no clock", "net/http", "time")},
		{pkg: mod + "/apiserver/tosca", forbid: forbid("the TOSCA translator is pure: templates in, Kubernetes objects out", mod+"/apiserver/store", mod+"/apiserver/server", mod+"/apiserver/client", mod+"/controllers"),
			direct: forbid("the TOSCA translator fetches nothing", "net/http")},
		{pkg: mod + "/apiserver/store", forbid: forbid(storage, mod+"/apiserver/server", mod+"/apiserver/client", mod+"/apiserver/auth", "github.com/julienschmidt/httprouter")},
		{pkg: mod + "/apiserver/store/watchcache", forbid: forbid(storage, mod+"/apiserver/server", mod+"/apiserver/client", mod+"/apiserver/auth", "github.com/julienschmidt/httprouter")},
		{pkg: mod + "/apiserver/server", forbid: forbid(serverSide, mod+"/apiserver/client", mod+"/controllers", mod+"/rok", mod+"/tui")},
		{pkg: mod + "/apiserver/client", forbid: forbid(clientSide, mod+"/apiserver/store", mod+"/apiserver/server", mod+"/apiserver/auth", "go.etcd.io", "k8s.io", "github.com/spf13/cobra", "github.com/charmbracelet"),
			direct: forbid("production code must not import testing", "testing")},
		{pkg: mod + "/apiserver/client/informer", forbid: forbid(clientSide, mod+"/apiserver/store", mod+"/apiserver/server", mod+"/apiserver/auth", "go.etcd.io", "k8s.io", "github.com/spf13/cobra", "github.com/charmbracelet")},
		{pkg: mod + "/apiserver/auth", forbid: forbid(authn, mod+"/apiserver/store", mod+"/apiserver/server", mod+"/apiserver/client", mod+"/apiserver/embedetcd", "go.etcd.io", "k8s.io")},
		{pkg: mod + "/apiserver/embedetcd", forbid: forbid(etcd, mod+"/apiserver/api", mod+"/apiserver/store", mod+"/apiserver/server", mod+"/apiserver/client", mod+"/apiserver/auth", "github.com/julienschmidt/httprouter")},
		{pkg: mod + "/controllers/...", forbid: forbid(ctrl, mod+"/apiserver/store", mod+"/apiserver/server", mod+"/apiserver/embedetcd", mod+"/rok", mod+"/tui")},
		{pkg: mod + "/tui/...", forbid: forbid(ui, mod+"/rok", mod+"/apiserver/store", mod+"/apiserver/server", mod+"/controllers")},
		{pkg: mod + "/rok/...", forbid: forbid(cli, mod+"/apiserver/store", mod+"/apiserver/server", mod+"/apiserver/embedetcd", mod+"/controllers", "go.etcd.io/etcd/server")},
		{pkg: mod + "/e2e", withTests: true, tags: true, allowWhy: e2e,
			scope: mod, allow: []string{mod + "/apiserver/api", mod + "/apiserver/client", mod + "/internal/backoff", mod + "/e2e/framework"}},
		{pkg: mod + "/apiserver/yamljson", allow: []string{"github.com/go-json-experiment/json", "sigs.k8s.io/yaml", "go.yaml.in/yaml/v2"}, allowWhy: "the YAML converter is a leaf the server and rok call: the standard library, the JSON engine, and the tree converter it falls back to"},
		{pkg: mod + "/internal/backoff", allow: []string{}, allowWhy: "backoff is a leaf every reconnecting loop shares: the standard library only"},
	}
	t.Run("one JSON engine", func(t *testing.T) {
		deptest.CheckNoImport(t, mod+"/...", true, forbid(jsonEngine, "encoding/json"), "e2e")
	})
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			if tt.forbid != nil || tt.direct != nil {
				deptest.Check(t, tt.pkg, tt.forbid, tt.direct)
			}
			if tt.allow != nil {
				var tags []string
				if tt.tags {
					tags = []string{"e2e"}
				}
				deptest.CheckOnly(t, tt.pkg, tt.withTests, tt.scope, tt.allow, tt.allowWhy, tags...)
			}
		})
	}
}
