package expiry_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/expiry"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// IONOS registry and API tokens, read through the real ionos provider
// (its credential transport) from the emulator, which pages every list one
// item at a time.
func TestIONOSTokens(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	const ownID = "41c501e4-74f7-40b7-bc12-eeb310358ed9"
	token := sandbox.JWT(ownID, map[string]any{"iss": "ionoscloud", "exp": now.Add(2 * day).Unix()})
	t.Setenv("VIGIL_TEST_IONOS_TOKEN", token)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	emu := sandbox.StartIONOSTokens(token, 1, []sandbox.SandboxRegistry{
		{ID: "3f1d2c4e-8a7b-4c1d-9e2f-0a1b2c3d4e5f", Name: "team-images", Tokens: []sandbox.SandboxRegistryToken{
			{ID: "8fb592e4-494c-11ed-b878-0242ac120002", Name: "ci-pull", Status: "enabled", Expiry: at(20 * day)},
			{ID: "9fb592e4-494c-11ed-b878-0242ac120002", Name: "forever", Status: "enabled"},
			{ID: "afb592e4-494c-11ed-b878-0242ac120002", Name: "retired", Status: "disabled", Expiry: at(-day)},
		}},
		{ID: "4f1d2c4e-8a7b-4c1d-9e2f-0a1b2c3d4e5f", Name: "staging-images", Tokens: []sandbox.SandboxRegistryToken{
			{ID: "bfb592e4-494c-11ed-b878-0242ac120002", Name: "deploy", Status: "enabled", Expiry: at(40 * day)},
		}},
	}, []sandbox.SandboxAPIToken{
		{ID: ownID, Created: now.Add(-300 * day), Expiration: now.Add(2 * day)},
		{ID: "51c501e4-74f7-40b7-bc12-eeb310358ed9", Created: now, Expiration: now.Add(365 * day)},
	})
	defer emu.Close()
	icfg := &ionos.Config{Token: &config.SecretRef{Env: "VIGIL_TEST_IONOS_TOKEN"}, RegistryURL: emu.RegistryURL(), AuthURL: emu.AuthURL()}
	icfg.ApplyDefaults()
	p, err := ionos.New(icfg)
	require.NoError(t, err)

	sec := &expiry.Section{RefreshInterval: config.Duration(time.Hour), IONOS: &expiry.IONOSTokens{RegistryTokens: true, APITokens: true}}
	sec.ApplyDefaults()
	require.Empty(t, sec.Validate())
	logs := &testenv.SyncBuffer{}
	g := source.NewGroup(source.NewMetrics(), slog.New(slog.NewTextHandler(logs, nil)))
	c := expiry.New(sec, "k", g, nil, expiry.FromProvider(p))
	g.Start(context.Background())
	defer g.Stop(false)
	require.Eventually(t, g.Ready, 20*time.Second, 5*time.Millisecond)
	h := &harness{c: c, group: g, logs: logs}
	s := h.scrape(t)

	by := func(family string) map[string]float64 {
		out := map[string]float64{}
		for _, x := range s[family] {
			out[x.labels["kind"]+" "+x.labels["location"]+" "+x.labels["name"]+" "+x.labels["id"]] = x.value
		}
		return out
	}
	assert.Equal(t, map[string]float64{
		"ionos_registry team-images ci-pull 8fb592e4-494c-11ed-b878-0242ac120002":   float64(now.Add(20 * day).Unix()),
		"ionos_registry team-images retired afb592e4-494c-11ed-b878-0242ac120002":   float64(now.Add(-day).Unix()),
		"ionos_registry staging-images deploy bfb592e4-494c-11ed-b878-0242ac120002": float64(now.Add(40 * day).Unix()),
		"ionos_api ionos api-token " + ownID:                                        float64(now.Add(2 * day).Unix()),
		"ionos_api ionos api-token 51c501e4-74f7-40b7-bc12-eeb310358ed9":            float64(now.Add(365 * day).Unix()),
	}, by("vigil_token_expiry_timestamp_seconds"), "every registry and page, and expiryDate null has no expiry series")
	assert.Equal(t, 0.0, by("vigil_token_expires")["ionos_registry team-images forever 9fb592e4-494c-11ed-b878-0242ac120002"], "null means never: a fact")
	assert.Equal(t, 1.0, by("vigil_token_expires")["ionos_registry team-images ci-pull 8fb592e4-494c-11ed-b878-0242ac120002"])
	assert.Equal(t, map[string]float64{
		"ionos_registry team-images ci-pull 8fb592e4-494c-11ed-b878-0242ac120002":   1,
		"ionos_registry team-images forever 9fb592e4-494c-11ed-b878-0242ac120002":   1,
		"ionos_registry team-images retired afb592e4-494c-11ed-b878-0242ac120002":   0,
		"ionos_registry staging-images deploy bfb592e4-494c-11ed-b878-0242ac120002": 1,
	}, by("vigil_token_enabled"))
	assert.Equal(t, map[string]float64{
		"ionos_api ionos api-token " + ownID:                             1,
		"ionos_api ionos api-token 51c501e4-74f7-40b7-bc12-eeb310358ed9": 0,
	}, by("vigil_token_in_use"), "the token Vigil uses is found by its kid")

	reqs := strings.Join(emu.Requests(), "\n")
	assert.Contains(t, reqs, "pagination.token=after-1", "registries are paged by pagination.token")
	assert.Contains(t, reqs, "/tokens?offset=2&limit=100", "tokens are paged by offset")
	var b bytes.Buffer
	require.NoError(t, c.RenderText(&b, "test"))
	assert.NotContains(t, b.String(), token)
	assert.NotContains(t, logs.String(), token)
}

// Without the ionos: section, selecting IONOS tokens is an error that says
// what to add.
func TestIONOSTokensNeedTheProvider(t *testing.T) {
	var reg collector.Registration
	for _, r := range collector.All() {
		if r.Name == "expiry" {
			reg = r
		}
	}
	require.Equal(t, []string{"aws", "ionos"}, reg.Uses)
	sec := &expiry.Section{IONOS: &expiry.IONOSTokens{RegistryTokens: true}}
	sec.ApplyDefaults()
	require.Empty(t, sec.Validate())
	_, err := reg.Build(sec, &collector.Deps{Group: source.NewGroup(source.NewMetrics(), nil)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs the ionos: section")
}
