package expiry

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// IONOSTokens selects the IONOS tokens to watch, read through the ionos:
// provider section's credentials.
type IONOSTokens struct {
	// RegistryTokens: every token of every Container Registry (expiryDate,
	// null meaning never; status enabled or disabled).
	RegistryTokens bool `yaml:"registry_tokens"`
	// APITokens: the Auth API tokens of Vigil's IONOS user (expirationDate),
	// marking the one Vigil authenticates with.
	APITokens bool `yaml:"api_tokens"`
}

func (t *IONOSTokens) enabled() bool { return t != nil && (t.RegistryTokens || t.APITokens) }

// SourceIONOS is the IONOS tokens source's name.
const SourceIONOS = "expiry_ionos"

// IONOSClients builds a token client over a source's transport, and says
// which API token is Vigil's own.
type IONOSClients struct {
	client func(rt http.RoundTripper) *ionos.TokenClient
	ownID  string
}

// FromProvider reads the tokens with the ionos: section's credentials.
func FromProvider(p *ionos.Provider) *IONOSClients {
	return &IONOSClients{client: p.Tokens, ownID: p.TokenID()}
}

// tokenAPI names a request for vigil_source_api_requests_total.
func tokenAPI(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/tokens") && strings.Contains(p, "/registries/"):
		return "GET /registries/{id}/tokens"
	case strings.HasSuffix(p, "/registries"):
		return "GET /registries"
	case strings.HasSuffix(p, "/tokens"):
		return "GET /tokens"
	}
	return r.Method
}

// readIONOS lists the tokens: one item per registry and one for the Auth
// API, so a registry whose listing fails keeps its last tokens.
func readIONOS(ctx context.Context, sel *IONOSTokens, tc *ionos.TokenClient, ownID string) (source.Items[Found], error) {
	out := source.Items[Found]{}
	if sel.RegistryTokens {
		regs, err := tc.Registries(ctx)
		if err != nil {
			out.Fail("registries", err)
		}
		for _, r := range regs {
			toks, err := tc.RegistryTokens(ctx, r)
			if err != nil {
				out.Fail("registry:"+r.Name, err)
				continue
			}
			var f Found
			for _, t := range toks {
				fact := TokenFact{Kind: "ionos_registry", Location: t.Registry, Name: t.Name, ID: t.ID}
				if t.Expiry != nil {
					fact.Expires, fact.NotAfter = true, t.Expiry.UTC()
				}
				if t.Status != "" {
					on := t.Status == "enabled"
					fact.Enabled = &on
				}
				f.Tokens = append(f.Tokens, fact)
			}
			out.Set("registry:"+r.Name, f)
		}
	}
	if sel.APITokens {
		toks, err := tc.APITokens(ctx)
		if err != nil {
			out.Fail("auth", err)
		} else {
			var f Found
			for _, t := range toks {
				f.Tokens = append(f.Tokens, TokenFact{Kind: "ionos_api", Location: "ionos", Name: "api-token", ID: t.ID,
					Expires: true, NotAfter: t.Expiration, InUse: ownID != "" && t.ID == ownID})
			}
			out.Set("auth", f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ionos tokens: nothing selected")
	}
	return out, nil
}
