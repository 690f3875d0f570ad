package api

// Infrastructure provider and cloud types.
const (
	InfrastructureProviderIM = "im"
	CloudOpenstack           = "openstack"
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
	Type string  `json:"type"`
	IM   *IMSpec `json:"im,omitempty"`
}

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

// CloudStatus is what the infrastructure controller observes.
type CloudStatus struct {
	State          string            `json:"state"`
	Reason         *Reason           `json:"reason"`
	MetricsReasons map[string]Reason `json:"metrics_reasons"`
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
