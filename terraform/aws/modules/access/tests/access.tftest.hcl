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

run "the_app_user_may_use_the_queues" {
  command = plan

  assert {
    condition     = one([for s in data.aws_iam_policy_document.app.statement : s.resources if s.sid == "Queues"]) == toset(var.queue_arns)
    error_message = "the applications' policy must name the queues"
  }
}

# A stack without queues (dev with queues = []): IAM refuses a statement
# without resources, so there is none.
run "no_queues_no_queue_statement" {
  command = plan

  variables {
    queue_arns = []
  }

  assert {
    condition     = length([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "Queues"]) == 0
    error_message = "a stack without queues must not have a Queues statement (IAM: Policy statement must contain resources)"
  }
}

run "budgets_read_action_is_allowed" {
  command = plan

  variables {
    vigil_policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ce:GetCostAndUsage\",\"budgets:ViewBudget\"],\"Resource\":\"*\"}]}"
  }
}

run "a_budgets_write_is_refused" {
  command = plan

  variables {
    vigil_policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"budgets:ViewBudget\",\"budgets:ModifyBudget\"],\"Resource\":\"*\"}]}"
  }

  expect_failures = [var.vigil_policy_json]
}
