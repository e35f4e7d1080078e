package ionos

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// Container Registry and Auth API token listings, for the expiry collector:
// hand-written from the published API descriptions (Container Registry API
// 1.2.1, Auth API 1.0), as no SDK of them can be had here. Only names, ids,
// dates and status are decoded; a registry token's credentials are never
// read into a field.

// RegistryToken is one Container Registry token's facts.
type RegistryToken struct {
	Registry string // the registry's name
	ID, Name string
	// Expiry is nil when the token never expires (expiryDate null).
	Expiry *time.Time
	Status string // enabled, disabled, or "" when the API sends none
}

// APIToken is one Auth API token's facts.
type APIToken struct {
	ID         string
	Created    time.Time
	Expiration time.Time
}

// TokenClient lists registry and API tokens over an authenticating client.
type TokenClient struct {
	registryBase, authBase string
	http                   *http.Client
}

// Tokens returns a token client whose requests go through rt (the source's
// counting transport) with the provider's credentials.
func (p *Provider) Tokens(rt http.RoundTripper) *TokenClient {
	return NewTokenClient(p.registryURL, p.authURL, p.HTTP(rt))
}

// NewTokenClient is a client of the two bases over hc, which must
// authenticate (Provider.Tokens does; the sandbox uses its own).
func NewTokenClient(registryBase, authBase string, hc *http.Client) *TokenClient {
	return &TokenClient{registryBase: strings.TrimRight(registryBase, "/"), authBase: strings.TrimRight(authBase, "/"), http: hc}
}

// TokenID is the id of the API token Vigil authenticates with (the JWT
// header's kid, which the Auth API uses as the token id), or "" when it
// authenticates otherwise. The id names the token; it is not the secret.
func (p *Provider) TokenID() string {
	tok, ok := strings.CutPrefix(p.cred.header, "Bearer ")
	if !ok {
		return ""
	}
	head, _, ok := strings.Cut(tok, ".")
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(head, "="))
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(b, &h) != nil {
		return ""
	}
	return h.Kid
}

// Registry is a registry's id and name.
type Registry struct{ ID, Name string }

// Registries lists every registry, following pagination.token.
func (c *TokenClient) Registries(ctx context.Context) ([]Registry, error) {
	var out []Registry
	token := ""
	for page := 0; ; page++ {
		if page > 1000 {
			return nil, fmt.Errorf("ionos container registry: more than 1000 pages of registries")
		}
		q := url.Values{"limit": {"100"}}
		if token != "" {
			q.Set("pagination.token", token)
		}
		var resp struct {
			Items []struct {
				ID         string `json:"id"`
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			} `json:"items"`
			Pagination struct {
				Token string `json:"token"`
			} `json:"pagination"`
		}
		if err := c.get(ctx, "GET /registries", c.registryBase+"/registries?"+q.Encode(), &resp); err != nil {
			return nil, err
		}
		for _, it := range resp.Items {
			out = append(out, Registry{ID: it.ID, Name: it.Properties.Name})
		}
		if resp.Pagination.Token == "" || resp.Pagination.Token == token {
			return out, nil
		}
		token = resp.Pagination.Token
	}
}

// RegistryTokens lists a registry's tokens, following offset pagination.
func (c *TokenClient) RegistryTokens(ctx context.Context, r Registry) ([]RegistryToken, error) {
	var out []RegistryToken
	const limit = 100
	for offset := 0; ; {
		if offset > 100000 {
			return nil, fmt.Errorf("ionos container registry %s: more than 100000 tokens", r.Name)
		}
		u := fmt.Sprintf("%s/registries/%s/tokens?offset=%d&limit=%d", c.registryBase, url.PathEscape(r.ID), offset, limit)
		var resp struct {
			Total int `json:"total"`
			Items []struct {
				ID         string `json:"id"`
				Properties struct {
					Name       string  `json:"name"`
					ExpiryDate *string `json:"expiryDate"`
					Status     string  `json:"status"`
				} `json:"properties"`
			} `json:"items"`
		}
		if err := c.get(ctx, "GET /registries/{id}/tokens", u, &resp); err != nil {
			return nil, err
		}
		for _, it := range resp.Items {
			t := RegistryToken{Registry: r.Name, ID: it.ID, Name: it.Properties.Name, Status: it.Properties.Status}
			if e := it.Properties.ExpiryDate; e != nil && *e != "" {
				at, err := parseTime(*e)
				if err != nil {
					return nil, fmt.Errorf("ionos container registry %s token %s: expiryDate: %w", r.Name, it.Properties.Name, &source.DecodeError{Err: err})
				}
				t.Expiry = &at
			}
			out = append(out, t)
		}
		// The server may send fewer than asked for: advance by what came.
		offset += len(resp.Items)
		if len(resp.Items) == 0 || offset >= resp.Total {
			return out, nil
		}
	}
}

// APITokens lists the Auth API tokens of the user (and contract).
func (c *TokenClient) APITokens(ctx context.Context) ([]APIToken, error) {
	var resp struct {
		Tokens []struct {
			ID             string `json:"id"`
			CreatedDate    string `json:"createdDate"`
			ExpirationDate string `json:"expirationDate"`
		} `json:"tokens"`
	}
	if err := c.get(ctx, "GET /tokens", c.authBase+"/tokens", &resp); err != nil {
		return nil, err
	}
	out := make([]APIToken, 0, len(resp.Tokens))
	for _, t := range resp.Tokens {
		exp, err := parseTime(t.ExpirationDate)
		if err != nil {
			return nil, fmt.Errorf("ionos auth token %s: expirationDate: %w", t.ID, &source.DecodeError{Err: err})
		}
		created, _ := parseTime(t.CreatedDate) // informational
		out = append(out, APIToken{ID: t.ID, Created: created, Expiration: exp})
	}
	return out, nil
}

// parseTime accepts RFC 3339 with or without fraction or zone (a zone-less
// value is UTC, as sdk-go treats it).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

func (c *TokenClient) get(ctx context.Context, api, u string, into any) error {
	if err := getJSON(ctx, c.http, api, u, 16<<20, into); err != nil {
		return fmt.Errorf("ionos: %w", err)
	}
	return nil
}
