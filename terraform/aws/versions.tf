terraform {
  # 1.10: the S3 backend's own lock file (use_lockfile); 1.9: validations
  # that name other variables (an ACM ARN checked against the region).
  required_version = ">= 1.10"

  required_providers {
    # Pinned exactly: the stack and its tests were checked against this
    # release (built from source here, see README.md "Provider").
    aws = {
      source  = "hashicorp/aws"
      version = "6.47.1"
    }
  }

  # State is local by default. For the shared S3 backend (with S3's own lock
  # file) copy backend_s3.tf.example to backend_s3.tf; provision then runs
  #   terraform init -backend-config=environments/<env>.s3.tfbackend
  # (see README.md).
}

# Credentials come from the environment (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, SSO, a role): never from this
# directory.
provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
