package backup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMeta(t *testing.T) {
	m, err := ParseMeta([]byte(`{"version":4,"serial":7,"lineage":"abc"}`))
	if err != nil || m.Serial != 7 || m.Lineage != "abc" {
		t.Fatalf("meta %+v, %v", m, err)
	}
	for _, bad := range []string{"", "{", `{"serial":1}`, "[]"} {
		if _, err := ParseMeta([]byte(bad)); err == nil {
			t.Errorf("%q accepted as a state", bad)
		}
	}
}

func TestWriteListRotate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b")
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var made []string
	for i := range 4 {
		p, err := Write(dir, []byte(`{"serial":`+string(rune('1'+i))+`,"lineage":"l"}`), base.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(p, "-serial"+string(rune('1'+i))+".tfstate") {
			t.Errorf("name %s does not carry the serial", p)
		}
		made = append(made, p)
	}
	// Files that are not backups are left alone.
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600)
	removed, err := Rotate(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(removed, ",") != strings.Join(made[:2], ",") {
		t.Errorf("removed %v, want the two oldest %v", removed, made[:2])
	}
	left, _ := List(dir)
	if strings.Join(left, ",") != strings.Join(made[2:], ",") {
		t.Errorf("left %v", left)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Error("rotation removed a file that is not a backup")
	}
	if _, err := Write(dir, []byte("nope"), base); err == nil {
		t.Error("a non-state was written as a backup")
	}
}
