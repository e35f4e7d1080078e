package provision

import (
	"io"
	"strings"
)

// secretVars are the environment variables whose values never appear in
// what the provision command prints, logs or returns.
var secretVars = []string{
	"IONOS_TOKEN", "IONOS_USERNAME", "IONOS_PASSWORD",
	"IONOS_S3_ACCESS_KEY", "IONOS_S3_SECRET_KEY",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
}

const redacted = "[REDACTED]"

type redactor struct{ r *strings.Replacer }

func newRedactor(environ []string) redactor {
	var pairs []string
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || len(v) < 4 { // too short to redact without mangling output
			continue
		}
		for _, s := range secretVars {
			if k == s {
				pairs = append(pairs, v, redacted)
			}
		}
	}
	return redactor{r: strings.NewReplacer(pairs...)}
}

func (r redactor) String(s string) string { return r.r.Replace(s) }

// Error returns err with every credential replaced; nil stays nil.
func (r redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := r.String(msg)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

// redactedError keeps errors.Is/As working on the original chain while its
// text is the redacted one.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactWriter replaces credentials in what passes through it. terraform-exec
// writes terraform's output line by line, so a value never spans two writes.
type redactWriter struct {
	w io.Writer
	r redactor
}

func (w *redactWriter) Write(p []byte) (int, error) {
	s := w.r.String(string(p))
	if _, err := io.WriteString(w.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}
