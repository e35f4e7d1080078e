package backup

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Dest is an S3 bucket and key prefix state backups are copied to, so a
// Vigil running in the cluster (backup target kind s3) sees them: the
// backups themselves stay on the machine that ran provision.
type Dest struct{ Bucket, Prefix string }

func (d Dest) String() string { return "s3://" + d.Bucket + "/" + d.Prefix }

// ParseS3URL reads s3://BUCKET[/PREFIX]; a prefix gets a trailing slash.
func ParseS3URL(s string) (Dest, error) {
	u, err := url.Parse(s)
	if err == nil && u.User != nil {
		// Never echo credentials written into the URL.
		return Dest{}, errors.New("--copy-to holds credentials: write it as s3://BUCKET/PREFIX/ and give credentials through the AWS SDK's chain (AWS_* variables, a profile, a role)")
	}
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return Dest{}, fmt.Errorf("--copy-to %q is not an S3 prefix: write it as s3://BUCKET/PREFIX/, e.g. s3://ticketly-state-backups/production/", s)
	}
	prefix := strings.TrimPrefix(u.Path, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return Dest{Bucket: u.Host, Prefix: prefix}, nil
}

// Putter uploads an object; *s3.Client is one.
type Putter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Copy uploads the backup at path to dest under its own file name,
// encrypted at rest by the store (SSE-S3: states hold secrets), and
// returns the key.
func Copy(ctx context.Context, client Putter, dest Dest, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("copying backup %s to %s: %w", path, dest, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("copying backup %s to %s: %w", path, dest, err)
	}
	key := dest.Prefix + filepath.Base(path)
	_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: awssdk.String(dest.Bucket), Key: awssdk.String(key), Body: f,
		ContentLength: awssdk.Int64(st.Size()), ContentType: awssdk.String("application/json"),
		ServerSideEncryption: s3types.ServerSideEncryptionAes256})
	if err != nil {
		return "", fmt.Errorf("copying backup %s to s3://%s/%s (the backup itself is kept): %w", path, dest.Bucket, key, err)
	}
	return key, nil
}

// NewS3Client builds the copy's client from the AWS SDK's default chain
// (AWS_* variables, profiles, a role) and, for an S3-compatible store such
// as IONOS S3, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL from environ, with
// path-style addressing there.
func NewS3Client(ctx context.Context, environ []string) (*s3.Client, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("--copy-to: loading AWS credentials: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("--copy-to: no AWS region: set AWS_REGION (the bucket's region)")
	}
	endpoint := lookup(environ, "AWS_ENDPOINT_URL_S3")
	if endpoint == "" {
		endpoint = lookup(environ, "AWS_ENDPOINT_URL")
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = awssdk.String(endpoint)
			o.UsePathStyle = true
		}
	}), nil
}

func lookup(environ []string, name string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}
