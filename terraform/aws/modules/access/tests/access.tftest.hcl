mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name              = "ticketly-test"
  bucket_arn        = "arn:aws:s3:::ticketly-test-assets"
  queue_arns        = ["arn:aws:sqs:eu-central-1:123456789012:ticketly-test-ticket-events"]
  vigil_policy_json = file("../../policies/vigil-readonly.json")
}

run "vigil_gets_the_read_only_policy" {
  command = plan

  assert {
    condition     = aws_iam_policy.vigil.policy == var.vigil_policy_json && aws_iam_user_policy_attachment.vigil.user == aws_iam_user.vigil.name
    error_message = "Vigil's user must carry exactly the read-only policy"
  }
}

run "a_write_action_is_refused" {
  command = plan

  variables {
    vigil_policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ec2:DescribeInstances\",\"ec2:TerminateInstances\"],\"Resource\":\"*\"}]}"
  }

  expect_failures = [var.vigil_policy_json]
}

run "a_wildcard_is_refused" {
  command = plan

  variables {
    vigil_policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ec2:Describe*\",\"Resource\":\"*\"}]}"
  }

  expect_failures = [var.vigil_policy_json]
}
