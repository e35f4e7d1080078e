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

run "acm_certificate_missing" {
  command = plan
  variables {
    acm_certificate_arn = null
  }
  expect_failures = [var.acm_certificate_arn]
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

run "production_without_platform" {
  command = plan
  variables {
    platform = false
  }
  expect_failures = [var.platform]
}

# Nine independent mistakes in one plan: each of these variables' checks
# reads only variables left valid here (environment, region, platform,
# queues, the subnets, supported_instance_types), so each failure is its
# own variable's, and terraform test fails the run if any one of them is
# not refused ("missing expected failure"). One plan instead of nine: each plan of the root module costs
# terraform about 2 s (docs/benchmarks.md). Mistakes that share a variable,
# or whose check reads another changed variable, keep runs of their own.
run "independent_mistakes_each_refused" {
  command = plan
  variables {
    # acm certificate from another region
    acm_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
    # fewer than 3 zones in production
    availability_zones = ["eu-central-1a", "eu-central-1b"]
    # unsupported instance type
    worker_instance_type = "t2.micro"
    # infra ip outside the first private subnet
    infra_private_ip = "10.0.90.20"
    # production open to the world
    admin_cidrs = ["0.0.0.0/0"]
    # whole bucket public
    public_read_prefix = "/"
    # schedule to an unknown queue
    schedules = {
      nightly = {
        expression = "cron(0 2 * * ? *)"
        queue      = "no-such-queue"
        input      = "{}"
      }
    }
    # backups off
    db_backup_retention_days = 0
    # one worker in production
    worker_count = 1
  }
  expect_failures = [
    var.acm_certificate_arn,
    var.availability_zones,
    var.worker_instance_type,
    var.infra_private_ip,
    var.admin_cidrs,
    var.public_read_prefix,
    var.schedules,
    var.db_backup_retention_days,
    var.worker_count,
  ]
}

# Four loopholes of earlier checks, each its own variable's (their checks
# read only environment and db_auto_minor_version_upgrade, left valid): SSH
# and the API open to the internet in two halves, a wildcard public prefix
# (nearly every key public), an upload prefix without its closing / (the WAF
# exception would cover /api/uploadsX), and a major.minor engine version
# with automatic minor upgrades (drift after AWS's first upgrade).
run "loopholes_each_refused" {
  command = plan
  variables {
    admin_cidrs        = ["203.0.113.0/24", "0.0.0.0/1", "128.0.0.0/1"]
    public_read_prefix = "*/"
    upload_path_prefix = "/api/uploads"
    db_engine_version  = "16.4"
  }
  expect_failures = [
    var.admin_cidrs,
    var.public_read_prefix,
    var.upload_path_prefix,
    var.db_engine_version,
  ]
}

# The engine version RDS upgrades in place: the major alone, which the
# provider keeps while AWS moves the minor (16.4 to 16.6).
run "db_engine_version_major_only" {
  command = plan
  variables {
    db_engine_version = "17"
  }
  assert {
    condition     = length(module.database) == 1
    error_message = "a major-only engine version plans the database"
  }
}

# major.minor pinned, with automatic minor upgrades off.
run "db_engine_version_pinned_without_minor_upgrades" {
  command = plan
  variables {
    db_engine_version             = "16.4"
    db_auto_minor_version_upgrade = false
  }
  assert {
    condition     = length(module.database) == 1
    error_message = "major.minor plans the database when automatic minor upgrades are off"
  }
}
