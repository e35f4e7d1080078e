variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_ids" {
  description = "Private subnets, at least two zones (RDS requires it)."
  type        = list(string)
}

variable "client_security_group_id" {
  description = "The applications' security group allowed to reach PostgreSQL: the K3s workers'."
  type        = string
}

variable "infra_security_group_id" {
  description = "The infra node's security group: Debezium there reads PostgreSQL's WAL (5432 only)."
  type        = string
}

variable "instance_class" {
  type = string
}

variable "engine_version" {
  description = "PostgreSQL major (e.g. 16), or major.minor (16.4) only with auto_minor_version_upgrade = false: a pinned minor drifts after each automatic minor upgrade (16.6 running, every plan a downgrade), as the provider ignores a newer minor only when the configured version is a prefix of it."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version \"${var.engine_version}\" must be a PostgreSQL major (16) or major.minor (16.4)."
  }
  validation {
    condition     = !strcontains(var.engine_version, ".") || !var.auto_minor_version_upgrade
    error_message = "engine_version \"${var.engine_version}\" pins a minor while auto_minor_version_upgrade is on: after AWS's first minor upgrade every plan would want to downgrade. Give the major only, or set auto_minor_version_upgrade = false."
  }
}

variable "auto_minor_version_upgrade" {
  description = "Let RDS apply minor upgrades in the maintenance window (then engine_version must be the major only)."
  type        = bool
  default     = true
}

variable "allocated_storage" {
  type = number
}

variable "backup_retention_days" {
  type = number
}

variable "deletion_protection" {
  type = bool
}

variable "multi_az" {
  type    = bool
  default = false
}
