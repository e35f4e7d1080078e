package infra

import (
	"testing"

	"github.com/stretchr/testify/require"
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
