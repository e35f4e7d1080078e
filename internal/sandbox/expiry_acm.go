package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/vigil-monitoring/vigil/internal/sandbox/flap"
)

// ACMCert is a certificate of the ACM emulator. NotAfter zero: no dates yet
// (PENDING_VALIDATION).
type ACMCert struct {
	ARN, Domain, Status, KeyAlgorithm, Serial string
	NotBefore, NotAfter                       time.Time
	InUseBy                                   []string
}

// StartACM serves AWS Certificate Manager's ListCertificates and
// DescribeCertificate in its wire protocol (awsJson 1.1: POST /, the
// operation in X-Amz-Target, timestamps as epoch seconds) on loopback, for
// the sandbox, which has no moto_server. Like AWS, ListCertificates returns
// only RSA_2048 certificates unless Includes.KeyTypes names others.
func StartACM(certs []ACMCert) *httptest.Server {
	epoch := func(t time.Time) float64 { return float64(t.Unix()) }
	return httptest.NewServer(flap.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		var in struct {
			CertificateArn string
			Includes       struct{ KeyTypes []string }
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		switch strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "CertificateManager.") {
		case "ListCertificates":
			keyTypes := map[string]bool{"RSA_2048": true}
			if len(in.Includes.KeyTypes) > 0 {
				keyTypes = map[string]bool{}
				for _, k := range in.Includes.KeyTypes {
					keyTypes[k] = true
				}
			}
			list := []map[string]any{}
			for _, c := range certs {
				if !keyTypes[c.KeyAlgorithm] {
					continue
				}
				s := map[string]any{"CertificateArn": c.ARN, "DomainName": c.Domain, "Status": c.Status,
					"InUse": len(c.InUseBy) > 0, "KeyAlgorithm": c.KeyAlgorithm, "Type": "AMAZON_ISSUED"}
				if !c.NotAfter.IsZero() {
					s["NotAfter"], s["NotBefore"] = epoch(c.NotAfter), epoch(c.NotBefore)
				}
				list = append(list, s)
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"CertificateSummaryList": list})
		case "DescribeCertificate":
			for _, c := range certs {
				if c.ARN != in.CertificateArn {
					continue
				}
				d := map[string]any{"CertificateArn": c.ARN, "DomainName": c.Domain, "Status": c.Status, "KeyAlgorithm": c.KeyAlgorithm,
					"Type": "AMAZON_ISSUED", "InUseBy": append([]string{}, c.InUseBy...), "Issuer": "Amazon", "Serial": c.Serial}
				if !c.NotAfter.IsZero() {
					d["NotAfter"], d["NotBefore"] = epoch(c.NotAfter), epoch(c.NotBefore)
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"Certificate": d})
				return
			}
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": "ResourceNotFoundException", "message": "Could not find certificate"})
		default:
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": "UnknownOperationException", "message": "not emulated"})
		}
	})))
}
