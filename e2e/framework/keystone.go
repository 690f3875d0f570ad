package framework

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"
)

// Keystone is Debian's OpenStack Keystone (python3-keystone, installed by
// `make test-deps`) on 127.0.0.1 with a sqlite database and fernet tokens,
// bootstrapped with an admin user in the project admin.
type Keystone struct {
	URL           string // the identity endpoint, .../v3
	AdminPassword string
	Process       *Process
}

// StartKeystone sets Keystone up in a temporary directory and serves it
// with its own development server until the test ends.
func StartKeystone(t testing.TB) *Keystone {
	t.Helper()
	manage, err := exec.LookPath("keystone-manage")
	if err != nil {
		t.Fatalf("keystone-manage is required (%v); run `make test-deps`", err)
	}
	dir := t.TempDir()
	for _, d := range []string{"fernet", "credentials"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "keystone.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`[DEFAULT]
log_file = %[1]s/keystone.log
[database]
connection = sqlite:///%[1]s/keystone.db
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = %[1]s/fernet
[fernet_receipts]
key_repository = %[1]s/fernet
[credential]
key_repository = %[1]s/credentials
`, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	k := &Keystone{URL: "http://" + addr + "/v3", AdminPassword: "keystone-admin-pw"}
	user := fmt.Sprint(os.Getuid())
	group := fmt.Sprint(os.Getgid())
	for _, args := range [][]string{
		{"db_sync"},
		{"fernet_setup", "--keystone-user", user, "--keystone-group", group},
		{"credential_setup", "--keystone-user", user, "--keystone-group", group},
		{"bootstrap", "--bootstrap-password", k.AdminPassword, "--bootstrap-public-url", k.URL},
	} {
		cmd := exec.Command(manage, append([]string{"--config-file", conf}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("keystone-manage %s: %v\n%s", args[0], err, out)
		}
	}
	wsgi, err := exec.LookPath("keystone-wsgi-public")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	k.Process = startEnv(t, []string{"OS_KEYSTONE_CONFIG_FILES=" + conf}, wsgi, "--host", host, "--port", port)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if k.Process.Exited() {
			t.Fatalf("keystone exited:\n%s", k.Process.Output())
		}
		if resp, err := http.Get(k.URL); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return k
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("keystone did not answer within 60s:\n%s", k.Process.Output())
	return nil
}

// Token logs user in with a password, scoped to project, and returns the
// token (X-Subject-Token).
func (k *Keystone) Token(t testing.TB, user, password, project string) string {
	t.Helper()
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"},
			"password": map[string]any{"user": map[string]any{"name": user, "domain": map[string]string{"id": "default"}, "password": password}}},
		"scope": map[string]any{"project": map[string]any{"name": project, "domain": map[string]string{"id": "default"}}},
	}}
	resp := k.call(t, "", http.MethodPost, "/auth/tokens", body, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("keystone login of %s: %s", user, resp.Status)
	}
	return resp.Header.Get("X-Subject-Token")
}

// Revoke revokes a token.
func (k *Keystone) Revoke(t testing.TB, adminToken, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, k.URL+"/auth/tokens", nil)
	req.Header.Set("X-Auth-Token", adminToken)
	req.Header.Set("X-Subject-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("keystone revoke: %s", resp.Status)
	}
}

// CreateUser adds a user with a role in a project (both must exist, as the
// bootstrap's admin project and member role do).
func (k *Keystone) CreateUser(t testing.TB, adminToken, name, password, project, role string) {
	t.Helper()
	var created struct {
		User struct{ ID string } `json:"user"`
	}
	k.call(t, adminToken, http.MethodPost, "/users", map[string]any{"user": map[string]any{"name": name, "password": password, "domain_id": "default"}}, &created)
	var projects struct {
		Projects []struct{ ID string } `json:"projects"`
	}
	k.call(t, adminToken, http.MethodGet, "/projects?name="+project, nil, &projects)
	var roles struct {
		Roles []struct{ ID string } `json:"roles"`
	}
	k.call(t, adminToken, http.MethodGet, "/roles?name="+role, nil, &roles)
	if created.User.ID == "" || len(projects.Projects) != 1 || len(roles.Roles) != 1 {
		t.Fatalf("keystone: user %q, projects %v, roles %v", created.User.ID, projects.Projects, roles.Roles)
	}
	resp := k.call(t, adminToken, http.MethodPut, "/projects/"+projects.Projects[0].ID+"/users/"+created.User.ID+"/roles/"+roles.Roles[0].ID, nil, nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("keystone role assignment: %s", resp.Status)
	}
}

func (k *Keystone) call(t testing.TB, token, method, path string, body, into any) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, k.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("keystone %s %s: %s: %s", method, path, resp.Status, raw)
	}
	if into != nil {
		if err := json.Unmarshal(raw, into); err != nil {
			t.Fatalf("keystone %s %s: %v", method, path, err)
		}
	}
	return resp
}
