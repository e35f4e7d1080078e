// Package backup keeps Terraform state backups: timestamped files in a
// directory, the newest N kept, and the lineage and serial of each read from
// the state itself.
package backup

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// DefaultKeep is how many backups are kept when nothing else is asked.
const DefaultKeep = 30

const (
	prefix = "terraform-"
	suffix = ".tfstate"
	// stamp sorts lexically in time order and is safe in file names.
	stamp = "20060102T150405.000000000Z"
)

// Meta is what a state says about itself.
type Meta struct {
	Lineage string `json:"lineage"`
	Serial  int64  `json:"serial"`
}

// ParseMeta reads the lineage and serial of a state in JSON form.
func ParseMeta(state []byte) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(state, &m); err != nil {
		return Meta{}, fmt.Errorf("not a Terraform state (JSON): %w", err)
	}
	if m.Lineage == "" {
		return Meta{}, fmt.Errorf("not a Terraform state: it has no lineage")
	}
	return m, nil
}

// Write stores state as a new backup in dir, named after the time and its
// serial, with mode 0600 (states hold secrets such as kubeconfigs). It writes
// a temporary file and renames it, so a backup is never half written.
func Write(dir string, state []byte, now time.Time) (string, error) {
	m, err := ParseMeta(state)
	if err != nil {
		return "", fmt.Errorf("backing up the state: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating backup directory %s: %w", dir, err)
	}
	name := fmt.Sprintf("%s%s-serial%d%s", prefix, now.UTC().Format(stamp), m.Serial, suffix)
	path := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, ".tmp-"+name+"-*")
	if err != nil {
		return "", fmt.Errorf("writing backup in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing backup %s: %w", path, err)
	}
	if _, err := tmp.Write(state); err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing backup %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing backup %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("writing backup %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("writing backup %s: %w", path, err)
	}
	return path, nil
}

// List returns the backups in dir, oldest first.
func List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing backups in %s: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, prefix) && strings.HasSuffix(n, suffix) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out) // names start with the time stamp
	return out, nil
}

// Rotate removes all but the keep newest backups in dir and returns the
// removed paths. keep < 1 is refused: it would delete the backup just made.
func Rotate(dir string, keep int) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("--keep must be at least 1, got %d", keep)
	}
	all, err := List(dir)
	if err != nil {
		return nil, err
	}
	if len(all) <= keep {
		return nil, nil
	}
	old := all[:len(all)-keep]
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return nil, fmt.Errorf("removing old backup %s: %w", p, err)
		}
	}
	return old, nil
}
