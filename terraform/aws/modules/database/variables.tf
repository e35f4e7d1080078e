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
  description = "The only security group allowed to reach PostgreSQL: the K3s workers'."
  type        = string
}

variable "instance_class" {
  type = string
}

variable "engine_version" {
  type = string
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
