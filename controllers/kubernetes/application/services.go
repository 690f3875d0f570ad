package application

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// serviceAddresses are `<cluster API host>:<nodePort>` per NodePort
// service port, and the load balancer's address when one is assigned.
func serviceAddresses(svc *unstructured.Unstructured, host string) map[string]string {
	out := map[string]string{}
	typ, _, _ := unstructured.NestedString(svc.Object, "spec", "type")
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if typ == "LoadBalancer" {
		ingress, _, _ := unstructured.NestedSlice(svc.Object, "status", "loadBalancer", "ingress")
		if len(ingress) > 0 && len(ports) > 0 {
			in, _ := ingress[0].(map[string]any)
			p, _ := ports[0].(map[string]any)
			addr, _ := in["ip"].(string)
			if addr == "" {
				addr, _ = in["hostname"].(string)
			}
			if addr != "" {
				out[svc.GetName()] = fmt.Sprintf("%s:%v", addr, p["port"])
				return out
			}
		}
	}
	if typ != "NodePort" && typ != "LoadBalancer" {
		return out
	}
	for i, p := range ports {
		pm, _ := p.(map[string]any)
		nodePort, ok := pm["nodePort"]
		if !ok {
			continue
		}
		name := svc.GetName()
		if i > 0 {
			name = fmt.Sprintf("%s/%v", name, pm["name"])
		}
		out[name] = fmt.Sprintf("%s:%v", host, nodePort)
	}
	return out
}
