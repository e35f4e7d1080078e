package ionoscloud

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-monitoring/vigil/internal/sandbox/flap"
)

// BasePath is where the Cloud API v6 lives on the host; sdk-go appends it
// to a host URL.
const BasePath = "/cloudapi/v6"

// Default list limits of the paged collections (docs/api of sdk-go).
const (
	DefaultLimit        = 1000
	DefaultIPBlockLimit = 100
)

// Request is one request the emulator answered, for tests that count.
type Request struct {
	Method, Path string
	Depth        int // -1 when absent
	Status       int
}

// Server is a running emulator on loopback.
type Server struct {
	srv  *httptest.Server
	auth string // the Authorization header it accepts

	mu            sync.Mutex
	world         World
	throttle      int           // the next n requests answer 429
	retryAfter    time.Duration // their Retry-After
	unauthorized  bool          // every request answers 401 (expired token)
	truncateLists int           // the next n list answers are cut in half
	requests      []Request
}

// Option configures a Server.
type Option func(*Server)

// WithToken makes the server accept "Authorization: Bearer token" only.
// Without it, any Authorization header is accepted; none is still a 401.
func WithToken(token string) Option { return func(s *Server) { s.auth = "Bearer " + token } }

// Start serves world on a loopback port until Close.
func Start(world World, opts ...Option) *Server {
	s := &Server{world: world}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewUnstartedServer(flap.Wrap(http.HandlerFunc(s.serve)))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("ionoscloud: listen on loopback: %v", err))
	}
	s.srv.Listener = l
	s.srv.Start()
	return s
}

// URL is the host URL (sdk-go's hostURL, and the ionos section's api_url
// minus BasePath).
func (s *Server) URL() string { return s.srv.URL }

// APIURL is the Cloud API base: URL + /cloudapi/v6.
func (s *Server) APIURL() string { return s.srv.URL + BasePath }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Update changes the world under the server's lock.
func (s *Server) Update(f func(w *World)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.world)
}

// Throttle makes the next n requests answer 429 with Retry-After (a storm).
func (s *Server) Throttle(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle, s.retryAfter = n, retryAfter
}

// Unauthorized makes every request answer 401, as an expired token does.
func (s *Server) Unauthorized(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unauthorized = on
}

// TruncateLists cuts the next n list answers in half (the connection closes
// mid-body, as a proxy that dies mid-page does).
func (s *Server) TruncateLists(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.truncateLists = n
}

// Requests returns the requests answered so far; ResetRequests forgets them.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

type apiError struct {
	status int
	code   string
	msg    string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	depth := -1
	if v := r.URL.Query().Get("depth"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 0 || d > 10 {
			s.fail(w, r, depth, apiError{http.StatusUnprocessableEntity, "100", "depth must be an integer from 0 to 10"})
			return
		}
		depth = d
	}
	got := r.Header.Get("Authorization")
	switch {
	case got == "" || (s.auth != "" && got != s.auth) || s.unauthorized:
		s.fail(w, r, depth, apiError{http.StatusUnauthorized, "315", "Unauthorized"})
		return
	case s.throttle > 0:
		s.throttle--
		w.Header().Set("Retry-After", strconv.Itoa(int(s.retryAfter/time.Second)))
		s.fail(w, r, depth, apiError{http.StatusTooManyRequests, "429", "Too many requests"})
		return
	case r.Method != http.MethodGet:
		s.fail(w, r, depth, apiError{http.StatusMethodNotAllowed, "405", "the emulator is read-only"})
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, BasePath)
	if !ok {
		s.fail(w, r, depth, apiError{http.StatusNotFound, "309", "Resource does not exist"})
		return
	}
	body, list, aerr := s.route(strings.Trim(path, "/"), r, max(depth, 0))
	if aerr != nil {
		s.fail(w, r, depth, *aerr)
		return
	}
	b, _ := json.Marshal(body)
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Depth: depth, Status: http.StatusOK})
	w.Header().Set("Content-Type", "application/json")
	if list && s.truncateLists > 0 {
		s.truncateLists--
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b[:len(b)/2])
		return // the handler ends short of Content-Length: net/http closes the connection
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, depth int, e apiError) {
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Depth: depth, Status: e.status})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"httpStatus": e.status,
		"messages": []map[string]string{{"errorCode": e.code, "message": e.msg}}})
}

var notFound = &apiError{http.StatusNotFound, "309", "Resource does not exist"}

// route answers a GET below /cloudapi/v6; list reports a collection.
func (s *Server) route(path string, r *http.Request, depth int) (any, bool, *apiError) {
	seg := strings.Split(path, "/")
	base := s.srv.URL + BasePath
	if body, list, aerr, ok := s.routeSnapshots(seg, depth); ok {
		return body, list, aerr
	}
	switch {
	case len(seg) == 1 && seg[0] == "datacenters":
		items := make([]obj, len(s.world.Datacenters))
		for i := range s.world.Datacenters {
			items[i] = s.datacenter(&s.world.Datacenters[i])
		}
		c, err := paged(r, "datacenters", base+"/datacenters", items, depth, DefaultLimit)
		return c, true, err
	case len(seg) == 2 && seg[0] == "datacenters":
		if dc := s.findDC(seg[1]); dc != nil {
			return s.datacenter(dc).render(depth), false, nil
		}
	case len(seg) == 3 && seg[0] == "datacenters" && seg[2] == "lans":
		if dc := s.findDC(seg[1]); dc != nil {
			c, err := paged(r, dc.ID+"/lans", base+"/datacenters/"+dc.ID+"/lans", s.lans(dc), depth, DefaultLimit)
			return c, true, err
		}
	case len(seg) == 4 && seg[0] == "datacenters" && seg[2] == "lans":
		if dc := s.findDC(seg[1]); dc != nil {
			for _, l := range s.lans(dc) {
				if l.id == seg[3] {
					return l.render(depth), false, nil
				}
			}
		}
	case len(seg) == 1 && seg[0] == "ipblocks":
		items := make([]obj, len(s.world.IPBlocks))
		for i := range s.world.IPBlocks {
			items[i] = s.ipblock(&s.world.IPBlocks[i])
		}
		c, err := paged(r, "ipblocks", base+"/ipblocks", items, depth, DefaultIPBlockLimit)
		return c, true, err
	case len(seg) == 2 && seg[0] == "ipblocks":
		for i := range s.world.IPBlocks {
			if s.world.IPBlocks[i].ID == seg[1] {
				return s.ipblock(&s.world.IPBlocks[i]).render(depth), false, nil
			}
		}
	case len(seg) == 1 && seg[0] == "k8s":
		items := make([]obj, len(s.world.Clusters))
		for i := range s.world.Clusters {
			items[i] = s.cluster(&s.world.Clusters[i])
		}
		return unpaged("k8s", base+"/k8s", items, depth), true, nil
	case len(seg) >= 2 && seg[0] == "k8s":
		c := s.findCluster(seg[1])
		if c == nil {
			break
		}
		if len(seg) == 2 {
			return s.cluster(c).render(depth), false, nil
		}
		if seg[2] != "nodepools" {
			break
		}
		if len(seg) == 3 {
			return s.poolsCollection(c).render(depth), true, nil
		}
		var p *NodePool
		for i := range c.Pools {
			if c.Pools[i].ID == seg[3] {
				p = &c.Pools[i]
			}
		}
		if p == nil {
			break
		}
		if len(seg) == 4 {
			return s.pool(c, p).render(depth), false, nil
		}
		if seg[4] != "nodes" {
			break
		}
		nodes := s.nodes(c, p)
		if len(seg) == 5 {
			return unpaged(p.ID+"/nodes", base+"/k8s/"+c.ID+"/nodepools/"+p.ID+"/nodes", nodes, depth), true, nil
		}
		if len(seg) == 6 {
			for _, n := range nodes {
				if n.id == seg[5] {
					return n.render(depth), false, nil
				}
			}
		}
	}
	return nil, false, notFound
}

func (s *Server) findDC(id string) *Datacenter {
	for i := range s.world.Datacenters {
		if s.world.Datacenters[i].ID == id {
			return &s.world.Datacenters[i]
		}
	}
	return nil
}

func (s *Server) findCluster(id string) *Cluster {
	for i := range s.world.Clusters {
		if s.world.Clusters[i].ID == id {
			return &s.world.Clusters[i]
		}
	}
	return nil
}
