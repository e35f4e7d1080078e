# Every mistake the stack refuses, each named in its own words, on top of a
# valid production configuration. No API is needed: the provider is mocked.

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

variables {
  environment              = "production"
  platform                 = true
  region                   = "eu-central-1"
  availability_zones       = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
  admin_cidrs              = ["203.0.113.0/24"]
  ssh_public_key_file      = "tests/fixtures/test.pub"
  ami_id                   = "ami-0123456789abcdef0"
  acm_certificate_arn      = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
  assets_bucket_name       = "ticketly-test-assets"
  public_read_prefix       = "public/"
  worker_count             = 4
  db_backup_retention_days = 7
}

run "valid_production" {
  command = plan

  assert {
    condition     = length(module.k3s) == 1 && length(module.edge) == 1 && length(module.database) == 1
    error_message = "production has the whole platform"
  }
}

run "acm_certificate_from_another_region" {
  command = plan
  variables {
    acm_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
  }
  expect_failures = [var.acm_certificate_arn]
}

run "acm_certificate_missing" {
  command = plan
  variables {
    acm_certificate_arn = null
  }
  expect_failures = [var.acm_certificate_arn]
}

run "fewer_than_3_zones_in_production" {
  command = plan
  variables {
    availability_zones = ["eu-central-1a", "eu-central-1b"]
  }
  expect_failures = [var.availability_zones]
}

run "zone_of_another_region" {
  command = plan
  variables {
    availability_zones = ["eu-central-1a", "eu-central-1b", "eu-west-1c"]
  }
  expect_failures = [var.availability_zones]
}

run "overlapping_subnets" {
  command = plan
  variables {
    private_subnet_cidrs = ["10.0.80.0/24", "10.0.0.128/25", "10.0.82.0/24"]
  }
  expect_failures = [terraform_data.platform_inputs]
}

run "subnet_outside_the_vpc" {
  command = plan
  variables {
    private_subnet_cidrs = ["10.0.80.0/24", "10.1.81.0/24", "10.0.82.0/24"]
  }
  expect_failures = [terraform_data.platform_inputs]
}

run "unsupported_instance_type" {
  command = plan
  variables {
    worker_instance_type = "t2.micro"
  }
  expect_failures = [var.worker_instance_type]
}

run "infra_ip_outside_the_first_private_subnet" {
  command = plan
  variables {
    infra_private_ip = "10.0.90.20"
  }
  expect_failures = [var.infra_private_ip]
}

run "production_without_platform" {
  command = plan
  variables {
    platform = false
  }
  expect_failures = [var.platform]
}

run "production_open_to_the_world" {
  command = plan
  variables {
    admin_cidrs = ["0.0.0.0/0"]
  }
  expect_failures = [var.admin_cidrs]
}

run "whole_bucket_public" {
  command = plan
  variables {
    public_read_prefix = "/"
  }
  expect_failures = [var.public_read_prefix]
}

run "schedule_to_an_unknown_queue" {
  command = plan
  variables {
    schedules = {
      nightly = {
        expression = "cron(0 2 * * ? *)"
        queue      = "no-such-queue"
        input      = "{}"
      }
    }
  }
  expect_failures = [var.schedules]
}

run "backups_off" {
  command = plan
  variables {
    db_backup_retention_days = 0
  }
  expect_failures = [var.db_backup_retention_days]
}

run "one_worker_in_production" {
  command = plan
  variables {
    worker_count = 1
  }
  expect_failures = [var.worker_count]
}
