package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/vigil-monitoring/vigil/internal/provision/backup"
	"github.com/vigil-monitoring/vigil/internal/provision/tf"
)

// ErrLineage marks a restore refused because the backup belongs to another
// state.
var ErrLineage = errors.New("backup lineage differs from the current state")

// backupState pulls the state into a new backup and rotates the directory
// (keep <= 0 = backup.DefaultKeep). It returns "" when there is no state yet.
func backupState(ctx context.Context, o Options, r *tf.Runner, keep int) (string, error) {
	state, err := r.StatePull(ctx)
	if err != nil {
		return "", err
	}
	return writeBackup(o, state, keep)
}

// writeBackup writes state, as just pulled, into a new backup and rotates
// the directory. Verbs that read the state before changing it (apply's
// staleness check, restore's lineage check) back up that same copy: the
// backup is then exactly the state they checked, and terraform starts once
// less.
func writeBackup(o Options, state string, keep int) (string, error) {
	if len(state) == 0 {
		fmt.Fprintf(o.Stdout, "No state yet for %s: nothing to back up.\n", o.Env)
		return "", nil
	}
	if keep <= 0 {
		keep = backup.DefaultKeep
	}
	path, err := backup.Write(o.backupDir(), []byte(state), o.now())
	if err != nil {
		return "", err
	}
	fmt.Fprintf(o.Stdout, "State of %s backed up to %s\n", o.Env, path)
	removed, err := backup.Rotate(o.backupDir(), keep)
	if err != nil {
		return path, err
	}
	for _, p := range removed {
		fmt.Fprintf(o.Stdout, "Removed old backup %s (keeping the %d newest)\n", p, keep)
	}
	return path, nil
}

// Backup pulls the environment's state into a timestamped file in the backup
// directory and keeps the keep newest backups.
func Backup(ctx context.Context, o Options, keep int) (path string, err error) {
	defer func() { err = newRedactor(o.environ()).Error(err) }()
	if keep < 1 {
		return "", fmt.Errorf("--keep must be at least 1, got %d", keep)
	}
	r, err := o.setup(ctx, false)
	if err != nil {
		return "", err
	}
	if err := r.Init(ctx, o.Env); err != nil {
		return "", err
	}
	if err := o.useWorkspace(ctx, r, false); err != nil {
		return "", err
	}
	return backupState(ctx, o, r, keep)
}

// RestoreOptions are restore's own settings.
type RestoreOptions struct {
	// From is the backup file to push.
	From string
	// Force pushes a backup whose lineage differs from the current state.
	Force bool
}

// Restore backs the current state up, then pushes the backup in From as the
// new state. A backup of another state (different lineage) is refused unless
// Force is set.
func Restore(ctx context.Context, o Options, ro RestoreOptions) (err error) {
	defer func() { err = newRedactor(o.environ()).Error(err) }()
	r, err := o.setup(ctx, false)
	if err != nil {
		return err
	}
	if ro.From == "" {
		return errors.New("no backup given: pass --from FILE (list them in the backup directory)")
	}
	data, err := os.ReadFile(ro.From)
	if err != nil {
		return fmt.Errorf("reading backup: %w", err)
	}
	want, err := backup.ParseMeta(data)
	if err != nil {
		return fmt.Errorf("backup %s: %w", ro.From, err)
	}
	if err := o.confirm("restore a state backup into", false); err != nil {
		return err
	}
	if err := r.Init(ctx, o.Env); err != nil {
		return err
	}
	// Restoring into an environment whose workspace is gone (a lost local
	// state) is what restore is for: the workspace is created.
	if err := o.useWorkspace(ctx, r, true); err != nil {
		return err
	}
	current, err := r.StatePull(ctx)
	if err != nil {
		return err
	}
	force := false
	serial := want.Serial
	if current != "" {
		cur, err := backup.ParseMeta([]byte(current))
		if err != nil {
			return fmt.Errorf("current state: %w", err)
		}
		if cur.Lineage != want.Lineage {
			if !ro.Force {
				return fmt.Errorf("%w: %s has lineage %s, the current state of %s has %s: it is a backup of another state; pass --force to push it anyway (the current state is backed up first)",
					ErrLineage, ro.From, want.Lineage, o.Env, cur.Lineage)
			}
			force = true
		}
		if _, err := writeBackup(o, current, 0); err != nil {
			return fmt.Errorf("backing up the current state before restore (nothing was restored): %w", err)
		}
		// Terraform refuses to push a state with a lower serial than the
		// current one (an older backup): give the restored copy the next
		// serial so the restore is an ordinary, newer state.
		if cur.Serial >= serial {
			serial = cur.Serial + 1
		}
	}
	push, err := withSerial(data, serial)
	if err != nil {
		return fmt.Errorf("backup %s: %w", ro.From, err)
	}
	tmp, err := writeRestoreFile(filepath.Dir(absOr(ro.From)), push)
	if err != nil {
		return fmt.Errorf("preparing the restore (nothing was restored; the current state is unchanged): %w", err)
	}
	defer os.Remove(tmp)
	if err := r.StatePush(ctx, tmp, force); err != nil {
		return err
	}
	o.removePlan() // made against the replaced state
	fmt.Fprintf(o.Stdout, "Restored the state of %s from %s (lineage %s, now serial %d).\n", o.Env, ro.From, want.Lineage, serial)
	return nil
}

// writeRestoreFile writes the state to push into a new 0600 file in dir (or
// the system's temporary directory when dir is not writable) and returns its
// path. Every step's error is returned and the file removed: a short write
// must never reach `terraform state push` as a truncated state.
func writeRestoreFile(dir string, state []byte) (path string, err error) {
	f, err := os.CreateTemp(dir, ".restore-*.tfstate")
	if err != nil {
		if f, err = os.CreateTemp("", ".restore-*.tfstate"); err != nil {
			return "", err
		}
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return "", err
	}
	if err := writeState(f, state); err != nil {
		return "", fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}

// writeState writes the whole state to w; tests replace it to make the
// write fail part way, as a full disk does.
var writeState = func(w io.Writer, state []byte) error {
	_, err := w.Write(state)
	return err
}

func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
