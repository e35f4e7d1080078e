package expiry

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Chain positions.
const (
	PositionLeaf         = "leaf"
	PositionIntermediate = "intermediate"
	PositionRoot         = "root"
)

// CertFact is what Vigil keeps of a certificate: its dates and names, never
// the certificate or its key.
type CertFact struct {
	Origin    string    `json:"origin"`   // tls, kubeconfig, pem, secret, acm
	Location  string    `json:"location"` // endpoint name, file path, namespace/name, ARN
	Entry     string    `json:"entry"`    // kubeconfig user/<name> or cluster/<name>; secret key; "" otherwise
	Position  string    `json:"position"` // leaf, intermediate, root
	SubjectCN string    `json:"subject_cn"`
	IssuerCN  string    `json:"issuer_cn"`
	Serial    string    `json:"serial"` // hexadecimal
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
}

// TokenFact is what Vigil keeps of a token: its names and dates, never its
// value.
type TokenFact struct {
	Kind     string    `json:"kind"`     // jwt, ionos_api, ionos_registry
	Location string    `json:"location"` // file path, or the IONOS API / registry it belongs to
	Name     string    `json:"name"`     // kubeconfig user/<name>, configured name, token name
	ID       string    `json:"id"`       // IONOS token id; "" for files
	Expires  bool      `json:"expires"`  // false: it never expires (a fact, not a far-future date)
	NotAfter time.Time `json:"not_after,omitempty"`
	// Enabled is nil when the token has no status.
	Enabled *bool `json:"enabled,omitempty"`
	// InUse marks the token Vigil itself authenticates with.
	InUse bool `json:"in_use,omitempty"`
}

// position tells a certificate's place in a chain from the certificate
// itself, never from the order it was found in, so a chain served out of
// order is still read right: a self-signed CA is a root, another CA an
// intermediate, and anything else a leaf.
func position(c *x509.Certificate) string {
	if !c.IsCA {
		return PositionLeaf
	}
	if bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil {
		return PositionRoot
	}
	return PositionIntermediate
}

func certFact(origin, location, entry string, c *x509.Certificate) CertFact {
	return CertFact{Origin: origin, Location: location, Entry: entry, Position: position(c),
		SubjectCN: c.Subject.CommonName, IssuerCN: c.Issuer.CommonName, Serial: fmt.Sprintf("%x", c.SerialNumber),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC()}
}

// certFacts parses every certificate of PEM data (other blocks, such as
// keys, are skipped and never kept); the same certificate twice counts once.
func certFacts(origin, location, entry string, data []byte) ([]CertFact, error) {
	var out []CertFact
	seen := map[string]bool{}
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: not a certificate X.509 parses: %w", n, err)
		}
		f := certFact(origin, location, entry, c)
		if key := f.IssuerCN + "\x00" + f.Serial; !seen[key] {
			seen[key] = true
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("holds no PEM certificate")
	}
	return out, nil
}

// errNotJWT: the token is opaque (a static token, not a JWT); it has no
// expiry Vigil can read.
var errNotJWT = errors.New("not a JWT")

// jwtExpiry reads the exp claim of a JWT without verifying it (Vigil has no
// key, and needs only the date). Its errors never contain the token.
func jwtExpiry(token string) (exp time.Time, has bool, err error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return time.Time{}, false, errNotJWT
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false, errNotJWT
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return time.Time{}, false, errNotJWT
	}
	if claims.Exp == nil {
		return time.Time{}, false, nil
	}
	secs, err := claims.Exp.Float64()
	if err != nil {
		return time.Time{}, false, errors.New("the JWT's exp claim is not a number")
	}
	if secs > 1e12 {
		// IONOS has issued iat in milliseconds; read exp the same way
		// when it could only be milliseconds (past the year 33658).
		exp = time.UnixMilli(int64(min(secs, math.MaxInt64/2))).UTC()
	} else {
		exp = time.Unix(int64(secs), 0).UTC()
	}
	// A NumericDate is not negative (RFC 7519); a value past any date a
	// token could mean would overflow the conversion above (found by
	// FuzzJWTExpiry): refuse both rather than export a nonsense date.
	if secs < 0 || exp.After(maxJWTExpiry) {
		return time.Time{}, false, errors.New("the JWT's exp claim is out of range (negative, or past the year 9999)")
	}
	return exp, true, nil
}

// maxJWTExpiry is the latest expiry Vigil accepts.
var maxJWTExpiry = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
