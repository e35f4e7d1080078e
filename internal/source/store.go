package source

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// snapshotFormat is the version of the snapshot file; a file of another
// version is set aside, not guessed at.
const snapshotFormat = 1

// snapshotFile is what a persistent source writes: a header that says whose
// snapshot it is, then the value.
type snapshotFile[T any] struct {
	Format int       `json:"format"`
	Source string    `json:"source"`
	Key    string    `json:"key"` // SHA-256 of Options.Key, never the key itself
	At     time.Time `json:"at"`  // the last success, restored as the snapshot's time
	Value  T         `json:"value"`
}

// SnapshotFile is the path of the named source's snapshot under dir: the
// name with every byte outside [A-Za-z0-9._-] replaced by '_' and, when that
// changed it, a hash of the name so two names cannot share a file.
func SnapshotFile(dir, name string) string {
	return filepath.Join(dir, fileStem(name)+".snapshot.json")
}

// budgetFile is the path of the named source's request budget ledger.
func budgetFile(dir, name string) string {
	return filepath.Join(dir, fileStem(name)+".budget.json")
}

func fileStem(name string) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		case r == '.' && name != "." && name != "..":
			return r
		}
		return '_'
	}, name)
	if safe != name || safe == "" {
		h := fnv.New32a()
		_, _ = h.Write([]byte(name))
		safe = fmt.Sprintf("%s-%08x", safe, h.Sum32())
	}
	return safe
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// restore loads the source's snapshot file, if there is a good one: the
// snapshot is served with its original time, and the first refresh waits
// until Interval has passed since then. Anything wrong with the file is
// logged and the file set aside; the source then starts fresh.
// cleanTemps removes temp files a crash left mid-write; only safe when no
// other source of this process (a running older group) may be writing one.
func (s *Source[T]) restore(cleanTemps bool) {
	name := s.opts.Name
	if cleanTemps {
		removeTemps(s.file)
	}
	data, err := os.ReadFile(s.file)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		s.logger.Warn("cannot read the source's stored snapshot; starting without it", "source", name, "file", s.file, "err", err)
		return
	}
	var f snapshotFile[T]
	if err := json.Unmarshal(data, &f); err != nil || f.At.IsZero() {
		if err == nil {
			err = errors.New("no time of last success")
		}
		s.setAside("corrupt", fmt.Errorf("decoding: %w", err))
		return
	}
	switch {
	case f.Format != snapshotFormat:
		s.setAside("foreign", fmt.Errorf("format %d, want %d", f.Format, snapshotFormat))
		return
	case f.Source != name:
		s.setAside("foreign", fmt.Errorf("written by source %q", f.Source))
		return
	case f.Key != keyHash(s.opts.Key):
		s.setAside("foreign", errors.New("written under another configuration (key)"))
		return
	case f.At.After(time.Now().Add(time.Minute)):
		// A clock that jumped back, or a crafted file: served, it would
		// never be refreshed and its age would be negative, so the stale
		// data alert could not fire.
		s.setAside("foreign", fmt.Errorf("taken at %s, in the future", f.At.UTC().Format(time.RFC3339)))
		return
	}
	s.current.Store(&snapshot[T]{value: f.Value, at: f.At})
	s.status.Attempted, s.status.Up, s.status.LastSuccess = true, true, f.At
	s.status.NextRefresh = f.At.Add(s.opts.Interval)
	s.status.NextDelay = max(time.Until(s.status.NextRefresh), 0)
	s.carried, s.restored = true, true
}

// setAside renames a snapshot file that cannot be used, so it is neither
// read again nor lost for a post-mortem.
func (s *Source[T]) setAside(kind string, why error) {
	aside := fmt.Sprintf("%s.%s-%d", s.file, kind, time.Now().Unix())
	if err := os.Rename(s.file, aside); err != nil {
		s.logger.Warn("the source's stored snapshot is unusable and cannot be set aside; ignoring it",
			"source", s.opts.Name, "file", s.file, "problem", why, "err", err)
		return
	}
	s.logger.Warn("the source's stored snapshot is unusable; set aside, starting without it",
		"source", s.opts.Name, "file", s.file, "moved_to", aside, "problem", why)
}

// persist writes the snapshot after a success. A failure is logged and
// costs only the next restart's refetch.
func (s *Source[T]) persist(value T, at time.Time) {
	data, err := json.Marshal(snapshotFile[T]{Format: snapshotFormat, Source: s.opts.Name, Key: keyHash(s.opts.Key), At: at, Value: value})
	if err == nil {
		err = writeFileAtomic(s.file, data)
	}
	if err != nil {
		s.logger.Warn("cannot store the source's snapshot; a restart will refetch it", "source", s.opts.Name, "file", s.file, "err", err)
	}
}

// writeFileAtomic replaces path with data so that a crash at any point
// leaves either the old or the new file: temp file, fsync, rename, fsync of
// the directory.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeTemps deletes temp files a crash left behind mid-write.
func removeTemps(path string) {
	matches, _ := filepath.Glob(globEscape(path) + ".tmp-*")
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

func globEscape(s string) string {
	return strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`).Replace(s)
}
