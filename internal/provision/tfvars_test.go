package provision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTfvarsBool(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		text         string
		value, found bool
		errPart      string
	}{
		{"lan_public = true\n", true, true, ""},
		{"x = 1\n  lan_public=false # private\n", false, true, ""},
		{"lan_public_extra = true\n", false, false, ""},
		{"a = 1\nlan_public = var.x\n", false, false, ":2: lan_public = var.x"},
	}
	for i, c := range cases {
		p := filepath.Join(dir, "t.tfvars")
		os.WriteFile(p, []byte(c.text), 0o644)
		v, found, err := tfvarsBool(p, "lan_public")
		if c.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), c.errPart) {
				t.Errorf("case %d: err = %v, want %q", i, err, c.errPart)
			}
			continue
		}
		if err != nil || v != c.value || found != c.found {
			t.Errorf("case %d: %v, %v, %v", i, v, found, err)
		}
	}
}
