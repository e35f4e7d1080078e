package ionos

import "net/http"

// authTransport adds the credentials and the contract header to requests
// bound for the configured IONOS hosts, then hands them to next (the
// source's counting transport). Being below the SDK, its headers never
// appear in the SDK's request dumps.
type authTransport struct {
	p    *Provider
	next http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.p.hosts[origin(req.URL)] {
		// A redirect or a link to another host: send it as it is, without
		// our credentials.
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context()) // a RoundTripper must not modify the caller's request
	r.Header.Set("Authorization", t.p.cred.header)
	if t.p.contract != "" {
		r.Header.Set("X-Contract-Number", t.p.contract)
	} else {
		// sdk-go adds IONOS_CONTRACT_NUMBER even when it is set but empty;
		// New already took the variable into account.
		r.Header.Del("X-Contract-Number")
	}
	return t.next.RoundTrip(r)
}
