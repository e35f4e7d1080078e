// Package expiry exports when every certificate and token the runbooks
// renew by hand expires, from every place they live: the chains TLS
// endpoints serve, kubeconfig files (client certificates, cluster CAs,
// bearer JWTs), PEM files and globs, JWT files, Kubernetes TLS Secrets
// (opt-in per namespace, through informers the API server filters to type
// kubernetes.io/tls, keeping only the facts), and IONOS Container Registry
// and API tokens. The seeds' incident class "Certificate/Authentication
// Expired" was caught by calendar reminders; here each certificate is a series with its not-after and
// not-before as timestamps, labelled with its chain position, so an
// intermediate that expires before its leaf is never mistaken for the leaf
// (blackbox_exporter's probe_ssl_earliest_cert_expiry does exactly that).
//
// The chain position is read from each certificate itself (self-signed CA:
// root; other CA: intermediate; otherwise leaf), never from the order it was
// found in, so a chain served out of order is read right. Vigil keeps only
// the facts (dates, common names, serial), never a certificate, a key or a
// token: tokens are parsed, never verified, never logged, and labelled by
// name, never by value.
package expiry

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/metricdoc"
	"github.com/vigil-monitoring/vigil/internal/source"
)

var (
	certLabels  = []string{"origin", "location", "entry", "chain_position", "subject_cn", "issuer_cn", "serial"}
	tokenLabels = []string{"kind", "location", "name", "id"}
)

// Catalogue lists the collector's families.
var Catalogue = []metricdoc.Desc{
	{Name: "vigil_cert_not_after_timestamp_seconds", Type: metricdoc.Gauge, Labels: certLabels,
		Help: "When each certificate expires (its notAfter), per chain position (leaf, intermediate, root), from the chains TLS endpoints serve, kubeconfig files, PEM files and the other origins of the expiry section."},
	{Name: "vigil_cert_not_before_timestamp_seconds", Type: metricdoc.Gauge, Labels: certLabels,
		Help: "When each certificate becomes valid (its notBefore), per chain position; a value in the future means it is not valid yet."},
	{Name: "vigil_cert_acm_status", Type: metricdoc.Gauge, Labels: []string{"location", "status"},
		Help: "Status of each AWS Certificate Manager certificate (location: its ARN), every status of ACM's closed set (PENDING_VALIDATION, ISSUED, INACTIVE, EXPIRED, VALIDATION_TIMED_OUT, REVOKED, FAILED) as 0 or 1; certificates of every key type are listed."},
	{Name: "vigil_cert_acm_in_use", Type: metricdoc.Gauge, Labels: []string{"location"},
		Help: "1 when the ACM certificate (location: its ARN) is associated with an AWS resource (a load balancer, CloudFront), 0 when nothing uses it; unused certificates do not alert on expiry."},
	{Name: "vigil_cert_ticket_within_seconds", Type: metricdoc.Gauge,
		Help: "Configured threshold (expiry.cert_ticket_within): a certificate expiring sooner than this opens a ticket."},
	{Name: "vigil_cert_page_within_seconds", Type: metricdoc.Gauge,
		Help: "Configured threshold (expiry.cert_page_within): a certificate expiring sooner than this, or expired, pages."},
	{Name: "vigil_token_expiry_timestamp_seconds", Type: metricdoc.Gauge, Labels: tokenLabels,
		Help: "When each token expires: the exp claim of JWTs in kubeconfigs and configured files (read, never verified), the expiry IONOS reports for its API and registry tokens. Absent for tokens that never expire (vigil_token_expires 0)."},
	{Name: "vigil_token_expires", Type: metricdoc.Gauge, Labels: tokenLabels,
		Help: "1 when the token has an expiry date, 0 when it never expires (an IONOS registry token with expiryDate null, a JWT without exp): a fact, not a far-future date."},
	{Name: "vigil_token_enabled", Type: metricdoc.Gauge, Labels: tokenLabels,
		Help: "1 when the IONOS Container Registry token's status is enabled, 0 when disabled; present only for tokens that have a status."},
	{Name: "vigil_token_in_use", Type: metricdoc.Gauge, Labels: tokenLabels,
		Help: "1 for the IONOS API token (Auth API /tokens) Vigil itself authenticates with, found by the JWT's kid; 0 for the user's other API tokens."},
	{Name: "vigil_token_ticket_within_seconds", Type: metricdoc.Gauge,
		Help: "Configured threshold (expiry.token_ticket_within): a token expiring sooner than this opens a ticket."},
	{Name: "vigil_token_page_within_seconds", Type: metricdoc.Gauge,
		Help: "Configured threshold (expiry.token_page_within): a token expiring sooner than this, or expired, pages."},
}

// Source names.
const (
	SourceTLS    = "expiry_tls"
	SourceProbes = "expiry_probes"
	SourceFiles  = "expiry_files"
)

// Origins of certificates read from TLS connections: tls_endpoints, and
// the access section's probes.
const (
	OriginTLS   = "tls"
	OriginProbe = "probe"
)

// Collector reads the configured places and renders what it found.
type Collector struct {
	sec *Section
	tls *source.Source[source.Items[Found]]
	// probes reads the chains of the access section's TLS probes.
	probes *source.Source[source.Items[Found]]
	files  *source.Source[source.Items[Found]]
	ionos  *source.Source[source.Items[Found]]
	acm    *source.Source[source.Items[Found]]
	// secrets watches TLS Secrets; nil unless kubernetes_secrets is set.
	secrets *secretWatcher
	log     *slog.Logger
}

// New adds the collector's sources to group. sec must have had
// ApplyDefaults and Validate; ic is needed when sec selects IONOS tokens.
func New(sec *Section, key string, group *source.Group, logger *slog.Logger, ic *IONOSClients) *Collector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Collector{sec: sec, log: logger}
	interval := sec.RefreshInterval.Std()
	c.tls = addEndpoints(group, SourceTLS, OriginTLS, key, interval, sec.TLSEndpoints)
	if len(sec.Kubeconfigs)+len(sec.PEMFiles)+len(sec.JWTFiles) > 0 {
		c.files = source.Add(group, source.Options{Name: SourceFiles, Interval: interval, Key: key, Criticality: source.CriticalityTicket},
			func(ctx context.Context) (source.Items[Found], error) {
				return readFiles(sec.Kubeconfigs, sec.PEMFiles, sec.JWTFiles), nil
			})
	}
	if sec.IONOS.enabled() && ic != nil {
		c.ionos = source.Add(group, source.Options{Name: SourceIONOS, Interval: interval, Key: key, Criticality: source.CriticalityTicket},
			func(ctx context.Context) (source.Items[Found], error) {
				return readIONOS(ctx, sec.IONOS, ic.client(c.ionos.Transport(nil, tokenAPI)), ic.ownID)
			})
	}
	return c
}

var (
	headers = exposition.NewHeaders(Catalogue)
	lOrigin = exposition.NewLabel("origin")
	lLoc    = exposition.NewLabel("location")
	lEntry  = exposition.NewLabel("entry")
	lPos    = exposition.NewLabel("chain_position")
	lSubj   = exposition.NewLabel("subject_cn")
	lIssuer = exposition.NewLabel("issuer_cn")
	lSerial = exposition.NewLabel("serial")
	lKind   = exposition.NewLabel("kind")
	lName   = exposition.NewLabel("name")
	lID     = exposition.NewLabel("id")
	lStatus = exposition.NewLabel("status")
)

// gather returns every fact of every source's last snapshot.
func (c *Collector) gather() (certs []CertFact, tokens []TokenFact, acms []ACMFact) {
	for _, s := range []*source.Source[source.Items[Found]]{c.tls, c.probes, c.files, c.ionos, c.acm} {
		if s == nil {
			continue
		}
		snap, _, ok := s.Get()
		if !ok {
			continue
		}
		for _, name := range snap.Names() {
			if it := snap[name]; it.Has() {
				certs = append(certs, it.Value.Certs...)
				tokens = append(tokens, it.Value.Tokens...)
				acms = append(acms, it.Value.ACM...)
			}
		}
	}
	if c.secrets != nil {
		certs = append(certs, c.secrets.certs()...)
	}
	return certs, tokens, acms
}

// Render writes every certificate and token from the snapshots.
func (c *Collector) Render(w *exposition.Writer) error {
	certs, tokens, acms := c.gather()
	sort.SliceStable(certs, func(i, j int) bool { return certs[i].NotAfter.Before(certs[j].NotAfter) })
	cert := func(f CertFact) {
		w.Series()
		w.Label(lOrigin, f.Origin)
		w.Label(lLoc, f.Location)
		w.Label(lEntry, f.Entry)
		w.Label(lPos, f.Position)
		w.Label(lSubj, f.SubjectCN)
		w.Label(lIssuer, f.IssuerCN)
		w.Label(lSerial, f.Serial)
	}
	w.Family(headers, "vigil_cert_not_after_timestamp_seconds")
	for _, f := range certs {
		cert(f)
		w.Int(f.NotAfter.Unix())
	}
	w.Family(headers, "vigil_cert_not_before_timestamp_seconds")
	for _, f := range certs {
		cert(f)
		w.Int(f.NotBefore.Unix())
	}
	token := func(t TokenFact) {
		w.Series()
		w.Label(lKind, t.Kind)
		w.Label(lLoc, t.Location)
		w.Label(lName, t.Name)
		w.Label(lID, t.ID)
	}
	w.Family(headers, "vigil_token_expiry_timestamp_seconds")
	for _, t := range tokens {
		if t.Expires {
			token(t)
			w.Int(t.NotAfter.Unix())
		}
	}
	w.Family(headers, "vigil_token_expires")
	for _, t := range tokens {
		token(t)
		w.Bool(t.Expires)
	}
	w.Family(headers, "vigil_token_enabled")
	for _, t := range tokens {
		if t.Enabled != nil {
			token(t)
			w.Bool(*t.Enabled)
		}
	}
	w.Family(headers, "vigil_token_in_use")
	for _, t := range tokens {
		if t.Kind == "ionos_api" {
			token(t)
			w.Bool(t.InUse)
		}
	}
	w.Family(headers, "vigil_cert_acm_status")
	for _, a := range acms {
		for _, st := range ACMStatuses {
			w.Series()
			w.Label(lLoc, a.ARN)
			w.Label(lStatus, st)
			w.Bool(a.Status == st)
		}
	}
	w.Family(headers, "vigil_cert_acm_in_use")
	for _, a := range acms {
		w.Series()
		w.Label(lLoc, a.ARN)
		w.Bool(a.InUse)
	}
	for _, th := range []struct {
		name string
		d    time.Duration
	}{
		{"vigil_cert_ticket_within_seconds", c.sec.CertTicketWithin.Std()},
		{"vigil_cert_page_within_seconds", c.sec.CertPageWithin.Std()},
		{"vigil_token_ticket_within_seconds", c.sec.TokenTicketWithin.Std()},
		{"vigil_token_page_within_seconds", c.sec.TokenPageWithin.Std()},
	} {
		w.Family(headers, th.name)
		w.Series()
		w.Float(th.d.Seconds())
	}
	return w.Err()
}

// RenderText renders the collector alone with the given environment (tests).
func (c *Collector) RenderText(out io.Writer, environment string) error {
	w := exposition.NewWriter(out, exposition.Pair{Label: exposition.Environment, Value: environment})
	err := c.Render(w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// Start runs the Secrets informers, if any; the engine runs the sources.
func (c *Collector) Start(ctx context.Context) {
	if c.secrets != nil {
		c.secrets.start(ctx)
	}
}

// Ready is true once the Secrets informers have synced (or cannot list);
// the group waits for every source's first refresh itself.
func (c *Collector) Ready() bool { return c.secrets == nil || c.secrets.ready() }

// Stop ends the Secrets informers; the engine stops the sources.
func (c *Collector) Stop() {
	if c.secrets != nil {
		c.secrets.close()
	}
}

// addEndpoints adds a source reading the chains eps serve, one after the
// other; nil when eps is empty. Ticket: the last dates read stay exported;
// an unreadable place hides a coming expiry, but nothing is down.
func addEndpoints(group *source.Group, name, origin, key string, interval time.Duration, eps []Endpoint) *source.Source[source.Items[Found]] {
	if len(eps) == 0 {
		return nil
	}
	var timeout time.Duration
	for _, e := range eps {
		timeout += e.Timeout.Std()
	}
	return source.Add(group, source.Options{Name: name, Interval: interval, Timeout: timeout + time.Second,
		Key: key, Criticality: source.CriticalityTicket},
		func(ctx context.Context) (source.Items[Found], error) {
			return readEndpoints(ctx, origin, eps), nil
		})
}

// ReadProbes adds the source reading the chains of other sections' TLS
// targets (the access probes); call it from Build, before the group
// starts. It opens its own connection to each, once per refresh_interval
// (5 minutes by default, against a probe's 30 s): sharing the probes'
// handshakes would tie the two collectors' lifetimes and reloads together
// for one connection every few minutes.
func (c *Collector) ReadProbes(group *source.Group, key string, targets []collector.TLSTarget) {
	eps := make([]Endpoint, 0, len(targets))
	for _, t := range targets {
		eps = append(eps, Endpoint{Name: t.Name, Address: t.Address, ServerName: t.ServerName,
			Timeout: config.Duration(t.Timeout), resolver: t.Resolver})
	}
	c.probes = addEndpoints(group, SourceProbes, OriginProbe, key, c.sec.RefreshInterval.Std(), eps)
}

// ReadACM adds the ACM source over the account/regions given; call it from
// Build, before the group starts.
func (c *Collector) ReadACM(group *source.Group, key string, targets []ACMTarget) {
	if len(targets) == 0 {
		return
	}
	c.acm = source.Add(group, source.Options{Name: SourceACM, Interval: c.sec.RefreshInterval.Std(), Key: key, Criticality: source.CriticalityTicket},
		func(ctx context.Context) (source.Items[Found], error) {
			return readACM(ctx, targets, c.acm.Transport(nil, acmAPI)), nil
		})
}

// acmAPI names an ACM request by its X-Amz-Target operation.
func acmAPI(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:]
	}
	return r.Method
}

// WatchSecrets adds the TLS Secrets informers over rc (New's caller builds
// rc from the section, tests from envtest). Call before Start.
func (c *Collector) WatchSecrets(rc *rest.Config) error {
	w, err := newSecretWatcher(c.sec.KubernetesSecrets, rc, c.log)
	if err != nil {
		return err
	}
	c.secrets = w
	return nil
}
