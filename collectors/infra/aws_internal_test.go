package infra

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/collector"
)

// Either cloud alone is a valid section; the AWS part says what it lacks.
func TestSectionValidateAWS(t *testing.T) {
	s := &Section{AWS: &AWSSection{Accounts: []AWSAccount{{Account: "production", InstanceTags: map[string]string{"role": "k3s"}}}}}
	s.ApplyDefaults()
	require.Empty(t, s.Validate(), "aws alone is valid")
	require.Equal(t, DefaultAWSInterval, s.AWS.RefreshInterval.Std())

	s = &Section{AWS: &AWSSection{}}
	errs := s.Validate()
	require.Len(t, errs, 1)
	require.Equal(t, "aws.accounts", errs[0].Field)

	s = &Section{AWS: &AWSSection{Accounts: []AWSAccount{
		{Account: "production"},
		{Account: "production", InstanceIDs: []string{"0abc"}, TargetGroupARNs: []string{"arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/x/1"}},
	}}}
	var fields []string
	for _, e := range s.Validate() {
		fields = append(fields, e.Field)
		require.NotEmpty(t, e.Hint, e.Field)
	}
	require.ElementsMatch(t, []string{"aws.accounts[0].instance_tags", "aws.accounts[1].account",
		"aws.accounts[1].instance_ids[0]", "aws.accounts[1].target_group_arns[0]"}, fields)
}

// The section's accounts resolve against the aws provider: the region
// defaults to the account's first, an unknown account names its field, and
// a missing aws: section says to add it.
func TestAWSTargetsFromTheProvider(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "credentials"))
	cfg := &aws.Config{Accounts: []aws.AccountConfig{{Name: "production", Regions: []string{"eu-west-1", "eu-central-1"}, Endpoint: "http://127.0.0.1:1"}}}
	p, err := aws.New(context.Background(), cfg)
	require.NoError(t, err)
	deps := &collector.Deps{Providers: map[string]collector.Built{"aws": p}}

	s := &Section{AWS: &AWSSection{Accounts: []AWSAccount{
		{Account: "production", InstanceIDs: []string{"i-1"}},
		{Account: "production", Region: "eu-central-1", InstanceIDs: []string{"i-2"}},
	}}}
	got, err := awsTargets(s, deps)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "eu-west-1", got[0].Region)
	require.Equal(t, "eu-west-1", got[0].Config(nil).Region)
	require.Equal(t, "eu-central-1", got[1].Config(nil).Region)
	acct, ok := p.Account("production")
	require.True(t, ok)
	require.Equal(t, acct.Fingerprint(), got[0].Key, "keyed by the account, so another account's change keeps this one's snapshot")
	require.NotEqual(t, p.Fingerprint(), got[0].Key)

	s.AWS.Accounts[1].Region = "eu-west-1"
	_, err = awsTargets(s, deps)
	require.ErrorContains(t, err, "aws.accounts[1]: account \"production\" and region eu-west-1 are listed twice")

	s.AWS.Accounts[1].Account = "staging"
	_, err = awsTargets(s, deps)
	require.ErrorContains(t, err, `aws.accounts[1].account: "staging" is not an account of the aws: section`)

	_, err = awsTargets(s, &collector.Deps{})
	require.ErrorContains(t, err, "needs the aws: section")
}

// The WAF, SQS and RDS selections name the field that is wrong and how to
// fix it; defaults fill the thresholds left out.
func TestSectionValidateAWSServices(t *testing.T) {
	s := &Section{AWS: &AWSSection{Accounts: []AWSAccount{{Account: "production", InstanceTags: map[string]string{"role": "k3s"},
		SQS: &AWSSQS{}, RDS: &AWSRDS{}}}}}
	s.ApplyDefaults()
	require.Empty(t, s.Validate())
	require.Equal(t, DefaultSQSBacklogDepth, s.AWS.Accounts[0].SQS.BacklogDepth)
	require.Equal(t, DefaultSQSMaxMessageAge, s.AWS.Accounts[0].SQS.MaxMessageAge.Std())
	require.Equal(t, DefaultRDSFreeStorageMin, s.AWS.Accounts[0].RDS.FreeStorageMinRatio)

	s = &Section{AWS: &AWSSection{Accounts: []AWSAccount{{Account: "production", InstanceTags: map[string]string{"role": "k3s"},
		WAFLoadBalancerARNs: []string{"arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/net/nlb/1", "k3s-ingress"},
		SQS:                 &AWSSQS{Queues: []string{"https://sqs.eu-central-1.amazonaws.com/123456789012/orders"}, BacklogDepth: -1},
		RDS:                 &AWSRDS{FreeStorageMinRatio: 10}}}}}
	var fields []string
	for _, e := range s.Validate() {
		fields = append(fields, e.Field)
		require.NotEmpty(t, e.Hint, e.Field)
	}
	require.ElementsMatch(t, []string{"aws.accounts[0].waf_load_balancer_arns[0]", "aws.accounts[0].waf_load_balancer_arns[1]",
		"aws.accounts[0].sqs.queues[0]", "aws.accounts[0].sqs.backlog_depth", "aws.accounts[0].rds.free_storage_min_ratio"}, fields)

	s = &Section{IONOS: &IONOSSection{KubernetesClusters: map[string]string{"k8s-prod": ""}}}
	s.ApplyDefaults()
	errs := s.Validate()
	require.Len(t, errs, 1)
	require.Equal(t, "ionos.kubernetes_clusters", errs[0].Field)
}
