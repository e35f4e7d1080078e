variable "environment" {
  description = "Environment name: dev, staging or production."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "production"], var.environment)
    error_message = "environment must be dev, staging or production."
  }
}

variable "namespace" {
  description = "Kubernetes namespace Vigil is deployed into."
  type        = string
  default     = "vigil"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label: lowercase letters, digits and hyphens, at most 63 characters."
  }
}

variable "registry_hostname" {
  description = "Host name of the container registry images are pulled from."
  type        = string
}

variable "image_name" {
  description = "Repository of the Vigil image inside the registry."
  type        = string
  default     = "vigil"
}

variable "image_tag" {
  description = "Tag of the Vigil image to deploy."
  type        = string
  default     = "latest"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid image tag: letters, digits, _, . and -, at most 128 characters, not starting with . or -."
  }
}

variable "image_pull_secret_name" {
  description = "Name of the Kubernetes Secret (type kubernetes.io/dockerconfigjson) holding the registry token."
  type        = string
  default     = "vigil-registry"
}

variable "registry_username" {
  description = "User name of the registry pull token."
  type        = string
  default     = null
}

variable "registry_password" {
  description = "Password of the registry pull token."
  type        = string
  default     = null
  sensitive   = true
}
