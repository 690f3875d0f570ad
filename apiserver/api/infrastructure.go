package api

// Infrastructure provider and cloud types.
const (
	InfrastructureProviderIM = "im"
	CloudOpenstack           = "openstack"
	// kwok (ours): clusters of real local control planes with kwok nodes,
	// on the machine the infrastructure controller runs on; for
	// development and CI.
	InfrastructureProviderKwok = "kwok"
	CloudKwok                  = "kwok"
)

// InfrastructureProvider creates clusters on clouds (the IM provider).
// GlobalInfrastructureProvider has the same shape without a namespace.
type InfrastructureProvider struct {
	TypeMeta
	Metadata Metadata                   `json:"metadata"`
	Spec     InfrastructureProviderSpec `json:"spec"`
}

func (p *InfrastructureProvider) GetMetadata() *Metadata { return &p.Metadata }

// InfrastructureProviderSpec holds only the chosen type's settings.
type InfrastructureProviderSpec struct {
	Type string            `json:"type"`
	IM   *IMSpec           `json:"im,omitempty"`
	Kwok *KwokProviderSpec `json:"kwok,omitempty"`
}

// KwokProviderSpec: the kwok provider needs no settings of its own; its
// clusters' state lives where the infrastructure controller keeps it
// (krakectl --kwok-dir).
type KwokProviderSpec struct{}

// IMSpec is an Infrastructure Manager endpoint and its credentials.
type IMSpec struct {
	URL      string  `json:"url"`
	Username *string `json:"username"`
	Password *string `json:"password"`
	Token    *string `json:"token"`
}

// Cloud is a cloud Krake may create clusters on. GlobalCloud has the same
// shape without a namespace.
type Cloud struct {
	TypeMeta
	Metadata Metadata    `json:"metadata"`
	Spec     CloudSpec   `json:"spec"`
	Status   CloudStatus `json:"status"`
}

func (c *Cloud) GetMetadata() *Metadata { return &c.Metadata }

// CloudSpec holds only the chosen type's settings.
type CloudSpec struct {
	Type      string         `json:"type"`
	Openstack *OpenstackSpec `json:"openstack,omitempty"`
	Kwok      *KwokCloudSpec `json:"kwok,omitempty"`
}

// KwokCloudSpec is "this machine" as a cloud: its metrics and the kwok
// provider that builds clusters on it.
type KwokCloudSpec struct {
	Metrics                []MetricRef `json:"metrics"`
	InfrastructureProvider ProviderRef `json:"infrastructure_provider"`
}

// MetricRefs are the metrics the cloud is weighed by.
func (c *Cloud) MetricRefs() []MetricRef {
	switch {
	case c.Spec.Openstack != nil:
		return c.Spec.Openstack.Metrics
	case c.Spec.Kwok != nil:
		return c.Spec.Kwok.Metrics
	}
	return nil
}

// Provider is the infrastructure provider the cloud names.
func (c *Cloud) Provider() (ProviderRef, bool) {
	switch {
	case c.Spec.Openstack != nil:
		return c.Spec.Openstack.InfrastructureProvider, true
	case c.Spec.Kwok != nil:
		return c.Spec.Kwok.InfrastructureProvider, true
	}
	return ProviderRef{}, false
}

// OpenstackSpec is an OpenStack cloud with its metrics and provider.
type OpenstackSpec struct {
	URL                    string        `json:"url"`
	Auth                   OpenstackAuth `json:"auth"`
	Metrics                []MetricRef   `json:"metrics"`
	InfrastructureProvider ProviderRef   `json:"infrastructure_provider"`
}

// OpenstackAuth is password authentication against Keystone.
type OpenstackAuth struct {
	Type     string            `json:"type"`
	Password OpenstackPassword `json:"password"`
}

// OpenstackPassword names the user and project.
type OpenstackPassword struct {
	Version string           `json:"version"`
	User    OpenstackUser    `json:"user"`
	Project OpenstackProject `json:"project"`
}

// OpenstackUser is a Keystone user.
type OpenstackUser struct {
	Username   string `json:"username"`
	Password   string `json:"password"`
	DomainName string `json:"domain_name"`
}

// OpenstackProject is a Keystone project.
type OpenstackProject struct {
	Name     string `json:"name"`
	DomainID string `json:"domain_id"`
}

// ProviderRef names an infrastructure provider.
type ProviderRef struct {
	Name       string `json:"name"`
	Namespaced bool   `json:"namespaced"`
}

// CloudRef is the reference to a Cloud (namespaced) or a GlobalCloud.
func CloudRef(c *Cloud) ResourceRef {
	return ResourceRef{API: "infrastructure", Kind: c.Kind, Namespace: c.Metadata.Namespace, Name: c.Metadata.Name}
}

// CloudBinding is the body of PUT .../clusters/{name}/binding: the cloud
// the scheduler chose for a cluster Krake creates.
type CloudBinding struct {
	API   string      `json:"api"`
	Kind  string      `json:"kind"`
	Cloud ResourceRef `json:"cloud"`
}

// CloudBindingTo is the binding of a cluster to the cloud ref names.
func CloudBindingTo(cloud ResourceRef) CloudBinding {
	return CloudBinding{API: "infrastructure", Kind: "CloudBinding", Cloud: cloud}
}

// CloudStatus is what the scheduler observes of a cloud's metrics.
type CloudStatus struct {
	State          string            `json:"state"`
	Reason         *Reason           `json:"reason"`
	MetricsReasons map[string]Reason `json:"metrics_reasons"`
	// MetricValues are the values the scheduler last fetched, by metric
	// name (ours, as for clusters: explain shows them).
	MetricValues map[string]float64 `json:"metric_values"`
}

func newInfrastructureProvider(kind string) func() Object {
	return func() Object {
		return &InfrastructureProvider{TypeMeta: TypeMeta{API: "infrastructure", Kind: kind}}
	}
}

func newCloud(kind string) func() Object {
	return func() Object {
		return &Cloud{TypeMeta: TypeMeta{API: "infrastructure", Kind: kind}, Status: CloudStatus{State: StateOnline}}
	}
}
