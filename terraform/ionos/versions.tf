terraform {
  required_version = ">= 1.6"

  required_providers {
    # Pinned exactly: the stack's schema and its tests were checked against
    # this release's source (see README.md, "Provider version and lock file").
    ionoscloud = {
      source  = "ionos-cloud/ionoscloud"
      version = "6.7.34"
    }
  }

  # State is local by default. For the shared S3-compatible backend (IONOS
  # Object Storage) copy backend_s3.tf.example to backend_s3.tf and run
  #   terraform init -backend-config=environments/<env>.s3.tfbackend
  # (see README.md).
}

# Credentials come from the environment: IONOS_TOKEN, or IONOS_USERNAME and
# IONOS_PASSWORD. Never write them here.
provider "ionoscloud" {}
