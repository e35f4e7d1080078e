variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "vpc_cidr" {
  type = string
}

variable "public_subnet_ids" {
  description = "The control plane runs in the first."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Workers spread over them; the infra node runs in the first."
  type        = list(string)
}

variable "admin_cidrs" {
  description = "Who may reach SSH (22) and the Kubernetes API (6443) of the control plane."
  type        = list(string)
}

variable "ssh_public_key" {
  description = "OpenSSH public key of the key pair."
  type        = string

  validation {
    condition     = can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp[0-9]+) [A-Za-z0-9+/=]+", var.ssh_public_key))
    error_message = "ssh_public_key_file is missing, unreadable or not an OpenSSH public key (ssh-ed25519 AAAA... or ssh-rsa AAAA...): give the .pub file, never the private key."
  }
}

variable "ami_id" {
  type = string
}

variable "control_plane_instance_type" {
  type = string
}

variable "worker_instance_type" {
  type = string
}

variable "infra_instance_type" {
  type = string
}

variable "worker_count" {
  type = number
}

variable "infra_private_ip" {
  type = string
}

variable "k3s_version" {
  type = string
}
