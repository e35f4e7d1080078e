package backup

import (
	"context"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/aws/awstest"
	"github.com/vigil-monitoring/vigil/internal/config"
	pbackup "github.com/vigil-monitoring/vigil/internal/provision/backup"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestWatchesProvisionCopies: the state backups `provision backup
// --copy-to` uploads (its own Write and Copy, against moto_server) are
// what an s3 target on that prefix counts: two copies, the newest's size.
func TestWatchesProvisionCopies(t *testing.T) {
	murl := testenv.Moto(t)
	acct := awstest.MotoAccount(t, murl)
	client := S3Client(acct, "", murl)(nil).(*s3.Client)
	ctx := context.Background()
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: awssdk.String("state-backups"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuCentral1}})
	require.NoError(t, err)
	dest, err := pbackup.ParseS3URL("s3://state-backups/production")
	require.NoError(t, err)
	dir := t.TempDir()
	for i, state := range []string{`{"lineage":"l","serial":1}`, `{"lineage":"l","serial":2,"resources":[]}`} {
		p, err := pbackup.Write(dir, []byte(state), time.Date(2026, 11, 30, 3, i, 0, 0, time.UTC))
		require.NoError(t, err)
		_, err = pbackup.Copy(ctx, client, dest, p)
		require.NoError(t, err)
	}
	s := &Section{Targets: []Target{{Name: "terraform-state-production", Kind: KindS3, Account: "production", Bucket: "state-backups",
		Prefix: "production/", Endpoint: murl, Interval: config.Duration(24 * time.Hour)}}}
	s.ApplyDefaults()
	require.Empty(t, s.Validate())
	c, _, _ := start(t, Config{Environment: "production", Targets: []TargetConfig{{Target: s.Targets[0], Severity: "page", Key: "k",
		S3: S3Client(acct, "", murl)}}})
	out := render(t, c)
	l := `{environment="production",kind="s3",name="terraform-state-production"}`
	assert.Contains(t, out, "vigil_backup_objects"+l+" 2\n")
	assert.Contains(t, out, "vigil_backup_size_bytes"+l+" 41\n", "the newest copy (serial 2), listed last within the same second")
	assert.Contains(t, out, "vigil_backup_last_success_timestamp_seconds"+l+" ")
}
