package expiry_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/expiry"
	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), nil, 0o600))
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_ENDPOINT_URL": "", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

func rsaCert(t *testing.T, cn string, notBefore, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// ACM through the aws provider against moto_server: certificates of every
// key type (an EC one too, which ListCertificates hides unless asked), with
// their dates, status and use.
func TestACM(t *testing.T) {
	url := testenv.Moto(t)
	isolateAWS(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	raw := acm.NewFromConfig(awssdk.Config{Region: "eu-central-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: awssdk.String(url)})
	rsaPEM, rsaKey := rsaCert(t, "rsa.example.com", now.Add(-day), now.Add(10*day))
	ec, err := sandbox.NewRoot("ec.example.com", now.Add(-day), now.Add(200*day))
	require.NoError(t, err)
	arns := map[string]string{}
	for name, c := range map[string][2][]byte{"rsa": {rsaPEM, rsaKey}, "ec": {ec.PEM(), ec.KeyPEM()}} {
		out, err := raw.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: c[0], PrivateKey: c[1]})
		require.NoError(t, err)
		arns[name] = awssdk.ToString(out.CertificateArn)
	}

	acfg := &aws.Config{Accounts: []aws.AccountConfig{{Name: "prod", Region: "eu-central-1", Endpoint: url}}}
	acfg.ApplyDefaults()
	require.Empty(t, acfg.Validate())
	p, err := aws.New(ctx, acfg)
	require.NoError(t, err)
	targets, err := expiry.ACMTargets(&expiry.ACM{}, p)
	require.NoError(t, err)
	_, err = expiry.ACMTargets(&expiry.ACM{Accounts: []string{"staging"}}, p)
	require.ErrorContains(t, err, `names "staging"`)

	sec := &expiry.Section{RefreshInterval: config.Duration(time.Hour), ACM: &expiry.ACM{}}
	sec.ApplyDefaults()
	require.Empty(t, sec.Validate())
	g := source.NewGroup(source.NewMetrics(), nil)
	c := expiry.New(sec, "k", g, nil, nil)
	c.ReadACM(g, "k", targets)
	g.Start(ctx)
	defer g.Stop(false)
	require.Eventually(t, g.Ready, 30*time.Second, 10*time.Millisecond)
	h := &harness{c: c, group: g, logs: &testenv.SyncBuffer{}}
	s := h.scrape(t)
	got := notAfter(s)
	assert.Equal(t, map[string]time.Time{
		arns["rsa"] + "  leaf rsa.example.com": now.Add(10 * day),
		arns["ec"] + "  leaf ec.example.com":   now.Add(200 * day),
	}, got, "every key type is listed, with the certificate's own dates")
	status := map[string]string{}
	for _, x := range s["vigil_cert_acm_status"] {
		if x.value == 1 {
			status[x.labels["location"]] = x.labels["status"]
		}
	}
	assert.Equal(t, map[string]string{arns["rsa"]: "ISSUED", arns["ec"]: "ISSUED"}, status)
	assert.Len(t, s["vigil_cert_acm_status"], 2*len(expiry.ACMStatuses), "every status present as 0 or 1")
	for _, x := range s["vigil_cert_acm_in_use"] {
		assert.Equal(t, 0.0, x.value, "imported and not associated: not in use")
	}
	st := g.Statuses()
	require.Len(t, st, 1)
	assert.True(t, st[0].Up)
}

// AWS's ListCertificates returns RSA_2048 certificates only unless
// Includes.KeyTypes names the others (moto returns them all, so this runs
// against the sandbox's ACM emulator, which behaves as AWS does).
func TestACMAsksForEveryKeyType(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	srv := sandbox.StartACM(expiry.SandboxACM(now))
	defer srv.Close()
	target := expiry.ACMTarget{Account: "a", Region: "eu-central-1", Config: func(rt http.RoundTripper) awssdk.Config {
		return awssdk.Config{Region: "eu-central-1", Credentials: credentials.NewStaticCredentialsProvider("x", "x", ""),
			BaseEndpoint: awssdk.String(srv.URL), HTTPClient: &http.Client{Transport: rt}}
	}}
	sec := &expiry.Section{RefreshInterval: config.Duration(time.Hour), ACM: &expiry.ACM{}}
	sec.ApplyDefaults()
	g := source.NewGroup(source.NewMetrics(), nil)
	c := expiry.New(sec, "k", g, nil, nil)
	c.ReadACM(g, "k", []expiry.ACMTarget{target})
	g.Start(context.Background())
	defer g.Stop(false)
	require.Eventually(t, g.Ready, 10*time.Second, 10*time.Millisecond)
	s := (&harness{c: c, group: g}).scrape(t)
	cns := map[string]bool{}
	for _, x := range s["vigil_cert_not_after_timestamp_seconds"] {
		cns[x.labels["subject_cn"]] = true
	}
	assert.True(t, cns["api.ticketly.example.com"], "the EC_prime256v1 certificate is listed")
	assert.Len(t, s["vigil_cert_acm_in_use"], 4, "a certificate pending validation has no dates but its status and use")
}
