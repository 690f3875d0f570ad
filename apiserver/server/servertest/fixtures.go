package servertest

import "strings"

const kubeconfig = `{"apiVersion":"v1","kind":"Config",
 "clusters":[{"name":"c","cluster":{"server":"https://127.0.0.1:6443"}}],
 "users":[{"name":"u","user":{"token":"secret"}}],
 "contexts":[{"name":"ctx","context":{"cluster":"c","user":"u"}}],
 "current-context":"ctx"}`

// fixtures are minimal valid bodies for every kind, by kind name.
var fixtures = map[string]string{
	"Application":                  `{"metadata":{"name":"NAME"},"spec":{"manifest":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"echo"}}]}}`,
	"Cluster":                      `{"metadata":{"name":"NAME"},"spec":{"kubeconfig":` + kubeconfig + `}}`,
	"Metric":                       `{"metadata":{"name":"NAME"},"spec":{"min":0,"max":1,"provider":{"name":"prom","metric":"heat"}}}`,
	"GlobalMetric":                 `{"metadata":{"name":"NAME"},"spec":{"min":0,"max":1,"provider":{"name":"prom","metric":"heat"}}}`,
	"MetricsProvider":              `{"metadata":{"name":"NAME"},"spec":{"type":"prometheus","prometheus":{"url":"http://127.0.0.1:9090"}}}`,
	"GlobalMetricsProvider":        `{"metadata":{"name":"NAME"},"spec":{"type":"static","static":{"metrics":{"heat":0.5}}}}`,
	"Role":                         `{"metadata":{"name":"NAME"},"rules":[{"api":"kubernetes","resources":["applications"],"namespaces":["all"],"verbs":["get","list"]}]}`,
	"RoleBinding":                  `{"metadata":{"name":"NAME"},"users":["alice"],"roles":["viewer"]}`,
	"Lease":                        `{"metadata":{"name":"NAME"},"spec":{"holder_identity":"host_1","lease_duration_seconds":15}}`,
	"InfrastructureProvider":       `{"metadata":{"name":"NAME"},"spec":{"type":"im","im":{"url":"http://127.0.0.1:8800","username":"u","password":"p"}}}`,
	"GlobalInfrastructureProvider": `{"metadata":{"name":"NAME"},"spec":{"type":"im","im":{"url":"http://127.0.0.1:8800","token":"t"}}}`,
	"Cloud":                        `{"metadata":{"name":"NAME"},"spec":{"type":"openstack","openstack":{"url":"https://127.0.0.1:5000/v3","auth":{"type":"password","password":{"version":"3","user":{"username":"u","password":"p","domain_name":"Default"},"project":{"name":"p","domain_id":"default"}}},"metrics":[],"infrastructure_provider":{"name":"im"}}}}`,
	"GlobalCloud":                  `{"metadata":{"name":"NAME"},"spec":{"type":"openstack","openstack":{"url":"https://127.0.0.1:5000/v3","auth":{"type":"password","password":{"version":"3","user":{"username":"u","password":"p","domain_name":"Default"},"project":{"name":"p","domain_id":"default"}}},"metrics":[],"infrastructure_provider":{"name":"im"}}}}`,
}

// Fixture is a minimal valid JSON body of kind (a Kind name of api.Kinds)
// named name; "" for a kind it does not know.
func Fixture(kind, name string) string {
	return strings.Replace(fixtures[kind], "NAME", name, 1)
}
