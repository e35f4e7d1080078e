mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::ticketly-test-assets"
    }
  }
}

variables {
  bucket_name        = "ticketly-test-assets"
  public_read_prefix = "public/"
}

run "versioned_and_public_on_the_prefix_only" {
  command = apply

  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "versioning must be on"
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.ignore_public_acls && !aws_s3_bucket_public_access_block.this.block_public_policy
    error_message = "ACLs never public; a policy may be, for the prefix"
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.resources if s.sid == "PublicReadOfPrefix"] == [toset(["arn:aws:s3:::ticketly-test-assets/public/*"])]
    error_message = "the public statement must name the prefix, not the bucket"
  }
}

run "private_without_a_prefix" {
  command = apply

  variables {
    public_read_prefix = ""
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.this.block_public_policy && aws_s3_bucket_public_access_block.this.restrict_public_buckets
    error_message = "without a public prefix, public policies are blocked"
  }
  assert {
    condition     = length([for s in data.aws_iam_policy_document.this.statement : s if s.sid == "PublicReadOfPrefix"]) == 0
    error_message = "no public statement without a prefix"
  }
}

# In the policy's resource ARN * and ? are wildcards: "*/" would make nearly
# every key public.
run "wildcard_prefix_refused" {
  command = plan

  variables {
    public_read_prefix = "*/"
  }

  expect_failures = [var.public_read_prefix]
}

run "question_mark_prefix_refused" {
  command = plan

  variables {
    public_read_prefix = "publi?/"
  }

  expect_failures = [var.public_read_prefix]
}

# "/" (an empty prefix, the whole bucket) and empty segments.
run "empty_prefix_segment_refused" {
  command = plan

  variables {
    public_read_prefix = "/"
  }

  expect_failures = [var.public_read_prefix]
}
