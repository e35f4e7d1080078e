package config_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/config"
)

// FuzzParse feeds arbitrary files to the parser with every registered
// section, as the daemon loads them. Whatever the bytes, Parse must not
// panic, and an error must read like every other configuration error: each
// line starts with the file's name, and no line is a stack trace. The seed
// corpus (testdata/fuzz/FuzzParse) is examples/vigil.yml, the error cases of
// TestErrorsNameFileLineFieldAndHint and the crashers fuzzing found.
func FuzzParse(f *testing.F) {
	f.Add([]byte("environment: dev\nkubernetes:\n  cluster: c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parse(data, "vigil.yml")
		if err != nil {
			checkUserError(t, err.Error(), "vigil.yml")
			return
		}
		if !config.ValidLabelValue(cfg.Environment) {
			t.Fatalf("accepted environment %q, which is no plain name", cfg.Environment)
		}
		if len(cfg.Sections) == 0 {
			t.Fatal("accepted a file that names no section")
		}
	})
}

// plainToken keeps what a YAML plain scalar holds as a string of its own.
var plainToken = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{5,}$`)

// FuzzInlineSecretNeverEchoed writes a value inline where a secret reference
// belongs: the file must be refused, and no error may repeat the value (it
// ends up in logs and on the status page).
func FuzzInlineSecretNeverEchoed(f *testing.F) {
	f.Add("canary-s3cr3t-7f1e")
	f.Fuzz(func(t *testing.T, secret string) {
		if !plainToken.MatchString(secret) {
			t.Skip("not a plain YAML scalar")
		}
		switch strings.ToLower(secret) {
		case "environment", "kubernetes", "cluster", "server", "bearer_token":
			t.Skip("a word the file itself holds")
		}
		_, err := parse([]byte("environment: dev\nkubernetes:\n  cluster: c\n  server: https://k8s:6443\n  bearer_token: "+secret+"\n"), "vigil.yml")
		if err == nil {
			t.Fatal("an inline secret was accepted")
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("the error repeats the secret: %v", err)
		}
		checkUserError(t, err.Error(), "vigil.yml")
	})
}

// checkUserError holds an error a user caused to the rules every parser
// keeps: it names the file on every line and never prints a stack trace.
func checkUserError(t *testing.T, msg, file string) {
	t.Helper()
	for _, line := range strings.Split(msg, "\n") {
		if !strings.HasPrefix(line, file) {
			t.Fatalf("an error line does not start with the file name %s: %q\nwhole error: %s", file, line, msg)
		}
	}
	for _, bad := range []string{"goroutine ", "panic:"} {
		if strings.Contains(msg, bad) {
			t.Fatalf("the error looks like a stack trace (%q): %s", bad, msg)
		}
	}
}
