# A provider-free fixture with the AWS stack's outputs that `provision
# kubeconfig` and `provision check` read for K3s (terraform_data only, so
# init, plan and apply run for real without the AWS provider).

terraform {
  required_version = ">= 1.6"
}

variable "environment" {
  type = string
}

variable "control_plane_public_ip" {
  type = string
}

variable "host_key_fingerprint" {
  type    = string
  default = ""
}

resource "terraform_data" "control_plane" {
  input = var.control_plane_public_ip
}

output "stack" {
  value = "aws"
}

output "region" {
  value = "eu-central-1"
}

output "control_plane_public_ip" {
  value = terraform_data.control_plane.output
}

output "ssh_user" {
  value = "ubuntu"
}

output "control_plane_host_key_fingerprint" {
  value = var.host_key_fingerprint
}
