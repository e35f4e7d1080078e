# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "6.47.1"
  constraints = "6.47.1"
  hashes = [
    "h1:VRJC8yP0pzAqKHyV026FuOcAEeJkU4kYKwz/iDnX2h8=",
  ]
}
