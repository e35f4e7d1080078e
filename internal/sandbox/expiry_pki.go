package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"
)

// Cert is a generated certificate and its key, for the sandbox's TLS
// endpoints and for tests that need chains with chosen dates (an
// intermediate that expires before its leaf, an expired leaf).
type Cert struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

var (
	serialMu sync.Mutex
	serials  = big.NewInt(1000)
)

func nextSerial() *big.Int {
	serialMu.Lock()
	defer serialMu.Unlock()
	serials.Add(serials, big.NewInt(1))
	return new(big.Int).Set(serials)
}

// NewRoot creates a self-signed CA certificate.
func NewRoot(cn string, notBefore, notAfter time.Time) (*Cert, error) {
	return issue(nil, cn, true, notBefore, notAfter)
}

// Issue signs a certificate with c: a CA (an intermediate) or a leaf valid
// for the given host names and IP addresses.
func (c *Cert) Issue(cn string, isCA bool, notBefore, notAfter time.Time, hosts ...string) (*Cert, error) {
	return issue(c, cn, isCA, notBefore, notAfter, hosts...)
}

func issue(parent *Cert, cn string, isCA bool, notBefore, notAfter time.Time, hosts ...string) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(), Subject: pkix.Name{CommonName: cn, Organization: []string{"Vigil sandbox"}},
		NotBefore: notBefore, NotAfter: notAfter, BasicConstraintsValid: true, IsCA: isCA,
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	signer, signerCert := key, tmpl
	if parent != nil {
		signer, signerCert = parent.Key, parent.Cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signer)
	if err != nil {
		return nil, fmt.Errorf("sandbox certificate %s: %w", cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Cert{Cert: cert, Key: key}, nil
}

// PEM is the certificate in PEM.
func (c *Cert) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})
}

// KeyPEM is the private key in PEM.
func (c *Cert) KeyPEM() []byte {
	der, _ := x509.MarshalECPrivateKey(c.Key)
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// ChainPEM concatenates certificates in the order given.
func ChainPEM(certs ...*Cert) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, c.PEM()...)
	}
	return out
}

// TLSCertificate serves leaf with the chain given after it, in that order
// (a test may pass them out of order on purpose).
func TLSCertificate(leaf *Cert, chain ...*Cert) tls.Certificate {
	tc := tls.Certificate{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key, Leaf: leaf.Cert}
	for _, c := range chain {
		tc.Certificate = append(tc.Certificate, c.Cert.Raw)
	}
	return tc
}
