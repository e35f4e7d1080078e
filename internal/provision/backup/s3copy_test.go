package backup

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m)) }

func TestParseS3URL(t *testing.T) {
	for in, want := range map[string]Dest{
		"s3://b":                   {Bucket: "b"},
		"s3://b/":                  {Bucket: "b"},
		"s3://b/production":        {Bucket: "b", Prefix: "production/"},
		"s3://b/state/production/": {Bucket: "b", Prefix: "state/production/"},
	} {
		got, err := ParseS3URL(in)
		if err != nil || got != want {
			t.Errorf("ParseS3URL(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "b/prefix", "https://b/prefix", "s3:///prefix", "s3://AKIAKEY:s3cr3t@b/p", "s3://b/p?x=1"} {
		_, err := ParseS3URL(bad)
		if err == nil || !strings.Contains(err.Error(), "s3://BUCKET/PREFIX/") {
			t.Errorf("ParseS3URL(%q) = %v; want a refusal showing the form", bad, err)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "AKIAKEY")) {
			t.Errorf("the refusal echoes the credentials: %v", err)
		}
	}
}

// TestCopyToMoto: a state backup lands under the prefix with its own
// name, its bytes, SSE-S3 encryption and a JSON content type; a missing
// bucket fails naming the destination and that the backup itself is kept.
func TestCopyToMoto(t *testing.T) {
	endpoint := testenv.Moto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	ctx := context.Background()
	client, err := NewS3Client(ctx, []string{"AWS_ENDPOINT_URL_S3=" + endpoint})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: awssdk.String("state-backups"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuCentral1}}); err != nil {
		t.Fatal(err)
	}
	state := []byte(`{"version":4,"lineage":"l-1","serial":7,"resources":[]}`)
	path, err := Write(t.TempDir(), state, time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	key, err := Copy(ctx, client, Dest{Bucket: "state-backups", Prefix: "production/"}, path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "production/" + filepath.Base(path); key != want {
		t.Errorf("key = %q, want %q", key, want)
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: awssdk.String("state-backups"), Key: awssdk.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	body, _ := io.ReadAll(got.Body)
	if !bytes.Equal(body, state) {
		t.Errorf("copied %q, want %q", body, state)
	}
	if got.ServerSideEncryption != s3types.ServerSideEncryptionAes256 {
		t.Errorf("server-side encryption = %q, want AES256", got.ServerSideEncryption)
	}
	if awssdk.ToString(got.ContentType) != "application/json" {
		t.Errorf("content type = %q", awssdk.ToString(got.ContentType))
	}

	_, err = Copy(ctx, client, Dest{Bucket: "no-such-bucket", Prefix: "p/"}, path)
	if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/p/") || !strings.Contains(err.Error(), "the backup itself is kept") {
		t.Errorf("copy to a missing bucket: %v", err)
	}
}
