package expiry

import (
	"errors"
	"net/http"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
)

// FingerprintFiles names the plain files the section points at, so a
// reload after one changed reads it at once. Globs are read on every
// refresh anyway.
func (s *Section) FingerprintFiles() []string {
	var out []string
	if k := s.KubernetesSecrets; k != nil && k.Kubeconfig != "" {
		out = append(out, k.Kubeconfig)
	}
	for _, j := range s.JWTFiles {
		out = append(out, j.File)
	}
	return out
}

// SandboxSection reads sandbox.StartExpiry's endpoint and files.
func SandboxSection(u *sandbox.ExpiryUpstream) *Section {
	s := &Section{
		RefreshInterval: config.Duration(DefaultInterval),
		TLSEndpoints:    []Endpoint{{Name: "sandbox-app", Address: u.Endpoint}},
		Kubeconfigs:     []string{u.Kubeconfig},
		PEMFiles:        []string{u.PEMGlob},
		JWTFiles:        []JWTFile{{Name: "deploy-token", File: u.JWTSoon}, {Name: "old-token", File: u.JWTExpired}},
	}
	s.ApplyDefaults()
	return s
}

func init() {
	collector.Register(collector.Registration{
		Name:       "expiry",
		Section:    "expiry",
		NewSection: func() config.Section { return &Section{} },
		Catalogue:  Catalogue,
		Uses:       []string{"aws", "ionos"},
		Reads:      []string{"access"},
		Sandbox: func(env *collector.SandboxEnv) (config.Section, error) {
			u, err := sandbox.StartExpiry()
			if err != nil {
				return nil, err
			}
			env.OnStop(u.Close)
			s := SandboxSection(u)
			tokens := SandboxIONOS(time.Now())
			env.OnStop(tokens.Close)
			s.IONOS = &IONOSTokens{RegistryTokens: true, APITokens: true}
			s.sandbox = &IONOSClients{ownID: SandboxOwnTokenID, client: func(rt http.RoundTripper) *ionos.TokenClient {
				return ionos.NewTokenClient(tokens.RegistryURL(), tokens.AuthURL(), &http.Client{Transport: bearer{SandboxIONOSBearer, rt}})
			}}
			acmSrv := sandbox.StartACM(SandboxACM(time.Now()))
			env.OnStop(acmSrv.Close)
			s.ACM = &ACM{}
			s.sandboxACM = []ACMTarget{{Account: "sandbox", Region: "eu-central-1", Config: func(rt http.RoundTripper) awssdk.Config {
				return awssdk.Config{Region: "eu-central-1", Credentials: credentials.NewStaticCredentialsProvider("sandbox", "sandbox", ""),
					BaseEndpoint: awssdk.String(acmSrv.URL), HTTPClient: &http.Client{Transport: rt}, Retryer: func() awssdk.Retryer { return awssdk.NopRetryer{} }}
			}}}
			return s, nil
		},
		Build: func(sec config.Section, deps *collector.Deps) (collector.Collector, error) {
			s := sec.(*Section)
			var probes []collector.TLSTarget
			if s.readsProbes() {
				probes = ProbeTargets(deps.Sections)
			}
			if len(probes) == 0 && !s.listsAnything() {
				return nil, errors.New(nothingToWatchMsg + "; " + nothingHint)
			}
			ic := s.sandbox
			if ic == nil && s.IONOS.enabled() {
				built, err := deps.Provider("ionos")
				if err != nil {
					return nil, err
				}
				p, ok := built.(*ionos.Provider)
				if !ok {
					return nil, errors.New("expiry: the ionos provider is not an IONOS client set")
				}
				ic = FromProvider(p)
			}
			// Only the probes' source depends on the access section: the
			// others keep their snapshots when just the probes change.
			c := New(s, deps.OwnFingerprint, deps.Group, deps.Logger, ic)
			targets := s.sandboxACM
			if targets == nil && s.ACM != nil {
				built, err := deps.Provider("aws")
				if err != nil {
					return nil, err
				}
				p, ok := built.(*aws.Provider)
				if !ok {
					return nil, errors.New("expiry: the aws provider is not an AWS client set")
				}
				if targets, err = ACMTargets(s.ACM, p); err != nil {
					return nil, err
				}
			}
			c.ReadACM(deps.Group, deps.OwnFingerprint, targets)
			c.ReadProbes(deps.Group, deps.Fingerprint, probes)
			if s.KubernetesSecrets != nil {
				rc, err := kubeConfig(s.KubernetesSecrets)
				if err != nil {
					return nil, err
				}
				if err := c.WatchSecrets(rc); err != nil {
					return nil, err
				}
			}
			return c, nil
		},
	})
}

// ProbeTargets returns the TLS targets of the sections read (the access
// probes), in section order.
func ProbeTargets(sections map[string]config.Section) []collector.TLSTarget {
	var out []collector.TLSTarget
	for _, name := range sortedKeys(sections) {
		if t, ok := sections[name].(collector.TLSTargeter); ok {
			out = append(out, t.TLSTargets()...)
		}
	}
	return out
}

// The sandbox's IONOS token emulator: its bearer and the id of the API
// token "Vigil uses" there.
const (
	SandboxIONOSBearer = "sandbox-expiry-ionos-token"
	SandboxOwnTokenID  = "5f0c1e2d-3b4a-4c5d-8e6f-7a8b9c0d1e2f"
)

// SandboxIONOS starts the token emulator with tokens near expiry: the
// registry pull token in 20 days (ticket), a push token that never expires,
// a disabled one, and Vigil's own API token in 2 days (page).
func SandboxIONOS(now time.Time) *sandbox.IONOSTokens {
	day := 24 * time.Hour
	at := func(d time.Duration) *time.Time { t := now.Add(d).Truncate(time.Second); return &t }
	return sandbox.StartIONOSTokens(SandboxIONOSBearer, 0, []sandbox.SandboxRegistry{{
		ID: "3f1d2c4e-8a7b-4c1d-9e2f-0a1b2c3d4e5f", Name: "vigil-sandbox",
		Tokens: []sandbox.SandboxRegistryToken{
			{ID: "8fb592e4-494c-11ed-b878-0242ac120002", Name: "vigil-pull", Status: "enabled", Expiry: at(20 * day)},
			{ID: "9a0b1c2d-494c-11ed-b878-0242ac120002", Name: "ci-push", Status: "enabled"},
			{ID: "a1b2c3d4-494c-11ed-b878-0242ac120002", Name: "old-pull", Status: "disabled", Expiry: at(-30 * day)},
		},
	}}, []sandbox.SandboxAPIToken{
		{ID: SandboxOwnTokenID, Created: now.Add(-363 * day), Expiration: *at(2 * day)},
		{ID: "6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d", Created: now.Add(-10 * day), Expiration: *at(355 * day)},
	})
}

// bearer adds a fixed Authorization header (the sandbox's own client).
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// SandboxACM is the sandbox's ACM: the ALB's certificate 10 days from
// expiry (ticket), an unused one 2 days from expiry (no alert: nothing uses
// it), an EC key one that is fine, and one still waiting for validation.
func SandboxACM(now time.Time) []sandbox.ACMCert {
	day := 24 * time.Hour
	arn := "arn:aws:acm:eu-central-1:123456789012:certificate/"
	alb := "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/ticketly/50dc6c495c0c9188"
	return []sandbox.ACMCert{
		{ARN: arn + "0a1b2c3d-1111-4e5f-8a9b-0c1d2e3f4a5b", Domain: "ticketly.example.com", Status: "ISSUED", KeyAlgorithm: "RSA_2048",
			Serial: "0a:1b:2c", NotBefore: now.Add(-385 * day), NotAfter: now.Add(10 * day), InUseBy: []string{alb}},
		{ARN: arn + "0a1b2c3d-2222-4e5f-8a9b-0c1d2e3f4a5b", Domain: "old.ticketly.example.com", Status: "ISSUED", KeyAlgorithm: "RSA_2048",
			Serial: "0a:1b:2d", NotBefore: now.Add(-393 * day), NotAfter: now.Add(2 * day)},
		{ARN: arn + "0a1b2c3d-3333-4e5f-8a9b-0c1d2e3f4a5b", Domain: "api.ticketly.example.com", Status: "ISSUED", KeyAlgorithm: "EC_prime256v1",
			Serial: "0a:1b:2e", NotBefore: now.Add(-30 * day), NotAfter: now.Add(365 * day), InUseBy: []string{alb}},
		{ARN: arn + "0a1b2c3d-4444-4e5f-8a9b-0c1d2e3f4a5b", Domain: "new.ticketly.example.com", Status: "PENDING_VALIDATION", KeyAlgorithm: "RSA_2048"},
	}
}
