package flap

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWithCyclesThePhases(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	for phase, want := range map[int]int{Healthy: 200, ServerError: 503, Throttled: 429} {
		srv := httptest.NewServer(With(ok, func() int { return phase }))
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != want {
			t.Errorf("phase %d: status %d, want %d", phase, resp.StatusCode, want)
		}
	}
	t.Setenv(Env, "")
	if h := Wrap(ok); h == nil {
		t.Fatal("nil handler")
	}
}
