# A fixture stack for the provision command's tests. It is made only of
# Terraform's built-in terraform_data resources, so it needs no provider, yet
# init, plan, apply, state, locks, outputs and destroy all run for real.
# Its outputs carry the names of the IONOS stack's outputs that
# `provision check` and `provision kubeconfig` read.

terraform {
  required_version = ">= 1.6"

  # The local backend, declared so that an environment's partial backend
  # configuration (environments/ENV.backend.hcl: path = "...") applies.
  backend "local" {}
}

variable "environment" {
  type = string
}

variable "node_count" {
  type    = number
  default = 2
}

variable "registry_hostname" {
  type    = string
  default = "registry.invalid"
}

variable "kubeconfig" {
  type      = string
  default   = ""
  sensitive = true
}

variable "cluster_state" {
  type    = string
  default = "ACTIVE"
}

variable "node_pool_state" {
  type    = string
  default = "ACTIVE"
}

variable "public_ips" {
  type    = list(string)
  default = ["192.0.2.10", "192.0.2.11"]
}

variable "lan_public" {
  type    = bool
  default = true
}

# slow_seconds > 0 adds a resource whose creation sleeps that long, so a test
# can hold the state lock with a second terraform process.
variable "slow_seconds" {
  type    = number
  default = 0
}

# env_probe records what terraform's environment holds: the SHA-256 of
# IONOS_TOKEN (proving the credential reaches terraform) and whether
# OTHER_SECRET does (it must not), and it echoes the token so the canary test
# sees terraform print it. fail_probe prints the token to stderr and fails.
variable "env_probe" {
  type    = bool
  default = false
}

variable "fail_probe" {
  type    = bool
  default = false
}

resource "terraform_data" "env_probe" {
  count = var.env_probe ? 1 : 0

  provisioner "local-exec" {
    command = "printf '%s' \"$IONOS_TOKEN\" | sha256sum | cut -d' ' -f1 > '${path.module}/probe.txt'; echo \"other=$${OTHER_SECRET:-unset}\" >> '${path.module}/probe.txt'; echo \"token seen: $IONOS_TOKEN\""
  }
}

resource "terraform_data" "fail_probe" {
  count = var.fail_probe ? 1 : 0

  provisioner "local-exec" {
    command = "echo \"failing with token $IONOS_TOKEN\" >&2; exit 1"
  }
}

resource "terraform_data" "cluster" {
  input = {
    environment = var.environment
    node_count  = var.node_count
  }
}

resource "terraform_data" "registry" {
  input = var.registry_hostname
}

# Tracks a file that stands for infrastructure changed outside Terraform: a
# test edits external/ENV.txt and `provision drift` must notice.
resource "terraform_data" "external" {
  input = trimspace(file("${path.module}/external/${var.environment}.txt"))
}

resource "terraform_data" "slow" {
  count = var.slow_seconds > 0 ? 1 : 0
  input = var.slow_seconds

  provisioner "local-exec" {
    command = "sleep ${var.slow_seconds}"
  }
}

output "registry_hostname" {
  value = terraform_data.registry.output
}

output "k8s_kubeconfig" {
  value     = var.kubeconfig
  sensitive = true
}

output "k8s_cluster_state" {
  value = var.cluster_state
}

output "k8s_node_pool_state" {
  value = var.node_pool_state
}

output "k8s_public_ips" {
  value = var.public_ips
}

output "lan_public" {
  value = var.lan_public
}
