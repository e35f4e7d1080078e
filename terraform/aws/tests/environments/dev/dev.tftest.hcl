# environments/dev.tfvars (terraform test -var-file=environments/dev.tfvars
# -test-directory=tests/environments/dev): SQS, S3 and IAM only.

mock_provider "aws" {
  mock_resource "aws_lb_target_group" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/ticketly-test-ingress/0123456789abcdef"
    }
  }
  mock_resource "aws_lb" {
    defaults = {
      arn      = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/ticketly-test/0123456789abcdef"
      dns_name = "ticketly-test-1.eu-central-1.elb.amazonaws.com"
    }
  }
  mock_resource "aws_wafv2_web_acl" {
    defaults = {
      arn = "arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/ticketly-test/0000"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-central-1:123456789012:q"
      url = "https://sqs.eu-central-1.amazonaws.com/123456789012/q"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::ticketly-test-assets"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/test"
    }
  }
  mock_resource "aws_iam_policy" {
    defaults = {
      arn = "arn:aws:iam::123456789012:policy/test"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

run "dev_is_queues_bucket_and_iam" {
  command = apply

  assert {
    condition     = length(module.network) == 0 && length(module.k3s) == 0 && length(module.database) == 0 && length(module.edge) == 0 && length(module.schedules) == 0
    error_message = "dev has no platform"
  }
  assert {
    condition     = length(output.queue_urls) == 3 && output.bucket_name == "ticketly-dev-assets-example"
    error_message = "dev has the three queues and the assets bucket"
  }
  assert {
    condition     = output.alb_dns_name == null && output.ssh_command == null && output.rds_endpoint == null && output.control_plane_public_ip == null
    error_message = "platform outputs are null in dev"
  }
  assert {
    condition     = output.vigil_iam_user == "ticketly-dev-vigil-readonly" && strcontains(output.vigil_credentials_secret_command, "create-access-key --user-name ticketly-dev-vigil-readonly")
    error_message = "the Vigil principal and how to wire its keys"
  }
  assert {
    condition     = strcontains(output.vigil_credentials_secret_command, "--from-env-file=/dev/shm/") && !strcontains(output.vigil_credentials_secret_command, "--from-literal")
    error_message = "the secret key must reach the Secret through a file in /dev/shm, never on kubectl's command line"
  }
}
