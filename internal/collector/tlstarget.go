package collector

import "time"

// TLSTarget is a TLS endpoint one collector connects to, whose served
// certificates another may read: the access section's HTTPS and TLS probes
// are the expiry collector's too, so the certificate of every probe is
// watched without being listed twice.
type TLSTarget struct {
	// Name is unique within the section (the probe's name).
	Name string
	// Address is host:port.
	Address string
	// ServerName is the SNI to send; "" sends the host.
	ServerName string
	// Resolver is host:port of a DNS server to resolve the host with; ""
	// uses the system's.
	Resolver string
	Timeout  time.Duration
}

// TLSTargeter is a section whose targets speak TLS (access); a collector
// that names it in Registration.Reads finds it in Deps.Sections.
type TLSTargeter interface {
	TLSTargets() []TLSTarget
}
