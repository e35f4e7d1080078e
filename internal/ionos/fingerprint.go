package ionos

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// fingerprintIterations makes the secret's share of the fingerprint slow to
// guess: a password may be short, and the fingerprint may be logged (the
// engine's source Key). It is computed once per New.
const fingerprintIterations = 100_000

// fingerprint hashes every setting that changes what the clients send, the
// references and the resolved secret. The secret enters only through
// PBKDF2, with a fixed salt so the value is stable across restarts (the
// engine compares it with a persisted snapshot's).
func fingerprint(c *Config, contract string, cred *credential, secret string) (string, error) {
	key, err := pbkdf2.Key(sha256.New, secret, []byte("vigil/ionos/fingerprint/v1"), fingerprintIterations, 32)
	if err != nil {
		return "", fmt.Errorf("ionos: fingerprinting the credentials: %w", err)
	}
	h := sha256.New()
	for _, f := range []string{
		"api_url", c.APIURL, "registry_url", c.RegistryURL, "auth_url", c.AuthURL, "billing_url", c.BillingURL,
		"contract", contract, "method", cred.method, "from", cred.from, "secret", hex.EncodeToString(key),
	} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return "ionos-" + hex.EncodeToString(h.Sum(nil))[:32], nil
}
