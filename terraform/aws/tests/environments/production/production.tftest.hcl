# environments/production.tfvars (terraform test
# -var-file=environments/production.tfvars
# -test-directory=tests/environments/production); the key pair's public key
# is the test's, as keys/ holds none in the repository.

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
  mock_resource "aws_eip" {
    defaults = {
      public_ip = "198.51.100.7"
    }
  }
}

variables {
  ssh_public_key_file = "tests/fixtures/test.pub"
}

run "production_is_everything" {
  command = apply

  assert {
    condition     = length(output.worker_instance_ids) == 4 && output.infra_private_ip == "10.0.80.20"
    error_message = "4 workers and the infra node at 10.0.80.20"
  }
  assert {
    condition     = output.ssh_command == "ssh -i <private key of tests/fixtures/test.pub> ubuntu@198.51.100.7" && output.k8s_api_url == "https://198.51.100.7:6443"
    error_message = "ssh_command and the API URL name the control plane's address"
  }
  assert {
    condition     = length(output.schedule_arns) == 2 && length(output.target_group_arns) == 1
    error_message = "the schedules and the ingress target group"
  }
  assert {
    condition     = yamldecode(output.vigil_config).infra.aws.accounts[0].instance_tags.Cluster == "ticketly-production"
    error_message = "Vigil's infra section selects the stack's nodes by their Cluster tag"
  }
  assert {
    condition     = output.stack == "aws" && output.region == "eu-central-1" && output.app_hostname == "ticketly.example.com"
    error_message = "what provision check reads"
  }
}
