variable "bucket_name" {
  type = string
}

variable "public_read_prefix" {
  description = "Key prefix anyone may read (\"\" = none): literal, ending in /."
  type        = string

  validation {
    condition     = var.public_read_prefix == "" || (endswith(var.public_read_prefix, "/") && !startswith(var.public_read_prefix, "/") && !strcontains(var.public_read_prefix, "//"))
    error_message = "public_read_prefix must be \"\" or a key prefix ending in / with no empty segment, such as public/ (\"/\" would be the whole bucket), got \"${var.public_read_prefix}\"."
  }
  # It goes into the policy's resource ARN, where * and ? are wildcards.
  validation {
    condition     = !strcontains(var.public_read_prefix, "*") && !strcontains(var.public_read_prefix, "?")
    error_message = "public_read_prefix \"${var.public_read_prefix}\" contains * or ?, which the bucket policy reads as wildcards (\"*/\" makes nearly every key public): give a literal prefix such as public/."
  }
}

variable "force_destroy" {
  description = "Let destroy delete a bucket that still holds objects (dev only)."
  type        = bool
  default     = false
}
