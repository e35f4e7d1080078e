terraform {
  required_version = ">= 1.6"

  required_providers {
    ionoscloud = {
      source  = "ionos-cloud/ionoscloud"
      version = "6.7.34"
    }
  }
}
