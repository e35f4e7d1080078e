variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "public_subnet_ids" {
  type = list(string)
}

variable "certificate_arn" {
  type = string
}

variable "target_instance_ids" {
  description = "The K3s workers, whose ingress (Traefik through K3s's ServiceLB) listens on port 80."
  type        = list(string)
}

variable "target_count" {
  description = "length(target_instance_ids), known at plan time."
  type        = number
}

variable "worker_security_group_id" {
  description = "Gets an ingress rule for port 80 from the ALB only."
  type        = string
}

variable "health_check_path" {
  type    = string
  default = "/ping"
}

variable "upload_path_prefix" {
  description = "Path prefix exempt from the body size limit, starting and ending with / (without the closing /, /api/uploadsX would be exempt too)."
  type        = string

  validation {
    condition     = startswith(var.upload_path_prefix, "/") && endswith(var.upload_path_prefix, "/") && length(var.upload_path_prefix) > 1
    error_message = "upload_path_prefix must start and end with / (e.g. /api/uploads/), got \"${var.upload_path_prefix}\"."
  }
}

variable "max_body_bytes" {
  type = number
}
