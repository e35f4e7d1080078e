# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "6.47.1"
  constraints = "6.47.1"
  hashes = [
    "h1:yesc8PiScEUqq4iiv8jgWkMV8tqGSHadJZIHHmidEAA=",
  ]
}
