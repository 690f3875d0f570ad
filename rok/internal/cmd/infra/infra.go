// Package infra holds `rok infra`: infrastructure providers and clouds.
package infra

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/rok/internal/cmd/resource"
	"github.com/krake-go/krake/rok/internal/cmdutil"
)

// New returns `rok infra`.
func New(f *cmdutil.Factory) *cobra.Command {
	return resource.NewTopicCommand(f, "infrastructure", map[string]resource.Custom{
		"InfrastructureProvider":       {Fields: &providerFields{}},
		"GlobalInfrastructureProvider": {Fields: &providerFields{}},
		"Cloud":                        {Fields: &cloudFields{}},
		"GlobalCloud":                  {Fields: &cloudFields{}},
	})
}

type providerFields struct {
	labels                    resource.Labels
	typ, url                  string
	username, password, token string
}

func (p *providerFields) AddFlags(fs *pflag.FlagSet, update bool) {
	p.labels.AddFlags(fs, update)
	fs.StringVar(&p.typ, "type", "im", "provider type: im (Infrastructure Manager), kwok (local clusters on the controller's machine, for trying Krake out)")
	fs.StringVar(&p.url, "url", "", "Infrastructure Manager URL")
	fs.StringVar(&p.username, "username", "", "IM user (also --user)")
	fs.StringVar(&p.password, "password", "", "IM password")
	fs.StringVar(&p.token, "token", "", "IM token")
	resource.FlagAliases(fs, map[string]string{"user": "username"})
}

func optional(fs *pflag.FlagSet, flag string, dst **string, value string) {
	if fs.Changed(flag) {
		v := value
		*dst = &v
	}
}

func (p *providerFields) Apply(obj api.Object, fs *pflag.FlagSet, update bool) error {
	ip := obj.(*api.InfrastructureProvider)
	if p.typ == api.InfrastructureProviderKwok && (fs.Changed("type") || !update) {
		for _, flag := range []string{"url", "username", "password", "token"} {
			if fs.Changed(flag) {
				return cmdutil.FlagErrorf("--%s is for the im type; a kwok provider has no settings", flag)
			}
		}
		ip.Spec = api.InfrastructureProviderSpec{Type: p.typ, Kwok: &api.KwokProviderSpec{}}
		return p.labels.Apply(obj, fs)
	}
	if ip.Spec.Kwok != nil && !fs.Changed("type") {
		return p.labels.Apply(obj, fs)
	}
	if !update && !fs.Changed("url") {
		return cmdutil.FlagErrorf("--url is required")
	}
	if ip.Spec.IM == nil || fs.Changed("type") {
		ip.Spec = api.InfrastructureProviderSpec{Type: p.typ, IM: &api.IMSpec{}}
	}
	if fs.Changed("url") {
		ip.Spec.IM.URL = p.url
	}
	optional(fs, "username", &ip.Spec.IM.Username, p.username)
	optional(fs, "password", &ip.Spec.IM.Password, p.password)
	optional(fs, "token", &ip.Spec.IM.Token, p.token)
	return p.labels.Apply(obj, fs)
}

type cloudFields struct {
	labels                 resource.Labels
	typ, url               string
	username, password     string
	project                string
	domainName, domainID   string
	infraProvider          string
	globalInfraProvider    string
	metrics, globalMetrics []string
}

func (c *cloudFields) AddFlags(fs *pflag.FlagSet, update bool) {
	c.labels.AddFlags(fs, update)
	fs.StringVar(&c.typ, "type", "openstack", "cloud type: openstack, kwok (this machine, with a kwok provider)")
	fs.StringVar(&c.url, "url", "", "Keystone URL")
	fs.StringVar(&c.username, "username", "", "OpenStack user (also --user)")
	fs.StringVar(&c.password, "password", "", "OpenStack password")
	fs.StringVar(&c.project, "project", "", "OpenStack project")
	fs.StringVar(&c.domainName, "domain-name", "Default", "domain of the user (also --user-domain-name)")
	fs.StringVar(&c.domainID, "domain-id", "default", "domain ID of the project (also --project-domain-id)")
	fs.StringVar(&c.infraProvider, "infra-provider", "", "namespaced infrastructure provider")
	fs.StringVar(&c.globalInfraProvider, "global-infra-provider", "", "global infrastructure provider")
	fs.StringArrayVar(&c.metrics, "metric", nil, "namespaced metric and weight: --metric NAME WEIGHT (repeatable)")
	fs.StringArrayVar(&c.globalMetrics, "global-metric", nil, "global metric and weight: --global-metric NAME WEIGHT (repeatable)")
	resource.FlagAliases(fs, map[string]string{"user": "username", "user-domain-name": "domain-name", "project-domain-id": "domain-id"})
}

func (c *cloudFields) Apply(obj api.Object, fs *pflag.FlagSet, update bool) error {
	cloud := obj.(*api.Cloud)
	if err := resource.Exclusive(fs, "infra-provider", "global-infra-provider"); err != nil {
		return err
	}
	if (c.typ == api.CloudKwok && (fs.Changed("type") || !update)) || (cloud.Spec.Kwok != nil && !fs.Changed("type")) {
		return c.applyKwok(cloud, fs, update)
	}
	if !update {
		for _, required := range []string{"url", "username", "password", "project"} {
			if !fs.Changed(required) {
				return cmdutil.FlagErrorf("--%s is required", required)
			}
		}
		if !fs.Changed("infra-provider") && !fs.Changed("global-infra-provider") {
			return cmdutil.FlagErrorf("give --infra-provider or --global-infra-provider")
		}
	}
	if cloud.Spec.Openstack == nil {
		cloud.Spec = api.CloudSpec{Type: c.typ, Openstack: &api.OpenstackSpec{Auth: api.OpenstackAuth{Type: "password", Password: api.OpenstackPassword{Version: "3"}}}}
	}
	os := cloud.Spec.Openstack
	set := func(flag string, dst *string, value string) {
		if fs.Changed(flag) || (!update && *dst == "") {
			*dst = value
		}
	}
	set("url", &os.URL, c.url)
	set("username", &os.Auth.Password.User.Username, c.username)
	set("password", &os.Auth.Password.User.Password, c.password)
	set("domain-name", &os.Auth.Password.User.DomainName, c.domainName)
	set("project", &os.Auth.Password.Project.Name, c.project)
	set("domain-id", &os.Auth.Password.Project.DomainID, c.domainID)
	if fs.Changed("infra-provider") {
		os.InfrastructureProvider = api.ProviderRef{Name: c.infraProvider, Namespaced: true}
	}
	if fs.Changed("global-infra-provider") {
		os.InfrastructureProvider = api.ProviderRef{Name: c.globalInfraProvider}
	}
	refs, err := resource.MetricRefs(c.metrics, c.globalMetrics)
	if err != nil {
		return err
	}
	os.Metrics = append(os.Metrics, refs...)
	return c.labels.Apply(obj, fs)
}

// applyKwok sets a kwok cloud: only its provider and metrics.
func (c *cloudFields) applyKwok(cloud *api.Cloud, fs *pflag.FlagSet, update bool) error {
	for _, flag := range []string{"url", "username", "password", "project", "domain-name", "domain-id"} {
		if fs.Changed(flag) {
			return cmdutil.FlagErrorf("--%s is for openstack clouds; a kwok cloud is this machine", flag)
		}
	}
	if cloud.Spec.Kwok == nil {
		if !fs.Changed("infra-provider") && !fs.Changed("global-infra-provider") {
			return cmdutil.FlagErrorf("give --infra-provider or --global-infra-provider (a provider of type kwok)")
		}
		cloud.Spec = api.CloudSpec{Type: api.CloudKwok, Kwok: &api.KwokCloudSpec{}}
	}
	kw := cloud.Spec.Kwok
	if fs.Changed("infra-provider") {
		kw.InfrastructureProvider = api.ProviderRef{Name: c.infraProvider, Namespaced: true}
	}
	if fs.Changed("global-infra-provider") {
		kw.InfrastructureProvider = api.ProviderRef{Name: c.globalInfraProvider}
	}
	refs, err := resource.MetricRefs(c.metrics, c.globalMetrics)
	if err != nil {
		return err
	}
	kw.Metrics = append(kw.Metrics, refs...)
	return c.labels.Apply(cloud, fs)
}
