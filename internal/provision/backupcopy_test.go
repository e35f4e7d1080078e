package provision

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestBackupCopiesToS3: `provision backup --copy-to s3://…` writes the
// local backup as before and the same bytes under the prefix (an S3 served
// in process by gofakes3; AWS_ENDPOINT_URL_S3 points at it, as it would at
// IONOS S3); a bad destination is refused before terraform runs, and no
// backup is made.
func TestBackupCopiesToS3(t *testing.T) {
	mem := s3mem.New()
	if err := mem.CreateBucket("state-backups"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))

	s := newStack(t, "dev", "AWS_ENDPOINT_URL_S3="+srv.URL)
	s.applied()
	if _, err := BackupAndCopy(ctx(t), s.opts, 30, "https://state-backups/dev"); err == nil || !strings.Contains(err.Error(), "s3://BUCKET/PREFIX/") {
		t.Fatalf("bad --copy-to: %v", err)
	}
	before, _ := os.ReadDir(s.opts.BackupDir)

	path, err := BackupAndCopy(ctx(t), s.opts, 30, "s3://state-backups/dev")
	if err != nil {
		t.Fatalf("backup --copy-to: %v\n%s", err, s.out)
	}
	after, _ := os.ReadDir(s.opts.BackupDir)
	if len(after) != len(before)+1 {
		t.Fatalf("local backups %d → %d, want one more", len(before), len(after))
	}
	local, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := mem.GetObject("state-backups", "dev/"+filepath.Base(path), nil)
	if err != nil {
		t.Fatalf("the copy is not under s3://state-backups/dev/: %v", err)
	}
	defer obj.Contents.Close()
	var copied bytes.Buffer
	if _, err := copied.ReadFrom(obj.Contents); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(copied.Bytes(), local) {
		t.Error("the copy differs from the local backup")
	}
	if !strings.Contains(s.out.String(), "Copied "+path+" to s3://state-backups/dev/") {
		t.Errorf("stdout does not say where the copy went:\n%s", s.out)
	}
}
