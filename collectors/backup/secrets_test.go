package backup

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// TestS3AndRDSErrorsCarryNoUpstreamText: an S3-compatible store or RDS
// endpoint that refuses a read and repeats the request's Authorization
// header (the access key ID) and a canary in its error message: the error
// the engine logs names the call, the bucket and AWS's error code, is
// classified auth, and carries neither.
func TestS3AndRDSErrorsCarryNoUpstreamText(t *testing.T) {
	const keyCanary = "AKIACANARYB4CKUP0001"
	const canary = "canary-upstream-text-91c2"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg := "Access Denied " + canary + " " + r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		if strings.Contains(r.URL.Path, "pg-dumps") {
			_, _ = w.Write([]byte(`<Error><Code>AccessDenied</Code><Message>` + msg + `</Message></Error>`))
			return
		}
		_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>` + msg +
			`</Message></Error><RequestId>x</RequestId></ErrorResponse>`))
	}))
	defer srv.Close()
	creds := awssdk.CredentialsProviderFunc(func(context.Context) (awssdk.Credentials, error) {
		return awssdk.Credentials{AccessKeyID: keyCanary, SecretAccessKey: "secret-" + canary}, nil
	})
	ctx := context.Background()
	s3c := s3.New(s3.Options{Region: "eu-central-1", BaseEndpoint: awssdk.String(srv.URL), UsePathStyle: true, Credentials: creds,
		RetryMaxAttempts: 1})
	_, err := listS3(ctx, s3c, "pg-dumps", "daily/")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "s3:ListObjectsV2 s3://pg-dumps/daily/ (AccessDenied)")
	rdsc := rds.New(rds.Options{Region: "eu-central-1", BaseEndpoint: awssdk.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1})
	_, rerr := readRDS(ctx, rdsc, nil)
	require.Error(t, rerr)
	assert.Contains(t, rerr.Error(), "rds:DescribeDBInstances (AccessDenied)")
	for _, e := range []error{err, rerr} {
		assert.Equal(t, source.ReasonAuth, source.Classify(e), e.Error())
		assert.NotContains(t, e.Error(), keyCanary)
		assert.NotContains(t, e.Error(), canary)
	}
}
