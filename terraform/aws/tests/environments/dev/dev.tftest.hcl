# environments/dev.tfvars (terraform test -var-file=environments/dev.tfvars
# -test-directory=tests/environments/dev): SQS, S3 and IAM only.

mock_provider "aws" {
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
}
