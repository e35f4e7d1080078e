package expiry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// Found is what one item (an endpoint, a file) holds.
type Found struct {
	Certs  []CertFact  `json:"certs,omitempty"`
	Tokens []TokenFact `json:"tokens,omitempty"`
	ACM    []ACMFact   `json:"acm,omitempty"`
}

// readEndpoints reads the chain each endpoint serves. Verification is off on
// purpose: an expired or untrusted chain is exactly what must be reported
// (the access probes report whether it verifies). An endpoint that cannot
// be reached is a failed item: its last chain stays.
func readEndpoints(ctx context.Context, origin string, eps []Endpoint) source.Items[Found] {
	out := source.Items[Found]{}
	for _, e := range eps {
		certs, err := readEndpoint(ctx, origin, e)
		if err != nil {
			what := "tls endpoint"
			if origin == OriginProbe {
				what = "access probe"
			}
			out.Fail(e.Name, fmt.Errorf("%s %s (%s): %w", what, e.Name, e.Address, err))
			continue
		}
		out.Set(e.Name, Found{Certs: certs})
	}
	return out
}

func readEndpoint(ctx context.Context, origin string, e Endpoint) ([]CertFact, error) {
	ctx, cancel := context.WithTimeout(ctx, e.Timeout.Std())
	defer cancel()
	host, _, _ := net.SplitHostPort(e.Address)
	sni := e.ServerName
	if sni == "" && net.ParseIP(host) == nil {
		sni = host
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Resolver: resolverAt(e.resolver)},
		Config: &tls.Config{ServerName: sni, InsecureSkipVerify: true}} //nolint:gosec // reading dates, not trusting
	conn, err := d.DialContext(ctx, "tcp", e.Address)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var out []CertFact
	for i, c := range conn.(*tls.Conn).ConnectionState().PeerCertificates {
		f := certFact(origin, e.Name, "", c)
		if i == 0 {
			f.Position = PositionLeaf // the first certificate served is the server's own, by protocol
		}
		out = append(out, f)
	}
	return out, nil
}

// resolverAt returns a resolver asking the DNS server at addr (an access
// probe's resolver), or the system's when addr is "".
func resolverAt(addr string) *net.Resolver {
	if addr == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

// readFiles reads every kubeconfig, PEM and JWT file. Each file is an item;
// a glob that matches nothing is a failed item named after the glob.
func readFiles(kubeconfigs, pems []string, jwts []JWTFile) source.Items[Found] {
	out := source.Items[Found]{}
	expand := func(kind string, globs []string, read func(path string) (Found, error)) {
		for _, g := range globs {
			paths, _ := filepath.Glob(g) // validated
			if len(paths) == 0 {
				out.Fail(kind+":"+g, source.WithReason(fmt.Errorf("%s %s: no such file; fix the path in the expiry section or create the file", kind, g), source.ReasonNotFound))
				continue
			}
			sort.Strings(paths)
			for _, p := range paths {
				f, err := read(p)
				var partial *entryErrors
				switch {
				case errors.As(err, &partial):
					// What was read is exported; each unreadable entry is
					// a failed item of its own, logged and counted.
					out.Set(kind+":"+p, f)
					for _, e := range partial.entries {
						out.Fail(kind+":"+p+" "+e.entry, e.err)
					}
				case err != nil:
					out.Fail(kind+":"+p, err)
				default:
					out.Set(kind+":"+p, f)
				}
			}
		}
	}
	expand("kubeconfig", kubeconfigs, readKubeconfig)
	expand("pem", pems, readPEM)
	for _, j := range jwts {
		f, err := readJWTFile(j)
		if err != nil {
			out.Fail("jwt:"+j.Name, err)
			continue
		}
		out.Set("jwt:"+j.Name, f)
	}
	return out
}

func readPEM(path string) (Found, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Found{}, fileErr("pem file", path, err)
	}
	certs, err := certFacts("pem", path, "", b)
	if err != nil {
		return Found{}, source.WithReason(fmt.Errorf("pem file %s: %w; list only certificate files in pem_files", path, err), source.ReasonDecode)
	}
	return Found{Certs: certs}, nil
}

func readJWTFile(j JWTFile) (Found, error) {
	b, err := os.ReadFile(j.File)
	if err != nil {
		return Found{}, fileErr("jwt file", j.File, err)
	}
	exp, has, err := jwtExpiry(string(b))
	if err != nil {
		return Found{}, source.WithReason(fmt.Errorf("jwt file %s (%s): %w; list only JWT files in jwt_files", j.Name, j.File, err), source.ReasonDecode)
	}
	return Found{Tokens: []TokenFact{{Kind: "jwt", Location: j.File, Name: j.Name, Expires: has, NotAfter: exp}}}, nil
}

// readKubeconfig reads every user's client certificate and token (bearer,
// tokenFile, or an OIDC auth-provider's id-token) and every cluster's CA,
// inline (…-data) or by file (relative to the kubeconfig, as kubectl
// resolves them). Opaque tokens have no readable expiry and are skipped.
// Errors name the file and entry, never a value.
func readKubeconfig(path string) (Found, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return Found{}, fileErr("kubeconfig", path, err)
		}
		return Found{}, source.WithReason(fmt.Errorf("kubeconfig %s does not parse as a kubeconfig; check it with kubectl --kubeconfig %s config view", path, path), source.ReasonDecode)
	}
	dir := filepath.Dir(path)
	resolve := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	var f Found
	var problems []entryError
	problem := func(entry string, err error) {
		problems = append(problems, entryError{entry: entry, err: fmt.Errorf("kubeconfig %s: %s: %w", path, entry, err)})
	}
	addCerts := func(entry string, data []byte, file string) {
		if len(data) == 0 && file != "" {
			b, err := os.ReadFile(resolve(file))
			if err != nil {
				problem(entry, fileErr("file", resolve(file), err))
				return
			}
			data = b
		}
		if len(data) == 0 {
			return
		}
		certs, err := certFacts("kubeconfig", path, entry, data)
		if err != nil {
			problem(entry, source.WithReason(err, source.ReasonDecode))
			return
		}
		f.Certs = append(f.Certs, certs...)
	}
	for _, name := range sortedKeys(cfg.AuthInfos) {
		u := cfg.AuthInfos[name]
		entry := "user/" + name
		addCerts(entry, u.ClientCertificateData, u.ClientCertificate)
		token := u.Token
		if token == "" && u.AuthProvider != nil {
			token = u.AuthProvider.Config["id-token"] // OIDC (kubectl's oidc auth-provider)
		}
		if token == "" && u.TokenFile != "" {
			b, err := os.ReadFile(resolve(u.TokenFile))
			if err != nil {
				problem(entry, fileErr("token file", resolve(u.TokenFile), err))
				continue
			}
			token = string(b)
		}
		if token == "" {
			continue
		}
		exp, has, err := jwtExpiry(token)
		switch {
		case errors.Is(err, errNotJWT):
			continue // a static token: no expiry to read
		case err != nil:
			problem(entry, source.WithReason(fmt.Errorf("token: %w", err), source.ReasonDecode))
			continue
		}
		f.Tokens = append(f.Tokens, TokenFact{Kind: "jwt", Location: path, Name: entry, Expires: has, NotAfter: exp})
	}
	for _, name := range sortedKeys(cfg.Clusters) {
		c := cfg.Clusters[name]
		addCerts("cluster/"+name, c.CertificateAuthorityData, c.CertificateAuthority)
	}
	if len(problems) == 0 {
		return f, nil
	}
	if len(f.Certs)+len(f.Tokens) == 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.err.Error()
		}
		return Found{}, source.WithReason(errors.New(strings.Join(msgs, "; ")), source.Classify(problems[0].err))
	}
	return f, &entryErrors{entries: problems}
}

// entryError is one kubeconfig entry (user/NAME, cluster/NAME) that could
// not be read; its error names the file and the entry, never a value.
type entryError struct {
	entry string
	err   error
}

// entryErrors is readKubeconfig's partial result: the facts it returns were
// read, these entries were not.
type entryErrors struct{ entries []entryError }

func (e *entryErrors) Error() string {
	msgs := make([]string, len(e.entries))
	for i, x := range e.entries {
		msgs[i] = x.err.Error()
	}
	return strings.Join(msgs, "; ")
}

func fileErr(kind, path string, err error) error {
	reason := source.ReasonOther
	if errors.Is(err, os.ErrNotExist) {
		reason = source.ReasonNotFound
	}
	return source.WithReason(fmt.Errorf("%s %s: %v; fix the path in the expiry section or the file's permissions (Vigil must read it)", kind, path, unwrap(err)), reason)
}

func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
