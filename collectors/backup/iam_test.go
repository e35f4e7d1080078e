package backup

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIAMPolicyGrantsExactlyTheCalls: deploy/iam/backup-policy.json grants
// one IAM action per call the collector makes (the methods of S3Lister
// and RDSAPI; ListObjectsV2 is authorised by s3:ListBucket), no more, no
// less: a new call without its grant fails here, not in production.
func TestIAMPolicyGrantsExactlyTheCalls(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/iam/backup-policy.json")
	require.NoError(t, err)
	var policy struct {
		Statement []struct {
			Effect string
			Action []string
		}
	}
	require.NoError(t, json.Unmarshal(raw, &policy), "deploy/iam/backup-policy.json")
	var granted []string
	for _, s := range policy.Statement {
		assert.Equal(t, "Allow", s.Effect)
		granted = append(granted, s.Action...)
	}
	// IAM names the action of an SDK operation by service and operation,
	// except where S3 authorises a listing by the bucket's action.
	iamAction := map[string]string{"s3:ListObjectsV2": "s3:ListBucket"}
	var calls []string
	for service, api := range map[string]reflect.Type{
		"s3":  reflect.TypeFor[S3Lister](),
		"rds": reflect.TypeFor[RDSAPI](),
	} {
		for i := range api.NumMethod() {
			a := service + ":" + api.Method(i).Name
			if m, ok := iamAction[a]; ok {
				a = m
			}
			calls = append(calls, a)
		}
	}
	sort.Strings(calls)
	sort.Strings(granted)
	assert.Equal(t, calls, granted)
}
