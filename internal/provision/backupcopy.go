package provision

import (
	"context"
	"fmt"

	"github.com/vigil-monitoring/vigil/internal/provision/backup"
)

// BackupAndCopy is Backup and then, when copyTo is set (s3://BUCKET/PREFIX/),
// a copy of the new backup to that prefix: the backups live on the machine
// that ran provision, and a Vigil in the cluster watches the prefix
// instead (a backup target of kind s3). The destination and the AWS
// client are checked before terraform runs; a failed copy keeps the local
// backup and says so.
func BackupAndCopy(ctx context.Context, o Options, keep int, copyTo string) (path string, err error) {
	if copyTo == "" {
		return Backup(ctx, o, keep)
	}
	defer func() { err = newRedactor(o.environ()).Error(err) }()
	dest, err := backup.ParseS3URL(copyTo)
	if err != nil {
		return "", err
	}
	client, err := backup.NewS3Client(ctx, o.environ())
	if err != nil {
		return "", err
	}
	if path, err = Backup(ctx, o, keep); err != nil || path == "" {
		return path, err
	}
	key, err := backup.Copy(ctx, client, dest, path)
	if err != nil {
		return path, err
	}
	fmt.Fprintf(o.Stdout, "Copied %s to s3://%s/%s\n", path, dest.Bucket, key)
	return path, nil
}
