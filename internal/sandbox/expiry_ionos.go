package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-monitoring/vigil/internal/sandbox/flap"
)

// IONOSTokens emulates the two IONOS APIs that list tokens, with the wire
// format of their published descriptions (Container Registry API 1.2.1:
// GET /containerregistries/registries with pagination.token, GET
// /registries/{id}/tokens with offset/limit, expiryDate null meaning never;
// Auth API 1.0: GET /auth/v1/tokens). Every request must carry the bearer
// token it was started with. Timestamps end in Z, as the SDKs require.
type IONOSTokens struct {
	srv      *httptest.Server
	bearer   string
	pageSize int

	mu         sync.Mutex
	registries []SandboxRegistry
	apiTokens  []SandboxAPIToken
	requests   []string
	fail       int // answer this status to everything when non-zero
}

// SandboxRegistry is a registry and its tokens.
type SandboxRegistry struct {
	ID, Name string
	Tokens   []SandboxRegistryToken
}

// SandboxRegistryToken is a registry token; Expiry nil never expires.
type SandboxRegistryToken struct {
	ID, Name, Status string
	Expiry           *time.Time
	// Password is sent on reads when set (real reads send "", says the
	// wire reference, which leaves it undocumented): canary tests set it
	// to show Vigil never keeps it.
	Password string
}

// SandboxAPIToken is an Auth API token.
type SandboxAPIToken struct {
	ID                  string
	Created, Expiration time.Time
}

// StartIONOSTokens serves the registries and API tokens on loopback; every
// request must send "Authorization: Bearer <bearer>". pageSize > 0 makes
// lists come in pages that small (to exercise pagination).
func StartIONOSTokens(bearer string, pageSize int, registries []SandboxRegistry, apiTokens []SandboxAPIToken) *IONOSTokens {
	s := &IONOSTokens{bearer: bearer, pageSize: pageSize, registries: registries, apiTokens: apiTokens}
	s.srv = httptest.NewServer(flap.Wrap(http.HandlerFunc(s.serve)))
	return s
}

// RegistryURL and AuthURL are the bases to configure (ionos.registry_url, auth_url).
func (s *IONOSTokens) RegistryURL() string { return s.srv.URL + "/containerregistries" }
func (s *IONOSTokens) AuthURL() string     { return s.srv.URL + "/auth/v1" }

// Close stops the server.
func (s *IONOSTokens) Close() { s.srv.Close() }

// Requests returns the paths requested so far, with their queries.
func (s *IONOSTokens) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Fail makes every answer this status (0 restores).
func (s *IONOSTokens) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = status
}

// Update changes the data under the lock.
func (s *IONOSTokens) Update(f func(registries *[]SandboxRegistry, apiTokens *[]SandboxAPIToken)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.registries, &s.apiTokens)
}

func stampZ(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (s *IONOSTokens) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.URL.RequestURI())
	w.Header().Set("Content-Type", "application/json")
	fail := func(code int, msg string) {
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"httpStatus": code, "messages": []map[string]string{{"errorCode": strconv.Itoa(code), "message": msg}}})
	}
	if s.fail != 0 {
		fail(s.fail, "sandbox fault")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.bearer {
		fail(http.StatusUnauthorized, "Unauthorized")
		return
	}
	if r.Method != http.MethodGet {
		fail(http.StatusMethodNotAllowed, "read-only emulator")
		return
	}
	base := "http://" + r.Host
	q := r.URL.Query()
	path := r.URL.Path
	switch {
	case path == "/auth/v1/tokens":
		toks := []map[string]any{}
		for _, t := range s.apiTokens {
			toks = append(toks, map[string]any{"id": t.ID, "href": base + "/auth/v1/tokens/" + t.ID,
				"createdDate": stampZ(t.Created), "expirationDate": stampZ(t.Expiration)})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"tokens": toks})
	case path == "/containerregistries/registries":
		regs := append([]SandboxRegistry(nil), s.registries...)
		sort.Slice(regs, func(i, j int) bool { return regs[i].ID < regs[j].ID })
		start := 0
		if tok := q.Get("pagination.token"); tok != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(tok, "after-"))
			if err != nil {
				fail(http.StatusBadRequest, "invalid pagination.token")
				return
			}
			start = n
		}
		limit, _ := strconv.Atoi(q.Get("limit"))
		if limit <= 0 {
			limit = 100
		}
		if s.pageSize > 0 && s.pageSize < limit {
			limit = s.pageSize
		}
		end := min(start+limit, len(regs))
		start = min(start, end)
		items := []map[string]any{}
		for _, rg := range regs[start:end] {
			items = append(items, map[string]any{"id": rg.ID, "type": "registry", "href": base + "/containerregistries/registries/" + rg.ID,
				"metadata":   map[string]any{"createdBy": "ops@example.com", "createdByUserId": "0b6c4d3e-1f2a-4b5c-8d9e-0f1a2b3c4d5e", "createdDate": "2026-03-02T10:15:00Z", "state": "Running"},
				"properties": map[string]any{"name": rg.Name, "location": "de/fra", "hostname": rg.Name + ".cr.de-fra.ionos.com", "apiSubnetAllowList": []string{}}})
		}
		next := ""
		if end < len(regs) {
			next = fmt.Sprintf("after-%d", end)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "registries", "type": "collection", "href": base + path, "items": items,
			"_links":     map[string]string{"next": "", "previous": "", "self": base + r.URL.RequestURI()},
			"pagination": map[string]any{"limit": limit, "token": next}})
	case strings.HasPrefix(path, "/containerregistries/registries/") && strings.HasSuffix(path, "/tokens"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/containerregistries/registries/"), "/tokens")
		var reg *SandboxRegistry
		for i := range s.registries {
			if s.registries[i].ID == id {
				reg = &s.registries[i]
			}
		}
		if reg == nil {
			fail(http.StatusNotFound, "registry not found")
			return
		}
		offset, _ := strconv.Atoi(q.Get("offset"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		if limit <= 0 {
			limit = 100
		}
		if s.pageSize > 0 && s.pageSize < limit {
			limit = s.pageSize
		}
		end := min(offset+limit, len(reg.Tokens))
		offset = min(offset, end)
		items := []map[string]any{}
		for _, t := range reg.Tokens[offset:end] {
			var exp any // null: never expires
			if t.Expiry != nil {
				exp = stampZ(*t.Expiry)
			}
			items = append(items, map[string]any{"id": t.ID, "type": "token", "href": base + path + "/" + t.ID,
				"metadata": map[string]any{"createdBy": "ops@example.com", "createdByUserId": "0b6c4d3e-1f2a-4b5c-8d9e-0f1a2b3c4d5e", "createdDate": "2026-03-02T10:20:00Z", "state": t.Status},
				"properties": map[string]any{"name": t.Name, "credentials": map[string]string{"username": t.Name, "password": t.Password},
					"expiryDate": exp, "status": t.Status, "scopes": []map[string]any{{"name": "*", "type": "repository", "actions": []string{"pull"}}}}})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "tokens", "type": "collection", "href": base + path, "items": items,
			"offset": offset, "limit": limit, "count": len(items), "total": len(reg.Tokens),
			"_links": map[string]string{"next": "", "previous": "", "self": base + r.URL.RequestURI()}})
	default:
		fail(http.StatusNotFound, "not found")
	}
}
